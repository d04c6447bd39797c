//! The model: a validated spec with every default applied and every derived value
//! computed (names, subnet CIDRs, engine details). It is exactly the context templates
//! see, so templates never compute anything that could differ between runs.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::cidr;
use crate::spec::{
    Backup, Compute, ComputeKind, Database, DatabaseKind, Engine, HealthCheckPort, KeyAttribute,
    LoadBalancer, Monitoring, NatGateways, Spec, Storage, StringMap, Table,
};

/// Inputs besides the spec document that shape the output.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// File name of the spec (no directories, so output is the same on every machine).
    pub spec_file: String,
    /// Contents of `compute.user_data_file`, read by the load stage.
    pub user_data_file_contents: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Model {
    pub hagen_version: &'static str,
    pub target: crate::spec::Target,
    pub spec_file: String,
    pub name: String,
    pub environment: String,
    /// `<name>-<environment>`: at most 27 characters, the start of every resource name.
    pub name_prefix: String,
    pub region: String,
    /// The user's tags, sorted by key.
    pub tags: StringMap,
    /// The provider's `default_tags`: the user's tags plus `Application`, `Environment`
    /// and `ManagedBy` (hagen's own win, so they always describe the stack truthfully).
    pub default_tags: StringMap,
    pub network: NetworkModel,
    pub load_balancer: LoadBalancerModel,
    pub compute: ComputeModel,
    pub database: DatabaseModel,
    pub storage: Storage,
    pub backup: Backup,
    /// True when AWS Backup resources are rendered: backups are on and there is
    /// something to back up (a bucket, or the database/tables with `include_database`).
    pub backup_active: bool,
    pub monitoring: Monitoring,
    pub state: Option<StateModel>,
    pub self_tests: bool,
    pub environments: BTreeMap<String, serde_json::Value>,
    /// Every environment with its values resolved ([`crate::environments::resolve`]),
    /// sorted by name: what each per-environment template gets as `env`. Not in the
    /// template context itself (templates see the raw `environments`).
    #[serde(skip)]
    pub resolved_environments: Vec<EnvContext>,
    /// The Azure part of the model (`target: azure` only; absent from AWS contexts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub azure: Option<crate::azure::model::AzureModel>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NetworkModel {
    pub cidr: String,
    pub nat_gateways: NatGateways,
    /// Number of NAT gateways: one per zone, one, or none.
    pub nat_count: usize,
    pub zones: Vec<Zone>,
    pub flow_logs: crate::spec::FlowLogs,
    /// Zone -> CIDR of each tier: the literal `for_each` maps of the subnets.
    pub public_subnets: StringMap,
    pub app_subnets: StringMap,
    pub database_subnets: StringMap,
    /// Zones that hold a NAT gateway (keys of the NAT gateways and their EIPs).
    pub nat_zones: Vec<String>,
    /// App subnet zone -> zone of the NAT gateway it routes through (empty without NAT).
    pub app_nat_routes: StringMap,
    /// Without NAT: the AWS services the app subnets reach through interface endpoints
    /// (empty with NAT).
    pub interface_endpoints: Vec<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Zone {
    /// Full zone name, e.g. `eu-west-1a`; also the `for_each` key of per-zone resources.
    pub name: String,
    /// Zone letter(s) after the region, e.g. `a`, for short resource names.
    pub suffix: String,
    pub index: usize,
    pub public_cidr: String,
    pub app_cidr: String,
    pub database_cidr: String,
    /// Zone whose NAT gateway this zone's app subnets route through (None without NAT).
    pub nat_zone: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LoadBalancerModel {
    #[serde(flatten)]
    pub spec: LoadBalancer,
    /// True when a certificate is given: HTTPS on 443 and a redirect on 80.
    pub https: bool,
    /// The health check port when it is a number other than the app port: the security
    /// groups then need a rule for it too.
    pub health_check_extra_port: Option<u32>,
    /// The ELB account that writes access logs in the region, where AWS documents one
    /// (regions opened before August 2022); elsewhere only the log delivery service
    /// principal may write them ([`crate::aws::regions`]).
    pub access_log_account: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ComputeModel {
    #[serde(flatten)]
    pub spec: Compute,
    pub is_ec2: bool,
    pub is_ecs: bool,
    pub is_eks: bool,
    /// EKS: the Kubernetes version of the cluster ([`KUBERNETES_VERSION`]).
    pub kubernetes_version: &'static str,
    /// EKS: `cpu` as Kubernetes millicores (1024 CPU units = 1000m).
    pub cpu_millicores: u32,
    /// `desired_capacity`, defaulting to `min_size`.
    pub desired: u32,
    /// The user data script (inline or from `user_data_file`), if any.
    pub user_data_script: Option<String>,
    /// CPU architecture, `x86_64` or `arm64`: the instance type's (EC2), or
    /// `cpu_architecture` (ECS).
    pub architecture: &'static str,
    /// EC2: the launch template's `image_id`: `ami`, or the latest Amazon Linux 2023 for
    /// the instance type's architecture.
    pub image_id: String,
    /// Fargate's CPU and memory sizes ([`crate::aws::fargate::SIZES`]), for the module's
    /// variable validation.
    pub fargate_sizes: &'static [crate::aws::fargate::Size],
    /// The schema's pattern of `compute.instance_type`: the module's variable validation
    /// checks the same syntax.
    pub instance_type_pattern: &'static str,
    /// ECS: the private ECR repository of the image (the execution role may pull from
    /// it), if it is one.
    pub ecr_image: Option<crate::aws::images::EcrImage>,
    /// ECS: the secrets the container gets, as the execution role may read them:
    /// Secrets Manager secrets by their ARN (without a `:json-key:version` suffix) and
    /// SSM parameters as given, each once.
    pub secretsmanager_arns: Vec<String>,
    pub ssm_parameter_arns: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DatabaseModel {
    #[serde(flatten)]
    pub spec: Database,
    /// True when an RDS instance is created (`kind: rds`).
    pub rds: bool,
    /// True when DynamoDB tables are created.
    pub dynamodb: bool,
    pub engine_version: String,
    /// Parameter group family, e.g. `postgres16` or `mysql8.0`.
    pub family: String,
    /// The version written to `engine_version`: the major version (`16`, `8.0`), so
    /// automatic minor upgrades do not show up as drift.
    pub engine_major_version: String,
    pub port: u32,
    /// CloudWatch log exports for the engine.
    pub log_exports: Vec<&'static str>,
    /// DynamoDB: each table's key attributes (its own keys, then its indexes' partition
    /// keys, then their sort keys), each name once, by table name. A table declares
    /// exactly these attributes: DynamoDB refuses any other, and one used twice.
    pub key_attributes: BTreeMap<String, Vec<KeyAttribute>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StateModel {
    pub bucket: String,
    pub key: String,
    pub region: String,
}

/// Builds the model. The spec must already be valid (schema and semantic rules); errors
/// here are bugs or conditions the validator should have reported.
pub fn build(spec: Spec, inputs: &Inputs) -> anyhow::Result<Model> {
    let name_prefix = format!("{}-{}", spec.name, spec.environment);
    let default_tags = default_tags(&spec.tags, &spec.name, &spec.environment);
    let azure = match spec.target {
        crate::spec::Target::Aws => None,
        crate::spec::Target::Azure => Some(crate::azure::model::build(&spec)?),
    };
    let network = if azure.is_some() {
        // The AWS network model means nothing on Azure (whose zones are "1".."3" and
        // whose subnets are carved by the Azure model); keep it empty.
        NetworkModel::empty(&spec)
    } else {
        network_model(&spec)?
    };
    let health_check_extra_port = match spec.load_balancer.health_check.port {
        HealthCheckPort::Number(port) if port != spec.compute.port => Some(port),
        _ => None,
    };
    let compute = compute_model(spec.compute, inputs);
    let database = database_model(spec.database)?;
    // The ALB access-log account of the region (AWS only; Azure has no ALB).
    let access_log_account = match &azure {
        Some(_) => None,
        None => {
            crate::aws::regions::find(&spec.region)
                .ok_or_else(|| {
                    anyhow::anyhow!("bug: unknown region `{}` passed validation", spec.region)
                })?
                .elb_log_account
        }
    };
    let state = spec
        .state
        .filter(|_| azure.is_none())
        .map(|state| StateModel {
            key: state
                .key
                .unwrap_or_else(|| format!("{}/{}/terraform.tfstate", spec.name, spec.environment)),
            region: state.region.unwrap_or_else(|| spec.region.clone()),
            bucket: state.bucket,
        });
    let backup_active = spec.backup.enabled
        && (!spec.storage.buckets.is_empty()
            || (spec.backup.include_database && (database.rds || database.dynamodb)));
    Ok(Model {
        hagen_version: env!("CARGO_PKG_VERSION"),
        target: spec.target,
        spec_file: inputs.spec_file.clone(),
        name: spec.name,
        environment: spec.environment,
        name_prefix,
        region: spec.region,
        tags: spec.tags,
        default_tags,
        network,
        load_balancer: LoadBalancerModel {
            https: spec.load_balancer.certificate_arn.is_some(),
            health_check_extra_port,
            access_log_account,
            spec: spec.load_balancer,
        },
        compute,
        database,
        storage: spec.storage,
        backup: spec.backup,
        backup_active,
        monitoring: spec.monitoring,
        state,
        self_tests: spec.self_tests,
        environments: spec.environments,
        resolved_environments: Vec::new(),
        azure,
    })
}

impl NetworkModel {
    fn empty(spec: &Spec) -> Self {
        NetworkModel {
            cidr: spec.network.cidr.clone(),
            nat_gateways: spec.network.nat_gateways,
            nat_count: 0,
            zones: Vec::new(),
            flow_logs: spec.network.flow_logs.clone(),
            public_subnets: StringMap::new(),
            app_subnets: StringMap::new(),
            database_subnets: StringMap::new(),
            nat_zones: Vec::new(),
            app_nat_routes: StringMap::new(),
            interface_endpoints: Vec::new(),
        }
    }
}

fn default_tags(user: &StringMap, name: &str, environment: &str) -> StringMap {
    let mut tags = user.clone();
    tags.insert("Application".into(), name.into());
    tags.insert("Environment".into(), environment.into());
    tags.insert("ManagedBy".into(), "hagen".into());
    tags
}

fn network_model(spec: &Spec) -> anyhow::Result<NetworkModel> {
    let net = &spec.network;
    let zone_count = net.availability_zones.len();
    let (public, app, database): (Vec<String>, Vec<String>, Vec<String>) = match &net.subnets {
        Some(explicit) => (
            explicit.public.clone(),
            explicit.app.clone(),
            explicit.database.clone(),
        ),
        None => {
            let vpc = cidr::parse(&net.cidr).map_err(anyhow::Error::msg)?;
            let plan = cidr::plan(&vpc, zone_count).map_err(anyhow::Error::msg)?;
            let strings = |v: Vec<ipnet::Ipv4Net>| v.iter().map(|n| n.to_string()).collect();
            (
                strings(plan.public),
                strings(plan.app),
                strings(plan.database),
            )
        }
    };
    anyhow::ensure!(
        public.len() == zone_count && app.len() == zone_count && database.len() == zone_count,
        "subnet lists must have one CIDR per availability zone"
    );
    let nat_count = match net.nat_gateways {
        NatGateways::PerAz => zone_count,
        NatGateways::Single => 1,
        NatGateways::None => 0,
    };
    let zones: Vec<Zone> = net
        .availability_zones
        .iter()
        .enumerate()
        .map(|(index, name)| Zone {
            suffix: name
                .strip_prefix(spec.region.as_str())
                .unwrap_or(name)
                .to_string(),
            nat_zone: match net.nat_gateways {
                NatGateways::PerAz => Some(name.clone()),
                NatGateways::Single => Some(net.availability_zones[0].clone()),
                NatGateways::None => None,
            },
            name: name.clone(),
            index,
            public_cidr: public[index].clone(),
            app_cidr: app[index].clone(),
            database_cidr: database[index].clone(),
        })
        .collect();
    let by_zone = |cidr: fn(&Zone) -> &String| -> StringMap {
        zones
            .iter()
            .map(|z| (z.name.clone(), cidr(z).clone()))
            .collect()
    };
    let public_subnets = by_zone(|z| &z.public_cidr);
    let app_subnets = by_zone(|z| &z.app_cidr);
    let database_subnets = by_zone(|z| &z.database_cidr);
    let nat_zones = net.availability_zones[..nat_count].to_vec();
    let app_nat_routes = zones
        .iter()
        .filter_map(|z| Some((z.name.clone(), z.nat_zone.clone()?)))
        .collect();
    Ok(NetworkModel {
        cidr: net.cidr.clone(),
        nat_gateways: net.nat_gateways,
        nat_count,
        zones,
        flow_logs: net.flow_logs.clone(),
        public_subnets,
        app_subnets,
        database_subnets,
        nat_zones,
        app_nat_routes,
        interface_endpoints: if nat_count == 0 {
            interface_endpoints(&spec.compute)
        } else {
            Vec::new()
        },
    })
}

/// The items in their first order, each once.
fn unique(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    items.filter(|item| seen.insert(item.clone())).collect()
}

/// What the app tier needs from AWS without a NAT gateway, as interface endpoints: on
/// ECS, pulling images from ECR, logs and secrets (and SSM when a secret is an SSM
/// parameter); on EC2, Systems Manager (Session Manager instead of SSH), CloudWatch,
/// KMS, and the EC2 API the CloudWatch agent asks for the instance's Auto Scaling group.
fn interface_endpoints(compute: &Compute) -> Vec<&'static str> {
    match compute.kind {
        ComputeKind::Ecs => {
            let mut services = vec![
                "ecr.api",
                "ecr.dkr",
                "logs",
                "monitoring",
                "kms",
                "secretsmanager",
            ];
            if compute.secrets.values().any(|arn| arn.contains(":ssm:")) {
                services.push("ssm");
            }
            services
        }
        _ => vec![
            "ssm",
            "ssmmessages",
            "ec2messages",
            "logs",
            "monitoring",
            "kms",
            "secretsmanager",
            "ec2",
        ],
    }
}

fn compute_model(compute: Compute, inputs: &Inputs) -> ComputeModel {
    let user_data_script = compute
        .user_data
        .clone()
        .or_else(|| inputs.user_data_file_contents.clone());
    let architecture = match compute.kind {
        ComputeKind::Ec2 => crate::aws::instances::architecture(&compute.instance_type),
        ComputeKind::Ecs => compute.cpu_architecture,
        // Auto Mode's built-in general-purpose node pool runs amd64 nodes.
        ComputeKind::Eks => crate::spec::CpuArchitecture::X86_64,
    };
    let image_id = compute
        .ami
        .clone()
        .unwrap_or_else(|| crate::aws::instances::default_ami(architecture));
    ComputeModel {
        architecture: architecture.name(),
        image_id,
        fargate_sizes: crate::aws::fargate::SIZES,
        ecr_image: compute.image.as_deref().and_then(crate::aws::images::ecr),
        secretsmanager_arns: unique(
            compute
                .secrets
                .values()
                .filter(|arn| arn.contains(":secretsmanager:"))
                .map(|arn| arn.split(':').take(7).collect::<Vec<_>>().join(":")),
        ),
        ssm_parameter_arns: unique(
            compute
                .secrets
                .values()
                .filter(|arn| !arn.contains(":secretsmanager:"))
                .cloned(),
        ),
        instance_type_pattern: crate::schema::lookup(&[
            "properties",
            "compute",
            "properties",
            "instance_type",
            "pattern",
        ])
        .and_then(serde_json::Value::as_str)
        .expect("the schema gives instance_type a pattern"),
        is_ec2: compute.kind == ComputeKind::Ec2,
        is_ecs: compute.kind == ComputeKind::Ecs,
        is_eks: compute.kind == ComputeKind::Eks,
        kubernetes_version: KUBERNETES_VERSION,
        cpu_millicores: compute.cpu * 1000 / 1024,
        desired: compute.desired_capacity.unwrap_or(compute.min_size),
        user_data_script,
        spec: compute,
    }
}

/// The one place the EKS Kubernetes version is pinned. 1.35 reached EKS in early 2026 and
/// stays in EKS standard support (14 months from its EKS release) well into 2027, so a
/// cluster created in late 2026 does not start on extended-support pricing; see
/// docs/verification.md. The rendered manifests are validated against this version's
/// API schemas (tests/it/eks.rs).
pub const KUBERNETES_VERSION: &str = "1.35";

fn database_model(database: Database) -> anyhow::Result<DatabaseModel> {
    use crate::aws::engines;
    let engine_version = database.engine_version.clone().unwrap_or_else(|| {
        match database.engine {
            Engine::Postgres => engines::DEFAULT_POSTGRES_VERSION,
            Engine::Mysql => engines::DEFAULT_MYSQL_VERSION,
        }
        .to_string()
    });
    let major = engines::major_of(database.engine, &engine_version)
        .map_err(|e| anyhow::anyhow!("bug: passed validation: {e}"))?;
    let (port, log_exports) = match database.engine {
        Engine::Postgres => (5432, vec!["postgresql", "upgrade"]),
        // No "general": the general query log records every statement (and its data) at
        // a real cost in throughput; the parameter group turns on the slow query log.
        Engine::Mysql => (3306, vec!["error", "slowquery"]),
    };
    let key_attributes = database
        .tables
        .iter()
        .map(|table| (table.name.clone(), key_attributes(table)))
        .collect();
    Ok(DatabaseModel {
        key_attributes,
        rds: database.kind == DatabaseKind::Rds,
        dynamodb: !database.tables.is_empty(),
        engine_version,
        family: major.family(),
        engine_major_version: major.major.to_string(),
        port,
        log_exports,
        spec: database,
    })
}

/// The key attributes of `table` and its indexes, each name once, in first-use order.
fn key_attributes(table: &Table) -> Vec<KeyAttribute> {
    let indexes = &table.global_secondary_indexes;
    let keys = [Some(&table.partition_key), table.sort_key.as_ref()]
        .into_iter()
        .chain(indexes.iter().map(|index| Some(&index.partition_key)))
        .chain(indexes.iter().map(|index| index.sort_key.as_ref()))
        .flatten();
    let mut attributes: Vec<KeyAttribute> = Vec::new();
    for key in keys {
        if !attributes.iter().any(|known| known.name == key.name) {
            attributes.push(key.clone());
        }
    }
    attributes
}

/// What a per-environment template sees as `env`.
#[derive(Debug, Clone, Serialize)]
pub struct EnvContext {
    /// The key under `environments:` (also the file name: `environments/<name>.tfvars`).
    pub name: String,
    /// The `environment` variable: the override, else the key itself, so two
    /// environments never share resource names.
    pub environment: String,
    /// Every tunable variable the module declares, with this environment's value.
    pub variables: Vec<EnvVariable>,
    /// Partial S3 backend configuration when the spec has `state`.
    pub backend: Option<EnvBackend>,
    /// Partial azurerm backend configuration (`target: azure` with `state`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub azure_backend: Option<AzureEnvBackend>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AzureEnvBackend {
    pub resource_group_name: String,
    pub storage_account_name: String,
    pub container_name: String,
    /// `<name>/<environment>/terraform.tfstate`: one state per environment.
    pub key: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct EnvVariable {
    pub name: String,
    pub value: serde_json::Value,
    /// Spaces after the name that align `=` the way `terraform fmt` does.
    pub padding: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct EnvBackend {
    pub bucket: String,
    /// `<name>/<environment>/terraform.tfstate`: one state per environment.
    pub key: String,
    pub region: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(yaml_like: serde_json::Value) -> Spec {
        Spec::from_document(&yaml_like).unwrap()
    }

    fn minimal() -> serde_json::Value {
        serde_json::json!({
            "name": "shop",
            "region": "eu-west-1",
            "network": {"cidr": "10.0.0.0/16", "availability_zones": ["eu-west-1a", "eu-west-1b"]}
        })
    }

    #[test]
    fn each_table_declares_its_key_attributes_once_in_first_use_order() {
        let mut value = minimal();
        value["database"] = serde_json::json!({"kind": "dynamodb", "tables": [{
            "name": "links",
            "partition_key": {"name": "id", "type": "S"},
            "global_secondary_indexes": [
                {"name": "by-owner", "partition_key": {"name": "owner", "type": "S"},
                 "sort_key": {"name": "created", "type": "N"}},
                {"name": "by-id", "partition_key": {"name": "id", "type": "S"},
                 "sort_key": {"name": "owner", "type": "S"}}
            ]
        }]});
        let model = build(spec(value), &Inputs::default()).unwrap();
        let attributes: Vec<(&str, &str)> = model.database.key_attributes["links"]
            .iter()
            .map(|key| (key.name.as_str(), key.attribute_type.as_str()))
            .collect();
        assert_eq!(attributes, [("id", "S"), ("owner", "S"), ("created", "N")]);
    }

    #[test]
    fn defaults_are_applied() {
        let model = build(spec(minimal()), &Inputs::default()).unwrap();
        assert_eq!(model.name_prefix, "shop-prod");
        assert_eq!(model.network.nat_count, 2);
        assert_eq!(model.network.zones[1].suffix, "b");
        assert_eq!(model.network.zones[1].app_cidr, "10.0.16.0/20");
        assert_eq!(model.compute.desired, 2);
        assert!(model.database.rds && model.database.spec.multi_az);
        assert_eq!(model.database.family, "postgres16");
        assert_eq!(model.database.engine_major_version, "16");
        assert_eq!(model.database.port, 5432);
        assert!(!model.load_balancer.https);
    }

    #[test]
    fn single_nat_routes_every_zone_through_the_first() {
        let mut value = minimal();
        value["network"]["nat_gateways"] = "single".into();
        let model = build(spec(value), &Inputs::default()).unwrap();
        assert_eq!(model.network.nat_count, 1);
        assert!(
            model
                .network
                .zones
                .iter()
                .all(|z| z.nat_zone.as_deref() == Some("eu-west-1a"))
        );
        assert_eq!(model.network.nat_zones, vec!["eu-west-1a"]);
        assert_eq!(model.network.app_nat_routes["eu-west-1b"], "eu-west-1a");
    }

    #[test]
    fn subnet_maps_follow_the_zones_and_no_nat_means_no_routes() {
        let mut value = minimal();
        value["network"]["nat_gateways"] = "none".into();
        let model = build(spec(value), &Inputs::default()).unwrap();
        assert_eq!(model.network.app_subnets["eu-west-1b"], "10.0.16.0/20");
        assert_eq!(
            model.network.public_subnets.len(),
            model.network.zones.len()
        );
        assert!(model.network.nat_zones.is_empty());
        assert!(model.network.app_nat_routes.is_empty());
    }

    #[test]
    fn mysql_family_and_port() {
        let mut value = minimal();
        value["database"] = serde_json::json!({"engine": "mysql"});
        let model = build(spec(value), &Inputs::default()).unwrap();
        assert_eq!(model.database.family, "mysql8.4");
        assert_eq!(model.database.engine_major_version, "8.4");
        assert_eq!(model.database.port, 3306);
    }
}
