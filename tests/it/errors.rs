//! Every class of invalid spec: exit code 65, `file:line:col` of the right node on stderr,
//! nothing written. The fixtures in tests/fixtures/invalid/ carry their expectations as
//! `#=> COL TEXT` comments on the offending lines (see the README there).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::Command;

/// Hostile input must fail fast; generous so a loaded CI machine does not flake.
const FAST: Duration = Duration::from_secs(10);

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/invalid")
}

#[derive(Debug, PartialEq)]
struct Reported {
    line: usize,
    column: usize,
    message: String,
}

struct Expected {
    line: usize,
    /// None: any column (the exact column is the YAML parser's business).
    column: Option<usize>,
    text: String,
}

fn expectations(source: &str) -> Vec<Expected> {
    let mut out = Vec::new();
    for (index, line) in source.lines().enumerate() {
        for part in line.split("#=> ").skip(1) {
            let (column, text) = part.split_once(' ').expect("`#=> COL TEXT`");
            out.push(Expected {
                line: index + 1,
                column: (column != "*").then(|| column.parse().expect("COL is a number or *")),
                text: text.trim_end().to_string(),
            });
        }
    }
    out
}

/// `FILE:LINE:COL: error: MESSAGE` lines of stderr, for the given file name.
fn reported(stderr: &str, file: &str) -> Vec<Reported> {
    let prefix = format!("{file}:");
    stderr
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix(&prefix)?;
            let (position, message) = rest.split_once(": error: ")?;
            let (line_number, column) = position.split_once(':')?;
            Some(Reported {
                line: line_number.parse().ok()?,
                column: column.parse().ok()?,
                message: message.to_string(),
            })
        })
        .collect()
}

struct Run {
    stderr: String,
    code: Option<i32>,
    elapsed: Duration,
    wrote_output: bool,
}

/// Runs `hagen render FILE -o <tmp>/out` in `folder` (so diagnostics name the bare file).
fn render(folder: &Path, file: &str) -> Run {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let start = Instant::now();
    let output = Command::cargo_bin("hagen")
        .unwrap()
        .current_dir(folder)
        .env("NO_COLOR", "1")
        .env_remove("HAGEN_TEMPLATES")
        .arg("render")
        .arg(file)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    Run {
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        code: output.status.code(),
        elapsed: start.elapsed(),
        wrote_output: out.exists(),
    }
}

fn check_fixture(file: &str) {
    let source =
        String::from_utf8_lossy(&std::fs::read(fixtures().join(file)).unwrap()).into_owned();
    let expected = expectations(&source);
    assert!(!expected.is_empty(), "{file} has no `#=>` expectation");
    let run = render(&fixtures(), file);
    assert_eq!(run.code, Some(65), "{file}: exit code\n{}", run.stderr);
    assert!(!run.wrote_output, "{file}: the output folder was created");
    assert!(run.elapsed < FAST, "{file}: took {:?}", run.elapsed);
    let mut actual = reported(&run.stderr, file);
    for want in &expected {
        let found = actual.iter().position(|got| {
            got.line == want.line
                && want.column.is_none_or(|c| c == got.column)
                && got.message.contains(&want.text)
        });
        match found {
            Some(index) => {
                actual.remove(index);
            }
            None => panic!(
                "{file}: expected {}:{}: ...{}...\nstderr:\n{}",
                want.line,
                want.column.map_or("*".into(), |c| c.to_string()),
                want.text,
                run.stderr
            ),
        }
    }
    assert!(
        actual.is_empty(),
        "{file}: unexpected diagnostics {actual:#?}\nstderr:\n{}",
        run.stderr
    );
    // The human form: a code frame and the summary line.
    assert!(
        run.stderr.contains(" | "),
        "{file}: no code frame\n{}",
        run.stderr
    );
}

#[test]
fn typo_wrong_type_and_bad_cidr_are_all_reported_with_their_lines() {
    check_fixture("typo_type_cidr.yaml");
    let run = render(&fixtures(), "typo_type_cidr.yaml");
    assert!(
        run.stderr.contains("did you mean `instance_type`?"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("error: 3 errors in typo_type_cidr.yaml"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_existing_output_folder_is_left_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("infra");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("main.tf"), "# the previous output\n").unwrap();
    let before = std::fs::metadata(out.join("main.tf"))
        .unwrap()
        .modified()
        .unwrap();
    Command::cargo_bin("hagen")
        .unwrap()
        .current_dir(fixtures())
        .args(["render", "typo_type_cidr.yaml", "-o"])
        .arg(&out)
        .assert()
        .code(65);
    let names: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["main.tf"]);
    assert_eq!(
        std::fs::read_to_string(out.join("main.tf")).unwrap(),
        "# the previous output\n"
    );
    assert_eq!(
        std::fs::metadata(out.join("main.tf"))
            .unwrap()
            .modified()
            .unwrap(),
        before
    );
}

#[test]
fn every_fixture_fails_with_exactly_its_expected_diagnostics() {
    let mut names: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    names.sort();
    assert!(names.len() >= 15, "fixtures went missing: {names:?}");
    for name in names {
        check_fixture(&name);
    }
}

fn write_and_render(name: &str, bytes: &[u8]) -> (Run, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), bytes).unwrap();
    let run = render(dir.path(), name);
    assert_eq!(run.code, Some(65), "{name}\n{}", run.stderr);
    assert!(!run.wrote_output, "{name}: output folder created");
    assert!(run.elapsed < FAST, "{name}: took {:?}", run.elapsed);
    let stderr = run.stderr.clone();
    (run, stderr)
}

#[test]
fn huge_file_is_refused_before_parsing() {
    // 64 MiB of valid YAML: refused by size, without reading it all.
    let mut text = String::from("name: shop\n");
    let filler = format!("# {}\n", "x".repeat(1000));
    while text.len() < 64 * 1024 * 1024 {
        text.push_str(&filler);
    }
    let (_, stderr) = write_and_render("huge.yaml", text.as_bytes());
    assert!(
        stderr.contains("huge.yaml:1:1: error: the file is larger than 1024 KiB"),
        "{stderr}"
    );
}

#[test]
fn non_utf8_points_at_the_first_bad_byte() {
    let (_, stderr) = write_and_render("latin1.yaml", b"name: shop\nregion: caf\xe9\n");
    assert!(
        stderr.contains("latin1.yaml:2:12: error: the file is not UTF-8 text"),
        "{stderr}"
    );
}

#[test]
fn validate_lists_the_same_diagnostics_as_json() {
    let output = Command::cargo_bin("hagen")
        .unwrap()
        .current_dir(fixtures())
        .args(["validate", "typo_type_cidr.yaml", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(65));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout)
        .or_else(|_| serde_json::from_slice(&output.stderr))
        .expect("diagnostics as JSON on stdout or stderr");
    let positions: Vec<(u64, u64)> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["line"].as_u64().unwrap(), d["column"].as_u64().unwrap()))
        .collect();
    assert_eq!(positions, [(5, 9), (8, 3), (9, 13)]);
    assert_eq!(json[1]["file"], "typo_type_cidr.yaml");
    assert!(json[1]["hint"].as_str().unwrap().contains("instance_type"));
}

#[test]
fn anchors_aliases_and_yaml_1_2_strings_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("anchors.yaml"),
        "name: shop\nregion: eu-west-1\ntags: &tags\n  Team: web\n  Enabled: yes\n\
         network:\n  cidr: 10.0.0.0/16\n  availability_zones: &zones [eu-west-1a, eu-west-1b]\n\
         compute:\n  kind: ecs\n  image: nginx\n  environment: *tags\n",
    )
    .unwrap();
    Command::cargo_bin("hagen")
        .unwrap()
        .current_dir(dir.path())
        .args(["validate", "anchors.yaml"])
        .assert()
        .success();
}
