//! The command line: parses arguments, calls the library, prints results, and maps every
//! outcome to a documented exit code. Results go to stdout (schema, graph, JSON, diffs);
//! progress and errors go to stderr, so stdout stays pipeable.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use crate::check::{self, Drift};
use crate::diagnostics::{self, Diagnostic};
use crate::error::{Error, Result, exit};
use crate::graph::GraphFormat;
use crate::spec::Target;
use crate::templates::{self, TemplateSet};

const AFTER_HELP: &str = "\
Examples:
  hagen init app.yaml                 # a commented starter spec
  hagen render app.yaml -o infra/     # write the module
  hagen check app.yaml -o infra/      # exit 2 with a diff when infra/ is out of date

Exit codes:
  0   success (check: the output folder is up to date)
  1   internal error: a bug in hagen or an error in a (user) template
  2   check: the output folder differs from what the spec renders
  64  usage error: wrong arguments or options
  65  invalid spec: every problem is listed as FILE:LINE:COL
  74  I/O error: a file could not be read or written (the path is named)

Environment:
  HAGEN_TEMPLATES  folder of template overrides (same as --templates)
  NO_COLOR         disables colour (like --color never)";

#[derive(Debug, Parser)]
#[command(
    name = "hagen",
    version,
    about = "Turn a YAML spec of a highly available AWS web application into a Terraform/OpenTofu module.",
    after_help = AFTER_HELP
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command uses: status lines and the colour of errors (and diffs).
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Print nothing but results and errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// When to colour errors and diffs: auto = only on a terminal and when NO_COLOR is
    /// unset.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// `--templates`, only on the commands that render templates.
#[derive(Debug, Clone, Args)]
pub struct TemplatesArg {
    /// Folder of template overrides: a file named like a built-in replaces it, any other
    /// *.j2 file is rendered too (files starting with `_` are partials).
    #[arg(long, env = "HAGEN_TEMPLATES", value_name = "DIR")]
    pub templates: Option<PathBuf>,
}

const SPEC_HELP: &str = "The spec file (YAML), e.g. app.yaml";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Messages with code frames, for people.
    Human,
    /// A JSON array of {file, line, column, message, hint}, for editors and CI.
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a commented starter spec.
    #[command(after_help = "Example:\n  hagen init app.yaml --name shop --region eu-west-1")]
    Init {
        /// Where to write the spec (never overwritten).
        #[arg(default_value = "hagen.yaml", value_name = "SPEC")]
        spec: PathBuf,
        /// Application name: lowercase letters, digits and single hyphens, 2 to 16
        /// characters.
        #[arg(long, default_value = "myapp")]
        name: String,
        /// AWS region; the starter uses its zones `a` and `b`.
        #[arg(long, default_value = "eu-west-1")]
        region: String,
    },
    /// Check a spec and report every problem; write nothing.
    #[command(after_help = "Example:\n  hagen validate app.yaml --format json")]
    Validate {
        #[arg(help = SPEC_HELP)]
        spec: PathBuf,
        /// Diagnostics format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
    },
    /// Render the module for SPEC into DIR (only changed files are written).
    #[command(after_help = "Example:\n  hagen render app.yaml -o infra/")]
    Render {
        #[arg(help = SPEC_HELP)]
        spec: PathBuf,
        /// Output folder.
        #[arg(short, long, value_name = "DIR")]
        output: PathBuf,
        /// Compare with DIR instead of writing, like `hagen check`.
        #[arg(long)]
        check: bool,
        /// Diagnostics format (with --check: drift as JSON too).
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
        #[command(flatten)]
        templates: TemplatesArg,
    },
    /// Exit 2 with a diff when DIR is not what SPEC renders (for CI and pre-commit); never writes.
    #[command(after_help = "Example:\n  hagen check app.yaml -o infra/ || echo 'run hagen render'")]
    Check {
        #[arg(help = SPEC_HELP)]
        spec: PathBuf,
        /// Output folder to compare.
        #[arg(short, long, value_name = "DIR")]
        output: PathBuf,
        /// Diagnostics format: with json, drift and spec problems as a JSON array.
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
        #[command(flatten)]
        templates: TemplatesArg,
    },
    /// Print the JSON Schema of the spec (for editors: yaml-language-server).
    #[command(after_help = "Example:\n  hagen schema > hagen.schema.json")]
    Schema,
    /// List, eject or document the templates.
    #[command(
        subcommand,
        after_help = "Example:\n  hagen templates eject network.tf -o my-templates/"
    )]
    Templates(TemplatesCommand),
    /// Print the architecture diagram of SPEC (the one in the generated README).
    #[command(
        after_help = "Example:\n  hagen graph app.yaml --format dot | dot -Tsvg > architecture.svg"
    )]
    Graph {
        #[arg(help = SPEC_HELP)]
        spec: PathBuf,
        /// Diagram language.
        #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
        format: GraphFormat,
    },
    /// Print a shell completion script.
    #[command(
        after_help = "Example:\n  hagen completions bash > ~/.local/share/bash-completion/completions/hagen"
    )]
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub enum TemplatesCommand {
    /// Show every template and the file it renders (with --templates: what you override).
    #[command(after_help = "Example:\n  hagen templates list --templates my-templates/")]
    List {
        /// The target whose built-in templates to list.
        #[arg(long, value_enum, default_value_t = Target::Aws)]
        target: Target,
        #[command(flatten)]
        templates: TemplatesArg,
    },
    /// Copy built-in templates (all when no NAME is given) into DIR to customize them.
    #[command(
        after_help = "Example:\n  hagen templates eject network.tf.j2 outputs.tf -o my-templates/"
    )]
    Eject {
        /// Template names, with or without `.j2` (see `hagen templates list`).
        names: Vec<String>,
        /// Folder to copy them into (existing files are never overwritten).
        #[arg(short, long, value_name = "DIR")]
        output: PathBuf,
        /// The target whose built-in templates to copy.
        #[arg(long, value_enum, default_value_t = Target::Aws)]
        target: Target,
    },
    /// Print the template context: the reference of every variable (Markdown), or with
    /// SPEC the actual values for that spec (JSON).
    #[command(after_help = "Example:\n  hagen templates context app.yaml | jq .network.zones")]
    Context {
        /// A spec file (YAML): print its context instead of the reference.
        spec: Option<PathBuf>,
    },
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = err.print();
            if let Some(tip) = spec_as_command_tip(&err) {
                eprintln!("{tip}");
            }
            return ExitCode::from(code);
        }
    };
    let color = use_color(cli.global.color, &std::io::stderr());
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            report(&err, color);
            ExitCode::from(err.exit_code())
        }
    }
}

/// `hagen app.yaml`: the unknown "command" is a spec file; say which commands take one
/// (clap itself suggests close command names for typos such as `rendr`).
fn spec_as_command_tip(err: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if err.kind() != ErrorKind::InvalidSubcommand {
        return None;
    }
    let Some(ContextValue::String(word)) = err.get(ContextKind::InvalidSubcommand) else {
        return None;
    };
    (word.ends_with(".yaml") || word.ends_with(".yml")).then(|| {
        let spec = shell_quote(Path::new(word));
        format!(
            "tip: to use a spec, name the command first: `hagen validate {spec}` or `hagen render {spec} -o infra/`"
        )
    })
}

/// Whether to colour what goes to `stream` (errors go to stderr, diffs to stdout, and
/// either may be redirected alone).
fn use_color(choice: ColorChoice, stream: &impl IsTerminal) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && stream.is_terminal()
        }
    }
}

fn report(err: &Error, color: bool) {
    let label = if color {
        "\x1b[1;31merror\x1b[0m"
    } else {
        "error"
    };
    match err {
        Error::InvalidSpec {
            source_text,
            diagnostics,
            ..
        } => {
            eprint!(
                "{}",
                diagnostics::render_human(source_text, diagnostics, color)
            );
            eprintln!("{label}: {err}");
        }
        _ => eprintln!("{label}: {err}"),
    }
}

/// Status lines for people; `--quiet` drops them.
struct Ui {
    quiet: bool,
    /// Colour for stdout (diffs).
    color: bool,
}

impl Ui {
    fn status(&self, message: &str) {
        if !self.quiet {
            eprintln!("{message}");
        }
    }
}

/// Runs a command. `Ok` carries the exit code of a command that reported its own outcome
/// (JSON diagnostics on stdout); `Err` is reported by [`main`].
pub fn run(cli: Cli) -> Result<u8> {
    let ui = Ui {
        quiet: cli.global.quiet,
        color: use_color(cli.global.color, &std::io::stdout()),
    };
    let done = |result: Result<()>| result.map(|()| exit::OK);
    match cli.command {
        Command::Init { spec, name, region } => done(init(&spec, &name, &region, &ui)),
        Command::Validate { spec, format } => validate(&spec, format, &ui),
        Command::Render {
            spec,
            output,
            check: true,
            format,
            templates,
        }
        | Command::Check {
            spec,
            output,
            format,
            templates,
        } => check(&spec, &output, templates.templates.as_deref(), format, &ui),
        Command::Render {
            spec,
            output,
            templates,
            ..
        } => done(render(&spec, &output, templates.templates.as_deref(), &ui)),
        Command::Schema => done(print_stdout(crate::schema::SCHEMA)),
        Command::Templates(command) => done(templates_command(command, &ui)),
        Command::Graph { spec, format } => {
            let model = crate::model_from_file(&spec)?;
            done(print_stdout(&crate::target::graph(&model, format)))
        }
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "hagen", &mut out);
            done(print_stdout(&String::from_utf8_lossy(&out)))
        }
    }
}

/// Writes to stdout; a closed pipe (`hagen schema | head`) is not an error worth a trace.
fn print_stdout(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::io("<stdout>", e)),
    }
}

/// The commented starter spec `hagen init` writes, with placeholders for the spec's file
/// name, the application name and the region; it validates as is (a test checks).
pub const STARTER_SPEC: &str = include_str!("starter.yaml");

/// The starter spec for a file name, application name and region, with two of the
/// region's zones: `a` and `b`, except in ap-northeast-1, whose zones are `a`, `c` and `d`
/// (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/using-regions-availability-zones.html).
pub fn starter_spec(file_name: &str, name: &str, region: &str) -> String {
    let second = if region == "ap-northeast-1" { 'c' } else { 'b' };
    STARTER_SPEC
        .replace("{{spec}}", file_name)
        .replace("{{name}}", name)
        .replace("{{zones}}", &format!("[{region}a, {region}{second}]"))
        .replace("{{region}}", region)
}

fn init(spec: &Path, name: &str, region: &str, ui: &Ui) -> Result<()> {
    let file_name = spec
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "hagen.yaml".into());
    let text = starter_spec(&shell_quote(Path::new(&file_name)), name, region);
    // Refuse a name or region the spec would reject, before writing anything.
    let checked = crate::load::load_from_bytes(spec, text.clone().into_bytes())
        .and_then(|loaded| crate::model_from_loaded(&loaded));
    if let Err(Error::InvalidSpec { diagnostics, .. }) = checked {
        let problems: Vec<String> = diagnostics
            .iter()
            .map(|d| match &d.hint {
                Some(hint) => format!("{} ({hint})", d.message),
                None => d.message.clone(),
            })
            .collect();
        return Err(Error::Usage(format!(
            "--name {} --region {} do not make a valid spec: {}",
            shell_quote(Path::new(name)),
            shell_quote(Path::new(region)),
            problems.join("; ")
        )));
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(spec)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Error::io(
                    spec,
                    std::io::Error::new(
                        e.kind(),
                        "already exists; hagen init never overwrites a spec",
                    ),
                )
            } else {
                Error::io(spec, e)
            }
        })?;
    file.write_all(text.as_bytes())
        .map_err(|e| Error::io(spec, e))?;
    ui.status(&format!(
        "wrote {}; edit it, then: hagen render {} -o infra/",
        spec.display(),
        shell_quote(spec)
    ));
    Ok(())
}

fn validate(spec: &Path, format: OutputFormat, ui: &Ui) -> Result<u8> {
    match (crate::model_from_file(spec), format) {
        (Ok(_), OutputFormat::Json) => print_stdout("[]\n").map(|()| exit::OK),
        (Ok(_), OutputFormat::Human) => {
            ui.status(&format!("{}: valid", spec.display()));
            Ok(exit::OK)
        }
        (Err(err), OutputFormat::Json) => json_or_err(err, ui),
        (Err(err), OutputFormat::Human) => Err(err),
    }
}

/// In JSON mode an invalid spec's diagnostics go to stdout as JSON (and a one-line
/// summary to stderr); the exit code stays 65.
fn json_or_err(err: Error, ui: &Ui) -> Result<u8> {
    if let Error::InvalidSpec { diagnostics, .. } = &err {
        print_stdout(&format!("{}\n", diagnostics::to_json(diagnostics)))?;
        ui.status(&format!("error: {err}"));
        return Ok(err.exit_code());
    }
    Err(err)
}

/// Everything `render` writes into `output`: the module and its manifest.
fn render_in_memory(
    spec: &Path,
    output: &Path,
    template_dir: Option<&Path>,
) -> Result<(crate::render::Rendered, crate::fingerprint::Inputs)> {
    let (rendered, inputs, _) = render_staging(spec, output, template_dir, None)?;
    Ok((rendered, inputs))
}

/// [`render_in_memory`], staging a first render into `stage_into` meanwhile
/// ([`crate::render_spec_staging`]).
fn render_staging(
    spec: &Path,
    output: &Path,
    template_dir: Option<&Path>,
    stage_into: Option<&Path>,
) -> Result<(
    crate::render::Rendered,
    crate::fingerprint::Inputs,
    Option<crate::write::NewFolder>,
)> {
    let (mut rendered, inputs, staging) =
        crate::render_spec_staging(spec, template_dir, stage_into)?;
    crate::manifest::add(&mut rendered, spec, output, template_dir);
    Ok((rendered, inputs, staging))
}

fn render(spec: &Path, output: &Path, template_dir: Option<&Path>, ui: &Ui) -> Result<()> {
    // A folder that holds exactly what a render of the same inputs wrote needs nothing
    // rendered or written (`check`'s shortcut, see `fingerprint`), once an interrupted
    // earlier write is finished or undone, as every write does first. Only for inputs
    // that rendered before (a spec that changed goes the full way, and an invalid one
    // changes nothing); any error here is left to the full render, which reports it.
    let same = crate::fingerprint::same_inputs(spec, output, template_dir);
    if let Some(same) = same
        && let Ok(recovered) = crate::write::recover_with(output, &mut |m| ui.status(m))
    {
        if let Some(recovery) = recovered {
            ui.status(&format!("{}: {}", output.display(), recovery.describe()));
        }
        let unchanged = crate::fingerprint::files_as_recorded(&same, output, &mut |m| ui.status(m));
        if let Some(unchanged) = unchanged {
            let summary = crate::write::WriteSummary {
                unchanged,
                ..Default::default()
            };
            ui.status(&describe_write(&summary, output));
            return Ok(());
        }
    }
    let stage_into = crate::write::NewFolder::applies(output).then_some(output);
    let (rendered, inputs, staging) = render_staging(spec, output, template_dir, stage_into)?;
    // What this render read, so that a `check` of the same inputs can skip rendering.
    let record = crate::fingerprint::record(output, &inputs, &rendered);
    let record = record
        .as_deref()
        .map(|bytes| (crate::fingerprint::RECORD, bytes));
    let summary =
        crate::write::write_with_meta(&rendered, output, record, staging, &mut |m| ui.status(m))?;
    if let Some(recovery) = summary.recovered {
        ui.status(&format!("{}: {}", output.display(), recovery.describe()));
    }
    ui.status(&describe_write(&summary, output));
    Ok(())
}

/// What a write did, as `render` says it: `wrote 3 files, 29 unchanged in infra`.
fn describe_write(summary: &crate::write::WriteSummary, output: &Path) -> String {
    let mut parts = vec![format!("wrote {}", files(summary.written.len()))];
    if !summary.unchanged.is_empty() {
        parts.push(format!("{} unchanged", summary.unchanged.len()));
    }
    if !summary.removed.is_empty() {
        parts.push(format!("removed {} stale", files(summary.removed.len())));
    }
    format!("{} in {}", parts.join(", "), output.display())
}

fn files(n: usize) -> String {
    if n == 1 {
        "1 file".into()
    } else {
        format!("{n} files")
    }
}

fn check(
    spec: &Path,
    output: &Path,
    template_dir: Option<&Path>,
    format: OutputFormat,
    ui: &Ui,
) -> Result<u8> {
    // Inputs and files unchanged since hagen rendered them: nothing to render (see
    // `fingerprint` for what that trusts); anything else renders and compares.
    let unchanged =
        crate::fingerprint::unchanged(spec, output, template_dir, &mut |m| ui.status(m));
    let drift = if unchanged {
        Vec::new()
    } else {
        let rendered = match render_in_memory(spec, output, template_dir) {
            Ok((rendered, _)) => rendered,
            Err(err) if format == OutputFormat::Json => return json_or_err(err, ui),
            Err(err) => return Err(err),
        };
        check::compare_with(&rendered, output, &mut |m| ui.status(m))?
    };
    // The folder was rendered with templates this check was not given (or others): the
    // fix is a render with those, not one that would drop their output.
    let recorded = crate::manifest::read(output)
        .and_then(|m| crate::manifest::templates_dir(&m, output))
        .filter(|dir| template_dir.is_none_or(|given| !same_dir(given, dir)));
    let fix = fix_command(spec, output, recorded.as_deref().or(template_dir));
    if format == OutputFormat::Json {
        print_stdout(&format!(
            "{}\n",
            diagnostics::to_json(&drift_diagnostics(&drift, output, &fix))
        ))?;
    } else {
        for d in &drift {
            print_stdout(&colorize_diff(&d.diff, ui.color))?;
        }
    }
    if drift.is_empty() {
        ui.status(&format!(
            "{} is up to date with {}{}",
            output.display(),
            spec.display(),
            if unchanged {
                " (inputs and files unchanged since hagen rendered them)"
            } else {
                ""
            }
        ));
        return Ok(exit::OK);
    }
    let mut message = format!(
        "{} out of date in {}:\n",
        files(drift.len()),
        output.display()
    );
    for d in &drift {
        message.push_str(&format!("  {} {}\n", d.path, d.kind.describe()));
    }
    if let Some(dir) = &recorded {
        message.push_str(&format!(
            "{} was rendered with --templates {}; if that is still right, check with it too:\n  hagen check {} -o {} --templates {}\n",
            output.display(),
            shell_quote(dir),
            shell_quote(spec),
            shell_quote(output),
            shell_quote(dir)
        ));
    }
    message.push_str(&format!("to fix it, run: {fix}"));
    Err(Error::Drift(message))
}

/// Whether two paths name the same folder (lexically, from the current folder).
fn same_dir(a: &Path, b: &Path) -> bool {
    crate::manifest::relative_to(a, b) == "."
}

fn drift_diagnostics(drift: &[Drift], output: &Path, fix: &str) -> Vec<Diagnostic> {
    drift
        .iter()
        .map(|d| Diagnostic {
            file: output.join(&d.path).display().to_string(),
            line: d.line,
            column: 1,
            message: format!("{} {}", d.path, d.kind.describe()),
            hint: Some(format!("run: {fix}")),
        })
        .collect()
}

/// The command that brings DIR up to date, ready to paste.
fn fix_command(spec: &Path, output: &Path, template_dir: Option<&Path>) -> String {
    let templates = template_dir
        .map(|dir| format!(" --templates {}", shell_quote(dir)))
        .unwrap_or_default();
    format!(
        "hagen render {} -o {}{templates}",
        shell_quote(spec),
        shell_quote(output)
    )
}

fn shell_quote(path: &Path) -> String {
    let text = path.display().to_string();
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:@+".contains(c));
    if plain {
        text
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

fn colorize_diff(diff: &str, color: bool) -> String {
    if !color {
        return diff.to_string();
    }
    diff.lines()
        .map(|line| {
            let code = if line.starts_with("+++") || line.starts_with("---") {
                "1"
            } else if line.starts_with('+') {
                "32"
            } else if line.starts_with('-') {
                "31"
            } else if line.starts_with("@@") {
                "36"
            } else {
                return format!("{line}\n");
            };
            format!("\x1b[{code}m{line}\x1b[0m\n")
        })
        .collect()
}

fn templates_command(command: TemplatesCommand, ui: &Ui) -> Result<()> {
    match command {
        TemplatesCommand::List { target, templates } => {
            let set = TemplateSet::load(target, templates.templates.as_deref())?;
            let entries = templates::list(target, &set);
            let width = entries.iter().map(|e| e.name.len()).max().unwrap_or(0);
            let mut out = String::new();
            for entry in entries {
                let origin = match &entry.user_file {
                    Some(file) => format!("  [{} by {}]", entry.origin, file.display()),
                    None => String::new(),
                };
                out.push_str(&format!(
                    "{:width$}  -> {}{origin}\n",
                    entry.name, entry.output
                ));
            }
            print_stdout(&out)
        }
        TemplatesCommand::Eject {
            names,
            output,
            target,
        } => {
            let written = templates::eject(target, &names, &output)?;
            ui.status(&format!(
                "copied {} to {}; render with: hagen render SPEC -o DIR --templates {}",
                if written.len() == 1 {
                    "1 template".to_string()
                } else {
                    format!("{} templates", written.len())
                },
                output.display(),
                shell_quote(&output)
            ));
            Ok(())
        }
        TemplatesCommand::Context { spec: None } => {
            print_stdout(&crate::template_context::reference())
        }
        TemplatesCommand::Context { spec: Some(spec) } => {
            let model = crate::model_from_file(&spec)?;
            let json = serde_json::to_string_pretty(&model)
                .map_err(|e| Error::Internal(format!("bug: the model does not serialize: {e}")))?;
            print_stdout(&format!("{json}\n"))
        }
    }
}
