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
pub mod spec;
pub mod target;
pub mod template_context;
pub mod templates;
pub mod validate;
pub mod write;
pub mod yaml;

use std::path::Path;

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
/// Two cores share the work: once the spec is read, a second one reads the schema (for
/// the defaults) and compiles the templates of the target the spec declares, last first,
/// while this one validates the spec and builds the model; the render then compiles,
/// from the first, whatever is left ([`render::render_in`]). Errors come in the same
/// order as one step after the other: the spec's first, then the templates'.
pub fn render_spec(spec_path: &Path, template_dir: Option<&Path>) -> Result<render::Rendered> {
    render_spec_with_inputs(spec_path, template_dir).map(|(rendered, _)| rendered)
}

/// [`render_spec`], with what the render read ([`fingerprint::Inputs`]), for
/// `render` to record.
pub fn render_spec_with_inputs(
    spec_path: &Path,
    template_dir: Option<&Path>,
) -> Result<(render::Rendered, fingerprint::Inputs)> {
    let loaded = load::load(spec_path)?;
    let declared = target::declared(&loaded.document);
    let model_ready = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let compile = || {
            // The defaults read the schema once the spec is valid: read here, meanwhile.
            schema::read_ahead();
            let compiled = compile_templates(declared, template_dir);
            if let Ok((set, env)) = &compiled {
                render::precompile(env, &set.sources, &model_ready);
            }
            compiled
        };
        let compiler = std::thread::Builder::new().spawn_scoped(scope, compile);
        let model = model_from_loaded(&loaded);
        model_ready.store(true, std::sync::atomic::Ordering::Relaxed);
        let model = model?;
        let compiled = match compiler {
            Ok(compiler) => match compiler.join() {
                Ok(compiled) => compiled,
                Err(panic) => std::panic::resume_unwind(panic),
            },
            // No second thread to be had (a process or memory limit): one core does it all.
            Err(_) => compile(),
        };
        // A spec is valid only with a target hagen knows, so this is the declared one;
        // compiling again keeps it right should the two ever differ.
        let (set, env) = if model.target == declared {
            compiled?
        } else {
            compile_templates(model.target, template_dir)?
        };
        let rendered = render::render_in(&env, &model, &set.sources, &set.user_files)?;
        let inputs = fingerprint::Inputs::of_render(&loaded, &set, template_dir);
        Ok((rendered, inputs))
    })
}

/// The templates of `target` (overlaid by `template_dir`), compiled.
fn compile_templates(
    target: spec::Target,
    template_dir: Option<&Path>,
) -> Result<(templates::TemplateSet, minijinja::Environment<'static>)> {
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
