//! The one error type of hagen. Each variant knows its exit code (documented in README
//! and `hagen --help`).

use std::path::PathBuf;

use crate::diagnostics::Diagnostic;

pub mod exit {
    pub const OK: u8 = 0;
    pub const INTERNAL: u8 = 1;
    pub const DRIFT: u8 = 2;
    pub const USAGE: u8 = 64;
    pub const INVALID_SPEC: u8 = 65;
    pub const IO: u8 = 74;
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line is wrong.
    #[error("{0}")]
    Usage(String),
    /// The spec is invalid: every problem found, each with its position.
    #[error("{} in {}", plural(.diagnostics.len(), "error"), .file)]
    InvalidSpec {
        file: String,
        source_text: String,
        diagnostics: Vec<Diagnostic>,
    },
    /// Reading or writing a file failed; the path is always named.
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// `check` found the output out of date.
    #[error("{0}")]
    Drift(String),
    /// A bug in hagen or a template (including user templates).
    #[error("{0}")]
    Internal(String),
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) => exit::USAGE,
            Error::InvalidSpec { .. } => exit::INVALID_SPEC,
            Error::Io { .. } => exit::IO,
            Error::Drift(_) => exit::DRIFT,
            Error::Internal(_) => exit::INTERNAL,
        }
    }

    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
