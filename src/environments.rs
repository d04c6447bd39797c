//! Environments: one module, several deployments. `environments.<env>` in the spec
//! overrides tunable keys (the table in docs/CONTRACT.md); each environment renders to
//! `environments/<env>.tfvars` (and `environments/<env>.s3.tfbackend` with remote state)
//! from the per-environment templates `environments/_env.*.j2`.
//!
//! The values are resolved here, from the model, once, into [`Model::resolved_environments`]
//! (by [`crate::model_from_loaded`]), so templates only print them.

use serde_json::Value as Json;

use crate::model::{AzureEnvBackend, EnvBackend, EnvContext, EnvVariable, Model};

/// One tunable: where it sits in the spec, the module variable it sets, and whether the
/// module declares that variable for this spec (an EC2 module has no `task_cpu`).
pub struct Tunable {
    pub spec_path: &'static str,
    pub variable: &'static str,
    pub applies: fn(&Model) -> bool,
}

fn always(_: &Model) -> bool {
    true
}
fn aws(model: &Model) -> bool {
    model.azure.is_none()
}
fn azure(model: &Model) -> bool {
    model.azure.is_some()
}
fn ec2(model: &Model) -> bool {
    aws(model) && model.compute.is_ec2
}
fn ecs(model: &Model) -> bool {
    aws(model) && model.compute.is_ecs
}
/// EKS sizes live in the rendered Kubernetes manifests, not in Terraform variables.
fn not_eks(model: &Model) -> bool {
    !model.compute.is_eks
}
fn rds(model: &Model) -> bool {
    aws(model) && model.database.rds
}
fn rds_or_azure_sql(model: &Model) -> bool {
    rds(model) || azure(model)
}
fn any_database(model: &Model) -> bool {
    aws(model) && (model.database.rds || model.database.dynamodb)
}
fn backup(model: &Model) -> bool {
    match &model.azure {
        None => model.backup_active,
        Some(azure) => azure.backup_active,
    }
}

/// The tunables, in the order the `.tfvars` lists them (docs/CONTRACT.md's table; the
/// schema's `environments` part allows exactly these keys, a test keeps them in step).
#[rustfmt::skip]
pub const TUNABLES: &[Tunable] = &[
    Tunable { spec_path: "environment", variable: "environment", applies: always },
    Tunable { spec_path: "load_balancer.certificate_arn", variable: "certificate_arn", applies: aws },
    Tunable { spec_path: "load_balancer.deletion_protection", variable: "alb_deletion_protection", applies: aws },
    Tunable { spec_path: "compute.instance_type", variable: "instance_type", applies: ec2 },
    Tunable { spec_path: "compute.vm_size", variable: "vm_size", applies: azure },
    Tunable { spec_path: "compute.min_size", variable: "min_size", applies: not_eks },
    Tunable { spec_path: "compute.max_size", variable: "max_size", applies: not_eks },
    Tunable { spec_path: "compute.desired_capacity", variable: "desired_capacity", applies: not_eks },
    Tunable { spec_path: "compute.cpu", variable: "task_cpu", applies: ecs },
    Tunable { spec_path: "compute.memory", variable: "task_memory", applies: ecs },
    Tunable { spec_path: "database.instance_class", variable: "db_instance_class", applies: rds },
    Tunable { spec_path: "database.sku_name", variable: "db_sku_name", applies: azure },
    Tunable { spec_path: "database.multi_az", variable: "db_multi_az", applies: rds },
    Tunable { spec_path: "database.allocated_storage", variable: "db_allocated_storage", applies: rds },
    Tunable { spec_path: "database.max_allocated_storage", variable: "db_max_allocated_storage", applies: rds },
    Tunable { spec_path: "database.backup_retention_days", variable: "db_backup_retention_days", applies: rds_or_azure_sql },
    Tunable { spec_path: "database.deletion_protection", variable: "db_deletion_protection", applies: any_database },
    Tunable { spec_path: "database.skip_final_snapshot", variable: "db_skip_final_snapshot", applies: rds },
    Tunable { spec_path: "backup.retention_days", variable: "backup_retention_days", applies: backup },
    Tunable { spec_path: "monitoring.alarm_emails", variable: "alarm_emails", applies: always },
];

/// Resolves every environment of the model, sorted by name.
pub fn resolve(model: &Model) -> Vec<EnvContext> {
    let base = serde_json::to_value(model).expect("the model serializes");
    model
        .environments
        .iter()
        .map(|(name, overrides)| resolve_one(model, &base, name, overrides))
        .collect()
}

fn pointer(path: &str) -> String {
    format!("/{}", path.replace('.', "/"))
}

fn resolve_one(model: &Model, base: &Json, name: &str, overrides: &Json) -> EnvContext {
    let lookup = |path: &str| -> Option<Json> {
        overrides
            .pointer(&pointer(path))
            .or_else(|| base.pointer(&pointer(path)))
            .cloned()
    };
    let environment = overrides
        .get("environment")
        .and_then(Json::as_str)
        .unwrap_or(name)
        .to_string();
    let mut values = Vec::new();
    for tunable in TUNABLES.iter().filter(|t| (t.applies)(model)) {
        let value = match tunable.variable {
            "environment" => Json::from(environment.clone()),
            // As in the model: unset desired capacity follows min_size, here the
            // environment's min_size.
            "desired_capacity" => overrides
                .pointer("/compute/desired_capacity")
                .cloned()
                .or_else(|| model.compute.spec.desired_capacity.map(Json::from))
                .or_else(|| lookup("compute.min_size"))
                .unwrap_or(Json::Null),
            _ => lookup(tunable.spec_path).unwrap_or(Json::Null),
        };
        values.push((tunable.variable, value));
    }
    let width = values.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    let variables = values
        .into_iter()
        .map(|(n, value)| EnvVariable {
            name: n.to_string(),
            value,
            padding: " ".repeat(width - n.len()),
        })
        .collect();
    let backend = model.state.as_ref().map(|state| EnvBackend {
        bucket: state.bucket.clone(),
        key: format!("{}/{}/terraform.tfstate", model.name, environment),
        region: state.region.clone(),
    });
    let azure_backend = model
        .azure
        .as_ref()
        .and_then(|azure| azure.state.as_ref())
        .map(|state| AzureEnvBackend {
            resource_group_name: state.resource_group.clone(),
            storage_account_name: state.storage_account.clone(),
            container_name: state.container.clone(),
            key: format!("{}/{}/terraform.tfstate", model.name, environment),
        });
    EnvContext {
        name: name.to_string(),
        environment,
        variables,
        backend,
        azure_backend,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tunable_is_a_spec_key_the_schema_allows_per_environment() {
        let schema = crate::schema::schema();
        let allowed = &schema["properties"]["environments"]["additionalProperties"];
        for tunable in TUNABLES {
            let mut node = allowed;
            for part in tunable.spec_path.split('.') {
                node = &node["properties"][part];
            }
            assert!(
                node.is_object(),
                "environments schema lacks {}",
                tunable.spec_path
            );
        }
    }

    /// An override is checked by the very definition of the key it overrides (one
    /// `$defs` entry for both), so the two cannot drift apart. The exception: an
    /// environment may set `certificate_arn` to `null` to turn HTTPS off.
    #[test]
    fn every_override_reuses_the_definition_of_its_spec_key() {
        let written: Json = serde_json::from_str(crate::schema::SCHEMA).unwrap();
        let overrides = &written["properties"]["environments"]["additionalProperties"];
        for tunable in TUNABLES {
            if tunable.spec_path == "load_balancer.certificate_arn" {
                continue;
            }
            let (mut spec_key, mut override_key) = (&written, overrides);
            for part in tunable.spec_path.split('.') {
                spec_key = &spec_key["properties"][part];
                override_key = &override_key["properties"][part];
            }
            let reference = format!("#/$defs/{}", tunable.spec_path);
            assert_eq!(
                spec_key["$ref"],
                reference.as_str(),
                "{}",
                tunable.spec_path
            );
            assert_eq!(
                override_key["$ref"],
                reference.as_str(),
                "{}",
                tunable.spec_path
            );
            assert!(
                written
                    .pointer(&reference[1..])
                    .is_some_and(Json::is_object),
                "{reference} is not defined"
            );
        }
    }
}
