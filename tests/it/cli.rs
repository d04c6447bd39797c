//! The `hagen` binary: every command, every exit code, and what each writes (or not).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn example(name: &str) -> PathBuf {
    repo().join("examples").join(name)
}

fn hagen() -> Command {
    let mut cmd = Command::cargo_bin("hagen").unwrap();
    // Tests must not depend on the caller's environment.
    cmd.env_remove("HAGEN_TEMPLATES").env_remove("NO_COLOR");
    cmd
}

/// Every file under `dir` with its content and mtime: "nothing changed" in one value.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, std::time::SystemTime)> {
    let mut files = BTreeMap::new();
    if !dir.exists() {
        return files;
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let meta = std::fs::metadata(&path).unwrap();
                files.insert(
                    path.strip_prefix(dir).unwrap().to_path_buf(),
                    (std::fs::read(&path).unwrap(), meta.modified().unwrap()),
                );
            }
        }
    }
    files
}

fn render_minimal(out: &Path) {
    hagen()
        .args(["render", example("minimal.yaml").to_str().unwrap(), "-o"])
        .arg(out)
        .assert()
        .success();
}

const INVALID_SPEC: &str = "\
name: shop
region: eu-west-1
netwrok: {}
network:
  cidr: 10.0.0.0/33
  availability_zones: [eu-west-1a, eu-west-1b]
";

#[test]
fn help_documents_exit_codes_and_every_command_has_an_example() {
    hagen()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Exit codes:"))
        .stdout(predicate::str::contains("65  invalid spec"))
        .stdout(predicate::str::contains("74  I/O error"));
    let cli = <hagen::cli::Cli as clap::CommandFactory>::command();
    let mut missing = Vec::new();
    let mut stack: Vec<(String, &clap::Command)> = cli
        .get_subcommands()
        .map(|c| (c.get_name().to_string(), c))
        .collect();
    while let Some((name, command)) = stack.pop() {
        let help = command
            .get_after_help()
            .map(|h| h.to_string())
            .unwrap_or_default();
        if !help.contains("Example") {
            missing.push(name.clone());
        }
        for sub in command.get_subcommands() {
            stack.push((format!("{name} {}", sub.get_name()), sub));
        }
    }
    assert!(
        missing.is_empty(),
        "commands without an example: {missing:?}"
    );
    hagen()
        .args(["render", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("hagen render app.yaml -o infra/"));
}

#[test]
fn usage_errors_exit_64() {
    hagen().arg("frobnicate").assert().code(64);
    hagen()
        .args(["render", "x.yaml"])
        .assert()
        .code(64)
        .stderr(predicate::str::contains("--output"));
    hagen()
        .args(["graph", "x.yaml", "--format", "png"])
        .assert()
        .code(64);
    hagen().arg("--version").assert().success();
}

#[test]
fn init_writes_a_valid_commented_starter_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("app.yaml");
    hagen().arg("init").arg(&spec).assert().success();
    let text = std::fs::read_to_string(&spec).unwrap();
    assert!(text.starts_with("# yaml-language-server: $schema="));
    assert!(
        text.lines()
            .filter(|l| l.trim_start().starts_with('#'))
            .count()
            > 10
    );
    hagen().arg("validate").arg(&spec).assert().success();

    std::fs::write(&spec, "name: mine\n").unwrap();
    hagen()
        .arg("init")
        .arg(&spec)
        .assert()
        .code(74)
        .stderr(predicate::str::contains("app.yaml"))
        .stderr(predicate::str::contains("already exists"));
    assert_eq!(std::fs::read_to_string(&spec).unwrap(), "name: mine\n");
}

#[test]
fn init_defaults_to_hagen_yaml_in_the_current_folder() {
    let dir = tempfile::tempdir().unwrap();
    hagen()
        .current_dir(dir.path())
        .arg("init")
        .assert()
        .success();
    assert!(dir.path().join("hagen.yaml").is_file());
}

#[test]
fn validate_accepts_every_example_and_writes_nothing() {
    for entry in std::fs::read_dir(repo().join("examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            hagen()
                .arg("validate")
                .arg(&path)
                .assert()
                .success()
                .stderr(predicate::str::contains("valid"));
        }
    }
}

#[test]
fn invalid_spec_exits_65_with_positions_in_human_and_json_form() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("bad.yaml");
    std::fs::write(&spec, INVALID_SPEC).unwrap();
    hagen()
        .arg("validate")
        .arg(&spec)
        .assert()
        .code(65)
        .stderr(predicate::str::contains("bad.yaml:3:1"))
        .stderr(predicate::str::contains("bad.yaml:5:"));

    let output = hagen()
        .args(["validate", "--format", "json"])
        .arg(&spec)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(65));
    let diagnostics: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let lines: Vec<u64> = diagnostics
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["line"].as_u64().unwrap())
        .collect();
    assert!(lines.contains(&3) && lines.contains(&5), "{diagnostics}");
    assert!(diagnostics[0]["column"].is_u64() && diagnostics[0]["message"].is_string());

    let out = dir.path().join("infra");
    for command in ["render", "check"] {
        hagen()
            .arg(command)
            .arg(&spec)
            .arg("-o")
            .arg(&out)
            .assert()
            .code(65);
    }
    assert!(!out.exists(), "an invalid spec writes nothing");
}

#[test]
fn validate_json_of_a_valid_spec_is_an_empty_array() {
    hagen()
        .args(["validate", "--format", "json"])
        .arg(example("minimal.yaml"))
        .assert()
        .success()
        .stdout("[]\n");
}

#[test]
fn missing_spec_is_an_io_error_naming_the_path() {
    hagen()
        .args(["validate", "no/such/spec.yaml"])
        .assert()
        .code(74)
        .stderr(predicate::str::contains("no/such/spec.yaml"));
}

#[test]
fn render_writes_the_module_and_a_second_render_touches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("infra");
    hagen()
        .args(["render", example("minimal.yaml").to_str().unwrap(), "-o"])
        .arg(&out)
        .assert()
        .success()
        .stderr(predicate::str::contains("wrote"));
    let main = std::fs::read_to_string(out.join("main.tf")).unwrap();
    assert!(main.starts_with("# Generated by hagen from minimal.yaml. DO NOT EDIT."));
    let before = snapshot(&out);

    hagen()
        .args([
            "--quiet",
            "render",
            example("minimal.yaml").to_str().unwrap(),
            "-o",
        ])
        .arg(&out)
        .assert()
        .success()
        .stderr("");
    assert_eq!(
        snapshot(&out),
        before,
        "unchanged files keep content and mtime"
    );
}

#[test]
fn render_into_a_file_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("infra");
    std::fs::write(&out, "x").unwrap();
    hagen()
        .args(["render", example("minimal.yaml").to_str().unwrap(), "-o"])
        .arg(&out)
        .assert()
        .code(74)
        .stderr(predicate::str::contains("infra"));
}

#[test]
fn render_keeps_user_files_and_refuses_to_overwrite_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("infra");
    render_minimal(&out);
    std::fs::write(out.join("overrides.tf"), "# mine\n").unwrap();
    render_minimal(&out);
    assert_eq!(
        std::fs::read_to_string(out.join("overrides.tf")).unwrap(),
        "# mine\n"
    );

    std::fs::write(out.join("network.tf"), "# my network now\n").unwrap();
    let before = snapshot(&out);
    hagen()
        .args(["render", example("minimal.yaml").to_str().unwrap(), "-o"])
        .arg(&out)
        .assert()
        .code(74)
        .stderr(predicate::str::contains("network.tf"));
    assert_eq!(snapshot(&out), before);
}

#[test]
fn check_passes_when_up_to_date_and_exits_2_with_diff_and_fix_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("infra");
    render_minimal(&out);
    let spec = example("minimal.yaml");
    let check = || {
        let mut cmd = hagen();
        cmd.args(["check", spec.to_str().unwrap(), "-o"]).arg(&out);
        cmd
    };
    check().assert().success();
    hagen()
        .args(["render", "--check", spec.to_str().unwrap(), "-o"])
        .arg(&out)
        .assert()
        .success();

    // A hand edit of a generated file.
    let main = out.join("main.tf");
    let text = std::fs::read_to_string(&main).unwrap();
    std::fs::write(
        &main,
        text.replacen("locals {", "locals {\n  hacked = true", 1),
    )
    .unwrap();
    // A missing file and a stale generated one.
    std::fs::remove_file(out.join("versions.tf")).unwrap();
    std::fs::write(
        out.join("old.tf"),
        "# Generated by hagen from minimal.yaml\n",
    )
    .unwrap();
    let before = snapshot(&out);
    let fix = format!("hagen render {} -o {}", spec.display(), out.display());
    check()
        .assert()
        .code(2)
        .stdout(predicate::str::contains("--- a/main.tf\n+++ b/main.tf"))
        .stdout(predicate::str::contains("-  hacked = true"))
        .stdout(predicate::str::contains("+++ b/versions.tf"))
        .stdout(predicate::str::contains("--- a/old.tf"))
        .stderr(predicate::str::contains("main.tf differs"))
        .stderr(predicate::str::contains(fix.as_str()));
    hagen()
        .args(["render", "--check", spec.to_str().unwrap(), "-o"])
        .arg(&out)
        .assert()
        .code(2);
    assert_eq!(snapshot(&out), before, "check never writes");

    let output = hagen()
        .args(["check", "--format", "json", spec.to_str().unwrap(), "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let drift: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let files: Vec<&str> = drift
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["file"].as_str().unwrap())
        .collect();
    assert_eq!(files.len(), 3, "{drift}");
    assert!(files.iter().any(|f| f.ends_with("main.tf")));

    // The fix command fixes it.
    hagen()
        .args(["render", spec.to_str().unwrap(), "-o"])
        .arg(&out)
        .assert()
        .success();
    check().assert().success();
    assert!(!out.join("old.tf").exists());
}

#[test]
fn check_of_a_missing_output_folder_reports_every_file_missing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("never-rendered");
    hagen()
        .args(["check", example("minimal.yaml").to_str().unwrap(), "-o"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("main.tf is missing"));
    assert!(!out.exists());
}

#[test]
fn schema_prints_the_embedded_schema() {
    let output = hagen().arg("schema").output().unwrap();
    assert!(output.status.success());
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let file: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("schemas/hagen.schema.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(printed, file);
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        hagen()
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains("render"));
    }
    hagen().args(["completions", "tcsh"]).assert().code(64);
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("bad.yaml");
    std::fs::write(&spec, INVALID_SPEC).unwrap();
    let stderr = |args: &[&str], no_color: bool| {
        let mut cmd = hagen();
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        let output = cmd.args(args).arg("validate").arg(&spec).output().unwrap();
        String::from_utf8(output.stderr).unwrap()
    };
    assert!(stderr(&["--color", "always"], false).contains("\x1b["));
    assert!(!stderr(&["--color", "never"], false).contains("\x1b["));
    // Not a terminal here: auto means plain, and NO_COLOR keeps it plain.
    assert!(!stderr(&[], false).contains("\x1b["));
    assert!(!stderr(&[], true).contains("\x1b["));

    // Diffs on stdout follow the same choice.
    let diff = |choice: &str| {
        let output = hagen()
            .args(["--color", choice, "check"])
            .arg(example("minimal.yaml"))
            .arg("-o")
            .arg(dir.path().join("missing"))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        String::from_utf8(output.stdout).unwrap()
    };
    assert!(diff("always").contains("\x1b[32m+"));
    assert!(!diff("never").contains("\x1b["));
}

#[test]
fn graph_prints_mermaid_by_default_and_dot_on_request_with_the_same_nodes() {
    for entry in std::fs::read_dir(repo().join("examples")).unwrap() {
        let spec = entry.unwrap().path();
        if spec.extension().is_some_and(|e| e == "yaml") {
            graphs_agree_and_match_the_readme(&spec);
        }
    }
}

fn graphs_agree_and_match_the_readme(spec: &Path) {
    let mermaid = hagen().arg("graph").arg(spec).output().unwrap();
    assert!(mermaid.status.success());
    let mermaid = String::from_utf8(mermaid.stdout).unwrap();
    assert!(mermaid.starts_with("flowchart"), "{mermaid}");
    let dot = hagen()
        .args(["graph", "--format", "dot"])
        .arg(spec)
        .output()
        .unwrap();
    assert!(dot.status.success());
    let dot = String::from_utf8(dot.stdout).unwrap();
    assert!(
        dot.starts_with("digraph") || dot.contains("\ndigraph"),
        "{dot}"
    );
    assert_eq!(dot.matches('{').count(), dot.matches('}').count());

    // Node ids: `id[...]`/`id((...))` in Mermaid, `id [label=...]` in DOT.
    let mermaid_nodes: std::collections::BTreeSet<String> = mermaid
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let end = l.find(['[', '('])?;
            let id = &l[..end];
            (!id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
                .then(|| id.to_string())
        })
        .collect();
    let identifier =
        |id: &str| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let dot_nodes: std::collections::BTreeSet<String> = dot
        .lines()
        .filter_map(|l| Some(l.trim().split_once(" [label=")?.0.to_string()))
        .filter(|id| identifier(id))
        .collect();
    assert!(mermaid_nodes.len() > 10, "{mermaid_nodes:?}");
    // Mermaid subgraphs are written `subgraph id[...]`; their ids are clusters in DOT.
    let mermaid_nodes: std::collections::BTreeSet<String> = mermaid_nodes
        .into_iter()
        .filter(|id| !mermaid.contains(&format!("subgraph {id}[")))
        .collect();
    assert_eq!(mermaid_nodes, dot_nodes);

    // Edges: `a -->|"x"| b` / `a -. "x" .-> b` in Mermaid, `a -> b [...]` in DOT, where an
    // edge into a cluster (`lhead=cluster_s3`) stands for Mermaid's edge into subgraph `s3`.
    let mermaid_edges: std::collections::BTreeSet<(String, String)> = mermaid
        .lines()
        .filter(|l| l.contains("-->") || l.contains(".->"))
        .map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            let target = words.last().unwrap().rsplit('|').next().unwrap();
            (words[0].to_string(), target.to_string())
        })
        .collect();
    let dot_edges: std::collections::BTreeSet<(String, String)> = dot
        .lines()
        .filter_map(|l| {
            let (from, rest) = l.trim().split_once(" -> ")?;
            let to = rest.split([' ', ';']).next()?;
            let to = match rest.split_once("lhead=cluster_") {
                Some((_, cluster)) => cluster.trim_end_matches([']', ';']),
                None => to,
            };
            Some((from.to_string(), to.to_string()))
        })
        .collect();
    assert!(mermaid_edges.len() > 5, "{mermaid_edges:?}");
    assert_eq!(mermaid_edges, dot_edges);

    // The README of the rendered module carries the very same diagram.
    let dir = tempfile::tempdir().unwrap();
    hagen()
        .arg("render")
        .arg(spec)
        .arg("-o")
        .arg(dir.path())
        .assert()
        .success();
    let readme = std::fs::read_to_string(dir.path().join("README.md")).unwrap();
    assert!(
        readme.contains(mermaid.trim_end()),
        "README lacks the graph output"
    );
}

#[test]
fn templates_list_shows_every_builtin_and_what_it_renders() {
    let output = hagen().args(["templates", "list"]).output().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    for name in hagen::render::builtin_templates().keys() {
        assert!(text.contains(name.as_str()), "{name} not listed");
    }
    assert!(text.contains("main.tf.j2") && text.contains("-> main.tf"));
    assert!(text.contains("environments/<env>.tfvars"));
}

#[test]
fn templates_eject_copies_builtins_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("my-templates");
    hagen()
        .args([
            "templates",
            "eject",
            "network.tf",
            "environments/_env.tfvars.j2",
            "-o",
        ])
        .arg(&out)
        .assert()
        .success();
    let builtin = hagen::render::builtin_templates();
    assert_eq!(
        std::fs::read_to_string(out.join("network.tf.j2")).unwrap(),
        builtin["network.tf.j2"]
    );
    assert!(out.join("environments/_env.tfvars.j2").is_file());
    assert_eq!(snapshot(&out).len(), 2);

    hagen()
        .args(["templates", "eject", "outputs.tf.j2", "network.tf.j2", "-o"])
        .arg(&out)
        .assert()
        .code(74)
        .stderr(predicate::str::contains("network.tf.j2"));
    assert!(
        !out.join("outputs.tf.j2").exists(),
        "nothing is copied when one exists"
    );

    hagen()
        .args(["templates", "eject", "nope.tf", "-o"])
        .arg(&out)
        .assert()
        .code(64)
        .stderr(predicate::str::contains("nope.tf"));

    let all = dir.path().join("all");
    hagen()
        .args(["templates", "eject", "-o"])
        .arg(&all)
        .assert()
        .success();
    assert_eq!(snapshot(&all).len(), builtin.len());
}

#[test]
fn templates_context_prints_the_reference_or_the_values_of_a_spec() {
    hagen()
        .args(["templates", "context"])
        .assert()
        .success()
        .stdout(predicate::str::contains("name_prefix"));
    let output = hagen()
        .args(["templates", "context"])
        .arg(example("minimal.yaml"))
        .output()
        .unwrap();
    assert!(output.status.success());
    let context: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(context["name_prefix"], "shop-dev");
}

// ---- a new user's first hour (issue 14) --------------------------------------------

#[test]
fn init_takes_name_and_region_and_names_its_own_file() {
    let dir = tempfile::tempdir().unwrap();
    hagen()
        .current_dir(dir.path())
        .args([
            "init",
            "app.yaml",
            "--name",
            "shop",
            "--region",
            "us-east-2",
        ])
        .assert()
        .success();
    let text = std::fs::read_to_string(dir.path().join("app.yaml")).unwrap();
    assert!(text.contains("\nname: shop\n"), "{text}");
    assert!(text.contains("\nregion: us-east-2\n"), "{text}");
    assert!(
        text.contains("availability_zones: [us-east-2a, us-east-2b]"),
        "{text}"
    );
    assert!(text.contains("hagen validate app.yaml"), "{text}");
    assert!(text.contains("hagen render app.yaml -o infra/"), "{text}");
    assert!(
        !text.contains("hagen.yaml ") && !text.contains("eu-west-1"),
        "{text}"
    );
    assert!(!text.contains("{{"), "{text}");
    hagen()
        .current_dir(dir.path())
        .args(["validate", "app.yaml"])
        .assert()
        .success();

    // Tokyo has no zone `b`.
    hagen()
        .current_dir(dir.path())
        .args(["init", "tokyo.yaml", "--region", "ap-northeast-1"])
        .assert()
        .success();
    let tokyo = std::fs::read_to_string(dir.path().join("tokyo.yaml")).unwrap();
    assert!(
        tokyo.contains("[ap-northeast-1a, ap-northeast-1c]"),
        "{tokyo}"
    );

    // A name or region the spec would reject is a usage error, and nothing is written.
    hagen()
        .current_dir(dir.path())
        .args(["init", "bad.yaml", "--name", "Shop_1", "--region", "mars-1"])
        .assert()
        .code(64)
        .stderr(predicate::str::contains(
            "`Shop_1` is not a valid value for `name`",
        ))
        .stderr(predicate::str::contains(
            "`mars-1` is not an AWS region name",
        ));
    assert!(!dir.path().join("bad.yaml").exists());
}

/// Every command's help describes each of its arguments (no bare `<SPEC>`).
#[test]
fn every_argument_has_help_text() {
    use clap::CommandFactory;
    fn visit(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for arg in command.get_arguments() {
            if arg.get_help().is_none() && !["help", "version"].contains(&arg.get_id().as_str()) {
                missing.push(format!("{path} {}", arg.get_id()));
            }
        }
        for sub in command.get_subcommands() {
            visit(sub, &format!("{path} {}", sub.get_name()), missing);
        }
    }
    let mut missing = Vec::new();
    visit(&hagen::cli::Cli::command(), "hagen", &mut missing);
    assert_eq!(missing, Vec::<String>::new());
    hagen()
        .args(["validate", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("The spec file (YAML)"));
}

/// `--templates` only where templates are rendered; `--color` and `--quiet` everywhere,
/// since every command reports errors.
#[test]
fn templates_option_only_on_commands_that_render() {
    use clap::CommandFactory;
    let cli = hagen::cli::Cli::command();
    let has = |path: &[&str], long: &str| {
        let mut command = &cli;
        for name in path {
            command = command.find_subcommand(name).unwrap();
        }
        command.get_arguments().any(|a| a.get_long() == Some(long))
    };
    for path in [&["render"][..], &["check"], &["templates", "list"]] {
        assert!(has(path, "templates"), "{path:?}");
    }
    for path in [
        &["init"][..],
        &["graph"],
        &["validate"],
        &["schema"],
        &["completions"],
        &["templates", "eject"],
        &["templates", "context"],
    ] {
        assert!(!has(path, "templates"), "{path:?}");
    }
    hagen()
        .args(["validate", "x.yaml", "--templates", "t"])
        .assert()
        .code(64);
    // --color is global and used: the error label of any command is coloured.
    hagen()
        .args(["validate", "/no/such/spec.yaml", "--color", "always"])
        .assert()
        .code(74)
        .stderr(predicate::str::contains("\x1b[1;31merror"));
}

#[test]
fn an_unknown_command_suggests_the_closest_or_how_to_pass_a_spec() {
    hagen()
        .arg("rendr")
        .assert()
        .code(64)
        .stderr(predicate::str::contains(
            "a similar subcommand exists: 'render'",
        ));
    hagen()
        .arg("app.yaml")
        .assert()
        .code(64)
        .stderr(predicate::str::contains(
            "hagen validate app.yaml` or `hagen render app.yaml -o infra/`",
        ));
}

#[test]
fn schema_id_is_the_url_of_the_readme_and_starter_modelines() {
    let output = hagen()
        .arg("schema")
        .assert()
        .success()
        .get_output()
        .clone();
    let schema: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let id = schema["$id"].as_str().unwrap();
    let modeline = format!("# yaml-language-server: $schema={id}\n");
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    assert!(readme.contains(&modeline), "README's modeline is not {id}");
    assert!(hagen::cli::STARTER_SPEC.starts_with(&modeline));
    // The URL serves the file in the repository.
    assert!(id.ends_with("/main/schemas/hagen.schema.json"), "{id}");
    assert_eq!(
        std::fs::read(repo().join("schemas/hagen.schema.json")).unwrap(),
        output.stdout
    );
}

/// `hagen validate --format json` of a spec with this text: exit 65, and its diagnostics.
fn invalid_spec_diagnostics(yaml: &str) -> Vec<serde_json::Value> {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("app.yaml");
    std::fs::write(&spec, yaml).unwrap();
    let output = hagen()
        .args(["validate", "--format", "json"])
        .arg(&spec)
        .assert()
        .code(65)
        .get_output()
        .clone();
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Structural errors no longer hide the semantic ones: a schema error in one place
/// (and a missing key in the same section) comes with every rule's problem elsewhere.
#[test]
fn schema_and_semantic_problems_are_reported_in_one_run() {
    let found = invalid_spec_diagnostics(
        "name: shop\nregion: eu-west-1\ntags:\n  CostCenter: 1234\nnetwork:\n  cidr: 10.0.0.0/16\n  availability_zones: [eu-west-1a, us-east-1b]\ncompute:\n  kind: ecs\n  cpu: 256\n  memory: 4096\n  min_size: 5\n  max_size: 2\n  port: abc\ndatabase:\n  engine: postgres\n  engine_version: 16.10\n",
    );
    let at = |line: u64| {
        found
            .iter()
            .find(|d| d["line"] == line)
            .unwrap_or_else(|| panic!("nothing at line {line}: {found:#?}"))
    };
    // Schema errors, with a hint to quote what YAML read as a number.
    assert_eq!(
        at(4)["hint"].as_str().unwrap(),
        "quote it: \"1234\" (YAML reads `1234` unquoted as a number)"
    );
    assert!(
        at(17)["hint"]
            .as_str()
            .unwrap()
            .starts_with("quote it: \"16.10\""),
        "{found:#?}"
    );
    assert!(at(8)["message"].as_str().unwrap().contains("`image`"));
    assert!(at(14)["message"].as_str().unwrap().contains("compute.port"));
    // Semantic problems of the parts that are structurally valid, in the same run.
    assert!(at(7)["message"].as_str().unwrap().contains("not in region"));
    assert!(at(11)["message"].as_str().unwrap().contains("Fargate"));
    assert!(at(12)["message"].as_str().unwrap().contains("greater than"));
    assert_eq!(found.len(), 7, "{found:#?}");
}

/// A rule is silent when a value it reads was invalid: the schema error is the problem,
/// not what the default that stood in for it implies.
#[test]
fn rules_do_not_judge_values_cut_for_schema_errors() {
    let found = invalid_spec_diagnostics(
        "name: shop\nregion: eu-west-1\nnetwork:\n  cidr: 10.0.0.0/16\n  availability_zones: [eu-west-1a, eu-west-1b]\ncompute:\n  min_size: many\n  max_size: 1\n",
    );
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0]["message"].as_str().unwrap().contains("min_size"));
}

#[test]
fn the_output_records_how_it_was_rendered_and_check_suggests_the_templates_used() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(example("minimal.yaml"), dir.path().join("app.yaml")).unwrap();
    hagen()
        .current_dir(dir.path())
        .args(["templates", "eject", "main.tf", "-o", "tpl"])
        .assert()
        .success();
    let main = dir.path().join("tpl/main.tf.j2");
    let mut template = std::fs::read_to_string(&main).unwrap();
    template.push_str("# house rule\n");
    std::fs::write(&main, template).unwrap();
    hagen()
        .current_dir(dir.path())
        .args(["render", "app.yaml", "-o", "infra", "--templates", "tpl"])
        .assert()
        .success();

    let text = std::fs::read_to_string(dir.path().join("infra/.hagen-manifest.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(manifest["hagen_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(manifest["spec"], "../app.yaml");
    assert_eq!(manifest["templates"], "../tpl");
    let files = manifest["files"].as_object().unwrap();
    let main_tf = std::fs::read(dir.path().join("infra/main.tf")).unwrap();
    assert_eq!(
        files["main.tf"],
        format!("sha256:{}", hagen::manifest::sha256_hex(&main_tf))
    );
    // Every other file hagen wrote is listed (not its lock and write journal folder).
    let on_disk = snapshot(&dir.path().join("infra"));
    let generated = on_disk
        .keys()
        .filter(|path| !path.starts_with(".hagen"))
        .count();
    assert_eq!(files.len() + 1, generated);

    // check without --templates: the fix keeps the templates.
    hagen()
        .current_dir(dir.path())
        .args(["check", "app.yaml", "-o", "infra"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "to fix it, run: hagen render app.yaml -o infra --templates tpl",
        ))
        .stderr(predicate::str::contains(
            "hagen check app.yaml -o infra --templates tpl",
        ));
    hagen()
        .current_dir(dir.path())
        .args(["check", "app.yaml", "-o", "infra", "--templates", "tpl"])
        .assert()
        .success();
    // The record holds from another folder too (paths are relative to the output).
    hagen()
        .current_dir(dir.path().join("infra"))
        .args(["check", "../app.yaml", "-o", ".", "--templates", "../tpl"])
        .assert()
        .success();
}
