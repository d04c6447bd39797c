//! `hagen graph`: the architecture diagram of a spec.
//!
//! The diagram is the same partial the generated README.md includes
//! (`templates/_diagram.mmd.j2`), so the two can never disagree; DOT comes from its
//! sibling `_diagram.dot.j2`. Both can be overridden with `--templates` like any template.

use crate::error::{Error, Result};
use crate::model::Model;
use crate::templates::TemplateSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    /// Mermaid flowchart (GitHub and GitLab render it in Markdown).
    Mermaid,
    /// Graphviz DOT (`hagen graph spec.yaml --format dot | dot -Tsvg > arch.svg`).
    Dot,
}

impl GraphFormat {
    pub fn partial(self) -> &'static str {
        match self {
            GraphFormat::Mermaid => "_diagram.mmd.j2",
            GraphFormat::Dot => "_diagram.dot.j2",
        }
    }
}

/// The diagram of `model` as text (ending in a newline).
pub fn graph(model: &Model, templates: &TemplateSet, format: GraphFormat) -> Result<String> {
    let name = format.partial();
    if !templates.sources.contains_key(name) {
        return Err(Error::Internal(format!(
            "bug: the diagram template {name} is missing"
        )));
    }
    let mut text =
        crate::render::render_partial(model, &templates.sources, &templates.user_files, name)?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}
