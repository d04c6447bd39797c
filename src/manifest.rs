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
            .map(|(path, text)| {
                (
                    path.clone(),
                    format!("sha256:{}", sha256_hex(text.as_bytes())),
                )
            })
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

/// SHA-256 (FIPS 180-4), so the manifest's checksums are the ones `sha256sum` prints;
/// a few dozen lines rather than a dependency.
pub fn sha256_hex(data: &[u8]) -> String {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut message = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&bit_len.to_be_bytes());
    for block in message.chunks_exact(64) {
        let mut w = [0u32; 64];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (state, value) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *state = state.wrapping_add(value);
        }
    }
    h.iter().map(|word| format!("{word:08x}")).collect()
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
