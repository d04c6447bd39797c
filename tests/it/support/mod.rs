//! Helpers shared by the integration tests that render the bundled examples and run
//! external tools on the result (Terraform/OpenTofu, checkov).
//!
//! Each test crate uses only part of this module.
#![allow(dead_code)]

pub mod fake_aws;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The crate root (where `examples/` and `templates/` live).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every bundled example spec, sorted by file name.
pub fn example_specs() -> Vec<PathBuf> {
    let mut specs: Vec<PathBuf> = std::fs::read_dir(repo_root().join("examples"))
        .expect("examples/ is readable")
        .map(|entry| entry.expect("examples/ entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    specs.sort();
    assert!(
        specs.len() >= 3,
        "expected at least three example specs, found {specs:?}"
    );
    specs
}

/// Every valid spec every per-spec check runs on (snapshots, fmt/validate, self-tests,
/// checkov): the bundled examples, then the variants in `tests/fixtures/valid/`.
pub fn valid_specs() -> Vec<PathBuf> {
    let mut specs = example_specs();
    let mut variants: Vec<PathBuf> = std::fs::read_dir(repo_root().join("tests/fixtures/valid"))
        .expect("tests/fixtures/valid/ is readable")
        .map(|entry| entry.expect("tests/fixtures/valid/ entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    variants.sort();
    specs.extend(variants);
    specs
}

/// Whether a bundled example deploys to Azure (`target: azure`). Checks that read AWS
/// resources skip these; tests/it/azure.rs holds their Azure counterparts.
pub fn is_azure(spec: &Path) -> bool {
    hagen::model_from_file(spec)
        .unwrap_or_else(|err| panic!("{}: {err}", spec.display()))
        .target
        == hagen::spec::Target::Azure
}

/// The valid AWS specs (every valid spec but the `target: azure` ones).
pub fn aws_example_specs() -> Vec<PathBuf> {
    valid_specs()
        .into_iter()
        .filter(|spec| !is_azure(spec))
        .collect()
}

/// The valid Azure specs.
pub fn azure_example_specs() -> Vec<PathBuf> {
    valid_specs()
        .into_iter()
        .filter(|spec| is_azure(spec))
        .collect()
}

/// Short name of a spec: the file stem for a bundled example (`production`), prefixed
/// with `valid-` for a fixture variant, so the two never share a snapshot folder.
pub fn example_name(spec: &Path) -> String {
    let stem = spec
        .file_stem()
        .expect("spec has a file name")
        .to_string_lossy()
        .into_owned();
    if spec
        .parent()
        .is_some_and(|dir| dir.ends_with("fixtures/valid"))
    {
        format!("valid-{stem}")
    } else {
        stem
    }
}

/// Renders a spec with the built-in templates, in memory.
pub fn try_render(spec: &Path) -> Result<hagen::render::Rendered, String> {
    hagen::render_spec(spec, None)
        .map_err(|err| format!("rendering {} failed: {err}", spec.display()))
}

/// Renders a spec with the built-in templates, in memory; panics on failure.
pub fn render(spec: &Path) -> hagen::render::Rendered {
    try_render(spec).unwrap_or_else(|message| panic!("{message}"))
}

/// `examples/<name>.yaml`.
pub fn example(name: &str) -> PathBuf {
    repo_root().join("examples").join(format!("{name}.yaml"))
}

/// Renders `examples/<name>.yaml`, in memory; panics on failure.
pub fn render_example(name: &str) -> hagen::render::Rendered {
    render(&example(name))
}

/// Renders spec text (written to a temporary `spec.yaml`), in memory; panics on failure.
pub fn render_text(yaml: &str) -> hagen::render::Rendered {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spec.yaml");
    std::fs::write(&path, yaml).unwrap();
    render(&path)
}

/// The smallest valid spec (two zones in eu-west-1); tests append sections to it.
pub const BASE_SPEC: &str = "name: shop
region: eu-west-1
network:
  cidr: 10.0.0.0/16
  availability_zones: [eu-west-1a, eu-west-1b]
";

/// Renders [`BASE_SPEC`] followed by `extra` (more top-level sections), in memory.
pub fn render_base_with(extra: &str) -> hagen::render::Rendered {
    render_text(&format!("{BASE_SPEC}{extra}"))
}

/// Instance paths (JSON pointers) of every schema error of `document`: the validate stage
/// turns these into `file:line:col`, so they must name the offending key, not its parent.
pub fn schema_error_paths(document: &serde_json::Value) -> Vec<String> {
    let schema: serde_json::Value = serde_json::from_str(hagen::schema::SCHEMA).unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(false)
        .build(&schema)
        .unwrap();
    let mut paths: Vec<String> = validator
        .iter_errors(document)
        .map(|err| err.instance_path().to_string())
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

/// Writes rendered files under `dir`, which is emptied first.
pub fn write_fresh(rendered: &hagen::render::Rendered, dir: &Path) {
    if dir.exists() {
        std::fs::remove_dir_all(dir).expect("remove old test output");
    }
    for (path, text) in rendered {
        let target = dir.join(path);
        std::fs::create_dir_all(target.parent().expect("file has a parent")).unwrap();
        std::fs::write(&target, text).unwrap();
    }
}

/// Whether this run is CI, where a missing tool is a failure rather than a skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| !value.is_empty() && value != "false" && value != "0")
}

/// Finds an executable on PATH.
pub fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// A tool the test needs: found, or the test is skipped (with a message) outside CI and
/// fails in CI, where every check must really run.
pub fn require_tool(what: &str, found: Option<PathBuf>, hint: &str) -> Option<PathBuf> {
    match found {
        Some(path) => Some(path),
        None if in_ci() => panic!("{what} is required when CI=true but was not found; {hint}"),
        None => {
            // Straight to stderr: libtest captures `eprintln!` of passing tests, and a
            // skip must be visible in a normal `cargo test` run.
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "skipped: {what} not found ({hint})");
            None
        }
    }
}

/// The Terraform CLI configuration every test uses: `TF_CLI_CONFIG_FILE` when the caller
/// set it to a file that exists, else one written by `scripts/provider-mirror.sh` (the discovery routine
/// `.ci/run` uses too) for this machine's offline provider mirror, else none (a machine
/// that reaches the registry). Computed once per test run.
pub fn terraform_cli_config() -> Option<PathBuf> {
    static CONFIG: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    CONFIG
        .get_or_init(|| {
            if let Some(config) = std::env::var_os("TF_CLI_CONFIG_FILE")
                .map(PathBuf::from)
                .filter(|config| config.is_file())
            {
                return Some(config);
            }
            let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("terraform");
            let output = Command::new("bash")
                .arg(repo_root().join("scripts/provider-mirror.sh"))
                .arg(&cache)
                .output()
                .expect("bash runs scripts/provider-mirror.sh");
            if output.status.success() {
                let path = String::from_utf8_lossy(&output.stdout).trim().to_string();
                Some(PathBuf::from(path))
            } else {
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "note: {}; Terraform uses its own configuration (the registry)",
                    String::from_utf8_lossy(&output.stderr).trim()
                );
                None
            }
        })
        .clone()
}

/// A Terraform/OpenTofu command that installs providers from the offline mirror (see
/// [`terraform_cli_config`]), shares one plugin cache and never phones home.
pub fn terraform_command(binary: &Path) -> Command {
    let mut command = Command::new(binary);
    if let Some(config) = terraform_cli_config() {
        command.env("TF_CLI_CONFIG_FILE", config);
    }
    if std::env::var_os("TF_PLUGIN_CACHE_DIR").is_none() {
        let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("terraform/plugin-cache");
        std::fs::create_dir_all(&cache).expect("create the plugin cache");
        command.env("TF_PLUGIN_CACHE_DIR", cache);
    }
    command
        .env("TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE", "true")
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .env("TF_INPUT", "0");
    command
}

/// `tofu` when it is on PATH, else `terraform`.
pub fn terraform_binary() -> Option<PathBuf> {
    on_path("tofu").or_else(|| on_path("terraform"))
}

/// Runs a command and returns its output; panics with both streams when it fails.
pub fn run_ok(command: &mut Command, what: &str) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|err| panic!("{what}: could not start {command:?}: {err}"));
    if !output.status.success() {
        panic!(
            "{what} failed ({}):\n--- stdout ---\n{}\n--- stderr ---\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    output
}
