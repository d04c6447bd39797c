//! The output folder remembers how it was rendered, like copier's answers file: the
//! hagen version, the spec and the templates folder (both relative to the output folder,
//! so the record holds wherever the repository is checked out) and a SHA-256 of every
//! other generated file.
//!
//! The manifest is one more rendered file, [`FILE`], added by [`add`] after rendering:
//! `render` writes it and `check` compares it like any other file, and it starts with
//! hagen's generated-file marker so the write stage owns it like the rest. `check` reads
//! the one on disk ([`read`]) to tell a user who forgot `--templates` the command that
//! really brings the folder up to date.

use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::render::Rendered;

/// The manifest's name, at the top of the output folder.
pub const FILE: &str = ".hagen-manifest.json";

/// What a render used, as recorded in [`FILE`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// hagen's generated-file header (the write stage recognises its files by it).
    #[serde(rename = "_generated")]
    pub generated: String,
    pub hagen_version: String,
    /// The spec, relative to the output folder, `/`-separated.
    pub spec: String,
    /// The `--templates` folder, relative to the output folder; `null` for the built-in
    /// templates alone.
    pub templates: Option<String>,
    /// `sha256:<hex>` of every other generated file, by path relative to the output
    /// folder.
    pub files: std::collections::BTreeMap<String, String>,
}

/// The manifest for `rendered`, written into `output` from `spec` with `templates`.
pub fn manifest(
    rendered: &Rendered,
    spec: &Path,
    output: &Path,
    templates: Option<&Path>,
) -> Manifest {
    let spec_name = spec
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Manifest {
        generated: format!(
            "{} from {spec_name}. DO NOT EDIT: how this folder was rendered (hagen check reads it).",
            crate::render::GENERATED_MARKER
        ),
        hagen_version: env!("CARGO_PKG_VERSION").to_string(),
        spec: relative_to(spec, output),
        templates: templates.map(|dir| relative_to(dir, output)),
        files: rendered
            .iter()
            .filter(|(path, _)| path.as_str() != FILE)
            .map(|(path, text)| (path.clone(), checksum(text)))
            .collect(),
    }
}

/// Adds the manifest to the rendered files.
pub fn add(rendered: &mut Rendered, spec: &Path, output: &Path, templates: Option<&Path>) {
    let record = manifest(rendered, spec, output, templates);
    let mut text = serde_json::to_string_pretty(&record).expect("a manifest serializes");
    text.push('\n');
    rendered.insert(FILE.to_string(), text);
}

/// The manifest in `output`, if there is a readable one.
pub fn read(output: &Path) -> Option<Manifest> {
    let text = std::fs::read_to_string(output.join(FILE)).ok()?;
    serde_json::from_str(&text).ok()
}

/// The templates folder a manifest names, as a path usable from the current folder.
pub fn templates_dir(manifest: &Manifest, output: &Path) -> Option<PathBuf> {
    let relative = manifest.templates.as_deref()?;
    Some(normalize(&output.join(relative)))
}

/// `path` relative to the folder `base` (lexically, after making both absolute against
/// the current folder; neither needs to exist), with `/` separators.
pub fn relative_to(path: &Path, base: &Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    let path = normalize(&cwd.join(path));
    let base = normalize(&cwd.join(base));
    let path: Vec<Component> = path.components().collect();
    let base: Vec<Component> = base.components().collect();
    let common = path.iter().zip(&base).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); base.len() - common];
    parts.extend(
        path[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

/// Removes `.` and resolves `..` lexically (a relative path keeps leading `..`).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// SHA-256 (FIPS 180-4), so the manifest's checksums are the ones `sha256sum` prints.
/// The `sha2` crate uses the CPU's SHA extensions where they exist: hashing every file
/// was a tenth of a render's instructions with a portable implementation (docs/bench.md).
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    lowercase_hex(&sha2::Sha256::digest(data))
}

/// A file's checksum as the manifest lists it: `sha256:<hex>`.
pub fn checksum(text: &str) -> String {
    format!("sha256:{}", sha256_hex(text.as_bytes()))
}

/// `bytes` as lowercase hexadecimal, two digits each.
pub(crate) fn lowercase_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut hex = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        // Writing to a String cannot fail.
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_matches_the_standard_test_vectors() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            sha256_hex(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
    }

    #[test]
    fn paths_are_relative_to_the_output_folder() {
        assert_eq!(
            relative_to(Path::new("app.yaml"), Path::new("infra")),
            "../app.yaml"
        );
        assert_eq!(
            relative_to(Path::new("specs/app.yaml"), Path::new("deploy/infra/")),
            "../../specs/app.yaml"
        );
        assert_eq!(
            relative_to(Path::new("./t"), Path::new("./infra/../out")),
            "../t"
        );
        assert_eq!(
            relative_to(Path::new("/a/b/s.yaml"), Path::new("/a/b/c")),
            "../s.yaml"
        );
    }

    #[test]
    fn the_manifest_is_a_generated_file_with_checksums() {
        let mut rendered = Rendered::new();
        rendered.insert("main.tf".into(), "abc".into());
        add(
            &mut rendered,
            Path::new("app.yaml"),
            Path::new("infra"),
            Some(Path::new("t")),
        );
        let text = &rendered[FILE];
        assert!(crate::write::is_generated(text), "{text}");
        let record: Manifest = serde_json::from_str(text).unwrap();
        assert_eq!(record.spec, "../app.yaml");
        assert_eq!(record.templates.as_deref(), Some("../t"));
        assert_eq!(
            record.files["main.tf"],
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(record.files.len(), 1);
        assert_eq!(
            templates_dir(&record, Path::new("infra")),
            Some(PathBuf::from("t"))
        );
    }
}
