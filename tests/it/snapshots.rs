//! Snapshots of every file rendered from every valid spec (bundled examples and
//! `tests/fixtures/valid/`), and proof that rendering
//! is deterministic: byte-identical across runs, whatever the working directory and
//! however the spec path is written.
//!
//! One snapshot per (example, file) under `snapshots/<example>/`, plus `files.snap`, the
//! list of files, so a file that appears or disappears shows in the review like any
//! other change, and a template change shows as a diff of the files it changes. After a
//! deliberate template change, run `INSTA_UPDATE=always cargo test --test it snapshots::`
//! (or `cargo insta review`) and read the changed `.snap` files before committing them.

use crate::support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// Snapshot name of a rendered file: its path with `/` as `__` (snapshot names are
/// file names).
fn snapshot_name(path: &str) -> String {
    path.replace('/', "__")
}

#[test]
fn rendered_examples() {
    for spec in support::valid_specs() {
        let name = support::example_name(&spec);
        let rendered = support::render(&spec);
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(format!("snapshots/{name}"));
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.set_input_file(&spec);
        settings.bind(|| {
            let files: Vec<&str> = rendered.keys().map(String::as_str).collect();
            insta::assert_snapshot!("files", files.join("\n"));
            for (path, contents) in &rendered {
                insta::assert_snapshot!(snapshot_name(path), contents);
            }
        });
    }
}

#[test]
fn rendering_twice_is_byte_identical() {
    for spec in support::valid_specs() {
        let first = support::render(&spec);
        let second = support::render(&spec);
        assert_eq!(
            first,
            second,
            "{} renders differently on a second run",
            spec.display()
        );
    }
}

/// Every regular file under `dir`, by path relative to it, with its bytes.
fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, into: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(base, &path, into);
            } else {
                let relative = path.strip_prefix(base).unwrap().to_string_lossy();
                into.insert(relative.replace('\\', "/"), std::fs::read(&path).unwrap());
            }
        }
    }
    let mut files = BTreeMap::new();
    walk(dir, dir, &mut files);
    files
}

/// Copies `examples/` (specs and the files they reference) into `dir`.
fn copy_examples(dir: &Path) -> PathBuf {
    let target = dir.join("examples");
    std::fs::create_dir_all(&target).unwrap();
    for entry in std::fs::read_dir(support::repo_root().join("examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, target.join(path.file_name().unwrap())).unwrap();
        }
    }
    target
}

#[test]
fn output_does_not_depend_on_cwd_or_absolute_spec_path() {
    let scratch = tempfile::tempdir().unwrap();
    // Two copies of the examples at different absolute paths and depths.
    let shallow = copy_examples(&scratch.path().join("a"));
    let deep = copy_examples(&scratch.path().join("some/much/deeper/checkout"));
    let elsewhere = scratch.path().join("unrelated-cwd");
    std::fs::create_dir_all(&elsewhere).unwrap();

    for spec in support::example_specs() {
        let file_name = spec.file_name().unwrap();
        let name = support::example_name(&spec);

        // Relative spec path, run from the spec's folder, relative output folder.
        let relative_out = shallow.join(format!("out-{name}"));
        Command::cargo_bin("hagen")
            .unwrap()
            .current_dir(&shallow)
            .arg("render")
            .arg(file_name)
            .arg("-o")
            .arg(format!("out-{name}"))
            .env("NO_COLOR", "1")
            .assert()
            .success();

        // Absolute spec path elsewhere, run from an unrelated folder.
        let absolute_out = scratch.path().join(format!("abs-out-{name}"));
        Command::cargo_bin("hagen")
            .unwrap()
            .current_dir(&elsewhere)
            .arg("render")
            .arg(deep.join(file_name))
            .arg("-o")
            .arg(&absolute_out)
            .env("NO_COLOR", "1")
            .assert()
            .success();

        let relative = read_tree(&relative_out);
        let absolute = read_tree(&absolute_out);
        assert!(!relative.is_empty(), "{name}: nothing was written");
        assert_eq!(
            relative.keys().collect::<Vec<_>>(),
            absolute.keys().collect::<Vec<_>>(),
            "{name}: a different set of files depending on cwd / spec path"
        );
        for (path, bytes) in &relative {
            if path == hagen::manifest::FILE {
                continue; // below: it records where the spec is, seen from the output
            }
            if path.starts_with(".hagen/") {
                continue; // hagen's local state: the record hashes the paths as given
            }
            assert!(
                bytes == &absolute[path],
                "{name}: {path} differs between a relative and an absolute spec path"
            );
        }
        // The manifest differs only in the spec's path relative to the output folder, and
        // that path leads to the spec each time.
        let manifest =
            |bytes: &[u8]| -> serde_json::Value { serde_json::from_slice(bytes).unwrap() };
        let mut from_relative = manifest(&relative[hagen::manifest::FILE]);
        let mut from_absolute = manifest(&absolute[hagen::manifest::FILE]);
        for (out, record, spec_at) in [
            (&relative_out, &mut from_relative, shallow.join(file_name)),
            (&absolute_out, &mut from_absolute, deep.join(file_name)),
        ] {
            let spec_path = record["spec"].take();
            let resolved = out.join(spec_path.as_str().unwrap());
            assert_eq!(
                resolved.canonicalize().unwrap(),
                spec_at.canonicalize().unwrap(),
                "{name}: the manifest's spec path"
            );
        }
        assert_eq!(from_relative, from_absolute, "{name}: manifests differ");

        // And the files on disk are exactly what the library renders in memory from the
        // repository's own copy (no machine-specific paths leak into either).
        let in_memory = support::render(&spec);
        for (path, text) in &in_memory {
            assert_eq!(
                relative.get(path).map(Vec::as_slice),
                Some(text.as_bytes()),
                "{name}: {path} on disk differs from the in-memory rendering"
            );
        }
        let scratch_text = scratch.path().to_string_lossy();
        for (path, bytes) in &relative {
            assert!(
                !String::from_utf8_lossy(bytes).contains(scratch_text.as_ref()),
                "{name}: {path} contains the absolute path of the spec's folder"
            );
        }
    }
}
