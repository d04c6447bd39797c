//! The pre-commit hooks of `.pre-commit-hooks.yaml`, run by the real `pre-commit` (from
//! PyPI) in a throwaway git repository: the check passes when the module is up to date
//! and fails with the diff after a generated file is edited; the render hook repairs it.
//!
//! `pre-commit` is taken from PATH, else from `target/ci` (where `.ci/run` installs it),
//! else installed there into a venv. With CI=true a missing `pre-commit` fails the test;
//! elsewhere (no python3, no network) the test prints that it was skipped.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The version `.ci/run` pins.
const PRE_COMMIT_VERSION: &str = "4.5.1";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn in_ci() -> bool {
    crate::support::in_ci()
}

fn works(program: &Path) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn find_or_install_pre_commit() -> Result<PathBuf, String> {
    let on_path = PathBuf::from("pre-commit");
    if works(&on_path) {
        return Ok(on_path);
    }
    let ci_cache = repo().join("target/ci");
    let linked = ci_cache.join("bin/pre-commit");
    if works(&linked) {
        return Ok(linked);
    }
    let venv = ci_cache.join("venv/pre-commit");
    let installed = venv.join("bin/pre-commit");
    if works(&installed) {
        return Ok(installed);
    }
    let status = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .map_err(|e| format!("python3 is not available: {e}"))?;
    if !status.success() {
        return Err("python3 -m venv failed".into());
    }
    let pip = Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet"])
        .arg(format!("pre-commit=={PRE_COMMIT_VERSION}"))
        .output()
        .map_err(|e| format!("pip failed to start: {e}"))?;
    if !pip.status.success() {
        return Err(format!(
            "pip install pre-commit failed: {}",
            String::from_utf8_lossy(&pip.stderr)
        ));
    }
    // The stamp `.ci/run` uses, so it reuses this venv.
    let _ = std::fs::write(
        venv.join(".hagen-pin"),
        format!("pre-commit=={PRE_COMMIT_VERSION}\n"),
    );
    if works(&installed) {
        Ok(installed)
    } else {
        Err("pre-commit does not run after installing it".into())
    }
}

fn git(dir: &Path, args: &[&str]) {
    let output = Command::new("git")
        .args([
            "-c",
            "user.name=hagen test",
            "-c",
            "user.email=test@example.com",
            "-c",
            "commit.gpgsign=false",
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
}

fn run_hooks(pre_commit: &Path, project: &Path, home: &Path) -> Output {
    let hagen_dir = Path::new(env!("CARGO_BIN_EXE_hagen")).parent().unwrap();
    let path = std::env::join_paths(std::iter::once(hagen_dir.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    Command::new(pre_commit)
        .args(["run", "--all-files", "--color", "never"])
        .current_dir(project)
        .env("PATH", path)
        .env("PRE_COMMIT_HOME", home)
        .env_remove("HAGEN_TEMPLATES")
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn pre_commit_hooks_check_and_render_the_module() {
    let pre_commit = match find_or_install_pre_commit() {
        Ok(path) => path,
        Err(why) if !in_ci() => {
            eprintln!("skipped: pre-commit is not available ({why})");
            return;
        }
        Err(why) => panic!("CI=true but pre-commit is not available: {why}"),
    };
    let temp = tempfile::tempdir().unwrap();
    let home = temp.path().join("pre-commit-home");

    // A hooks repository holding this checkout's `.pre-commit-hooks.yaml`.
    let hooks = temp.path().join("hooks");
    std::fs::create_dir(&hooks).unwrap();
    std::fs::copy(
        repo().join(".pre-commit-hooks.yaml"),
        hooks.join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    git(&hooks, &["init", "-q"]);
    git(&hooks, &["add", ".pre-commit-hooks.yaml"]);
    git(&hooks, &["commit", "-q", "-m", "hooks"]);
    let rev = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(&hooks)
        .output()
        .unwrap();
    let rev = String::from_utf8(rev.stdout).unwrap().trim().to_string();

    // A project with a spec and its rendered module.
    let project = temp.path().join("project");
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
    let config = |hook: &str| {
        format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: {hook}\n        args: [app.yaml, -o, infra]\n",
            hooks.display()
        )
    };
    std::fs::write(
        project.join(".pre-commit-config.yaml"),
        config("hagen-check"),
    )
    .unwrap();
    git(&project, &["init", "-q"]);
    git(&project, &["add", "."]);

    let up_to_date = run_hooks(&pre_commit, &project, &home);
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
    let drifted = run_hooks(&pre_commit, &project, &home);
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
    std::fs::write(
        project.join(".pre-commit-config.yaml"),
        config("hagen-render"),
    )
    .unwrap();
    git(&project, &["add", ".pre-commit-config.yaml"]);
    let repaired = run_hooks(&pre_commit, &project, &home);
    assert!(!repaired.status.success(), "{}", text(&repaired));
    assert!(
        !std::fs::read_to_string(&main)
            .unwrap()
            .contains("# hand edit")
    );
    git(&project, &["add", "."]);
    let again = run_hooks(&pre_commit, &project, &home);
    assert!(again.status.success(), "{}", text(&again));
}
