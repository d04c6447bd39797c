//! The generated module's README documents the module it sits in: its inputs and outputs
//! tables list exactly the variables and outputs of the `.tf` files, its checkov table
//! lists exactly the inline skips, and its security section tells the truth about HTTP.

use crate::support;
use std::collections::BTreeSet;
use std::path::Path;

use hagen::render::{Rendered, builtin_templates};

fn render(spec: &Path) -> Rendered {
    hagen::render_file(spec, &builtin_templates()).expect("example renders")
}

/// Names of the blocks `identifier "NAME" {` across every `.tf` file, parsed with an HCL
/// parser independent of the README's own extraction.
fn block_names(rendered: &Rendered, identifier: &str) -> BTreeSet<String> {
    rendered
        .iter()
        .filter(|(path, _)| path.ends_with(".tf") && !path.contains('/'))
        .flat_map(|(_, text)| {
            let body = hcl::parse(text).unwrap();
            body.blocks()
                .filter(|block| block.identifier() == identifier)
                .map(|block| block.labels()[0].as_str().to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Names in the README table rows that carry `<a name="PREFIX_NAME">` anchors.
fn readme_anchors(readme: &str, prefix: &str) -> BTreeSet<String> {
    let marker = format!("<a name=\"{prefix}_");
    readme
        .lines()
        .filter_map(|line| line.split_once(&marker))
        .map(|(_, rest)| rest.split('"').next().unwrap().to_string())
        .collect()
}

#[test]
fn inputs_and_outputs_tables_match_the_module() {
    for spec in support::valid_specs() {
        let rendered = render(&spec);
        let readme = &rendered["README.md"];
        assert_eq!(
            readme_anchors(readme, "input"),
            block_names(&rendered, "variable"),
            "inputs of {}",
            spec.display()
        );
        assert_eq!(
            readme_anchors(readme, "output"),
            block_names(&rendered, "output"),
            "outputs of {}",
            spec.display()
        );
    }
}

#[test]
fn checkov_table_lists_every_inline_skip() {
    for spec in support::valid_specs() {
        let rendered = render(&spec);
        let in_code: BTreeSet<String> = rendered
            .iter()
            .filter(|(path, _)| path.ends_with(".tf"))
            .flat_map(|(_, text)| text.lines())
            .filter_map(|line| line.trim().strip_prefix("#checkov:skip="))
            .map(|rest| rest.split(':').next().unwrap().to_string())
            .collect();
        let readme = &rendered["README.md"];
        let checkov_section = readme
            .split_once("### checkov")
            .unwrap()
            .1
            .split_once("\n## ")
            .unwrap()
            .0;
        for id in &in_code {
            assert!(
                checkov_section.contains(&format!("| {id} |")),
                "{}: skip {id} missing from README",
                spec.display()
            );
        }
        let rows = checkov_section
            .lines()
            .filter(|line| line.starts_with("| `"))
            .count();
        let skips = rendered
            .iter()
            .filter(|(path, _)| path.ends_with(".tf"))
            .flat_map(|(_, text)| text.lines())
            .filter(|line| line.trim().starts_with("#checkov:skip="))
            .count();
        assert_eq!(rows, skips, "{}", spec.display());
    }
}

#[test]
fn http_only_warning_appears_exactly_without_certificate() {
    let without = render(&support::example("minimal"));
    assert!(without["README.md"].contains("Warning: HTTP only"));
    let with = render(&support::example("production"));
    assert!(!with["README.md"].contains("Warning: HTTP only"));
    assert!(with["README.md"].contains("port 443"));
}

#[test]
fn readme_embeds_the_architecture_diagram() {
    let rendered = render(&support::example("production"));
    let readme = &rendered["README.md"];
    let diagram = readme
        .split_once("```mermaid\n")
        .unwrap()
        .1
        .split_once("```")
        .unwrap()
        .0;
    assert!(diagram.starts_with("flowchart"));
    // Production: three zones, a NAT gateway in each, Multi-AZ database, two buckets.
    for node in [
        "public_2[",
        "app_2[",
        "database_2[",
        "nat_2[",
        "rds_standby[",
        "bucket_2[",
        "backup[",
        "sns[",
    ] {
        assert!(diagram.contains(node), "diagram lacks {node}:\n{diagram}");
    }
    let minimal = render(&support::example("minimal"));
    let diagram = &minimal["README.md"];
    // Single NAT: only the first zone has one; no buckets, so no backup either.
    assert!(diagram.contains("nat_0[") && !diagram.contains("nat_1["));
    assert!(!diagram.contains("backup["));
}

/// The README reads the module back by including the `.tf` templates: values in them must
/// stay HCL-escaped there too, or a hostile value (here an ECS environment variable) would break (or inject into) the text the
/// README parses.
#[test]
fn hostile_values_keep_their_escaping_inside_the_readme() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("hostile.yaml");
    std::fs::write(
        &spec,
        r#"name: shop
region: eu-west-1
network:
  cidr: 10.0.0.0/16
  availability_zones: [eu-west-1a, eu-west-1b]
compute:
  kind: ecs
  image: nginx:1.27
  environment:
    NOTE: 'a"b ${file("/etc/passwd")} %{ if true }x%{ endif }'
"#,
    )
    .unwrap();
    let rendered = render(&spec);
    assert!(rendered["README.md"].contains("## Inputs"));
    assert!(
        rendered["ecs.tf"].contains(r#"a\"b $${file(\"/etc/passwd\")} %%{ if true }x%%{ endif }"#)
    );
}
