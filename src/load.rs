//! Load stage: spec file -> JSON document plus the position of every node.
//!
//! TEMPORARY: positions and input limits are not implemented yet (being replaced).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use saphyr::{LoadableYamlNode, Scalar, Yaml};

use crate::diagnostics::{Diagnostic, Position};
use crate::error::{Error, Result};

/// Where each node of the document starts, by JSON pointer (`/network/cidr`).
#[derive(Debug, Clone, Default)]
pub struct Positions {
    /// Position of each value.
    pub values: BTreeMap<String, Position>,
    /// Position of each mapping key (for "unknown key" errors that point at the key).
    pub keys: BTreeMap<String, Position>,
}

#[derive(Debug, Clone)]
pub struct LoadedSpec {
    pub path: PathBuf,
    /// The file name alone, as it appears in headers and diagnostics.
    pub file_name: String,
    pub text: String,
    pub document: serde_json::Value,
    pub positions: Positions,
}

pub fn load(path: &Path) -> Result<LoadedSpec> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let display = path.display().to_string();
    let text = String::from_utf8(bytes).map_err(|_| Error::InvalidSpec {
        file: display.clone(),
        source_text: String::new(),
        diagnostics: vec![Diagnostic {
            file: display.clone(),
            line: 1,
            column: 1,
            message: "the file is not UTF-8 text".into(),
            hint: None,
        }],
    })?;
    let (document, positions) = parse(&text, &display)?;
    Ok(LoadedSpec {
        file_name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or(display),
        path: path.to_path_buf(),
        text,
        document,
        positions,
    })
}

pub fn parse(text: &str, file: &str) -> Result<(serde_json::Value, Positions)> {
    let invalid = |line: usize, column: usize, message: String| Error::InvalidSpec {
        file: file.to_string(),
        source_text: text.to_string(),
        diagnostics: vec![Diagnostic {
            file: file.to_string(),
            line,
            column,
            message,
            hint: None,
        }],
    };
    let docs = Yaml::load_from_str(text).map_err(|e| {
        invalid(
            e.marker().line(),
            e.marker().col() + 1,
            e.info().to_string(),
        )
    })?;
    let doc = docs
        .into_iter()
        .next()
        .ok_or_else(|| invalid(1, 1, "the file is empty".into()))?;
    Ok((to_json(&doc), Positions::default()))
}

fn to_json(node: &Yaml<'_>) -> serde_json::Value {
    use serde_json::Value as J;
    match node {
        Yaml::Value(Scalar::Null) => J::Null,
        Yaml::Value(Scalar::Boolean(b)) => J::Bool(*b),
        Yaml::Value(Scalar::Integer(i)) => J::from(*i),
        Yaml::Value(Scalar::FloatingPoint(f)) => J::from(f.into_inner()),
        Yaml::Value(Scalar::String(s)) => J::String(s.to_string()),
        Yaml::Sequence(items) => J::Array(items.iter().map(to_json).collect()),
        Yaml::Mapping(map) => J::Object(
            map.iter()
                .map(|(k, v)| {
                    let key = match k {
                        Yaml::Value(Scalar::String(s)) => s.to_string(),
                        other => format!("{other:?}"),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        _ => J::Null,
    }
}
