//! ECS Fargate compute and the DynamoDB backend (issue 6): kind exclusivity in the
//! schema, and the parts of the rendered module that only these kinds produce.

use serde_json::{Value, json};

fn minimal() -> Value {
    json!({
        "name": "shop",
        "region": "eu-west-1",
        "network": {"cidr": "10.0.0.0/16", "availability_zones": ["eu-west-1a", "eu-west-1b"]}
    })
}

#[test]
fn ec2_keys_under_kind_ecs_are_errors_at_the_key() {
    let mut spec = minimal();
    spec["compute"] = json!({
        "kind": "ecs",
        "image": "public.ecr.aws/nginx/nginx:1.27",
        "instance_type": "t3.small",
        "user_data": "#!/bin/sh"
    });
    assert_eq!(
        crate::support::schema_error_paths(&spec),
        ["/compute/instance_type", "/compute/user_data"]
    );
}

#[test]
fn ecs_keys_under_kind_ec2_are_errors_at_the_key() {
    let mut spec = minimal();
    // `kind` left out: EC2 is the default and the ECS keys are still rejected.
    spec["compute"] = json!({"image": "nginx", "cpu": 512, "read_only_root_filesystem": false});
    assert_eq!(
        crate::support::schema_error_paths(&spec),
        [
            "/compute/cpu",
            "/compute/image",
            "/compute/read_only_root_filesystem"
        ]
    );
}

#[test]
fn kind_ecs_needs_an_image() {
    let mut spec = minimal();
    spec["compute"] = json!({"kind": "ecs"});
    assert_eq!(crate::support::schema_error_paths(&spec), ["/compute"]);
    spec["compute"]["image"] = "public.ecr.aws/nginx/nginx:1.27".into();
    assert!(crate::support::schema_error_paths(&spec).is_empty());
}

#[test]
fn shared_compute_keys_are_allowed_for_both_kinds() {
    for kind in ["ec2", "ecs"] {
        let mut spec = minimal();
        spec["compute"] = json!({
            "kind": kind, "port": 3000, "min_size": 2, "max_size": 4,
            "health_check_grace_period": 60, "scaling": {"policy": "step"}
        });
        if kind == "ecs" {
            spec["compute"]["image"] = "nginx".into();
        }
        assert!(
            crate::support::schema_error_paths(&spec).is_empty(),
            "{kind}"
        );
    }
}

#[test]
fn rds_keys_under_kind_dynamodb_are_errors_at_the_key() {
    let mut spec = minimal();
    spec["database"] = json!({
        "kind": "dynamodb",
        "engine": "mysql",
        "multi_az": false,
        "deletion_protection": false,
        "tables": [{"name": "sessions", "partition_key": {"name": "id"}}]
    });
    assert_eq!(
        crate::support::schema_error_paths(&spec),
        ["/database/engine", "/database/multi_az"]
    );
}

#[test]
fn kind_dynamodb_needs_tables_but_rds_may_have_them_too() {
    let mut spec = minimal();
    spec["database"] = json!({"kind": "dynamodb"});
    assert_eq!(crate::support::schema_error_paths(&spec), ["/database"]);
    spec["database"] = json!({
        "kind": "rds", "engine": "postgres",
        "tables": [{"name": "sessions", "partition_key": {"name": "id"}}]
    });
    assert!(crate::support::schema_error_paths(&spec).is_empty());
}

// --- semantic rules (positions come from the YAML) ---

fn diagnostics(yaml: &str) -> Vec<hagen::diagnostics::Diagnostic> {
    let loaded =
        hagen::load::load_from_bytes(std::path::Path::new("spec.yaml"), yaml.as_bytes().to_vec())
            .unwrap();
    hagen::validate::check(&loaded)
}

const DYNAMODB_SPEC: &str = "\
name: shop
region: eu-west-1
network:
  cidr: 10.0.0.0/16
  availability_zones: [eu-west-1a, eu-west-1b]
database:
  kind: dynamodb
  tables:
    - name: orders
      partition_key: {name: id, type: S}
      sort_key: {name: created, type: N}
      billing_mode: provisioned
      read_capacity: {min: 50, max: 10}
      global_secondary_indexes:
        - name: by-created
          partition_key: {name: created, type: S}
";

#[test]
fn a_key_attribute_with_two_types_is_an_error_at_the_second_use() {
    let found = diagnostics(DYNAMODB_SPEC);
    let conflict = found
        .iter()
        .find(|d| d.message.contains("attribute `created`"))
        .unwrap_or_else(|| panic!("no type conflict reported: {found:#?}"));
    assert_eq!(conflict.line, 16, "{conflict:?}");
    assert!(
        conflict.message.contains("type S here but N at line 11"),
        "{}",
        conflict.message
    );
}

#[test]
fn provisioned_capacity_min_above_max_is_an_error() {
    let found = diagnostics(DYNAMODB_SPEC);
    let capacity = found
        .iter()
        .find(|d| d.message.contains("read_capacity.min"))
        .unwrap_or_else(|| panic!("no capacity error reported: {found:#?}"));
    assert_eq!(capacity.line, 13, "{capacity:?}");
}

#[test]
fn the_same_attribute_with_the_same_type_is_fine() {
    let spec = DYNAMODB_SPEC
        .replace("{name: created, type: S}", "{name: created, type: N}")
        .replace("{min: 50, max: 10}", "{min: 5, max: 10}");
    assert!(diagnostics(&spec).is_empty(), "{:#?}", diagnostics(&spec));
}

// --- rendering ---

fn render(yaml: &str) -> hagen::render::Rendered {
    let loaded =
        hagen::load::load_from_bytes(std::path::Path::new("spec.yaml"), yaml.as_bytes().to_vec())
            .unwrap();
    let model = hagen::model_from_loaded(&loaded).unwrap();
    hagen::render::render(&model, &hagen::render::builtin_templates()).unwrap()
}

const ECS_SPEC: &str = "\
name: shop
region: eu-west-1
network:
  cidr: 10.0.0.0/16
  availability_zones: [eu-west-1a, eu-west-1b]
compute:
  kind: ecs
  image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/shop@sha256:0123
  secrets:
    DB_PASSWORD: \"arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf:password::\"
    TOKEN: arn:aws:ssm:eu-west-1:123456789012:parameter/shop/token
";

#[test]
fn ecs_execution_role_reads_exactly_the_listed_secrets_and_pulls_one_repository() {
    let files = render(ECS_SPEC);
    let ecs = &files["ecs.tf"];
    // The JSON-key suffix is cut: IAM matches the secret's own ARN.
    assert!(
        ecs.contains(
            r#"Resource = ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"]"#
        ),
        "{ecs}"
    );
    assert!(
        ecs.contains(r#"Resource = ["arn:aws:ssm:eu-west-1:123456789012:parameter/shop/token"]"#),
        "{ecs}"
    );
    // The container still gets the full reference, suffix included.
    assert!(ecs.contains(
        r#"valueFrom = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf:password::""#
    ));
    assert!(
        ecs.contains(":ecr:eu-west-1:123456789012:repository/team/shop\""),
        "{ecs}"
    );
    assert!(
        !files.contains_key("compute.tf"),
        "no EC2 resources for kind: ecs"
    );
    assert!(files["load_balancer.tf"].contains(r#"target_type          = "ip""#));
}

#[test]
fn ecs_public_image_gets_no_ecr_permissions_and_writable_root_is_a_stated_skip() {
    let spec = ECS_SPEC
        .replace(
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/shop@sha256:0123",
            "public.ecr.aws/nginx/nginx:1.27",
        )
        .replace(
            "  secrets:\n",
            "  read_only_root_filesystem: false\n  secrets:\n",
        );
    let ecs = &render(&spec)["ecs.tf"];
    assert!(!ecs.contains("ecr:"), "{ecs}");
    assert!(ecs.contains("#checkov:skip=CKV_AWS_336:"), "{ecs}");
    assert!(ecs.contains("readonlyRootFilesystem = false"), "{ecs}");
    assert!(!ecs.contains("volume {"), "{ecs}");
}

#[test]
fn dynamodb_declares_each_key_attribute_once_and_scopes_iam_to_tables_and_indexes() {
    let spec = DYNAMODB_SPEC
        .replace("{name: created, type: S}", "{name: created, type: N}")
        .replace("{min: 50, max: 10}", "{min: 5, max: 10}");
    let files = render(&spec);
    let dynamodb = &files["dynamodb.tf"];
    assert!(
        dynamodb.contains(
            "attributes = {\n        \"id\"      = \"S\"\n        \"created\" = \"N\"\n      }"
        ),
        "{dynamodb}"
    );
    assert!(dynamodb.contains(r#""orders/index/by-created/read" = {"#));
    // The app's access to tables and indexes is part of its one data policy.
    assert!(
        files["app_access.tf"]
            .contains(r#""${aws_dynamodb_table.this["orders"].arn}/index/by-created","#)
    );
    assert!(
        !files["app_access.tf"].contains("/index/*"),
        "no wildcard over indexes"
    );
    assert!(
        !files.contains_key("database.tf"),
        "no RDS for kind: dynamodb"
    );
    assert!(files["network.tf"].contains(r#"resource "aws_vpc_endpoint" "dynamodb""#));
}
