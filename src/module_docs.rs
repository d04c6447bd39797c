//! Documentation of the generated module, read back from the module's own HCL.
//!
//! The module README lists inputs, outputs, resources and checkov skips. Rather than
//! keeping a second copy of that information, the render stage's second phase hands
//! the README the [`ModuleDocs`] read here from the module's rendered `.tf` files, so
//! the README can never disagree with `variables.tf`, `outputs.tf` or the inline
//! `#checkov:skip` comments.

use minijinja::Environment;
use serde::Serialize;

/// One `variable` block, as terraform-docs shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Input {
    pub name: String,
    pub description: String,
    /// The type expression as written, e.g. `list(string)`.
    pub type_expr: String,
    /// The default as an HCL literal; `None` when the variable has no default.
    pub default: Option<String>,
    /// The default as the JSON value terraform-docs prints (`None`: no default).
    pub default_value: Option<serde_json::Value>,
    pub required: bool,
}

/// One `output` block.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Output {
    pub name: String,
    pub description: String,
    pub sensitive: bool,
}

/// One `resource` or `data` block: `kind` is e.g. `aws_s3_bucket`, `address` is the
/// address Terraform uses (`aws_s3_bucket.this`, `data.aws_partition.current`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resource {
    pub kind: String,
    pub address: String,
    pub data: bool,
}

/// One line of the terraform-docs "Requirements" table: `terraform` itself or a provider.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Requirement {
    pub name: String,
    /// The version constraint; empty when none is given.
    pub version: String,
}

/// One inline `#checkov:skip=ID:reason` and the resource whose block holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckovSkip {
    pub resource: String,
    pub id: String,
    pub reason: String,
}

/// What the README reads from the module's top-level `.tf` files, in path order.
/// Filled by the first render phase, one [`FileDocs`] per file.
#[derive(Debug, Default)]
pub struct ModuleText {
    files: FileDocs,
}

/// What the README reads from one module file (its blocks in file order, not sorted
/// yet). Taken when the file is parsed, on whichever core rendered it, so the parsed
/// file need not be kept.
#[derive(Debug, Default)]
pub struct FileDocs {
    inputs: Vec<Input>,
    outputs: Vec<Output>,
    resources: Vec<Resource>,
    /// `required_version`s.
    terraform: Vec<Requirement>,
    providers: Vec<Requirement>,
    skips: Vec<CheckovSkip>,
}

impl FileDocs {
    /// The file `text`, parsed as `body`.
    pub fn of(text: &str, body: &hcl::Body) -> Self {
        let (terraform, providers) = read_requirements(body);
        Self {
            inputs: read_inputs(body),
            outputs: read_outputs(body),
            resources: read_resources(body),
            terraform,
            providers,
            skips: checkov_skips(text),
        }
    }

    fn extend(&mut self, file: FileDocs) {
        self.inputs.extend(file.inputs);
        self.outputs.extend(file.outputs);
        self.resources.extend(file.resources);
        self.terraform.extend(file.terraform);
        self.providers.extend(file.providers);
        self.skips.extend(file.skips);
    }
}

/// Whether a rendered file is part of the module proper (a top-level `.tf` file, not a
/// test, not a per-environment file).
pub fn is_module_file(path: &str) -> bool {
    path.ends_with(".tf") && !path.contains('/')
}

/// What the module README reads from the module.
#[derive(Debug, Clone, Serialize)]
pub struct ModuleDocs {
    pub inputs: Vec<Input>,
    pub outputs: Vec<Output>,
    pub resources: Vec<Resource>,
    pub requirements: Vec<Requirement>,
    pub skips: Vec<CheckovSkip>,
    /// The terraform-docs block of the README ([`tables`]).
    pub terraform_docs: String,
}

impl ModuleText {
    /// Adds one rendered file (callers add files in path order).
    pub fn add(&mut self, file: FileDocs) {
        self.files.extend(file);
    }

    /// The module's docs, each list in terraform-docs' order (the same as reading the
    /// files as one text: the sorts are stable).
    pub fn docs(self) -> ModuleDocs {
        let FileDocs {
            mut inputs,
            mut outputs,
            mut resources,
            terraform,
            providers,
            skips,
        } = self.files;
        sort_inputs(&mut inputs);
        sort_outputs(&mut outputs);
        sort_resources(&mut resources);
        let requirements = sort_requirements(terraform, providers);
        ModuleDocs {
            terraform_docs: tables(&requirements, &resources, &inputs, &outputs),
            inputs,
            outputs,
            resources,
            requirements,
            skips,
        }
    }
}

/// An expression on one line, as short as HCL allows (objects and arrays inline).
fn one_line(expr: &hcl::Expression) -> String {
    let mut formatter = hcl::format::Formatter::builder()
        .compact(true)
        .prefer_ident_keys(true)
        .build_vec();
    match hcl::format::Format::format_string(expr, &mut formatter) {
        Ok(text) => text,
        // Formatting into memory cannot fail; keep something readable if it ever does.
        Err(_) => format!("{expr:?}"),
    }
}

fn string_attribute(body: &hcl::Body, key: &str) -> String {
    body.attributes()
        .find(|attr| attr.key() == key)
        .map(|attr| match attr.expr() {
            hcl::Expression::String(text) => text.clone(),
            other => one_line(other),
        })
        .unwrap_or_default()
}

fn blocks<'a>(body: &'a hcl::Body, identifier: &'a str) -> impl Iterator<Item = &'a hcl::Block> {
    body.blocks()
        .filter(move |block| block.identifier() == identifier)
}

fn label(block: &hcl::Block, index: usize) -> String {
    block
        .labels()
        .get(index)
        .map(|label| label.as_str().to_string())
        .unwrap_or_default()
}

/// Inputs in terraform-docs' order: by name.
fn sort_inputs(inputs: &mut [Input]) {
    inputs.sort_by(|a, b| a.name.cmp(&b.name));
}

/// The `variable` blocks of `body`, in order.
fn read_inputs(body: &hcl::Body) -> Vec<Input> {
    blocks(body, "variable")
        .map(|block| {
            let default_expr = block
                .body()
                .attributes()
                .find(|attr| attr.key() == "default")
                .map(|attr| attr.expr());
            let default = default_expr.map(one_line);
            let default_value = default_expr.map(|expr| {
                sorted_keys(
                    serde_json::to_value(hcl::Value::from(expr.clone()))
                        .unwrap_or(serde_json::Value::Null),
                )
            });
            let type_expr = block
                .body()
                .attributes()
                .find(|attr| attr.key() == "type")
                .map(|attr| one_line(attr.expr()))
                .unwrap_or_else(|| "any".to_string());
            Input {
                name: label(block, 0),
                description: string_attribute(block.body(), "description"),
                type_expr,
                required: default.is_none(),
                default,
                default_value,
            }
        })
        .collect()
}

/// Outputs by name.
fn sort_outputs(outputs: &mut [Output]) {
    outputs.sort_by(|a, b| a.name.cmp(&b.name));
}

/// The `output` blocks of `body`, in order.
fn read_outputs(body: &hcl::Body) -> Vec<Output> {
    blocks(body, "output")
        .map(|block| Output {
            name: label(block, 0),
            description: string_attribute(block.body(), "description"),
            sensitive: string_attribute(block.body(), "sensitive") == "true",
        })
        .collect()
}

/// Resources by address, each once.
fn sort_resources(resources: &mut Vec<Resource>) {
    resources.sort_by(|a, b| a.address.cmp(&b.address));
    resources.dedup();
}

/// The `resource` and `data` blocks of `body`, in order.
fn read_resources(body: &hcl::Body) -> Vec<Resource> {
    body.blocks()
        .filter(|block| matches!(block.identifier(), "resource" | "data"))
        .map(|block| {
            let data = block.identifier() == "data";
            let kind = label(block, 0);
            let address = format!(
                "{}{kind}.{}",
                if data { "data." } else { "" },
                label(block, 1)
            );
            Resource {
                kind,
                address,
                data,
            }
        })
        .collect()
}

/// `required_version` and the `required_providers` of the `terraform` blocks: Terraform
/// first, then providers by name.
fn sort_requirements(
    mut core: Vec<Requirement>,
    mut providers: Vec<Requirement>,
) -> Vec<Requirement> {
    providers.sort_by(|a, b| a.name.cmp(&b.name));
    core.extend(providers);
    core
}

/// The `required_version`s and the `required_providers` of the `terraform` blocks of
/// `body`, in order.
fn read_requirements(body: &hcl::Body) -> (Vec<Requirement>, Vec<Requirement>) {
    let mut core = Vec::new();
    let mut providers = Vec::new();
    for block in blocks(body, "terraform") {
        let version = string_attribute(block.body(), "required_version");
        if !version.is_empty() {
            core.push(Requirement {
                name: "terraform".into(),
                version,
            });
        }
        for required in blocks(block.body(), "required_providers") {
            for provider in required.body().attributes() {
                let version = match provider.expr() {
                    hcl::Expression::Object(object) => object
                        .iter()
                        .find(|(key, _)| key.to_string() == "version")
                        .map(|(_, value)| match value {
                            hcl::Expression::String(text) => text.clone(),
                            other => one_line(other),
                        })
                        .unwrap_or_default(),
                    // The legacy form `aws = "~> 5.0"`.
                    hcl::Expression::String(text) => text.clone(),
                    _ => String::new(),
                };
                providers.push(Requirement {
                    name: provider.key().to_string(),
                    version,
                });
            }
        }
    }
    (core, providers)
}

/// Every `#checkov:skip=ID:reason` comment with the address of the resource block it
/// sits in (checkov applies an inline skip to the enclosing resource).
pub fn checkov_skips(text: &str) -> Vec<CheckovSkip> {
    let mut current = String::new();
    let mut skips = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("resource ") {
            let labels: Vec<&str> = rest
                .split('"')
                .map(str::trim)
                .filter(|part| !part.is_empty() && *part != "{")
                .collect();
            if let [kind, name, ..] = labels.as_slice() {
                current = format!("{kind}.{name}");
            }
        } else if let Some(rest) = line.strip_prefix("#checkov:skip=") {
            let (id, reason) = rest.split_once(':').unwrap_or((rest, ""));
            skips.push(CheckovSkip {
                resource: current.clone(),
                id: id.trim().to_string(),
                reason: reason.trim().to_string(),
            });
        }
    }
    skips
}

/// Object keys in sorted order, as Go's `encoding/json` writes a map (terraform-docs).
fn sorted_keys(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            serde_json::Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sorted_keys(v)))
                    .collect(),
            )
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(sorted_keys).collect())
        }
        other => other,
    }
}

/// The inputs, outputs, resources, providers and requirements of a module exactly as
/// `terraform-docs markdown table` writes them with its default settings (terraform-docs
/// 0.19 and 0.20: anchors, escaping, `<br/>`, Required column, Modules section), for the
/// part of the README between `<!-- BEGIN_TF_DOCS -->` and `<!-- END_TF_DOCS -->`, so
/// that a `terraform_docs` pre-commit hook finds nothing to change
/// ([`ModuleDocs::terraform_docs`]). The layout follows terraform-docs'
/// `format/templates/markdown_table_*.tmpl` and `template/sanitizer.go`.
fn tables(
    requirements: &[Requirement],
    resources: &[Resource],
    inputs: &[Input],
    outputs: &[Output],
) -> String {
    let mut resources: Vec<&Resource> = resources.iter().collect();
    let mut out = String::new();
    let mut section = |title: &str, header: &str, rows: Vec<String>, empty: &str| {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&format!("## {title}\n\n"));
        if rows.is_empty() {
            out.push_str(&format!("{empty}\n"));
        } else {
            out.push_str(header);
            for row in rows {
                out.push_str(&row);
                out.push('\n');
            }
        }
    };
    let version = |v: &str| {
        if v.is_empty() {
            "n/a".to_string()
        } else {
            v.to_string()
        }
    };
    section(
        "Requirements",
        "| Name | Version |\n|------|---------|\n",
        requirements
            .iter()
            .map(|r| {
                format!(
                    "| {} | {} |",
                    tfdocs_anchor("requirement", &r.name),
                    version(&r.version)
                )
            })
            .collect(),
        "No requirements.",
    );
    // Providers the resources use, with the version their requirement gives.
    let mut providers: Vec<&str> = resources
        .iter()
        .map(|r| r.kind.split('_').next().unwrap_or_default())
        .collect();
    providers.sort();
    providers.dedup();
    section(
        "Providers",
        "| Name | Version |\n|------|---------|\n",
        providers
            .iter()
            .map(|name| {
                let required = requirements.iter().find(|r| r.name == *name);
                format!(
                    "| {} | {} |",
                    tfdocs_anchor("provider", name),
                    version(required.map_or("", |r| r.version.as_str()))
                )
            })
            .collect(),
        "No providers.",
    );
    section("Modules", "", Vec::new(), "No modules.");
    // Managed resources first, then data sources, each by type and name.
    resources.sort_by(|a, b| (a.data, &a.address).cmp(&(b.data, &b.address)));
    section(
        "Resources",
        "| Name | Type |\n|------|------|\n",
        resources
            .iter()
            .map(|r| {
                let (provider, short) = r.kind.split_once('_').unwrap_or((&r.kind, ""));
                let spec = r.address.strip_prefix("data.").unwrap_or(&r.address);
                format!(
                    "| [{spec}](https://registry.terraform.io/providers/hashicorp/{provider}/latest/docs/{}/{short}) | {} |",
                    if r.data { "data-sources" } else { "resources" },
                    if r.data { "data source" } else { "resource" }
                )
            })
            .collect(),
        "No resources.",
    );
    section(
        "Inputs",
        "| Name | Description | Type | Default | Required |\n|------|-------------|------|---------|:--------:|\n",
        inputs
            .iter()
            .map(|i| {
                format!(
                    "| {} | {} | {} | {} | {} |",
                    tfdocs_anchor("input", &i.name),
                    tfdocs_text(&i.description),
                    tfdocs_code(&i.type_expr),
                    match &i.default_value {
                        None => "n/a".to_string(),
                        Some(value) =>
                            tfdocs_code(&serde_json::to_string_pretty(value).unwrap_or_default()),
                    },
                    if i.required { "yes" } else { "no" }
                )
            })
            .collect(),
        "No inputs.",
    );
    section(
        "Outputs",
        "| Name | Description |\n|------|-------------|\n",
        outputs
            .iter()
            .map(|o| {
                format!(
                    "| {} | {} |",
                    tfdocs_anchor("output", &o.name),
                    tfdocs_text(&o.description)
                )
            })
            .collect(),
        "No outputs.",
    );
    // terraform-docs drops the trailing newline of its content.
    out.trim_end().to_string()
}

/// `<a name="input_x_y"></a> [x\_y](#input\_x\_y)`: terraform-docs' anchor with escaping.
fn tfdocs_anchor(kind: &str, name: &str) -> String {
    let anchor = format!("{kind}_{name}");
    format!(
        "<a name=\"{anchor}\"></a> [{}](#{})",
        name.replace('_', "\\_"),
        anchor.replace('_', "\\_")
    )
}

/// A type or default value: a code span on one line, `<pre>` with `<br/>` otherwise.
fn tfdocs_code(code: &str) -> String {
    if code.contains('\n') {
        format!(
            "<pre>{}</pre>",
            code.trim().replace('\r', "").replace('\n', "<br/>")
        )
    } else {
        format!("`{code}`")
    }
}

/// A description as terraform-docs' `sanitizeMarkdownTbl` writes it (escaping on): pipes
/// and underscores escaped outside code spans (not in URLs), line breaks as `<br/>`.
fn tfdocs_text(text: &str) -> String {
    let text = text.trim();
    if text.is_empty() {
        return "n/a".into();
    }
    let mut out = String::new();
    for (index, segment) in text.split('`').enumerate() {
        if index % 2 == 1 {
            out.push('`');
            out.push_str(segment);
            out.push('`');
            continue;
        }
        let escaped = segment.replace('|', "\\|");
        let lines: Vec<String> = escaped.split('\n').map(escape_underscores).collect();
        out.push_str(&lines.join("\n"));
    }
    // URLs get their underscores back.
    let out: Vec<String> = out
        .split(' ')
        .map(|word| {
            if word.contains("://") {
                word.replace('\\', "")
            } else {
                word.to_string()
            }
        })
        .collect();
    out.join(" ")
        .replace("  \n", "<br/>")
        .replace('\n', "<br/>")
}

/// Escapes `_` as terraform-docs does, except for runs it reads as emphasis: a run at the
/// start of a line followed by a space, and `_word ... word_` between spaces.
fn escape_underscores(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut keep = vec![false; chars.len()];
    let is_space = |c: char| c.is_whitespace();
    // `^(\s*)(_+)(\s+)`
    let start = chars.iter().take_while(|c| is_space(**c)).count();
    let run = chars[start..].iter().take_while(|c| **c == '_').count();
    if run > 0 && chars.get(start + run).is_some_and(|c| is_space(*c)) {
        keep[start..start + run].iter_mut().for_each(|k| *k = true);
    }
    // `(\s+)(_+)([^\s_])(.*)([^\s_])(_+)(\s+)`, greedy: the first opening run, the last
    // closing run.
    let opening = (1..chars.len()).find(|&i| {
        chars[i] == '_' && is_space(chars[i - 1]) && {
            let end = i + chars[i..].iter().take_while(|c| **c == '_').count();
            chars.get(end).is_some_and(|c| !is_space(*c) && *c != '_')
        }
    });
    if let Some(open) = opening {
        let open_end = open + chars[open..].iter().take_while(|c| **c == '_').count();
        let closing = (open_end + 1..chars.len()).rev().find(|&j| {
            chars[j] == '_' && chars.get(j + 1).is_some_and(|c| is_space(*c)) && {
                let mut s = j;
                while s > 0 && chars[s - 1] == '_' {
                    s -= 1;
                }
                s > open_end && !is_space(chars[s - 1]) && chars[s - 1] != '_'
            }
        });
        if let Some(close_last) = closing {
            let mut close_start = close_last;
            while chars[close_start - 1] == '_' {
                close_start -= 1;
            }
            keep[open..open_end].iter_mut().for_each(|k| *k = true);
            keep[close_start..=close_last]
                .iter_mut()
                .for_each(|k| *k = true);
        }
    }
    chars
        .iter()
        .zip(keep)
        .map(|(c, keep)| {
            if *c == '_' && !keep {
                "\\_".to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Text made safe for one cell of a Markdown table: no line breaks, no column breaks.
pub fn markdown_cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\r', '\n'], " ")
}

/// Text inside a Markdown code span (backticks): a span cannot hold its own delimiter,
/// so a value containing a backtick is fenced with two.
pub fn markdown_code(text: &str) -> String {
    let cell = markdown_cell(text);
    if cell.contains('`') {
        format!("`` {cell} ``")
    } else {
        format!("`{cell}`")
    }
}

/// Registers the Markdown filters on a template environment.
pub fn register(env: &mut Environment<'static>) {
    env.add_filter("md_cell", |text: String| markdown_cell(&text));
    env.add_filter("md_code", |text: String| markdown_code(&text));
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODULE: &str = r#"
variable "alarm_emails" {
  type        = list(string)
  description = "Who | gets alarms"
  default     = ["ops@example.com"]
}

variable "certificate_arn" {
  type        = string
  description = "ACM certificate."
  default     = null
}

variable "environment" {
  type = string
}

output "db_endpoint" {
  description = "Endpoint."
  value       = aws_db_instance.this.endpoint
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_18:No access logs: CloudTrail covers it
  for_each = local.buckets
  tags = {
    Name = "x"
  }
}

data "aws_partition" "current" {}

resource "aws_db_instance" "this" {
  #checkov:skip=CKV_AWS_118:Turned off in the spec
}
"#;

    #[test]
    fn inputs_carry_type_default_and_required() {
        let inputs = docs_of(&[MODULE]).inputs;
        let names: Vec<&str> = inputs.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["alarm_emails", "certificate_arn", "environment"]);
        assert_eq!(inputs[0].type_expr, "list(string)");
        assert_eq!(inputs[0].default.as_deref(), Some(r#"["ops@example.com"]"#));
        assert_eq!(inputs[0].description, "Who | gets alarms");
        // An explicit null default still makes the variable optional.
        assert_eq!(inputs[1].default.as_deref(), Some("null"));
        assert!(!inputs[1].required);
        assert!(inputs[2].required && inputs[2].default.is_none());
    }

    #[test]
    fn outputs_and_resources_are_listed() {
        let docs = docs_of(&[MODULE]);
        assert_eq!(docs.outputs.len(), 1);
        assert_eq!(docs.outputs[0].description, "Endpoint.");
        let addresses: Vec<String> = docs.resources.into_iter().map(|r| r.address).collect();
        assert_eq!(
            addresses,
            [
                "aws_db_instance.this",
                "aws_s3_bucket.this",
                "data.aws_partition.current"
            ]
        );
    }

    #[test]
    fn requirements_come_from_terraform_blocks() {
        let text = r#"
terraform {
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.80, < 6.0"
    }
    random = "~> 3.0"
  }
}

terraform {
  backend "s3" {}
}
"#;
        let requirements = docs_of(&[text]).requirements;
        let pairs: Vec<(&str, &str)> = requirements
            .iter()
            .map(|r| (r.name.as_str(), r.version.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("terraform", ">= 1.6.0"),
                ("aws", ">= 5.80, < 6.0"),
                ("random", "~> 3.0")
            ]
        );
    }

    /// The docs of a module of the files `texts`, as a render reads them.
    pub(super) fn docs_of(texts: &[&str]) -> ModuleDocs {
        let mut module = ModuleText::default();
        for text in texts {
            module.add(FileDocs::of(text, &hcl::parse(text).unwrap()));
        }
        module.docs()
    }

    /// Read file by file (as each core reads the files it rendered) or as one text, a
    /// module's docs are the same.
    #[test]
    fn docs_read_file_by_file_are_the_docs_of_the_whole_module() {
        // Terraform's own requirement comes first whichever file holds it, and providers
        // sort across files.
        let random = "terraform {\n  required_providers {\n    random = \"~> 3.0\"\n  }\n}\n";
        let versions = r#"
terraform {
  required_version = ">= 1.6.0"
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 5.80" }
  }
}
"#;
        let (head, tail) = MODULE.split_at(MODULE.find("output \"db_endpoint\"").unwrap());
        let (middle, last) = tail.split_at(tail.find("data \"aws_partition\"").unwrap());
        let whole = docs_of(&[&format!("{random}{head}{versions}{middle}{last}")]);
        let split = docs_of(&[random, head, versions, middle, last]);
        assert_eq!(
            serde_json::to_value(&split).unwrap(),
            serde_json::to_value(&whole).unwrap()
        );
        assert_eq!(whole.inputs.len(), 3);
        let requirements: Vec<&str> = whole.requirements.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(requirements, ["terraform", "aws", "random"]);
        assert_eq!(whole.skips.len(), 2);
    }

    #[test]
    fn skips_belong_to_the_enclosing_resource() {
        let skips = checkov_skips(MODULE);
        assert_eq!(
            skips,
            [
                CheckovSkip {
                    resource: "aws_s3_bucket.this".into(),
                    id: "CKV_AWS_18".into(),
                    reason: "No access logs: CloudTrail covers it".into(),
                },
                CheckovSkip {
                    resource: "aws_db_instance.this".into(),
                    id: "CKV_AWS_118".into(),
                    reason: "Turned off in the spec".into(),
                },
            ]
        );
    }

    #[test]
    fn markdown_cells_cannot_break_the_table() {
        assert_eq!(markdown_cell("a|b\nc"), "a\\|b c");
        assert_eq!(markdown_code("x`y"), "`` x`y ``");
        assert_eq!(markdown_code("\"t3.micro\""), "`\"t3.micro\"`");
    }
}

/// `terraform_docs` against lines of terraform-docs' documented output
/// (docs/reference/markdown-table.md of terraform-docs, default settings; `<br/>` since
/// 0.19).
#[cfg(test)]
mod terraform_docs_format {
    use super::tests::docs_of;
    use super::*;

    const MODULE: &str = r#"
terraform {
  required_version = ">= 0.12"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 2.15.0"
    }
  }
}

variable "input_with_underscores" {
  description = "A variable with underscores."
}

variable "input-with-pipe" {
  description = "It includes v1 | v2 | v3"
  type        = string
  default     = "v1"
}

variable "no-escape-default-value" {
  description = "The description contains `something_with_underscore`. Defaults to 'VALUE_WITH_UNDERSCORE'."
  type        = string
  default     = "VALUE_WITH_UNDERSCORE"
}

variable "with-url" {
  description = "The description contains url. https://www.domain.com/foo/bar_baz.html"
  type        = string
  default     = ""
}

variable "list-1" {
  description = "It's list number one."
  type        = list
  default     = ["a", "b", "c"]
}

variable "map-1" {
  description = "It's map number one."
  type        = map
  default     = { "c" = 3, "a" = 1, "b" = 2 }
}

variable "string_default_null" {
  type    = string
  default = null
}

output "output-1" {
  description = "It's output number one."
  value       = "1"
}

resource "aws_vpc" "this" {}

data "aws_caller_identity" "current" {}
"#;

    #[test]
    fn matches_terraform_docs_markdown_table_output() {
        let docs = docs_of(&[MODULE]).terraform_docs;
        let expected_lines = [
            "## Requirements\n\n| Name | Version |\n|------|---------|\n| <a name=\"requirement_terraform\"></a> [terraform](#requirement\\_terraform) | >= 0.12 |\n| <a name=\"requirement_aws\"></a> [aws](#requirement\\_aws) | >= 2.15.0 |\n\n## Providers\n\n| Name | Version |\n|------|---------|\n| <a name=\"provider_aws\"></a> [aws](#provider\\_aws) | >= 2.15.0 |\n\n## Modules\n\nNo modules.\n\n## Resources\n\n| Name | Type |\n|------|------|\n| [aws_vpc.this](https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/vpc) | resource |\n| [aws_caller_identity.current](https://registry.terraform.io/providers/hashicorp/aws/latest/docs/data-sources/caller_identity) | data source |\n\n## Inputs\n\n| Name | Description | Type | Default | Required |\n|------|-------------|------|---------|:--------:|\n",
            "| <a name=\"input_input-with-pipe\"></a> [input-with-pipe](#input\\_input-with-pipe) | It includes v1 \\| v2 \\| v3 | `string` | `\"v1\"` | no |\n",
            "| <a name=\"input_input_with_underscores\"></a> [input\\_with\\_underscores](#input\\_input\\_with\\_underscores) | A variable with underscores. | `any` | n/a | yes |\n",
            "| <a name=\"input_list-1\"></a> [list-1](#input\\_list-1) | It's list number one. | `list` | <pre>[<br/>  \"a\",<br/>  \"b\",<br/>  \"c\"<br/>]</pre> | no |\n",
            "| <a name=\"input_map-1\"></a> [map-1](#input\\_map-1) | It's map number one. | `map` | <pre>{<br/>  \"a\": 1,<br/>  \"b\": 2,<br/>  \"c\": 3<br/>}</pre> | no |\n",
            "| <a name=\"input_no-escape-default-value\"></a> [no-escape-default-value](#input\\_no-escape-default-value) | The description contains `something_with_underscore`. Defaults to 'VALUE\\_WITH\\_UNDERSCORE'. | `string` | `\"VALUE_WITH_UNDERSCORE\"` | no |\n",
            "| <a name=\"input_string_default_null\"></a> [string\\_default\\_null](#input\\_string\\_default\\_null) | n/a | `string` | `null` | no |\n",
            "| <a name=\"input_with-url\"></a> [with-url](#input\\_with-url) | The description contains url. https://www.domain.com/foo/bar_baz.html | `string` | `\"\"` | no |\n",
            "\n## Outputs\n\n| Name | Description |\n|------|-------------|\n| <a name=\"output_output-1\"></a> [output-1](#output\\_output-1) | It's output number one. |",
        ];
        assert_eq!(docs, expected_lines.concat(), "\n{docs}");
    }

    #[test]
    fn emphasis_runs_stay_unescaped_like_terraform_docs() {
        assert_eq!(escape_underscores("a _b c_ d"), "a _b c_ d");
        assert_eq!(escape_underscores("_ item"), "_ item");
        assert_eq!(
            escape_underscores("min_size and max_size"),
            "min\\_size and max\\_size"
        );
    }
}
