//! Upgrades never lose data: resource addresses are a contract. A module rendered by the
//! last release (v0.1.0), re-rendered by this version and applied, must find every one of
//! its resources again, at the same address or through a `moved` block; otherwise
//! Terraform destroys it (a database, a table, a bucket) and creates an empty one.
//!
//! tests/fixtures/addresses/<example>.txt holds the resource addresses each example had in
//! v0.1.0 (generated from that release's rendering by tests/fixtures/addresses/generate.sh).
//! The end-to-end proof on the emulator is `HAGEN_EMULATOR_UPGRADE=1 tests/emulator/run.sh`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::support;

/// The release the inventories were taken from.
const RELEASE: &str = "v0.1.0";

fn inventory_dir() -> PathBuf {
    support::repo_root().join("tests/fixtures/addresses")
}

/// Resource addresses (`type.name`) and `moved` blocks (`from` -> `to`) of a rendering.
struct Addresses {
    resources: BTreeSet<String>,
    moved: BTreeMap<String, String>,
}

fn expression_text(body: &hcl::Body, key: &str) -> Option<String> {
    let expr = body.attributes().find(|attr| attr.key() == key)?.expr();
    Some(
        hcl::format::to_string(expr)
            .ok()?
            .split_whitespace()
            .collect(),
    )
}

fn addresses<'a>(files: impl IntoIterator<Item = (&'a String, &'a String)>) -> Addresses {
    let mut found = Addresses {
        resources: BTreeSet::new(),
        moved: BTreeMap::new(),
    };
    for (path, text) in files {
        // The module's own files only: tests/*.tftest.hcl are not part of its state.
        if !path.ends_with(".tf") || path.contains('/') {
            continue;
        }
        let body = hcl::parse(text).unwrap_or_else(|err| panic!("{path}: {err}"));
        for block in body.blocks() {
            match block.identifier() {
                "resource" => {
                    let labels = block.labels();
                    found.resources.insert(format!(
                        "{}.{}",
                        labels[0].as_str(),
                        labels[1].as_str()
                    ));
                }
                "moved" => {
                    let from = expression_text(block.body(), "from").expect("moved.from");
                    let to = expression_text(block.body(), "to").expect("moved.to");
                    found.moved.insert(from, to);
                }
                _ => {}
            }
        }
    }
    found
}

/// The released addresses the current rendering lost: neither present any more nor moved
/// to an address that is present.
fn lost(released: &BTreeSet<String>, current: &Addresses) -> Vec<String> {
    released
        .iter()
        .filter(|address| !current.resources.contains(*address))
        .filter(|address| {
            // `moved` may name the whole resource or one of its instances.
            !current.moved.iter().any(|(from, to)| {
                let base = |a: &str| a.split('[').next().unwrap_or(a).to_string();
                base(from) == **address && current.resources.contains(&base(to))
            })
        })
        .cloned()
        .collect()
}

fn read_inventory(name: &str) -> Option<BTreeSet<String>> {
    let text = std::fs::read_to_string(inventory_dir().join(format!("{name}.txt"))).ok()?;
    Some(
        text.lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(str::to_string)
            .collect(),
    )
}

#[test]
fn no_address_of_the_last_release_disappears_without_a_moved_block() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for spec in support::example_specs() {
        let name = support::example_name(&spec);
        // Examples added after the release have no inventory: nothing to keep yet.
        let Some(released) = read_inventory(&name) else {
            continue;
        };
        assert!(!released.is_empty(), "{name}: empty inventory");
        checked += 1;
        let current = addresses(&support::render(&spec));
        let lost = lost(&released, &current);
        if !lost.is_empty() {
            failures.push(format!(
                "{name}: these {RELEASE} addresses are gone without a `moved` block \
                 (Terraform would destroy them on upgrade; add `moved` blocks to \
                 templates/aws/moved.tf.j2):\n  {}",
                lost.join("\n  ")
            ));
        }
        // Every `moved` block must land on an address that exists, or Terraform rejects it.
        for (from, to) in &current.moved {
            let base = to.split('[').next().unwrap_or(to);
            if !current.resources.contains(base) {
                failures.push(format!(
                    "{name}: moved {from} -> {to}, which does not exist"
                ));
            }
        }
    }
    // The inventories exist for the examples that were released; a test that checks
    // nothing would pass for the wrong reason.
    assert!(
        checked >= 5,
        "only {checked} inventories in tests/fixtures/addresses"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_inventory_belongs_to_an_example() {
    // Dropping an example must not silently drop its contract.
    let examples: BTreeSet<String> = support::example_specs()
        .iter()
        .map(|spec| support::example_name(spec))
        .collect();
    for entry in std::fs::read_dir(inventory_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "txt") {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            assert!(
                examples.contains(&name),
                "tests/fixtures/addresses/{name}.txt has no examples/{name}.yaml"
            );
        }
    }
}

#[test]
fn the_check_catches_a_lost_address_and_accepts_a_moved_one() {
    let released: BTreeSet<String> = ["aws_s3_bucket.this", "aws_db_instance.this"]
        .map(String::from)
        .into();
    let renamed = |moved: &str| {
        let files = BTreeMap::from([(
            "main.tf".to_string(),
            format!(
                "resource \"aws_db_instance\" \"main\" {{}}\nresource \"aws_s3_bucket\" \"this\" {{}}\n{moved}"
            ),
        )]);
        addresses(&files)
    };
    assert_eq!(lost(&released, &renamed("")), ["aws_db_instance.this"]);
    let moved = "moved {\n  from = aws_db_instance.this\n  to   = aws_db_instance.main\n}\n";
    assert!(lost(&released, &renamed(moved)).is_empty());
    // A moved block to an address that does not exist does not count.
    let wrong = "moved {\n  from = aws_db_instance.this\n  to   = aws_db_instance.other\n}\n";
    assert_eq!(lost(&released, &renamed(wrong)), ["aws_db_instance.this"]);
}

#[test]
fn the_released_production_rendering_is_stored_for_the_emulator_upgrade_test() {
    // tests/emulator/run.sh (HAGEN_EMULATOR_UPGRADE=1) applies this rendering, renders the
    // current version over it and plans: it must be the release's own output.
    let dir = support::repo_root().join(format!("tests/fixtures/{RELEASE}/production"));
    let main = std::fs::read_to_string(dir.join("main.tf")).expect("stored rendering");
    assert!(
        main.contains("Generated by hagen"),
        "main.tf is not hagen's output"
    );
    let files: BTreeMap<String, String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "tf"))
        .map(|path| {
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&path).unwrap(),
            )
        })
        .collect();
    let stored = addresses(&files).resources;
    assert_eq!(
        Some(stored),
        read_inventory("production"),
        "the stored {RELEASE} production rendering and its address inventory disagree"
    );
}
