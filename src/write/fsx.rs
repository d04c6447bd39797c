//! File operations relative to an opened folder, never following a symlink.
//!
//! Every operation inside the output folder goes through [`DirFd`]: a folder is opened
//! once (`openat` with `O_DIRECTORY | O_NOFOLLOW`), and files in it are created, read,
//! renamed and removed by name relative to that descriptor (`openat`, `renameat`,
//! `unlinkat`). A folder swapped for a symlink while hagen runs therefore makes the
//! operation fail (`ELOOP`/`ENOTDIR`) instead of leading it outside the output folder;
//! `renameat` and `unlinkat` act on a final symlink itself, never on what it points to.
//!
//! Debug builds honour a fault-injection hook for the crash tests (see [`fault`]).

use std::ffi::{CStr, OsStr, OsString};
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use rustix::fs::{self as rfs, AtFlags, FileType, FlockOperation, Mode, OFlags};

/// The kind of a directory entry, read without following symlinks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    /// A symlink, FIFO, socket or device: never followed, opened, replaced or deleted.
    Other,
}

fn kind_of(file_type: FileType) -> Kind {
    match file_type {
        FileType::RegularFile => Kind::File,
        FileType::Directory => Kind::Dir,
        _ => Kind::Other,
    }
}

/// An open folder; all operations are relative to it and never follow a symlink.
#[derive(Debug)]
pub struct DirFd(OwnedFd);

const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

impl AsFd for DirFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

impl DirFd {
    /// Opens a folder by path (the caller has checked the path against hagen's symlink
    /// rule for the output folder; a symlink as the last component is followed here).
    pub fn open_path(path: &Path) -> io::Result<Self> {
        let fd = rfs::open(
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok(Self(fd))
    }

    /// Opens the sub-folder `name` (one component); a symlink there is an error.
    pub fn open_dir(&self, name: &str) -> io::Result<Self> {
        Ok(Self(rfs::openat(self, name, DIR_FLAGS, Mode::empty())?))
    }

    /// Opens the folder at relative path `rel` (`a/b`), component by component.
    pub fn open_rel(&self, rel: &str) -> io::Result<Self> {
        let mut dir = self.open_dir(".")?;
        for part in rel.split('/').filter(|p| !p.is_empty()) {
            dir = dir.open_dir(part)?;
        }
        Ok(dir)
    }

    /// Another descriptor of the same folder.
    pub fn try_clone(&self) -> io::Result<Self> {
        Ok(Self(self.0.try_clone()?))
    }

    /// Opens (creating when missing) the folder at relative path `rel`.
    pub fn ensure_rel(&self, rel: &str) -> io::Result<Self> {
        let mut dir = self.open_dir(".")?;
        for part in rel.split('/').filter(|p| !p.is_empty()) {
            dir = dir.ensure_dir(part)?;
        }
        Ok(dir)
    }

    /// Opens the sub-folder `name`, creating it when missing.
    pub fn ensure_dir(&self, name: &str) -> io::Result<Self> {
        match self.open_dir(name) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                self.mkdir(name)?;
                self.open_dir(name)
            }
            other => other,
        }
    }

    /// Creates the folder `name`; an existing one is fine.
    pub fn mkdir(&self, name: &str) -> io::Result<()> {
        match fault::op(|| Ok(rfs::mkdirat(self, name, Mode::from_raw_mode(0o777))?)) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
            other => other,
        }
    }

    /// Creates the folder `name`; an existing one is an error (`AlreadyExists`).
    pub fn mkdir_new(&self, name: &str) -> io::Result<()> {
        fault::op(|| Ok(rfs::mkdirat(self, name, Mode::from_raw_mode(0o777))?))
    }

    /// Creates a new file (never an existing one, never through a symlink) holding
    /// `bytes`, flushed to disk.
    pub fn create_file(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        self.create_file_then(name, bytes, true)
    }

    /// [`Self::create_file`] without the flush: for many files that one
    /// [`Self::sync_file_system`] flushes together.
    pub fn create_file_unflushed(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        self.create_file_then(name, bytes, false)
    }

    fn create_file_then(&self, name: &str, bytes: &[u8], flush: bool) -> io::Result<()> {
        fault::op(|| {
            let fd = rfs::openat(
                self,
                name,
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::from_raw_mode(0o666),
            )?;
            let mut file = std::fs::File::from(fd);
            file.write_all(bytes)?;
            if flush { file.sync_all() } else { Ok(()) }
        })
    }

    /// Opens `name` for reading only if it is a regular file (not a symlink, FIFO or
    /// device: `O_NONBLOCK` keeps a FIFO from blocking the open). `None` otherwise.
    pub fn open_regular(&self, name: &str) -> io::Result<Option<std::fs::File>> {
        let fd = match rfs::openat(
            self,
            name,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => fd,
            Err(rustix::io::Errno::LOOP) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        if kind_of(FileType::from_raw_mode(rfs::fstat(&fd)?.st_mode as _)) != Kind::File {
            return Ok(None);
        }
        Ok(Some(std::fs::File::from(fd)))
    }

    /// The whole content of the regular file `name`; `None` when it is missing or not a
    /// regular file.
    pub fn read(&self, name: &str) -> io::Result<Option<Vec<u8>>> {
        let file = match self.open_regular(name) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            other => other?,
        };
        let Some(mut file) = file else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        Ok(Some(bytes))
    }

    /// The kind of `name` without following it; `None` when it does not exist.
    pub fn kind(&self, name: &str) -> io::Result<Option<Kind>> {
        match rfs::statat(self, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(stat) => Ok(Some(kind_of(FileType::from_raw_mode(stat.st_mode as _)))),
            Err(rustix::io::Errno::NOENT) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Renames `from` (in this folder) to `to` in `to_dir`, atomically replacing a file
    /// there; neither name is followed if it is a symlink.
    pub fn rename(&self, from: &str, to_dir: &DirFd, to: &str) -> io::Result<()> {
        fault::op(|| Ok(rfs::renameat(self, from, to_dir, to)?))
    }

    /// Renames `from` (in this folder) to `to` in `to_dir` only if nothing is named `to`
    /// there (`renameat2` with `RENAME_NOREPLACE`): a folder someone else created
    /// meanwhile is never replaced. `Unsupported` where the system lacks it; file systems
    /// without it fail with `EINVAL`.
    pub fn rename_new(&self, from: &str, to_dir: &DirFd, to: &str) -> io::Result<()> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        return fault::op(|| {
            Ok(rfs::renameat_with(
                self,
                from,
                to_dir,
                to,
                rfs::RenameFlags::NOREPLACE,
            )?)
        });
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        {
            let _ = (from, to_dir, to);
            Err(io::ErrorKind::Unsupported.into())
        }
    }

    /// Removes the file (or symlink itself) `name`.
    pub fn unlink(&self, name: &str) -> io::Result<()> {
        fault::op(|| Ok(rfs::unlinkat(self, name, AtFlags::empty())?))
    }

    /// Removes the empty folder `name`.
    pub fn rmdir(&self, name: &str) -> io::Result<()> {
        fault::op(|| Ok(rfs::unlinkat(self, name, AtFlags::REMOVEDIR)?))
    }

    /// Flushes everything written to the file system this folder is on: data and names
    /// of every file staged since. One `syncfs` costs about what one `fsync` does, where
    /// a `fsync` per staged file made most of a render's time. Elsewhere than on Linux, a
    /// `fsync` of this folder (callers then flushed their files one by one).
    pub fn sync_file_system(&self) -> io::Result<()> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        rfs::syncfs(self)?;
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        rfs::fsync(self)?;
        Ok(())
    }

    /// Whether files may be staged unflushed and flushed together by
    /// [`Self::sync_file_system`].
    pub const FLUSH_TOGETHER: bool = cfg!(any(target_os = "linux", target_os = "android"));

    /// Flushes the folder's entries (new, renamed and removed names) to disk.
    pub fn sync(&self) -> io::Result<()> {
        rfs::fsync(self)?;
        Ok(())
    }

    /// Takes a `flock` lock on this descriptor without waiting; `false` when another
    /// process holds a conflicting one.
    pub fn try_lock(fd: &OwnedFd, exclusive: bool) -> io::Result<bool> {
        let op = if exclusive {
            FlockOperation::NonBlockingLockExclusive
        } else {
            FlockOperation::NonBlockingLockShared
        };
        match rfs::flock(fd, op) {
            Ok(()) => Ok(true),
            Err(rustix::io::Errno::WOULDBLOCK) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Takes a `flock` lock, waiting for it.
    pub fn lock(fd: &OwnedFd, exclusive: bool) -> io::Result<()> {
        let op = if exclusive {
            FlockOperation::LockExclusive
        } else {
            FlockOperation::LockShared
        };
        loop {
            match rfs::flock(fd, op) {
                Err(rustix::io::Errno::INTR) => continue,
                other => return Ok(other?),
            }
        }
    }

    /// Opens (creating when `create`) the file `name` for locking.
    pub fn open_lock_file(&self, name: &str, create: bool) -> io::Result<OwnedFd> {
        let mut flags = OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
        if create {
            flags |= OFlags::RDWR | OFlags::CREATE;
        } else {
            flags |= OFlags::RDONLY;
        }
        Ok(rfs::openat(self, name, flags, Mode::from_raw_mode(0o666))?)
    }

    /// The entries of this folder (without `.` and `..`), sorted by name, with their
    /// kind read without following symlinks.
    pub fn entries(&self) -> io::Result<Vec<(OsString, Kind)>> {
        let dir = rfs::Dir::read_from(self)?;
        let mut out = Vec::new();
        // Stop at the first error: a folder removed under the iterator must not spin.
        for entry in dir {
            let entry = entry?;
            let name: &CStr = entry.file_name();
            let bytes = name.to_bytes();
            if bytes == b"." || bytes == b".." {
                continue;
            }
            let name = OsStr::from_bytes(bytes).to_os_string();
            let kind = match entry.file_type() {
                FileType::Unknown => {
                    match rfs::statat(self, name.as_os_str(), AtFlags::SYMLINK_NOFOLLOW) {
                        Ok(stat) => kind_of(FileType::from_raw_mode(stat.st_mode as _)),
                        Err(rustix::io::Errno::NOENT) => continue,
                        Err(e) => return Err(e.into()),
                    }
                }
                other => kind_of(other),
            };
            out.push((name, kind));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// Removes `name` and, for a folder, everything in it, without following symlinks
    /// (a symlink is removed itself). A missing `name` is fine.
    pub fn remove_tree(&self, name: &str) -> io::Result<()> {
        match self.kind(name)? {
            None => Ok(()),
            Some(Kind::Dir) => {
                let dir = self.open_dir(name)?;
                for (entry, _) in dir.entries()? {
                    let Some(entry) = entry.to_str() else {
                        // hagen never creates such a name; remove it byte-wise.
                        fault::op(|| {
                            Ok(rfs::unlinkat(&dir, entry.as_os_str(), AtFlags::empty())?)
                        })?;
                        continue;
                    };
                    dir.remove_tree(entry)?;
                }
                drop(dir);
                match self.rmdir(name) {
                    Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                    other => other,
                }
            }
            Some(_) => match self.unlink(name) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                other => other,
            },
        }
    }
}

/// Splits a relative path into its folder (`""` for the top) and file name.
pub fn split(rel: &str) -> (&str, &str) {
    rel.rsplit_once('/').unwrap_or(("", rel))
}

/// Test-only fault injection: in debug builds, `HAGEN_FAULT_AFTER_OPS=N` aborts the
/// process right after its Nth file-changing operation (a crash: no clean-up runs), and
/// `HAGEN_FAULT_ERROR_AT=N` makes the Nth fail with an I/O error instead of running (a
/// disk-full or permission error part-way). Both may be set, to crash while recovering
/// from an error. Release builds compile none of this.
pub mod fault {
    use std::io;

    #[cfg(debug_assertions)]
    mod imp {
        use std::sync::OnceLock;
        use std::sync::atomic::{AtomicU64, Ordering};

        #[derive(Default)]
        pub struct Plan {
            pub abort_after: Option<u64>,
            pub error_at: Option<u64>,
        }

        static OPS: AtomicU64 = AtomicU64::new(0);

        pub fn plan() -> &'static Plan {
            static PLAN: OnceLock<Plan> = OnceLock::new();
            PLAN.get_or_init(|| {
                let number = |name| std::env::var(name).ok().and_then(|v| v.parse().ok());
                Plan {
                    abort_after: number("HAGEN_FAULT_AFTER_OPS"),
                    error_at: number("HAGEN_FAULT_ERROR_AT"),
                }
            })
        }

        pub fn next() -> u64 {
            OPS.fetch_add(1, Ordering::SeqCst) + 1
        }
    }

    /// Runs one file-changing operation, counting it for the fault-injection hook.
    #[inline]
    pub fn op<T>(run: impl FnOnce() -> io::Result<T>) -> io::Result<T> {
        #[cfg(debug_assertions)]
        {
            let plan = imp::plan();
            if plan.abort_after.is_some() || plan.error_at.is_some() {
                let n = imp::next();
                if plan.error_at == Some(n) {
                    return Err(io::Error::other(format!("injected fault at operation {n}")));
                }
                if plan.abort_after == Some(n) {
                    let _ = run();
                    std::process::abort();
                }
            }
        }
        run()
    }
}
