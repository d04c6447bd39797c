//! Validate stage: the JSON Schema first, then the target's semantic rules, every
//! problem reported at once with its position.

use serde_json::Value;

use crate::checker::{Checker, Site};
use crate::diagnostics::{Diagnostic, diagnostic};
use crate::error::{Error, Result};
use crate::load::LoadedSpec;
use crate::schema;
use crate::spec::Spec;
use crate::yaml::pointer_segment;

/// Validates a loaded spec: every problem of the load stage, the schema and the
/// semantic rules, as one `InvalidSpec` error; or the typed spec.
pub fn validate(loaded: &LoadedSpec) -> Result<Spec> {
    let (diagnostics, typed) = check_typed(loaded);
    if !diagnostics.is_empty() {
        return Err(Error::InvalidSpec {
            file: loaded.path.display().to_string(),
            source_text: loaded.text.clone(),
            diagnostics,
        });
    }
    if let Some(spec) = typed {
        return Ok(spec);
    }
    deserialize(&loaded.document).map_err(|(pointer, message)| {
        // The schema should have caught it; still the user's spec, so a positioned
        // diagnostic (exit 65), never an internal error.
        let at = loaded.positions.value(&pointer);
        Error::InvalidSpec {
            file: loaded.path.display().to_string(),
            source_text: loaded.text.clone(),
            diagnostics: vec![diagnostic(
                &loaded.path.display().to_string(),
                at,
                format!("this value cannot be used here: {message}"),
                Some("see `hagen schema` for the type and range of this key".into()),
            )],
        }
    })
}

/// The typed spec; on failure, the JSON pointer of the value that failed and why.
pub(crate) fn deserialize(document: &Value) -> std::result::Result<Spec, (String, String)> {
    let mut document = document.clone();
    schema::fill_defaults(&mut document);
    serde_path_to_error::deserialize(&document).map_err(|e| {
        let mut pointer = String::new();
        for segment in e.path().iter() {
            match segment {
                serde_path_to_error::Segment::Seq { index } => {
                    pointer.push_str(&format!("/{index}"))
                }
                serde_path_to_error::Segment::Map { key } => {
                    pointer.push('/');
                    pointer.push_str(&pointer_segment(key));
                }
                serde_path_to_error::Segment::Enum { .. }
                | serde_path_to_error::Segment::Unknown => {}
            }
        }
        (pointer, e.into_inner().to_string())
    })
}

/// All problems of a loaded spec, sorted by position: the schema's, and the semantic
/// rules' on every part that is structurally valid. The rules need typed values, so the
/// parts with schema errors are cut out first ([`structurally_valid_part`]) and a rule
/// stays silent when a value it reads was cut (its default stood in).
pub fn check(loaded: &LoadedSpec) -> Vec<Diagnostic> {
    check_typed(loaded).0
}

/// [`check`], with the typed spec the rules read when the schema accepts the whole
/// document (so that [`validate`] does not type it a second time).
fn check_typed(loaded: &LoadedSpec) -> (Vec<Diagnostic>, Option<Spec>) {
    let file = loaded.path.display().to_string();
    let mut diagnostics = loaded.diagnostics.clone();
    let schema_errors = schema::errors(&loaded.document, &loaded.positions, &file, &loaded.text);
    let mut typed = None;
    if schema_errors.is_empty() {
        // The document is its own valid part (no second pass of the validator to find
        // what to cut).
        let (rules, spec) = semantic(loaded, &loaded.document, &[], &file);
        diagnostics.extend(rules);
        typed = spec;
    } else if let Some((document, cut)) = structurally_valid_part(&loaded.document) {
        diagnostics.extend(semantic(loaded, &document, &cut, &file).0);
    }
    diagnostics.extend(schema_errors);
    diagnostics.sort_by(|a, b| (a.line, a.column, &a.message).cmp(&(b.line, b.column, &b.message)));
    diagnostics.dedup();
    (diagnostics, typed)
}

/// Keys whose value decides what the rest of their mapping means: when one is invalid,
/// its whole mapping is cut (its default would judge the siblings by the wrong kind).
const DISCRIMINATORS: [&str; 3] = ["kind", "engine", "target"];

/// The document with every part that breaks the schema removed, and the pointers that
/// were cut; `None` when nothing valid is left to check (a required top-level key is
/// missing or wrong). A list with a bad item is cut whole: removing one item would shift
/// the positions of the others.
pub fn structurally_valid_part(document: &Value) -> Option<(Value, Vec<String>)> {
    let mut document = document.clone();
    let mut cut: Vec<String> = Vec::new();
    // Cutting a required key makes its mapping invalid, which is cut next: a few rounds
    // reach the top level at most.
    for _ in 0..16 {
        let parts = schema::invalid_parts(&document);
        if parts.is_empty() {
            return Some((document, cut));
        }
        for part in parts {
            match part {
                schema::InvalidPart::Remove(pointer) => {
                    let pointer = widen(&document, &pointer);
                    if pointer.is_empty() {
                        return None;
                    }
                    remove(&mut document, &pointer);
                    cut.push(pointer);
                }
                schema::InvalidPart::Fill(pointer, value) => {
                    fill(&mut document, &pointer, value);
                    cut.push(pointer);
                }
            }
        }
    }
    None
}

/// Up from list items to their list, and from a discriminator to its mapping.
fn widen(document: &Value, pointer: &str) -> String {
    let mut pointer = pointer.to_string();
    loop {
        let Some((parent, last)) = pointer.rsplit_once('/') else {
            return pointer;
        };
        let parent_is_list = document.pointer(parent).is_some_and(Value::is_array);
        if parent_is_list || DISCRIMINATORS.contains(&last) {
            pointer = parent.to_string();
        } else {
            return pointer;
        }
    }
}

fn fill(document: &mut Value, pointer: &str, value: Value) {
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return;
    };
    let key = last.replace("~1", "/").replace("~0", "~");
    if let Some(Value::Object(map)) = document.pointer_mut(parent) {
        map.entry(key).or_insert(value);
    }
}

fn remove(document: &mut Value, pointer: &str) {
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return;
    };
    let key = last.replace("~1", "/").replace("~0", "~");
    if let Some(Value::Object(map)) = document.pointer_mut(parent) {
        map.remove(&key);
    }
}

/// The semantic rules' diagnostics of `document`, and the typed spec they read.
fn semantic(
    loaded: &LoadedSpec,
    document: &Value,
    cut: &[String],
    file: &str,
) -> (Vec<Diagnostic>, Option<Spec>) {
    let Ok(spec) = Spec::from_document(document) else {
        // A schema-valid document deserializes; `validate` says where it does not.
        return (Vec::new(), None);
    };
    let mut checker = Checker::new(&loaded.positions, file, cut);
    shared_rules(&spec, &mut checker);
    crate::target::rules(&spec, &mut checker);
    // Each environment's overrides applied to the base spec must pass the same rules.
    for (env, overrides) in &spec.environments {
        let mut merged = document.clone();
        merge(&mut merged, overrides);
        if let Ok(env_spec) = Spec::from_document(&merged) {
            checker.environment = Some(env.as_str());
            shared_rules(&env_spec, &mut checker);
            crate::target::rules(&env_spec, &mut checker);
        }
        checker.environment = None;
        crate::target::inapplicable_overrides(&spec, env, overrides, &mut checker);
    }
    (checker.into_diagnostics(), Some(spec))
}

/// The rules every target shares: `min_size <= desired_capacity <= max_size`, and a
/// health check that times out before the next one starts.
fn shared_rules(spec: &Spec, c: &mut Checker<'_>) {
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
}

/// Deep merge: mappings merge key by key, anything else replaces.
fn merge(base: &mut Value, overrides: &Value) {
    match (base, overrides) {
        (Value::Object(base), Value::Object(overrides)) => {
            for (key, value) in overrides {
                merge(base.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
        (base, overrides) => *base = overrides.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_examples_are_valid() {
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
        let mut checked = 0;
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yaml") {
                let loaded = crate::load::load(&path).unwrap();
                assert_eq!(check(&loaded), [], "{}", path.display());
                checked += 1;
            }
        }
        assert!(checked >= 3);
    }
}
