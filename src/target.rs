//! Targets: which cloud a spec deploys to (`target:` in the spec, `aws` by default).
//!
//! Everything cloud-specific is chosen here by one `match` over [`Target`]: semantic
//! rules, the architecture graph and the template folder (schema formats are listed in
//! [`crate::formats`]). Adding a target is adding a
//! module under `src/<target>/`, a folder under `templates/<target>/` and an arm in
//! each function below (see `docs/adding-a-target.md`).

use serde_json::Value;

use crate::checker::Checker;
use crate::spec::{Spec, Target};

/// The target a loaded (not yet validated) document declares: `aws` when it names none
/// or one hagen does not know (validation reports that).
pub fn declared(document: &Value) -> Target {
    use serde::Deserialize;
    document
        .get("target")
        .and_then(|target| Target::deserialize(target).ok())
        .unwrap_or_default()
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

/// The architecture graph of a model, built by its target.
pub fn diagram(model: &crate::model::Model) -> crate::graph::Graph {
    match model.target {
        Target::Aws => crate::aws::diagram::build(model),
        Target::Azure => crate::azure::diagram::build(model),
    }
}

/// The diagram of `model` as text (ending in a newline).
pub fn graph(model: &crate::model::Model, format: crate::graph::GraphFormat) -> String {
    crate::graph::print(&diagram(model), format)
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
