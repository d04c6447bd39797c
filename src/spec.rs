//! The typed spec: what `schemas/hagen.schema.json` describes, as Rust types.
//!
//! Defaults are written once, in the schema: [`Spec::from_document`] fills every
//! `default` the schema gives into the document before it becomes a `Spec`, so the
//! types here carry none (an optional key is an `Option`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

impl Spec {
    /// The typed spec of a document, with the schema's defaults filled in.
    pub fn from_document(document: &serde_json::Value) -> Result<Spec, serde_json::Error> {
        let mut document = document.clone();
        crate::schema::fill_defaults(&mut document);
        serde_json::from_value(document)
    }
}

/// The cloud a spec deploys to ([`crate::target`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    #[default]
    Aws,
    Azure,
}

/// Free-form string maps are sorted so output never depends on input order.
pub type StringMap = BTreeMap<String, String>;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub version: u32,
    pub target: Target,
    pub name: String,
    pub environment: String,
    pub region: String,
    pub tags: StringMap,
    pub network: Network,
    pub load_balancer: LoadBalancer,
    pub compute: Compute,
    pub database: Database,
    pub storage: Storage,
    pub backup: Backup,
    pub monitoring: Monitoring,
    pub state: Option<State>,
    pub self_tests: bool,
    pub environments: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    pub cidr: String,
    pub availability_zones: Vec<String>,
    pub nat_gateways: NatGateways,
    pub subnets: Option<ExplicitSubnets>,
    pub flow_logs: FlowLogs,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NatGateways {
    #[default]
    PerAz,
    Single,
    None,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExplicitSubnets {
    pub public: Vec<String>,
    pub app: Vec<String>,
    pub database: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FlowLogs {
    pub enabled: bool,
    pub retention_days: u32,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LoadBalancer {
    pub certificate_arn: Option<String>,
    pub ssl_policy: String,
    pub deletion_protection: bool,
    pub idle_timeout: u32,
    pub access_logs: AccessLogs,
    pub health_check: HealthCheck,
    // Azure only (the schema rejects them under `target: aws`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_secret_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_capacity: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_capacity: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AccessLogs {
    pub enabled: bool,
    pub retention_days: u32,
}

/// `traffic-port` or a port number, as the ALB health check takes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum HealthCheckPort {
    Number(u32),
    Named(String),
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HealthCheck {
    pub path: String,
    pub port: HealthCheckPort,
    pub matcher: String,
    pub interval: u32,
    pub timeout: u32,
    pub healthy_threshold: u32,
    pub unhealthy_threshold: u32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ComputeKind {
    #[default]
    Ec2,
    Ecs,
    /// Kubernetes on EKS Auto Mode; the workload is rendered as manifests in `k8s/`.
    Eks,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Compute {
    pub kind: ComputeKind,
    pub port: u32,
    pub min_size: u32,
    pub max_size: u32,
    pub desired_capacity: Option<u32>,
    pub scaling: Scaling,
    // EC2 only.
    pub instance_type: String,
    /// None: the latest Amazon Linux 2023 for the instance type's architecture.
    pub ami: Option<String>,
    pub root_volume_size: u32,
    pub user_data: Option<String>,
    pub user_data_file: Option<String>,
    /// Every kind: the ASG's health check grace period, the ECS service's, or the pod's
    /// liveness probe delay.
    pub health_check_grace_period: u32,
    // ECS and EKS (`secrets` and `container_health_check`: ECS only).
    pub image: Option<String>,
    pub cpu: u32,
    pub memory: u32,
    pub environment: StringMap,
    pub secrets: StringMap,
    pub container_health_check: Option<ContainerHealthCheck>,
    pub log_retention_days: u32,
    pub read_only_root_filesystem: bool,
    /// ECS only: the CPU architecture of the Fargate tasks (the image must have it).
    pub cpu_architecture: CpuArchitecture,
    // EKS only.
    /// IAM principals given cluster-admin access entries.
    pub admins: Vec<String>,
    /// Networks allowed to reach the public API endpoint; empty: private endpoint only.
    pub public_access_cidrs: Vec<String>,
    // Azure only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vm_size: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_ssh_public_key: Option<String>,
}

/// A CPU architecture: of the instance type (EC2) or of the Fargate task (ECS).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CpuArchitecture {
    #[default]
    X86_64,
    Arm64,
}

impl CpuArchitecture {
    /// As AWS names it in AMI parameter names (`x86_64`, `arm64`).
    pub fn name(self) -> &'static str {
        match self {
            CpuArchitecture::X86_64 => "x86_64",
            CpuArchitecture::Arm64 => "arm64",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScalingPolicy {
    #[default]
    TargetTracking,
    Step,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScalingMetric {
    #[default]
    Cpu,
    Requests,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Scaling {
    pub policy: ScalingPolicy,
    pub metric: ScalingMetric,
    pub target: f64,
    pub scale_out_above: f64,
    pub scale_in_below: f64,
    pub cooldown: u32,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ContainerHealthCheck {
    pub command: Vec<String>,
    pub interval: u32,
    pub retries: u32,
    pub start_period: u32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DatabaseKind {
    #[default]
    Rds,
    Dynamodb,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    #[default]
    Postgres,
    Mysql,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Database {
    pub kind: DatabaseKind,
    pub engine: Engine,
    pub engine_version: Option<String>,
    pub instance_class: String,
    pub multi_az: bool,
    pub allocated_storage: u32,
    pub max_allocated_storage: u32,
    pub db_name: String,
    pub username: String,
    pub backup_retention_days: u32,
    pub backup_window: String,
    pub maintenance_window: String,
    pub deletion_protection: bool,
    pub skip_final_snapshot: bool,
    pub performance_insights: bool,
    pub monitoring_interval: u32,
    /// Absent: no tables (the schema asks for at least one when the key is written).
    #[serde(default)]
    pub tables: Vec<Table>,
    // Azure only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sku_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_size_gb: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup_storage_redundancy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub long_term_retention_weeks: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entra_admin: Option<EntraAdmin>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sql_login: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failover_region: Option<String>,
}

/// Azure only: the Microsoft Entra administrator of the SQL server.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EntraAdmin {
    pub login: String,
    pub object_id: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KeyAttribute {
    pub name: String,
    #[serde(rename = "type")]
    pub attribute_type: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BillingMode {
    #[default]
    OnDemand,
    Provisioned,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Capacity {
    pub min: u32,
    pub max: u32,
    pub target_utilization: u32,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    pub name: String,
    pub partition_key: KeyAttribute,
    pub sort_key: Option<KeyAttribute>,
    pub billing_mode: BillingMode,
    pub read_capacity: Capacity,
    pub write_capacity: Capacity,
    pub ttl_attribute: Option<String>,
    pub kms_key_arn: Option<String>,
    pub global_secondary_indexes: Vec<SecondaryIndex>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SecondaryIndex {
    pub name: String,
    pub partition_key: KeyAttribute,
    pub sort_key: Option<KeyAttribute>,
    pub projection: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Storage {
    pub buckets: Vec<Bucket>,
    /// Azure only: the storage account's replication.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replication: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Bucket {
    pub name: String,
    pub kms_key_arn: Option<String>,
    pub noncurrent_version_expiration_days: u32,
    pub force_destroy: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Backup {
    pub enabled: bool,
    pub schedule: String,
    pub retention_days: u32,
    pub include_database: bool,
    pub kms_key_arn: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Monitoring {
    pub alarm_emails: Vec<String>,
    pub dashboard: bool,
    pub cpu_high: f64,
    pub memory_high: f64,
    pub disk_high: f64,
    pub http_5xx_per_minute: u32,
    pub response_time_seconds: f64,
    pub traffic_anomaly_band: f64,
    pub db_cpu_high: f64,
    pub db_free_storage_gb: f64,
    pub db_freeable_memory_mb: f64,
    pub db_connections_high: u32,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    /// AWS: required by the schema there; empty under `target: azure`.
    #[serde(default)]
    pub bucket: String,
    pub key: Option<String>,
    pub region: Option<String>,
    // Azure only (required there by the schema).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
}
