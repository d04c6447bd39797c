//! pre-commit, for real: the hooks of `.pre-commit-hooks.yaml` run by the real
//! `pre-commit` (from PyPI) with README's snippet as written, and every file hagen writes
//! run through the standard hygiene hooks (`pre-commit-hooks` from PyPI) and
//! `terraform fmt`.
//!
//! The Python tools are taken from PATH, else from `target/ci` (where `.ci/run` installs
//! them), else installed there into a venv from `.ci/requirements/<tool>.txt` (the pins
//! `.ci/run` uses). With CI=true a tool that cannot be had fails the test; elsewhere (no
//! python3, no PyPI) the test prints `skipped: ...` with the reason.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn works(program: &Path) -> bool {
    Command::new(program)
        .arg("--help")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// One install at a time: two tests may want the same venv.
static INSTALLING: Mutex<()> = Mutex::new(());

/// `executable` of the Python package `name`, pinned by `.ci/requirements/<name>.txt`.
fn python_tool(name: &str, executable: &str) -> Result<PathBuf, String> {
    let _guard = INSTALLING.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(on_path) = crate::support::on_path(executable) {
        return Ok(on_path);
    }
    let ci_cache = repo().join("target/ci");
    let linked = ci_cache.join("bin").join(executable);
    if works(&linked) {
        return Ok(linked);
    }
    let venv = ci_cache.join("venv").join(name);
    let installed = venv.join("bin").join(executable);
    let requirements = repo().join(".ci/requirements").join(format!("{name}.txt"));
    // The stamp `.ci/run` writes: the SHA-256 of the requirements file.
    let pin = std::fs::read(&requirements)
        .map(|bytes| hagen::manifest::sha256_hex(&bytes))
        .map_err(|e| format!("{}: {e}", requirements.display()))?;
    let stamp = venv.join(".hagen-pin");
    if works(&installed) && std::fs::read_to_string(&stamp).is_ok_and(|s| s.trim() == pin) {
        return Ok(installed);
    }
    let _ = std::fs::remove_dir_all(&venv);
    let status = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .map_err(|e| format!("python3 is not available: {e}"))?;
    if !status.success() {
        return Err("python3 -m venv failed".into());
    }
    let pip = Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "--requirement"])
        .arg(&requirements)
        .output()
        .map_err(|e| format!("pip failed to start: {e}"))?;
    if !pip.status.success() {
        return Err(format!(
            "pip install -r {} failed: {}",
            requirements.display(),
            String::from_utf8_lossy(&pip.stderr)
        ));
    }
    let _ = std::fs::write(&stamp, format!("{pin}\n"));
    if works(&installed) {
        Ok(installed)
    } else {
        Err(format!("{executable} does not run after installing {name}"))
    }
}

/// The tool, or `None` after printing why the test is skipped (a failure under CI).
fn need(name: &str, executable: &str) -> Option<PathBuf> {
    match python_tool(name, executable) {
        Ok(path) => Some(path),
        Err(why) => crate::support::require_tool(
            &format!("{executable} (PyPI package {name})"),
            None,
            &format!("{why}; `bash .ci/run` installs it into target/ci"),
        ),
    }
}

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args([
            "-c",
            "user.name=hagen test",
            "-c",
            "user.email=test@example.com",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "tag.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// README's `.pre-commit-config.yaml` snippet, as written.
fn readme_snippet() -> String {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let section = &readme[readme
        .find("### pre-commit hooks")
        .expect("README has a pre-commit section")..];
    let start = section.find("```yaml\n").expect("a yaml block") + "```yaml\n".len();
    let end = start + section[start..].find("```").unwrap();
    section[start..end].to_string()
}

/// The `rev:` of the snippet.
fn snippet_rev(snippet: &str) -> String {
    snippet
        .lines()
        .find_map(|line| line.trim().strip_prefix("rev: "))
        .expect("the snippet pins a rev")
        .trim()
        .to_string()
}

/// A git repository holding this checkout's crate (what pre-commit clones as the hooks
/// repository: the hooks file, and the sources `language: rust` builds), committed and
/// tagged `tag`.
fn hooks_repository(at: &Path, tag: &str) -> PathBuf {
    let hooks = at.join("hagen");
    let tracked = git(&repo(), &["ls-files"]);
    let wanted = |path: &str| {
        [
            ".pre-commit-hooks.yaml",
            "Cargo.toml",
            "Cargo.lock",
            "build.rs",
            "README.md",
        ]
        .contains(&path)
            || ["src/", "templates/", "schemas/"]
                .iter()
                .any(|dir| path.starts_with(dir))
    };
    let mut copied = 0;
    for path in tracked.lines().filter(|p| wanted(p)) {
        let from = repo().join(path);
        if !from.is_file() {
            continue; // deleted in the working tree
        }
        let to = hooks.join(path);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&from, &to).unwrap();
        copied += 1;
    }
    // Files not committed yet in this checkout (a new module) are part of it too.
    for dir in ["src", "templates", "schemas"] {
        copy_missing(&repo().join(dir), &hooks.join(dir));
    }
    assert!(copied > 10, "copied only {copied} files");
    git(&hooks, &["init", "-q"]);
    git(&hooks, &["add", "."]);
    git(&hooks, &["commit", "-q", "-m", "hagen"]);
    git(&hooks, &["tag", tag]);
    hooks
}

fn copy_missing(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_missing(&path, &target);
        } else if !target.exists() {
            std::fs::create_dir_all(to).unwrap();
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// A project with `app.yaml` (the minimal example), its module in `infra/`, and README's
/// snippet as its `.pre-commit-config.yaml`, the repository URL pointing at `hooks`.
fn project(at: &Path, hooks: &Path, hook_id: &str) -> PathBuf {
    let project = at.join("project");
    std::fs::create_dir(&project).unwrap();
    std::fs::copy(
        repo().join("examples/minimal.yaml"),
        project.join("app.yaml"),
    )
    .unwrap();
    let rendered = Command::new(env!("CARGO_BIN_EXE_hagen"))
        .args(["render", "app.yaml", "-o", "infra"])
        .current_dir(&project)
        .output()
        .unwrap();
    assert!(rendered.status.success(), "{}", text(&rendered));
    let snippet = readme_snippet();
    assert!(snippet.contains("repo: https://github.com/hagen-tool/hagen\n"));
    let config = snippet
        .replace(
            "https://github.com/hagen-tool/hagen",
            &hooks.display().to_string(),
        )
        .replace("id: hagen-check\n", &format!("id: {hook_id}\n"));
    std::fs::write(project.join(".pre-commit-config.yaml"), config).unwrap();
    git(&project, &["init", "-q"]);
    git(&project, &["add", "."]);
    project
}

fn run_hooks(pre_commit: &Path, project: &Path, envs: &[(&str, PathBuf)], path: &str) -> Output {
    let mut command = Command::new(pre_commit);
    command
        .args(["run", "--all-files", "--color", "never"])
        .current_dir(project)
        .env("PATH", path)
        .env_remove("HAGEN_TEMPLATES");
    for (key, value) in envs {
        command.env(key, value);
    }
    command.output().unwrap()
}

/// PATH with the hagen under test first.
fn path_with_hagen() -> String {
    let hagen_dir = Path::new(env!("CARGO_BIN_EXE_hagen")).parent().unwrap();
    std::env::join_paths(
        std::iter::once(hagen_dir.to_path_buf()).chain(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        )),
    )
    .unwrap()
    .to_string_lossy()
    .into_owned()
}

#[test]
fn readme_snippet_pins_the_release_tag_of_this_version() {
    let snippet = readme_snippet();
    assert_eq!(
        snippet_rev(&snippet),
        format!("v{}", env!("CARGO_PKG_VERSION")),
        "README's pre-commit snippet names the tag of this version"
    );
    assert!(snippet.contains("- id: hagen-check\n"));
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    assert!(readme.contains("`pre-commit install`"));
    // Every hook the README's table names exists, with the language it says.
    let hooks = std::fs::read_to_string(repo().join(".pre-commit-hooks.yaml")).unwrap();
    for (id, language) in [
        ("hagen-check", "system"),
        ("hagen-check-rust", "rust"),
        ("hagen-render", "system"),
    ] {
        let entry = &hooks[hooks
            .find(&format!("\n- id: {id}\n"))
            .unwrap_or_else(|| panic!("no hook {id}"))
            + 1..];
        let entry = &entry[..entry[1..].find("\n- id:").map_or(entry.len(), |i| i + 1)];
        assert!(
            entry.contains(&format!("language: {language}\n")),
            "{entry}"
        );
        assert!(readme.contains(&format!("`{id}`")), "README names {id}");
    }
}

#[test]
fn pre_commit_hooks_check_and_render_the_module() {
    let Some(pre_commit) = need("pre-commit", "pre-commit") else {
        return;
    };
    let temp = tempfile::tempdir().unwrap();
    let home = temp.path().join("pre-commit-home");
    let rev = snippet_rev(&readme_snippet());
    let hooks = hooks_repository(temp.path(), &rev);
    let project = project(temp.path(), &hooks, "hagen-check");
    let envs = [("PRE_COMMIT_HOME", home)];
    let path = path_with_hagen();

    let up_to_date = run_hooks(&pre_commit, &project, &envs, &path);
    assert!(up_to_date.status.success(), "{}", text(&up_to_date));
    assert!(
        text(&up_to_date).contains("Passed"),
        "{}",
        text(&up_to_date)
    );

    // A hand edit of a generated file fails the check, with the diff and the fix.
    let main = project.join("infra/main.tf");
    let mut edited = std::fs::read_to_string(&main).unwrap();
    edited.push_str("# hand edit\n");
    std::fs::write(&main, &edited).unwrap();
    git(&project, &["add", "infra/main.tf"]);
    let drifted = run_hooks(&pre_commit, &project, &envs, &path);
    let out = text(&drifted);
    assert!(!drifted.status.success(), "{out}");
    assert!(out.contains("--- a/main.tf"), "{out}");
    assert!(out.contains("-# hand edit"), "{out}");
    assert!(out.contains("hagen render app.yaml -o infra"), "{out}");
    assert_eq!(
        std::fs::read_to_string(&main).unwrap(),
        edited,
        "check never writes"
    );

    // The render hook repairs it (failing once, as pre-commit does when files change).
    let config = project.join(".pre-commit-config.yaml");
    let render = std::fs::read_to_string(&config)
        .unwrap()
        .replace("id: hagen-check\n", "id: hagen-render\n");
    std::fs::write(&config, render).unwrap();
    git(&project, &["add", ".pre-commit-config.yaml"]);
    let repaired = run_hooks(&pre_commit, &project, &envs, &path);
    assert!(!repaired.status.success(), "{}", text(&repaired));
    assert!(
        !std::fs::read_to_string(&main)
            .unwrap()
            .contains("# hand edit")
    );
    git(&project, &["add", "."]);
    let again = run_hooks(&pre_commit, &project, &envs, &path);
    assert!(again.status.success(), "{}", text(&again));
}

/// `language: rust`: pre-commit builds hagen itself (`cargo install --bins --root ENV
/// --path .` in its clone of the hooks repository) and runs it, with no hagen on PATH.
///
/// Offline: `CARGO_NET_OFFLINE=true` makes cargo resolve from its local registry cache
/// (pre-commit's `cargo install` does not pass `--locked`; offline, cargo picks versions
/// it already has, which `cargo build` of this checkout put there). For speed only, the
/// test builds that release binary without optimisation into a target folder shared by
/// runs; a user's first run builds a normal release binary once per `rev`.
#[test]
fn pre_commit_rust_hook_builds_hagen_and_checks_the_module() {
    let Some(pre_commit) = need("pre-commit", "pre-commit") else {
        return;
    };
    if crate::support::require_tool(
        "cargo",
        crate::support::on_path("cargo"),
        "pre-commit's language: rust needs a Rust toolchain",
    )
    .is_none()
    {
        return;
    }
    let temp = tempfile::tempdir().unwrap();
    let rev = snippet_rev(&readme_snippet());
    let hooks = hooks_repository(temp.path(), &rev);
    let project = project(temp.path(), &hooks, "hagen-check-rust");
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("clone-builds");
    let envs = [
        ("PRE_COMMIT_HOME", temp.path().join("pre-commit-home")),
        ("CARGO_NET_OFFLINE", "true".into()),
        ("CARGO_TARGET_DIR", target),
        ("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0".into()),
        ("CARGO_PROFILE_RELEASE_DEBUG", "false".into()),
        ("CARGO_PROFILE_RELEASE_INCREMENTAL", "true".into()),
    ];
    // PATH without the hagen under test: the hook must bring its own.
    let path = std::env::var("PATH").unwrap_or_default();
    assert!(
        crate::support::on_path("hagen").is_none(),
        "a hagen on PATH would hide whether the hook built its own"
    );

    let up_to_date = run_hooks(&pre_commit, &project, &envs, &path);
    let out = text(&up_to_date);
    assert!(up_to_date.status.success(), "{out}");
    assert!(out.contains("Passed"), "{out}");
    let built = std::fs::read_dir(temp.path().join("pre-commit-home"))
        .unwrap()
        .filter_map(Result::ok)
        .any(|repo| repo.path().join("rustenv-system/bin/hagen").is_file());
    assert!(built, "pre-commit built hagen into its rust environment");

    let main = project.join("infra/main.tf");
    let mut edited = std::fs::read_to_string(&main).unwrap();
    edited.push_str("# hand edit\n");
    std::fs::write(&main, &edited).unwrap();
    git(&project, &["add", "infra/main.tf"]);
    let drifted = run_hooks(&pre_commit, &project, &envs, &path);
    let out = text(&drifted);
    assert!(!drifted.status.success(), "{out}");
    assert!(out.contains("-# hand edit"), "{out}");
}

/// Every file in `dir`, relative path -> bytes.
fn files(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    let mut found = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    found
}

/// Runs a hook executable on `paths`; a non-zero exit or a changed file is a failure.
fn hook_leaves_alone(hook: &Path, paths: &[&PathBuf], before: &dyn Fn(&Path) -> Vec<u8>) {
    if paths.is_empty() {
        return;
    }
    let output = Command::new(hook).args(paths).output().unwrap();
    assert!(
        output.status.success(),
        "{} fails on hagen's output:\n{}",
        hook.display(),
        text(&output)
    );
    for path in paths {
        assert!(
            std::fs::read(path).unwrap() == before(path),
            "{} changed {}",
            hook.display(),
            path.display()
        );
    }
}

#[test]
fn generated_files_pass_the_hygiene_hooks_and_terraform_fmt() {
    let hooks: Vec<(&str, PathBuf)> = [
        "trailing-whitespace-fixer",
        "end-of-file-fixer",
        "mixed-line-ending",
        "check-yaml",
        "check-json",
    ]
    .into_iter()
    .map_while(|hook| need("pre-commit-hooks", hook).map(|path| (hook, path)))
    .collect();
    if hooks.len() < 5 {
        return;
    }
    let terraform = crate::support::require_tool(
        "terraform or tofu",
        crate::support::terraform_binary(),
        "install OpenTofu or Terraform",
    );
    let temp = tempfile::tempdir().unwrap();

    // The hooks really catch what they are for: a control file with a trailing space
    // and no final newline is rewritten.
    let control = temp.path().join("control.md");
    std::fs::write(&control, "text \nmore").unwrap();
    for hook in ["trailing-whitespace-fixer", "end-of-file-fixer"] {
        let (_, path) = hooks.iter().find(|(name, _)| *name == hook).unwrap();
        let output = Command::new(path).arg(&control).output().unwrap();
        assert!(!output.status.success(), "{hook} accepted a bad file");
    }
    assert_eq!(std::fs::read_to_string(&control).unwrap(), "text\nmore\n");

    for spec in crate::support::example_specs() {
        let name = crate::support::example_name(&spec);
        let out = temp.path().join(&name);
        let rendered = Command::new(env!("CARGO_BIN_EXE_hagen"))
            .arg("render")
            .arg(&spec)
            .arg("-o")
            .arg(&out)
            .output()
            .unwrap();
        assert!(rendered.status.success(), "{}", text(&rendered));
        let written = files(&out);
        assert!(
            written.keys().any(|p| p.ends_with(hagen::manifest::FILE)),
            "{name}: the manifest is checked too"
        );
        let before = |path: &Path| written[path].clone();
        let all: Vec<&PathBuf> = written.keys().collect();
        let with_ext = |exts: &[&str]| -> Vec<&PathBuf> {
            written
                .keys()
                .filter(|p| {
                    p.extension()
                        .is_some_and(|e| exts.contains(&e.to_string_lossy().as_ref()))
                })
                .collect()
        };
        for (hook, path) in &hooks {
            let targets = match *hook {
                "check-yaml" => with_ext(&["yaml", "yml"]),
                "check-json" => with_ext(&["json"]),
                _ => all.clone(),
            };
            hook_leaves_alone(path, &targets, &before);
        }

        // terraform_docs: the tables sit between its markers, in its section order.
        let readme = String::from_utf8(written[&out.join("README.md")].clone()).unwrap();
        let begin = readme
            .find("<!-- BEGIN_TF_DOCS -->\n")
            .expect("BEGIN_TF_DOCS");
        let end = readme
            .find("\n<!-- END_TF_DOCS -->\n")
            .expect("END_TF_DOCS");
        let docs = &readme[begin..end];
        let order: Vec<usize> = [
            "\n## Requirements\n",
            "\n## Providers\n",
            "\n## Modules\n",
            "\n## Resources\n",
            "\n## Inputs\n",
            "\n## Outputs\n",
        ]
        .iter()
        .map(|h| docs.find(h).unwrap_or_else(|| panic!("{name}: no {h:?}")))
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{name}: {order:?}");
        assert!(readme.ends_with("<!-- END_TF_DOCS -->\n"));

        if let Some(terraform) = &terraform {
            let fmt = Command::new(terraform)
                .args(["fmt", "-check", "-recursive", "-diff"])
                .arg(&out)
                .output()
                .unwrap();
            assert!(fmt.status.success(), "{name}: {}", text(&fmt));
        }
    }
}
