//! The template context reference: every variable a template can use, with its type.
//!
//! Spec keys the model carries unchanged are described by the schema (the contract, so
//! their descriptions never drift); values the model derives are listed in [`DERIVED`].
//! `hagen templates context` prints the result, docs/template-context.md is a copy, and
//! tests/it/templates.rs checks both against the serialized model of every example: a new
//! model field without an entry here fails that test.

use serde_json::Value as Json;

/// Spec keys the model does not carry as such (templates see their derived form).
const NOT_IN_MODEL: &[&str] = &["version", "network.availability_zones", "network.subnets"];

/// Spec sections that are null when the spec leaves them out (all others get defaults).
const NULLABLE_SECTIONS: &[&str] = &[
    "compute.container_health_check",
    "database.tables[].sort_key",
    "database.tables[].global_secondary_indexes[].sort_key",
];

/// Model values that are not spec keys (or whose type differs from the spec's): path,
/// type, description.
#[rustfmt::skip]
pub const DERIVED: &[(&str, &str, &str)] = &[
    ("azure", "object or null", "The Azure part of the model (`target: azure` only; absent for AWS)."),
    ("azure.location", "string", "Azure region (`region`)."),
    ("azure.backup_active", "bool", "True when the Data Protection backup vault is rendered: backups on and at least one container."),
    ("azure.backup_retention_days", "number", "Days each vaulted blob backup is kept (`backup.retention_days`)."),
    ("azure.network", "object", "The VNet layout."),
    ("azure.network.cidr", "string", "VNet CIDR (`network.cidr`)."),
    ("azure.network.zones", "list(string)", "Availability zones (\"1\"..\"3\"), in spec order."),
    ("azure.network.zones[]", "string", "Zone number."),
    ("azure.network.gateway_cidr", "string", "CIDR of the Application Gateway subnet."),
    ("azure.network.data_cidr", "string", "CIDR of the private-endpoint subnet."),
    ("azure.network.app_subnets", "map(string)", "Zone -> CIDR of its app subnet (one per zone)."),
    ("azure.network.app_cidrs", "list(string)", "The app subnets' CIDRs, in zone order."),
    ("azure.network.app_cidrs[]", "string", "App subnet CIDR."),
    ("azure.network.nat_zones", "list(string)", "Zones holding a NAT gateway."),
    ("azure.network.nat_zones[]", "string", "Zone number."),
    ("azure.network.app_nat", "map(string)", "App subnet zone -> zone of the NAT gateway it uses (empty without NAT)."),
    ("azure.network.nat_gateways", "string", "`network.nat_gateways`: `per_az`, `single` or `none`."),
    ("azure.gateway", "object", "The Application Gateway."),
    ("azure.gateway.https", "bool", "True with `load_balancer.certificate_secret_id`: HTTPS on 443 and a redirect on 80."),
    ("azure.gateway.certificate_secret_id", "string or null", "Key Vault secret ID of the certificate."),
    ("azure.gateway.min_capacity", "number", "Fewest gateway instances (default 2)."),
    ("azure.gateway.max_capacity", "number", "Most gateway instances (default 10)."),
    ("azure.gateway.health_port", "number", "Port of the probe and the Application Health extension."),
    ("azure.gateway.app_ports", "list(string)", "Ports the app NSG opens to the gateway subnet."),
    ("azure.gateway.app_ports[]", "string", "Port."),
    ("azure.gateway.status_codes", "list(string)", "The health check matcher as Application Gateway status codes."),
    ("azure.gateway.status_codes[]", "string", "Code or range."),
    ("azure.compute", "object", "The scale sets."),
    ("azure.compute.vm_size", "string", "VM size (`compute.vm_size` or `Standard_D2s_v5`)."),
    ("azure.compute.admin_ssh_public_key", "string or null", "SSH public key of `azureadmin`, if the spec has one."),
    ("azure.compute.zone_min", "number", "Per-zone minimum: `min_size` split over the zones, rounded up."),
    ("azure.compute.zone_max", "number", "Per-zone maximum."),
    ("azure.compute.zone_default", "number", "Per-zone instances at creation."),
    ("azure.compute.scale_out_cooldown", "string", "Scale-out cooldown (ISO 8601)."),
    ("azure.compute.scale_in_cooldown", "string", "Scale-in cooldown (ISO 8601, twice scale-out's)."),
    ("azure.compute.scale_out_window", "string", "Scale-out metric window (ISO 8601)."),
    ("azure.compute.scale_in_window", "string", "Scale-in metric window (ISO 8601, wider)."),
    ("azure.compute.repair_grace_period", "string", "Automatic instance repair grace period (ISO 8601)."),
    ("azure.database", "object", "Azure SQL."),
    ("azure.database.db_name", "string", "Database name."),
    ("azure.database.sku_name", "string", "vCore SKU (default `GP_Gen5_2`)."),
    ("azure.database.max_size_gb", "number", "Maximum size in GB."),
    ("azure.database.backup_storage_redundancy", "string", "Backup storage redundancy (default `Geo`)."),
    ("azure.database.backup_retention_days", "number", "Point-in-time restore days."),
    ("azure.database.weekly_retention", "string or null", "Long-term retention of weekly backups (`P<n>W`), null when off."),
    ("azure.database.entra_admin", "object or null", "Microsoft Entra administrator; null: the deploying identity."),
    ("azure.database.entra_admin.login", "string", "Display name."),
    ("azure.database.entra_admin.object_id", "string", "Object ID."),
    ("azure.database.sql_login", "string or null", "SQL administrator login when SQL authentication is on."),
    ("azure.database.failover_region", "string or null", "Region of the failover group's secondary."),
    ("azure.database.deletion_protection", "bool", "`prevent_destroy` on the server and database."),
    ("azure.storage", "object", "Blob storage."),
    ("azure.storage.active", "bool", "True when the spec lists containers."),
    ("azure.storage.replication", "string", "Account replication (default `GZRS`)."),
    ("azure.storage.geo_redundant", "bool", "False for ZRS."),
    ("azure.storage.containers", "map(number)", "Container name -> days noncurrent versions are kept."),
    ("azure.state", "object or null", "azurerm backend settings; null without `state`."),
    ("azure.state.resource_group", "string", "Resource group of the state account."),
    ("azure.state.storage_account", "string", "State storage account."),
    ("azure.state.container", "string", "State container."),
    ("azure.state.key", "string", "State blob: the spec's `key`, or `<name>/<environment>/terraform.tfstate`."),
    ("hagen_version", "string", "Version of hagen that rendered the module."),
    ("spec_file", "string", "File name of the spec (no folders, so output is identical on every machine)."),
    ("name_prefix", "string", "`<name>-<environment>`: the start of every resource name (at most 27 characters)."),
    ("default_tags", "map(string)", "The provider's `default_tags`: `tags` plus `Application`, `Environment` and `ManagedBy` (hagen's win)."),
    ("backup_active", "bool", "True when AWS Backup resources are rendered: backups are on and there is something to back up."),
    ("environments", "map(object)", "The raw `environments` overrides, by environment name (per-environment templates get the resolved `env` instead)."),
    ("network.nat_count", "number", "Number of NAT gateways: one per zone, one, or none."),
    ("network.zones", "list(object)", "One entry per availability zone, in spec order."),
    ("network.zones[].name", "string", "Full zone name, e.g. `eu-west-1a`; also the `for_each` key of per-zone resources."),
    ("network.zones[].suffix", "string", "Zone letter(s) after the region, e.g. `a`, for short resource names."),
    ("network.zones[].index", "number", "Position of the zone in the spec (0-based)."),
    ("network.zones[].public_cidr", "string", "CIDR of the zone's public subnet."),
    ("network.zones[].app_cidr", "string", "CIDR of the zone's app subnet."),
    ("network.zones[].database_cidr", "string", "CIDR of the zone's database subnet."),
    ("network.zones[].nat_zone", "string or null", "Zone whose NAT gateway this zone's app subnet routes through (null without NAT)."),
    ("network.public_subnets", "map(string)", "Zone -> public subnet CIDR: the literal `for_each` map of the public subnets."),
    ("network.app_subnets", "map(string)", "Zone -> app subnet CIDR."),
    ("network.database_subnets", "map(string)", "Zone -> database subnet CIDR."),
    ("network.nat_zones", "list(string)", "Zones that hold a NAT gateway (keys of the NAT gateways and their EIPs)."),
    ("network.app_nat_routes", "map(string)", "App subnet zone -> zone of the NAT gateway it routes through (empty without NAT)."),
    ("network.interface_endpoints", "list(string)", "Without NAT: the AWS services the app subnets reach through interface endpoints (empty with NAT)."),
    ("load_balancer.https", "bool", "True when a certificate is given: HTTPS on 443 and a redirect on 80."),
    ("load_balancer.health_check_extra_port", "number or null", "The health check port when it is a number other than the app port (it then needs its own security group rule)."),
    ("load_balancer.access_log_account", "string or null", "The ELB account that writes access logs in the region, where AWS documents one (regions opened before August 2022); null elsewhere: only the log delivery service principal writes there."),
    ("compute.is_ec2", "bool", "True for `kind: ec2`."),
    ("compute.is_ecs", "bool", "True for `kind: ecs`."),
    ("compute.is_eks", "bool", "True for `kind: eks`."),
    ("compute.kubernetes_version", "string", "EKS: the cluster's Kubernetes version, pinned by hagen."),
    ("compute.cpu_millicores", "number", "EKS: `cpu` in Kubernetes millicores (1024 units = 1000m)."),
    ("compute.desired", "number", "`desired_capacity`, defaulting to `min_size`."),
    ("compute.fargate_sizes", "list(object)", "Fargate's CPU and memory sizes (`cpu`, and `memory` listed or `low`..`high` in `step`s), for the variable validation."),
    ("compute.fargate_sizes[].cpu", "number", "CPU units of one Fargate size."),
    ("compute.fargate_sizes[].memory", "list(number)", "The memory sizes (MiB) it allows, when they are listed (empty: the range)."),
    ("compute.fargate_sizes[].memory[]", "number", "One allowed memory size in MiB."),
    ("compute.fargate_sizes[].low", "number", "Smallest memory (MiB) of the range."),
    ("compute.fargate_sizes[].high", "number", "Largest memory (MiB) of the range."),
    ("compute.fargate_sizes[].step", "number", "Step of the range in MiB."),
    ("compute.instance_type_pattern", "string", "The schema's pattern of `instance_type`, for the variable validation."),
    ("compute.ecr_image", "object or null", "ECS: the private ECR repository of the image (`account`, `region`, `repository`), if it is one."),
    ("compute.ecr_image.account", "string", "Account of the ECR registry."),
    ("compute.ecr_image.region", "string", "Region of the ECR registry."),
    ("compute.ecr_image.repository", "string", "Repository name, without tag or digest."),
    ("compute.secretsmanager_arns", "list(string)", "ECS: the Secrets Manager secrets of `secrets` by ARN (no JSON key or version), each once."),
    ("compute.ssm_parameter_arns", "list(string)", "ECS: the SSM parameters of `secrets`, each once."),
    ("compute.user_data_script", "string or null", "The user data script (inline `user_data` or the contents of `user_data_file`), if any."),
    ("compute.architecture", "string", "CPU architecture, `x86_64` or `arm64`: the instance type's (EC2: Graviton families are arm64), or `cpu_architecture` (ECS)."),
    ("compute.image_id", "string", "EC2: the launch template's `image_id`: `ami`, or the latest Amazon Linux 2023 for `architecture`."),
    ("database.rds", "bool", "True when an RDS instance is created (`kind: rds`)."),
    ("database.dynamodb", "bool", "True when DynamoDB tables are created."),
    ("database.engine_version", "string", "Engine version: the spec's, or hagen's default for the engine."),
    ("database.engine_major_version", "string", "Major version written to `engine_version` (`16`, `8.4`), so minor upgrades are not drift."),
    ("database.family", "string", "Parameter group family, e.g. `postgres16` or `mysql8.4`."),
    ("database.port", "number", "Port of the engine (5432 or 3306)."),
    ("database.log_exports", "list(string)", "CloudWatch log exports of the engine."),
    ("database.key_attributes", "map(list(object))", "DynamoDB: by table name, the table's key attributes (`name`, `type`): its keys, then its indexes' partition and sort keys, each name once."),
    ("state", "object or null", "Remote state settings, with defaults applied; null without `state`."),
    ("state.key", "string", "State object key: the spec's, or `<name>/<environment>/terraform.tfstate`."),
    ("state.region", "string", "Region of the state bucket: the spec's, or `region`."),
];

/// What per-environment templates (`_env.*.j2`) see besides the model: `env`.
#[rustfmt::skip]
pub const ENV: &[(&str, &str, &str)] = &[
    ("env.name", "string", "The key under `environments:`; the output file is named after it."),
    ("env.environment", "string", "The `environment` variable: the override, else the key."),
    ("env.variables", "list(object)", "Every tunable variable the module declares, in docs/CONTRACT.md order."),
    ("env.variables[].name", "string", "Variable name, e.g. `min_size`."),
    ("env.variables[].value", "any", "This environment's value (print it with `| hcl`)."),
    ("env.variables[].padding", "string", "Spaces that align `=` as `terraform fmt` does."),
    ("env.backend", "object or null", "Partial S3 backend configuration; null without `state`."),
    ("env.backend.bucket", "string", "State bucket."),
    ("env.backend.key", "string", "`<name>/<environment>/terraform.tfstate`: one state per environment."),
    ("env.backend.region", "string", "Region of the state bucket."),
    ("env.azure_backend", "object or null", "Partial azurerm backend configuration (`target: azure` with `state`); absent for AWS."),
    ("env.azure_backend.resource_group_name", "string", "Resource group of the state account."),
    ("env.azure_backend.storage_account_name", "string", "State storage account."),
    ("env.azure_backend.container_name", "string", "State container."),
    ("env.azure_backend.key", "string", "`<name>/<environment>/terraform.tfstate`: one state per environment."),
];

/// One documented variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub path: String,
    pub kind: String,
    pub description: String,
}

/// Every model variable: the schema's spec keys plus [`DERIVED`], sorted by path.
pub fn entries() -> Vec<Entry> {
    let schema = crate::schema::schema();
    let mut entries = Vec::new();
    spec_entries(schema, "", &mut entries);
    for (path, kind, description) in DERIVED {
        entries.retain(|e: &Entry| e.path != *path);
        entries.push(Entry {
            path: path.to_string(),
            kind: kind.to_string(),
            description: description.to_string(),
        });
    }
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    entries
}

fn spec_entries(node: &Json, prefix: &str, out: &mut Vec<Entry>) {
    let Some(properties) = node.get("properties").and_then(Json::as_object) else {
        return;
    };
    let required: Vec<&str> = node
        .get("required")
        .and_then(Json::as_array)
        .map(|r| r.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default();
    for (key, child) in properties {
        let path = format!("{prefix}{key}");
        if NOT_IN_MODEL.contains(&path.as_str()) || path == "environments" {
            continue;
        }
        let items = child.get("items");
        let is_object_list = items.is_some_and(|i| i.get("properties").is_some());
        let mut kind = type_of(child);
        // Optional keys without a default are null when left out.
        if !required.contains(&key.as_str())
            && child.get("default").is_none()
            && !kind.starts_with("list")
            && !kind.starts_with("map")
            && child.get("properties").is_none()
        {
            kind.push_str(" or null");
        }
        if child.get("properties").is_some() {
            // Sections default to all their defaults, except the few that are absent
            // unless written.
            if NULLABLE_SECTIONS.contains(&path.as_str()) {
                out.push(Entry {
                    path: path.clone(),
                    kind: "object or null".into(),
                    description: describe(child),
                });
            }
            spec_entries(child, &format!("{path}."), out);
            continue;
        }
        out.push(Entry {
            path: path.clone(),
            kind,
            description: describe(child),
        });
        if is_object_list && let Some(items) = items {
            spec_entries(items, &format!("{path}[]."), out);
        }
    }
}

fn describe(node: &Json) -> String {
    node.get("description")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_string()
}

fn type_of(node: &Json) -> String {
    let names: Vec<String> = match node.get("type") {
        Some(Json::String(t)) => vec![t.clone()],
        Some(Json::Array(types)) => types
            .iter()
            .filter_map(Json::as_str)
            .map(str::to_string)
            .collect(),
        _ => ["oneOf", "anyOf"]
            .iter()
            .filter_map(|k| node.get(*k).and_then(Json::as_array))
            .flatten()
            .map(type_of)
            .collect(),
    };
    let mapped: Vec<String> = names
        .iter()
        .map(|name| match name.as_str() {
            "integer" | "number" => "number".to_string(),
            "boolean" => "bool".to_string(),
            "array" => {
                let items = node.get("items").map(type_of);
                format!("list({})", items.unwrap_or_else(|| "any".into()))
            }
            "object" if node.get("properties").is_some() => "object".to_string(),
            "object" => "map(string)".to_string(),
            other => other.to_string(),
        })
        .collect();
    let mut unique: Vec<String> = Vec::new();
    for m in mapped {
        if !unique.contains(&m) {
            unique.push(m);
        }
    }
    if unique.is_empty() {
        "any".into()
    } else {
        unique.join(" or ")
    }
}

fn table(entries: impl IntoIterator<Item = Entry>) -> String {
    let mut out = String::from("| variable | type | description |\n|---|---|---|\n");
    for e in entries {
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            e.path,
            e.kind,
            e.description.replace('|', "\\|").replace('\n', " ")
        ));
    }
    out
}

/// The Markdown reference `hagen templates context` prints.
pub fn reference() -> String {
    let env = ENV.iter().map(|(p, k, d)| Entry {
        path: p.to_string(),
        kind: k.to_string(),
        description: d.to_string(),
    });
    format!(
        "# Template context\n\n\
         Generated by `hagen templates context`; do not edit (tests/it/templates.rs checks it).\n\n\
         Every template sees these variables (the model: the spec with defaults applied and\n\
         derived values computed). `a.b` is a key of an object, `a[]` an element of a list.\n\
         In `.tf`, `.tfvars`, `.hcl` and `.tfbackend` templates every `{{{{ value }}}}` is\n\
         escaped as the inside of an HCL string; print lists, maps and nullable values with\n\
         `{{{{ value | hcl }}}}`. `hagen templates context SPEC` prints the values for a spec.\n\n\
         ## Every template\n\n{}\n\
         ## Per-environment templates (`_env.*.j2`) also see\n\n{}",
        table(entries()),
        table(env)
    )
}
