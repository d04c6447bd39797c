//! The custom JSON Schema `format`s, each checked by hand (no regex crate needed): the
//! cloud-neutral ones here and each target's in its folder. Their names are unique across
//! targets; the schema picks the target's formats with `if`/`then` on `target`. Also the
//! spec's validator, generated with all of them.

/// A format check.
pub type FormatCheck = fn(&str) -> bool;

/// The cloud-neutral formats.
pub const NEUTRAL: &[(&str, FormatCheck)] = &[("ipv4-cidr", is_ipv4_cidr)];

/// A network address with its prefix (`10.0.0.0/16`), no host bits.
pub fn is_ipv4_cidr(text: &str) -> bool {
    crate::cidr::parse(text).is_ok()
}

/// The spec's validator, generated from `schemas/hagen.schema.json` when hagen is built
/// (jsonschema's `validator` macro), with the formats [`all`] lists: building one at run
/// time took a third of every run (docs/bench.md). It lives here, with the format
/// registry, because it names every target's formats. A test in `schema.rs` checks that
/// it and a validator built at run time from the schema and [`all`] find errors at the
/// same places in every fixture and a few thousand mutations of the examples.
#[jsonschema::validator(
    path = "schemas/hagen.schema.json",
    validate_formats = true,
    formats = {
        "ipv4-cidr" => crate::formats::is_ipv4_cidr,
        "aws-region" => crate::aws::formats::is_aws_region,
        "aws-availability-zone" => crate::aws::formats::is_availability_zone,
        "acm-certificate-arn" => crate::aws::formats::is_acm_certificate_arn,
        "kms-key-arn" => crate::aws::formats::is_kms_key_arn,
        "secret-arn" => crate::aws::formats::is_secret_arn,
        "azure-region" => crate::azure::regions::has_availability_zones,
        "key-vault-secret-id" => crate::azure::formats::is_key_vault_secret_id,
    }
)]
pub struct SpecSchema;

/// Every format the schema uses.
pub fn all() -> impl Iterator<Item = &'static (&'static str, FormatCheck)> {
    NEUTRAL
        .iter()
        .chain(crate::aws::formats::ALL)
        .chain(crate::azure::formats::ALL)
}

/// What is wrong with `value` for a target's format, in words (None: a generic sentence).
pub fn describe(format: &str, value: &str) -> Option<String> {
    crate::aws::formats::describe(format, value)
        .or_else(|| crate::azure::formats::describe(format, value))
}
