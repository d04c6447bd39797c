//! Load stage: spec file -> positioned document ([`crate::yaml`]) plus the files the spec
//! names (`compute.user_data_file`), with input limits.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use serde_json::Value;

use crate::diagnostics::{Diagnostic, Position};
use crate::error::{Error, Result};
pub use crate::yaml::MAX_FILE_BYTES;
use crate::yaml::{Positions, end_position, invalid, parse};

/// Largest `compute.user_data_file`: EC2 refuses user data over 16 KiB.
pub const MAX_USER_DATA_BYTES: u64 = 16 * 1024;

#[derive(Debug, Clone)]
pub struct LoadedSpec {
    pub path: PathBuf,
    /// The file name alone, as it appears in headers and diagnostics.
    pub file_name: String,
    pub text: String,
    pub document: serde_json::Value,
    pub positions: Positions,
    /// Contents of `compute.user_data_file`, read relative to the spec's folder.
    pub user_data_file_contents: Option<String>,
    /// Where that file was read from (the spec's folder joined with the path the spec
    /// gives): `check` reads it again to see whether it changed ([`crate::fingerprint`]).
    pub user_data_path: Option<PathBuf>,
    /// Problems found while loading that do not stop validation (a missing user data
    /// file): the validate stage reports them together with its own.
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads, parses and positions a spec file. Input limits and YAML errors end here with a
/// positioned diagnostic; schema problems are left to the validate stage.
pub fn load(path: &Path) -> Result<LoadedSpec> {
    let display = path.display().to_string();
    let bytes = read_limited(path, MAX_FILE_BYTES).map_err(|e| match e {
        ReadError::Io(e) => Error::io(path, e),
        ReadError::TooLarge | ReadError::NotRegular => too_large(&display),
    })?;
    load_from_bytes(path, bytes)
}

/// The error for a file over [`MAX_FILE_BYTES`], whether seen on disk or in memory.
fn too_large(display: &str) -> Error {
    invalid(
        display,
        "",
        Position { line: 1, column: 1 },
        format!(
            "the file is larger than {} KiB; a spec is a few KiB of YAML",
            MAX_FILE_BYTES / 1024
        ),
        Some("is this the right file?".into()),
    )
}

/// Like [`load`], for bytes already in memory (`path` names the spec in diagnostics and
/// anchors `compute.user_data_file`). Fuzzing and tests drive the loader through this.
pub fn load_from_bytes(path: &Path, bytes: Vec<u8>) -> Result<LoadedSpec> {
    let display = path.display().to_string();
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(&display));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let prefix = std::str::from_utf8(valid).expect("valid_up_to is a UTF-8 boundary");
        invalid(
            &display,
            prefix,
            end_position(prefix),
            "the file is not UTF-8 text: invalid byte here".into(),
            Some("save the spec as UTF-8".into()),
        )
    })?;
    let (document, positions) = parse(&text, &display)?;
    let mut loaded = LoadedSpec {
        file_name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| display.clone()),
        path: path.to_path_buf(),
        text,
        document,
        positions,
        user_data_file_contents: None,
        user_data_path: None,
        diagnostics: Vec::new(),
    };
    match read_user_data_file(&loaded) {
        Ok(Some((path, contents))) => {
            loaded.user_data_path = Some(path);
            loaded.user_data_file_contents = Some(contents);
        }
        Ok(None) => {}
        Err(diagnostic) => loaded.diagnostics.push(diagnostic),
    }
    Ok(loaded)
}

pub(crate) enum ReadError {
    Io(std::io::Error),
    TooLarge,
    /// A FIFO, device, socket or folder: never read (a FIFO would block forever).
    NotRegular,
}

/// Reads at most `limit` bytes of a regular file. Anything else is refused without
/// blocking: the file is opened with `O_NONBLOCK` (a FIFO would otherwise block the open
/// until a writer appears) and checked with `fstat` on the opened descriptor, so a file
/// swapped in between is caught too.
pub(crate) fn read_regular_limited(
    path: &Path,
    limit: u64,
) -> std::result::Result<Vec<u8>, ReadError> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() => return Err(ReadError::NotRegular),
        Ok(_) => {}
        Err(e) => return Err(ReadError::Io(e)),
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)
        .map_err(ReadError::Io)?;
    if !file.metadata().map_err(ReadError::Io)?.is_file() {
        return Err(ReadError::NotRegular);
    }
    read_at_most(file, limit)
}

/// The rest of `file` if it is at most `limit` bytes: reading stops one byte past the
/// limit, so a huge (or endless, like /dev/zero) file costs nothing.
fn read_at_most(file: std::fs::File, limit: u64) -> std::result::Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge);
    }
    Ok(bytes)
}

/// Reads at most `limit` bytes, so a huge (or endless, like /dev/zero) file costs nothing.
fn read_limited(path: &Path, limit: u64) -> std::result::Result<Vec<u8>, ReadError> {
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    read_at_most(file, limit)
}

/// Reads `compute.user_data_file` (when the document names one) relative to the spec's
/// folder. The path must stay inside that folder, so a spec from elsewhere cannot pull
/// e.g. `~/.ssh/id_rsa` into the generated module.
fn read_user_data_file(
    loaded: &LoadedSpec,
) -> std::result::Result<Option<(PathBuf, String)>, Diagnostic> {
    const POINTER: &str = "/compute/user_data_file";
    let Some(Value::String(relative)) = loaded.document.pointer(POINTER) else {
        return Ok(None); // absent, or a type error the schema reports
    };
    let at = loaded.positions.value(POINTER);
    let problem = |message: String, hint: &str| Diagnostic {
        file: loaded.path.display().to_string(),
        line: at.line,
        column: at.column,
        message,
        hint: Some(hint.to_string()),
    };
    let inside_hint = "give a path relative to the spec's folder, without `..`";
    let relative_path = Path::new(relative);
    if relative.is_empty()
        || !relative_path
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(problem(
            format!("`{relative}` is not a path inside the spec's folder"),
            inside_hint,
        ));
    }
    let folder = match loaded.path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let target = folder.join(relative_path);
    // A symlink inside the folder may still point outside it: compare real paths.
    let (Ok(real_folder), Ok(real_target)) = (folder.canonicalize(), target.canonicalize()) else {
        return Err(problem(
            format!("user data file `{relative}` does not exist next to the spec"),
            "the path is relative to the folder of the spec file",
        ));
    };
    if !real_target.starts_with(&real_folder) {
        return Err(problem(
            format!("`{relative}` leads outside the spec's folder"),
            inside_hint,
        ));
    }
    let bytes = read_regular_limited(&real_target, MAX_USER_DATA_BYTES).map_err(|e| match e {
        ReadError::NotRegular => problem(
            format!(
                "user data file `{}` is not a regular file (a folder, FIFO or device)",
                target.display()
            ),
            "point user_data_file at a script file",
        ),
        ReadError::Io(e) => problem(
            format!("cannot read user data file `{}`: {e}", target.display()),
            "the path is relative to the folder of the spec file",
        ),
        ReadError::TooLarge => problem(
            format!(
                "user data file `{}` is larger than {} KiB, the EC2 limit",
                target.display(),
                MAX_USER_DATA_BYTES / 1024
            ),
            "download a larger script from S3 in a short user data script",
        ),
    })?;
    let text = String::from_utf8(bytes).map_err(|_| {
        problem(
            format!("user data file `{}` is not UTF-8 text", target.display()),
            "user data must be a text script",
        )
    })?;
    Ok(Some((target, text)))
}

/// Reads a spec file as [`load`] does (at most [`MAX_FILE_BYTES`]); `None` when it cannot.
pub(crate) fn read_spec_bytes(path: &Path) -> Option<Vec<u8>> {
    read_limited(path, MAX_FILE_BYTES).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_spec_with_user_data(dir: &Path, user_data_file: &str) -> LoadedSpec {
        let spec = dir.join("spec.yaml");
        std::fs::write(
            &spec,
            format!("name: shop\ncompute:\n  user_data_file: {user_data_file}\n"),
        )
        .unwrap();
        load(&spec).unwrap()
    }

    #[cfg(unix)] // symlinks
    #[test]
    fn user_data_file_is_read_from_the_spec_folder_only() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("boot.sh"), "#!/bin/sh\necho hi\n").unwrap();
        let loaded = load_spec_with_user_data(dir.path(), "./boot.sh");
        assert_eq!(loaded.diagnostics, []);
        assert_eq!(
            loaded.user_data_file_contents.as_deref(),
            Some("#!/bin/sh\necho hi\n")
        );

        for outside in ["/etc/hostname", "../boot.sh", "sub/../../boot.sh"] {
            let loaded = load_spec_with_user_data(dir.path(), outside);
            assert_eq!(loaded.user_data_file_contents, None);
            let d = &loaded.diagnostics[0];
            assert_eq!((d.line, d.column), (3, 19), "{outside}");
            assert!(d.message.contains("not a path inside"), "{}", d.message);
        }

        // A symlink inside the folder that leads out of it is refused too.
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "key").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), dir.path().join("link.sh"))
            .unwrap();
        let loaded = load_spec_with_user_data(dir.path(), "link.sh");
        assert_eq!(loaded.user_data_file_contents, None);
        assert!(loaded.diagnostics[0].message.contains("leads outside"));
    }
}
