//! Write stage: put rendered files on disk, safely.
//!
//! Everything is rendered in memory before this stage runs. Here the output folder is
//! scanned, the whole write is planned (and refused if it would touch a file hagen did
//! not generate), changed files are staged in a temporary folder beside the target (same
//! filesystem, so `rename` is atomic) and only then renamed into place. Any failure
//! before the renames leaves the previous output exactly as it was.
//!
//! hagen recognises its own files by [`GENERATED_MARKER`] in their header: only such
//! files are ever overwritten or deleted. Files whose content did not change are not
//! rewritten, so their modification time stays (build tools and `make` rely on that).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::render::{GENERATED_MARKER, Rendered};

/// How many leading lines may hold the marker: a shebang, then the two header lines.
const MARKER_LINES: usize = 4;
/// Bytes read from a file to decide whether hagen generated it.
const HEAD_BYTES: usize = 1024;

/// What a write did, by relative path.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WriteSummary {
    /// New or changed files.
    pub written: Vec<String>,
    /// Files whose content was already up to date (left untouched).
    pub unchanged: Vec<String>,
    /// Generated files from an earlier render that are no longer produced.
    pub removed: Vec<String>,
}

/// Whether a file's text starts with hagen's generated-file header.
pub fn is_generated(text: &str) -> bool {
    text.lines()
        .take(MARKER_LINES)
        .any(|line| line.contains(GENERATED_MARKER))
}

/// The files found in an output folder.
#[derive(Debug, Default)]
pub struct Existing {
    /// Files hagen generated (they carry the marker): relative path -> content.
    pub generated: BTreeMap<String, String>,
    /// Everything else (user files, symlinks, special files): never overwritten or
    /// deleted.
    pub foreign: BTreeSet<String>,
    /// Real folders (not symlinks to folders).
    pub dirs: BTreeSet<String>,
}

/// Scans `out_dir` (which may not exist yet). Dot-folders such as `.terraform/` (provider
/// binaries, hundreds of megabytes) and `.git/` are never entered: hagen writes none.
pub fn scan(out_dir: &Path) -> Result<Existing> {
    let mut existing = Existing::default();
    match std::fs::symlink_metadata(out_dir) {
        Ok(_) => scan_dir(out_dir, "", &mut existing)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io(out_dir, e)),
    }
    Ok(existing)
}

fn scan_dir(dir: &Path, prefix: &str, existing: &mut Existing) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut entries = entries
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|e| Error::io(dir, e))?;
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            // Not UTF-8: hagen never generates such a name, so it is the user's.
            continue;
        };
        let rel = format!("{prefix}{name}");
        let path = entry.path();
        let file_type = entry.file_type().map_err(|e| Error::io(&path, e))?;
        if file_type.is_dir() {
            if !name.starts_with('.') {
                scan_dir(&path, &format!("{rel}/"), existing)?;
            }
            existing.dirs.insert(rel);
        } else if file_type.is_file() {
            match read_if_generated(&path)? {
                Some(text) => {
                    existing.generated.insert(rel, text);
                }
                None => {
                    existing.foreign.insert(rel);
                }
            }
        } else {
            // Symlinks and special files are never followed, replaced or deleted.
            existing.foreign.insert(rel);
        }
    }
    Ok(())
}

/// The whole text of a file hagen generated; `None` for any other file (reading only its
/// first bytes, so a large user file costs nothing).
fn read_if_generated(path: &Path) -> Result<Option<String>> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut head = vec![0; HEAD_BYTES];
    let mut filled = 0;
    while filled < HEAD_BYTES {
        let n = file
            .read(&mut head[filled..])
            .map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    head.truncate(filled);
    if !is_generated(&String::from_utf8_lossy(&head)) {
        return Ok(None);
    }
    let mut rest = Vec::new();
    file.read_to_end(&mut rest)
        .map_err(|e| Error::io(path, e))?;
    head.extend(rest);
    // A generated file that is no longer UTF-8 was edited by something else: keep it.
    Ok(String::from_utf8(head).ok())
}

/// Refuses output paths hagen must not write into: an existing non-folder, or a symlink
/// whose target is outside the folder that holds the link (`-o infra` must not write to
/// `/etc` through a planted link).
pub fn check_output_dir(out_dir: &Path) -> Result<()> {
    let meta = match std::fs::symlink_metadata(out_dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(out_dir, e)),
    };
    if meta.file_type().is_symlink() {
        let parent = parent_of(out_dir);
        let parent = parent.canonicalize().map_err(|e| Error::io(&parent, e))?;
        let target = out_dir.canonicalize().map_err(|e| Error::io(out_dir, e))?;
        if !target.starts_with(&parent) {
            return Err(Error::io(
                out_dir,
                std::io::Error::other(format!(
                    "output folder is a symlink to {}, outside {}; refusing to write through it",
                    target.display(),
                    parent.display()
                )),
            ));
        }
        if !target.is_dir() {
            return Err(not_a_dir(out_dir));
        }
    } else if !meta.is_dir() {
        return Err(not_a_dir(out_dir));
    }
    Ok(())
}

fn not_a_dir(path: &Path) -> Error {
    Error::io(
        path,
        std::io::Error::other("output path exists and is not a folder"),
    )
}

/// The folder holding `path` (`.` for a bare name).
fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Rendered paths come from template names; a user template dir could still produce an
/// odd one, and no path may leave the output folder.
fn check_relative(path: &str) -> Result<()> {
    let normal = !path.contains('\\')
        && path
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..");
    if normal {
        Ok(())
    } else {
        Err(Error::Internal(format!(
            "bug: rendered path {path:?} is not a plain relative path inside the output folder"
        )))
    }
}

/// The planned write: which files change, which are current, which are stale.
#[derive(Debug, Default)]
struct Plan<'a> {
    write: Vec<(&'a str, &'a str)>,
    unchanged: Vec<String>,
    stale: Vec<String>,
}

fn plan<'a>(rendered: &'a Rendered, out_dir: &Path, existing: &Existing) -> Result<Plan<'a>> {
    let mut plan = Plan::default();
    for (path, text) in rendered {
        check_relative(path)?;
        // Every folder on the way must be a folder (or not exist yet), and the file itself
        // must be absent or one hagen generated.
        let mut ancestor = String::new();
        for part in path.split('/').take(path.split('/').count() - 1) {
            ancestor.push_str(part);
            // A symlink here could lead the write out of the output folder.
            if existing.generated.contains_key(&ancestor) || existing.foreign.contains(&ancestor) {
                return Err(collision(
                    out_dir,
                    &ancestor,
                    "is in the way of a folder hagen writes into (a file or a symlink)",
                ));
            }
            ancestor.push('/');
        }
        match existing.generated.get(path) {
            Some(current) if current == text => plan.unchanged.push(path.clone()),
            Some(_) => plan.write.push((path, text)),
            None if existing.foreign.contains(path) || existing.dirs.contains(path) => {
                return Err(collision(
                    out_dir,
                    path,
                    "exists and was not generated by hagen (no \"Generated by hagen\" header); \
                     move it away or rename it, hagen never overwrites your files",
                ));
            }
            None => plan.write.push((path, text)),
        }
    }
    plan.stale = existing
        .generated
        .keys()
        .filter(|path| !rendered.contains_key(*path))
        .cloned()
        .collect();
    Ok(plan)
}

fn collision(out_dir: &Path, rel: &str, why: &str) -> Error {
    Error::io(out_dir.join(rel), std::io::Error::other(why.to_string()))
}

/// A staging folder beside the output; removed when dropped, whatever happened.
struct Staging {
    path: PathBuf,
}

impl Staging {
    fn create(out_dir: &Path) -> Result<Self> {
        let parent = parent_of(out_dir);
        std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
        let base = out_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".into());
        for attempt in 0..100 {
            let path = parent.join(format!(
                ".{base}.hagen-staging-{}-{attempt}",
                std::process::id()
            ));
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(Self { path }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Error::io(&path, e)),
            }
        }
        Err(Error::io(
            &parent,
            std::io::Error::other("could not create a staging folder"),
        ))
    }

    fn put(&self, rel: &str, text: &str) -> Result<PathBuf> {
        let path = self.path.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        std::fs::write(&path, text).map_err(|e| Error::io(&path, e))?;
        Ok(path)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        // Best effort: after a successful write it is empty or already renamed away.
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Writes `rendered` into `out_dir`: refuses to touch files hagen did not generate,
/// leaves unchanged files alone, removes stale generated files, and stages everything
/// first so a failure leaves the previous output intact.
pub fn write(rendered: &Rendered, out_dir: &Path) -> Result<WriteSummary> {
    check_output_dir(out_dir)?;
    let existing = scan(out_dir)?;
    let plan = plan(rendered, out_dir, &existing)?;
    let summary = WriteSummary {
        written: plan.write.iter().map(|(p, _)| p.to_string()).collect(),
        unchanged: plan.unchanged.clone(),
        removed: plan.stale.clone(),
    };
    if plan.write.is_empty() && plan.stale.is_empty() && out_dir.exists() {
        return Ok(summary);
    }

    let staging = Staging::create(out_dir)?;
    let mut staged = Vec::with_capacity(plan.write.len());
    for (rel, text) in &plan.write {
        staged.push((*rel, staging.put(rel, text)?));
    }

    if !out_dir.exists() {
        // A fresh output folder appears in one rename, complete or not at all.
        std::fs::rename(&staging.path, out_dir).map_err(|e| Error::io(out_dir, e))?;
        return Ok(summary);
    }
    for (rel, from) in staged {
        let to = out_dir.join(rel);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        std::fs::rename(&from, &to).map_err(|e| Error::io(&to, e))?;
    }
    for rel in &plan.stale {
        let path = out_dir.join(rel);
        std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        prune_empty_parents(out_dir, rel);
    }
    Ok(summary)
}

/// Removes the folders a stale file leaves empty, up to (not including) `out_dir`.
fn prune_empty_parents(out_dir: &Path, rel: &str) {
    let mut current = Path::new(rel).parent();
    while let Some(dir) = current {
        if dir.as_os_str().is_empty() {
            break;
        }
        // Fails (and stops) on the first folder that still holds something.
        if std::fs::remove_dir(out_dir.join(dir)).is_err() {
            break;
        }
        current = dir.parent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(files: &[(&str, &str)]) -> Rendered {
        files
            .iter()
            .map(|(p, t)| {
                (
                    p.to_string(),
                    format!("# {GENERATED_MARKER} from s.yaml\n{t}"),
                )
            })
            .collect()
    }

    #[test]
    fn marker_only_counts_in_the_header() {
        assert!(is_generated("# Generated by hagen from a.yaml\nx\n"));
        assert!(is_generated(
            "#!/bin/sh\n# Generated by hagen from a.yaml\n"
        ));
        assert!(!is_generated("a\nb\nc\nd\n# Generated by hagen\n"));
    }

    #[test]
    fn a_failure_while_staging_leaves_the_previous_output_intact() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("infra");
        write(&rendered(&[("a.tf", "old\n"), ("b.tf", "old\n")]), &out).unwrap();
        // A NUL byte is not allowed in a file name: staging that file fails after
        // `a.tf` was already staged.
        let broken = rendered(&[("a.tf", "new\n"), ("b\0.tf", "x\n")]);
        let err = write(&broken, &out).unwrap_err();
        assert_eq!(err.exit_code(), crate::error::exit::IO);
        assert!(
            std::fs::read_to_string(out.join("a.tf"))
                .unwrap()
                .ends_with("old\n")
        );
        assert!(
            out.join("b.tf").exists(),
            "stale removal must not run either"
        );
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("infra")]);
    }

    #[test]
    fn paths_cannot_leave_the_output_folder() {
        let dir = tempfile::tempdir().unwrap();
        for bad in ["../x.tf", "/etc/x.tf", "a//b.tf", "./a.tf", ""] {
            let err = write(&rendered(&[(bad, "x\n")]), &dir.path().join("o")).unwrap_err();
            assert_eq!(err.exit_code(), crate::error::exit::INTERNAL, "{bad}");
        }
        assert!(!dir.path().join("x.tf").exists());
    }
}
