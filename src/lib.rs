//! hagen: a YAML spec of a highly available AWS web application -> a Terraform/OpenTofu
//! module.
//!
//! The data flows through one module per stage:
//! [`load`] (YAML with positions) -> [`validate`] (schema, then semantic rules) ->
//! [`model`] (defaults, names, CIDRs) -> [`render`] (pure: path -> text) -> [`write`].

pub mod check;
pub mod cidr;
pub mod cli;
pub mod diagnostics;
pub mod environments;
pub mod error;
pub mod graph;
pub mod load;
pub mod model;
pub mod module_docs;
pub mod reference;
pub mod render;
pub mod spec;
pub mod template_context;
pub mod templates;
pub mod validate;
pub mod write;

use std::path::Path;

pub use error::{Error, Result};

/// Loads, validates and models a spec file.
pub fn model_from_file(spec_path: &Path) -> Result<model::Model> {
    model_from_loaded(&load::load(spec_path)?)
}

/// Validates and models a loaded spec.
pub fn model_from_loaded(loaded: &load::LoadedSpec) -> Result<model::Model> {
    let spec = validate::validate(loaded)?;
    let inputs = model::Inputs {
        spec_file: loaded.file_name.clone(),
        user_data_file_contents: loaded.user_data_file_contents.clone(),
    };
    model::build(spec, &inputs).map_err(|e| Error::Internal(format!("bug: {e:#}")))
}

/// Everything `hagen render` does short of writing: the files, in memory.
pub fn render_file(
    spec_path: &Path,
    templates: &render::TemplateSources,
) -> Result<render::Rendered> {
    let model = model_from_file(spec_path)?;
    Ok(render::render(&model, templates)?)
}
