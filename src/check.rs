//! `hagen check`: is the output folder exactly what `hagen render` would write?
//!
//! Renders in memory (done by the caller), compares with the folder and never writes.
//! Only generated files (and missing ones) count: the user's own files in the folder are
//! none of hagen's business, exactly as for `render`.

use std::path::Path;

use serde::Serialize;

use crate::error::Result;
use crate::render::Rendered;
use crate::write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftKind {
    /// A generated file differs from what the spec renders (edited by hand, or the spec
    /// or templates changed).
    Modified,
    /// A file the spec renders is not there.
    Missing,
    /// A generated file the spec no longer renders.
    Stale,
    /// A file the spec renders is in the way of a user file (render would refuse).
    Conflict,
    /// An earlier render was interrupted before its write finished (killed, crashed,
    /// power loss): the folder may be part old, part new until the next render.
    Interrupted,
}

impl DriftKind {
    pub fn describe(self) -> &'static str {
        match self {
            DriftKind::Modified => "differs from what the spec renders",
            DriftKind::Missing => "is missing",
            DriftKind::Stale => "is stale: generated earlier, no longer rendered",
            DriftKind::Conflict => {
                "is a file hagen did not generate, in the way of a generated one"
            }
            DriftKind::Interrupted => {
                "records an interrupted render: its write is unfinished until the next render"
            }
        }
    }
}

/// One out-of-date file.
#[derive(Debug, Clone, Serialize)]
pub struct Drift {
    /// Path relative to the output folder, with `/` separators.
    pub path: String,
    pub kind: DriftKind,
    /// First line that differs (1-based) in the file on disk, for editor annotations.
    pub line: usize,
    /// Unified diff from the file on disk (`a/`) to the rendered file (`b/`).
    pub diff: String,
}

/// Where an interrupted write is reported: hagen's commit record in the output folder.
pub const INTERRUPTED_PATH: &str = ".hagen/journal";

/// Compares `rendered` with `out_dir`; empty when they agree.
pub fn compare(rendered: &Rendered, out_dir: &Path) -> Result<Vec<Drift>> {
    compare_with(rendered, out_dir, &mut |_| {})
}

/// [`compare`], telling `notify` when it waits for a render in progress. Reads under
/// hagen's shared lock, so it never sees a write half done; never writes.
pub fn compare_with(
    rendered: &Rendered,
    out_dir: &Path,
    notify: &mut dyn FnMut(&str),
) -> Result<Vec<Drift>> {
    let snapshot = write::read_output(out_dir, notify)?;
    let existing = snapshot.existing;
    let mut drift = Vec::new();
    if snapshot.interrupted {
        drift.push(Drift {
            path: INTERRUPTED_PATH.to_string(),
            kind: DriftKind::Interrupted,
            line: 1,
            diff: String::new(),
        });
    }
    for (path, text) in rendered {
        match existing.generated.get(path) {
            Some(current) if current == text => {}
            Some(current) => drift.push(drift_of(path, DriftKind::Modified, current, text)),
            None if existing.foreign.contains(path) || existing.dirs.contains(path) => {
                drift.push(drift_of(path, DriftKind::Conflict, "", text))
            }
            None => drift.push(drift_of(path, DriftKind::Missing, "", text)),
        }
    }
    for (path, current) in &existing.generated {
        if !rendered.contains_key(path) {
            drift.push(drift_of(path, DriftKind::Stale, current, ""));
        }
    }
    drift.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(drift)
}

fn drift_of(path: &str, kind: DriftKind, on_disk: &str, rendered: &str) -> Drift {
    let diff = similar::TextDiff::from_lines(on_disk, rendered);
    let line = diff
        .ops()
        .iter()
        .find(|op| !matches!(op, similar::DiffOp::Equal { .. }))
        .map(|op| op.old_range().start + 1)
        .unwrap_or(1);
    let (old_name, new_name) = match kind {
        DriftKind::Missing | DriftKind::Conflict | DriftKind::Interrupted => {
            ("/dev/null".to_string(), format!("b/{path}"))
        }
        DriftKind::Stale => (format!("a/{path}"), "/dev/null".to_string()),
        DriftKind::Modified => (format!("a/{path}"), format!("b/{path}")),
    };
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(&old_name, &new_name)
        .to_string();
    Drift {
        path: path.to_string(),
        kind,
        line,
        diff: text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(body: &str) -> String {
        format!("# {} from s.yaml\n{body}", crate::render::GENERATED_MARKER)
    }

    #[test]
    fn reports_modified_missing_and_stale_with_diffs() {
        let dir = tempfile::tempdir().unwrap();
        let mut old = Rendered::new();
        old.insert("a.tf".into(), file("x = 1\n"));
        old.insert("gone.tf".into(), file("y = 1\n"));
        write::write(&old, dir.path()).unwrap();
        std::fs::write(dir.path().join("mine.tf"), "user = true\n").unwrap();

        let mut new = Rendered::new();
        new.insert("a.tf".into(), file("x = 2\n"));
        new.insert("b.tf".into(), file("z = 1\n"));
        let drift = compare(&new, dir.path()).unwrap();
        let kinds: Vec<_> = drift.iter().map(|d| (d.path.as_str(), d.kind)).collect();
        assert_eq!(
            kinds,
            [
                ("a.tf", DriftKind::Modified),
                ("b.tf", DriftKind::Missing),
                ("gone.tf", DriftKind::Stale)
            ]
        );
        assert_eq!(drift[0].line, 2);
        assert!(drift[0].diff.contains("--- a/a.tf\n+++ b/a.tf\n"));
        assert!(
            drift[0].diff.contains("-x = 1\n+x = 2\n"),
            "{}",
            drift[0].diff
        );
        assert!(compare(&old, dir.path()).unwrap().is_empty());
    }
}
