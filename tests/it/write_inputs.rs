//! Inputs that used to hang, run unbounded, crash or blame the wrong file: a FIFO as
//! user data file or template, runaway and huge user templates, a user template
//! rendering invalid HCL, and whole numbers written as floats. None may hang, and no
//! spec file may reach exit 1 (internal error).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use proptest::prelude::*;

/// Runs hagen with `args`, failing the test if it does not finish within `limit`.
fn run_within(limit: Duration, args: &[&std::ffi::OsStr]) -> Output {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("hagen"))
        .args(args)
        .env_remove("HAGEN_TEMPLATES")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("hagen {args:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

#[cfg(unix)]
#[test]
fn a_fifo_as_user_data_file_is_refused_at_its_line_without_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let spec_text = std::fs::read_to_string(crate::support::example("options"))
        .unwrap()
        .replace(
            "user_data_file: blog-user-data.sh",
            "user_data_file: boot.sh",
        );
    assert!(spec_text.contains("user_data_file: boot.sh"));
    let spec = dir.path().join("app.yaml");
    std::fs::write(&spec, &spec_text).unwrap();
    mkfifo(&dir.path().join("boot.sh"));
    for command in ["validate", "render"] {
        let out = dir.path().join("infra");
        let run = run_within(
            Duration::from_secs(30),
            &[
                command.as_ref(),
                spec.as_os_str(),
                "-o".as_ref(),
                out.as_os_str(),
            ][..if command == "validate" { 2 } else { 4 }],
        );
        assert_eq!(run.status.code(), Some(65), "{command}: {}", stderr(&run));
        let line = spec_text
            .lines()
            .position(|l| l.contains("user_data_file"))
            .unwrap()
            + 1;
        assert!(
            stderr(&run).contains(&format!("app.yaml:{line}:"))
                && stderr(&run).contains("not a regular file"),
            "{}",
            stderr(&run)
        );
        assert!(!out.exists());
    }
}

#[cfg(unix)]
#[test]
fn a_fifo_in_the_templates_folder_is_refused_without_hanging() {
    let templates = tempfile::tempdir().unwrap();
    mkfifo(&templates.path().join("extra.tf.j2"));
    let run = render_minimal_with_templates(templates.path(), Duration::from_secs(30));
    assert_eq!(run.status.code(), Some(64), "{}", stderr(&run));
    assert!(stderr(&run).contains("extra.tf.j2"), "{}", stderr(&run));
    assert!(stderr(&run).contains("regular file"), "{}", stderr(&run));
}

/// Renders `minimal` with one user template; the run must end within `limit`.
fn render_with_template(name: &str, source: &str, limit: Duration) -> (Output, PathBuf) {
    let templates = tempfile::tempdir().unwrap().keep();
    let file = templates.join(name);
    std::fs::write(&file, source).unwrap();
    (render_minimal_with_templates(&templates, limit), file)
}

/// Renders `minimal` with the user templates in `templates` into a new folder; the run
/// must end within `limit`, and fail without writing anything.
fn render_minimal_with_templates(templates: &Path, limit: Duration) -> Output {
    let out = tempfile::tempdir().unwrap();
    let run = run_within(
        limit,
        &[
            "render".as_ref(),
            crate::support::example("minimal").as_os_str(),
            "-o".as_ref(),
            out.path().as_os_str(),
            "--templates".as_ref(),
            templates.as_os_str(),
        ],
    );
    assert!(
        std::fs::read_dir(out.path()).unwrap().next().is_none(),
        "wrote despite the error"
    );
    run
}

#[test]
fn a_runaway_user_template_runs_out_of_fuel_naming_its_file() {
    let (run, file) = render_with_template(
        "loop.txt.j2",
        "{% for i in range(100000) %}{% for j in range(100000) %}{{ j }}{% endfor %}{% endfor %}\n",
        Duration::from_secs(60),
    );
    assert_eq!(run.status.code(), Some(1));
    let text = stderr(&run);
    assert!(text.contains(&format!("{}:1", file.display())), "{text}");
    assert!(text.contains("fuel"), "{text}");
}

#[test]
fn a_user_template_rendering_gigabytes_stops_at_the_output_limit_naming_its_file() {
    // 100 MB per step (minijinja's largest repeated string) within the fuel: far past
    // the 8 MiB a file may have.
    let (run, file) = render_with_template(
        "huge.txt.j2",
        "{% for i in range(1000) %}{{ 'x' * 10000000 }}{% endfor %}\n",
        Duration::from_secs(60),
    );
    assert_eq!(run.status.code(), Some(1));
    let text = stderr(&run);
    assert!(text.contains(&file.display().to_string()), "{text}");
    assert!(text.contains("8 MiB"), "{text}");
}

#[test]
fn user_templates_passing_the_total_output_limit_stop_at_the_one_that_crosses_it() {
    // Ten files of 7 MB each, every one under the 8 MiB a file may have: the tenth passes
    // the 64 MiB of one render. Templates render on every core; the error still names
    // the one a single thread would stop at, and nothing is written.
    let templates = tempfile::tempdir().unwrap();
    for n in 0..10 {
        std::fs::write(
            templates.path().join(format!("big{n}.txt.j2")),
            "{{ 'x' * 7000000 }}\n",
        )
        .unwrap();
    }
    let run = render_minimal_with_templates(templates.path(), Duration::from_secs(120));
    assert_eq!(run.status.code(), Some(1));
    let text = stderr(&run);
    let crossing = templates.path().join("big9.txt.j2");
    assert!(text.contains(&crossing.display().to_string()), "{text}");
    assert!(
        text.contains("the rest of the total output limit"),
        "{text}"
    );
}

#[test]
fn templates_the_workers_never_took_are_rendered_in_order_before_the_limit_is_reported() {
    // The large templates (by source) are taken first and pass the limit; the small ones
    // that come before them in name order were never taken. One thread would have
    // rendered those first, within the limit: so must the render, and the error must
    // still name the large one that crosses it.
    let templates = tempfile::tempdir().unwrap();
    let padding = format!("{{# {} #}}", "p".repeat(4096));
    for n in 0..10 {
        std::fs::write(
            templates.path().join(format!("big{n}.txt.j2")),
            format!("{padding}{{{{ 'x' * 7000000 }}}}\n"),
        )
        .unwrap();
    }
    std::fs::write(templates.path().join("a-small.txt.j2"), "small\n").unwrap();
    let run = render_minimal_with_templates(templates.path(), Duration::from_secs(120));
    assert_eq!(run.status.code(), Some(1));
    let text = stderr(&run);
    let crossing = templates.path().join("big9.txt.j2");
    assert!(text.contains(&crossing.display().to_string()), "{text}");
    assert!(!text.contains("a-small"), "{text}");
}

#[test]
fn a_user_template_rendering_invalid_hcl_is_named_with_the_line_of_its_output() {
    // A file of the module proper (read back for the README) and one only checked.
    for (name, output) in [
        ("extra.tf.j2", "extra.tf"),
        ("extra.tftest.hcl.j2", "extra.tftest.hcl"),
    ] {
        let (run, file) = render_with_template(
            name,
            "locals {\n  a = 1\n}\n\nresource \"x\" {{ '{{' }}\n",
            Duration::from_secs(60),
        );
        assert_eq!(run.status.code(), Some(1), "{name}");
        let text = stderr(&run);
        assert!(text.contains(&file.display().to_string()), "{text}");
        assert!(text.contains(output), "{text}");
        assert!(!text.contains("README.md.j2"), "{text}");
        // The rendered file has the 3-line header first: the bad line is line 8 there.
        assert!(text.contains("line 8"), "{text}");
    }
}

#[test]
fn whole_numbers_written_as_floats_mean_those_numbers() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["options", "ecs-rds", "production", "ec2-dynamodb"] {
        let text = std::fs::read_to_string(crate::support::example(name)).unwrap();
        let floats = integers_as(&text, |n| format!("{n}.0"));
        assert_ne!(floats, text, "{name} has no integers");
        let spec = dir.path().join(format!("{name}.yaml"));
        std::fs::write(&spec, &floats).unwrap();
        copy_neighbours(&crate::support::example(name), dir.path());
        let as_floats = hagen::render_spec(&spec, None).unwrap();
        std::fs::write(&spec, &text).unwrap();
        let as_integers = hagen::render_spec(&spec, None).unwrap();
        assert_eq!(as_floats, as_integers, "{name}");
    }
}

/// Files the examples read (user data scripts) next to the copy.
fn copy_neighbours(spec: &Path, to: &Path) {
    for entry in std::fs::read_dir(spec.parent().unwrap()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "sh") {
            std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
        }
    }
}

/// `text` with every plain integer value (`key: 12`) rewritten by `rewrite`.
fn integers_as(text: &str, rewrite: impl Fn(&str) -> String) -> String {
    text.lines()
        .map(|line| match line.rsplit_once(": ") {
            Some((key, value))
                if !value.is_empty()
                    && value.chars().all(|c| c.is_ascii_digit())
                    && !key.trim_start().starts_with('#') =>
            {
                format!("{key}: {}\n", rewrite(value))
            }
            _ => format!("{line}\n"),
        })
        .collect()
}

/// Numbers a user might write where an integer is expected.
const ODD_NUMBERS: &[&str] = &[
    "2.0",
    "1024.0",
    "-1",
    "0",
    "-0.0",
    "0.5",
    "1e3",
    "1e400",
    "-.inf",
    ".nan",
    "99999999999999999999",
    "4294967296",
    "18446744073709551616",
    "0x10",
    "0o17",
    "1_000",
    "\"12\"",
    "12 # comment",
    "[1]",
    "{a: 1}",
    "null",
    "~",
    "true",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever numbers a spec holds, hagen answers with success or a positioned
    /// diagnostic (exit 65), never exit 1.
    #[test]
    fn no_number_in_a_spec_reaches_an_internal_error(
        example_index in 0usize..4,
        picks in prop::collection::vec(0usize..ODD_NUMBERS.len(), 1..40),
    ) {
        let name = ["options", "ecs-rds", "production", "ec2-dynamodb"][example_index];
        let text = std::fs::read_to_string(crate::support::example(name)).unwrap();
        let counter = std::cell::Cell::new(0);
        let spec_text = integers_as(&text, |original| {
            let i = counter.get();
            counter.set(i + 1);
            match picks.get(i) {
                Some(&pick) if pick % 3 != 2 => ODD_NUMBERS[pick].to_string(),
                _ => original.to_string(),
            }
        });
        let dir = tempfile::tempdir().unwrap();
        copy_neighbours(&crate::support::example(name), dir.path());
        let spec = dir.path().join("app.yaml");
        std::fs::write(&spec, &spec_text).unwrap();
        if let Err(err) = hagen::render_spec(&spec, None) {
            prop_assert_ne!(
                err.exit_code(),
                hagen::error::exit::INTERNAL,
                "exit 1 for\n{}\n{}", spec_text, err
            );
        }
    }
}
