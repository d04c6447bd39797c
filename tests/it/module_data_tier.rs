//! The data tier and its safety nets as the spec switches them: database, buckets,
//! backups, monitoring and remote state. Each test renders a spec in memory and reads
//! the generated HCL back with an HCL parser.

use hagen::render::Rendered;

use crate::support;

/// The body of `resource "KIND" "NAME"` in FILE, if the file and block exist.
fn resource(rendered: &Rendered, file: &str, kind: &str, name: &str) -> Option<hcl::Body> {
    let body = hcl::parse(rendered.get(file)?).unwrap();
    body.blocks()
        .find(|block| {
            block.identifier() == "resource"
                && block.labels()[0].as_str() == kind
                && block.labels()[1].as_str() == name
        })
        .map(|block| block.body().clone())
}

/// An attribute as HCL source text, for comparisons that do not care about its type.
fn attribute(body: &hcl::Body, key: &str) -> String {
    let expr = body
        .attributes()
        .find(|attr| attr.key() == key)
        .unwrap_or_else(|| panic!("no attribute {key}"))
        .expr()
        .clone();
    // Whitespace-free, so `[\n  x\n]` and `[x]` compare equal.
    hcl::format::to_string(&expr)
        .unwrap()
        .split_whitespace()
        .collect()
}

#[test]
fn database_is_private_encrypted_and_keeps_its_password_out_of_state() {
    let rendered = support::render_example("production");
    let db = resource(&rendered, "database.tf", "aws_db_instance", "this").unwrap();
    assert_eq!(attribute(&db, "publicly_accessible"), "false");
    assert_eq!(attribute(&db, "storage_encrypted"), "true");
    assert_eq!(attribute(&db, "manage_master_user_password"), "true");
    assert_eq!(attribute(&db, "multi_az"), "var.db_multi_az");
    assert_eq!(attribute(&db, "storage_type"), "\"gp3\"");
    assert!(
        !db.attributes().any(|attr| attr.key() == "password"),
        "no password attribute may exist"
    );
    assert_eq!(
        attribute(&db, "final_snapshot_identifier"),
        "\"${local.name_prefix}-db-final-${formatdate(\"YYYYMMDDhhmmss\",timestamp())}\""
    );
    // Performance Insights and enhanced monitoring are on by default, with the role.
    assert_eq!(attribute(&db, "performance_insights_enabled"), "true");
    assert_eq!(attribute(&db, "monitoring_interval"), "60");
    assert!(resource(&rendered, "database.tf", "aws_iam_role", "rds_monitoring").is_some());
}

#[test]
fn switched_off_database_features_are_skipped_with_a_reason_and_lose_their_role() {
    let rendered = support::render_example("options");
    let text = &rendered["database.tf"];
    assert!(text.contains("#checkov:skip=CKV_AWS_353:"), "{text}");
    assert!(text.contains("#checkov:skip=CKV_AWS_118:"), "{text}");
    assert!(resource(&rendered, "database.tf", "aws_iam_role", "rds_monitoring").is_none());
    let db = resource(&rendered, "database.tf", "aws_db_instance", "this").unwrap();
    assert_eq!(attribute(&db, "monitoring_interval"), "0");
    assert_eq!(attribute(&db, "engine"), "\"mysql\"");
}

#[test]
fn parameter_group_forces_tls_for_each_engine() {
    // PostgreSQL 15 and later force TLS by default (rds.force_ssl = 1), and a parameter set
    // to its default is a perpetual diff: module_real_aws checks it is left out there.
    for (engine, parameter) in [
        ("postgres\n  engine_version: \"14\"", "rds.force_ssl"),
        ("mysql", "require_secure_transport"),
    ] {
        let rendered = support::render_base_with(&format!("database:\n  engine: {engine}\n"));
        let group = resource(&rendered, "database.tf", "aws_db_parameter_group", "this").unwrap();
        let forced = group
            .blocks()
            .filter(|block| block.identifier() == "parameter")
            .any(|block| {
                attribute(block.body(), "name") == format!("\"{parameter}\"")
                    && attribute(block.body(), "value") == "\"1\""
            });
        assert!(forced, "{engine}: {parameter} = 1 missing");
    }
}

#[test]
fn backup_selection_covers_buckets_and_the_database_only_when_asked() {
    let production = support::render_example("production");
    let selection = resource(&production, "backup.tf", "aws_backup_selection", "this").unwrap();
    let resources = attribute(&selection, "resources");
    assert!(resources.contains("aws_s3_bucket.this"), "{resources}");
    assert!(
        resources.contains("aws_db_instance.this.arn"),
        "{resources}"
    );

    let buckets_only = support::render_base_with("storage:\n  buckets:\n    - name: assets\n");
    let selection = resource(&buckets_only, "backup.tf", "aws_backup_selection", "this").unwrap();
    let resources = attribute(&selection, "resources");
    assert!(resources.contains("aws_s3_bucket.this"), "{resources}");
    assert!(!resources.contains("aws_db_instance"), "{resources}");

    // Nothing to back up: no vault, no plan, no variable, no output.
    let nothing = support::render_base_with("");
    assert!(!nothing.contains_key("backup.tf"));
    assert!(!nothing["variables.tf"].contains("variable \"backup_retention_days\""));
    assert!(!nothing["outputs.tf"].contains("backup_vault_name"));
}

#[test]
fn buckets_are_named_per_account_and_use_the_spec_key_when_given() {
    let rendered = support::render_example("options");
    let text = &rendered["storage.tf"];
    assert!(text.contains(
        "bucket        = \"${local.name_prefix}-${each.key}-${data.aws_caller_identity.current.account_id}\""
    ));
    assert!(text.contains(
        "kms_key_arn                        = \"arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab\""
    ));
    let production = support::render_example("production");
    assert!(
        production["storage.tf"]
            .contains("kms_key_arn                        = aws_kms_key.main.arn")
    );
}

#[test]
fn every_alarm_notifies_the_topic_on_alarm_and_on_recovery() {
    for example in [
        "production",
        "minimal",
        "options",
        "ecs-rds",
        "eks-rds",
        "ec2-dynamodb",
    ] {
        let rendered = support::render_example(example);
        // monitoring.tf and the compute kind's own <kind>_monitoring.tf, and any other file.
        let bodies: Vec<hcl::Body> = rendered
            .iter()
            .filter(|(path, _)| path.ends_with(".tf"))
            .map(|(_, text)| hcl::parse(text).unwrap())
            .collect();
        let alarms: Vec<&hcl::Block> = bodies
            .iter()
            .flat_map(hcl::Body::blocks)
            .filter(|block| {
                block.labels().first().map(|l| l.as_str()) == Some("aws_cloudwatch_metric_alarm")
            })
            // Step scaling's alarms (compute.tf) act on their scaling policy instead.
            .filter(|block| {
                !attribute(block.body(), "alarm_actions").contains("autoscaling_policy")
            })
            .collect();
        assert!(alarms.len() >= 9, "{example}: {} alarms", alarms.len());
        for alarm in alarms {
            for key in ["alarm_actions", "ok_actions"] {
                assert_eq!(
                    attribute(alarm.body(), key),
                    "[aws_sns_topic.alarms.arn]",
                    "{example}: {key} of {}",
                    alarm.labels()[1].as_str()
                );
            }
        }
    }
}

#[test]
fn dashboard_and_backend_follow_the_spec() {
    let production = support::render_example("production");
    assert!(production["monitoring.tf"].contains("resource \"aws_cloudwatch_dashboard\""));
    let backend = &production["backend.tf"];
    assert!(backend.contains("use_lockfile = true"), "{backend}");
    assert!(
        backend.contains("key          = \"shop/prod/terraform.tfstate\""),
        "{backend}"
    );

    let minimal = support::render_example("minimal");
    assert!(!minimal["monitoring.tf"].contains("aws_cloudwatch_dashboard"));
    assert!(!minimal.contains_key("backend.tf"));
}
