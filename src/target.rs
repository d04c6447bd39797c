//! Targets: which cloud a spec deploys to (`target:` in the spec, `aws` by default).
//!
//! Everything cloud-specific is chosen here by one `match` over [`Target`]: schema
//! formats, semantic rules and the template folder. Adding a target is adding a
//! module under `src/<target>/`, a folder under `templates/<target>/` and an arm in
//! each function below (see `docs/adding-a-target.md`).

use serde_json::Value;

use crate::schema::FormatCheck;
use crate::spec::{Spec, Target};
use crate::validate::Checker;

/// Every target's schema formats (their names are unique across targets).
pub fn formats() -> impl Iterator<Item = &'static (&'static str, FormatCheck)> {
    crate::aws::formats::ALL
        .iter()
        .chain(crate::azure::formats::ALL.iter())
}

/// The target's semantic rules for a schema-valid spec.
pub fn rules(spec: &Spec, checker: &mut Checker<'_>) {
    match spec.target {
        Target::Aws => crate::aws::rules::rules(spec, checker),
        Target::Azure => crate::azure::rules::rules(spec, checker),
    }
}

/// Environment overrides that mean nothing for the spec's kinds.
pub fn inapplicable_overrides(
    spec: &Spec,
    env: &str,
    overrides: &Value,
    checker: &mut Checker<'_>,
) {
    match spec.target {
        Target::Aws => crate::aws::rules::inapplicable_overrides(spec, env, overrides, checker),
        Target::Azure => crate::azure::rules::inapplicable_overrides(spec, env, overrides, checker),
    }
}

impl Target {
    /// The spec's name of the target, also its template folder under `templates/`.
    pub fn name(self) -> &'static str {
        match self {
            Target::Aws => "aws",
            Target::Azure => "azure",
        }
    }
}
