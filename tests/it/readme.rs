//! README.md carries the spec reference generated from the schema, so it can never drift
//! from the contract. Regenerate with `HAGEN_UPDATE_README=1 cargo test --test it readme::`.

const START: &str =
    "<!-- spec-reference:start (generated from schemas/hagen.schema.json; do not edit) -->\n";
const END: &str = "<!-- spec-reference:end -->";

#[test]
fn readme_spec_reference_matches_schema() {
    let schema: serde_json::Value = serde_json::from_str(hagen::schema::SCHEMA).unwrap();
    let table = hagen::reference::spec_reference_markdown(&schema);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let (before, rest) = readme
        .split_once(START)
        .expect("README has the spec-reference start marker");
    let (current, after) = rest
        .split_once(END)
        .expect("README has the spec-reference end marker");
    if current != table {
        if std::env::var_os("HAGEN_UPDATE_README").is_some() {
            std::fs::write(path, format!("{before}{START}{table}{END}{after}")).unwrap();
        } else {
            panic!(
                "README.md's spec reference is out of date with the schema; run \
                 `HAGEN_UPDATE_README=1 cargo test --test it readme::`"
            );
        }
    }
}

#[test]
fn readme_opens_with_the_render_and_test_commands() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let first_block: Vec<&str> = readme
        .split("```")
        .nth(1)
        .unwrap_or_default()
        .lines()
        .collect();
    assert!(
        first_block.iter().any(|l| l.contains("render examples/")),
        "{first_block:?}"
    );
    assert!(
        first_block.iter().any(|l| l.contains("cargo test")),
        "{first_block:?}"
    );
}
