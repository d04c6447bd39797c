//! A first render written while it renders: the files go into the folder built beside
//! the output ([`crate::write::NewFolder`]) as soon as they are made, on the core that
//! made each, rather than all at the end on one core.
//!
//! - The second core begins the folder once the spec is valid, while this one gets the
//!   templates and the model ready.
//! - Each file but the documents is staged by the core that made it, once it parses
//!   ([`crate::render::FileSink`]).
//! - When those are all made, the second core flushes them to disk while this one makes
//!   the README and the manifest, so that the flush before the rename, the one the
//!   output's safety rests on, has little left to do.
//!
//! Whatever fails on the way gives the folder up, and the write then goes the usual way
//! (docs/writes.md); a render that fails removes the folder before the process ends.

use std::path::Path;
use std::sync::{Mutex, OnceLock};

use crate::render::FileSink;
use crate::second_core::{Offered, SecondCore};
use crate::write::NewFolder;

type BeginJob = Box<dyn FnOnce() -> Option<NewFolder> + Send>;
type FlushJob = Box<dyn FnOnce() + Send>;

/// A first render's folder ([`NewFolder`]): begun by the second core once the
/// spec is valid, while this one gets the templates and the model ready, and given each
/// file as soon as it is made, by the core that made it.
pub struct Staging {
    begun: Mutex<Option<Offered<Option<NewFolder>, BeginJob>>>,
    folder: OnceLock<Option<NewFolder>>,
    /// Flushing the files staged so far ([`NewFolder::flush_ahead`]): kept offered
    /// until the folder is handed on (dropping it earlier would withdraw it).
    flushing: Mutex<Option<Offered<(), FlushJob>>>,
}

impl Staging {
    /// The folder for a render into `out_dir`, offered to `second` to begin.
    pub fn offer(second: &SecondCore, out_dir: &Path) -> Self {
        let out_dir = out_dir.to_path_buf();
        let begin: BeginJob = Box::new(move || NewFolder::begin(&out_dir));
        Self {
            begun: Mutex::new(Some(second.offer(begin))),
            folder: OnceLock::new(),
            flushing: Mutex::new(None),
        }
    }

    /// The folder, once begun: by the second core, or here if it has not started.
    fn folder(&self) -> Option<&NewFolder> {
        self.folder
            .get_or_init(|| {
                let begun = self.begun.lock().ok().and_then(|mut begun| begun.take());
                begun.and_then(Offered::take)
            })
            .as_ref()
    }

    /// The folder with the files staged so far, once every thread is done with them.
    pub fn into_folder(mut self) -> Option<NewFolder> {
        self.folder();
        self.folder.take().flatten()
    }
}

impl FileSink for Staging {
    fn file(&self, path: &str, text: &str) {
        if let Some(folder) = self.folder() {
            folder.stage(path, text);
        }
    }

    /// The second core flushes the files staged so far while this one makes the
    /// documents, so that the flush before the rename has little left to do.
    fn files_made(&self, second: &SecondCore) {
        if let Some(flush) = self.folder().and_then(NewFolder::flush_ahead) {
            let flush: FlushJob = Box::new(flush);
            if let Ok(mut flushing) = self.flushing.lock() {
                *flushing = Some(second.offer(flush));
            }
        }
    }
}

impl Drop for Staging {
    /// A folder nobody asked for yet (the render failed first) is not begun, or, when
    /// the second core is beginning it, waited for and removed before the process ends.
    fn drop(&mut self) {
        let begun = self.begun.get_mut().ok().and_then(Option::take);
        if let Some(begun) = begun {
            drop(begun.take_if_started());
        }
    }
}
