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

/// The module's top-level `.tf` files as rendered: their text (for checkov's comments)
/// and their parsed bodies, in path order. Filled by the first render phase.
#[derive(Debug, Default)]
pub struct ModuleText {
    text: String,
    body: hcl::Body,
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
}

impl ModuleText {
    /// Adds one rendered file (callers add files in path order).
    pub fn add(&mut self, text: &str, body: hcl::Body) {
        self.text.push_str(text);
        self.text.push('\n');
        self.body.extend(body);
    }

    pub fn docs(&self) -> ModuleDocs {
        ModuleDocs {
            inputs: inputs(&self.body),
            outputs: outputs(&self.body),
            resources: resources(&self.body),
            requirements: requirements(&self.body),
            skips: checkov_skips(&self.text),
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

/// The `variable` blocks of a module text, sorted by name (terraform-docs' order).
pub fn inputs(body: &hcl::Body) -> Vec<Input> {
    let mut inputs: Vec<Input> = blocks(body, "variable")
        .map(|block| {
            let default = block
                .body()
                .attributes()
                .find(|attr| attr.key() == "default")
                .map(|attr| one_line(attr.expr()));
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
            }
        })
        .collect();
    inputs.sort_by(|a, b| a.name.cmp(&b.name));
    inputs
}

/// The `output` blocks of a module text, sorted by name.
pub fn outputs(body: &hcl::Body) -> Vec<Output> {
    let mut outputs: Vec<Output> = blocks(body, "output")
        .map(|block| Output {
            name: label(block, 0),
            description: string_attribute(block.body(), "description"),
            sensitive: string_attribute(block.body(), "sensitive") == "true",
        })
        .collect();
    outputs.sort_by(|a, b| a.name.cmp(&b.name));
    outputs
}

/// The `resource` and `data` blocks of a module text, sorted by address.
pub fn resources(body: &hcl::Body) -> Vec<Resource> {
    let mut resources: Vec<Resource> = body
        .blocks()
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
        .collect();
    resources.sort_by(|a, b| a.address.cmp(&b.address));
    resources.dedup();
    resources
}

/// `required_version` and the `required_providers` of the `terraform` blocks: Terraform
/// first, then providers by name.
pub fn requirements(body: &hcl::Body) -> Vec<Requirement> {
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
    providers.sort_by(|a, b| a.name.cmp(&b.name));
    core.extend(providers);
    core
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
        let inputs = inputs(&hcl::parse(MODULE).unwrap());
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
        let outputs = outputs(&hcl::parse(MODULE).unwrap());
        assert_eq!(outputs.len(), 1);
        assert_eq!(outputs[0].description, "Endpoint.");
        let addresses: Vec<String> = resources(&hcl::parse(MODULE).unwrap())
            .into_iter()
            .map(|r| r.address)
            .collect();
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
        let requirements = requirements(&hcl::parse(text).unwrap());
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
