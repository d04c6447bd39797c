//! `check`'s shortcut: a render records what it read, so a `check` whose inputs have not
//! changed since, in a folder that still holds exactly what that render wrote, can say
//! so without rendering again (rendering is deterministic: the same inputs give the same
//! bytes). `render` takes the same shortcut, after it finished or undid any interrupted
//! earlier write: such a folder needs nothing written.
//!
//! `render` writes the record `.hagen/inputs` (hagen's own folder, ignored by git) after
//! its write: a SHA-256 of everything the output depends on ([`Inputs`]) and the SHA-256
//! of the manifest it wrote, which lists the SHA-256 of every other file. `check` takes
//! the shortcut only when all of these hold, and renders in full otherwise:
//!
//! - the same hagen binary (version, and the executable file's device, inode, size and
//!   times: any rebuild or reinstall changes them), the same working folder, the same
//!   spec, output and `--templates` paths as given;
//! - the same bytes in the spec, the user-data file it names and every user template;
//! - no unfinished write in the folder, the manifest as recorded, and the folder's
//!   generated files exactly the manifest's list, each with its recorded hash (read under
//!   the shared lock, as the full check reads them).
//!
//! A missing, unreadable or foreign record is no record. What the shortcut trusts is
//! `.hagen/inputs` itself: someone who edits a generated file and also rewrites the
//! manifest's and the record's hashes to match can make `check` pass; any edit short of
//! that is caught. A fresh clone has no record (`.hagen/` is not committed), so CI always
//! renders in full.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::load::LoadedSpec;
use crate::manifest;
use crate::render::Rendered;
use crate::templates::TemplateSet;

/// The record's name inside the output folder's `.hagen/`.
pub const RECORD: &str = "inputs";

/// What one render read, hashed: from the very bytes the render used. The output
/// folder, the working folder and the binary are added when it is recorded or compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inputs {
    /// SHA-256 (hex) of the spec's bytes, the user-data file's path and bytes, and the
    /// user templates' names and bytes, with the spec and templates paths as given.
    content: String,
    /// The user-data file, to read again.
    user_data: Option<PathBuf>,
}

/// `.hagen/inputs`.
#[derive(Debug, Serialize, Deserialize)]
struct Record {
    version: u32,
    /// [`whole`] of the render's inputs.
    inputs: String,
    user_data: Option<PathBuf>,
    /// `sha256:<hex>` of the manifest the render wrote.
    manifest: String,
}

const RECORD_VERSION: u32 = 1;
/// A record is a few hundred bytes; a larger file there is not one (and is not read).
const MAX_RECORD_BYTES: u64 = 64 * 1024;

/// A SHA-256 of length-prefixed fields, so no two different field lists hash alike.
struct Fields(Sha256);

impl Fields {
    fn new(kind: &str) -> Self {
        let mut fields = Fields(Sha256::new());
        fields.add(kind.as_bytes());
        fields
    }

    fn add(&mut self, bytes: &[u8]) {
        self.0.update((bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
    }

    fn hex(self) -> String {
        manifest::lowercase_hex(&self.0.finalize())
    }
}

fn path_bytes(path: &Path) -> &[u8] {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str().as_bytes()
}

/// The content part of [`Inputs`]: the same function for a render (the bytes it used)
/// and for `check` (the bytes on disk now).
fn content(
    spec: &Path,
    spec_bytes: &[u8],
    user_data: Option<(&Path, &[u8])>,
    templates: Option<&Path>,
    user_templates: &[(String, Vec<u8>)],
) -> String {
    let mut fields = Fields::new("hagen render inputs 1");
    fields.add(path_bytes(spec));
    fields.add(spec_bytes);
    match user_data {
        Some((path, bytes)) => {
            fields.add(b"user data");
            fields.add(path_bytes(path));
            fields.add(bytes);
        }
        None => fields.add(b"no user data"),
    }
    match templates {
        Some(dir) => {
            fields.add(b"templates");
            fields.add(path_bytes(dir));
            for (name, bytes) in user_templates {
                fields.add(name.as_bytes());
                fields.add(bytes);
            }
        }
        None => fields.add(b"built-in templates"),
    }
    fields.hex()
}

impl Inputs {
    /// The inputs of a render of `loaded` with `set` (overlaid from `templates`).
    pub fn of_render(loaded: &LoadedSpec, set: &TemplateSet, templates: Option<&Path>) -> Self {
        let user_data = loaded
            .user_data_path
            .as_deref()
            .zip(loaded.user_data_file_contents.as_deref());
        let user_templates: Vec<(String, Vec<u8>)> = set
            .user_files
            .keys()
            .filter_map(|name| Some((name.clone(), set.sources.get(name)?.as_bytes().to_vec())))
            .collect();
        Inputs {
            content: content(
                &loaded.path,
                loaded.text.as_bytes(),
                user_data.map(|(path, text)| (path, text.as_bytes())),
                templates,
                &user_templates,
            ),
            user_data: loaded.user_data_path.clone(),
        }
    }

    /// The inputs on disk now, for a render of `spec` with `templates` that read the
    /// user-data file `user_data`; `None` when any of them cannot be read as a render
    /// reads it.
    fn on_disk(spec: &Path, templates: Option<&Path>, user_data: Option<&Path>) -> Option<Self> {
        let spec_bytes = crate::load::read_spec_bytes(spec)?;
        let user_data_bytes = match user_data {
            Some(path) => {
                // Still inside the spec's folder, as a render requires (a symlink there
                // may have been pointed elsewhere since).
                let folder = match spec.parent() {
                    Some(parent) if !parent.as_os_str().is_empty() => parent,
                    _ => Path::new("."),
                };
                if !path
                    .canonicalize()
                    .ok()?
                    .starts_with(folder.canonicalize().ok()?)
                {
                    return None;
                }
                Some(
                    crate::load::read_regular_limited(path, crate::load::MAX_USER_DATA_BYTES)
                        .ok()?,
                )
            }
            None => None,
        };
        let mut user_templates = Vec::new();
        if let Some(dir) = templates {
            for (name, path) in crate::templates::user_templates(dir).ok()? {
                let bytes = crate::templates::read_user_template(&path).ok()?;
                user_templates.push((name, bytes));
            }
        }
        Some(Inputs {
            content: content(
                spec,
                &spec_bytes,
                user_data.zip(user_data_bytes.as_deref()),
                templates,
                &user_templates,
            ),
            user_data: user_data.map(Path::to_path_buf),
        })
    }
}

/// This hagen binary: its version and the executable file's identity (a rebuild or a
/// reinstall writes a new file). `None` when it cannot be known.
fn build_identity() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let exe = std::env::current_exe().ok()?;
    let meta = std::fs::metadata(&exe).ok()?;
    Some(format!(
        "{} {} {} {} {}.{} {}.{}",
        env!("CARGO_PKG_VERSION"),
        meta.dev(),
        meta.ino(),
        meta.size(),
        meta.mtime(),
        meta.mtime_nsec(),
        meta.ctime(),
        meta.ctime_nsec()
    ))
}

/// Everything the output depends on, in one hash: the inputs' content, the binary, the
/// working folder (relative paths in the manifest) and the output folder as given.
fn whole(inputs: &Inputs, output: &Path) -> Option<String> {
    let mut fields = Fields::new("hagen render 1");
    fields.add(build_identity()?.as_bytes());
    fields.add(path_bytes(&std::env::current_dir().ok()?));
    fields.add(path_bytes(output));
    fields.add(inputs.content.as_bytes());
    Some(fields.hex())
}

/// The record of what a render that writes `rendered` into `output` read, for `.hagen/`
/// [`RECORD`] (`render` writes it with the files). Best effort: the record is a cache,
/// and a missing one only means the next `check` renders in full.
pub fn record(output: &Path, inputs: &Inputs, rendered: &Rendered) -> Option<Vec<u8>> {
    let record = Record {
        version: RECORD_VERSION,
        inputs: whole(inputs, output)?,
        user_data: inputs.user_data.clone(),
        manifest: manifest::checksum(rendered.get(manifest::FILE)?),
    };
    let mut json = serde_json::to_vec(&record).ok()?;
    json.push(b'\n');
    Some(json)
}

/// Whether `output` is, without rendering, known to be exactly what a render of `spec`
/// with `templates` would write (see the module's documentation). `false` means "render
/// and compare", never "out of date". Reads under the shared lock, telling `notify` when
/// it waits for a render in progress.
pub fn unchanged(
    spec: &Path,
    output: &Path,
    templates: Option<&Path>,
    notify: &mut dyn FnMut(&str),
) -> bool {
    same_inputs(spec, output, templates)
        .and_then(|same| files_as_recorded(&same, output, notify))
        .is_some()
}

/// A record of `output` whose inputs are the ones on disk now ([`same_inputs`]).
pub struct SameInputs(Record);

/// The record of the last render into `output`, when it read exactly the inputs `spec`
/// and `templates` hold now: the first half of [`unchanged`], reading only the record and
/// the inputs (so that `render` can finish an interrupted write in between, and only
/// then, for a spec that was rendered before).
pub fn same_inputs(spec: &Path, output: &Path, templates: Option<&Path>) -> Option<SameInputs> {
    let record = crate::write::read_meta_file(output, RECORD, MAX_RECORD_BYTES)
        .and_then(|bytes| serde_json::from_slice::<Record>(&bytes).ok())
        .filter(|record| record.version == RECORD_VERSION)?;
    let now = Inputs::on_disk(spec, templates, record.user_data.as_deref())
        .and_then(|inputs| whole(&inputs, output));
    (now.as_deref() == Some(record.inputs.as_str())).then_some(SameInputs(record))
}

/// The second half of [`unchanged`]: the generated files `output` holds (the manifest
/// included, in path order) when they are exactly those the recorded render wrote.
pub fn files_as_recorded(
    same: &SameInputs,
    output: &Path,
    notify: &mut dyn FnMut(&str),
) -> Option<Vec<String>> {
    let record = &same.0;
    let snapshot = crate::write::read_output(output, notify).ok()?;
    if snapshot.interrupted {
        return None;
    }
    let generated = &snapshot.existing.generated;
    let manifest_text = generated.get(manifest::FILE)?;
    if manifest::checksum(manifest_text) != record.manifest {
        return None;
    }
    let listed = serde_json::from_str::<manifest::Manifest>(manifest_text).ok()?;
    // Every generated file is the manifest or one it lists, and every listed file is
    // there with its hash: nothing stale, missing, edited or in the way.
    let exact = generated.len() == listed.files.len() + 1
        && listed.files.iter().all(|(path, hash)| {
            generated
                .get(path)
                .is_some_and(|text| manifest::checksum(text) == *hash)
        });
    exact.then(|| generated.keys().cloned().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_length_prefixed() {
        let hash = |parts: &[&[u8]]| {
            let mut fields = Fields::new("t");
            parts.iter().for_each(|part| fields.add(part));
            fields.hex()
        };
        assert_ne!(hash(&[b"ab", b"c"]), hash(&[b"a", b"bc"]));
        assert_eq!(hash(&[b"ab", b"c"]), hash(&[b"ab", b"c"]));
    }

    #[test]
    fn every_input_changes_the_content_hash() {
        #[derive(Clone, Copy)]
        struct Case {
            spec: &'static str,
            bytes: &'static [u8],
            user_data: Option<&'static [u8]>,
            template: Option<&'static [u8]>,
        }
        let hash = |case: Case| {
            let templates: Vec<(String, Vec<u8>)> = case
                .template
                .map(|bytes| vec![("a.tf.j2".to_string(), bytes.to_vec())])
                .unwrap_or_default();
            content(
                Path::new(case.spec),
                case.bytes,
                case.user_data.map(|bytes| (Path::new("u.sh"), bytes)),
                case.template.map(|_| Path::new("t")),
                &templates,
            )
        };
        let base = Case {
            spec: "s.yaml",
            bytes: b"name: a",
            user_data: Some(b"echo"),
            template: Some(b"x"),
        };
        let variants = [
            Case {
                spec: "t.yaml",
                ..base
            },
            Case {
                bytes: b"name: b",
                ..base
            },
            Case {
                user_data: Some(b"echo hi"),
                ..base
            },
            Case {
                user_data: None,
                ..base
            },
            Case {
                template: Some(b"y"),
                ..base
            },
            Case {
                template: None,
                ..base
            },
        ];
        assert_eq!(hash(base), hash(base));
        for variant in variants {
            assert_ne!(hash(variant), hash(base));
        }
    }
}
