//! The Azure part of the model (`azure` in the template context of an Azure spec): the
//! spec's shared vocabulary mapped onto Azure, with Azure's defaults applied and every
//! derived value (subnets, per-zone capacity, names) computed, so templates only print.

use std::collections::BTreeMap;

use ipnet::Ipv4Net;
use serde::Serialize;

use crate::cidr;
use crate::spec::{EntraAdmin, HealthCheckPort, NatGateways, Spec, StringMap};

pub const DEFAULT_VM_SIZE: &str = "Standard_D2s_v5";
pub const DEFAULT_SQL_SKU: &str = "GP_Gen5_2";
pub const DEFAULT_SQL_MAX_SIZE_GB: u32 = 32;
pub const DEFAULT_BACKUP_REDUNDANCY: &str = "Geo";
pub const DEFAULT_LTR_WEEKS: u32 = 4;
pub const DEFAULT_STORAGE_REPLICATION: &str = "GZRS";
pub const DEFAULT_GATEWAY_MIN: u32 = 2;
pub const DEFAULT_GATEWAY_MAX: u32 = 10;

#[derive(Debug, Clone, Serialize)]
pub struct AzureModel {
    pub location: String,
    pub network: AzureNetwork,
    pub gateway: AzureGateway,
    pub compute: AzureCompute,
    pub database: AzureDatabase,
    pub storage: AzureStorage,
    /// True when the Data Protection backup vault is rendered: backups on and at least
    /// one container to protect.
    pub backup_active: bool,
    pub backup_retention_days: u32,
    pub state: Option<AzureState>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AzureNetwork {
    pub cidr: String,
    /// The spec's zones ("1".."3"), in spec order.
    pub zones: Vec<String>,
    /// The Application Gateway's dedicated subnet (nothing else may live in it).
    pub gateway_cidr: String,
    /// Private endpoints of the database and the storage account.
    pub data_cidr: String,
    /// Zone -> CIDR of its app subnet (one per zone: a Standard NAT gateway is zonal and
    /// a subnet takes one NAT gateway, so zone-resilient egress needs zonal subnets).
    pub app_subnets: StringMap,
    /// The app subnets' CIDRs, in zone order (sources of the data NSG rule).
    pub app_cidrs: Vec<String>,
    /// Zones holding a NAT gateway.
    pub nat_zones: Vec<String>,
    /// App subnet zone -> zone of the NAT gateway it uses (empty without NAT).
    pub app_nat: StringMap,
    pub nat_gateways: NatGateways,
}

#[derive(Debug, Clone, Serialize)]
pub struct AzureGateway {
    pub https: bool,
    pub certificate_secret_id: Option<String>,
    pub min_capacity: u32,
    pub max_capacity: u32,
    /// Port the probe and the Application Health extension check.
    pub health_port: u32,
    /// Ports the app NSG opens to the gateway subnet: the app port and a distinct
    /// health port.
    pub app_ports: Vec<String>,
    /// The spec's matcher as Application Gateway status code entries.
    pub status_codes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AzureCompute {
    pub vm_size: String,
    pub admin_ssh_public_key: Option<String>,
    /// Scale sets are zonal (one per zone); the spec's sizes are totals, split evenly
    /// and rounded up so the whole never falls below the spec.
    pub zone_min: u32,
    pub zone_max: u32,
    pub zone_default: u32,
    /// Autoscale cooldowns (ISO 8601): scale-in waits twice as long as scale-out and
    /// looks at a window twice as wide, so a brief dip does not remove capacity.
    pub scale_out_cooldown: String,
    pub scale_in_cooldown: String,
    pub scale_out_window: String,
    pub scale_in_window: String,
    /// Grace period of automatic instance repair (ISO 8601, 10 to 90 minutes).
    pub repair_grace_period: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AzureDatabase {
    pub db_name: String,
    pub sku_name: String,
    pub max_size_gb: u32,
    pub backup_storage_redundancy: String,
    pub backup_retention_days: u32,
    /// `P<n>W`, or None when long-term retention is off.
    pub weekly_retention: Option<String>,
    pub entra_admin: Option<EntraAdmin>,
    pub sql_login: Option<String>,
    pub failover_region: Option<String>,
    pub deletion_protection: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct AzureStorage {
    pub active: bool,
    pub replication: String,
    /// ZRS: checkov's geo-replication check is skipped with the reason.
    pub geo_redundant: bool,
    /// Container name -> days noncurrent blob versions are kept.
    pub containers: BTreeMap<String, u32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AzureState {
    pub resource_group: String,
    pub storage_account: String,
    pub container: String,
    pub key: String,
}

fn iso_minutes(seconds: u32) -> String {
    format!("PT{}M", seconds.div_ceil(60).max(1))
}

/// Builds the Azure part of the model from a valid `target: azure` spec.
pub fn build(spec: &Spec) -> anyhow::Result<AzureModel> {
    let network = network(spec)?;
    let zones = spec.network.availability_zones.len() as u32;
    let lb = &spec.load_balancer;
    let health_port = match lb.health_check.port {
        HealthCheckPort::Number(port) => port,
        HealthCheckPort::Named(_) => spec.compute.port,
    };
    let gateway = AzureGateway {
        https: lb.certificate_secret_id.is_some(),
        certificate_secret_id: lb.certificate_secret_id.clone(),
        min_capacity: lb.min_capacity.unwrap_or(DEFAULT_GATEWAY_MIN),
        max_capacity: lb
            .max_capacity
            .unwrap_or(DEFAULT_GATEWAY_MAX)
            .max(lb.min_capacity.unwrap_or(DEFAULT_GATEWAY_MIN)),
        health_port,
        app_ports: if health_port == spec.compute.port {
            vec![spec.compute.port.to_string()]
        } else {
            vec![spec.compute.port.to_string(), health_port.to_string()]
        },
        status_codes: lb
            .health_check
            .matcher
            .split(',')
            .map(str::to_string)
            .collect(),
    };
    let c = &spec.compute;
    let per_zone = |total: u32| total.div_ceil(zones);
    let cooldown = c.scaling.cooldown;
    let compute = AzureCompute {
        vm_size: c.vm_size.clone().unwrap_or_else(|| DEFAULT_VM_SIZE.into()),
        admin_ssh_public_key: c.admin_ssh_public_key.clone(),
        zone_min: per_zone(c.min_size),
        zone_max: per_zone(c.max_size).max(1),
        zone_default: per_zone(c.desired_capacity.unwrap_or(c.min_size)),
        scale_out_cooldown: iso_minutes(cooldown),
        scale_in_cooldown: iso_minutes(cooldown * 2),
        scale_out_window: "PT5M".into(),
        scale_in_window: "PT10M".into(),
        repair_grace_period: iso_minutes(c.health_check_grace_period.clamp(600, 5400)),
    };
    let d = &spec.database;
    let ltr = d.long_term_retention_weeks.unwrap_or(DEFAULT_LTR_WEEKS);
    let database = AzureDatabase {
        db_name: d.db_name.clone(),
        sku_name: d.sku_name.clone().unwrap_or_else(|| DEFAULT_SQL_SKU.into()),
        max_size_gb: d.max_size_gb.unwrap_or(DEFAULT_SQL_MAX_SIZE_GB),
        backup_storage_redundancy: d
            .backup_storage_redundancy
            .clone()
            .unwrap_or_else(|| DEFAULT_BACKUP_REDUNDANCY.into()),
        backup_retention_days: d.backup_retention_days,
        weekly_retention: (ltr > 0).then(|| format!("P{ltr}W")),
        entra_admin: d.entra_admin.clone(),
        sql_login: d.sql_login.clone(),
        failover_region: d.failover_region.clone(),
        deletion_protection: d.deletion_protection,
    };
    let replication = spec
        .storage
        .replication
        .clone()
        .unwrap_or_else(|| DEFAULT_STORAGE_REPLICATION.into());
    let storage = AzureStorage {
        active: !spec.storage.buckets.is_empty(),
        geo_redundant: replication != "ZRS",
        replication,
        containers: spec
            .storage
            .buckets
            .iter()
            .map(|b| (b.name.clone(), b.noncurrent_version_expiration_days))
            .collect(),
    };
    let state = spec.state.as_ref().map(|s| AzureState {
        resource_group: s.resource_group.clone().unwrap_or_default(),
        storage_account: s.storage_account.clone().unwrap_or_default(),
        container: s.container.clone().unwrap_or_default(),
        key: s
            .key
            .clone()
            .unwrap_or_else(|| format!("{}/{}/terraform.tfstate", spec.name, spec.environment)),
    });
    Ok(AzureModel {
        location: spec.region.clone(),
        network,
        gateway,
        compute,
        database,
        backup_active: spec.backup.enabled && storage.active,
        backup_retention_days: spec.backup.retention_days,
        storage,
        state,
    })
}

/// Carves the VNet in quarters: the gateway subnet at the start of the first, the app
/// subnets (one per zone) share the second half, the private-endpoint subnet at the
/// start of the last quarter. Gateway and data subnets are at most a /24 (Microsoft
/// recommends a /24 for Application Gateway v2), at least a /26.
pub fn carve(vnet: &Ipv4Net, zones: usize) -> anyhow::Result<(String, Vec<String>, String)> {
    let p = vnet.prefix_len();
    anyhow::ensure!(p <= 24, "the VNet must be /24 or larger");
    let quarter = p + 2;
    let small = quarter.max(24);
    let block = |prefix: u8, offset: u32| -> Ipv4Net {
        let base = u32::from(vnet.network()) + offset;
        Ipv4Net::new(base.into(), prefix).expect("prefix within 32")
    };
    let size = |prefix: u8| 1u32 << (32 - prefix);
    let gateway = block(small, 0);
    let data = block(small, 3 * size(quarter));
    // App subnets: the second and third quarters (half the VNet), split per zone.
    let app_prefix = p + 1 + if zones > 2 { 2 } else { 1 };
    let app = (0..zones as u32)
        .map(|i| block(app_prefix, size(quarter) + i * size(app_prefix)).to_string())
        .collect();
    Ok((gateway.to_string(), app, data.to_string()))
}

fn network(spec: &Spec) -> anyhow::Result<AzureNetwork> {
    let net = &spec.network;
    let vnet = cidr::parse(&net.cidr).map_err(anyhow::Error::msg)?;
    let (gateway_cidr, app, data_cidr) = carve(&vnet, net.availability_zones.len())?;
    let nat_zones: Vec<String> = match net.nat_gateways {
        NatGateways::PerAz => net.availability_zones.clone(),
        NatGateways::Single => vec![net.availability_zones[0].clone()],
        NatGateways::None => Vec::new(),
    };
    let app_subnets: StringMap = net
        .availability_zones
        .iter()
        .cloned()
        .zip(app.iter().cloned())
        .collect();
    let app_nat = net
        .availability_zones
        .iter()
        .filter_map(|zone| {
            let nat = match net.nat_gateways {
                NatGateways::PerAz => zone.clone(),
                NatGateways::Single => net.availability_zones[0].clone(),
                NatGateways::None => return None,
            };
            Some((zone.clone(), nat))
        })
        .collect();
    Ok(AzureNetwork {
        cidr: net.cidr.clone(),
        zones: net.availability_zones.clone(),
        gateway_cidr,
        data_cidr,
        app_subnets,
        app_cidrs: app,
        nat_zones,
        app_nat,
        nat_gateways: net.nat_gateways,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(text: &str) -> Ipv4Net {
        text.parse().unwrap()
    }

    #[test]
    fn carving_a_slash_16_for_three_zones() {
        let (gw, app, data) = carve(&net("10.0.0.0/16"), 3).unwrap();
        assert_eq!(gw, "10.0.0.0/24");
        assert_eq!(app, ["10.0.64.0/19", "10.0.96.0/19", "10.0.128.0/19"]);
        assert_eq!(data, "10.0.192.0/24");
    }

    #[test]
    fn carving_a_slash_24_never_overlaps() {
        for zones in 2..=3 {
            let (gw, app, data) = carve(&net("10.1.2.0/24"), zones).unwrap();
            let mut all: Vec<Ipv4Net> = app.iter().map(|a| net(a)).collect();
            all.push(net(&gw));
            all.push(net(&data));
            for (i, a) in all.iter().enumerate() {
                assert!(net("10.1.2.0/24").contains(a));
                assert!(a.prefix_len() <= 28, "{a}");
                for b in &all[i + 1..] {
                    assert!(!cidr::overlaps(a, b), "{a} overlaps {b}");
                }
            }
        }
    }
}
