//! Template sets: the built-in templates, overlaid one file at a time by a user folder
//! (`--templates DIR` / `HAGEN_TEMPLATES`), plus `templates list` and `templates eject`.
//!
//! A user file with a built-in's name replaces that built-in; any other `*.j2` file is
//! rendered too (or, with a `_` prefix, is a partial). Escaping is the same for user
//! templates: they go through the same [`crate::render`] environment.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::spec::Target;

pub const TEMPLATE_SUFFIX: &str = ".j2";

/// Every built-in template: `templates/shared/` (cloud-neutral) and one folder per
/// target (`templates/aws/`).
static BUILTIN_TEMPLATES: include_dir::Dir<'_> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/templates");

/// Folder of the cloud-neutral templates, used by every target.
const SHARED_FOLDER: &str = "shared";

/// The built-in templates of `target`: the shared ones, then the target's own (which
/// win on a name clash). Names are relative to their folder, so a user template
/// overrides a built-in by the same name whatever folder it came from.
pub fn builtin_sources(target: Target) -> TemplateSources {
    let mut sources = TemplateSources::new();
    for folder in [SHARED_FOLDER, target.name()] {
        let dir = BUILTIN_TEMPLATES
            .get_dir(folder)
            .unwrap_or_else(|| panic!("built-in template folder {folder} is missing"));
        collect(dir, folder, &mut sources);
    }
    sources
}

fn collect(dir: &'static include_dir::Dir<'static>, folder: &str, into: &mut TemplateSources) {
    for file in dir.files() {
        let path = file.path().to_string_lossy().replace('\\', "/");
        let name = path
            .strip_prefix(&format!("{folder}/"))
            .unwrap_or(&path)
            .to_string();
        let text = file
            .contents_utf8()
            .unwrap_or_else(|| panic!("built-in template {name} is not UTF-8"));
        into.insert(name, Cow::Borrowed(text));
    }
    for sub in dir.dirs() {
        collect(sub, folder, into);
    }
}

/// Whether a template is rendered to a file of its own (helpers start with `_`).
pub fn is_rendered(template_name: &str) -> bool {
    let file = template_name.rsplit('/').next().unwrap_or(template_name);
    template_name.ends_with(TEMPLATE_SUFFIX) && !file.starts_with('_')
}

/// Whether a template renders a document (the module README): rendered after every other
/// file, from what they hold ([`crate::module_docs`]).
pub fn is_document(template_name: &str) -> bool {
    output_path(template_name).ends_with(".md")
}

/// Output path of a template: its name without `.j2`.
pub fn output_path(template_name: &str) -> &str {
    template_name
        .strip_suffix(TEMPLATE_SUFFIX)
        .unwrap_or(template_name)
}

/// Largest user template file read.
const MAX_TEMPLATE_BYTES: u64 = 1024 * 1024;

fn not_regular(path: &Path) -> Error {
    Error::Usage(format!(
        "{}: a template must be a regular file, not a FIFO, socket or device",
        path.display()
    ))
}

/// Template sources: template name -> source. The name is the output path plus `.j2`;
/// names whose file name starts with `_` are helpers (macros, includes), not rendered.
/// A built-in's source is the text embedded in the binary, not a copy.
pub type TemplateSources = BTreeMap<String, Cow<'static, str>>;

/// Where user templates (`--templates DIR`) live on disk, by template name, so their
/// errors name the file the user edits rather than the template name.
pub type TemplateFiles = BTreeMap<String, PathBuf>;

/// Whether a template is rendered once per environment: its file name starts `_env.`.
pub fn is_per_environment(template_name: &str) -> bool {
    let file = template_name.rsplit('/').next().unwrap_or(template_name);
    file.starts_with("_env.") && template_name.ends_with(TEMPLATE_SUFFIX)
}

/// `environments/_env.tfvars.j2` for `dev` -> `environments/dev.tfvars`.
pub fn environment_output_path(template_name: &str, env: &str) -> String {
    let path = output_path(template_name);
    let (dir, file) = match path.rsplit_once('/') {
        Some((dir, file)) => (format!("{dir}/"), file),
        None => (String::new(), path),
    };
    format!("{dir}{env}{}", &file["_env".len()..])
}

/// How deep a user template folder may nest (also stops symlink loops inside it).
const MAX_DEPTH: usize = 16;

/// The templates one render uses.
#[derive(Debug, Clone)]
pub struct TemplateSet {
    pub sources: TemplateSources,
    /// The user's templates, by name, with their file (for error messages and `list`).
    pub user_files: TemplateFiles,
}

impl TemplateSet {
    pub fn builtin(target: Target) -> Self {
        Self {
            sources: builtin_sources(target),
            user_files: TemplateFiles::new(),
        }
    }

    /// The built-ins, overlaid by the `*.j2` files of `user_dir` when given.
    pub fn load(target: Target, user_dir: Option<&Path>) -> Result<Self> {
        let mut set = Self::builtin(target);
        if let Some(dir) = user_dir {
            for (name, path) in user_templates(dir)? {
                let bytes = read_user_template(&path)?;
                let text = String::from_utf8(bytes).map_err(|_| {
                    Error::io(
                        &path,
                        std::io::Error::new(
                            std::io::ErrorKind::InvalidData,
                            "template is not UTF-8 text",
                        ),
                    )
                })?;
                set.sources.insert(name.clone(), Cow::Owned(text));
                set.user_files.insert(name, path);
            }
        }
        Ok(set)
    }
}

/// The bytes of a user template file (at most [`MAX_TEMPLATE_BYTES`], a regular file).
pub fn read_user_template(path: &Path) -> Result<Vec<u8>> {
    crate::load::read_regular_limited(path, MAX_TEMPLATE_BYTES).map_err(|e| match e {
        crate::load::ReadError::Io(e) => Error::io(path, e),
        crate::load::ReadError::TooLarge => Error::Usage(format!(
            "{}: a template larger than {} KiB? refusing to read it",
            path.display(),
            MAX_TEMPLATE_BYTES / 1024
        )),
        crate::load::ReadError::NotRegular => not_regular(path),
    })
}

/// The `*.j2` files under `dir`, by template name (relative path with `/`). Dot-files
/// and dot-folders are skipped; a symlink is followed only when it stays inside `dir`.
pub fn user_templates(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let meta = std::fs::metadata(dir).map_err(|e| Error::io(dir, e))?;
    if !meta.is_dir() {
        return Err(Error::io(
            dir,
            std::io::Error::other("the templates path is not a folder"),
        ));
    }
    let root = dir.canonicalize().map_err(|e| Error::io(dir, e))?;
    let mut found = Vec::new();
    walk(&root, dir, "", 0, &mut found)?;
    found.sort();
    Ok(found)
}

fn walk(
    root: &Path,
    dir: &Path,
    prefix: &str,
    depth: usize,
    found: &mut Vec<(String, PathBuf)>,
) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(Error::Usage(format!(
            "{}: template folders nest deeper than {MAX_DEPTH} levels (a symlink loop?)",
            dir.display()
        )));
    }
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let path = entry.path();
        let Some(file_name) = entry.file_name().to_str().map(str::to_string) else {
            return Err(Error::Usage(format!(
                "{}: template names must be UTF-8",
                path.display()
            )));
        };
        if file_name.starts_with('.') {
            continue;
        }
        let file_type = entry.file_type().map_err(|e| Error::io(&path, e))?;
        if file_type.is_symlink() {
            let target = path.canonicalize().map_err(|e| Error::io(&path, e))?;
            if !target.starts_with(root) {
                return Err(Error::Usage(format!(
                    "{}: a symlink to {}, outside the templates folder {}; templates must stay inside it",
                    path.display(),
                    target.display(),
                    root.display()
                )));
            }
        }
        let name = format!("{prefix}{file_name}");
        // `metadata` follows a symlink, which is now known to stay inside the folder.
        let meta = std::fs::metadata(&path).map_err(|e| Error::io(&path, e))?;
        if meta.is_dir() {
            walk(root, &path, &format!("{name}/"), depth + 1, found)?;
        } else if name.ends_with(TEMPLATE_SUFFIX) {
            if !meta.is_file() {
                return Err(not_regular(&path));
            }
            found.push((name, path));
        }
    }
    Ok(())
}

/// What a template produces, in words: `network.tf`, a partial, or one file per
/// environment.
pub fn describe_output(name: &str) -> String {
    if is_per_environment(name) {
        format!(
            "{} (one per environment)",
            environment_output_path(name, "<env>")
        )
    } else if is_rendered(name) {
        output_path(name).to_string()
    } else {
        "(partial: included by other templates)".to_string()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ListEntry {
    pub name: String,
    pub output: String,
    /// `built-in`, `overridden` (a user file replaces it) or `added` (user-only).
    pub origin: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_file: Option<PathBuf>,
}

/// Every template of the set with what it renders and where it comes from.
pub fn list(target: Target, set: &TemplateSet) -> Vec<ListEntry> {
    let builtin: BTreeSet<String> = builtin_sources(target).into_keys().collect();
    set.sources
        .keys()
        .map(|name| {
            let user_file = set.user_files.get(name).cloned();
            let origin = match (builtin.contains(name), user_file.is_some()) {
                (true, false) => "built-in",
                (true, true) => "overridden",
                _ => "added",
            };
            ListEntry {
                name: name.clone(),
                output: describe_output(name),
                origin,
                user_file,
            }
        })
        .collect()
}

/// Copies built-in templates (all when `names` is empty) into `out_dir` to start
/// customizing from. Refuses to overwrite anything: every target is checked before the
/// first file is written.
pub fn eject(target: Target, names: &[String], out_dir: &Path) -> Result<Vec<PathBuf>> {
    let builtin = builtin_sources(target);
    let mut chosen = Vec::new();
    if names.is_empty() {
        chosen.extend(builtin.iter());
    }
    for requested in names {
        let with_suffix = if requested.ends_with(TEMPLATE_SUFFIX) {
            requested.clone()
        } else {
            format!("{requested}{TEMPLATE_SUFFIX}")
        };
        let entry = builtin.get_key_value(&with_suffix).ok_or_else(|| {
            Error::Usage(format!(
                "no built-in template named {requested:?}; `hagen templates list` shows them: {}",
                builtin.keys().cloned().collect::<Vec<_>>().join(", ")
            ))
        })?;
        chosen.push(entry);
    }
    for (name, _) in &chosen {
        let target = out_dir.join(name.as_str());
        if std::fs::symlink_metadata(&target).is_ok() {
            return Err(Error::io(
                &target,
                std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "already exists; hagen does not overwrite it (move it away to eject again)",
                ),
            ));
        }
    }
    let mut written = Vec::new();
    for (name, text) in chosen {
        let target = out_dir.join(name.as_str());
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        std::fs::write(&target, text.as_bytes()).map_err(|e| Error::io(&target, e))?;
        written.push(target);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_environment_output_paths() {
        assert!(is_per_environment("environments/_env.tfvars.j2"));
        assert!(!is_per_environment("environments/_envoy.tfvars.j2"));
        assert!(!is_per_environment("_partial.tf.j2"));
        assert_eq!(
            environment_output_path("environments/_env.s3.tfbackend.j2", "dev"),
            "environments/dev.s3.tfbackend"
        );
        assert_eq!(environment_output_path("_env.tfvars.j2", "qa"), "qa.tfvars");
    }
}
