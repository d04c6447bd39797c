//! The typed spec: what `schemas/hagen.schema.json` describes, as Rust types.
//!
//! Defaults here must equal the schema's `default`s (a test checks that), because the
//! schema is the contract users read and these are what hagen applies.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

fn yes() -> bool {
    true
}

macro_rules! default_fn {
    ($name:ident, $ty:ty, $value:expr) => {
        fn $name() -> $ty {
            $value.into()
        }
    };
}

default_fn!(d_version, u32, 1u32);
default_fn!(d_environment, String, "prod");
default_fn!(d_retention_365, u32, 365u32);
default_fn!(d_retention_90, u32, 90u32);
default_fn!(d_ssl_policy, String, "ELBSecurityPolicy-TLS13-1-2-2021-06");
default_fn!(d_idle_timeout, u32, 60u32);
default_fn!(d_hc_path, String, "/");
default_fn!(d_hc_matcher, String, "200-399");
default_fn!(d_30, u32, 30u32);
default_fn!(d_5, u32, 5u32);
default_fn!(d_3, u32, 3u32);
default_fn!(d_port, u32, 8080u32);
default_fn!(d_min_size, u32, 2u32);
default_fn!(d_max_size, u32, 6u32);
default_fn!(d_target, f64, 50f64);
default_fn!(d_scale_out, f64, 70f64);
default_fn!(d_scale_in, f64, 30f64);
default_fn!(d_300, u32, 300u32);
default_fn!(d_instance_type, String, "t3.micro");
default_fn!(d_root_volume, u32, 20u32);
default_fn!(d_cpu, u32, 256u32);
default_fn!(d_memory, u32, 512u32);
default_fn!(d_60, u32, 60u32);
default_fn!(d_instance_class, String, "db.t4g.medium");
default_fn!(d_storage, u32, 20u32);
default_fn!(d_max_storage, u32, 100u32);
default_fn!(d_db_name, String, "app");
default_fn!(d_username, String, "app_admin");
default_fn!(d_7, u32, 7u32);
default_fn!(d_backup_window, String, "03:00-04:00");
default_fn!(d_maintenance_window, String, "sun:04:30-sun:05:30");
default_fn!(d_backup_schedule, String, "cron(0 0 * * ? *)");
default_fn!(d_35, u32, 35u32);
default_fn!(d_capacity_min, u32, 5u32);
default_fn!(d_capacity_max, u32, 100u32);
default_fn!(d_70, u32, 70u32);
default_fn!(d_cpu_high, f64, 80f64);
default_fn!(d_memory_high, f64, 90f64);
default_fn!(d_disk_high, f64, 85f64);
default_fn!(d_5xx, u32, 10u32);
default_fn!(d_response_time, f64, 1f64);
default_fn!(d_anomaly_band, f64, 2f64);
default_fn!(d_free_storage, f64, 5f64);
default_fn!(d_freeable_memory, f64, 256f64);
default_fn!(d_connections, u32, 100u32);

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
    #[serde(default = "d_version")]
    pub version: u32,
    #[serde(default)]
    pub target: Target,
    pub name: String,
    #[serde(default = "d_environment")]
    pub environment: String,
    pub region: String,
    #[serde(default)]
    pub tags: StringMap,
    pub network: Network,
    #[serde(default)]
    pub load_balancer: LoadBalancer,
    #[serde(default)]
    pub compute: Compute,
    #[serde(default)]
    pub database: Database,
    #[serde(default)]
    pub storage: Storage,
    #[serde(default)]
    pub backup: Backup,
    #[serde(default)]
    pub monitoring: Monitoring,
    pub state: Option<State>,
    #[serde(default = "yes")]
    pub self_tests: bool,
    #[serde(default)]
    pub environments: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    pub cidr: String,
    pub availability_zones: Vec<String>,
    #[serde(default)]
    pub nat_gateways: NatGateways,
    pub subnets: Option<ExplicitSubnets>,
    #[serde(default)]
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
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default = "d_retention_365")]
    pub retention_days: u32,
}

impl Default for FlowLogs {
    fn default() -> Self {
        Self {
            enabled: true,
            retention_days: d_retention_365(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LoadBalancer {
    pub certificate_arn: Option<String>,
    #[serde(default = "d_ssl_policy")]
    pub ssl_policy: String,
    #[serde(default = "yes")]
    pub deletion_protection: bool,
    #[serde(default = "d_idle_timeout")]
    pub idle_timeout: u32,
    #[serde(default)]
    pub access_logs: AccessLogs,
    #[serde(default)]
    pub health_check: HealthCheck,
    // Azure only (the schema rejects them under `target: aws`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_secret_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_capacity: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_capacity: Option<u32>,
}

impl Default for LoadBalancer {
    fn default() -> Self {
        serde_json::from_value(serde_json::json!({})).expect("all fields have defaults")
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AccessLogs {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default = "d_retention_90")]
    pub retention_days: u32,
}

impl Default for AccessLogs {
    fn default() -> Self {
        Self {
            enabled: false,
            retention_days: d_retention_90(),
        }
    }
}

/// `traffic-port` or a port number, as the ALB health check takes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum HealthCheckPort {
    Number(u32),
    Named(String),
}

impl Default for HealthCheckPort {
    fn default() -> Self {
        Self::Named("traffic-port".into())
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HealthCheck {
    #[serde(default = "d_hc_path")]
    pub path: String,
    #[serde(default)]
    pub port: HealthCheckPort,
    #[serde(default = "d_hc_matcher")]
    pub matcher: String,
    #[serde(default = "d_30")]
    pub interval: u32,
    #[serde(default = "d_5")]
    pub timeout: u32,
    #[serde(default = "d_3")]
    pub healthy_threshold: u32,
    #[serde(default = "d_3")]
    pub unhealthy_threshold: u32,
}

impl Default for HealthCheck {
    fn default() -> Self {
        serde_json::from_value(serde_json::json!({})).expect("all fields have defaults")
    }
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
    #[serde(default)]
    pub kind: ComputeKind,
    #[serde(default = "d_port")]
    pub port: u32,
    #[serde(default = "d_min_size")]
    pub min_size: u32,
    #[serde(default = "d_max_size")]
    pub max_size: u32,
    pub desired_capacity: Option<u32>,
    #[serde(default)]
    pub scaling: Scaling,
    // EC2 only.
    #[serde(default = "d_instance_type")]
    pub instance_type: String,
    /// None: the latest Amazon Linux 2023 for the instance type's architecture.
    pub ami: Option<String>,
    #[serde(default = "d_root_volume")]
    pub root_volume_size: u32,
    pub user_data: Option<String>,
    pub user_data_file: Option<String>,
    /// Every kind: the ASG's health check grace period, the ECS service's, or the pod's
    /// liveness probe delay.
    #[serde(default = "d_300")]
    pub health_check_grace_period: u32,
    // ECS and EKS (`secrets` and `container_health_check`: ECS only).
    pub image: Option<String>,
    #[serde(default = "d_cpu")]
    pub cpu: u32,
    #[serde(default = "d_memory")]
    pub memory: u32,
    #[serde(default)]
    pub environment: StringMap,
    #[serde(default)]
    pub secrets: StringMap,
    pub container_health_check: Option<ContainerHealthCheck>,
    #[serde(default = "d_retention_90")]
    pub log_retention_days: u32,
    #[serde(default = "yes")]
    pub read_only_root_filesystem: bool,
    /// ECS only: the CPU architecture of the Fargate tasks (the image must have it).
    #[serde(default)]
    pub cpu_architecture: CpuArchitecture,
    // EKS only.
    /// IAM principals given cluster-admin access entries.
    #[serde(default)]
    pub admins: Vec<String>,
    /// Networks allowed to reach the public API endpoint; empty: private endpoint only.
    #[serde(default)]
    pub public_access_cidrs: Vec<String>,
    // Azure only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vm_size: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
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

impl Default for Compute {
    fn default() -> Self {
        serde_json::from_value(serde_json::json!({})).expect("all fields have defaults")
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
    #[serde(default)]
    pub policy: ScalingPolicy,
    #[serde(default)]
    pub metric: ScalingMetric,
    #[serde(default = "d_target")]
    pub target: f64,
    #[serde(default = "d_scale_out")]
    pub scale_out_above: f64,
    #[serde(default = "d_scale_in")]
    pub scale_in_below: f64,
    #[serde(default = "d_300")]
    pub cooldown: u32,
}

impl Default for Scaling {
    fn default() -> Self {
        serde_json::from_value(serde_json::json!({})).expect("all fields have defaults")
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ContainerHealthCheck {
    pub command: Vec<String>,
    #[serde(default = "d_30")]
    pub interval: u32,
    #[serde(default = "d_3")]
    pub retries: u32,
    #[serde(default = "d_60")]
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
    #[serde(default)]
    pub kind: DatabaseKind,
    #[serde(default)]
    pub engine: Engine,
    pub engine_version: Option<String>,
    #[serde(default = "d_instance_class")]
    pub instance_class: String,
    #[serde(default = "yes")]
    pub multi_az: bool,
    #[serde(default = "d_storage")]
    pub allocated_storage: u32,
    #[serde(default = "d_max_storage")]
    pub max_allocated_storage: u32,
    #[serde(default = "d_db_name")]
    pub db_name: String,
    #[serde(default = "d_username")]
    pub username: String,
    #[serde(default = "d_7")]
    pub backup_retention_days: u32,
    #[serde(default = "d_backup_window")]
    pub backup_window: String,
    #[serde(default = "d_maintenance_window")]
    pub maintenance_window: String,
    #[serde(default = "yes")]
    pub deletion_protection: bool,
    #[serde(default)]
    pub skip_final_snapshot: bool,
    #[serde(default = "yes")]
    pub performance_insights: bool,
    #[serde(default = "d_60")]
    pub monitoring_interval: u32,
    #[serde(default)]
    pub tables: Vec<Table>,
    // Azure only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_size_gb: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_storage_redundancy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_term_retention_weeks: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entra_admin: Option<EntraAdmin>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql_login: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failover_region: Option<String>,
}

/// Azure only: the Microsoft Entra administrator of the SQL server.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EntraAdmin {
    pub login: String,
    pub object_id: String,
}

impl Default for Database {
    fn default() -> Self {
        serde_json::from_value(serde_json::json!({})).expect("all fields have defaults")
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KeyAttribute {
    pub name: String,
    #[serde(default = "d_key_type", rename = "type")]
    pub attribute_type: String,
}

fn d_key_type() -> String {
    "S".into()
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
    #[serde(default = "d_capacity_min")]
    pub min: u32,
    #[serde(default = "d_capacity_max")]
    pub max: u32,
    #[serde(default = "d_70")]
    pub target_utilization: u32,
}

impl Default for Capacity {
    fn default() -> Self {
        Self {
            min: d_capacity_min(),
            max: d_capacity_max(),
            target_utilization: d_70(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    pub name: String,
    pub partition_key: KeyAttribute,
    pub sort_key: Option<KeyAttribute>,
    #[serde(default)]
    pub billing_mode: BillingMode,
    #[serde(default)]
    pub read_capacity: Capacity,
    #[serde(default)]
    pub write_capacity: Capacity,
    pub ttl_attribute: Option<String>,
    pub kms_key_arn: Option<String>,
    #[serde(default)]
    pub global_secondary_indexes: Vec<SecondaryIndex>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SecondaryIndex {
    pub name: String,
    pub partition_key: KeyAttribute,
    pub sort_key: Option<KeyAttribute>,
    #[serde(default = "d_projection")]
    pub projection: String,
}

fn d_projection() -> String {
    "ALL".into()
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Storage {
    #[serde(default)]
    pub buckets: Vec<Bucket>,
    /// Azure only: the storage account's replication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replication: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Bucket {
    pub name: String,
    pub kms_key_arn: Option<String>,
    #[serde(default = "d_retention_90")]
    pub noncurrent_version_expiration_days: u32,
    #[serde(default)]
    pub force_destroy: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Backup {
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default = "d_backup_schedule")]
    pub schedule: String,
    #[serde(default = "d_35")]
    pub retention_days: u32,
    #[serde(default)]
    pub include_database: bool,
    pub kms_key_arn: Option<String>,
}

impl Default for Backup {
    fn default() -> Self {
        serde_json::from_value(serde_json::json!({})).expect("all fields have defaults")
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Monitoring {
    #[serde(default)]
    pub alarm_emails: Vec<String>,
    #[serde(default)]
    pub dashboard: bool,
    #[serde(default = "d_cpu_high")]
    pub cpu_high: f64,
    #[serde(default = "d_memory_high")]
    pub memory_high: f64,
    #[serde(default = "d_disk_high")]
    pub disk_high: f64,
    #[serde(default = "d_5xx")]
    pub http_5xx_per_minute: u32,
    #[serde(default = "d_response_time")]
    pub response_time_seconds: f64,
    #[serde(default = "d_anomaly_band")]
    pub traffic_anomaly_band: f64,
    #[serde(default = "d_cpu_high")]
    pub db_cpu_high: f64,
    #[serde(default = "d_free_storage")]
    pub db_free_storage_gb: f64,
    #[serde(default = "d_freeable_memory")]
    pub db_freeable_memory_mb: f64,
    #[serde(default = "d_connections")]
    pub db_connections_high: u32,
}

impl Default for Monitoring {
    fn default() -> Self {
        serde_json::from_value(serde_json::json!({})).expect("all fields have defaults")
    }
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
}
