//! Write stage: put rendered files on disk, safely.
//!
//! Everything is rendered in memory before this stage runs. The promises, tested in
//! `tests/it/write_safety.rs` and described in `docs/writes.md`:
//!
//! - **Only hagen's files.** hagen recognises its own files by [`GENERATED_MARKER`] in
//!   their header: only such files are ever overwritten or deleted; the write is refused
//!   before anything changes if a user file is in the way. Unchanged files are not
//!   rewritten, so their modification time stays (build tools and `make` rely on that).
//! - **One writer at a time.** `render` holds an exclusive `flock` on `.hagen/lock` inside
//!   the output folder while it writes (a second render waits, saying so); `check` holds
//!   a shared one while it reads, so it never sees a write half done.
//! - **Old or new, never mixed.** Changed files and copies of the files they replace are
//!   staged in `.hagen/tx-*` inside the output folder (same file system, so every rename
//!   is atomic, also when the output folder is a mount point), flushed to disk, and only
//!   then is a commit record (`.hagen/journal`) written. Before that record exists the
//!   output is untouched; once it exists, the write is finished by whichever hagen run
//!   comes next (every `render` first rolls a committed write forward, or discards an
//!   uncommitted one; `check` reports it as drift). An error part-way through the renames
//!   restores the old files from the copies.
//! - **A first render appears in one step.** An output folder that does not exist yet is
//!   built beside its future name, flushed, and renamed into place without replacing
//!   anything ([`write_new_folder`]): absent or complete, never partial.
//! - **No symlink is followed inside the output folder.** Every operation is relative to
//!   the opened output folder ([`fsx::DirFd`]) with `O_NOFOLLOW`, so a folder swapped for
//!   a symlink mid-run makes the write fail and roll back rather than reach outside.

mod fsx;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::render::{GENERATED_MARKER, Rendered};
pub use fsx::fault;
use fsx::{DirFd, Kind, split};

/// How many leading lines may hold the marker: a shebang, then the two header lines.
const MARKER_LINES: usize = 4;
/// Bytes read from a file to decide whether hagen generated it.
const HEAD_BYTES: usize = 1024;

/// hagen's own folder inside the output folder: the lock, the commit record and the
/// staging folders. Never scanned as output (dot-folders are not).
pub const META_DIR: &str = ".hagen";
const LOCK_FILE: &str = "lock";
const JOURNAL: &str = "journal";
const JOURNAL_TMP: &str = "journal.tmp";
/// The suffix of a record [`write_meta_file`] is writing.
const META_TMP_SUFFIX: &str = ".record-tmp";
const TX_PREFIX: &str = "tx-";
const GITIGNORE: &str = ".gitignore";
const GITIGNORE_TEXT: &[u8] = b"# hagen's lock and staging area: not output.\n*\n";

/// What a write did, by relative path.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WriteSummary {
    /// New or changed files.
    pub written: Vec<String>,
    /// Files whose content was already up to date (left untouched).
    pub unchanged: Vec<String>,
    /// Generated files from an earlier render that are no longer produced.
    pub removed: Vec<String>,
    /// What this run did first about an earlier, interrupted write.
    pub recovered: Option<Recovery>,
}

/// What a run found of an earlier run that was interrupted (killed, crashed, power loss).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// It had committed: its write was finished.
    RolledForward,
    /// It had failed part-way and was restoring the old files: that was finished.
    RolledBack,
    /// It had not committed: its staged files were discarded (the output was untouched).
    Discarded,
}

impl Recovery {
    pub fn describe(self) -> &'static str {
        match self {
            Recovery::RolledForward => "finished the write of an interrupted earlier render",
            Recovery::RolledBack => "restored the files of an earlier render that failed part-way",
            Recovery::Discarded => "discarded the staged files of an interrupted earlier render",
        }
    }
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

/// Scans the opened output folder. Dot-folders such as `.terraform/` (provider
/// binaries, hundreds of megabytes), `.git/` and hagen's own `.hagen/` are never entered:
/// hagen writes no output there.
fn scan(out: &Output) -> Result<Existing> {
    let mut existing = Existing::default();
    scan_dir(out, &out.root, "", &mut existing)?;
    Ok(existing)
}

fn scan_dir(out: &Output, dir: &DirFd, prefix: &str, existing: &mut Existing) -> Result<()> {
    let entries = dir.entries().map_err(|e| out.error(prefix, e))?;
    for (name, kind) in entries {
        let Some(name) = name.to_str().map(str::to_string) else {
            // Not UTF-8: hagen never generates such a name, so it is the user's.
            continue;
        };
        let rel = format!("{prefix}{name}");
        match kind {
            Kind::Dir => {
                if !name.starts_with('.') {
                    let sub = dir.open_dir(&name).map_err(|e| out.error(&rel, e))?;
                    scan_dir(out, &sub, &format!("{rel}/"), existing)?;
                }
                existing.dirs.insert(rel);
            }
            Kind::File => match read_if_generated(dir, &name).map_err(|e| out.error(&rel, e))? {
                Some(text) => {
                    existing.generated.insert(rel, text);
                }
                None => {
                    existing.foreign.insert(rel);
                }
            },
            // Symlinks and special files are never followed, replaced or deleted.
            Kind::Other => {
                existing.foreign.insert(rel);
            }
        }
    }
    Ok(())
}

/// The whole text of a file hagen generated; `None` for any other file (reading only its
/// first bytes, so a large user file costs nothing; a FIFO or symlink is not opened).
fn read_if_generated(dir: &DirFd, name: &str) -> std::io::Result<Option<String>> {
    let Some(mut file) = dir.open_regular(name)? else {
        return Ok(None);
    };
    let mut head = vec![0; HEAD_BYTES];
    let mut filled = 0;
    while filled < HEAD_BYTES {
        let n = file.read(&mut head[filled..])?;
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
    file.read_to_end(&mut rest)?;
    head.extend(rest);
    // A generated file that is no longer UTF-8 was edited by something else: keep it.
    Ok(String::from_utf8(head).ok())
}

/// The output folder as the user named it, with a trailing `/` or `/.` dropped, so
/// `infra/` and `infra/.` are held to the same symlink rule as `infra`.
fn normalize(out_dir: &Path) -> PathBuf {
    let normal: PathBuf = out_dir.components().collect();
    if normal.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        normal
    }
}

/// An opened output folder.
struct Output {
    /// As the user named it, for messages.
    path: PathBuf,
    root: DirFd,
}

impl Output {
    /// Opens the output folder after checking it against the symlink rule; creates it
    /// (and its parents) when `create`. `None` when it does not exist and not `create`.
    fn open(out_dir: &Path, create: bool) -> Result<Option<Self>> {
        let normal = normalize(out_dir);
        check_output_dir(&normal)?;
        let root = match DirFd::open_path(&normal) {
            Ok(root) => root,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                std::fs::create_dir_all(&normal).map_err(|e| Error::io(out_dir, e))?;
                // Created just now: the rule holds (it is a real folder).
                DirFd::open_path(&normal).map_err(|e| Error::io(out_dir, e))?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(out_dir, e)),
        };
        Ok(Some(Self {
            path: out_dir.to_path_buf(),
            root,
        }))
    }

    /// An error about `rel` inside the output folder, named as the user knows it.
    fn error(&self, rel: &str, e: std::io::Error) -> Error {
        if rel.is_empty() {
            Error::io(&self.path, e)
        } else {
            Error::io(self.path.join(rel.trim_end_matches('/')), e)
        }
    }
}

/// Refuses output paths hagen must not write into: an existing non-folder, or a symlink
/// whose target is outside the folder that holds the link (`-o infra` must not write to
/// `/etc` through a planted link).
pub fn check_output_dir(out_dir: &Path) -> Result<()> {
    let out_dir = &normalize(out_dir);
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

/// The commit record: what a write changes, written (and flushed) once everything is
/// staged. Its presence is the commit point.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Journal {
    version: u32,
    state: JournalState,
    /// The staging folder in `.hagen/`: new files under `new/`, copies of the files they
    /// replace or remove under `old/`.
    staging: String,
    /// Files renamed from `new/` into the output.
    put: Vec<String>,
    /// Files (replaced or removed) whose old content is in `old/`.
    backup: Vec<String>,
    /// Stale generated files removed from the output.
    remove: Vec<String>,
    /// Folders the write creates in the output (removed again by a rollback if empty).
    dirs: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum JournalState {
    /// Staging is complete: finish the write.
    Commit,
    /// The write failed part-way: restore the old files.
    Rollback,
}

impl Journal {
    /// A record hagen did not write (hand-edited, or from a newer hagen) is refused
    /// rather than acted on.
    fn is_sane(&self) -> bool {
        let plain = |p: &String| check_relative(p).is_ok();
        self.version == 1
            && self.staging.starts_with(TX_PREFIX)
            && !self.staging.contains('/')
            && self.put.iter().all(plain)
            && self.backup.iter().all(plain)
            && self.remove.iter().all(plain)
            && self.dirs.iter().all(plain)
    }
}

/// An exclusive or shared `flock` on `.hagen/lock`, released when dropped (and by the
/// kernel when the process dies, so a killed run never leaves a stale lock).
struct Lock {
    _fd: OwnedFd,
}

/// Opens `.hagen/` (creating it, with a `.gitignore` so it is never committed) and
/// takes the exclusive lock, waiting for another writer with a message.
fn lock_exclusive(out: &Output, notify: &mut dyn FnMut(&str)) -> Result<(DirFd, Lock)> {
    let meta_err = |e: std::io::Error| out.error(META_DIR, explain_meta(e));
    let meta = out.root.ensure_dir(META_DIR).map_err(meta_err)?;
    if meta.kind(GITIGNORE).map_err(meta_err)?.is_none() {
        match meta.create_file(GITIGNORE, GITIGNORE_TEXT) {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(meta_err(e)),
            _ => {}
        }
    }
    let fd = meta.open_lock_file(LOCK_FILE, true).map_err(meta_err)?;
    if !DirFd::try_lock(&fd, true).map_err(meta_err)? {
        notify(&format!(
            "waiting for another hagen run to finish with {} ...",
            out.path.display()
        ));
        DirFd::lock(&fd, true).map_err(meta_err)?;
    }
    Ok((meta, Lock { _fd: fd }))
}

fn explain_meta(e: std::io::Error) -> std::io::Error {
    if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error())
        || e.raw_os_error() == Some(rustix::io::Errno::NOTDIR.raw_os_error())
    {
        std::io::Error::other(
            "is not a folder (a symlink or a file?); hagen keeps its lock and staging area \
             there and never follows a link: remove it",
        )
    } else {
        e
    }
}

/// Takes the shared lock when `.hagen/lock` exists; `None` when it does not (no render
/// of this hagen version has written here yet) or cannot be opened (read-only media).
fn lock_shared(out: &Output, notify: &mut dyn FnMut(&str)) -> Result<Option<Lock>> {
    let Ok(meta) = out.root.open_dir(META_DIR) else {
        return Ok(None);
    };
    let Ok(fd) = meta.open_lock_file(LOCK_FILE, false) else {
        return Ok(None);
    };
    let meta_err = |e: std::io::Error| out.error(META_DIR, e);
    if !DirFd::try_lock(&fd, false).map_err(meta_err)? {
        notify(&format!(
            "waiting for a hagen render into {} to finish ...",
            out.path.display()
        ));
        DirFd::lock(&fd, false).map_err(meta_err)?;
    }
    Ok(Some(Lock { _fd: fd }))
}

/// Writes the record atomically: to a temporary name, flushed, renamed into place, and
/// the folder flushed.
fn write_journal(meta: &DirFd, journal: &Journal) -> std::io::Result<()> {
    let json = serde_json::to_vec(journal).map_err(std::io::Error::other)?;
    meta.remove_tree(JOURNAL_TMP)?;
    meta.create_file(JOURNAL_TMP, &json)?;
    meta.rename(JOURNAL_TMP, meta, JOURNAL)?;
    meta.sync()
}

/// Finishes or undoes what an earlier, interrupted run left, and removes staging
/// folders of killed runs. Runs under the exclusive lock, before anything else.
fn recover(out: &Output, meta: &DirFd) -> Result<Option<Recovery>> {
    let journal_path = || format!("{META_DIR}/{JOURNAL}");
    let io = |e: std::io::Error| out.error(&journal_path(), e);
    let mut recovery = None;
    if meta.kind(JOURNAL_TMP).map_err(io)?.is_some() {
        // An uncommitted record: the write it belonged to never started.
        meta.unlink(JOURNAL_TMP).map_err(io)?;
    }
    if let Some(bytes) = meta.read(JOURNAL).map_err(io)? {
        let journal = serde_json::from_slice::<Journal>(&bytes)
            .ok()
            .filter(Journal::is_sane)
            .ok_or_else(|| {
                io(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "is not a commit record this hagen wrote; the output folder may be half \
                     written: check it, then delete the record and render again",
                ))
            })?;
        recovery = Some(match journal.state {
            JournalState::Commit => match apply(&out.root, meta, &journal) {
                Ok(()) => Recovery::RolledForward,
                Err((rel, e)) => {
                    // Cannot finish it (a read-only subfolder now?): restore the old
                    // output instead, and say why.
                    rollback(&out.root, meta, &journal).map_err(|(_, e)| out.error(&rel, e))?;
                    finish(meta, &journal).map_err(io)?;
                    return Err(out.error(
                        &rel,
                        std::io::Error::new(
                            e.kind(),
                            format!(
                                "{e} (while finishing an interrupted earlier render; its \
                                 previous output was restored)"
                            ),
                        ),
                    ));
                }
            },
            JournalState::Rollback => {
                rollback(&out.root, meta, &journal).map_err(|(rel, e)| out.error(&rel, e))?;
                Recovery::RolledBack
            }
        });
        finish(meta, &journal).map_err(io)?;
    }
    for (name, _) in meta.entries().map_err(io)? {
        if let Some(name) = name.to_str().filter(|n| n.starts_with(TX_PREFIX)) {
            meta.remove_tree(name).map_err(io)?;
            recovery.get_or_insert(Recovery::Discarded);
        } else if let Some(name) = name.to_str().filter(|n| n.ends_with(META_TMP_SUFFIX)) {
            // A record a killed run was writing ([`write_meta_file`]): only a cache.
            meta.remove_tree(name).map_err(io)?;
        }
    }
    Ok(recovery)
}

/// Removes the record (the write is done) and then its staging folder; a staging folder
/// that cannot be removed now is removed by the next run.
fn finish(meta: &DirFd, journal: &Journal) -> std::io::Result<()> {
    meta.unlink(JOURNAL)?;
    meta.sync()?;
    let _ = meta.remove_tree(&journal.staging);
    Ok(())
}

/// A failed file operation: the relative path it was about, and the error.
type StepError = (String, std::io::Error);

fn at(rel: &str) -> impl Fn(std::io::Error) -> StepError + '_ {
    move |e| (rel.to_string(), e)
}

fn not_found(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::NotFound
}

/// Rolls a committed write forward. Every step can be repeated: a file already moved
/// out of `new/` is done, a stale file already gone is done.
fn apply(root: &DirFd, meta: &DirFd, journal: &Journal) -> std::result::Result<(), StepError> {
    let tx = meta.open_dir(&journal.staging).map_err(at(META_DIR))?;
    let new = tx.open_dir("new").map_err(at(META_DIR))?;
    let mut touched = BTreeMap::new();
    for rel in &journal.put {
        let (folder, name) = split(rel);
        let from = match new.open_rel(folder) {
            Ok(dir) => dir,
            Err(e) if not_found(&e) => continue,
            Err(e) => return Err((rel.clone(), e)),
        };
        if from.kind(name).map_err(at(rel))?.is_none() {
            continue; // already renamed into place
        }
        let to = root.ensure_rel(folder).map_err(at(rel))?;
        from.rename(name, &to, name).map_err(at(rel))?;
        touched.insert(folder.to_string(), to);
    }
    for (folder, dir) in &touched {
        dir.sync().map_err(at(folder))?;
    }
    for rel in &journal.remove {
        let (folder, name) = split(rel);
        let dir = match root.open_rel(folder) {
            Ok(dir) => dir,
            Err(e) if not_found(&e) => continue,
            Err(e) => return Err((rel.clone(), e)),
        };
        // Re-checked right before: only a regular file that still carries the header.
        let still_ours = dir
            .read(name)
            .map_err(at(rel))?
            .is_some_and(|bytes| is_generated(&String::from_utf8_lossy(&bytes)));
        if still_ours {
            match dir.unlink(name) {
                Err(e) if !not_found(&e) => return Err((rel.clone(), e)),
                _ => {}
            }
            dir.sync().map_err(at(rel))?;
        }
        prune_empty_parents(root, folder);
    }
    root.sync().map_err(at(""))
}

/// Undoes a write that failed part-way, from the copies in `old/`. Every step can be
/// repeated, so a rollback interrupted in turn is finished by the next run.
fn rollback(root: &DirFd, meta: &DirFd, journal: &Journal) -> std::result::Result<(), StepError> {
    if journal.state != JournalState::Rollback {
        let mut marked = journal.clone();
        marked.state = JournalState::Rollback;
        write_journal(meta, &marked).map_err(at(META_DIR))?;
    }
    let tx = meta.open_dir(&journal.staging).map_err(at(META_DIR))?;
    let new = tx.open_dir("new").map_err(at(META_DIR))?;
    let old = tx.open_dir("old").map_err(at(META_DIR))?;
    let has = |base: &DirFd, rel: &str| -> std::result::Result<bool, StepError> {
        let (folder, name) = split(rel);
        match base.open_rel(folder) {
            Ok(dir) => Ok(dir.kind(name).map_err(at(rel))?.is_some()),
            Err(e) if not_found(&e) => Ok(false),
            Err(e) => Err((rel.to_string(), e)),
        }
    };
    let restore = |rel: &str| -> std::result::Result<(), StepError> {
        let (folder, name) = split(rel);
        let from = old.open_rel(folder).map_err(at(rel))?;
        let to = root.ensure_rel(folder).map_err(at(rel))?;
        from.rename(name, &to, name).map_err(at(rel))?;
        to.sync().map_err(at(rel))
    };
    for rel in journal.put.iter().rev() {
        if has(&new, rel)? {
            continue; // never moved in
        }
        if has(&old, rel)? {
            restore(rel)?;
        } else if !journal.backup.contains(rel) {
            // A file this write added: remove it again.
            let (folder, name) = split(rel);
            if let Ok(dir) = root.open_rel(folder) {
                match dir.unlink(name) {
                    Err(e) if !not_found(&e) => return Err((rel.clone(), e)),
                    _ => {}
                }
            }
        }
    }
    for rel in &journal.remove {
        if has(&old, rel)? && !has(root, rel)? {
            restore(rel)?;
        }
    }
    let mut created: Vec<&String> = journal.dirs.iter().collect();
    created.sort_by_key(|d| std::cmp::Reverse(d.matches('/').count()));
    for dir in created {
        let (folder, name) = split(dir);
        if let Ok(parent) = root.open_rel(folder) {
            let _ = parent.rmdir(name); // only if empty
        }
    }
    root.sync().map_err(at(""))
}

/// Removes the folders a stale file leaves empty, up to (not including) the output
/// folder.
fn prune_empty_parents(root: &DirFd, folder: &str) {
    let mut current = folder;
    while !current.is_empty() {
        let (parent, name) = split(current);
        let Ok(dir) = root.open_rel(parent) else {
            break;
        };
        // Fails (and stops) on the first folder that still holds something.
        if dir.rmdir(name).is_err() {
            break;
        }
        current = parent;
    }
}

/// Creates a fresh staging folder `.hagen/tx-PID-N`.
fn create_staging(meta: &DirFd) -> std::io::Result<(String, DirFd)> {
    for attempt in 0..100 {
        let name = format!("{TX_PREFIX}{}-{attempt}", std::process::id());
        match meta.mkdir_new(&name) {
            Ok(()) => return Ok((name.clone(), meta.open_dir(&name)?)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("could not create a staging folder"))
}

/// Stages `files` under `base`. On Linux the caller flushes the whole staging area with
/// one `syncfs` before the commit point; elsewhere every file and folder is flushed here.
fn stage<'a>(
    base: &DirFd,
    files: impl Iterator<Item = (&'a str, &'a str)>,
) -> std::result::Result<(), StepError> {
    let mut folders: BTreeMap<&str, DirFd> = BTreeMap::new();
    for (rel, text) in files {
        let (folder, name) = split(rel);
        if !folders.contains_key(folder) {
            folders.insert(folder, base.ensure_rel(folder).map_err(at(rel))?);
        }
        let dir = &folders[folder];
        if DirFd::FLUSH_TOGETHER {
            dir.create_file_unflushed(name, text.as_bytes())
        } else {
            dir.create_file(name, text.as_bytes())
        }
        .map_err(at(rel))?;
    }
    if DirFd::FLUSH_TOGETHER {
        return Ok(());
    }
    for (folder, dir) in folders.iter().rev() {
        dir.sync().map_err(at(folder))?;
    }
    base.sync().map_err(at(""))
}

/// Stages, commits and applies the plan; on an error part-way, restores the old files.
fn commit(out: &Output, meta: &DirFd, plan: &Plan<'_>, existing: &Existing) -> Result<()> {
    let staging_err = |(rel, e): StepError| out.error(&rel, e);
    let (staging, tx) = create_staging(meta).map_err(|e| out.error(META_DIR, e))?;
    let backup: Vec<&str> = plan
        .write
        .iter()
        .map(|(rel, _)| *rel)
        .filter(|rel| existing.generated.contains_key(*rel))
        .chain(plan.stale.iter().map(String::as_str))
        .collect();
    let mut dirs = BTreeSet::new();
    for (rel, _) in &plan.write {
        let mut folder = split(rel).0;
        while !folder.is_empty() && !existing.dirs.contains(folder) {
            dirs.insert(folder.to_string());
            folder = split(folder).0;
        }
    }
    let journal = Journal {
        version: 1,
        state: JournalState::Commit,
        staging: staging.clone(),
        put: plan.write.iter().map(|(rel, _)| rel.to_string()).collect(),
        backup: backup.iter().map(|rel| rel.to_string()).collect(),
        remove: plan.stale.clone(),
        dirs: dirs.into_iter().collect(),
    };
    let staged = (|| {
        let new = tx.ensure_dir("new").map_err(at(META_DIR))?;
        let old = tx.ensure_dir("old").map_err(at(META_DIR))?;
        stage(&new, plan.write.iter().copied())?;
        stage(
            &old,
            backup
                .iter()
                .map(|rel| (*rel, existing.generated[*rel].as_str())),
        )?;
        // Every staged file and folder on disk before the commit point.
        tx.sync_file_system().map_err(at(META_DIR))?;
        // The commit point.
        write_journal(meta, &journal).map_err(at(META_DIR))
    })();
    if let Err(err) = staged {
        // Nothing in the output changed; a crash here is cleaned up by the next run.
        let _ = meta.remove_tree(JOURNAL_TMP);
        let _ = meta.remove_tree(&staging);
        return Err(staging_err(err));
    }
    if let Err((rel, e)) = apply(&out.root, meta, &journal) {
        return Err(match rollback(&out.root, meta, &journal) {
            Ok(()) => {
                let _ = finish(meta, &journal);
                out.error(
                    &rel,
                    std::io::Error::new(
                        e.kind(),
                        format!("{e} (the previous output was restored)"),
                    ),
                )
            }
            Err((_, again)) => out.error(
                &rel,
                std::io::Error::new(
                    e.kind(),
                    format!(
                        "{e}; restoring the previous output failed too ({again}): the next \
                         `hagen render` finishes restoring it"
                    ),
                ),
            ),
        });
    }
    finish(meta, &journal).map_err(|e| out.error(META_DIR, e))
}

/// The name of a folder built beside the output folder `base` ([`write_new_folder`]).
/// hagen versions before the commit record staged every write under such a name.
fn sibling_staging(base: &str, attempt: u32) -> String {
    format!(
        "{}{}-{attempt}",
        sibling_staging_prefix(base),
        std::process::id()
    )
}

fn sibling_staging_prefix(base: &str) -> String {
    format!(".{base}.hagen-staging-")
}

/// Removes folders that killed runs were building beside the output
/// (`.NAME.hagen-staging-PID-N`, [`write_new_folder`]), if their process is gone.
fn remove_dead_sibling_staging(out_dir: &Path) {
    let normal = normalize(out_dir);
    let Some(base) = normal.file_name().and_then(|n| n.to_str()) else {
        return;
    };
    let prefix = sibling_staging_prefix(base);
    let parent = parent_of(&normal);
    let Ok(entries) = std::fs::read_dir(&parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        let gone = Path::new("/proc/self").exists() && !Path::new(&format!("/proc/{pid}")).exists();
        if gone && entry.file_type().is_ok_and(|t| t.is_dir()) {
            // std's remove_dir_all does not follow symlinks (CVE-2022-21658 fix).
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Writes `rendered` into `out_dir`: refuses to touch files hagen did not generate,
/// leaves unchanged files alone, removes stale generated files, and commits the change
/// so that the folder is always either the old output or the new one.
pub fn write(rendered: &Rendered, out_dir: &Path) -> Result<WriteSummary> {
    write_with(rendered, out_dir, &mut |_| {})
}

/// [`write`], telling `notify` when it has to wait for another hagen run.
pub fn write_with(
    rendered: &Rendered,
    out_dir: &Path,
    notify: &mut dyn FnMut(&str),
) -> Result<WriteSummary> {
    write_with_meta(rendered, out_dir, None, None, notify)
}

/// [`write_with`], then `meta` `(name, bytes)` into `.hagen/` as [`write_meta_file`]
/// writes it (best effort: a failure there is no error). A first render puts it in the
/// folder it builds, so it appears with the files, in the same rename: in `staged`
/// when the render began it ([`NewFolder::stage`]).
pub fn write_with_meta(
    rendered: &Rendered,
    out_dir: &Path,
    meta: Option<(&str, &[u8])>,
    staged: Option<NewFolder>,
    notify: &mut dyn FnMut(&str),
) -> Result<WriteSummary> {
    for path in rendered.keys() {
        check_relative(path)?;
    }
    let written = match staged {
        Some(folder) => folder.finish(rendered, meta),
        None => write_new_folder(rendered, out_dir, meta),
    };
    if let Some(written) = written {
        return written;
    }
    let summary = write_existing(rendered, out_dir, notify)?;
    if let Some((name, bytes)) = meta {
        let _ = write_meta_file(out_dir, name, bytes);
    }
    Ok(summary)
}

/// [`write_with`] into a folder that may exist: the journaled write.
fn write_existing(
    rendered: &Rendered,
    out_dir: &Path,
    notify: &mut dyn FnMut(&str),
) -> Result<WriteSummary> {
    let out = Output::open(out_dir, true)?.expect("created");
    let (meta, _lock) = match lock_exclusive(&out, notify) {
        Ok(locked) => locked,
        // A read-only folder (read-only media, someone else's checkout) that is already
        // up to date is a success, as it always was: nothing needs writing.
        Err(err) if read_only(&err) => {
            let snapshot = read_output(out_dir, notify)?;
            let plan = plan(rendered, out_dir, &snapshot.existing)?;
            if plan.write.is_empty() && plan.stale.is_empty() && !snapshot.interrupted {
                return Ok(WriteSummary {
                    unchanged: plan.unchanged,
                    ..WriteSummary::default()
                });
            }
            return Err(err);
        }
        Err(err) => return Err(err),
    };
    let recovered = recover(&out, &meta)?;
    remove_dead_sibling_staging(out_dir);
    let existing = scan(&out)?;
    let plan = plan(rendered, out_dir, &existing)?;
    let summary = WriteSummary {
        written: plan.write.iter().map(|(p, _)| p.to_string()).collect(),
        unchanged: plan.unchanged.clone(),
        removed: plan.stale.clone(),
        recovered,
    };
    if !plan.write.is_empty() || !plan.stale.is_empty() {
        commit(&out, &meta, &plan, &existing)?;
    }
    Ok(summary)
}

/// The first render into a folder that does not exist yet builds the whole folder
/// beside it (`.NAME.hagen-staging-PID-N`, in the same parent and so on the same file
/// system), flushes it, and renames it into place in one step that never replaces
/// anything (`RENAME_NOREPLACE`): the folder is absent or complete, with no commit
/// record, lock or second rename per file. A killed run leaves only the folder beside it,
/// which the next render removes. `None` when this does not apply (the folder exists, its
/// parent does not, not Linux) or did not work before the rename (another run created the
/// folder meanwhile, the file system cannot rename without replacing, any error): the
/// caller then writes the usual way, which also reports any error under the user's own
/// path. An error flushing the parent after the rename is this write's own error.
fn write_new_folder(
    rendered: &Rendered,
    out_dir: &Path,
    meta_file: Option<(&str, &[u8])>,
) -> Option<Result<WriteSummary>> {
    NewFolder::begin(out_dir)?.finish(rendered, meta_file)
}

/// A first render's folder while it is built beside its future name
/// ([`write_new_folder`]). A render can [`stage`](Self::stage) each file as soon as it is
/// made, on whichever core made it ([`crate::render_spec_staging`]); [`write_with_meta`]
/// then adds the rest and renames the folder into place. Dropped unfinished, it removes
/// what it built.
pub struct NewFolder {
    /// The output folder, normalized.
    normal: PathBuf,
    parent: DirFd,
    /// The output folder's name in `parent`.
    base: String,
    /// The staging folder's name in `parent`.
    staging: String,
    root: DirFd,
    /// The folders made in it so far, by relative path.
    folders: Mutex<BTreeMap<String, Arc<DirFd>>>,
    /// The files staged so far, by relative path.
    staged: Mutex<BTreeMap<String, String>>,
    /// Set when staging a file failed: the folder is given up.
    failed: AtomicBool,
    renamed: bool,
}

impl NewFolder {
    /// Whether a render into `out_dir` is a first one, that builds the folder beside it:
    /// the folder does not exist, on Linux.
    pub fn applies(out_dir: &Path) -> bool {
        // Elsewhere every staged file needs its own flush: no gain.
        DirFd::FLUSH_TOGETHER
            && matches!(std::fs::symlink_metadata(normalize(out_dir)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound)
    }

    /// The staging folder beside `out_dir`, with `.hagen/` as a usual render leaves it
    /// (its `.gitignore` and the lock file). `None` when a first render does not apply
    /// or the folder could not be made ([`write_new_folder`]).
    pub fn begin(out_dir: &Path) -> Option<Self> {
        if !Self::applies(out_dir) {
            return None;
        }
        let normal = normalize(out_dir);
        let base = normal.file_name()?.to_str()?.to_string();
        let parent = DirFd::open_path(&parent_of(&normal)).ok()?;
        remove_dead_sibling_staging(out_dir);
        let staging = (0..100)
            .map(|attempt| sibling_staging(&base, attempt))
            .find_map(|name| match parent.mkdir_new(&name) {
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => None,
                made => Some(made.map(|()| name)),
            })?
            .ok()?;
        let root = (|| -> std::io::Result<DirFd> {
            let root = parent.open_dir(&staging)?;
            root.mkdir_new(META_DIR)?;
            let meta = root.open_dir(META_DIR)?;
            meta.create_file_unflushed(GITIGNORE, GITIGNORE_TEXT)?;
            drop(meta.open_lock_file(LOCK_FILE, true)?);
            Ok(root)
        })();
        match root {
            Ok(root) => Some(Self {
                normal,
                parent,
                base,
                staging,
                root,
                folders: Mutex::default(),
                staged: Mutex::default(),
                failed: AtomicBool::new(false),
                renamed: false,
            }),
            Err(_) => {
                let _ = parent.remove_tree(&staging);
                None
            }
        }
    }

    /// Stages the file `rel` now, unflushed (the rename flushes everything at once). On
    /// any error, or for a path a write refuses, the folder is given up: the write then
    /// goes the usual way, which reports it.
    pub fn stage(&self, rel: &str, text: &str) {
        if self.failed.load(Ordering::Relaxed) {
            return;
        }
        if check_relative(rel).is_ok() && self.put(rel, text.as_bytes()).is_ok() {
            lock(&self.staged).insert(rel.to_string(), text.to_string());
        } else {
            self.failed.store(true, Ordering::Relaxed);
        }
    }

    /// A job that flushes the files staged so far to disk, for another thread to run
    /// while the render goes on: the flush in [`write_with_meta`] then has little left to
    /// do. Best effort: that flush is the one the rename waits for.
    pub fn flush_ahead(&self) -> Option<impl FnOnce() + Send + 'static> {
        let root = self.root.try_clone().ok()?;
        Some(move || {
            let _ = root.sync_file_system();
        })
    }

    /// Creates the file `rel`, and its folder when it is the first file there.
    fn put(&self, rel: &str, bytes: &[u8]) -> std::io::Result<()> {
        let (folder, name) = split(rel);
        let dir = {
            let mut folders = lock(&self.folders);
            match folders.get(folder) {
                Some(dir) => Arc::clone(dir),
                None => {
                    let dir = Arc::new(self.root.ensure_rel(folder)?);
                    folders.insert(folder.to_string(), Arc::clone(&dir));
                    dir
                }
            }
        };
        dir.create_file_unflushed(name, bytes)
    }

    /// Stages the files of `rendered` not staged yet and `meta_file` in `.hagen/`,
    /// flushes the file system, and renames the folder into place. `None` as
    /// [`write_new_folder`] says, and also when staging failed earlier or a file staged
    /// earlier is not in `rendered` as it was staged.
    fn finish(
        mut self,
        rendered: &Rendered,
        meta_file: Option<(&str, &[u8])>,
    ) -> Option<Result<WriteSummary>> {
        let staged = std::mem::take(&mut *lock(&self.staged));
        if self.failed.load(Ordering::Relaxed)
            || staged
                .iter()
                .any(|(rel, text)| rendered.get(rel) != Some(text))
        {
            return None;
        }
        let built = (|| -> std::io::Result<()> {
            if let Some((name, bytes)) = meta_file {
                self.put(&format!("{META_DIR}/{name}"), bytes)?;
            }
            for (rel, text) in rendered {
                if !staged.contains_key(rel) {
                    self.put(rel, text.as_bytes())?;
                }
            }
            // Every file and folder on disk before the folder appears under its name.
            self.root.sync_file_system()?;
            self.parent
                .rename_new(&self.staging, &self.parent, &self.base)
        })();
        built.ok()?;
        self.renamed = true;
        // The folder is in place and complete; only its new name may not be on disk yet.
        Some(match self.parent.sync() {
            Ok(()) => Ok(WriteSummary {
                written: rendered.keys().cloned().collect(),
                ..WriteSummary::default()
            }),
            Err(e) => Err(Error::io(parent_of(&self.normal), e)),
        })
    }
}

impl Drop for NewFolder {
    fn drop(&mut self) {
        if !self.renamed {
            let _ = self.parent.remove_tree(&self.staging);
        }
    }
}

/// The lock, even after a panic elsewhere.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn read_only(err: &Error) -> bool {
    matches!(err, Error::Io { source, .. }
        if source.kind() == std::io::ErrorKind::PermissionDenied
            || source.kind() == std::io::ErrorKind::ReadOnlyFilesystem)
}

/// Does what every render does first: under the exclusive lock, finishes or undoes an
/// interrupted earlier write and removes staging folders of killed runs. Nothing else
/// changes. A missing output folder is left missing.
pub fn recover_only(out_dir: &Path) -> Result<Option<Recovery>> {
    recover_with(out_dir, &mut |_| {})
}

/// [`recover_only`], telling `notify` when it has to wait for another hagen run.
pub fn recover_with(out_dir: &Path, notify: &mut dyn FnMut(&str)) -> Result<Option<Recovery>> {
    let Some(out) = Output::open(out_dir, false)? else {
        return Ok(None);
    };
    let (meta, _lock) = lock_exclusive(&out, notify)?;
    let recovered = recover(&out, &meta)?;
    remove_dead_sibling_staging(out_dir);
    Ok(recovered)
}

/// Writes `bytes` to `name` in the output folder's `.hagen/` (a temporary name, then a
/// rename, so a reader sees the old or the new file), for a record that only speeds a
/// later run up ([`crate::fingerprint`]): not flushed, not rewritten when unchanged, and
/// written only when `.hagen/` already exists, as a render leaves it. A temporary file a
/// killed run leaves is removed by the next render.
pub fn write_meta_file(out_dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let Some(out) = Output::open(out_dir, false)? else {
        return Ok(());
    };
    let meta = out
        .root
        .open_dir(META_DIR)
        .map_err(|e| out.error(META_DIR, e))?;
    // Unchanged: not rewritten, so a render that changes nothing touches nothing.
    if read_at_most(&meta, name, bytes.len() as u64).as_deref() == Some(bytes) {
        return Ok(());
    }
    let temporary = format!("{name}{META_TMP_SUFFIX}");
    let meta_err = |e| out.error(&format!("{META_DIR}/{name}"), e);
    meta.remove_tree(&temporary).map_err(meta_err)?;
    let written = meta
        .create_file_unflushed(&temporary, bytes)
        .and_then(|()| meta.rename(&temporary, &meta, name));
    if written.is_err() {
        let _ = meta.remove_tree(&temporary); // else the next render removes it
    }
    written.map_err(meta_err)
}

/// The regular file `name` in the output folder's `.hagen/`, if there is one of at most
/// `limit` bytes.
pub fn read_meta_file(out_dir: &Path, name: &str, limit: u64) -> Option<Vec<u8>> {
    let out = Output::open(out_dir, false).ok()??;
    read_at_most(&out.root.open_dir(META_DIR).ok()?, name, limit)
}

/// The regular file `name` in `dir` if it has at most `limit` bytes (more is not read).
fn read_at_most(dir: &DirFd, name: &str, limit: u64) -> Option<Vec<u8>> {
    use std::io::Read;
    let file = dir.open_regular(name).ok()??;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).ok()?;
    (bytes.len() as u64 <= limit).then_some(bytes)
}

/// What `check` reads: the output folder, seen under the shared lock.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub existing: Existing,
    /// An earlier render was interrupted and its write is not finished (the next
    /// `render` finishes or undoes it).
    pub interrupted: bool,
}

/// Reads the output folder for `check` under the shared lock (waiting for a render in
/// progress, telling `notify`); writes nothing.
pub fn read_output(out_dir: &Path, notify: &mut dyn FnMut(&str)) -> Result<Snapshot> {
    let Some(out) = Output::open(out_dir, false)? else {
        return Ok(Snapshot::default());
    };
    loop {
        let lock = lock_shared(&out, notify)?;
        let existing = scan(&out)?;
        let meta = out.root.open_dir(META_DIR).ok();
        let interrupted = match &meta {
            Some(meta) => meta
                .kind(JOURNAL)
                .map_err(|e| out.error(META_DIR, e))?
                .is_some(),
            None => false,
        };
        // Read without a lock because there was no lock file: if a render created one
        // meanwhile, it may have been writing; read again under the lock.
        let lock_appeared =
            lock.is_none() && meta.is_some_and(|m| m.kind(LOCK_FILE).is_ok_and(|k| k.is_some()));
        if !lock_appeared {
            return Ok(Snapshot {
                existing,
                interrupted,
            });
        }
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
