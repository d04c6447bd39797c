//! `check`'s shortcut (`src/fingerprint.rs`): after a render, a `check` of unchanged
//! inputs and files answers without rendering; every other case renders in full and
//! reports exactly what a `check` without the record reports.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

const SHORTCUT: &str = "inputs and files unchanged since hagen rendered them";

/// A project folder of its own: `options.yaml` (which names a user-data file), that
/// file, a user template, and the output rendered with them into `infra/`.
struct Project {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Project {
    fn rendered() -> Project {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        for file in ["options.yaml", "blog-user-data.sh"] {
            let example = crate::support::repo_root().join("examples").join(file);
            std::fs::copy(example, root.join(file)).unwrap();
        }
        std::fs::create_dir(root.join("templates")).unwrap();
        std::fs::write(
            root.join("templates/extra.tf.j2"),
            "locals {\n  extra = 1\n}\n",
        )
        .unwrap();
        let project = Project { _dir: dir, root };
        let run = project.render();
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        assert!(
            project.root.join("infra/.hagen/inputs").is_file(),
            "render records its inputs"
        );
        project
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    fn hagen(&self, args: &[&str]) -> Output {
        Command::cargo_bin("hagen")
            .unwrap()
            .current_dir(&self.root)
            .env_remove("HAGEN_TEMPLATES")
            .env("NO_COLOR", "1")
            .args(args)
            .output()
            .unwrap()
    }

    fn render(&self) -> Output {
        self.hagen(&[
            "render",
            "options.yaml",
            "-o",
            "infra",
            "--templates",
            "templates",
        ])
    }

    fn check(&self) -> Output {
        self.hagen(&[
            "check",
            "options.yaml",
            "-o",
            "infra",
            "--templates",
            "templates",
        ])
    }
}

fn append(path: &Path, text: &str) {
    let mut old = std::fs::read_to_string(path).unwrap();
    old.push_str(text);
    std::fs::write(path, old).unwrap();
}

/// Changes a project the way users and accidents do.
type Change = (&'static str, fn(&Project));

const CHANGES: &[Change] = &[
    ("nothing", |_| {}),
    ("a generated file edited", |p| {
        append(&p.path("infra/main.tf"), "# edited\n")
    }),
    ("a generated file removed", |p| {
        std::fs::remove_file(p.path("infra/network.tf")).unwrap()
    }),
    ("a stale generated file added", |p| {
        std::fs::copy(p.path("infra/main.tf"), p.path("infra/old.tf")).unwrap();
    }),
    ("a generated file replaced by a user file", |p| {
        std::fs::write(p.path("infra/storage.tf"), "# mine\n").unwrap();
    }),
    ("the manifest edited", |p| {
        append(&p.path("infra/.hagen-manifest.json"), " ")
    }),
    ("a comment added to the spec", |p| {
        append(&p.path("options.yaml"), "# note\n")
    }),
    ("a value changed in the spec", |p| {
        let spec = std::fs::read_to_string(p.path("options.yaml")).unwrap();
        std::fs::write(p.path("options.yaml"), spec.replace("name: ", "name: x")).unwrap();
    }),
    ("the user-data file edited", |p| {
        append(&p.path("blog-user-data.sh"), "echo changed\n")
    }),
    ("a user template edited", |p| {
        append(&p.path("templates/extra.tf.j2"), "# more\n")
    }),
    ("a user template added", |p| {
        std::fs::write(p.path("templates/more.tf.j2"), "locals {\n  more = 2\n}\n").unwrap();
    }),
    ("an interrupted write recorded", |p| {
        std::fs::write(p.path("infra/.hagen/journal"), "{}").unwrap();
    }),
    ("the record corrupted", |p| {
        std::fs::write(p.path("infra/.hagen/inputs"), "{").unwrap()
    }),
    ("the record grown past any real one", |p| {
        std::fs::write(p.path("infra/.hagen/inputs"), " ".repeat(100_000)).unwrap();
    }),
    ("the record replaced by a folder", |p| {
        // (The project without a record has none to remove.)
        let _ = std::fs::remove_file(p.path("infra/.hagen/inputs"));
        std::fs::create_dir(p.path("infra/.hagen/inputs")).unwrap();
    }),
];

/// Whatever changed, `check` with the record says exactly what `check` without it says
/// (same exit code, same output), and takes the shortcut only when nothing did.
#[test]
fn check_with_the_record_says_what_a_full_check_says() {
    for (what, change) in CHANGES {
        let with_record = Project::rendered();
        let without_record = Project::rendered();
        std::fs::remove_file(without_record.path("infra/.hagen/inputs")).unwrap();
        change(&with_record);
        change(&without_record);
        let (fast, full) = (with_record.check(), without_record.check());
        assert_eq!(fast.status.code(), full.status.code(), "{what}");
        assert_eq!(
            String::from_utf8_lossy(&fast.stdout),
            String::from_utf8_lossy(&full.stdout),
            "{what}"
        );
        let fast_err = String::from_utf8_lossy(&fast.stderr);
        let full_err = String::from_utf8_lossy(&full.stderr);
        let took_shortcut = fast_err.contains(SHORTCUT);
        assert_eq!(took_shortcut, *what == "nothing", "{what}: {fast_err}");
        assert_eq!(
            fast_err
                .replace(&format!(" ({SHORTCUT})"), "")
                .replace(&*with_record.root.to_string_lossy(), "ROOT"),
            full_err.replace(&*without_record.root.to_string_lossy(), "ROOT"),
            "{what}"
        );
        assert!(!full_err.contains(SHORTCUT), "{what}");
    }
}

/// The shortcut holds only for the way the folder was rendered: the same paths, the same
/// templates option.
#[test]
fn the_shortcut_is_for_the_same_command_only() {
    let project = Project::rendered();
    assert!(String::from_utf8_lossy(&project.check().stderr).contains(SHORTCUT));
    // Without `--templates`: renders in full, and finds the user template's file stale.
    let run = project.hagen(&["check", "options.yaml", "-o", "infra"]);
    assert_eq!(run.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&run.stderr).contains(SHORTCUT));
    // The same folder named another way: renders in full, and agrees it is up to date.
    let run = project.hagen(&[
        "check",
        "./options.yaml",
        "-o",
        "infra/",
        "--templates",
        "templates",
    ]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!stderr.contains(SHORTCUT), "{stderr}");
    // A render records again, and the shortcut is back.
    assert!(project.render().status.success());
    assert!(String::from_utf8_lossy(&project.check().stderr).contains(SHORTCUT));
}

/// What the shortcut trusts, stated by a test: the record. A generated file edited
/// together with the manifest's hash of it and the record's hash of the manifest passes;
/// this is the one edit it cannot see (the module documentation says so), and a full
/// check (no record, as in a fresh clone) still catches it.
#[test]
fn the_shortcut_trusts_the_record_and_nothing_else() {
    let project = Project::rendered();
    let main = project.path("infra/main.tf");
    let edited = std::fs::read_to_string(&main).unwrap() + "# edited\n";
    std::fs::write(&main, &edited).unwrap();
    let sha = hagen::manifest::checksum;
    let manifest_path = project.path("infra/.hagen-manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest_path).unwrap()).unwrap();
    manifest["files"]["main.tf"] = sha(&edited).into();
    let manifest_text = serde_json::to_string_pretty(&manifest).unwrap() + "\n";
    std::fs::write(&manifest_path, &manifest_text).unwrap();
    let record_path = project.path("infra/.hagen/inputs");
    let mut record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&record_path).unwrap()).unwrap();
    record["manifest"] = sha(&manifest_text).into();
    std::fs::write(&record_path, record.to_string()).unwrap();
    let run = project.check();
    assert_eq!(run.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&run.stderr).contains(SHORTCUT));
    std::fs::remove_file(&record_path).unwrap();
    assert_eq!(project.check().status.code(), Some(2));
}
