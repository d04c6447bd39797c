//! hagen: a YAML spec of a highly available web application (AWS or Azure) -> a Terraform/OpenTofu
//! module.
//!
//! The data flows through one module per stage:
//! [`load`] (YAML with positions, [`yaml`]) -> [`validate`] ([`schema`], then the
//! target's semantic rules) -> [`model`] (defaults, names, CIDRs) -> [`render`] (pure:
//! path -> text) -> [`write`].
//!
//! The core is cloud-neutral; everything cloud-specific lives in one module per target
//! ([`aws`], [`azure`]), chosen by [`target`].

pub mod aws;
pub mod azure;
pub mod check;
pub mod checker;
pub mod cidr;
pub mod cli;
pub mod diagnostics;
pub mod environments;
pub mod error;
pub mod fingerprint;
pub mod formats;
pub mod graph;
pub mod load;
pub mod manifest;
pub mod model;
pub mod module_docs;
pub mod reference;
pub mod render;
pub mod schema;
pub mod second_core;
pub mod spec;
pub mod staging;
pub mod target;
pub mod template_context;
pub mod templates;
pub mod validate;
pub mod write;
pub mod yaml;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub use error::{Error, Result};

/// Loads, validates and models a spec file.
pub fn model_from_file(spec_path: &Path) -> Result<model::Model> {
    model_from_loaded(&load::load(spec_path)?)
}

/// Validates and models a loaded spec, environments resolved.
pub fn model_from_loaded(loaded: &load::LoadedSpec) -> Result<model::Model> {
    let spec = validate::validate(loaded)?;
    let inputs = model::Inputs {
        spec_file: loaded.file_name.clone(),
        user_data_file_contents: loaded.user_data_file_contents.clone(),
    };
    let mut model =
        model::build(spec, &inputs).map_err(|e| Error::Internal(format!("bug: {e:#}")))?;
    model.resolved_environments = environments::resolve(&model);
    Ok(model)
}

/// Everything `hagen render` does short of writing, with the templates of the spec's
/// target overlaid by `template_dir` when given: the files, in memory.
///
/// Two cores share the work ([`second_core`]). The second one, started first, reads the
/// schema (for the defaults) while this one reads the spec; then it compiles the
/// templates of the target the spec declares ([`render::precompile`]) while this one
/// validates the spec and builds the model; then the two render the files ([`render::render_in`]).
/// Whatever the second one has not started when this one needs it, this one does.
/// Errors come in the same order as one step after the other: the spec's first, then
/// the templates'.
pub fn render_spec(spec_path: &Path, template_dir: Option<&Path>) -> Result<render::Rendered> {
    render_spec_with_inputs(spec_path, template_dir).map(|(rendered, _)| rendered)
}

/// [`render_spec`], with what the render read ([`fingerprint::Inputs`]), for
/// `render` to record.
pub fn render_spec_with_inputs(
    spec_path: &Path,
    template_dir: Option<&Path>,
) -> Result<(render::Rendered, fingerprint::Inputs)> {
    render_spec_staging(spec_path, template_dir, None)
        .map(|(rendered, inputs, _)| (rendered, inputs))
}

/// [`render_spec_with_inputs`] for a first render into `stage_into` (a folder that does
/// not exist yet), written while it renders ([`staging`]): the folder it builds beside
/// `stage_into`, with every file but the documents in it, for
/// [`write::write_with_meta`] to finish. Without a second core, or when the folder could
/// not be begun, `None`: the write then does it all.
pub fn render_spec_staging(
    spec_path: &Path,
    template_dir: Option<&Path>,
    stage_into: Option<&Path>,
) -> Result<(
    render::Rendered,
    fingerprint::Inputs,
    Option<write::NewFolder>,
)> {
    let second = second_core::SecondCore::start();
    // The defaults read the schema once the spec is valid: read there, meanwhile. Kept
    // offered to the end (dropping it would withdraw it); nobody takes its result.
    let _schema_read = second.offer(schema::read_ahead);
    let loaded = load::load(spec_path)?;
    let declared = target::declared(&loaded.document);
    let model_ready = Arc::new(AtomicBool::new(false));
    let compiled = second.offer({
        let template_dir = template_dir.map(Path::to_path_buf);
        let model_ready = model_ready.clone();
        move || {
            let compiled = compile_templates(declared, template_dir.as_deref());
            if let Ok((set, env)) = &compiled {
                render::precompile(env, &set.sources, &model_ready);
            }
            compiled
        }
    });
    let model = model_from_loaded(&loaded);
    model_ready.store(true, Ordering::Relaxed);
    let model = model?;
    // A first render's folder: begun by the second core when it is done compiling.
    let staging = stage_into
        .filter(|_| second.is_available())
        .map(|out_dir| Arc::new(staging::Staging::offer(&second, out_dir)));
    // A spec is valid only with a target hagen knows, so this is the declared one;
    // compiling again keeps it right should the two ever differ.
    let (set, env) = if model.target == declared {
        compiled.take()?
    } else {
        compile_templates(model.target, template_dir)?
    };
    let sink = staging
        .clone()
        .map(|staging| staging as Arc<dyn render::FileSink>);
    let rendered = render::render_in(&env, &model, &set.sources, &set.user_files, &second, sink);
    // Every thread is done with the files: this is the only holder left.
    let folder = staging
        .and_then(Arc::into_inner)
        .and_then(staging::Staging::into_folder);
    let rendered = rendered?;
    let inputs = fingerprint::Inputs::of_render(&loaded, &set, template_dir);
    Ok((rendered, inputs, folder))
}

/// The templates of `target` (overlaid by `template_dir`), compiled.
fn compile_templates(
    target: spec::Target,
    template_dir: Option<&Path>,
) -> Result<(templates::TemplateSet, Arc<minijinja::Environment<'static>>)> {
    let set = templates::TemplateSet::load(target, template_dir)?;
    let env = render::compile(&set.sources, &set.user_files)?;
    Ok((set, env))
}

/// Renders a spec file with the given template sources, in memory.
pub fn render_file(
    spec_path: &Path,
    templates: &render::TemplateSources,
) -> Result<render::Rendered> {
    let model = model_from_file(spec_path)?;
    Ok(render::render(&model, templates)?)
}
