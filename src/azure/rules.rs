//! Azure semantic rules: what the schema cannot say (sizes against each other, the
//! failover region, overrides that mean nothing on Azure).

use serde_json::Value;

use crate::checker::{Checker, Site, report_duplicates};
use crate::spec::Spec;
use crate::yaml::pointer_segment;

/// Keys an environment may override on AWS that have no Azure meaning.
const AWS_ONLY_OVERRIDES: &[(&str, &str)] = &[
    ("load_balancer", "certificate_arn"),
    ("load_balancer", "deletion_protection"),
    ("compute", "instance_type"),
    ("compute", "cpu"),
    ("compute", "memory"),
    ("database", "instance_class"),
    ("database", "multi_az"),
    ("database", "allocated_storage"),
    ("database", "max_allocated_storage"),
    ("database", "skip_final_snapshot"),
];

/// An environment of an Azure spec may not override AWS-only keys: they would be
/// dropped without a word.
pub fn inapplicable_overrides(_spec: &Spec, env: &str, overrides: &Value, c: &mut Checker<'_>) {
    for (section, key) in AWS_ONLY_OVERRIDES {
        if overrides.get(section).and_then(|s| s.get(key)).is_some() {
            let pointer = format!("/environments/{}/{section}/{key}", pointer_segment(env));
            c.report(
                Site::Key(&pointer),
                &[],
                format!("in environment `{env}`: `{section}.{key}` does not apply to `target: azure`"),
                Some("remove it; on Azure the matching keys are `compute.vm_size` and `database.sku_name`"),
            );
        }
    }
}

/// The Azure rules of a schema-valid spec.
pub fn rules(spec: &Spec, c: &mut Checker<'_>) {
    let compute = &spec.compute;
    if compute.scaling.scale_in_below >= compute.scaling.scale_out_above {
        c.report(
            Site::Value("/compute/scaling/scale_in_below"),
            &["/compute/scaling/scale_out_above"],
            format!(
                "`compute.scaling.scale_in_below` ({}) must be below `scale_out_above` ({})",
                compute.scaling.scale_in_below, compute.scaling.scale_out_above
            ),
            Some(
                "Azure autoscale has a scale-out and a scale-in rule; equal thresholds would flap",
            ),
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
    if let Some(script) = &compute.user_data
        && script.len() > 65_536
    {
        c.report(
            Site::Value("/compute/user_data"),
            &[],
            format!(
                "`compute.user_data` is {} bytes; Azure custom data holds at most 64 KiB",
                script.len()
            ),
            Some("download a larger script from storage at boot"),
        );
    }
    let lb = &spec.load_balancer;
    if let (Some(min), Some(max)) = (lb.min_capacity, lb.max_capacity)
        && min > max
    {
        c.report(
            Site::Value("/load_balancer/min_capacity"),
            &["/load_balancer/max_capacity"],
            format!(
                "`load_balancer.min_capacity` ({min}) is greater than `load_balancer.max_capacity` ({max})"
            ),
            None,
        );
    } else if let (None, Some(max)) = (lb.min_capacity, lb.max_capacity)
        && max < super::model::DEFAULT_GATEWAY_MIN
    {
        c.report(
            Site::Value("/load_balancer/max_capacity"),
            &[],
            format!("`load_balancer.max_capacity` ({max}) is below the default `min_capacity` (2)"),
            None,
        );
    }
    if spec.database.failover_region.as_deref() == Some(spec.region.as_str()) {
        c.report(
            Site::Value("/database/failover_region"),
            &["/region"],
            format!(
                "`database.failover_region` is `{}`, the spec's own region",
                spec.region
            ),
            Some("a failover group needs a second region, e.g. the paired region"),
        );
    }
    let names: Vec<&str> = spec
        .storage
        .buckets
        .iter()
        .map(|b| b.name.as_str())
        .collect();
    report_duplicates(c, &names, "/storage/buckets", "container");
    if spec.backup.enabled && spec.backup.retention_days > 360 {
        // Also in the schema's `then` branch; kept here for environments.
        c.report(
            Site::Value("/backup/retention_days"),
            &[],
            "`backup.retention_days` is above 360, the most operational blob backup keeps".into(),
            None,
        );
    }
}
