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
