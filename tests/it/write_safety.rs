//! The write path under crashes, errors, concurrency, symlink races and odd file
//! systems: after any of them the output folder is the old output or the new one as
//! soon as hagen next runs, never a mix, and nothing outside it is touched.
//!
//! Crashes and errors are injected by the debug-build hook of `src/write/fsx.rs`:
//! `HAGEN_FAULT_AFTER_OPS=N` aborts the process right after its Nth file operation,
//! `HAGEN_FAULT_ERROR_AT=N` makes the Nth fail.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use proptest::prelude::*;

fn hagen() -> Command {
    let mut cmd = Command::cargo_bin("hagen").unwrap();
    cmd.env_remove("HAGEN_TEMPLATES")
        .env_remove("NO_COLOR")
        .env_remove("HAGEN_FAULT_AFTER_OPS")
        .env_remove("HAGEN_FAULT_ERROR_AT");
    cmd
}

fn render_cli(spec: &str, out: &Path, faults: &[(&str, u64)]) -> Output {
    let mut cmd = hagen();
    cmd.arg("render")
        .arg(crate::support::example(spec))
        .arg("-o")
        .arg(out);
    for (name, value) in faults {
        cmd.env(name, value.to_string());
    }
    cmd.output().unwrap()
}

fn check_cli(spec: &str, out: &Path) -> Output {
    hagen()
        .arg("check")
        .arg(crate::support::example(spec))
        .arg("-o")
        .arg(out)
        .output()
        .unwrap()
}

/// Every file under `dir` (hagen's own `.hagen/` aside) with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut found = BTreeMap::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((path, prefix)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&path) else {
            continue;
        };
        for entry in entries {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = format!("{prefix}{name}");
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                if rel != ".hagen" {
                    stack.push((entry.path(), format!("{rel}/")));
                }
            } else if kind.is_symlink() {
                found.insert(rel, b"<symlink>".to_vec());
            } else {
                found.insert(rel, std::fs::read(entry.path()).unwrap());
            }
        }
    }
    // The manifest a CLI render adds names the spec relative to the output folder, so it
    // differs between this folder and the twin it is compared with: it is left out of the
    // comparison (it is written in the same commit as the files it describes, and the
    // `check` runs below read it).
    found.remove(MANIFEST);
    found
}

const MANIFEST: &str = ".hagen-manifest.json";

/// What hagen keeps in `.hagen/` between runs: only the lock and its `.gitignore`.
/// `.hagen/` holds only what it holds between runs: the lock, its `.gitignore` and,
/// after a render that finished, the record of that render's inputs.
fn meta_is_clean(out: &Path) -> bool {
    let mut names: Vec<String> = std::fs::read_dir(out.join(".hagen"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != hagen::fingerprint::RECORD)
        .collect();
    names.sort();
    names == [".gitignore", "lock"]
}

/// A scratch folder, on tmpfs when there is one (fsync is free there; the crash tests
/// run hagen hundreds of times).
fn scratch() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(dir) = tempfile::tempdir_in(shm)
    {
        return dir;
    }
    tempfile::tempdir().unwrap()
}

/// `spec` rendered in memory, once per test binary.
fn rendered(spec: &str) -> hagen::render::Rendered {
    static CACHE: std::sync::Mutex<BTreeMap<String, hagen::render::Rendered>> =
        std::sync::Mutex::new(BTreeMap::new());
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    cache
        .entry(spec.to_string())
        .or_insert_with(|| hagen::render_spec(&crate::support::example(spec), None).unwrap())
        .clone()
}

/// The output folder of `spec` rendered over `before` by an undisturbed run: computed by
/// running hagen on a copy.
fn undisturbed(spec: &str, before: &BTreeMap<String, Vec<u8>>) -> BTreeMap<String, Vec<u8>> {
    let twin = scratch();
    for (rel, bytes) in before {
        let path = twin.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let _ = hagen::write::write(&rendered(spec), twin.path());
    files(twin.path())
}

/// A folder holding `old`'s output as `hagen render` writes it (with its manifest), a
/// user file and a `.terraform/` folder.
fn prepared(old: &str) -> tempfile::TempDir {
    let dir = scratch();
    let mut output = rendered(old);
    hagen::manifest::add(&mut output, &crate::support::example(old), dir.path(), None);
    hagen::write::write(&output, dir.path()).unwrap();
    std::fs::write(dir.path().join("mine.tf"), "# my own\n").unwrap();
    std::fs::create_dir(dir.path().join(".terraform")).unwrap();
    std::fs::write(dir.path().join(".terraform/x"), "provider\n").unwrap();
    dir
}

/// The two specs the crash tests switch between: the second adds and removes files.
const OLD: &str = "production";
const NEW: &str = "minimal";

#[cfg(unix)]
fn killed(output: &Output) -> bool {
    use std::os::unix::process::ExitStatusExt;
    output.status.signal().is_some()
}

#[test]
fn killed_at_every_step_the_next_run_finds_the_old_output_or_the_new_one() {
    let (mut old_seen, mut new_seen, mut steps) = (0, 0, 0);
    let before = files(prepared(OLD).path());
    let after = undisturbed(NEW, &before);
    assert_ne!(before, after);
    for n in 1.. {
        let dir = prepared(OLD);
        let out = dir.path();
        // `check` renders too: ask it on a sample of the steps, and always right after
        // the commit record appears.
        let ask_check = n % 8 == 0;
        let run = render_cli(NEW, out, &[("HAGEN_FAULT_AFTER_OPS", n)]);
        if run.status.success() {
            steps = n - 1;
            assert_eq!(files(out), after);
            break;
        }
        assert!(killed(&run), "step {n}: {run:?}");
        let committed = out.join(".hagen/journal").exists();
        // `check` never writes, and says so when a write is unfinished.
        if committed && (ask_check || new_seen == 0) {
            let check = check_cli(NEW, out);
            assert_eq!(check.status.code(), Some(2), "step {n}");
            let stderr = String::from_utf8_lossy(&check.stderr);
            assert!(
                stderr.contains(".hagen/journal") && stderr.contains("hagen render"),
                "{stderr}"
            );
            assert!(out.join(".hagen/journal").exists(), "check wrote");
        }
        // The next run (any hagen render) first recovers.
        hagen::write::recover_only(out).unwrap();
        let now = files(out);
        if now == before {
            assert!(!committed, "step {n}: a committed write was lost");
            old_seen += 1;
        } else {
            assert_eq!(now, after, "step {n}: a mixed folder");
            new_seen += 1;
        }
        assert!(meta_is_clean(out), "step {n}: leftovers in .hagen");
        // And `check` agrees with whichever it is.
        if ask_check {
            let spec = if now == before { OLD } else { NEW };
            assert_eq!(check_cli(spec, out).status.code(), Some(0), "step {n}");
        }
    }
    assert!(steps > 20, "only {steps} file operations?");
    assert!(
        old_seen > 0 && new_seen > 0,
        "{old_seen} old, {new_seen} new"
    );
}

#[test]
fn a_render_of_the_recorded_inputs_recovers_a_killed_write_before_it_trusts_the_record() {
    // The record says OLD; a render of NEW is killed at each step in turn; then OLD is
    // rendered again, which may take the shortcut of an up-to-date folder only once the
    // killed write is finished or undone (without that, `.hagen/` keeps the killed run's
    // staging folder). "wrote 0 files" is what either path says of an up-to-date folder.
    let (mut up_to_date, mut rolled_forward) = (0, 0);
    for n in (1..).step_by(3) {
        let dir = scratch();
        let out = dir.path().join("infra");
        assert!(render_cli(OLD, &out, &[]).status.success());
        let old = files(&out);
        let run = render_cli(NEW, &out, &[("HAGEN_FAULT_AFTER_OPS", n)]);
        if run.status.success() {
            break;
        }
        assert!(killed(&run), "step {n}: {run:?}");
        let committed = out.join(".hagen/journal").exists();
        let again = render_cli(OLD, &out, &[]);
        assert!(again.status.success(), "step {n}: {again:?}");
        assert_eq!(files(&out), old, "step {n}");
        assert!(meta_is_clean(&out), "step {n}: leftovers in .hagen");
        let said = String::from_utf8_lossy(&again.stderr);
        if committed {
            assert!(said.contains("finished the write"), "step {n}: {said}");
            rolled_forward += 1;
        }
        if said.contains("wrote 0 files") {
            up_to_date += 1;
        }
        assert_eq!(check_cli(OLD, &out).status.code(), Some(0), "step {n}");
    }
    assert!(
        up_to_date > 0 && rolled_forward > 0,
        "{up_to_date} up to date, {rolled_forward} rolled forward"
    );
}

#[test]
fn an_error_at_any_step_leaves_the_old_output_and_a_crash_while_restoring_too() {
    let (mut restored, mut successes) = (0, 0);
    let before = files(prepared(OLD).path());
    let after = undisturbed(NEW, &before);
    for n in 1.. {
        let dir = prepared(OLD);
        let out = dir.path();
        let run = render_cli(NEW, out, &[("HAGEN_FAULT_ERROR_AT", n)]);
        if run.status.success() {
            // Past the last operation (a failure to remove the staging folder after
            // the commit is ignored: the next run does it).
            assert_eq!(files(out), after);
            successes += 1;
            if successes == 5 {
                break;
            }
            continue;
        }
        assert_eq!(run.status.code(), Some(74), "step {n}: {run:?}");
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(stderr.contains("injected fault"), "{stderr}");
        assert!(!stderr.contains("tx-"), "names a staging path: {stderr}");
        let now = files(out);
        if stderr.contains("previous output was restored") {
            restored += 1;
        }
        // Only a failure after the last rename (removing the record) leaves the new
        // output, complete; anything earlier leaves the old one.
        assert!(now == before || now == after, "step {n}: mixed");
        if now == after {
            assert!(out.join(".hagen/journal").exists(), "step {n}");
        }
        hagen::write::recover_only(out).unwrap();
        assert!(files(out) == before || files(out) == after);
        assert!(meta_is_clean(out));

        // The same error, then a crash a few steps into the restore.
        if n % 6 != 0 {
            continue;
        }
        for extra in [2] {
            let dir = prepared(OLD);
            let out = dir.path();
            let run = render_cli(
                NEW,
                out,
                &[
                    ("HAGEN_FAULT_ERROR_AT", n),
                    ("HAGEN_FAULT_AFTER_OPS", n + extra),
                ],
            );
            if run.status.success() {
                continue;
            }
            hagen::write::recover_only(out).unwrap();
            let now = files(out);
            assert!(now == before || now == after, "step {n}+{extra}: mixed");
            assert!(meta_is_clean(out));
        }
    }
    assert!(restored > 10, "only {restored} restores");
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn killed_at_every_step_of_a_first_render_the_folder_is_absent_or_complete() {
    let complete = undisturbed(NEW, &BTreeMap::new());
    let (mut absent, mut whole) = (0, 0);
    for n in 1.. {
        let dir = scratch();
        let out = dir.path().join("infra");
        let run = render_cli(NEW, &out, &[("HAGEN_FAULT_AFTER_OPS", n)]);
        if run.status.success() {
            assert_eq!(files(&out), complete);
            assert_eq!(names(dir.path()), ["infra"], "leftovers beside the output");
            break;
        }
        assert!(killed(&run), "step {n}: {run:?}");
        // The folder appears in one step, complete, or not at all.
        if out.exists() {
            assert_eq!(files(&out), complete, "step {n}: a partial folder");
            whole += 1;
        } else {
            absent += 1;
        }
        // What the killed run was building beside the output goes with the next render.
        let again = render_cli(NEW, &out, &[]);
        assert!(again.status.success(), "step {n}: {again:?}");
        assert_eq!(files(&out), complete, "step {n}");
        assert_eq!(names(dir.path()), ["infra"], "step {n}: leftovers");
        assert!(meta_is_clean(&out), "step {n}");
    }
    assert!(
        absent > 20 && whole > 0,
        "{absent} absent, {whole} complete"
    );
}

#[test]
fn an_error_at_any_step_of_a_first_render_leaves_nothing_half_made() {
    let complete = undisturbed(NEW, &BTreeMap::new());
    for n in 1..=60 {
        let dir = scratch();
        let out = dir.path().join("infra");
        let run = render_cli(NEW, &out, &[("HAGEN_FAULT_ERROR_AT", n)]);
        // The folder beside the output is always removed: an error there means a
        // usual write instead, which reports its own errors under the user's path.
        let beside: Vec<String> = names(dir.path())
            .into_iter()
            .filter(|name| name != "infra")
            .collect();
        assert!(beside.is_empty(), "step {n}: left {beside:?}");
        if run.status.success() {
            assert_eq!(files(&out), complete, "step {n}");
        } else {
            assert_eq!(run.status.code(), Some(74), "step {n}: {run:?}");
            let stderr = String::from_utf8_lossy(&run.stderr);
            assert!(!stderr.contains("hagen-staging"), "step {n}: {stderr}");
            assert!(files(&out).is_empty(), "step {n}: a partial folder");
        }
        assert!(!out.exists() || meta_is_clean(&out), "step {n}");
    }
}

/// A first render stages each file as soon as it is made, on whichever core made it,
/// before it knows whether the rest renders: a template that fails after that (a file
/// that does not parse, an error in a template, an error in the README, made last) must
/// leave nothing behind, beside the output or in its place. So must one that does not
/// compile, while the second core may be beginning the folder.
#[test]
fn a_first_render_that_fails_after_staging_files_leaves_nothing() {
    let broken = [
        ("network.tf.j2", "resource \"x\" \"y\" {\n"),
        ("outputs.tf.j2", "{{ network.no_such_key.deeper }}\n"),
        (
            "README.md.j2",
            "# {{ name }}\n{{ module.no_such_key.deeper }}\n",
        ),
        // Compiled while the spec is validated: fails before any file is made.
        ("main.tf.j2", "x = 1\n{% if %}\n"),
    ];
    for (template, text) in broken {
        let dir = scratch();
        let templates = dir.path().join("templates");
        std::fs::create_dir(&templates).unwrap();
        std::fs::write(templates.join(template), text).unwrap();
        let run = hagen()
            .arg("render")
            .arg(crate::support::example(NEW))
            .arg("-o")
            .arg(dir.path().join("infra"))
            .arg("--templates")
            .arg(&templates)
            .output()
            .unwrap();
        assert!(!run.status.success(), "{template}: {run:?}");
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(stderr.contains(template), "{template}: {stderr}");
        assert_eq!(names(dir.path()), ["templates"], "{template}: leftovers");
    }
}

#[test]
fn a_first_render_leaves_what_a_render_into_an_empty_folder_leaves() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch();
    let (new, empty) = (dir.path().join("new"), dir.path().join("empty"));
    std::fs::create_dir(&empty).unwrap();
    for out in [&new, &empty] {
        let run = render_cli(NEW, out, &[]);
        assert!(run.status.success(), "{run:?}");
    }
    assert_eq!(files(&new), files(&empty));
    assert!(meta_is_clean(&new) && meta_is_clean(&empty));
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode();
    for rel in [
        "",
        "main.tf",
        "tests",
        ".hagen",
        ".hagen/lock",
        ".hagen/.gitignore",
    ] {
        assert_eq!(mode(&new.join(rel)), mode(&empty.join(rel)), "{rel}");
    }
    assert_eq!(names(dir.path()), ["empty", "new"]);
    // And `check` agrees.
    assert_eq!(check_cli(NEW, &new).status.code(), Some(0));
}

#[test]
fn stale_staging_folders_of_killed_runs_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("infra");
    // A first render, killed while it builds the folder beside the output.
    let run = render_cli(NEW, &out, &[("HAGEN_FAULT_AFTER_OPS", 3)]);
    assert!(killed(&run));
    assert!(!out.exists());
    assert!(
        names(dir.path())
            .iter()
            .any(|name| name.starts_with(".infra.hagen-staging-"))
    );
    let run = render_cli(NEW, &out, &[]);
    assert!(run.status.success(), "{run:?}");
    assert_eq!(names(dir.path()), ["infra"]);
    // A killed run into the existing folder: staged, not committed.
    let run = render_cli(OLD, &out, &[("HAGEN_FAULT_AFTER_OPS", 8)]);
    assert!(killed(&run));
    assert!(
        std::fs::read_dir(out.join(".hagen")).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with("tx-"))
    );
    // A killed run of an older hagen left its staging folder beside the output (this
    // pid is surely gone: above the Linux maximum).
    let legacy = dir.path().join(".infra.hagen-staging-4194999-0");
    std::fs::create_dir_all(legacy.join("tests")).unwrap();
    std::fs::write(legacy.join("main.tf"), "x").unwrap();
    let run = render_cli(NEW, &out, &[]);
    assert!(run.status.success(), "{run:?}");
    assert!(String::from_utf8_lossy(&run.stderr).contains("discarded"));
    assert!(meta_is_clean(&out));
    assert!(!legacy.exists());
}

#[test]
fn concurrent_renders_of_different_specs_never_mix_and_check_never_fails_midway() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("infra");
    let expect_old = undisturbed(OLD, &BTreeMap::new());
    let expect_new = undisturbed(NEW, &BTreeMap::new());
    let bin = assert_cmd::cargo::cargo_bin("hagen");
    for trial in 0..12 {
        let spawn = |args: &[&std::ffi::OsStr]| {
            std::process::Command::new(&bin)
                .args(args)
                .env_remove("HAGEN_FAULT_AFTER_OPS")
                .env_remove("HAGEN_FAULT_ERROR_AT")
                .stderr(std::process::Stdio::piped())
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        };
        let render = |spec: &str| {
            spawn(&[
                "render".as_ref(),
                crate::support::example(spec).as_os_str(),
                "-o".as_ref(),
                out.as_os_str(),
            ])
        };
        let (first, second) = if trial % 2 == 0 {
            (OLD, NEW)
        } else {
            (NEW, OLD)
        };
        let a = render(first);
        let b = render(second);
        let c = spawn(&[
            "check".as_ref(),
            crate::support::example(NEW).as_os_str(),
            "-o".as_ref(),
            out.as_os_str(),
        ]);
        for child in [a, b] {
            let done = child.wait_with_output().unwrap();
            assert!(done.status.success(), "trial {trial}: {done:?}");
        }
        let checked = c.wait_with_output().unwrap();
        assert!(
            matches!(checked.status.code(), Some(0 | 2)),
            "trial {trial}: check failed: {checked:?}"
        );
        let now = files(&out);
        assert!(
            now == expect_old || now == expect_new,
            "trial {trial}: mixed"
        );
        assert!(meta_is_clean(&out));
    }
}

/// A folder inside the output swapped for a symlink to somewhere else, over and over,
/// while hagen renders: nothing outside is ever written or deleted.
#[cfg(unix)]
#[test]
fn a_folder_swapped_for_a_symlink_mid_run_never_leads_outside() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("infra");
    let outside = tempfile::tempdir().unwrap();
    let old = hagen::render_spec(&crate::support::example(OLD), None).unwrap();
    let new = hagen::render_spec(&crate::support::example(NEW), None).unwrap();
    hagen::write::write(&old, &out).unwrap();
    // Bait: files that look generated, where the output's `tests/` files would be.
    for (rel, text) in old.iter().filter(|(rel, _)| rel.starts_with("tests/")) {
        let path = outside.path().join(&rel["tests/".len()..]);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let bait = files(outside.path());
    assert!(!bait.is_empty());
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while !stop.load(Ordering::SeqCst) {
                let tests = out.join("tests");
                let aside = out.join("tests.aside");
                if std::fs::rename(&tests, &aside).is_ok() {
                    let _ = std::os::unix::fs::symlink(outside.path(), &tests);
                    std::thread::yield_now();
                    let _ = std::fs::remove_file(&tests);
                    let _ = std::fs::rename(&aside, &tests);
                }
                std::thread::yield_now();
            }
        });
        for round in 0..60 {
            let rendered = if round % 2 == 0 { &new } else { &old };
            let _ = hagen::write::write(rendered, &out);
        }
        stop.store(true, Ordering::SeqCst);
    });
    assert_eq!(files(outside.path()), bait, "wrote or deleted outside");
}

/// `-o infra/` and `-o infra/.` follow the rule for `-o infra`: a symlink to a folder
/// outside the one holding it is refused.
#[cfg(unix)]
#[test]
fn trailing_slash_or_dot_does_not_bypass_the_output_symlink_rule() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let link = dir.path().join("infra");
    std::os::unix::fs::symlink(outside.path(), &link).unwrap();
    for form in ["infra", "infra/", "infra/.", "infra//./"] {
        let run = hagen()
            .current_dir(dir.path())
            .arg("render")
            .arg(crate::support::example(NEW))
            .args(["-o", form])
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(74), "{form}: {run:?}");
        assert!(String::from_utf8_lossy(&run.stderr).contains("symlink"));
        assert!(
            std::fs::read_dir(outside.path()).unwrap().next().is_none(),
            "{form} wrote through the link"
        );
    }
}

#[test]
fn an_unwritable_output_path_names_only_the_output() {
    let run = render_cli(NEW, Path::new("/proc/nope"), &[]);
    assert_eq!(run.status.code(), Some(74));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("/proc/nope"), "{stderr}");
    assert!(
        !stderr.contains("staging") && !stderr.contains(".hagen"),
        "{stderr}"
    );
}

/// Runs `script` (with `$HAGEN` and `$SPEC_A`/`$SPEC_B` set) in a private mount
/// namespace; `None` when the machine does not allow one.
fn in_mount_namespace(script: &str) -> Option<Output> {
    let root = rustix_is_root();
    let mut probe = std::process::Command::new("unshare");
    if !root {
        probe.arg("-r");
    }
    let scratch = tempfile::tempdir().unwrap();
    probe
        .args(["-m", "sh", "-c", "mount -t tmpfs none \"$0\""])
        .arg(scratch.path());
    let allowed = probe.output().is_ok_and(|o| o.status.success());
    if !allowed {
        return None;
    }
    let mut cmd = std::process::Command::new("unshare");
    if !root {
        cmd.arg("-r");
    }
    cmd.args(["-m", "sh", "-ec", script])
        .env("HAGEN", assert_cmd::cargo::cargo_bin("hagen"))
        .env("SPEC_A", crate::support::example(OLD))
        .env("SPEC_B", crate::support::example(NEW))
        .env_remove("HAGEN_FAULT_AFTER_OPS")
        .env_remove("HAGEN_FAULT_ERROR_AT");
    Some(cmd.output().unwrap())
}

fn rustix_is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The output folder is a mount point (a Docker volume, a tmpfs) inside a read-only
/// folder: staging inside it means no rename crosses a device and nothing is written
/// beside it.
#[test]
fn an_output_folder_that_is_a_mount_point_in_a_read_only_parent_works() {
    let dir = tempfile::tempdir().unwrap();
    let script = format!(
        r#"
        P='{parent}'
        mount -t tmpfs none "$P"
        mkdir "$P/out"
        mount -t tmpfs none "$P/out"
        mount -o remount,ro,bind "$P"
        if touch "$P/probe" 2>/dev/null; then echo "parent is writable"; exit 3; fi
        "$HAGEN" render "$SPEC_A" -o "$P/out"
        "$HAGEN" render "$SPEC_B" -o "$P/out"
        "$HAGEN" check "$SPEC_B" -o "$P/out"
        "$HAGEN" render "$SPEC_A" -o "$P/out/"
        "$HAGEN" check "$SPEC_A" -o "$P/out/."
        # A read-only output folder that is up to date: nothing to write, success.
        mount -o remount,ro "$P/out"
        "$HAGEN" render "$SPEC_A" -o "$P/out"
        if "$HAGEN" render "$SPEC_B" -o "$P/out" 2>/dev/null; then echo "wrote read-only"; exit 4; fi
        "#,
        parent = dir.path().display()
    );
    let Some(run) = in_mount_namespace(&script) else {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "skipped: this machine does not allow a private mount namespace (unshare -m)"
        );
        return;
    };
    assert!(run.status.success(), "{run:?}");
}

/// Without root: a writable output folder inside a read-only (mode 555) parent.
#[cfg(unix)]
#[test]
fn an_output_folder_in_a_read_only_parent_works() {
    use std::os::unix::fs::PermissionsExt;
    if rustix_is_root() {
        eprintln!("skipped: root ignores folder permissions (the mount test covers this)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("infra");
    std::fs::create_dir(&out).unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
    let first = render_cli(OLD, &out, &[]);
    let second = render_cli(NEW, &out, &[]);
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(first.status.success(), "{first:?}");
    assert!(second.status.success(), "{second:?}");
}

#[derive(Debug, Clone)]
enum Step {
    Render(usize),
    RenderKilled(usize, u64),
    EditBody(usize),
    DropHeader(usize),
    Delete(usize),
    AddUserFile(usize),
}

const SPECS: [&str; 3] = ["production", "minimal", "ecs-rds"];

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..SPECS.len()).prop_map(Step::Render),
        (0..SPECS.len(), 1u64..120).prop_map(|(s, n)| Step::RenderKilled(s, n)),
        any::<usize>().prop_map(Step::EditBody),
        any::<usize>().prop_map(Step::DropHeader),
        any::<usize>().prop_map(Step::Delete),
        (0..4usize).prop_map(Step::AddUserFile),
    ]
}

/// Picks one of the files of `out` (not in dot-folders).
fn pick(out: &Path, index: usize) -> Option<PathBuf> {
    let all: Vec<String> = files(out)
        .into_keys()
        .filter(|rel| !rel.starts_with('.'))
        .collect();
    (!all.is_empty()).then(|| out.join(&all[index % all.len()]))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]

    /// Random sequences of renders of different specs, hand edits and kills: after
    /// each render (killed or not, then recovered) the folder is exactly what it was
    /// before or exactly what an undisturbed render makes of it.
    #[test]
    fn renders_edits_and_kills_in_any_order_never_mix(steps in prop::collection::vec(step(), 1..7)) {
        let dir = scratch();
        let out = dir.path().join("infra");
        for step in steps {
            let before = files(&out);
            match step {
                Step::Render(s) => {
                    let after = undisturbed(SPECS[s], &before);
                    let _ = render_cli(SPECS[s], &out, &[]);
                    prop_assert_eq!(files(&out), after);
                }
                Step::RenderKilled(s, n) => {
                    let after = undisturbed(SPECS[s], &before);
                    let _ = render_cli(SPECS[s], &out, &[("HAGEN_FAULT_AFTER_OPS", n)]);
                    hagen::write::recover_only(&out).unwrap();
                    let now = files(&out);
                    prop_assert!(now == before || now == after, "mixed after a kill at {}", n);
                }
                Step::EditBody(i) => {
                    if let Some(path) = pick(&out, i) {
                        let mut text = std::fs::read(&path).unwrap();
                        text.extend_from_slice(b"\n# edited by hand\n");
                        std::fs::write(path, text).unwrap();
                    }
                }
                Step::DropHeader(i) => {
                    if let Some(path) = pick(&out, i) {
                        std::fs::write(path, "# mine now\n").unwrap();
                    }
                }
                Step::Delete(i) => {
                    if let Some(path) = pick(&out, i) {
                        std::fs::remove_file(path).unwrap();
                    }
                }
                Step::AddUserFile(i) => {
                    std::fs::create_dir_all(&out).unwrap();
                    std::fs::write(out.join(format!("user-{i}.tf")), "# user\n").unwrap();
                }
            }
        }
    }
}

/// A render waits for the lock another run holds, and says so; it goes on when the lock
/// is released.
#[cfg(unix)]
#[test]
fn a_second_render_waits_for_the_lock_and_says_so() {
    use std::io::Read;
    let dir = scratch();
    let out = dir.path().join("infra");
    hagen::write::write(&rendered(OLD), &out).unwrap();
    let lock = std::fs::File::options()
        .read(true)
        .write(true)
        .open(out.join(".hagen/lock"))
        .unwrap();
    rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive).unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("hagen"))
        .arg("render")
        .arg(crate::support::example(NEW))
        .arg("-o")
        .arg(&out)
        .env_remove("HAGEN_FAULT_AFTER_OPS")
        .env_remove("HAGEN_FAULT_ERROR_AT")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert!(child.try_wait().unwrap().is_none(), "did not wait");
    assert_eq!(
        files(&out),
        undisturbed(OLD, &BTreeMap::new()),
        "wrote while locked"
    );
    drop(lock);
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(status.success(), "{stderr}");
    assert!(stderr.contains("waiting for another hagen run"), "{stderr}");
    assert_eq!(files(&out), undisturbed(NEW, &BTreeMap::new()));
}
