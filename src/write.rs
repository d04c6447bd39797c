//! Write stage: put rendered files on disk.
//!
//! TEMPORARY: plain writes; atomic staging, stale-file removal and ownership checks pending.

use std::path::Path;

use crate::error::{Error, Result};
use crate::render::Rendered;

pub fn write(rendered: &Rendered, out_dir: &Path) -> Result<()> {
    for (path, text) in rendered {
        let target = out_dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        std::fs::write(&target, text).map_err(|e| Error::io(&target, e))?;
    }
    Ok(())
}
