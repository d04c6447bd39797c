//! The custom JSON Schema `format`s, each checked by hand (no regex crate needed): the
//! cloud-neutral ones here and each target's in its folder. Their names are unique
//! across targets; the schema picks the target's formats with `if`/`then` on `target`.

/// A format check.
pub type FormatCheck = fn(&str) -> bool;

/// The cloud-neutral formats.
pub const NEUTRAL: &[(&str, FormatCheck)] = &[("ipv4-cidr", is_ipv4_cidr)];

/// A network address with its prefix (`10.0.0.0/16`), no host bits.
pub fn is_ipv4_cidr(text: &str) -> bool {
    crate::cidr::parse(text).is_ok()
}

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
