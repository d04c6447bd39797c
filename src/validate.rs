//! Validate stage: the JSON Schema first, then the target's semantic rules, every
//! problem reported at once with its position.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::diagnostics::{Diagnostic, Position};
use crate::error::{Error, Result};
use crate::load::LoadedSpec;
use crate::schema;
use crate::spec::Spec;
use crate::yaml::{Positions, pointer_segment};

/// Validates a loaded spec: every problem of the load stage, the schema and the
/// semantic rules, as one `InvalidSpec` error; or the typed spec.
pub fn validate(loaded: &LoadedSpec) -> Result<Spec> {
    let diagnostics = check(loaded);
    if !diagnostics.is_empty() {
        return Err(Error::InvalidSpec {
            file: loaded.path.display().to_string(),
            source_text: loaded.text.clone(),
            diagnostics,
        });
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
    serde_path_to_error::deserialize(document).map_err(|e| {
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
    let file = loaded.path.display().to_string();
    let mut diagnostics = loaded.diagnostics.clone();
    let schema_errors = schema::errors(&loaded.document, &loaded.positions, &file, &loaded.text);
    if let Some((document, cut)) = structurally_valid_part(&loaded.document) {
        diagnostics.extend(semantic(loaded, &document, &cut, &file));
    }
    diagnostics.extend(schema_errors);
    diagnostics.sort_by(|a, b| (a.line, a.column, &a.message).cmp(&(b.line, b.column, &b.message)));
    diagnostics.dedup();
    diagnostics
}

/// Where a semantic problem is: the value or the key at a JSON pointer of the spec.
#[derive(Clone, Copy)]
pub enum Site<'a> {
    Value(&'a str),
    Key(&'a str),
}

pub struct Checker<'a> {
    pub(crate) positions: &'a Positions,
    file: &'a str,
    /// Parts of the spec cut for schema errors: problems involving them are not reported
    /// (the schema error is, and the value the rule saw was a default).
    cut: &'a [String],
    /// Set while checking the spec as one environment's overrides change it: pointers
    /// then resolve into `environments.<env>` where the override sets the value.
    environment: Option<&'a str>,
    out: Vec<Diagnostic>,
}

impl Checker<'_> {
    /// Reports a problem at the first site; `others` are sites the problem also
    /// depends on. In an environment, a problem is only reported when one of its sites
    /// is overridden there (otherwise the base spec reports it), and it points there.
    pub fn report(&mut self, site: Site<'_>, others: &[&str], message: String, hint: Option<&str>) {
        let (pointer, is_key) = match site {
            Site::Value(p) => (p, false),
            Site::Key(p) => (p, true),
        };
        let env_prefix = self
            .environment
            .map(|env| format!("/environments/{}", pointer_segment(env)));
        let involves_cut = std::iter::once(pointer)
            .chain(others.iter().copied())
            .flat_map(|p| {
                [
                    Some(p.to_string()),
                    env_prefix.as_ref().map(|e| format!("{e}{p}")),
                ]
            })
            .flatten()
            .any(|p| self.cut.iter().any(|cut| related(&p, cut)));
        if involves_cut {
            return;
        }
        let at = match self.environment {
            None => {
                if is_key {
                    self.positions.key(pointer)
                } else {
                    self.positions.value(pointer)
                }
            }
            Some(env) => {
                let overridden = std::iter::once(pointer)
                    .chain(others.iter().copied())
                    .map(|p| format!("/environments/{}{p}", pointer_segment(env)))
                    .find(|p| self.positions.values.contains_key(p));
                let Some(overridden) = overridden else {
                    return;
                };
                self.positions.value(&overridden)
            }
        };
        let message = match self.environment {
            Some(env) => format!("in environment `{env}`: {message}"),
            None => message,
        };
        self.out
            .push(diagnostic(self.file, at, message, hint.map(str::to_string)));
    }
}

/// Whether one pointer is the other or inside it (on segment boundaries).
fn related(a: &str, b: &str) -> bool {
    let inside = |inner: &str, outer: &str| {
        inner == outer || (inner.starts_with(outer) && inner[outer.len()..].starts_with('/'))
    };
    inside(a, b) || inside(b, a)
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

fn semantic(loaded: &LoadedSpec, document: &Value, cut: &[String], file: &str) -> Vec<Diagnostic> {
    let Ok(spec) = serde_json::from_value::<Spec>(document.clone()) else {
        return Vec::new(); // a schema-valid document deserializes (validate() says so)
    };
    let mut checker = Checker {
        positions: &loaded.positions,
        file,
        cut,
        environment: None,
        out: Vec::new(),
    };
    crate::target::rules(&spec, &mut checker);
    // Each environment's overrides applied to the base spec must pass the same rules.
    for (env, overrides) in &spec.environments {
        let mut merged = document.clone();
        merge(&mut merged, overrides);
        if let Ok(env_spec) = serde_json::from_value::<Spec>(merged) {
            checker.environment = Some(env);
            crate::target::rules(&env_spec, &mut checker);
        }
        checker.environment = None;
        crate::target::inapplicable_overrides(&spec, env, overrides, &mut checker);
    }
    checker.out
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

/// Reports each name that repeats an earlier one in the list at `list_pointer`.
pub(crate) fn report_duplicates(
    c: &mut Checker<'_>,
    names: &[&str],
    list_pointer: &str,
    what: &str,
) {
    let mut first_seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, name) in names.iter().enumerate() {
        if let Some(first) = first_seen.get(name) {
            let pointer = format!("{list_pointer}/{index}/name");
            let first_line = c
                .positions
                .value(&format!("{list_pointer}/{first}/name"))
                .line;
            c.report(
                Site::Value(&pointer),
                &[],
                format!("{what} name `{name}` is used twice (first at line {first_line})"),
                Some("names must be unique"),
            );
        } else {
            first_seen.insert(name, index);
        }
    }
}

pub(crate) fn diagnostic(
    file: &str,
    at: Position,
    message: String,
    hint: Option<String>,
) -> Diagnostic {
    Diagnostic {
        file: file.to_string(),
        line: at.line,
        column: at.column,
        message,
        hint,
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
