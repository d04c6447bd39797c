//! AWS semantic rules: what the schema cannot say (zones in the region, subnet
//! arithmetic, Fargate task sizes, DynamoDB keys, which keys apply to which kind).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::cidr;
use crate::schema::display_path;
use crate::spec::{
    ComputeKind, DatabaseKind, Engine, NatGateways, ScalingMetric, ScalingPolicy, Spec,
};
use crate::validate::{Checker, Site, report_duplicates};
use crate::yaml::pointer_segment;

/// An environment may only override keys that mean something for the spec's kinds: an
/// EC2 instance type under `kind: ecs` would otherwise be dropped without a word.
pub fn inapplicable_overrides(spec: &Spec, env: &str, overrides: &Value, c: &mut Checker<'_>) {
    let (compute_kind, not_for_compute): (&str, &[&str]) = match spec.compute.kind {
        ComputeKind::Ec2 => ("ec2", &["cpu", "memory"]),
        ComputeKind::Ecs => ("ecs", &["instance_type"]),
        // Pod counts and sizes are rendered into k8s/ once, not into per-environment
        // Terraform variables.
        ComputeKind::Eks => (
            "eks",
            &[
                "instance_type",
                "min_size",
                "max_size",
                "desired_capacity",
                "cpu",
                "memory",
            ],
        ),
    };
    let not_for_database: &[&str] = match spec.database.kind {
        DatabaseKind::Rds => &[],
        DatabaseKind::Dynamodb => &[
            "instance_class",
            "multi_az",
            "allocated_storage",
            "max_allocated_storage",
            "backup_retention_days",
            "skip_final_snapshot",
        ],
    };
    let checks = [
        (
            "compute",
            not_for_compute,
            format!("`compute.kind: {compute_kind}`"),
        ),
        (
            "database",
            not_for_database,
            "`database.kind: dynamodb`".to_string(),
        ),
    ];
    for (section, keys, kind) in checks {
        let Some(set) = overrides.get(section).and_then(Value::as_object) else {
            continue;
        };
        for key in set.keys().filter(|key| keys.contains(&key.as_str())) {
            let pointer = format!("/environments/{}/{section}/{key}", pointer_segment(env));
            c.report(
                Site::Key(&pointer),
                &[],
                format!("in environment `{env}`: `{section}.{key}` does not apply to {kind}"),
                Some("remove it, or change the kind in the spec"),
            );
        }
    }
}

/// Fargate CPU units -> allowed memory (MiB): AWS's task size table.
fn fargate_memory_allowed(cpu: u32, memory: u32) -> bool {
    let (low, high, step) = match cpu {
        256 => return matches!(memory, 512 | 1024 | 2048),
        512 => (1024, 4096, 1024),
        1024 => (2048, 8192, 1024),
        2048 => (4096, 16384, 1024),
        4096 => (8192, 30720, 1024),
        8192 => (16384, 61440, 4096),
        16384 => (32768, 122880, 8192),
        _ => return false,
    };
    (low..=high).contains(&memory) && (memory - low).is_multiple_of(step)
}

pub fn rules(spec: &Spec, c: &mut Checker<'_>) {
    network_rules(spec, c);

    let compute = &spec.compute;
    if compute.min_size > compute.max_size {
        c.report(
            Site::Value("/compute/min_size"),
            &["/compute/max_size"],
            format!(
                "`compute.min_size` ({}) is greater than `compute.max_size` ({})",
                compute.min_size, compute.max_size
            ),
            Some("min_size <= desired_capacity <= max_size"),
        );
    }
    if let Some(desired) = compute.desired_capacity
        && (desired < compute.min_size || desired > compute.max_size)
    {
        c.report(
            Site::Value("/compute/desired_capacity"),
            &["/compute/min_size", "/compute/max_size"],
            format!(
                "`compute.desired_capacity` ({desired}) is outside `min_size`..`max_size` ({}..{})",
                compute.min_size, compute.max_size
            ),
            Some("min_size <= desired_capacity <= max_size"),
        );
    }
    if compute.scaling.policy == ScalingPolicy::Step
        && compute.scaling.scale_in_below >= compute.scaling.scale_out_above
    {
        c.report(
            Site::Value("/compute/scaling/scale_in_below"),
            &["/compute/scaling/scale_out_above"],
            format!(
                "`compute.scaling.scale_in_below` ({}) must be below `scale_out_above` ({})",
                compute.scaling.scale_in_below, compute.scaling.scale_out_above
            ),
            Some("otherwise the group would scale in and out at the same time"),
        );
    }
    if compute.user_data.is_some() && compute.user_data_file.is_some() {
        c.report(
            Site::Key("/compute/user_data_file"),
            &[],
            "`compute.user_data` and `compute.user_data_file` are exclusive".into(),
            Some("keep one of them"),
        );
    }
    if compute.kind == ComputeKind::Ecs && !fargate_memory_allowed(compute.cpu, compute.memory) {
        c.report(
            Site::Value("/compute/memory"),
            &["/compute/cpu"],
            format!(
                "Fargate has no task size with {} CPU units and {} MiB memory",
                compute.cpu, compute.memory
            ),
            Some(
                "256 CPU: 512, 1024 or 2048 MiB; 512: 1024-4096; 1024: 2048-8192; 2048: 4096-16384; 4096: 8192-30720 (steps of 1024)",
            ),
        );
    }

    if compute.kind == ComputeKind::Eks && compute.min_size == 0 {
        c.report(
            Site::Value("/compute/min_size"),
            &["/compute/kind"],
            "`compute.kind: eks` runs at least one pod: a HorizontalPodAutoscaler cannot scale to zero".into(),
            Some("use `min_size: 1` or more"),
        );
    }
    if compute.kind == ComputeKind::Eks && compute.scaling.metric == ScalingMetric::Requests {
        c.report(
            Site::Value("/compute/scaling/metric"),
            &["/compute/kind"],
            "`compute.kind: eks` scales on CPU: the HorizontalPodAutoscaler has no load balancer request metric".into(),
            Some("use `metric: cpu` (the default)"),
        );
    }
    if compute.kind == ComputeKind::Eks && spec.network.nat_gateways == NatGateways::None {
        c.report(
            Site::Value("/network/nat_gateways"),
            &["/compute/kind"],
            "`compute.kind: eks` needs NAT gateways: EKS Auto Mode nodes reach ECR, EKS and STS through them".into(),
            Some("use `nat_gateways: single` or `per_az`"),
        );
    }

    let health = &spec.load_balancer.health_check;
    if health.timeout >= health.interval {
        c.report(
            Site::Value("/load_balancer/health_check/timeout"),
            &["/load_balancer/health_check/interval"],
            format!(
                "`load_balancer.health_check.timeout` ({}s) must be shorter than `interval` ({}s)",
                health.timeout, health.interval
            ),
            None,
        );
    }

    let database = &spec.database;
    match database.kind {
        DatabaseKind::Rds => {
            // AWS refuses Performance Insights on the smallest MySQL classes at apply time.
            let small_class = ["micro", "small"]
                .iter()
                .any(|size| database.instance_class.ends_with(&format!(".{size}")));
            if database.engine == Engine::Mysql && database.performance_insights && small_class {
                c.report(
                    Site::Value("/database/instance_class"),
                    &["/database/performance_insights", "/database/engine"],
                    format!(
                        "Performance Insights is not available for MySQL on `{}`",
                        database.instance_class
                    ),
                    Some("use db.t4g.medium or larger, or set `performance_insights: false`"),
                );
            }
            if database.max_allocated_storage < database.allocated_storage {
                c.report(
                    Site::Value("/database/max_allocated_storage"),
                    &["/database/allocated_storage"],
                    format!(
                        "`database.max_allocated_storage` ({} GiB) is below `allocated_storage` ({} GiB)",
                        database.max_allocated_storage, database.allocated_storage
                    ),
                    Some("storage autoscaling grows from allocated_storage up to max_allocated_storage"),
                );
            }
        }
        DatabaseKind::Dynamodb => {
            if database.tables.is_empty() {
                c.report(
                    Site::Value("/database/tables"),
                    &[],
                    "`database.kind: dynamodb` needs at least one table in `database.tables`"
                        .into(),
                    None,
                );
            }
        }
    }
    let table_names: Vec<&str> = database.tables.iter().map(|t| t.name.as_str()).collect();
    report_duplicates(c, &table_names, "/database/tables", "table");
    for (index, table) in database.tables.iter().enumerate() {
        let names: Vec<&str> = table
            .global_secondary_indexes
            .iter()
            .map(|i| i.name.as_str())
            .collect();
        report_duplicates(
            c,
            &names,
            &format!("/database/tables/{index}/global_secondary_indexes"),
            "index",
        );
        table_key_rules(table, index, c);
    }
    let bucket_names: Vec<&str> = spec
        .storage
        .buckets
        .iter()
        .map(|b| b.name.as_str())
        .collect();
    report_duplicates(c, &bucket_names, "/storage/buckets", "bucket");
}

/// DynamoDB rules of one table: a key attribute has one type across the table and its
/// indexes (the module declares each attribute once), and provisioned capacity has
/// `min <= max`.
fn table_key_rules(table: &crate::spec::Table, index: usize, c: &mut Checker<'_>) {
    let base = format!("/database/tables/{index}");
    let mut keys = vec![(&table.partition_key, format!("{base}/partition_key"))];
    if let Some(sort) = &table.sort_key {
        keys.push((sort, format!("{base}/sort_key")));
    }
    for (i, gsi) in table.global_secondary_indexes.iter().enumerate() {
        let gsi_base = format!("{base}/global_secondary_indexes/{i}");
        keys.push((&gsi.partition_key, format!("{gsi_base}/partition_key")));
        if let Some(sort) = &gsi.sort_key {
            keys.push((sort, format!("{gsi_base}/sort_key")));
        }
    }
    let mut first_use: BTreeMap<&str, (&str, &str)> = BTreeMap::new();
    for (key, pointer) in &keys {
        match first_use.get(key.name.as_str()) {
            Some((first_type, first_pointer)) if *first_type != key.attribute_type => {
                let first_line = c.positions.value(first_pointer).line;
                c.report(
                    Site::Value(pointer),
                    &[first_pointer],
                    format!(
                        "attribute `{}` of table `{}` is type {} here but {} at line {first_line}",
                        key.name, table.name, key.attribute_type, first_type
                    ),
                    Some("a key attribute has one type (S, N or B) in a table and all its indexes"),
                );
            }
            Some(_) => {}
            None => {
                first_use.insert(&key.name, (&key.attribute_type, pointer));
            }
        }
    }
    if table.billing_mode == crate::spec::BillingMode::Provisioned {
        for (name, capacity) in [
            ("read_capacity", &table.read_capacity),
            ("write_capacity", &table.write_capacity),
        ] {
            if capacity.min > capacity.max {
                c.report(
                    Site::Value(&format!("{base}/{name}/min")),
                    &[&format!("{base}/{name}/max")],
                    format!(
                        "`{name}.min` ({}) of table `{}` is greater than `max` ({})",
                        capacity.min, table.name, capacity.max
                    ),
                    Some("autoscaling moves capacity between min and max"),
                );
            }
        }
    }
}

fn network_rules(spec: &Spec, c: &mut Checker<'_>) {
    let network = &spec.network;
    let Ok(vpc) = cidr::parse(&network.cidr) else {
        return; // the schema format reported it
    };
    // AWS allows /16 to /28, but three tiers of /28 subnets in two zones need a /25 at
    // least; the schema documents /16 to /24.
    if !(16..=24).contains(&vpc.prefix_len()) {
        c.report(
            Site::Value("/network/cidr"),
            &[],
            format!(
                "a VPC must be a /16 to /24 network, not /{}",
                vpc.prefix_len()
            ),
            Some("a /24 fits three tiers of /28 subnets in up to five zones; /16 leaves room to grow"),
        );
        return;
    }
    for (index, zone) in network.availability_zones.iter().enumerate() {
        let in_region = zone
            .strip_prefix(spec.region.as_str())
            .is_some_and(|letter| letter.len() == 1);
        if !in_region {
            let pointer = format!("/network/availability_zones/{index}");
            c.report(
                Site::Value(&pointer),
                &["/region"],
                format!(
                    "availability zone `{zone}` is not in region `{}`",
                    spec.region
                ),
                Some(&format!(
                    "zones of {0} are named {0}a, {0}b, {0}c, ...",
                    spec.region
                )),
            );
        }
    }
    let zones = network.availability_zones.len();
    let Some(subnets) = &network.subnets else {
        if let Err(message) = cidr::plan(&vpc, zones) {
            c.report(
                Site::Value("/network/cidr"),
                &[],
                message,
                Some("hagen carves subnets automatically from a /22 or larger VPC"),
            );
        }
        return;
    };
    let mut seen: Vec<(String, ipnet::Ipv4Net)> = Vec::new();
    for (tier, list) in [
        ("public", &subnets.public),
        ("app", &subnets.app),
        ("database", &subnets.database),
    ] {
        let list_pointer = format!("/network/subnets/{tier}");
        if list.len() != zones {
            c.report(
                Site::Value(&list_pointer),
                &["/network/availability_zones"],
                format!(
                    "`network.subnets.{tier}` lists {} CIDRs for {zones} availability zones",
                    list.len()
                ),
                Some("give exactly one CIDR per availability zone, in zone order"),
            );
        }
        for (index, text) in list.iter().enumerate() {
            let pointer = format!("{list_pointer}/{index}");
            let Ok(subnet) = cidr::parse(text) else {
                continue; // the schema format reported it
            };
            if !cidr::contains(&vpc, &subnet) {
                c.report(
                    Site::Value(&pointer),
                    &["/network/cidr"],
                    format!("subnet `{text}` is not inside the VPC `{}`", network.cidr),
                    None,
                );
                continue;
            }
            if !(16..=28).contains(&subnet.prefix_len()) {
                c.report(
                    Site::Value(&pointer),
                    &[],
                    format!("subnet `{text}` must be a /16 to /28 network"),
                    Some("AWS allows subnet blocks from /16 to /28"),
                );
            }
            if let Some((other, _)) = seen.iter().find(|(_, net)| cidr::overlaps(net, &subnet)) {
                c.report(
                    Site::Value(&pointer),
                    &[],
                    format!("subnet `{text}` overlaps `{other}`"),
                    Some("subnets must not share addresses"),
                );
            }
            seen.push((
                format!("{}[{index}] {text}", display_path(&list_pointer)),
                subnet,
            ));
        }
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fargate_sizes() {
        assert!(fargate_memory_allowed(256, 512));
        assert!(!fargate_memory_allowed(256, 4096));
        assert!(fargate_memory_allowed(1024, 3072));
        assert!(!fargate_memory_allowed(1024, 1024));
        assert!(fargate_memory_allowed(8192, 20480));
        assert!(!fargate_memory_allowed(8192, 18432));
    }
}
