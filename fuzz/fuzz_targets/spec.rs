//! Any byte string through the whole pipeline short of the disk: load -> validate ->
//! model -> render. It must end in a positioned diagnostic (an invalid spec) or in
//! rendered files whose HCL parses (`render` parses every HCL file it produces and
//! returns a bug report when one does not). A panic, or any other error, is a finding.
//!
//! The same property runs on stable Rust in `tests/it/fuzz_like.rs` over mutated examples.

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use hagen::Error;
use hagen::render::TemplateSources;
use libfuzzer_sys::fuzz_target;

fn templates() -> &'static TemplateSources {
    static TEMPLATES: OnceLock<TemplateSources> = OnceLock::new();
    TEMPLATES.get_or_init(hagen::render::builtin_templates)
}

fuzz_target!(|data: &[u8]| {
    // A spec path beside the examples, so `user_data_file: blog-user-data.sh` resolves.
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/fuzzed.yaml");
    let lines = data.split(|&b| b == b'\n').count();
    let outcome = hagen::load::load_from_bytes(&path, data.to_vec())
        .and_then(|loaded| hagen::model_from_loaded(&loaded))
        .and_then(|model| Ok(hagen::render::render(&model, templates())?));
    match outcome {
        Ok(rendered) => assert!(rendered.keys().any(|file| file.ends_with(".tf"))),
        Err(Error::InvalidSpec { diagnostics, .. }) => {
            assert!(!diagnostics.is_empty(), "invalid spec without diagnostics");
            for d in &diagnostics {
                assert!(
                    d.line >= 1 && d.column >= 1 && d.line <= lines,
                    "diagnostic outside the text: {d}"
                );
            }
        }
        Err(other) => panic!("not a spec error: {other}"),
    }
});
