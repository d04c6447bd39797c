//! Validate stage: the JSON Schema first, then semantic rules, every problem reported
//! at once with its position.
//!
//! TEMPORARY: schema validation without positions; semantic rules pending.

use crate::diagnostics::Diagnostic;
use crate::error::{Error, Result};
use crate::load::LoadedSpec;
use crate::spec::Spec;

/// The JSON Schema, embedded: it is the contract and `hagen schema` prints it.
pub const SCHEMA: &str = include_str!("../schemas/hagen.schema.json");

pub fn validate(loaded: &LoadedSpec) -> Result<Spec> {
    let schema: serde_json::Value = serde_json::from_str(SCHEMA).expect("embedded schema is JSON");
    let validator = jsonschema::options()
        .should_validate_formats(false)
        .build(&schema)
        .map_err(|e| Error::Internal(format!("bug: the embedded schema does not compile: {e}")))?;
    let diagnostics: Vec<Diagnostic> = validator
        .iter_errors(&loaded.document)
        .map(|err| Diagnostic {
            file: loaded.path.display().to_string(),
            line: 1,
            column: 1,
            message: format!("{}: {}", err.instance_path(), err),
            hint: None,
        })
        .collect();
    if !diagnostics.is_empty() {
        return Err(Error::InvalidSpec {
            file: loaded.path.display().to_string(),
            source_text: loaded.text.clone(),
            diagnostics,
        });
    }
    serde_json::from_value(loaded.document.clone())
        .map_err(|e| Error::Internal(format!("bug: a schema-valid spec did not deserialize: {e}")))
}
