//! README.md carries the spec reference generated from the schema, so it can never drift
//! from the contract. Regenerate with `HAGEN_UPDATE_README=1 cargo test --test it readme::`.

const START: &str =
    "<!-- spec-reference:start (generated from schemas/hagen.schema.json; do not edit) -->\n";
const END: &str = "<!-- spec-reference:end -->";

#[test]
fn readme_spec_reference_matches_schema() {
    let table = hagen::reference::spec_reference_markdown(hagen::schema::schema());
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let (before, rest) = readme
        .split_once(START)
        .expect("README has the spec-reference start marker");
    let (current, after) = rest
        .split_once(END)
        .expect("README has the spec-reference end marker");
    if current != table {
        if std::env::var_os("HAGEN_UPDATE_README").is_some() {
            std::fs::write(path, format!("{before}{START}{table}{END}{after}")).unwrap();
        } else {
            panic!(
                "README.md's spec reference is out of date with the schema; run \
                 `HAGEN_UPDATE_README=1 cargo test --test it readme::`"
            );
        }
    }
}

#[test]
fn readme_opens_with_the_render_and_test_commands() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let first_block: Vec<&str> = readme
        .split("```")
        .nth(1)
        .unwrap_or_default()
        .lines()
        .collect();
    assert!(
        first_block.iter().any(|l| l.contains("render examples/")),
        "{first_block:?}"
    );
    assert!(
        first_block.iter().any(|l| l.contains("cargo test")),
        "{first_block:?}"
    );
}

/// The commands of README's first code block, without their trailing comments.
fn first_commands() -> Vec<String> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let block = readme.split("```").nth(1).unwrap_or_default();
    block
        .lines()
        .skip(1) // the fence's language
        .map(|line| match line.find("  #") {
            Some(comment) => line[..comment].trim_end().to_string(),
            None => line.trim_end().to_string(),
        })
        .filter(|line| !line.is_empty())
        .collect()
}

/// README's first two commands in a fresh `git clone` of this repository (its committed
/// HEAD, as CI's fresh clone), run as written through `sh -c`.
///
/// The render command runs exactly. `cargo test --locked` would run this test again, so
/// the test checks that README's test command is exactly that, and that it builds every
/// test in the clone without a network (`cargo test --locked --no-run`, offline): what
/// the command then runs is this very suite. Both builds go to one target folder under
/// `target/tmp` (shared with the `language: rust` pre-commit test), kept between runs; the release profile is built without optimisation
/// there, which changes how long the build takes, not what the commands do.
#[test]
fn readme_top_commands_work_in_a_fresh_clone() {
    let commands = first_commands();
    assert_eq!(commands.len(), 2, "{commands:?}");
    assert_eq!(
        commands[0],
        "cargo run --release -- render examples/production.yaml -o infra"
    );
    assert_eq!(commands[1], "cargo test --locked");

    let temp = tempfile::tempdir().unwrap();
    let clone = temp.path().join("hagen");
    let cloned = std::process::Command::new("git")
        .args(["clone", "--quiet"])
        .arg(env!("CARGO_MANIFEST_DIR"))
        .arg(&clone)
        .output()
        .unwrap();
    assert!(
        cloned.status.success(),
        "git clone: {}",
        String::from_utf8_lossy(&cloned.stderr)
    );
    let target = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("clone-builds");
    let sh = |command: &str| {
        let output = std::process::Command::new("sh")
            .arg("-c")
            .arg(command)
            .current_dir(&clone)
            .env("CARGO_TARGET_DIR", &target)
            .env("CARGO_NET_OFFLINE", "true")
            .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
            .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
            .env("CARGO_PROFILE_RELEASE_INCREMENTAL", "true")
            .env_remove("HAGEN_TEMPLATES")
            .env_remove("RUSTFLAGS")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "`{command}` failed in a fresh clone:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        output
    };

    sh(&commands[0]);
    let infra = clone.join("infra");
    for file in ["main.tf", "network.tf", "database.tf", "README.md"] {
        assert!(infra.join(file).is_file(), "infra/{file} was not written");
    }
    // What the README's first command writes is ignored by git.
    let status = std::process::Command::new("git")
        .args(["status", "--porcelain", "--ignored=no"])
        .current_dir(&clone)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&status.stdout), "", "git status");

    sh(&format!("{} --no-run", commands[1]));
}
