//! The Terraform side of every bundled example: the rendered module is `fmt`-clean as
//! written, initialises from the offline provider mirror, validates, passes its own
//! generated self-tests (`terraform test` with a mocked provider), and checkov reports no
//! failed check, neither on the directory nor on the JSON of an offline plan.
//!
//! These tests run `tofu` when it is on PATH, else `terraform`. A missing tool fails the
//! test when CI=true and prints "skipped: ..." otherwise. Providers come from whatever
//! the Terraform CLI configuration says (`.ci/run` writes one for the offline mirror);
//! a shared plugin cache keeps each `init` cheap. Examples run one after another (the CI
//! machine has two cores), and every failure of every example is reported together.
//!
//! Locally: `cargo test --test it terraform:: -- --nocapture` (add `HAGEN_EXAMPLES=minimal` to
//! run one example); the rendered copies stay under `target/tmp/terraform/` to inspect.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use crate::support::fake_aws;

/// Terraform runs are heavy: one at a time, even across this file's tests.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn serialize() -> std::sync::MutexGuard<'static, ()> {
    // A failed test poisons the lock; the next one may still run.
    ONE_AT_A_TIME.lock().unwrap_or_else(|err| err.into_inner())
}

/// Where one test keeps one example's files (kept after the run, for debugging).
fn work_dir(test: &str, spec: &Path) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("terraform")
        .join(test)
        .join(support::example_name(spec))
}

struct Terraform {
    binary: PathBuf,
}

impl Terraform {
    fn find() -> Option<Self> {
        support::require_tool(
            "tofu or terraform",
            support::terraform_binary(),
            "install OpenTofu or Terraform >= 1.7 (mock providers) and put it on PATH",
        )
        .map(|binary| Terraform { binary })
    }

    /// A command in `dir` that can neither prompt, phone home, nor use real AWS
    /// credentials from the developer's environment.
    fn command(&self, dir: &Path, args: &[&str]) -> Command {
        let mut command = support::terraform_command(&self.binary);
        command
            .current_dir(dir)
            .args(args)
            .arg("-no-color")
            .env("AWS_ACCESS_KEY_ID", "AKIAHAGENTESTFAKEKEY")
            .env("AWS_SECRET_ACCESS_KEY", "hagen-test-fake-secret")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN");
        command
    }

    /// Runs `args` in `dir`; on failure returns a message with the command's output.
    fn run(&self, dir: &Path, args: &[&str]) -> Result<String, String> {
        let output = self
            .command(dir, args)
            .output()
            .map_err(|err| format!("could not start {}: {err}", self.binary.display()))?;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        if output.status.success() {
            Ok(stdout)
        } else {
            Err(format!(
                "`{} {}` failed ({}):\n{}{}",
                self.binary.file_name().unwrap().to_string_lossy(),
                args.join(" "),
                output.status,
                stdout,
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    }
}

/// Renders `spec` into a fresh `dir`.
fn render_into(spec: &Path, dir: &Path) -> Result<hagen::render::Rendered, String> {
    let rendered = support::try_render(spec)?;
    support::write_fresh(&rendered, dir);
    Ok(rendered)
}

/// Runs every step for every example, collecting failures instead of stopping at the
/// first, and fails once at the end with all of them.
///
/// `HAGEN_EXAMPLES=minimal,production` limits a local run to those examples; CI runs all.
fn for_each_example(mut check: impl FnMut(&Path) -> Result<(), String>) {
    let only: Option<Vec<String>> = std::env::var("HAGEN_EXAMPLES")
        .ok()
        .filter(|_| !support::in_ci())
        .map(|list| {
            list.split(',')
                .map(|name| name.trim().to_string())
                .collect()
        });
    let mut failures = Vec::new();
    for spec in support::valid_specs() {
        let name = support::example_name(&spec);
        if only.as_ref().is_some_and(|only| !only.contains(&name)) {
            continue;
        }
        eprintln!("--- {name}");
        if let Err(message) = check(&spec) {
            failures.push(format!("=== {name} ===\n{message}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} example(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn examples_are_fmt_clean_validate_and_pass_their_self_tests() {
    let _guard = serialize();
    let Some(tf) = Terraform::find() else { return };
    for_each_example(|spec| {
        let dir = work_dir("validate", spec);
        let rendered = render_into(spec, &dir)?;
        // As rendered, without running fmt: the output must already be in fmt style.
        tf.run(&dir, &["fmt", "-check", "-recursive", "-diff"])?;
        tf.run(&dir, &["init", "-backend=false", "-input=false"])?;
        tf.run(&dir, &["validate"])?;

        let self_tests: Vec<&String> = rendered
            .keys()
            .filter(|path| path.starts_with("tests/") && path.ends_with(".tftest.hcl"))
            .collect();
        let wanted = hagen::model_from_file(spec)
            .map_err(|err| err.to_string())?
            .self_tests;
        match (wanted, self_tests.is_empty()) {
            (true, true) => return Err("self_tests is on but no tests/*.tftest.hcl".into()),
            (false, false) => return Err(format!("self_tests is off but {self_tests:?}")),
            (false, true) => return Ok(()),
            (true, false) => {}
        }
        let output = tf.run(&dir, &["test"])?;
        // `terraform test` exits 0 when it finds no test at all; make sure every run ran.
        if !output.contains("Success!") || output.contains(" 0 passed") {
            return Err(format!("`test` ran no test:\n{output}"));
        }
        eprintln!("{}", output.lines().last().unwrap_or_default());
        // The promises hold in every environment too: each environment's tfvars changes
        // sizes, Multi-AZ and deletion protection, and the self-tests must follow them.
        let mut tfvars: Vec<&String> = rendered
            .keys()
            .filter(|path| path.starts_with("environments/") && path.ends_with(".tfvars"))
            .collect();
        tfvars.sort();
        for file in tfvars {
            let output = tf.run(&dir, &["test", &format!("-var-file={file}")])?;
            if !output.contains("Success!") || output.contains(" 0 passed") {
                return Err(format!("`test -var-file={file}` ran no test:\n{output}"));
            }
            eprintln!("{file}: {}", output.lines().last().unwrap_or_default());
        }
        Ok(())
    });
}

/// The checkov executable: on PATH, or where `.ci/run` installs it.
pub(crate) fn checkov() -> Option<PathBuf> {
    let ci_copy = support::repo_root().join("target/ci/bin/checkov");
    support::require_tool(
        "checkov",
        support::on_path("checkov").or_else(|| ci_copy.exists().then_some(ci_copy)),
        "run `bash .ci/run` once (it installs the pinned checkov into target/ci) or pip install checkov",
    )
}

/// Runs checkov with JSON output and returns an error listing every failed check (or
/// parsing error), or when checkov checked nothing at all.
pub(crate) fn run_checkov(checkov: &Path, args: &[&str], what: &str) -> Result<(), String> {
    let output = Command::new(checkov)
        .args(args)
        // Offline: never ask the vendor's platform for policies or guidelines.
        .args(["--skip-download", "--output", "json", "--compact"])
        .env("BC_SKIP_MAPPING", "TRUE")
        .env("CHECKOV_RUN_SCA_PACKAGE_SCAN_V2", "false")
        .output()
        .map_err(|err| format!("could not start checkov: {err}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    // Exit 1 means "failed checks", which the JSON lists; anything else is checkov failing.
    if !matches!(output.status.code(), Some(0 | 1)) {
        return Err(format!(
            "checkov {what} did not run ({}):\n{stdout}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let json: serde_json::Value = serde_json::from_str(&stdout)
        .map_err(|err| format!("checkov {what}: output is not JSON ({err}):\n{stdout}"))?;
    // One report per framework: an object for one, a list for several.
    let reports = match json {
        serde_json::Value::Array(reports) => reports,
        report => vec![report],
    };
    let mut problems = Vec::new();
    let mut passed = 0;
    for report in &reports {
        let summary = &report["summary"];
        passed += summary["passed"].as_u64().unwrap_or(0);
        if summary["parsing_errors"].as_u64().unwrap_or(0) > 0 {
            problems.push(format!(
                "parsing errors: {}",
                report["results"]["parsing_errors"]
            ));
        }
        for check in report["results"]["failed_checks"]
            .as_array()
            .into_iter()
            .flatten()
        {
            problems.push(format!(
                "{} {} on {} ({}:{}) {}",
                check["check_id"].as_str().unwrap_or("?"),
                check["check_name"].as_str().unwrap_or("?"),
                check["resource"].as_str().unwrap_or("?"),
                check["file_path"].as_str().unwrap_or("?"),
                check["file_line_range"],
                check["guideline"].as_str().unwrap_or(""),
            ));
        }
    }
    if passed == 0 && problems.is_empty() {
        problems.push("checkov passed no check at all: did it scan anything?".into());
    }
    if problems.is_empty() {
        eprintln!("checkov {what}: {passed} passed, 0 failed");
        Ok(())
    } else {
        Err(format!("checkov {what}:\n  {}", problems.join("\n  ")))
    }
}

/// Every `provider "aws"` block of the module, by alias (None for the default one).
fn aws_provider_aliases(rendered: &hagen::render::Rendered) -> Vec<Option<String>> {
    let mut aliases = Vec::new();
    for (path, text) in rendered.iter().filter(|(path, _)| path.ends_with(".tf")) {
        let body = hcl::parse(text).unwrap_or_else(|err| panic!("{path}: {err}"));
        for block in body.blocks() {
            let is_aws = block.identifier() == "provider"
                && block.labels().first().map(|label| label.as_str()) == Some("aws");
            if is_aws {
                let alias = block
                    .body()
                    .attributes()
                    .find(|attr| attr.key() == "alias")
                    .and_then(|attr| match attr.expr() {
                        hcl::Expression::String(alias) => Some(alias.clone()),
                        _ => None,
                    });
                aliases.push(alias);
            }
        }
    }
    aliases
}

fn declares_backend(rendered: &hagen::render::Rendered) -> bool {
    rendered
        .iter()
        .filter(|(p, _)| p.ends_with(".tf"))
        .any(|(_, text)| {
            hcl::parse(text).is_ok_and(|body| {
                body.blocks()
                    .filter(|block| block.identifier() == "terraform")
                    .any(|block| block.body().blocks().any(|b| b.identifier() == "backend"))
            })
        })
}

/// An override file that lets `plan` run offline: local state instead of the module's
/// backend, no credential or account checks, few retries, and the data sources that
/// call AWS pointed at the fake endpoint.
fn offline_plan_override(rendered: &hagen::render::Rendered) -> String {
    let mut text = String::from(
        "# Written by hagen's tests (tests/it/terraform.rs): plan offline, never against AWS.\n",
    );
    if declares_backend(rendered) {
        text.push_str("terraform {\n  backend \"local\" {}\n}\n");
    }
    let endpoint = fake_aws::endpoint();
    for alias in aws_provider_aliases(rendered) {
        text.push_str("\nprovider \"aws\" {\n");
        if let Some(alias) = alias {
            text.push_str(&format!(
                "  alias = {}\n",
                hagen::render::hcl_string(&alias)
            ));
        }
        text.push_str(
            "  skip_credentials_validation = true\n  skip_requesting_account_id = true\n  \
             skip_metadata_api_check = true\n  skip_region_validation = true\n  max_retries = 1\n",
        );
        text.push_str("  endpoints {\n");
        for service in fake_aws::SERVICES {
            text.push_str(&format!("    {service} = \"{endpoint}\"\n"));
        }
        text.push_str("  }\n}\n");
    }
    text
}

#[test]
fn checkov_finds_no_failed_check_in_directory_or_plan() {
    let _guard = serialize();
    let Some(checkov) = checkov() else { return };
    let Some(tf) = Terraform::find() else { return };
    for_each_example(|spec| {
        let dir = work_dir("checkov", spec);
        let rendered = render_into(spec, &dir)?;
        let dir_text = dir.to_string_lossy();

        // The directory as rendered, before anything of the test's own is added.
        run_checkov(
            &checkov,
            &["--directory", &dir_text, "--framework", "terraform"],
            "directory scan",
        )?;

        // The azurerm stand-in serves the schema only: computed attributes stay null in
        // a plan (the real provider leaves them unknown), so an Azure plan cannot be
        // built offline. Azure examples get the directory scan; their for_each and
        // conditionals are exercised by their mocked self-tests instead.
        if support::is_azure(spec) {
            return Ok(());
        }
        // A plan resolves variables, conditionals and for_each, which the directory scan
        // can only guess at.
        std::fs::write(
            dir.join("hagen_test_override.tf"),
            offline_plan_override(&rendered),
        )
        .unwrap();
        tf.run(&dir, &["init", "-input=false"])?;
        tf.run(
            &dir,
            &[
                "plan",
                "-input=false",
                "-lock=false",
                "-refresh=false",
                "-out=tfplan",
            ],
        )?;
        let plan_json = tf.run(&dir, &["show", "-json", "tfplan"])?;
        let plan_file = dir.join("tfplan.json");
        std::fs::write(&plan_file, plan_json).unwrap();
        run_checkov(
            &checkov,
            &[
                "--file",
                &plan_file.to_string_lossy(),
                "--framework",
                "terraform_plan",
                // Reads the inline `checkov:skip` comments (with their reasons) from the
                // module, so the plan scan honours the same documented skips.
                "--repo-root-for-plan-enrichment",
                &dir_text,
            ],
            "plan scan",
        )
    });
}

// --- static checks of the rendered HCL (no tool needed) --------------------------------
//
// Terraform cannot enumerate "every alarm" or "every ingress rule" inside a test, so the
// self-tests assert named resources. These checks close the gap from the other side: they
// walk every resource block the templates rendered and fail when one escapes the posture
// the self-tests promise, or is not covered by them.

/// One `resource "TYPE" "NAME"` block of the rendered module.
struct ResourceBlock {
    kind: String,
    name: String,
    body: hcl::Body,
}

fn resource_blocks(rendered: &hagen::render::Rendered) -> Vec<ResourceBlock> {
    let mut blocks = Vec::new();
    for (path, text) in rendered.iter().filter(|(path, _)| path.ends_with(".tf")) {
        let body = hcl::parse(text).unwrap_or_else(|err| panic!("{path}: {err}"));
        for block in body.into_blocks() {
            if block.identifier() == "resource" && block.labels().len() == 2 {
                blocks.push(ResourceBlock {
                    kind: block.labels()[0].as_str().to_string(),
                    name: block.labels()[1].as_str().to_string(),
                    body: block.body().clone(),
                });
            }
        }
    }
    blocks
}

impl ResourceBlock {
    fn attribute(&self, key: &str) -> Option<&hcl::Expression> {
        self.body
            .attributes()
            .find(|attr| attr.key() == key)
            .map(|attr| attr.expr())
    }

    /// The attribute's expression as HCL source text ("" when absent).
    fn source(&self, key: &str) -> String {
        self.attribute(key)
            .map(|expr| hcl::format::to_string(expr).expect("expression formats"))
            .unwrap_or_default()
    }

    fn address(&self) -> String {
        format!("{}.{}", self.kind, self.name)
    }
}

fn self_test_text(rendered: &hagen::render::Rendered) -> String {
    rendered
        .iter()
        .filter(|(path, _)| path.starts_with("tests/") && path.ends_with(".tftest.hcl"))
        .map(|(_, text)| text.as_str())
        .collect()
}

#[test]
fn every_alarm_notifies_someone_and_the_self_tests_check_each_one() {
    for spec in support::aws_example_specs() {
        let name = support::example_name(&spec);
        let rendered = support::render(&spec);
        let self_tests = self_test_text(&rendered);
        let mut alarms = 0;
        for alarm in resource_blocks(&rendered)
            .into_iter()
            .filter(|block| block.kind == "aws_cloudwatch_metric_alarm")
        {
            alarms += 1;
            let actions = alarm.source("alarm_actions");
            if actions.contains("aws_sns_topic.alarms.arn") {
                if !self_tests.is_empty() {
                    // An assertion naming the alarm (all instances of a for_each alarm
                    // are checked by one `for` expression) and the topic.
                    let address = alarm.address();
                    assert!(
                        self_tests.lines().any(|line| {
                            let names_alarm = line.contains(&format!("{address}.alarm_actions"))
                                || (line.contains(&format!("in {address} :"))
                                    && line.contains("alarm.alarm_actions"));
                            names_alarm && line.contains("aws_sns_topic.alarms.arn")
                        }),
                        "{name}: {} notifies the alarm topic but no self-test asserts it \
                         (add it to templates/tests/architecture.tftest.hcl.j2)",
                        alarm.address()
                    );
                }
            } else {
                // The other kind of alarm drives a scaling policy.
                assert!(
                    actions.contains("autoscaling_policy."),
                    "{name}: {} neither notifies aws_sns_topic.alarms nor drives a scaling \
                     policy (alarm_actions = {actions:?})",
                    alarm.address()
                );
            }
        }
        assert!(alarms > 0, "{name}: the module has no alarm at all");
    }
}

#[test]
fn only_the_load_balancer_accepts_traffic_from_the_internet() {
    const INTERNET: [&str; 2] = ["\"0.0.0.0/0\"", "\"::/0\""];
    for spec in support::aws_example_specs() {
        let name = support::example_name(&spec);
        let rendered = support::render(&spec);
        let self_tests = self_test_text(&rendered);
        let mut internet_rules = 0;
        for block in resource_blocks(&rendered) {
            let address = block.address();
            match block.kind.as_str() {
                "aws_vpc_security_group_ingress_rule" => {
                    let from_internet = ["cidr_ipv4", "cidr_ipv6"]
                        .iter()
                        .any(|key| INTERNET.contains(&block.source(key).as_str()));
                    if !from_internet {
                        continue;
                    }
                    internet_rules += 1;
                    assert_eq!(
                        block.source("security_group_id"),
                        "aws_security_group.alb.id",
                        "{name}: {address} opens a group other than the load balancer's to the internet"
                    );
                    let ports = (block.source("from_port"), block.source("to_port"));
                    assert!(
                        ports.0 == ports.1 && (ports.0 == "80" || ports.0 == "443"),
                        "{name}: {address} opens ports {ports:?} to the internet; only 80 and 443 may be"
                    );
                    if !self_tests.is_empty() {
                        assert!(
                            self_tests.contains(&address),
                            "{name}: no self-test checks {address}"
                        );
                    }
                }
                // Inline rules and the legacy rule resource would slip past the checks above.
                "aws_security_group" => assert!(
                    !block.body.blocks().any(|b| b.identifier() == "ingress"),
                    "{name}: {address} has inline ingress rules; use aws_vpc_security_group_ingress_rule"
                ),
                "aws_security_group_rule" => {
                    panic!(
                        "{name}: {address}: use aws_vpc_security_group_ingress_rule/_egress_rule"
                    )
                }
                _ => {}
            }
        }
        assert!(
            internet_rules > 0,
            "{name}: nothing accepts traffic from the internet, not even the load balancer"
        );
    }
}

#[test]
fn every_checkov_skip_gives_a_reason_and_the_module_readme_lists_it() {
    for spec in support::valid_specs() {
        let name = support::example_name(&spec);
        let rendered = support::render(&spec);
        let readme = rendered.get("README.md").map(String::as_str).unwrap_or("");
        for (path, text) in rendered.iter().filter(|(path, _)| path.ends_with(".tf")) {
            for line in text.lines() {
                let Some(skip) = line.trim().strip_prefix("#checkov:skip=") else {
                    continue;
                };
                let (check, reason) = skip.split_once(':').unwrap_or((skip, ""));
                assert!(
                    reason.trim().len() >= 10,
                    "{name}: {path}: checkov skip {check} without a real reason: {line:?}"
                );
                assert!(
                    readme.contains(check) && readme.contains(reason.trim()),
                    "{name}: the module README does not list the skip {check} ({reason})"
                );
            }
        }
    }
}

#[test]
fn the_app_tier_admits_only_the_load_balancer_and_the_database_only_the_app_tier() {
    for spec in support::aws_example_specs() {
        let name = support::example_name(&spec);
        let rendered = support::render(&spec);
        // On EKS Auto Mode the nodes and pods use the cluster security group.
        let app = if rendered.contains_key("eks.tf") {
            "aws_eks_cluster.this.vpc_config[0].cluster_security_group_id"
        } else {
            "aws_security_group.app.id"
        };
        // Security group of the tier -> the only group allowed to reach it.
        let chain: [(&str, &str); 2] = [
            (app, "aws_security_group.alb.id"),
            ("aws_security_group.database.id", app),
        ];
        let mut app_rules = 0;
        for rule in resource_blocks(&rendered)
            .into_iter()
            .filter(|block| block.kind == "aws_vpc_security_group_ingress_rule")
        {
            let target = rule.source("security_group_id");
            let Some((_, allowed)) = chain.iter().find(|(tier, _)| *tier == target) else {
                continue;
            };
            app_rules += usize::from(target == chain[0].0);
            assert_eq!(
                (
                    rule.source("referenced_security_group_id"),
                    rule.source("cidr_ipv4"),
                    rule.source("cidr_ipv6"),
                    rule.source("prefix_list_id"),
                ),
                (
                    allowed.to_string(),
                    String::new(),
                    String::new(),
                    String::new()
                ),
                "{name}: {} lets something other than {allowed} into {target}",
                rule.address()
            );
        }
        assert!(app_rules > 0, "{name}: the app tier admits nothing at all");
    }
}
