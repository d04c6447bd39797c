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

/// Instance paths (JSON pointers) of every schema error: the validate stage turns these
/// into `file:line:col`, so they must name the offending key, not its parent.
fn schema_error_paths(document: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(hagen::validate::SCHEMA).unwrap();
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
        schema_error_paths(&spec),
        ["/compute/instance_type", "/compute/user_data"]
    );
}

#[test]
fn ecs_keys_under_kind_ec2_are_errors_at_the_key() {
    let mut spec = minimal();
    // `kind` left out: EC2 is the default and the ECS keys are still rejected.
    spec["compute"] = json!({"image": "nginx", "cpu": 512, "read_only_root_filesystem": false});
    assert_eq!(
        schema_error_paths(&spec),
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
    assert_eq!(schema_error_paths(&spec), ["/compute"]);
    spec["compute"]["image"] = "public.ecr.aws/nginx/nginx:1.27".into();
    assert!(schema_error_paths(&spec).is_empty());
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
        assert!(schema_error_paths(&spec).is_empty(), "{kind}");
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
        schema_error_paths(&spec),
        ["/database/engine", "/database/multi_az"]
    );
}

#[test]
fn kind_dynamodb_needs_tables_but_rds_may_have_them_too() {
    let mut spec = minimal();
    spec["database"] = json!({"kind": "dynamodb"});
    assert_eq!(schema_error_paths(&spec), ["/database"]);
    spec["database"] = json!({
        "kind": "rds", "engine": "postgres",
        "tables": [{"name": "sessions", "partition_key": {"name": "id"}}]
    });
    assert!(schema_error_paths(&spec).is_empty());
}
