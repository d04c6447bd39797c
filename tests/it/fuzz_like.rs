//! A stable-Rust stand-in for `cargo fuzz` (fuzz/ needs nightly): thousands of mutated
//! specs (byte flips, truncations, insertions of YAML and HCL syntax, line shuffles) from
//! a fixed seed go through load -> validate -> model -> render. Each must end in a
//! positioned diagnostic or in HCL that parses, never a panic or an internal error.
//! A failing input is saved under tests/fixtures/fuzz-regressions/ and replayed by
//! `regressions_still_pass` from then on, like the fuzz target's corpus.

use std::path::PathBuf;

use hagen::Error;

const CASES: usize = 3000;
/// Rendering costs about 0.4 s in a debug build (templates plus the HCL parse of every
/// file), loading and validating about 1 ms: the whole render path runs for this many
/// mutated specs that pass validation, the rest stop after the model. The fuzz target
/// renders every one.
const RENDER_BUDGET: usize = 20;
const SEED: u64 = 0x5eed_4a6e_2026;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The property: any bytes -> Ok(HCL that parses) or Err(InvalidSpec with diagnostics
/// inside the text). Anything else is described as a failure. `Ok(true)`: the spec was
/// valid (and rendered when `render` is set).
fn check(bytes: &[u8], render: bool) -> Result<bool, String> {
    // A spec path beside the examples, so `user_data_file` resolves like a real spec's.
    let path = root().join("examples").join("fuzzed.yaml");
    let outcome = std::panic::catch_unwind(|| {
        let loaded = hagen::load::load_from_bytes(&path, bytes.to_vec())?;
        let model = hagen::model_from_loaded(&loaded)?;
        if !render {
            return Ok(Default::default());
        }
        // `render` parses every HCL file it produces and fails with a bug report if one
        // does not parse, so Ok means the HCL parses.
        Ok::<_, Error>(hagen::render::render(
            &model,
            &hagen::render::builtin_templates(),
        )?)
    });
    match outcome {
        Err(panic) => Err(format!(
            "panic: {}",
            panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        )),
        Ok(Ok(rendered)) => {
            if render && !rendered.keys().any(|file| file.ends_with(".tf")) {
                return Err("rendered no .tf file".into());
            }
            Ok(true)
        }
        Ok(Err(Error::InvalidSpec { diagnostics, .. })) => {
            if diagnostics.is_empty() {
                return Err("invalid spec without diagnostics".into());
            }
            let lines = bytes.split(|&b| b == b'\n').count();
            match diagnostics
                .iter()
                .find(|d| d.line == 0 || d.column == 0 || d.line > lines)
            {
                Some(d) => Err(format!("diagnostic outside the text: {d}")),
                None => Ok(false),
            }
        }
        Ok(Err(other)) => Err(format!("unexpected error: {other}")),
    }
}

/// xorshift64*: deterministic, so a failure reproduces on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Fragments that reach the loader's and renderer's edge cases.
const SNIPPETS: &[&[u8]] = &[
    b": ",
    b"\n  ",
    b"\n",
    b"- ",
    b"[",
    b"]",
    b"{",
    b"}",
    b",",
    b"\"",
    b"'",
    b"\t",
    b"&a ",
    b"*a",
    b"<<: ",
    b"!!str ",
    b"!!int ",
    b"!custom ",
    b"---\n",
    b"...\n",
    b"? ",
    b"~",
    b"null",
    b"yes",
    b"true",
    b"-1",
    b"0x10",
    b"1e309",
    b".nan",
    b"99999999999999999999",
    b"${var.x}",
    b"%{ if true }",
    b"$${",
    b"\\",
    b"\"\n evil = \"",
    b"|\n  ",
    b">-\n  ",
    b"#",
    b"\xff",
    b"\xc3",
    b"\0",
    b"\r\n",
    b"\xe2\x80\xa8",
    b"tags:\n  \"k\": \"v\"\n",
    b"10.0.0.0/16",
    b"eu-west-1a",
    b"ecs",
    b"dynamodb",
    b"step",
];

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut bytes = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(7) {
            0 if !bytes.is_empty() => {
                let i = rng.below(bytes.len());
                bytes[i] ^= 1 << rng.below(8);
            }
            1 => bytes.truncate(at),
            2 | 3 => {
                let snippet = SNIPPETS[rng.below(SNIPPETS.len())];
                bytes.splice(at..at, snippet.iter().copied());
            }
            4 => {
                let end = (at + rng.below(16)).min(bytes.len());
                bytes.drain(at..end);
            }
            5 => {
                // Duplicate a line (duplicate keys, repeated list items).
                let text = bytes.clone();
                let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
                let line = lines[rng.below(lines.len())];
                let mut copy = line.to_vec();
                copy.push(b'\n');
                bytes.splice(at..at, copy);
            }
            _ => {
                // Swap two lines (moves keys between mappings, changes indentation).
                let text = bytes.clone();
                let mut lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
                let (a, b) = (rng.below(lines.len()), rng.below(lines.len()));
                lines.swap(a, b);
                bytes = lines.join(&b'\n');
            }
        }
    }
    bytes
}

fn corpus() -> Vec<Vec<u8>> {
    let mut inputs = Vec::new();
    for folder in ["examples", "tests/fixtures/invalid"] {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(root().join(folder))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        paths.sort();
        inputs.extend(paths.iter().map(|p| std::fs::read(p).unwrap()));
    }
    assert!(inputs.len() >= 3, "corpus went missing");
    inputs
}

fn regressions_folder() -> PathBuf {
    root().join("tests/fixtures/fuzz-regressions")
}

fn save_regression(bytes: &[u8]) -> PathBuf {
    let folder = regressions_folder();
    std::fs::create_dir_all(&folder).unwrap();
    // FNV-1a: a stable name, so the same input is saved once.
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let path = folder.join(format!("crash-{hash:016x}.yaml"));
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn mutated_specs_never_panic_and_render_parseable_hcl_or_positioned_errors() {
    let corpus = corpus();
    // HAGEN_FUZZ_SEED / HAGEN_FUZZ_CASES explore further locally; CI uses the defaults.
    let from_env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    let seed = from_env("HAGEN_FUZZ_SEED").unwrap_or(SEED);
    let cases = from_env("HAGEN_FUZZ_CASES").map_or(CASES, |n| n as usize);
    let mut rng = Rng(seed | 1); // xorshift must not start at 0
    let mut failures = Vec::new();
    let mut valid = 0;
    for case in 0..cases {
        let base = &corpus[rng.below(corpus.len())];
        let input = mutate(&mut rng, base);
        match check(&input, valid < RENDER_BUDGET) {
            Ok(true) => valid += 1,
            Ok(false) => {}
            Err(message) => {
                let saved = save_regression(&input);
                failures.push(format!(
                    "case {case}: {message} (saved as {})",
                    saved.display()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Not every mutation may break the spec, or the render path would go untested.
    assert!(
        valid >= RENDER_BUDGET,
        "only {valid} mutated specs were valid"
    );
}

#[test]
fn regressions_still_pass() {
    let Ok(entries) = std::fs::read_dir(regressions_folder()) else {
        return; // no regression found yet
    };
    for entry in entries {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        if let Err(message) = check(&bytes, true) {
            panic!("{}: {message}", path.display());
        }
    }
}
