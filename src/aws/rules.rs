//! AWS semantic rules: what the schema cannot say (zones in the region, subnet
//! arithmetic, Fargate task sizes, DynamoDB keys, which keys apply to which kind).

use std::collections::BTreeMap;

use serde_json::Value;

use super::regions::{self, Region};
use super::{engines, instances, schedule};
use crate::checker::{Checker, Site, report_duplicates};
use crate::cidr;
use crate::schema::display_path;
use crate::spec::{
    ComputeKind, DatabaseKind, Engine, NatGateways, ScalingMetric, ScalingPolicy, Spec,
};
use crate::yaml::pointer_segment;

/// An environment may only override keys that mean something for the spec's kinds: an
/// EC2 instance type under `kind: ecs` would otherwise be dropped without a word.
pub fn inapplicable_overrides(spec: &Spec, env: &str, overrides: &Value, c: &mut Checker<'_>) {
    environment_architecture(spec, env, overrides, c);
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

pub fn rules(spec: &Spec, c: &mut Checker<'_>) {
    let region = region_rules(spec, c);
    network_rules(spec, c);
    if let Some(region) = region {
        arn_rules(spec, region, c);
        image_rules(spec, region, c);
    }
    name_rules(spec, c);
    architecture_rules(spec, c);
    engine_rules(spec, c);
    rds_window_rules(spec, c);
    backup_window_rules(spec, c);

    let compute = &spec.compute;
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
    if compute.kind == ComputeKind::Ecs && !super::fargate::allows(compute.cpu, compute.memory) {
        c.report(
            Site::Value("/compute/memory"),
            &["/compute/cpu"],
            format!(
                "Fargate has no task size with {} CPU units and {} MiB memory",
                compute.cpu, compute.memory
            ),
            Some(&super::fargate::describe()),
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
    report_same_variable(c, &table_names);
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

/// The app is told each table's name in `DYNAMODB_TABLE_<NAME>` (upper case, `-` as `_`,
/// templates/aws/app_access.tf.j2): two names that differ only in `-` versus `_` would
/// be one variable.
fn report_same_variable(c: &mut Checker<'_>, names: &[&str]) {
    let variable = |name: &str| name.to_uppercase().replace('-', "_");
    for (index, name) in names.iter().enumerate() {
        let earlier = names[..index]
            .iter()
            .position(|other| other != name && variable(other) == variable(name));
        if let Some(first) = earlier {
            let first_line = c
                .positions
                .value(&format!("/database/tables/{first}/name"))
                .line;
            c.report(
                Site::Value(&format!("/database/tables/{index}/name")),
                &[],
                format!(
                    "table `{name}` and table `{}` (line {first_line}) would both be DYNAMODB_TABLE_{} for the app",
                    names[first],
                    variable(name)
                ),
                Some("use names that differ in more than `-` versus `_`"),
            );
        }
    }
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
// --- rules that need AWS facts: regions, instance types, engines, names, schedules ---

/// The first pointer the spec writes (a defaulted value has no position of its own), or
/// the first one.
fn written<'p>(c: &Checker<'_>, pointers: &[&'p str]) -> &'p str {
    pointers
        .iter()
        .find(|p| c.positions.values.contains_key(**p))
        .copied()
        .unwrap_or(pointers[0])
}

/// `region` and `state.region` must be real regions; the zones must exist in the region.
/// Returns the region when it is known.
fn region_rules(spec: &Spec, c: &mut Checker<'_>) -> Option<&'static Region> {
    let unknown = |c: &mut Checker<'_>, pointer: &str, name: &str| {
        let hint = match regions::closest(name) {
            Some(best) => format!("did you mean `{best}`?"),
            None => format!(
                "AWS regions: {}",
                regions::REGIONS
                    .iter()
                    .map(|r| r.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        // The isolated partitions (`us-iso-east-1`, `us-isob-east-1`...) are real, but
        // hagen's module does not target them.
        let message = if name.contains("-iso") {
            format!("`{name}` is in an AWS partition hagen does not deploy to")
        } else {
            format!("`{name}` is not an AWS region")
        };
        c.report(Site::Value(pointer), &[], message, Some(&hint));
    };
    if let Some(state_region) = spec.state.as_ref().and_then(|s| s.region.as_deref())
        && regions::find(state_region).is_none()
    {
        unknown(c, "/state/region", state_region);
    }
    let Some(region) = regions::find(&spec.region) else {
        unknown(c, "/region", &spec.region);
        return None;
    };
    if region.partition == "aws-cn" {
        // Interface endpoints there are named `cn.com.amazonaws.<region>.<service>`, not
        // `com.amazonaws.<region>.<service>` as the module writes them:
        // <https://docs.amazonaws.cn/en_us/aws/latest/userguide/endpoints-Beijing.html>.
        c.report(
            Site::Value("/region"),
            &[],
            format!("hagen does not deploy to the China regions yet (`{}`)", region.name),
            Some("their VPC endpoint service names and service principals differ from the other partitions"),
        );
        return None;
    }
    for (index, zone) in spec.network.availability_zones.iter().enumerate() {
        let pointer = format!("/network/availability_zones/{index}");
        let in_region = zone
            .strip_prefix(region.name)
            .is_some_and(|letter| letter.len() == 1);
        let zones = region.zone_names().join(", ");
        if !in_region {
            c.report(
                Site::Value(&pointer),
                &["/region"],
                format!(
                    "availability zone `{zone}` is not in region `{}`",
                    region.name
                ),
                Some(&format!("zones of {}: {zones}", region.name)),
            );
        } else if !region.has_zone(zone) {
            c.report(
                Site::Value(&pointer),
                &["/region"],
                format!("region `{}` has no availability zone `{zone}`", region.name),
                Some(&format!("zones of {}: {zones}", region.name)),
            );
        }
    }
    Some(region)
}

/// Region and partition of an ARN: `arn:<partition>:<service>:<region>:...`.
fn arn_region(arn: &str) -> Option<(&str, &str)> {
    let mut parts = arn.split(':');
    let (_, partition, _, region) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    Some((partition, region))
}

/// Certificates, KMS keys and secrets are regional: the ALB, buckets, vault and tables
/// can only use those of their own region and partition.
fn arn_rules(spec: &Spec, region: &Region, c: &mut Checker<'_>) {
    let mut arns: Vec<(String, &str, &str)> = Vec::new();
    if let Some(arn) = &spec.load_balancer.certificate_arn {
        arns.push(("/load_balancer/certificate_arn".into(), arn, "certificate"));
    }
    for (index, bucket) in spec.storage.buckets.iter().enumerate() {
        if let Some(arn) = &bucket.kms_key_arn {
            arns.push((
                format!("/storage/buckets/{index}/kms_key_arn"),
                arn,
                "KMS key",
            ));
        }
    }
    for (index, table) in spec.database.tables.iter().enumerate() {
        if let Some(arn) = &table.kms_key_arn {
            arns.push((
                format!("/database/tables/{index}/kms_key_arn"),
                arn,
                "KMS key",
            ));
        }
    }
    if let Some(arn) = &spec.backup.kms_key_arn {
        arns.push(("/backup/kms_key_arn".into(), arn, "KMS key"));
    }
    // ECS reads a secret of another region by its full ARN, but not without NAT: the
    // tasks then reach only this region's endpoints.
    // <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html>
    let secrets_local_only = spec.network.nat_gateways == NatGateways::None;
    if spec.compute.kind == ComputeKind::Ecs {
        for (name, arn) in &spec.compute.secrets {
            arns.push((
                format!("/compute/secrets/{}", pointer_segment(name)),
                arn,
                "secret",
            ));
        }
    }
    for (pointer, arn, what) in arns {
        let Some((partition, arn_region)) = arn_region(arn) else {
            continue; // the schema format reported it
        };
        if partition != region.partition {
            c.report(
                Site::Value(&pointer),
                &["/region"],
                format!(
                    "this {what} is in partition `{partition}`, but region `{}` is in `{}`",
                    region.name, region.partition
                ),
                Some(&format!(
                    "ARNs in {} start with `arn:{}:`",
                    region.name, region.partition
                )),
            );
        } else if arn_region != region.name && (what != "secret" || secrets_local_only) {
            let hint = match what {
                "certificate" => format!(
                    "a load balancer uses certificates of its own region: request or import the certificate in ACM in {}",
                    region.name
                ),
                "secret" => format!(
                    "without NAT the tasks reach only {0}'s Secrets Manager and SSM endpoints: keep the secret in {0}, or use `network.nat_gateways: single`",
                    region.name
                ),
                _ => format!(
                    "KMS keys are regional: use a key (or a multi-Region replica key) in {}",
                    region.name
                ),
            };
            let mut others = vec!["/region"];
            if what == "secret" {
                others.push("/network/nat_gateways");
            }
            c.report(
                Site::Value(&pointer),
                &others,
                format!(
                    "this {what} is in region `{arn_region}`, not in `{}`",
                    region.name
                ),
                Some(&hint),
            );
        }
    }
}

/// S3 bucket names AWS reserves:
/// <https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html>.
const RESERVED_BUCKET_PREFIXES: &[&str] = &["xn--", "sthree-", "amzn-s3-demo-"];
const RESERVED_BUCKET_SUFFIXES: &[&str] = &["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

/// A bucket name's reserved prefix or suffix, if it has one.
pub fn reserved_bucket_affix(bucket: &str) -> Option<&'static str> {
    RESERVED_BUCKET_PREFIXES
        .iter()
        .find(|prefix| bucket.starts_with(**prefix))
        .or_else(|| {
            RESERVED_BUCKET_SUFFIXES
                .iter()
                .find(|suffix| bucket.ends_with(**suffix))
        })
        .copied()
}

/// The names the module creates from `name`: an ALB name must not start with
/// `internal-` (<https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html>),
/// bucket names must avoid S3's reserved prefixes and suffixes.
fn name_rules(spec: &Spec, c: &mut Checker<'_>) {
    let prefix = format!("{}-{}", spec.name, spec.environment);
    let alb = format!("{prefix}-alb");
    if alb.starts_with("internal-") {
        c.report(
            Site::Value("/name"),
            &["/environment"],
            format!("the load balancer would be named `{alb}`, and AWS refuses ALB names that begin with `internal-`"),
            Some("choose another `name`"),
        );
    }
    // The account ID is unknown until apply; its digits change no prefix or suffix.
    let account = "123456789012";
    let mut buckets: Vec<(String, String)> = spec
        .storage
        .buckets
        .iter()
        .enumerate()
        .map(|(index, b)| {
            (
                format!("/storage/buckets/{index}/name"),
                format!("{prefix}-{}-{account}", b.name),
            )
        })
        .collect();
    if spec.load_balancer.access_logs.enabled {
        buckets.push((
            "/load_balancer/access_logs/enabled".into(),
            format!("{prefix}-{account}-alb-logs"),
        ));
    }
    for (pointer, bucket) in buckets {
        if let Some(affix) = reserved_bucket_affix(&bucket) {
            let shown = bucket.replace(account, "<account id>");
            c.report(
                Site::Value("/name"),
                &["/environment", &pointer],
                format!(
                    "the bucket would be named `{shown}`, and S3 reserves names with `{affix}`"
                ),
                Some("choose another `name`, `environment` or bucket name"),
            );
        }
    }
}

/// EC2: the AMI must match the instance type's architecture (Graviton is arm64).
fn architecture_rules(spec: &Spec, c: &mut Checker<'_>) {
    let compute = &spec.compute;
    if compute.kind != ComputeKind::Ec2 {
        return;
    }
    let wanted = instances::architecture(&compute.instance_type);
    if let Some(ami) = &compute.ami
        && let Some(has) = instances::ami_parameter_architecture(ami)
        && has != wanted
    {
        c.report(
            Site::Value("/compute/ami"),
            &["/compute/instance_type"],
            format!(
                "this AMI parameter is for {}, but `{}` is an {} instance type",
                has.name(),
                compute.instance_type,
                wanted.name()
            ),
            Some(&format!(
                "use the {} parameter, or leave `ami` out: the default follows the instance type",
                wanted.name()
            )),
        );
    }
}

/// An environment's instance type runs the module's one AMI: same architecture as the
/// spec's instance type.
fn environment_architecture(spec: &Spec, env: &str, overrides: &Value, c: &mut Checker<'_>) {
    if spec.compute.kind != ComputeKind::Ec2 {
        return;
    }
    let Some(instance_type) = overrides
        .pointer("/compute/instance_type")
        .and_then(Value::as_str)
    else {
        return;
    };
    let base = instances::architecture(&spec.compute.instance_type);
    let here = instances::architecture(instance_type);
    if base != here {
        let pointer = format!(
            "/environments/{}/compute/instance_type",
            pointer_segment(env)
        );
        c.report(
            Site::Value(&pointer),
            &[],
            format!(
                "in environment `{env}`: `{instance_type}` is an {} instance type, but the module's AMI is for {} (`compute.instance_type: {}`)",
                here.name(),
                base.name(),
                spec.compute.instance_type
            ),
            Some("every environment runs the same AMI: pick an instance type of the same architecture"),
        );
    }
}

/// RDS engine versions: a real major version (its parameter group family exists) in
/// standard support (the module disables Extended Support, so RDS refuses older ones).
fn engine_rules(spec: &Spec, c: &mut Checker<'_>) {
    let database = &spec.database;
    if database.kind != DatabaseKind::Rds {
        return;
    }
    let Some(version) = &database.engine_version else {
        return; // the defaults are in standard support (a unit test checks)
    };
    let pointer = "/database/engine_version";
    let supported = engines::supported(database.engine);
    match engines::major_of(database.engine, version) {
        Err(message) => c.report(
            Site::Value(pointer),
            &["/database/engine"],
            message,
            Some(&format!("major versions in RDS standard support: {supported}")),
        ),
        Ok(major) if !major.in_standard_support() => c.report(
            Site::Value(pointer),
            &["/database/engine"],
            format!(
                "{} {} left RDS standard support on {}; RDS bills Extended Support for it, and refuses to create it with Extended Support disabled (as the module does)",
                engines::engine_name(database.engine),
                major.major,
                major.standard_support_ends.unwrap_or_default()
            ),
            Some(&format!(
                "use a major version in standard support: {supported} (an existing database upgrades in place when the version changes)"
            )),
        ),
        Ok(_) => {}
    }
}

/// RDS windows: each at least 30 minutes, and the daily backup window never inside the
/// weekly maintenance window (CreateDBInstance `PreferredBackupWindow`,
/// `PreferredMaintenanceWindow`:
/// <https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html>).
fn rds_window_rules(spec: &Spec, c: &mut Checker<'_>) {
    let database = &spec.database;
    if database.kind != DatabaseKind::Rds {
        return;
    }
    let (Some(daily), Some(weekly)) = (
        schedule::daily_window(&database.backup_window),
        schedule::weekly_window(&database.maintenance_window),
    ) else {
        return; // the schema patterns reported it
    };
    for (pointer, text, minutes) in [
        (
            "/database/backup_window",
            &database.backup_window,
            daily[0].minutes(),
        ),
        (
            "/database/maintenance_window",
            &database.maintenance_window,
            weekly.minutes(),
        ),
    ] {
        if minutes < 30 {
            c.report(
                Site::Value(pointer),
                &[],
                format!("the RDS window `{text}` lasts {minutes} minutes; RDS needs at least 30"),
                Some("e.g. `03:00-04:00` (backup) or `sun:04:30-sun:05:30` (maintenance), UTC"),
            );
        }
    }
    if daily.iter().any(|day| day.overlaps(&weekly)) {
        let site = written(
            c,
            &["/database/maintenance_window", "/database/backup_window"],
        );
        let other = if site == "/database/backup_window" {
            "/database/maintenance_window"
        } else {
            "/database/backup_window"
        };
        c.report(
            Site::Value(site),
            &[other],
            format!(
                "the RDS backup window `{}` overlaps the maintenance window `{}`",
                database.backup_window, database.maintenance_window
            ),
            Some("RDS refuses windows that overlap: move one of them (both UTC)"),
        );
    }
}

/// AWS Backup jobs of the RDS instance must start an hour clear of its windows.
fn backup_window_rules(spec: &Spec, c: &mut Checker<'_>) {
    let (backup, database) = (&spec.backup, &spec.database);
    if !(backup.enabled && backup.include_database && database.kind == DatabaseKind::Rds) {
        return;
    }
    let starts = match schedule::cron_starts(&backup.schedule) {
        Ok(starts) => starts,
        Err(message) => {
            c.report(
                Site::Value("/backup/schedule"),
                &[],
                format!("cannot read `backup.schedule`: {message}"),
                Some("e.g. `cron(0 0 * * ? *)`: daily at 00:00 UTC"),
            );
            return;
        }
    };
    let (Some(daily), Some(weekly)) = (
        schedule::daily_window(&database.backup_window),
        schedule::weekly_window(&database.maintenance_window),
    ) else {
        return; // the schema patterns reported it
    };
    let windows = [
        (
            "/database/backup_window",
            "backup window",
            &database.backup_window,
            daily,
        ),
        (
            "/database/maintenance_window",
            "maintenance window",
            &database.maintenance_window,
            vec![weekly],
        ),
    ];
    for (window_pointer, what, text, spans) in windows {
        if let Some(at) = schedule::first_collision(&starts, &spans) {
            let site = written(c, &["/backup/schedule", window_pointer]);
            let other = if site == window_pointer {
                "/backup/schedule"
            } else {
                window_pointer
            };
            c.report(
                Site::Value(site),
                &[other],
                format!(
                    "the AWS Backup job of `{}` (starting at {at} UTC, up to {} minutes later) falls within an hour of the RDS {what} `{text}`",
                    backup.schedule,
                    schedule::START_WINDOW
                ),
                Some("AWS Backup does not back up RDS during, or within an hour of, its backup and maintenance windows: move `backup.schedule` or the window (all UTC)"),
            );
        }
    }
}

/// Without NAT, tasks pull images only through the region's ECR endpoints.
fn image_rules(spec: &Spec, region: &Region, c: &mut Checker<'_>) {
    let compute = &spec.compute;
    let Some(image) = &compute.image else {
        return;
    };
    if compute.kind != ComputeKind::Ecs || spec.network.nat_gateways != NatGateways::None {
        return;
    }
    let host = image.split('/').next().unwrap_or_default();
    let private_ecr_here = super::images::ecr(image).is_some_and(|ecr| {
        ecr.region == region.name
            && ecr.account.len() == 12
            && host.ends_with(&format!("{}.amazonaws.com", ecr.region))
    });
    if !private_ecr_here {
        c.report(
            Site::Value("/compute/image"),
            &["/network/nat_gateways"],
            format!(
                "with `network.nat_gateways: none` the tasks reach only ECR in {} (through VPC endpoints): `{image}` can never be pulled",
                region.name
            ),
            Some(&format!(
                "push the image to an ECR repository in {} (`<account>.dkr.ecr.{}.amazonaws.com/<repo>:<tag>`; an ECR pull-through cache works too), or set `network.nat_gateways: single`",
                region.name, region.name
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Diagnostics of a spec: `(line, message, hint)`.
    fn problems(yaml: &str) -> Vec<(usize, String, String)> {
        let loaded =
            crate::load::load_from_bytes(std::path::Path::new("spec.yaml"), yaml.into()).unwrap();
        crate::validate::check(&loaded)
            .into_iter()
            .map(|d| (d.line, d.message, d.hint.unwrap_or_default()))
            .collect()
    }

    fn spec(region: &str, rest: &str) -> String {
        format!(
            "name: shop\nregion: {region}\nnetwork:\n  cidr: 10.0.0.0/16\n  availability_zones: [{region}a, {region}b]\n{rest}"
        )
    }

    fn one(yaml: &str) -> (usize, String, String) {
        let found = problems(yaml);
        assert_eq!(found.len(), 1, "{found:#?}");
        found.into_iter().next().unwrap()
    }

    #[test]
    fn regions_and_zones_must_exist() {
        let (line, message, hint) = one(&spec("eu-centrl-1", ""));
        assert_eq!(
            (line, message.as_str()),
            (2, "`eu-centrl-1` is not an AWS region")
        );
        assert_eq!(hint, "did you mean `eu-central-1`?");
        let (_, message, hint) = one(&spec("eu-west-1", "").replace("eu-west-1b]", "eu-west-1e]"));
        assert!(
            message.contains("has no availability zone `eu-west-1e`"),
            "{message}"
        );
        assert!(
            hint.ends_with("eu-west-1a, eu-west-1b, eu-west-1c"),
            "{hint}"
        );
        assert_eq!(problems(&spec("il-central-1", "")), []);
        assert_eq!(problems(&spec("us-gov-west-1", "")), []);
        let (_, message, _) = one(&spec("us-iso-east-1", ""));
        assert!(
            message.contains("partition hagen does not deploy to"),
            "{message}"
        );
        let (_, message, _) = one(&spec("cn-north-1", "").replace("cn-north-1b]", "cn-north-1d]"));
        assert!(message.contains("China regions"), "{message}");
    }

    #[test]
    fn graviton_instance_types_need_an_arm64_ami() {
        let ami = "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default";
        let (line, message, _) = one(&spec(
            "eu-west-1",
            &format!("compute:\n  instance_type: t4g.small\n  ami: {ami}-x86_64\n"),
        ));
        assert_eq!(line, 8);
        assert!(
            message.contains("for x86_64, but `t4g.small` is an arm64"),
            "{message}"
        );
        assert_eq!(
            problems(&spec(
                "eu-west-1",
                &format!("compute:\n  instance_type: t4g.small\n  ami: {ami}-arm64\n")
            )),
            []
        );
        let (_, message, _) = one(&spec(
            "eu-west-1",
            "compute:\n  instance_type: c7g.large\nenvironments:\n  dev:\n    compute:\n      instance_type: t3.small\n",
        ));
        assert!(
            message.contains("the module's AMI is for arm64"),
            "{message}"
        );
    }

    #[test]
    fn derived_names_avoid_reserved_words() {
        let (line, message, _) =
            one(&spec("eu-west-1", "").replace("name: shop", "name: internal"));
        assert_eq!(line, 1);
        assert!(message.contains("`internal-prod-alb`"), "{message}");
        // `internalapp-prod-alb` does not begin with `internal-`.
        assert_eq!(
            problems(&spec("eu-west-1", "").replace("name: shop", "name: internalapp")),
            []
        );
        let (_, message, _) = one(
            &spec("eu-west-1", "storage:\n  buckets:\n    - name: assets\n")
                .replace("name: shop", "name: sthree"),
        );
        assert!(
            message.contains("S3 reserves names with `sthree-`"),
            "{message}"
        );
        assert_eq!(reserved_bucket_affix("x-y--table-s3"), Some("--table-s3"));
        assert_eq!(reserved_bucket_affix("xn--abc"), Some("xn--"));
        assert_eq!(reserved_bucket_affix("shop-prod-assets-123456789012"), None);
    }

    #[test]
    fn arns_must_be_in_the_region_and_partition() {
        let cert = "arn:aws:acm:us-east-1:123456789012:certificate/0e1a6b2c-1234";
        let (line, message, hint) = one(&spec(
            "eu-west-1",
            &format!("load_balancer:\n  certificate_arn: {cert}\n"),
        ));
        assert_eq!(line, 7);
        assert_eq!(
            message,
            "this certificate is in region `us-east-1`, not in `eu-west-1`"
        );
        assert!(hint.contains("ACM in eu-west-1"), "{hint}");
        let key = "arn:aws:kms:us-gov-west-1:123456789012:key/1234abcd";
        let (_, message, _) = one(&spec(
            "us-gov-west-1",
            &format!("backup:\n  kms_key_arn: {key}\n"),
        ));
        assert!(
            message.contains("partition `aws`, but region `us-gov-west-1` is in `aws-us-gov`"),
            "{message}"
        );
        // With NAT, ECS reads a secret of another region by its ARN.
        let secrets = "compute:\n  kind: ecs\n  image: public.ecr.aws/nginx/nginx:1.27\n  secrets:\n    TOKEN: arn:aws:secretsmanager:us-east-1:123456789012:secret:t-AbCdEf\n";
        assert_eq!(problems(&spec("eu-west-1", secrets)), []);
    }

    #[test]
    fn backup_jobs_stay_clear_of_the_rds_windows() {
        let (line, message, _) = one(&spec(
            "eu-west-1",
            "backup:\n  include_database: true\n  schedule: cron(0 5 * * ? *)\n",
        ));
        assert_eq!(line, 8);
        assert!(
            message.contains("maintenance window `sun:04:30-sun:05:30`"),
            "{message}"
        );
        // Without the database in the plan, RDS windows do not matter.
        assert_eq!(
            problems(&spec(
                "eu-west-1",
                "backup:\n  schedule: cron(0 5 * * ? *)\n"
            )),
            []
        );
        let (_, message, _) = one(&spec(
            "eu-west-1",
            "backup:\n  include_database: true\n  schedule: cron(0 5 * *)\n",
        ));
        assert!(
            message.starts_with("cannot read `backup.schedule`"),
            "{message}"
        );
    }

    #[test]
    fn rds_windows_last_30_minutes_and_do_not_overlap() {
        let (line, message, _) = one(&spec(
            "eu-west-1",
            "database:\n  maintenance_window: \"sun:02:30-sun:03:30\"\n",
        ));
        assert_eq!(line, 7);
        assert!(
            message.contains("overlaps the maintenance window"),
            "{message}"
        );
        let (_, message, _) = one(&spec(
            "eu-west-1",
            "database:\n  backup_window: \"03:00-03:00\"\n",
        ));
        assert!(message.contains("lasts 0 minutes"), "{message}");
        // DynamoDB has no RDS windows.
        let tables =
            "database:\n  kind: dynamodb\n  tables: [{name: t, partition_key: {name: id}}]\n";
        assert_eq!(problems(&spec("eu-west-1", tables)), []);
    }

    #[test]
    fn engine_versions_in_standard_support_with_real_families() {
        for (version, expected) in [
            ("\"8\"", "names no major version"),
            (
                "\"8.0.39\"",
                "MySQL 8.0 left RDS standard support on 2026-07-31",
            ),
            ("\"9.1\"", "RDS has no MySQL major version 9.1"),
        ] {
            let (line, message, hint) = one(&spec(
                "eu-west-1",
                &format!("database:\n  engine: mysql\n  engine_version: {version}\n"),
            ));
            assert_eq!(line, 8);
            assert!(message.contains(expected), "{message}");
            assert!(hint.contains("8.4"), "{hint}");
        }
        assert_eq!(
            problems(&spec(
                "eu-west-1",
                "database:\n  engine: mysql\n  engine_version: \"8.4.3\"\n"
            )),
            []
        );
    }

    #[test]
    fn without_nat_images_come_from_the_regions_ecr() {
        let ecs = |image: &str| {
            spec(
                "eu-west-1",
                &format!("  nat_gateways: none\ncompute:\n  kind: ecs\n  image: {image}\n"),
            )
        };
        for image in [
            "nginx:1.27",
            "public.ecr.aws/nginx/nginx:1.27",
            "ghcr.io/acme/shop:1",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop:1",
        ] {
            let (line, message, hint) = one(&ecs(image));
            assert_eq!(line, 9, "{image}");
            assert!(message.contains("can never be pulled"), "{message}");
            assert!(hint.contains("nat_gateways: single"), "{hint}");
        }
        assert_eq!(
            problems(&ecs("123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:1")),
            []
        );
    }
}
