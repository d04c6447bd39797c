//! What the module takes from AWS facts hagen knows at render time (src/aws/): the access
//! log writers of the region, the AMI and task architecture, the RDS parameter family and
//! lifecycle, the backup schedule. Checked on the rendered HCL.

use hcl::{Block, Body, Expression};

use crate::support;

/// Renders `yaml` (a spec) and returns the module's top-level blocks of `file`.
fn blocks(yaml: &str, file: &str) -> Vec<Block> {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("spec.yaml");
    std::fs::write(&spec, yaml).unwrap();
    let rendered = support::render(&spec);
    let text = rendered
        .get(file)
        .unwrap_or_else(|| panic!("{file} not rendered"));
    let body: Body = hcl::from_str(text).unwrap();
    body.into_blocks().collect()
}

fn resource<'a>(blocks: &'a [Block], kind: &str, name: &str) -> &'a Block {
    blocks
        .iter()
        .find(|b| {
            let labels: Vec<&str> = b.labels().iter().map(|l| l.as_str()).collect();
            b.identifier() == "resource" && labels == [kind, name]
        })
        .unwrap_or_else(|| panic!("no {kind}.{name}"))
}

fn string(block: &Block, name: &str) -> String {
    match block
        .body()
        .attributes()
        .find(|a| a.key() == name)
        .map(|a| a.expr())
    {
        Some(Expression::String(s)) => s.clone(),
        Some(Expression::TemplateExpr(t)) => t.to_string(),
        other => panic!("{name}: {other:?}"),
    }
}

fn nested<'a>(block: &'a Block, name: &str) -> &'a Block {
    block
        .body()
        .blocks()
        .find(|b| b.identifier() == name)
        .unwrap_or_else(|| panic!("no {name} block"))
}

fn spec(region: &str, extra: &str) -> String {
    format!(
        "name: shop\nregion: {region}\nnetwork:\n  cidr: 10.0.0.0/16\n  availability_zones: [{region}a, {region}b]\n{extra}"
    )
}

const ACCESS_LOGS: &str = "load_balancer:\n  access_logs:\n    enabled: true\n";

/// In regions opened after August 2022 `data "aws_elb_service_account"` fails at plan:
/// the policy names the log delivery service only; older regions also get their account.
#[test]
fn access_log_writers_follow_the_region() {
    for (region, account) in [
        ("eu-central-2", None),
        ("il-central-1", None),
        ("ap-southeast-4", None),
        ("eu-west-1", Some("156460612806")),
        ("us-east-1", Some("127311923021")),
    ] {
        let blocks = blocks(&spec(region, ACCESS_LOGS), "load_balancer.tf");
        assert!(
            blocks.iter().all(|b| b.identifier() != "data"),
            "{region}: a data source in load_balancer.tf"
        );
        let policy =
            hcl::format::to_string(resource(&blocks, "aws_s3_bucket_policy", "alb_logs")).unwrap();
        assert!(
            policy.contains("logdelivery.elasticloadbalancing.amazonaws.com"),
            "{region}: {policy}"
        );
        match account {
            Some(account) => assert!(
                policy.contains(&format!(":iam::{account}:root")),
                "{region}: {policy}"
            ),
            None => assert!(!policy.contains(":iam::"), "{region}: {policy}"),
        }
    }
}

/// Graviton types boot the arm64 AMI; ECS tasks run the spec's architecture.
#[test]
fn architecture_follows_the_instance_type_and_the_ecs_key() {
    for (instance_type, arch) in [
        ("t4g.small", "arm64"),
        ("c7g.large", "arm64"),
        ("t3.small", "x86_64"),
    ] {
        let blocks = blocks(
            &spec(
                "eu-west-1",
                &format!("compute:\n  instance_type: {instance_type}\n"),
            ),
            "compute.tf",
        );
        let template = resource(&blocks, "aws_launch_template", "app");
        assert_eq!(
            string(template, "image_id"),
            format!(
                "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{arch}"
            )
        );
    }
    for (key, expected) in [("", "X86_64"), ("  cpu_architecture: arm64\n", "ARM64")] {
        let yaml = spec(
            "eu-west-1",
            &format!("compute:\n  kind: ecs\n  image: public.ecr.aws/nginx/nginx:1.27\n{key}"),
        );
        let blocks = blocks(&yaml, "ecs.tf");
        let task = resource(&blocks, "aws_ecs_task_definition", "app");
        assert_eq!(
            string(nested(task, "runtime_platform"), "cpu_architecture"),
            expected
        );
    }
}

/// MySQL defaults to 8.4 LTS, families follow the major version, and no engine is
/// enrolled in (billed) RDS Extended Support.
#[test]
fn engine_family_and_lifecycle() {
    for (database, family, version) in [
        ("  engine: mysql\n", "mysql8.4", "8.4"),
        (
            "  engine: mysql\n  engine_version: \"8.4.5\"\n",
            "mysql8.4",
            "8.4",
        ),
        ("  engine: postgres\n", "postgres16", "16"),
        ("  engine_version: \"17.2\"\n", "postgres17", "17"),
    ] {
        let blocks = blocks(
            &spec("eu-west-1", &format!("database:\n{database}")),
            "database.tf",
        );
        assert_eq!(
            string(
                resource(&blocks, "aws_db_parameter_group", "this"),
                "family"
            ),
            family
        );
        let instance = resource(&blocks, "aws_db_instance", "this");
        assert_eq!(string(instance, "engine_version"), version);
        assert_eq!(
            string(instance, "engine_lifecycle_support"),
            "open-source-rds-extended-support-disabled"
        );
    }
}

/// The default schedule backs the database up an hour clear of the default windows.
#[test]
fn default_backup_schedule_clears_the_rds_windows() {
    let blocks = blocks(
        &spec(
            "eu-west-1",
            "storage:\n  buckets:\n    - name: assets\nbackup:\n  include_database: true\n",
        ),
        "backup.tf",
    );
    let plan = resource(&blocks, "aws_backup_plan", "this");
    let rule = nested(plan, "rule");
    assert_eq!(string(rule, "schedule"), "cron(0 0 * * ? *)");
    let database = blocks_of_database();
    let starts = hagen::aws::schedule::cron_starts(&string(rule, "schedule")).unwrap();
    let mut windows = hagen::aws::schedule::daily_window(&database.0).unwrap();
    windows.push(hagen::aws::schedule::weekly_window(&database.1).unwrap());
    assert_eq!(
        hagen::aws::schedule::first_collision(&starts, &windows),
        None
    );
}

/// The default RDS windows as rendered.
fn blocks_of_database() -> (String, String) {
    let blocks = blocks(&spec("eu-west-1", ""), "database.tf");
    let instance = resource(&blocks, "aws_db_instance", "this");
    (
        string(instance, "backup_window"),
        string(instance, "maintenance_window"),
    )
}
