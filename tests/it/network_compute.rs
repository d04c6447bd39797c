//! The generated network, security groups, load balancer and EC2 compute, checked on the
//! rendered HCL itself (no Terraform needed): name lengths, NAT variants, what is open to
//! the internet, and extra rules a spec setting needs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hcl::{Block, Body, Expression};

use crate::support;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn examples() -> Vec<PathBuf> {
    let mut specs: Vec<PathBuf> = std::fs::read_dir(repo().join("examples"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    specs.sort();
    specs
}

/// Every `resource` block of the rendered module, keyed by `type.name`.
fn resources(spec: &Path) -> BTreeMap<String, Block> {
    let rendered = hagen::render_file(spec, &hagen::render::builtin_templates())
        .unwrap_or_else(|err| panic!("{} does not render: {err}", spec.display()));
    let mut found = BTreeMap::new();
    for (path, text) in &rendered {
        // Only the module itself; its tests mention resources without declaring them.
        if !path.ends_with(".tf") || path.contains('/') {
            continue;
        }
        let body: Body = hcl::from_str(text).unwrap();
        for block in body.into_blocks() {
            if block.identifier() == "resource" {
                let labels: Vec<&str> = block.labels().iter().map(|l| l.as_str()).collect();
                found.insert(format!("{}.{}", labels[0], labels[1]), block.clone());
            }
        }
    }
    found
}

fn attribute<'a>(block: &'a Block, name: &str) -> Option<&'a Expression> {
    block
        .body()
        .attributes()
        .find(|attr| attr.key() == name)
        .map(|attr| attr.expr())
}

fn number(block: &Block, name: &str) -> Option<u64> {
    match attribute(block, name)? {
        Expression::Number(n) => n.as_u64(),
        _ => None,
    }
}

/// Writes a spec next to the test output and returns its path.
fn spec_file(dir: &Path, yaml: &str) -> PathBuf {
    let path = dir.join("spec.yaml");
    std::fs::write(&path, yaml).unwrap();
    path
}

/// AWS name length limits of resources whose names hagen derives from `name_prefix`.
const NAME_LIMITS: &[(&str, &str, usize)] = &[
    ("aws_lb", "name", 32),
    ("aws_lb_target_group", "name", 32),
    ("aws_s3_bucket", "bucket", 63),
    ("aws_iam_role", "name", 64),
    ("aws_iam_instance_profile", "name", 128),
    ("aws_launch_template", "name", 128),
    ("aws_autoscaling_group", "name", 255),
    ("aws_security_group", "name", 255),
    ("aws_db_instance", "identifier", 63),
    ("aws_backup_vault", "name", 50),
    ("aws_ecs_cluster", "name", 255),
];

/// A bucket name suffix of the longest length the schema allows (20).
const BUCKET_SUFFIX: &str = "twenty-chars-bucket1";

#[test]
fn derived_names_fit_aws_limits_with_the_longest_name_and_environment() {
    let dir = tempfile::tempdir().unwrap();
    // 16 and 10 characters: the longest the spec schema allows.
    let name = "abcdefghijklmnop";
    let environment = "abcdefghij";
    let prefix = format!("{name}-{environment}");
    for kind in ["ec2", "ecs"] {
        let image = if kind == "ecs" {
            "\n  image: public.ecr.aws/nginx/nginx:1.27"
        } else {
            ""
        };
        let spec = spec_file(
            dir.path(),
            &format!(
                "name: {name}\nenvironment: {environment}\nregion: eu-west-1\n\
                 network:\n  cidr: 10.0.0.0/16\n  availability_zones: [eu-west-1a, eu-west-1b]\n\
                 load_balancer:\n  access_logs:\n    enabled: true\n\
                 compute:\n  kind: {kind}{image}\n\
                 storage:\n  buckets:\n    - name: {BUCKET_SUFFIX}\n"
            ),
        );
        let mut checked = 0;
        for (address, block) in resources(&spec) {
            let kind = address.split('.').next().unwrap();
            let Some((_, attr, limit)) = NAME_LIMITS.iter().find(|(k, _, _)| *k == kind) else {
                continue;
            };
            let Some(expr) = attribute(&block, attr) else {
                continue;
            };
            // The longest value the expression can take: the prefix, a 12-digit account and
            // (for buckets, keyed by their suffix) the longest suffix the schema allows.
            let mut value = expr.to_string().trim_matches('"').to_string();
            // The target group's name ends in 4 hex characters of a hash (load_balancer.tf).
            if let Some(start) = value.find("${substr(sha1(") {
                let end = start + value[start..].find(", 0, 4)}").expect("substr(.., 0, 4)");
                value.replace_range(start..end + ", 0, 4)}".len(), "abcd");
            }
            let value = value
                // Account-global names add the region: at most 14 characters (ap-southeast-4).
                .replace(
                    "${local.global_name_prefix}",
                    &format!("{prefix}-{}", "r".repeat(14)),
                )
                .replace("${local.name_prefix}", &prefix)
                .replace(
                    "${data.aws_caller_identity.current.account_id}",
                    "123456789012",
                )
                .replace("${each.key}", BUCKET_SUFFIX);
            assert!(
                !value.contains("${"),
                "{address}.{attr} = {value}: cannot bound its length"
            );
            assert!(
                value.len() <= *limit,
                "{address}.{attr} = {value} is {} characters, AWS allows {limit}",
                value.len()
            );
            checked += 1;
        }
        assert!(
            checked >= 6,
            "only {checked} names checked: resource names moved?"
        );
    }
}

#[test]
fn nat_gateways_follow_the_spec_and_the_database_tier_never_routes_out() {
    for spec in examples() {
        let resources = resources(&spec);
        let model = hagen::model_from_file(&spec).unwrap();
        let nat_keys = resources
            .get("aws_nat_gateway.this")
            .map(|block| attribute(block, "for_each").unwrap().to_string());
        match model.network.nat_count {
            0 => {
                assert!(nat_keys.is_none(), "{}: NAT without NAT", spec.display());
                assert!(!resources.contains_key("aws_eip.nat"));
                assert!(!resources.contains_key("aws_route.app_internet"));
                // Session Manager and the AWS APIs still reachable without a NAT.
                assert!(
                    resources.contains_key("aws_vpc_endpoint.interface"),
                    "{}: no NAT and no interface endpoints",
                    spec.display()
                );
            }
            count => {
                let keys = nat_keys.expect("NAT gateways expected");
                assert_eq!(
                    keys.matches("\"").count() / 2,
                    count,
                    "{}: NAT gateways keyed by {keys}",
                    spec.display()
                );
                assert!(resources.contains_key("aws_route.app_internet"));
            }
        }
        // The one route to the internet gateway is the public table's.
        for (address, block) in resources
            .iter()
            .filter(|(a, _)| a.starts_with("aws_route."))
        {
            let table = attribute(block, "route_table_id").unwrap().to_string();
            assert!(
                !table.contains("aws_route_table.database"),
                "{}: {address} routes the database tier",
                spec.display()
            );
            if attribute(block, "gateway_id").is_some() {
                assert_eq!(address, "aws_route.public_internet");
            }
        }
    }
}

#[test]
fn only_the_load_balancer_is_open_to_the_internet_and_only_on_80_and_443() {
    for spec in examples() {
        let resources = resources(&spec);
        let mut internet_ports = Vec::new();
        for (address, block) in &resources {
            let is_rule = address.starts_with("aws_vpc_security_group_ingress_rule.")
                || address.starts_with("aws_vpc_security_group_egress_rule.");
            if !is_rule {
                continue;
            }
            assert!(
                attribute(block, "description").is_some(),
                "{}: {address} has no description",
                spec.display()
            );
            let (from, to) = (number(block, "from_port"), number(block, "to_port"));
            assert!(
                matches!((from, to), (Some(f), Some(t)) if !(f..=t).contains(&22)),
                "{}: {address} covers port 22 or has no fixed ports",
                spec.display()
            );
            let from_internet =
                attribute(block, "cidr_ipv4").is_some() || attribute(block, "cidr_ipv6").is_some();
            if address.starts_with("aws_vpc_security_group_ingress_rule.") && from_internet {
                assert_eq!(
                    attribute(block, "security_group_id").unwrap().to_string(),
                    "aws_security_group.alb.id",
                    "{}: {address} opens another tier to the internet",
                    spec.display()
                );
                internet_ports.push(from.unwrap());
            }
        }
        internet_ports.sort();
        assert_eq!(internet_ports, [80, 80, 443, 443], "{}", spec.display());
    }
}

#[test]
fn a_health_check_port_apart_from_the_app_port_gets_its_own_rules() {
    let dir = tempfile::tempdir().unwrap();
    let spec = spec_file(
        dir.path(),
        "name: shop\nregion: eu-west-1\n\
         network:\n  cidr: 10.0.0.0/16\n  availability_zones: [eu-west-1a, eu-west-1b]\n\
         load_balancer:\n  health_check:\n    port: 9000\n\
         compute:\n  port: 8080\n",
    );
    let apart = resources(&spec);
    for address in [
        "aws_vpc_security_group_egress_rule.alb_to_app_health_check",
        "aws_vpc_security_group_ingress_rule.app_health_check_from_alb",
    ] {
        let rule = &apart[address];
        assert_eq!(number(rule, "from_port"), Some(9000), "{address}");
        assert_eq!(number(rule, "to_port"), Some(9000), "{address}");
    }

    // On the traffic port (the default) the app port rules are all it takes.
    let spec = spec_file(
        dir.path(),
        "name: shop\nregion: eu-west-1\n\
         network:\n  cidr: 10.0.0.0/16\n  availability_zones: [eu-west-1a, eu-west-1b]\n",
    );
    let same = resources(&spec);
    assert!(!same.contains_key("aws_vpc_security_group_egress_rule.alb_to_app_health_check"));
    assert_eq!(
        number(
            &same["aws_vpc_security_group_ingress_rule.app_from_alb"],
            "from_port"
        ),
        Some(8080)
    );
}

/// Spec settings the examples do not use, each switching a branch of the templates: they
/// must still give `fmt`-clean HCL that validates.
const VARIANTS: &[(&str, &str)] = &[
    (
        "fixed-ami-requests-no-flow-logs",
        "name: variant\nenvironment: qa\nregion: ap-southeast-2\n\
         network:\n  cidr: 10.9.0.0/16\n  availability_zones: [ap-southeast-2a, ap-southeast-2b]\n\
         \x20 nat_gateways: single\n  flow_logs:\n    enabled: false\n\
         load_balancer:\n  access_logs:\n    enabled: true\n  health_check:\n    port: 8080\n\
         compute:\n  ami: ami-0123456789abcdef0\n  scaling:\n    metric: requests\n    target: 1000\n",
    ),
    (
        "step-no-nat-inline-user-data",
        "name: variant\nregion: eu-west-1\n\
         network:\n  cidr: 10.0.0.0/16\n  availability_zones: [eu-west-1a, eu-west-1b]\n\
         \x20 nat_gateways: none\n\
         load_balancer:\n  health_check:\n    port: 9000\n\
         compute:\n  user_data: \"#!/bin/sh\\necho no trailing newline\"\n\
         \x20 scaling:\n    policy: step\n",
    ),
];

#[test]
fn spec_variants_render_fmt_clean_hcl_that_validates() {
    let Some(terraform) = support::require_tool(
        "terraform or tofu",
        support::terraform_binary(),
        "install OpenTofu or Terraform",
    ) else {
        return;
    };
    for (name, yaml) in VARIANTS {
        let dir = tempfile::tempdir().unwrap();
        let spec = spec_file(dir.path(), yaml);
        let rendered = support::render(&spec);
        let module = dir.path().join("module");
        support::write_fresh(&rendered, &module);
        if let Some(script) = rendered.get("user_data.sh") {
            assert!(script.starts_with("#!"), "{name}: shebang not first");
            assert!(
                script.ends_with("newline\n") && !script.ends_with("\n\n"),
                "{name}: user data must end in exactly one newline"
            );
        }
        let tf = |args: &[&str]| {
            support::run_ok(
                support::terraform_command(&terraform)
                    .args(args)
                    .current_dir(&module),
                &format!("{name}: {}", args.join(" ")),
            )
        };
        tf(&["fmt", "-check", "-recursive", "-diff"]);
        tf(&["init", "-backend=false", "-input=false", "-no-color"]);
        tf(&["validate", "-no-color"]);
    }
}
