//! What only real AWS (or a real operator) meets: perpetual diffs, changes AWS refuses to
//! apply in one go, alarms that page for nothing, names that collide across regions or
//! destroys, version floors, and state crossing environments (issue 9). Each test renders
//! a spec in memory and reads the generated HCL back with an HCL parser.

use hagen::render::Rendered;

use crate::support;

/// The body of the first `KIND "LABEL0" "LABEL1"` block in FILE (labels as given).
fn block(rendered: &Rendered, file: &str, kind: &str, labels: &[&str]) -> Option<hcl::Body> {
    let body = hcl::parse(rendered.get(file)?).unwrap();
    body.blocks()
        .find(|block| {
            block.identifier() == kind
                && block.labels().len() == labels.len()
                && block
                    .labels()
                    .iter()
                    .zip(labels)
                    .all(|(label, want)| label.as_str() == *want)
        })
        .map(|block| block.body().clone())
}

fn resource(rendered: &Rendered, file: &str, kind: &str, name: &str) -> hcl::Body {
    block(rendered, file, "resource", &[kind, name])
        .unwrap_or_else(|| panic!("no resource {kind}.{name} in {file}"))
}

/// An attribute as whitespace-free HCL source text ("" when absent).
fn attribute(body: &hcl::Body, key: &str) -> String {
    body.attributes()
        .find(|attr| attr.key() == key)
        .map(|attr| {
            hcl::format::to_string(attr.expr())
                .unwrap()
                .split_whitespace()
                .collect()
        })
        .unwrap_or_default()
}

fn nested(body: &hcl::Body, kind: &str) -> Vec<hcl::Body> {
    body.blocks()
        .filter(|block| block.identifier() == kind)
        .map(|block| block.body().clone())
        .collect()
}

fn ignored_changes(body: &hcl::Body) -> String {
    nested(body, "lifecycle")
        .first()
        .map(|lifecycle| attribute(lifecycle, "ignore_changes"))
        .unwrap_or_default()
}

#[test]
fn postgres_15_and_later_leave_force_ssl_at_its_default() {
    let parameters = |version: &str| -> Vec<String> {
        let rendered = support::render_base_with(&format!(
            "database:\n  engine: postgres\n  engine_version: \"{version}\"\n"
        ));
        let group = resource(&rendered, "database.tf", "aws_db_parameter_group", "this");
        nested(&group, "parameter")
            .iter()
            .map(|parameter| attribute(parameter, "name"))
            .collect()
    };
    // 1 is the engine default from 15 on: setting it is a perpetual diff on real RDS.
    for version in ["15", "16.4", "17"] {
        assert!(
            !parameters(version).contains(&"\"rds.force_ssl\"".to_string()),
            "postgres {version}"
        );
    }
    // Before 15 the default is 0: the module must set it.
    assert!(parameters("14").contains(&"\"rds.force_ssl\"".to_string()));
}

#[test]
fn a_major_engine_upgrade_applies_in_one_go() {
    let rendered = support::render_example("production");
    let db = resource(&rendered, "database.tf", "aws_db_instance", "this");
    assert_eq!(attribute(&db, "allow_major_version_upgrade"), "true");
    assert_eq!(
        attribute(&db, "apply_immediately"),
        "var.db_apply_immediately"
    );
    assert!(rendered["variables.tf"].contains("variable \"db_apply_immediately\""));
    // The family is in the parameter group's name and it is created before the old one
    // (still attached) is destroyed.
    let group = resource(&rendered, "database.tf", "aws_db_parameter_group", "this");
    assert!(attribute(&group, "name").contains("postgres16"));
    let lifecycle = nested(&group, "lifecycle");
    assert_eq!(attribute(&lifecycle[0], "create_before_destroy"), "true");
}

#[test]
fn each_database_gets_its_own_final_snapshot_name() {
    let rendered = support::render_example("production");
    let db = resource(&rendered, "database.tf", "aws_db_instance", "this");
    let name = attribute(&db, "final_snapshot_identifier");
    assert!(name.contains("timestamp()"), "{name}");
    // Fixed at creation: otherwise every plan would show a new name.
    assert!(ignored_changes(&db).contains("final_snapshot_identifier"));
}

#[test]
fn rds_log_exports_go_to_encrypted_expiring_log_groups_made_first() {
    let rendered = support::render_example("production");
    let groups = resource(&rendered, "database.tf", "aws_cloudwatch_log_group", "rds");
    assert_eq!(
        attribute(&groups, "name"),
        "\"/aws/rds/instance/${local.name_prefix}-db/${each.key}\""
    );
    assert_eq!(attribute(&groups, "kms_key_id"), "aws_kms_key.main.arn");
    assert!(
        attribute(&groups, "retention_in_days")
            .parse::<u32>()
            .unwrap()
            > 0
    );
    let db = resource(&rendered, "database.tf", "aws_db_instance", "this");
    assert!(attribute(&db, "identifier").contains("${local.name_prefix}-db"));
    assert!(attribute(&db, "depends_on").contains("aws_cloudwatch_log_group.rds"));
    // An upgraded stack already has the groups RDS made: the module can adopt them.
    let import = block(&rendered, "database.tf", "import", &[]).expect("import block");
    assert_eq!(
        attribute(&import, "to"),
        "aws_cloudwatch_log_group.rds[each.key]"
    );
    let adopted = attribute(&import, "for_each");
    assert!(
        adopted.contains("data.aws_cloudwatch_log_groups.rds.log_group_names"),
        "{adopted}"
    );
}

#[test]
fn autoscaled_index_capacity_is_not_reset_by_apply() {
    // ec2-dynamodb has a provisioned table with an index.
    let rendered = support::render_example("ec2-dynamodb");
    let table = resource(&rendered, "dynamodb.tf", "aws_dynamodb_table", "this");
    let ignored = ignored_changes(&table);
    for attr in ["read_capacity", "write_capacity", "global_secondary_index"] {
        assert!(ignored.contains(attr), "{attr} not in {ignored}");
    }
    // Ignoring the index set must not hide an index change in the spec.
    let lifecycle = &nested(&table, "lifecycle")[0];
    let guard = &nested(lifecycle, "postcondition")[0];
    assert!(attribute(guard, "condition").contains("self.global_secondary_index"));

    // On-demand tables only: nothing is autoscaled, index changes apply as usual.
    let on_demand = support::render_base_with(
        "database:\n  kind: dynamodb\n  tables:\n    - name: items\n      partition_key: {name: id}\n      global_secondary_indexes:\n        - name: by-owner\n          partition_key: {name: owner}\n",
    );
    let table = resource(&on_demand, "dynamodb.tf", "aws_dynamodb_table", "this");
    assert!(!ignored_changes(&table).contains("global_secondary_index"));
}

#[test]
fn index_throttling_has_its_own_alarm_per_index() {
    let rendered = support::render_example("ec2-dynamodb");
    let alarm = resource(
        &rendered,
        "monitoring.tf",
        "aws_cloudwatch_metric_alarm",
        "dynamodb_index_throttles",
    );
    let keys = attribute(&alarm, "for_each");
    assert!(keys.contains("\"links/by-owner\""), "{keys}");
    assert!(keys.contains("\"clicks/by-day\""), "{keys}");
    let metrics: Vec<hcl::Body> = nested(&alarm, "metric_query")
        .iter()
        .flat_map(|query| nested(query, "metric"))
        .collect();
    assert_eq!(metrics.len(), 2);
    for metric in metrics {
        assert!(
            attribute(&metric, "dimensions").contains("GlobalSecondaryIndexName=each.value.index")
        );
    }
}

#[test]
fn an_idle_site_does_not_page() {
    let rendered = support::render_example("minimal");
    let alarm = resource(
        &rendered,
        "monitoring.tf",
        "aws_cloudwatch_metric_alarm",
        "traffic_anomaly",
    );
    assert_eq!(attribute(&alarm, "treat_missing_data"), "\"notBreaching\"");
}

#[test]
fn a_new_port_or_compute_kind_replaces_the_target_group_in_one_apply() {
    let name_of = |compute: &str| {
        let rendered = support::render_base_with(compute);
        let group = resource(&rendered, "load_balancer.tf", "aws_lb_target_group", "app");
        let lifecycle = nested(&group, "lifecycle");
        assert_eq!(attribute(&lifecycle[0], "create_before_destroy"), "true");
        attribute(&group, "name")
    };
    let ec2_8080 = name_of("compute:\n  kind: ec2\n  port: 8080\n");
    let ec2_9000 = name_of("compute:\n  kind: ec2\n  port: 9000\n");
    let ecs_8080 =
        name_of("compute:\n  kind: ecs\n  image: public.ecr.aws/nginx/nginx:1.27\n  port: 8080\n");
    // What forces a new target group changes its name, so the new one can exist beside
    // the old one while the listeners move over.
    assert_ne!(ec2_8080, ec2_9000);
    assert_ne!(ec2_8080, ecs_8080);
    assert_eq!(ec2_8080, name_of("compute:\n  kind: ec2\n  port: 8080\n"));
}

#[test]
fn account_global_names_carry_the_region() {
    let rendered = support::render_example("production");
    assert!(
        rendered["main.tf"].contains("global_name_prefix = \"${local.name_prefix}-eu-west-1\"")
    );
    for (file, kind, name) in [
        ("database.tf", "aws_iam_role", "rds_monitoring"),
        ("backup.tf", "aws_iam_role", "backup"),
        ("network.tf", "aws_iam_role", "flow_logs"),
        ("monitoring.tf", "aws_cloudwatch_dashboard", "this"),
    ] {
        let body = resource(&rendered, file, kind, name);
        let key = if kind == "aws_cloudwatch_dashboard" {
            "dashboard_name"
        } else {
            "name"
        };
        assert!(
            attribute(&body, key).contains("local.global_name_prefix"),
            "{kind}.{name}"
        );
    }
}

fn required_version(rendered: &Rendered) -> String {
    let body = hcl::parse(&rendered["versions.tf"]).unwrap();
    let terraform = body
        .blocks()
        .find(|block| block.identifier() == "terraform")
        .unwrap();
    attribute(terraform.body(), "required_version")
}

#[test]
fn required_version_states_the_real_floor() {
    // use_lockfile: Terraform 1.10 / OpenTofu 1.10.
    assert_eq!(
        required_version(&support::render_example("production")),
        "\">=1.10.0\""
    );
    // mock_provider in the self-tests: 1.7.
    assert_eq!(
        required_version(&support::render_base_with("self_tests: true\n")),
        "\">=1.7.0\""
    );
    // ...and for_each in the import block that adopts RDS log groups: 1.7 too.
    assert_eq!(
        required_version(&support::render_base_with("self_tests: false\n")),
        "\">=1.7.0\""
    );
    let no_rds = "self_tests: false\ndatabase:\n  kind: dynamodb\n  tables:\n    - name: items\n      partition_key: {name: id}\n";
    assert_eq!(
        required_version(&support::render_base_with(no_rds)),
        "\">=1.6.0\""
    );
}

#[test]
fn with_environments_the_backend_takes_bucket_and_key_only_from_the_environment_file() {
    let rendered = support::render_base_with(
        "state:\n  bucket: acme-state\nenvironments:\n  dev: {}\n  prod: {}\n",
    );
    let body = hcl::parse(&rendered["backend.tf"]).unwrap();
    let terraform = body
        .blocks()
        .find(|block| block.identifier() == "terraform")
        .unwrap();
    let backend = &nested(terraform.body(), "backend")[0];
    // Without bucket and key a plain `init` fails instead of using another environment's state.
    assert_eq!(attribute(backend, "bucket"), "");
    assert_eq!(attribute(backend, "key"), "");
    assert_eq!(attribute(backend, "use_lockfile"), "true");
    for env in ["dev", "prod"] {
        let file = &rendered[&format!("environments/{env}.s3.tfbackend")];
        assert!(file.contains("bucket = \"acme-state\""), "{file}");
        assert!(
            file.contains(&format!("key    = \"shop/{env}/terraform.tfstate\"")),
            "{file}"
        );
    }
    let readme = &rendered["README.md"];
    assert!(readme.contains("init -backend=false"), "offline tests");
    assert!(readme.contains("-backend-config=environments/dev.s3.tfbackend"));

    // Without environments the one state stays fully configured.
    let single = support::render_base_with("state:\n  bucket: acme-state\n");
    assert!(single["backend.tf"].contains("key          = \"shop/"));
}
