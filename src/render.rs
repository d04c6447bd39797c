//! Rendering: model -> `path -> text`, in memory, touching no disk.
//!
//! Every template is a minijinja template. Templates whose output is HCL (`.tf`,
//! `.tfvars`, `.hcl`) auto-escape every interpolated string as the *inside* of an HCL
//! quoted string; the `hcl` filter renders whole HCL literals. Those two functions are
//! the only way a spec value reaches HCL, so no spec value can inject HCL.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use minijinja::value::{Value, ValueKind};
use minijinja::{AutoEscape, Environment, Error as JinjaError, ErrorKind, Output, State};

use crate::model::Model;
use crate::module_docs::FileDocs;
use crate::second_core::SecondCore;
pub use crate::templates::{
    TEMPLATE_SUFFIX, TemplateFiles, TemplateSources, environment_output_path, is_document,
    is_per_environment, is_rendered, output_path,
};

/// Rendered files: relative path (with `/` separators) -> contents. Sorted, so every
/// consumer sees the same order.
pub type Rendered = BTreeMap<String, String>;

/// The built-in templates of the default target (`aws`): a shorthand for tests and
/// fuzzing; [`crate::templates::TemplateSet`] picks the spec's target.
pub fn builtin_templates() -> TemplateSources {
    crate::templates::builtin_sources(crate::spec::Target::default())
}

/// Name of the auto-escape mode of HCL outputs.
const HCL_ESCAPE: &str = "hcl";

/// Whether the output is HCL and therefore escaped as HCL.
pub fn is_hcl(path: &str) -> bool {
    [".tf", ".tfvars", ".hcl", ".tfbackend"]
        .iter()
        .any(|ext| path.ends_with(ext))
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A template failed: the message names the template and line.
    #[error("template error: {0}")]
    Template(String),
    /// A rendered HCL file does not parse: a bug in a built-in template, not in the spec.
    #[error(
        "bug: the rendered file {path} is not valid HCL ({message}); please report this with your spec"
    )]
    InvalidHcl { path: String, message: String },
    /// A user template (`--templates`) rendered a file that is not valid HCL.
    #[error(
        "{template}: the file it renders, {path}, is not valid HCL at line {line} of that file: {message}"
    )]
    UserInvalidHcl {
        /// The user's template file.
        template: String,
        path: String,
        /// Line in the rendered file (its generated header included).
        line: usize,
        message: String,
    },
}

/// Fuel of one template render (minijinja counts one unit per instruction). The largest
/// built-in render (the module README, which includes every `.tf` template) uses about
/// 10 000 for the bundled examples; 500 times that leaves room for any reasonable user
/// template and stops a runaway loop within a second or so.
pub const FUEL: u64 = 5_000_000;

/// Largest file one template may render.
pub const MAX_FILE_BYTES: usize = 8 * 1024 * 1024;
/// Largest total output of one render.
pub const MAX_TOTAL_BYTES: usize = 64 * 1024 * 1024;

/// Builds the environment: strict undefined, trailing newlines kept, blocks trimmed, the
/// HCL auto-escape for HCL outputs and the `hcl` filter.
pub fn environment(sources: &TemplateSources) -> Result<Environment<'static>, RenderError> {
    environment_with(sources, &TemplateFiles::new())
}

fn environment_with(
    sources: &TemplateSources,
    files: &TemplateFiles,
) -> Result<Environment<'static>, RenderError> {
    let mut env = Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    // Bounds the work of every template, user templates included: nested loops end in
    // an error naming the template instead of running for hours.
    env.set_fuel(Some(FUEL));
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .keep_trailing_newline(true)
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
        .expect("default delimiters are valid");
    env.set_syntax(syntax);
    env.set_auto_escape_callback(|name| {
        if is_hcl(output_path(name)) {
            AutoEscape::Custom(HCL_ESCAPE.into())
        } else {
            AutoEscape::None
        }
    });
    env.set_formatter(format_value);
    env.add_filter("hcl", hcl_filter);
    env.add_filter("hcl_string", |value: String| hcl_string(&value));
    // Markdown helpers of the module README.
    crate::module_docs::register(&mut env);
    // The user's templates are compiled now, so a mistake in one is reported even when
    // this spec does not render it. The built-in ones (tested) are compiled when first
    // used: a spec renders only its target's and its kinds' templates, and the render
    // compiles them on every core (`render_outputs`).
    for (name, source) in sources.iter().filter(|(name, _)| files.contains_key(*name)) {
        env.add_template_owned(name.clone(), source.clone())
            .map_err(|err| RenderError::Template(describe_in(&err, files)))?;
    }
    let builtin: std::sync::Arc<TemplateSources> = std::sync::Arc::new(
        sources
            .iter()
            .filter(|(name, _)| !files.contains_key(*name))
            .map(|(name, source)| (name.clone(), source.clone()))
            .collect(),
    );
    env.set_loader(move |name| Ok(builtin.get(name).cloned()));
    Ok(env)
}

/// Renders every template. Outputs that are only whitespace are left out, so a template
/// can decide by itself that its file does not apply (for example `backend.tf`).
pub fn render(model: &Model, sources: &TemplateSources) -> Result<Rendered, RenderError> {
    render_with(model, sources, &TemplateFiles::new())
}

/// [`render`], naming user templates by their file in errors.
///
/// Two phases: every file first, then the documents (`*.md`), whose context adds
/// `diagram` (the Mermaid text of [`crate::graph`]) and `module`: the inputs, outputs,
/// resources, requirements and checkov skips read from the module's rendered top-level
/// `.tf` files (each parsed once, by the same check that
/// proves every HCL file parses). Templates named `_env.*.j2` are rendered once per
/// environment with `env` in the context ([`crate::environments`]).
pub fn render_with(
    model: &Model,
    sources: &TemplateSources,
    files: &TemplateFiles,
) -> Result<Rendered, RenderError> {
    let env = Arc::new(environment_with(sources, files)?);
    render_in(&env, model, sources, files, &SecondCore::none(), None)
}

/// Compiles the rendered templates of `sources` in `env` ahead of [`render_in`] until
/// `stop` is set: first the documents (the render takes them last, on one thread), then
/// the other files, the smallest first (the render takes the largest first). A template
/// that does not compile is left for the render to report, in order.
pub fn precompile(env: &Environment<'static>, sources: &TemplateSources, stop: &AtomicBool) {
    let (documents, mut files): (Vec<&String>, Vec<&String>) = sources
        .keys()
        .filter(|name| is_rendered(name) || is_per_environment(name))
        .partition(|name| is_document(name));
    files.sort_by_key(|name| sources[*name].len());
    for name in documents.into_iter().chain(files) {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let _ = env.get_template(name);
    }
}

/// Compiles `sources` into an environment for [`render_in`]: a separate step so that a
/// caller can compile while another core validates the spec ([`crate::render_spec`]).
pub fn compile(
    sources: &TemplateSources,
    files: &TemplateFiles,
) -> Result<Arc<Environment<'static>>, RenderError> {
    environment_with(sources, files).map(Arc::new)
}

/// [`render_with`] with the environment compiled from `sources` by [`compile`], the
/// files rendered by this thread and `second` (or, without one, threads of their own).
/// `sink`, when given, gets each file but the documents as soon as it is made and parses,
/// on the thread that made it: a first render stages it ([`crate::render_spec_staging`]).
pub fn render_in(
    env: &Arc<Environment<'static>>,
    model: &Model,
    sources: &TemplateSources,
    files: &TemplateFiles,
    second: &SecondCore,
    sink: Option<Arc<dyn FileSink>>,
) -> Result<Rendered, RenderError> {
    let context = Value::from(minijinja::value::Serde(model));
    let mut out = RenderRun {
        env,
        files,
        spec_file: &model.spec_file,
        rendered: Rendered::new(),
        module: crate::module_docs::ModuleText::default(),
        total: 0,
    };
    let (documents, files_first): (Vec<&String>, Vec<&String>) = sources
        .keys()
        .filter(|name| is_rendered(name))
        .partition(|name| is_document(name));
    // Every file but the documents: the module's, then the per-environment ones.
    let mut jobs: Vec<RenderJob> = files_first
        .iter()
        .map(|name| RenderJob::new(name, output_path(name).to_string(), 0))
        .collect();
    let mut contexts = vec![context.clone()];
    let per_env: Vec<&String> = sources
        .keys()
        .filter(|name| is_per_environment(name))
        .collect();
    for env_context in &model.resolved_environments {
        contexts.push(minijinja::context! {
            env => Value::from(minijinja::value::Serde(env_context)),
            ..context.clone()
        });
        for name in &per_env {
            let path = environment_output_path(name, &env_context.name);
            jobs.push(RenderJob::new(name, path, contexts.len() - 1));
        }
    }
    // Compiling, rendering and parsing the files is most of a render: it is spread over
    // the cores, and the results are taken in order, so the outputs, the first error
    // and the module's tables are the same as one file after the other (template errors
    // first, then files that do not parse).
    let share = RenderShare::new(env, files, &model.spec_file, jobs, contexts, sources, sink);
    let outputs = render_outputs(Arc::clone(&share), second);
    let mut taken = Vec::with_capacity(outputs.len());
    for (job, output) in share.jobs.iter().zip(outputs) {
        let output = match output {
            Some(output) => output,
            // Not taken: the workers stopped at the total output limit. Rendered here,
            // in order and bounded by what is left, as one thread would have.
            None => {
                let rest = MAX_FILE_BYTES.min(MAX_TOTAL_BYTES - out.total);
                share.render(job, rest)
            }
        };
        if let Some(output) = output? {
            out.count(&job.name, output.raw_len, output.text.len())?;
            taken.push((job, output));
        }
    }
    for (job, output) in taken {
        let docs = output.parsed?;
        out.accept(job.path.clone(), output.text, docs);
    }
    if let Some(sink) = &share.sink {
        sink.files_made(second);
    }
    let mut diagram = crate::target::graph(model, crate::graph::GraphFormat::Mermaid);
    diagram.pop(); // the template puts the line break
    let module = std::mem::take(&mut out.module).docs();
    let docs = minijinja::context! {
        module => Value::from(minijinja::value::Serde(&module)),
        diagram => diagram,
        ..context.clone()
    };
    for name in documents {
        out.emit(name, output_path(name).to_string(), &docs)?;
    }
    Ok(out.rendered)
}

/// One file of the first phase: template `name` rendered to `path` with the context
/// `context` of [`RenderShare::contexts`].
struct RenderJob {
    name: String,
    path: String,
    context: usize,
}

impl RenderJob {
    fn new(name: &str, path: String, context: usize) -> Self {
        Self {
            name: name.to_string(),
            path,
            context,
        }
    }
}

/// One file's output, as a worker of [`render_outputs`] leaves it.
struct RenderedTemplate {
    /// Bytes the template printed (the header not counted).
    raw_len: usize,
    /// With its header.
    text: String,
    /// [`check_hcl`] of `text`.
    parsed: Result<Option<FileDocs>, RenderError>,
}

/// What the threads of [`render_outputs`] share: the files to render, the largest first,
/// and how far they got. Owned, so the second core can hold it.
struct RenderShare {
    env: Arc<Environment<'static>>,
    files: TemplateFiles,
    spec_file: String,
    jobs: Vec<RenderJob>,
    contexts: Vec<Value>,
    /// Indexes of `jobs`, the largest template first, so that no thread is left with a
    /// long one at the end.
    largest_first: Vec<usize>,
    /// Position in `largest_first` of the next file to take.
    next: AtomicUsize,
    /// Bytes rendered so far by all threads.
    total: AtomicUsize,
    sink: Option<Arc<dyn FileSink>>,
}

/// Where [`render_in`] hands the files as they are made: a first render stages them
/// ([`crate::render_spec_staging`]).
pub trait FileSink: Send + Sync {
    /// File `path`, as soon as it is made and parses, on the thread that made it.
    fn file(&self, path: &str, text: &str);
    /// Every file but the documents is made, and `second` is free while this thread
    /// makes the documents.
    fn files_made(&self, second: &SecondCore);
}

/// One thread's share of [`render_outputs`]: (index in `jobs`, result) in the order taken.
type RenderedShare = Vec<(usize, Result<Option<RenderedTemplate>, RenderError>)>;

impl RenderShare {
    fn new(
        env: &Arc<Environment<'static>>,
        files: &TemplateFiles,
        spec_file: &str,
        jobs: Vec<RenderJob>,
        contexts: Vec<Value>,
        sources: &TemplateSources,
        sink: Option<Arc<dyn FileSink>>,
    ) -> Arc<Self> {
        let mut largest_first: Vec<usize> = (0..jobs.len()).collect();
        largest_first.sort_by_key(|&index| std::cmp::Reverse(sources[&jobs[index].name].len()));
        Arc::new(Self {
            env: Arc::clone(env),
            files: files.clone(),
            spec_file: spec_file.to_string(),
            jobs,
            contexts,
            largest_first,
            next: AtomicUsize::new(0),
            total: AtomicUsize::new(0),
            sink,
        })
    }

    /// File `job` rendered (at most `limit` bytes), given its header and parsed; `None`
    /// when it prints only whitespace.
    fn render(
        &self,
        job: &RenderJob,
        limit: usize,
    ) -> Result<Option<RenderedTemplate>, RenderError> {
        let context = &self.contexts[job.context];
        let raw = render_one(&self.env, &self.files, &job.name, context, limit)?;
        Ok(raw.map(|raw| {
            let text = with_header(&job.path, &raw, &self.spec_file);
            RenderedTemplate {
                parsed: check_hcl(&job.name, &job.path, &text, &self.files),
                raw_len: raw.len(),
                text,
            }
        }))
    }

    /// Takes the next file until none is left, or the outputs pass [`MAX_TOTAL_BYTES`]
    /// in all.
    fn work(&self) -> RenderedShare {
        let mut done = Vec::new();
        while self.total.load(Ordering::Relaxed) <= MAX_TOTAL_BYTES {
            let taken = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(&index) = self.largest_first.get(taken) else {
                break;
            };
            let output = self.render(&self.jobs[index], MAX_FILE_BYTES);
            if let Ok(Some(output)) = &output {
                self.total.fetch_add(output.text.len(), Ordering::Relaxed);
                if let (Some(sink), Ok(_)) = (&self.sink, &output.parsed) {
                    sink.file(&self.jobs[index].path, &output.text);
                }
            }
            done.push((index, output));
        }
        done
    }
}

/// Every file of `share` rendered (its template compiled first if it was not yet) and,
/// when it prints more than whitespace, given its header and parsed: by this thread,
/// the second core (from when it gets to it) and, with more cores, threads of their own
/// (at most [`MAX_RENDER_THREADS`] in all), each taking the next file until none is left.
/// Results come back in the order of `share.jobs`; `None` for a file no thread took:
/// they stop taking files once the outputs pass [`MAX_TOTAL_BYTES`] in all, and the
/// caller, counting in order ([`RenderRun::count`]), renders those itself, so it finds
/// the limit where one thread would.
fn render_outputs(
    share: Arc<RenderShare>,
    second: &SecondCore,
) -> Vec<Option<Result<Option<RenderedTemplate>, RenderError>>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(MAX_RENDER_THREADS);
    // Offered: if the second core has not started its share when this thread has
    // taken the last template, this one runs it (and finds nothing left).
    let on_second = (threads > 1 && second.is_available()).then(|| {
        let share = Arc::clone(&share);
        second.offer(move || share.work())
    });
    let more = threads - 1 - usize::from(on_second.is_some());
    let done = std::thread::scope(|scope| {
        // A helper the system refuses (a process or memory limit) is simply not there:
        // the calling thread then takes the templates it would have.
        let helpers: Vec<_> = (0..more)
            .filter_map(|_| {
                std::thread::Builder::new()
                    .spawn_scoped(scope, || share.work())
                    .ok()
            })
            .collect();
        let mut done = share.work();
        // A panic in a template function or the parser is a bug; let it surface.
        if let Some(second_share) = on_second {
            done.extend(second_share.take());
        }
        for helper in helpers {
            match helper.join() {
                Ok(more) => done.extend(more),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        done
    });
    let mut outputs: Vec<_> = share.jobs.iter().map(|_| None).collect();
    for (index, output) in done {
        outputs[index] = Some(output);
    }
    outputs
}

/// Template `name` rendered with `context`, at most `limit` bytes; `None` when it prints
/// only whitespace (a template can decide by itself that its file does not apply).
fn render_one(
    env: &Environment<'static>,
    files: &TemplateFiles,
    name: &str,
    context: &Value,
    limit: usize,
) -> Result<Option<String>, RenderError> {
    let template = env
        .get_template(name)
        .map_err(|err| RenderError::Template(describe_in(&err, files)))?;
    let text = render_bounded(&template, context, limit).map_err(|err| match err {
        Bounded::Jinja(err) => RenderError::Template(describe_in(&err, files)),
        Bounded::TooLarge(limit) => too_large(name, files, limit),
    })?;
    Ok(Some(text).filter(|text| !text.trim().is_empty()))
}

/// The error of template `name` printing more than `limit` bytes.
fn too_large(name: &str, files: &TemplateFiles, limit: usize) -> RenderError {
    RenderError::Template(format!(
        "{}: renders more than {} MiB{}; a module file is a few KiB (a loop that never ends?)",
        template_label(name, files),
        limit.div_ceil(1024 * 1024),
        if limit < MAX_FILE_BYTES {
            " (the rest of the total output limit)"
        } else {
            ""
        }
    ))
}

/// At most this many threads render; more gain nothing on a few dozen files.
const MAX_RENDER_THREADS: usize = 4;

/// The files of one render as they are produced, and the module text the documents
/// phase reads.
struct RenderRun<'a> {
    env: &'a Environment<'static>,
    files: &'a TemplateFiles,
    spec_file: &'a str,
    rendered: Rendered,
    module: crate::module_docs::ModuleText,
    /// Bytes rendered so far (bounded by [`MAX_TOTAL_BYTES`]).
    total: usize,
}

impl RenderRun<'_> {
    /// Renders template `name` to `path`: with its header, parsed if it is HCL. Outputs
    /// that are only whitespace are left out.
    fn emit(&mut self, name: &str, path: String, context: &Value) -> Result<(), RenderError> {
        if let Some(text) = self.produce(name, &path, context)? {
            let docs = check_hcl(name, &path, &text, self.files)?;
            self.accept(path, text, docs);
        }
        Ok(())
    }

    /// The text of template `name` with its header, `None` when it is only whitespace.
    fn produce(
        &mut self,
        name: &str,
        path: &str,
        context: &Value,
    ) -> Result<Option<String>, RenderError> {
        let limit = MAX_FILE_BYTES.min(MAX_TOTAL_BYTES - self.total);
        let Some(raw) = render_one(self.env, self.files, name, context, limit)? else {
            return Ok(None);
        };
        let text = with_header(path, &raw, self.spec_file);
        self.count(name, raw.len(), text.len())?;
        Ok(Some(text))
    }

    /// Counts an output of template `name` (`raw_len` bytes printed, `len` with its header)
    /// against [`MAX_TOTAL_BYTES`].
    fn count(&mut self, name: &str, raw_len: usize, len: usize) -> Result<(), RenderError> {
        let rest = MAX_TOTAL_BYTES - self.total;
        if raw_len > rest {
            return Err(too_large(name, self.files, rest));
        }
        self.total = (self.total + len).min(MAX_TOTAL_BYTES);
        Ok(())
    }

    /// Takes a produced, checked output into the render (and, for a module file, what
    /// the documents read from it).
    fn accept(&mut self, path: String, text: String, docs: Option<FileDocs>) {
        if let Some(docs) = docs {
            self.module.add(docs);
        }
        self.rendered.insert(path, text);
    }
}

/// How a bounded render failed.
enum Bounded {
    Jinja(JinjaError),
    /// The output passed this many bytes.
    TooLarge(usize),
}

/// An output that refuses to grow past a limit, so a template printing gigabytes fails
/// early instead of exhausting memory.
struct LimitedWriter {
    buffer: Vec<u8>,
    limit: usize,
    exceeded: bool,
}

impl std::io::Write for LimitedWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.buffer.len() + bytes.len() > self.limit {
            self.exceeded = true;
            return Err(std::io::Error::other("output limit reached"));
        }
        self.buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn render_bounded(
    template: &minijinja::Template<'_, '_>,
    context: &Value,
    limit: usize,
) -> Result<String, Bounded> {
    let mut out = LimitedWriter {
        buffer: Vec::new(),
        limit,
        exceeded: false,
    };
    let result = template.render_captured_to(context, &mut out).map(drop);
    if out.exceeded {
        return Err(Bounded::TooLarge(limit));
    }
    result.map_err(Bounded::Jinja)?;
    // Templates are UTF-8 and so is everything they print.
    String::from_utf8(out.buffer).map_err(|_| {
        Bounded::Jinja(JinjaError::new(
            ErrorKind::InvalidOperation,
            "the template rendered text that is not UTF-8",
        ))
    })
}

/// A template as the user knows it: their file for a user template, else its name.
fn template_label(name: &str, files: &TemplateFiles) -> String {
    match files.get(name) {
        Some(path) => path.display().to_string(),
        None => name.to_string(),
    }
}

/// Renders one partial (e.g. `_diagram.mmd.j2` for `hagen graph`) with the model as
/// context, without a header.
pub fn render_partial(
    model: &Model,
    sources: &TemplateSources,
    files: &TemplateFiles,
    name: &str,
) -> Result<String, RenderError> {
    let env = environment_with(sources, files)?;
    let template = env
        .get_template(name)
        .map_err(|err| RenderError::Template(describe_in(&err, files)))?;
    template
        .render(minijinja::value::Serde(model))
        .map_err(|err| RenderError::Template(describe_in(&err, files)))
}

/// [`describe`], with a user template named by its file path: the error is in a file
/// the user wrote, and that is where they will look.
fn describe_in(err: &JinjaError, files: &TemplateFiles) -> String {
    let message = describe(err);
    // The innermost template error is where the mistake is (an include reports the
    // including template first).
    let mut innermost = err;
    let mut source = std::error::Error::source(err);
    while let Some(inner) = source {
        if let Some(jinja) = inner.downcast_ref::<JinjaError>()
            && jinja.name().is_some()
        {
            innermost = jinja;
        }
        source = inner.source();
    }
    let err = innermost;
    match err.name().and_then(|name| files.get(name)) {
        Some(path) => match err.line() {
            Some(line) => format!("{}:{line}: {message}", path.display()),
            None => format!("{}: {message}", path.display()),
        },
        None => message,
    }
}

/// A template error with the template name, line and the failing source line.
fn describe(err: &JinjaError) -> String {
    let mut message = err.to_string();
    if err.kind() == ErrorKind::OutOfFuel {
        message.push_str(&format!(
            " (a template may run at most {FUEL} steps: is a loop much longer than meant, \
             or nested too deep?)"
        ));
    }
    let mut source = std::error::Error::source(err);
    while let Some(inner) = source {
        message.push_str(&format!(": {inner}"));
        source = inner.source();
    }
    if let (Some(name), Some(line)) = (err.name(), err.line())
        && !message.contains(&format!("{name}:{line}"))
    {
        message = format!("{name}:{line}: {message}");
    }
    message
}

/// Marker every generated file carries; the write stage recognises its own files by it.
pub const GENERATED_MARKER: &str = "Generated by hagen";

/// The "generated, do not edit" header, in the comment syntax of the file's type.
pub fn header_lines(spec_file: &str) -> [String; 2] {
    [
        format!("{GENERATED_MARKER} from {spec_file}. DO NOT EDIT."),
        format!("Change {spec_file} (or your templates) and run `hagen render` again."),
    ]
}

fn with_header(path: &str, text: &str, spec_file: &str) -> String {
    let [first, second] = header_lines(spec_file);
    if path.ends_with(".md") {
        return format!("<!-- {first} -->\n<!-- {second} -->\n\n{text}");
    }
    let comment = format!("# {first}\n# {second}\n");
    // A first-line directive must stay first: a script's shebang (`#!/bin/bash`) or a
    // cloud-init type line (`#cloud-config`, `#include`), which have no space after `#`.
    if text.starts_with('#') && !text.starts_with("# ") && !text.starts_with("#\n") && !is_hcl(path)
    {
        let (shebang, rest) = text.split_once('\n').unwrap_or((text, ""));
        return format!("{shebang}\n{comment}{rest}");
    }
    if is_hcl(path) {
        format!("{comment}\n{text}")
    } else {
        format!("{comment}{text}")
    }
}

/// Parses an HCL output (the proof that every written HCL file parses): what the README
/// reads from it when it is one of the module's own files, `None` for other files. A user
/// template's invalid output names the user's template and the line of the output.
fn check_hcl(
    name: &str,
    path: &str,
    text: &str,
    files: &TemplateFiles,
) -> Result<Option<FileDocs>, RenderError> {
    if !is_hcl(path) {
        return Ok(None);
    }
    // Only the module's own files are read back (by the README's tables); the others are
    // only proved to parse, without the conversion to `hcl::Body`.
    let parsed = if crate::module_docs::is_module_file(path) {
        hcl::parse(text).map(|body| Some(FileDocs::of(text, &body)))
    } else {
        text.parse::<hcl::edit::structure::Body>()
            .map(|_| None)
            .map_err(hcl::Error::Parse)
    };
    parsed.map_err(|err| {
        let (line, message) = match &err {
            hcl::Error::Parse(parse) => (parse.location().line(), parse.message().to_string()),
            other => (1, other.to_string()),
        };
        match files.get(name) {
            Some(template) => RenderError::UserInvalidHcl {
                template: template.display().to_string(),
                path: path.to_string(),
                line,
                message,
            },
            None => RenderError::InvalidHcl {
                path: path.to_string(),
                message: err.to_string(),
            },
        }
    })
}

/// Escapes text as the inside of an HCL quoted string: backslash, quote, control
/// characters, and the template sequences `${` and `%{` (doubled, so Terraform reads
/// them literally).
///
/// ```
/// use hagen::render::{escape_hcl, hcl_string};
///
/// assert_eq!(escape_hcl("say \"hi\"\n"), r#"say \"hi\"\n"#);
/// assert_eq!(escape_hcl("${file(\"/etc/passwd\")}"), r#"$${file(\"/etc/passwd\")}"#);
/// assert_eq!(hcl_string("100%{x}"), r#""100%%{x}""#);
/// ```
pub fn escape_hcl(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => {
                // \uNNNN covers the BMP; control characters are all inside it.
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// A whole quoted HCL string literal.
pub fn hcl_string(text: &str) -> String {
    format!("\"{}\"", escape_hcl(text))
}

/// Formats a number so HCL and people read it the same way: whole floats without `.0`.
fn hcl_number(value: &Value) -> Option<String> {
    if let Ok(int) = i64::try_from(value.clone()) {
        return Some(int.to_string());
    }
    let float = f64::try_from(value.clone()).ok()?;
    if !float.is_finite() {
        return None;
    }
    if float.fract() == 0.0 && float.abs() < 1e15 {
        Some(format!("{}", float as i64))
    } else {
        Some(format!("{float}"))
    }
}

/// Renders any value as an HCL literal. Maps become multi-line objects indented by
/// `indent` spaces with aligned `=` (as `terraform fmt` writes them); lists stay on one
/// line.
pub fn hcl_literal(value: &Value, indent: usize) -> Result<String, JinjaError> {
    Ok(match value.kind() {
        ValueKind::Undefined => {
            return Err(JinjaError::new(
                ErrorKind::UndefinedError,
                "undefined value passed to `hcl`",
            ));
        }
        ValueKind::None => "null".to_string(),
        ValueKind::Bool => value.is_true().to_string(),
        ValueKind::Number => hcl_number(value).ok_or_else(|| {
            JinjaError::new(
                ErrorKind::InvalidOperation,
                "number cannot be written as HCL",
            )
        })?,
        ValueKind::String | ValueKind::Bytes => hcl_string(value.as_str().unwrap_or_default()),
        ValueKind::Seq | ValueKind::Iterable => {
            let items = value
                .try_iter()?
                .map(|item| hcl_literal(&item, indent))
                .collect::<Result<Vec<_>, _>>()?;
            format!("[{}]", items.join(", "))
        }
        ValueKind::Map => {
            let mut entries = Vec::new();
            for key in value.try_iter()? {
                let item = value.get_item(&key)?;
                let key = hcl_string(&key.to_string());
                entries.push((key, hcl_literal(&item, indent + 2)?));
            }
            if entries.is_empty() {
                return Ok("{}".to_string());
            }
            let width = entries
                .iter()
                .map(|(k, _)| display_width(k))
                .max()
                .unwrap_or(0);
            let pad = " ".repeat(indent + 2);
            let mut out = String::from("{\n");
            for (key, item) in entries {
                let fill = " ".repeat(width - display_width(&key));
                out.push_str(&format!("{pad}{key}{fill} = {item}\n"));
            }
            out.push_str(&" ".repeat(indent));
            out.push('}');
            out
        }
        _ => {
            return Err(JinjaError::new(
                ErrorKind::InvalidOperation,
                format!("a {} cannot be written as HCL", value.kind()),
            ));
        }
    })
}

/// Width as `terraform fmt` counts it when aligning `=`: Unicode characters.
fn display_width(text: &str) -> usize {
    text.chars().count()
}

fn hcl_filter(value: Value, indent: Option<usize>) -> Result<Value, JinjaError> {
    Ok(Value::from_safe_string(hcl_literal(
        &value,
        indent.unwrap_or(0),
    )?))
}

/// The formatter behind `{{ ... }}`. In HCL templates strings are escaped as the inside
/// of a quoted string and other values are written as HCL literals; elsewhere values are
/// written plainly (with `true`/`false` rather than Python's `True`/`False`).
fn format_value(
    out: &mut Output<'_>,
    state: &mut State<'_, '_>,
    value: &Value,
) -> Result<(), JinjaError> {
    let text = if value.is_safe() {
        value.to_string()
    } else if matches!(state.auto_escape(), AutoEscape::Custom(name) if name == HCL_ESCAPE) {
        match value.kind() {
            ValueKind::String => escape_hcl(value.as_str().unwrap_or_default()),
            _ => hcl_literal(value, 0)?,
        }
    } else {
        match value.kind() {
            ValueKind::None | ValueKind::Undefined => String::new(),
            ValueKind::Bool => value.is_true().to_string(),
            ValueKind::Number => hcl_number(value).unwrap_or_else(|| value.to_string()),
            _ => value.to_string(),
        }
    };
    out.write_str(&text).map_err(JinjaError::from)
}

impl From<RenderError> for crate::error::Error {
    fn from(err: RenderError) -> Self {
        crate::error::Error::Internal(err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render_one(template: &str, ctx: Value) -> String {
        let mut sources = TemplateSources::new();
        sources.insert("t.tf.j2".into(), template.to_string().into());
        let env = environment(&sources).unwrap();
        env.get_template("t.tf.j2").unwrap().render(ctx).unwrap()
    }

    #[test]
    fn escapes_quotes_backslashes_controls_and_templates() {
        assert_eq!(escape_hcl(r#"a"b\c"#), r#"a\"b\\c"#);
        assert_eq!(escape_hcl("x\ny\tz\r"), r"x\ny\tz\r");
        assert_eq!(escape_hcl("${var.x} %{ if }"), "$${var.x} %%{ if }");
        assert_eq!(escape_hcl("$x %d { }"), "$x %d { }");
        assert_eq!(escape_hcl("\u{1}\u{7f}"), r"\u0001\u007f");
        assert_eq!(escape_hcl("naïve ☃"), "naïve ☃");
    }

    #[test]
    fn interpolation_is_escaped_in_hcl_templates() {
        let out = render_one(
            "name = \"{{ v }}\"\n",
            minijinja::context! { v => "x\"\n}\nresource \"evil\" \"e\" {\n${file(\"/etc/passwd\")}" },
        );
        assert_eq!(
            out,
            "name = \"x\\\"\\n}\\nresource \\\"evil\\\" \\\"e\\\" {\\n$${file(\\\"/etc/passwd\\\")}\"\n"
        );
        hcl::parse(&out).unwrap();
    }

    #[test]
    fn non_strings_render_as_hcl_literals() {
        let out = render_one(
            "a = {{ n }}\nb = {{ f }}\nc = {{ t }}\nd = {{ l }}\ne = {{ none }}\n",
            minijinja::context! { n => 3, f => 50.0, t => true, l => vec!["x", "y\""], none => () },
        );
        assert_eq!(
            out,
            "a = 3\nb = 50\nc = true\nd = [\"x\", \"y\\\"\"]\ne = null\n"
        );
    }

    #[test]
    fn maps_are_aligned_objects_with_escaped_keys() {
        let mut tags = BTreeMap::new();
        tags.insert("Team", "web");
        tags.insert("a\"${b}", "c");
        let out = render_one("tags = {{ tags | hcl(2) }}\n", minijinja::context! { tags });
        assert_eq!(
            out,
            "tags = {\n    \"Team\"     = \"web\"\n    \"a\\\"$${b}\" = \"c\"\n  }\n"
        );
    }

    #[test]
    fn strict_undefined_is_an_error_naming_the_template() {
        let mut sources = TemplateSources::new();
        sources.insert("x.tf.j2".into(), "a = 1\nb = \"{{ missing }}\"\n".into());
        let env = environment(&sources).unwrap();
        let err = env.get_template("x.tf.j2").unwrap().render(()).unwrap_err();
        let message = describe(&err);
        assert!(message.contains("x.tf.j2"), "{message}");
        assert!(message.contains(":2"), "{message}");
    }

    #[test]
    fn header_keeps_shebang_first() {
        let text = with_header("user_data.sh", "#!/bin/bash\necho hi\n", "spec.yaml");
        assert!(text.starts_with("#!/bin/bash\n# Generated by hagen from spec.yaml"));
        assert!(with_header("README.md", "x\n", "s.yaml").starts_with("<!-- Generated by hagen"));
        let cloud = with_header(
            "user_data.sh",
            "#cloud-config\npackages: [nginx]\n",
            "s.yaml",
        );
        assert!(
            cloud.starts_with("#cloud-config\n# Generated by hagen"),
            "{cloud}"
        );
        let plain = with_header("user_data.sh", "# just a comment\n", "s.yaml");
        assert!(plain.starts_with("# Generated by hagen"), "{plain}");
    }
}
