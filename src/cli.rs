//! The command line: parses arguments, calls the library, prints results.
//!
//! TEMPORARY: render / validate / schema only.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::error::{Error, Result};

#[derive(Debug, Parser)]
#[command(
    name = "hagen",
    version,
    about = "Turn a YAML spec of a highly available AWS web application into a Terraform/OpenTofu module."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render the module for SPEC into a folder.
    Render {
        spec: PathBuf,
        #[arg(short, long, default_value = "infra")]
        output: PathBuf,
    },
    /// Check SPEC only; write nothing.
    Validate { spec: PathBuf },
    /// Print the JSON Schema of the spec.
    Schema,
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() {
                crate::error::exit::USAGE
            } else {
                0
            };
            let _ = err.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            report(&err);
            ExitCode::from(err.exit_code())
        }
    }
}

fn report(err: &Error) {
    match err {
        Error::InvalidSpec { diagnostics, .. } => {
            for d in diagnostics {
                eprintln!("{d}");
            }
            eprintln!("error: {err}");
        }
        _ => eprintln!("error: {err}"),
    }
}

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Render { spec, output } => {
            let rendered = crate::render_file(&spec, &crate::render::builtin_templates())?;
            crate::write::write(&rendered, &output)
        }
        Command::Validate { spec } => crate::model_from_file(&spec).map(|_| ()),
        Command::Schema => {
            print!("{}", crate::validate::SCHEMA);
            Ok(())
        }
    }
}
