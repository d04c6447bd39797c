//! Validate stage: the JSON Schema first, then semantic rules, every problem reported
//! at once with its position.
//!
//! jsonschema's own messages are written for schema authors (`"x" is not valid under any
//! of the schemas listed in the 'oneOf' keyword`); each error kind is rewritten here into
//! a sentence about the spec, with a hint taken from the schema (allowed keys and values,
//! the property's description and an example).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

use crate::cidr;
use crate::diagnostics::{Diagnostic, Position};
use crate::error::{Error, Result};
use crate::load::{LoadedSpec, Positions, pointer_segment};
use crate::spec::{ComputeKind, DatabaseKind, Engine, ScalingPolicy, Spec};

/// The JSON Schema, embedded: it is the contract and `hagen schema` prints it.
pub const SCHEMA: &str = include_str!("../schemas/hagen.schema.json");

/// The embedded schema as JSON.
pub fn schema() -> &'static Value {
    static SCHEMA_JSON: OnceLock<Value> = OnceLock::new();
    SCHEMA_JSON.get_or_init(|| serde_json::from_str(SCHEMA).expect("embedded schema is JSON"))
}

fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let mut options = jsonschema::options().should_validate_formats(true);
        for (name, check) in formats::ALL {
            options = options.with_format(*name, *check);
        }
        options
            .build(schema())
            .expect("the embedded schema compiles (checked by a test)")
    })
}

/// Validates a loaded spec: every problem of the load stage, the schema and the
/// semantic rules, as one `InvalidSpec` error; or the typed spec.
pub fn validate(loaded: &LoadedSpec) -> Result<Spec> {
    let diagnostics = check(loaded);
    if !diagnostics.is_empty() {
        return Err(Error::InvalidSpec {
            file: loaded.path.display().to_string(),
            source_text: loaded.text.clone(),
            diagnostics,
        });
    }
    serde_json::from_value(loaded.document.clone())
        .map_err(|e| Error::Internal(format!("bug: a schema-valid spec did not deserialize: {e}")))
}

/// All problems of a loaded spec, sorted by position. Semantic rules run only on a
/// schema-valid document (they need its types), so a spec with schema errors gets its
/// semantic errors on the next run.
pub fn check(loaded: &LoadedSpec) -> Vec<Diagnostic> {
    let file = loaded.path.display().to_string();
    let mut diagnostics = loaded.diagnostics.clone();
    let schema_errors: Vec<Diagnostic> = validator()
        .iter_errors(&loaded.document)
        .flat_map(|error| describe(&error, &loaded.document, &loaded.positions, &file))
        .collect();
    if schema_errors.is_empty() {
        diagnostics.extend(semantic(loaded, &file));
    }
    diagnostics.extend(schema_errors);
    diagnostics.sort_by(|a, b| (a.line, a.column, &a.message).cmp(&(b.line, b.column, &b.message)));
    diagnostics.dedup();
    diagnostics
}

// ---------------------------------------------------------------------------------------
// Schema errors -> diagnostics
// ---------------------------------------------------------------------------------------

/// `/compute/scaling/target` -> `compute.scaling.target`, `/storage/buckets/0/name` ->
/// `storage.buckets[0].name`: how a user names a place in their YAML.
pub fn display_path(pointer: &str) -> String {
    if pointer.is_empty() {
        return "the spec".into();
    }
    let mut out = String::new();
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        if segment.parse::<usize>().is_ok() {
            out.push_str(&format!("[{segment}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&segment);
        }
    }
    out
}

/// Follows a schema location (as jsonschema reports it, possibly through `$ref`) to the
/// schema node it names.
fn schema_node(location: &str) -> Option<&'static Value> {
    let root = schema();
    let mut node = root;
    for raw in location.split('/').skip(1) {
        let segment = raw.replace("~1", "/").replace("~0", "~");
        if segment == "$ref" {
            let target = node.get("$ref")?.as_str()?.strip_prefix('#')?;
            node = root.pointer(target)?;
            continue;
        }
        node = match node {
            Value::Object(map) => map.get(&segment)?,
            Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}

/// The schema node that holds a keyword: the location without its last segment.
fn parent_location(location: &str) -> &str {
    location.rsplit_once('/').map_or("", |(parent, _)| parent)
}

fn short(value: &Value) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.chars().count() > 60 {
        format!("{}...", text.chars().take(57).collect::<String>())
    } else {
        text
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "empty (null)",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn type_name(name: &str) -> &str {
    match name {
        "boolean" => "a boolean (true or false)",
        "integer" => "an integer",
        "number" => "a number",
        "string" => "a string",
        "array" => "a list",
        "object" => "a mapping",
        "null" => "null",
        other => other,
    }
}

/// `description` plus an example of the schema node, as a hint.
fn description_hint(node: Option<&Value>) -> Option<String> {
    let node = node?;
    let description = node.get("description").and_then(Value::as_str);
    let example = node
        .get("examples")
        .and_then(|e| e.get(0))
        .filter(|e| !e.is_object() && !e.is_array())
        .map(|e| format!("e.g. `{}`", short(e)));
    match (description, example) {
        (Some(d), Some(e)) => Some(format!("{d} ({e})")),
        (Some(d), None) => Some(d.to_string()),
        (None, Some(e)) => Some(e),
        (None, None) => None,
    }
}

/// The closest candidate by edit distance, when it is close enough to be a typo.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let best = candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .min()?;
    let allowed = (word.chars().count().max(best.1.chars().count()) / 3).max(2);
    (best.0 <= allowed).then_some(best.1)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

fn backticked(values: impl IntoIterator<Item = String>) -> String {
    values
        .into_iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// For a keyword inside `then`/`else`, the condition of its `if`, e.g. `kind: ecs`.
fn condition(location: &str) -> Option<(String, &'static str)> {
    let segments: Vec<&str> = location.split('/').collect();
    let branch_index = segments
        .iter()
        .rposition(|s| *s == "then" || *s == "else")?;
    let owner = segments[..branch_index].join("/");
    let branch = if segments[branch_index] == "then" {
        "then"
    } else {
        "else"
    };
    let test = schema_node(&owner)?.get("if")?.get("properties")?;
    let (key, rule) = test.as_object()?.iter().next()?;
    let value = short(rule.get("const")?);
    Some((format!("{key}: {value}"), branch))
}

fn diagnostic(file: &str, at: Position, message: String, hint: Option<String>) -> Diagnostic {
    Diagnostic {
        file: file.to_string(),
        line: at.line,
        column: at.column,
        message,
        hint,
    }
}

/// Turns one jsonschema error into diagnostics (one per unknown key).
fn describe(
    error: &jsonschema::ValidationError<'_>,
    document: &Value,
    positions: &Positions,
    file: &str,
) -> Vec<Diagnostic> {
    let pointer = error.instance_path().as_str().to_string();
    let location = error.schema_path().as_str().to_string();
    let keyword_owner = schema_node(parent_location(&location));
    let instance = document.pointer(&pointer).unwrap_or(&Value::Null);
    let path = display_path(&pointer);
    let at = positions.value(&pointer);
    let one = |message: String, hint: Option<String>| vec![diagnostic(file, at, message, hint)];
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let allowed: Vec<&str> = keyword_owner
                .and_then(|s| s.get("properties"))
                .and_then(Value::as_object)
                .map(|p| p.keys().map(String::as_str).collect())
                .unwrap_or_default();
            unexpected
                .iter()
                .map(|key| {
                    let key_pointer = format!("{pointer}/{}", pointer_segment(key));
                    let mut hint = String::new();
                    if let Some(best) = closest(key, allowed.iter().copied()) {
                        hint.push_str(&format!("did you mean `{best}`? "));
                    }
                    hint.push_str(&format!(
                        "allowed keys: {}",
                        backticked(allowed.iter().map(|k| k.to_string()))
                    ));
                    diagnostic(
                        file,
                        positions.key(&key_pointer),
                        format!("unknown key `{key}` in {}", section(&path)),
                        Some(hint),
                    )
                })
                .collect()
        }
        ValidationErrorKind::FalseSchema => {
            let key = pointer.rsplit('/').next().unwrap_or_default();
            let message = match condition(&location) {
                Some((test, "then")) => format!("`{path}` cannot be used with `{test}`"),
                Some((test, _)) => {
                    let (key_name, _) = test.split_once(": ").unwrap_or((&test, ""));
                    let parent = parent_location(&pointer);
                    let written = document.pointer(&format!("{parent}/{key_name}"));
                    // Not written: the schema's default decides, say which.
                    let default = || {
                        let owner = location.rsplit_once("/else/")?.0;
                        let default = schema_node(owner)?
                            .get("properties")?
                            .get(key_name)?
                            .get("default")?;
                        Some(format!("{} (the default)", short(default)))
                    };
                    let actual = written
                        .map(short)
                        .or_else(default)
                        .unwrap_or_else(|| "its default".into());
                    format!("`{path}` only applies with `{test}`, not `{key_name}: {actual}`")
                }
                None => format!("`{path}` is not allowed here"),
            };
            vec![diagnostic(
                file,
                positions.key(&pointer),
                message,
                Some(format!("remove `{key}`, or change the kind")),
            )]
        }
        ValidationErrorKind::Type { .. } => {
            let expected = keyword_owner
                .and_then(|s| s.get("type"))
                .map(|t| match t {
                    Value::Array(types) => types
                        .iter()
                        .filter_map(Value::as_str)
                        .map(type_name)
                        .collect::<Vec<_>>()
                        .join(" or "),
                    other => type_name(other.as_str().unwrap_or("?")).to_string(),
                })
                .unwrap_or_else(|| "another type".into());
            let found = match instance {
                Value::Null => "nothing (null)".to_string(),
                Value::Array(_) | Value::Object(_) => json_type(instance).to_string(),
                other => format!("{} (`{}`)", json_type(other), short(other)),
            };
            let mut hint = description_hint(keyword_owner);
            if matches!(
                instance.as_str(),
                Some("yes" | "no" | "on" | "off" | "y" | "n")
            ) && expected.starts_with("a boolean")
            {
                hint = Some(
                    "YAML 1.2: write `true` or `false`; `yes`/`no`/`on`/`off` are strings".into(),
                );
            }
            one(format!("`{path}` must be {expected}, found {found}"), hint)
        }
        ValidationErrorKind::Enum { options } => {
            let allowed: Vec<String> = options
                .as_array()
                .map(|o| o.iter().map(short).collect())
                .unwrap_or_default();
            let mut hint = String::new();
            if let Some(text) = instance.as_str()
                && let Some(best) = closest(text, allowed.iter().map(String::as_str))
            {
                hint.push_str(&format!("did you mean `{best}`? "));
            }
            hint.push_str(&format!("allowed values: {}", backticked(allowed.clone())));
            one(
                format!("`{}` is not an allowed value for `{path}`", short(instance)),
                Some(hint),
            )
        }
        ValidationErrorKind::Constant { expected_value } => one(
            format!("`{path}` must be `{}`", short(expected_value)),
            description_hint(keyword_owner),
        ),
        ValidationErrorKind::Format { format } => {
            let value = short(instance);
            let message = match format.as_str() {
                "ipv4-cidr" => cidr::parse(&value)
                    .err()
                    .unwrap_or_else(|| format!("`{value}` is not an IPv4 CIDR block")),
                "aws-region" => format!("`{value}` is not an AWS region name"),
                "aws-availability-zone" => {
                    format!("`{value}` is not an availability zone name")
                }
                "acm-certificate-arn" => format!("`{value}` is not an ACM certificate ARN"),
                "kms-key-arn" => format!("`{value}` is not a KMS key ARN"),
                "secret-arn" => format!(
                    "`{value}` is not the ARN of a Secrets Manager secret or an SSM parameter"
                ),
                "email" => format!("`{value}` is not an email address"),
                other => format!("`{value}` is not a valid {other}"),
            };
            one(
                format!("{message} (at `{path}`)"),
                description_hint(keyword_owner),
            )
        }
        ValidationErrorKind::Pattern { .. } => one(
            format!("`{}` is not a valid value for `{path}`", short(instance)),
            description_hint(keyword_owner),
        ),
        ValidationErrorKind::Required { property } => {
            let key = short(property);
            let mut message = format!("{} is missing the required key `{key}`", section(&path));
            if let Some((test, "then")) = condition(&location) {
                message.push_str(&format!(" (required with `{test}`)"));
            }
            // The property is defined next to the keyword, or (for a `then` branch that
            // only requires it) in the mapping that holds the `if`.
            let defined_at = |node: Option<&'static Value>| {
                node.and_then(|s| s.get("properties"))
                    .and_then(|p| p.get(&key))
                    .filter(|p| p.is_object())
            };
            let owner = location
                .rsplit_once("/then/")
                .or_else(|| location.rsplit_once("/else/"))
                .and_then(|(owner, _)| schema_node(owner));
            // Point at the mapping's own key (`compute:`), where the key is missing.
            vec![diagnostic(
                file,
                positions.key(&pointer),
                message,
                description_hint(defined_at(keyword_owner).or(defined_at(owner))),
            )]
        }
        ValidationErrorKind::Minimum { limit } => one(
            format!(
                "`{path}` must be at least {limit}, found {}",
                short(instance)
            ),
            description_hint(keyword_owner),
        ),
        ValidationErrorKind::Maximum { limit } => one(
            format!(
                "`{path}` must be at most {limit}, found {}",
                short(instance)
            ),
            description_hint(keyword_owner),
        ),
        ValidationErrorKind::ExclusiveMinimum { limit } => one(
            format!(
                "`{path}` must be greater than {limit}, found {}",
                short(instance)
            ),
            description_hint(keyword_owner),
        ),
        ValidationErrorKind::ExclusiveMaximum { limit } => one(
            format!(
                "`{path}` must be less than {limit}, found {}",
                short(instance)
            ),
            description_hint(keyword_owner),
        ),
        ValidationErrorKind::MinLength { limit } => one(
            format!("`{path}` must be at least {limit} characters long"),
            description_hint(keyword_owner),
        ),
        ValidationErrorKind::MaxLength { limit } => one(
            format!("`{path}` must be at most {limit} characters long"),
            description_hint(keyword_owner),
        ),
        ValidationErrorKind::MinItems { limit } => one(
            format!(
                "`{path}` needs at least {limit} items, has {}",
                instance.as_array().map_or(0, Vec::len)
            ),
            description_hint(keyword_owner),
        ),
        ValidationErrorKind::MaxItems { limit } => one(
            format!(
                "`{path}` takes at most {limit} items, has {}",
                instance.as_array().map_or(0, Vec::len)
            ),
            description_hint(keyword_owner),
        ),
        ValidationErrorKind::MaxProperties { limit } => one(
            format!("`{path}` takes at most {limit} entries"),
            description_hint(keyword_owner),
        ),
        ValidationErrorKind::UniqueItems => {
            // Point at the second occurrence of the first repeated item.
            let items = instance.as_array().cloned().unwrap_or_default();
            let repeat = (1..items.len()).find(|&j| items[..j].contains(&items[j]));
            match repeat {
                Some(j) => vec![diagnostic(
                    file,
                    positions.value(&format!("{pointer}/{j}")),
                    format!("`{}` is listed twice in `{path}`", short(&items[j])),
                    Some("each item may appear once".into()),
                )],
                None => one(format!("`{path}` has repeated items"), None),
            }
        }
        ValidationErrorKind::PropertyNames { error: inner } => {
            let key = inner.instance().as_str().unwrap_or_default().to_string();
            let key_pointer = format!("{pointer}/{}", pointer_segment(&key));
            let rule = match inner.kind() {
                ValidationErrorKind::Pattern { pattern } => {
                    format!("it must match `{pattern}`")
                }
                ValidationErrorKind::MaxLength { limit } => {
                    format!("it is longer than {limit} characters")
                }
                ValidationErrorKind::MinLength { .. } => "it is empty".to_string(),
                _ => inner.to_string(),
            };
            vec![diagnostic(
                file,
                positions.key(&key_pointer),
                format!(
                    "the key `{key}` is not allowed in {}: {rule}",
                    section(&path)
                ),
                // The map's own description says what its keys are.
                location
                    .split("/propertyNames")
                    .next()
                    .and_then(schema_node)
                    .and_then(|map| map.get("description"))
                    .and_then(Value::as_str)
                    .map(str::to_string),
            )]
        }
        ValidationErrorKind::OneOfNotValid { .. } | ValidationErrorKind::AnyOf { .. } => {
            let alternatives: Vec<String> = schema_node(&location)
                .and_then(Value::as_array)
                .map(|list| list.iter().map(describe_alternative).collect())
                .unwrap_or_default();
            one(
                format!(
                    "`{}` is not valid for `{path}`: expected {}",
                    short(instance),
                    alternatives.join(" or ")
                ),
                description_hint(keyword_owner),
            )
        }
        _ => one(
            format!("`{path}`: {error}"),
            description_hint(keyword_owner),
        ),
    }
}

/// "`compute`" or "the spec" (top level), for messages about a mapping.
fn section(path: &str) -> String {
    if path == "the spec" {
        "the top level of the spec".into()
    } else {
        format!("`{path}`")
    }
}

/// One `oneOf`/`anyOf` alternative in words: `traffic-port`, an integer from 1 to 65535.
fn describe_alternative(schema: &Value) -> String {
    if let Some(value) = schema.get("const") {
        return format!("`{}`", short(value));
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return format!("one of {}", backticked(values.iter().map(short)));
    }
    let kind = schema
        .get("type")
        .and_then(Value::as_str)
        .map(type_name)
        .unwrap_or("a value");
    match (schema.get("minimum"), schema.get("maximum")) {
        (Some(min), Some(max)) => format!("{kind} from {min} to {max}"),
        (Some(min), None) => format!("{kind} of at least {min}"),
        (None, Some(max)) => format!("{kind} of at most {max}"),
        (None, None) => kind.to_string(),
    }
}

// ---------------------------------------------------------------------------------------
// Custom formats
// ---------------------------------------------------------------------------------------

/// The custom `format`s the schema uses, checked by hand (no regex crate needed).
pub mod formats {
    pub type Check = fn(&str) -> bool;

    pub const ALL: &[(&str, Check)] = &[
        ("ipv4-cidr", is_ipv4_cidr),
        ("aws-region", is_aws_region),
        ("aws-availability-zone", is_availability_zone),
        ("acm-certificate-arn", is_acm_certificate_arn),
        ("kms-key-arn", is_kms_key_arn),
        ("secret-arn", is_secret_arn),
    ];

    /// A network address with its prefix (`10.0.0.0/16`), no host bits.
    pub fn is_ipv4_cidr(text: &str) -> bool {
        crate::cidr::parse(text).is_ok()
    }

    fn is_lower_word(text: &str) -> bool {
        !text.is_empty() && text.bytes().all(|b| b.is_ascii_lowercase())
    }

    /// `eu-west-1`, `us-gov-west-1`, `ap-southeast-3`, `us-isob-east-1`, `eusc-de-east-1`.
    pub fn is_aws_region(text: &str) -> bool {
        let parts: Vec<&str> = text.split('-').collect();
        let (area, rest) = match parts.as_slice() {
            [area, partition, rest @ ..]
                if matches!(*partition, "gov" | "iso" | "isob" | "isoe" | "isof") =>
            {
                (*area, rest)
            }
            [area, rest @ ..] => (*area, rest),
            [] => return false,
        };
        let [direction, number] = rest else {
            return false;
        };
        (2..=4).contains(&area.len())
            && is_lower_word(area)
            && is_lower_word(direction)
            && !number.is_empty()
            && number.len() <= 2
            && number.bytes().all(|b| b.is_ascii_digit())
            && !number.starts_with('0')
    }

    /// A region followed by one zone letter: `eu-west-1a`.
    pub fn is_availability_zone(text: &str) -> bool {
        match text.char_indices().last() {
            Some((index, letter)) if letter.is_ascii_lowercase() => is_aws_region(&text[..index]),
            _ => false,
        }
    }

    /// `arn:<partition>:<service>:<region>:<account>:<resource>` with the given service and
    /// a resource accepted by `resource`.
    fn is_arn(text: &str, service: &str, resource: impl Fn(&str) -> bool) -> bool {
        let parts: Vec<&str> = text.splitn(6, ':').collect();
        let [arn, partition, svc, region, account, rest] = parts.as_slice() else {
            return false;
        };
        *arn == "arn"
            && matches!(
                *partition,
                "aws" | "aws-cn" | "aws-us-gov" | "aws-iso" | "aws-iso-b"
            )
            && *svc == service
            && is_aws_region(region)
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && resource(rest)
    }

    fn is_id(text: &str) -> bool {
        !text.is_empty()
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }

    /// `arn:aws:acm:eu-west-1:123456789012:certificate/<id>`.
    pub fn is_acm_certificate_arn(text: &str) -> bool {
        is_arn(text, "acm", |r| {
            r.strip_prefix("certificate/").is_some_and(is_id)
        })
    }

    /// A KMS key ARN (`key/<id>`) or alias ARN (`alias/<name>`).
    pub fn is_kms_key_arn(text: &str) -> bool {
        is_arn(text, "kms", |r| {
            r.strip_prefix("key/").is_some_and(is_id)
                || r.strip_prefix("alias/").is_some_and(|name| {
                    !name.is_empty()
                        && name
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"/_-".contains(&b))
                })
        })
    }

    /// A Secrets Manager secret ARN or an SSM parameter ARN (ECS accepts both).
    pub fn is_secret_arn(text: &str) -> bool {
        let name_ok = |name: &str| {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"/_+=.@-:".contains(&b))
        };
        is_arn(text, "secretsmanager", |r| {
            r.strip_prefix("secret:").is_some_and(name_ok)
        }) || is_arn(text, "ssm", |r| {
            r.strip_prefix("parameter/").is_some_and(name_ok)
        })
    }
}

// ---------------------------------------------------------------------------------------
// Semantic rules
// ---------------------------------------------------------------------------------------

/// Where a semantic problem is: the value or the key at a JSON pointer of the spec.
#[derive(Clone, Copy)]
enum Site<'a> {
    Value(&'a str),
    Key(&'a str),
}

struct Checker<'a> {
    positions: &'a Positions,
    file: &'a str,
    /// Set while checking the spec as one environment's overrides change it: pointers
    /// then resolve into `environments.<env>` where the override sets the value.
    environment: Option<&'a str>,
    out: Vec<Diagnostic>,
}

impl Checker<'_> {
    /// Reports a problem at the first site; `others` are sites the problem also
    /// depends on. In an environment, a problem is only reported when one of its sites
    /// is overridden there (otherwise the base spec reports it), and it points there.
    fn report(&mut self, site: Site<'_>, others: &[&str], message: String, hint: Option<&str>) {
        let (pointer, is_key) = match site {
            Site::Value(p) => (p, false),
            Site::Key(p) => (p, true),
        };
        let at = match self.environment {
            None => {
                if is_key {
                    self.positions.key(pointer)
                } else {
                    self.positions.value(pointer)
                }
            }
            Some(env) => {
                let overridden = std::iter::once(pointer)
                    .chain(others.iter().copied())
                    .map(|p| format!("/environments/{}{p}", pointer_segment(env)))
                    .find(|p| self.positions.values.contains_key(p));
                let Some(overridden) = overridden else {
                    return;
                };
                self.positions.value(&overridden)
            }
        };
        let message = match self.environment {
            Some(env) => format!("in environment `{env}`: {message}"),
            None => message,
        };
        self.out
            .push(diagnostic(self.file, at, message, hint.map(str::to_string)));
    }
}

fn semantic(loaded: &LoadedSpec, file: &str) -> Vec<Diagnostic> {
    let Ok(spec) = serde_json::from_value::<Spec>(loaded.document.clone()) else {
        return Vec::new(); // cannot happen for a schema-valid document; validate() says so
    };
    let mut checker = Checker {
        positions: &loaded.positions,
        file,
        environment: None,
        out: Vec::new(),
    };
    rules(&spec, &mut checker);
    // Each environment's overrides applied to the base spec must pass the same rules.
    for (env, overrides) in &spec.environments {
        let mut merged = loaded.document.clone();
        merge(&mut merged, overrides);
        if let Ok(env_spec) = serde_json::from_value::<Spec>(merged) {
            checker.environment = Some(env);
            rules(&env_spec, &mut checker);
        }
        checker.environment = None;
        inapplicable_overrides(&spec, env, overrides, &mut checker);
    }
    checker.out
}

/// An environment may only override keys that mean something for the spec's kinds: an
/// EC2 instance type under `kind: ecs` would otherwise be dropped without a word.
fn inapplicable_overrides(spec: &Spec, env: &str, overrides: &Value, c: &mut Checker<'_>) {
    let (compute_kind, not_for_compute): (&str, &[&str]) = match spec.compute.kind {
        ComputeKind::Ec2 => ("ec2", &["cpu", "memory"]),
        ComputeKind::Ecs => ("ecs", &["instance_type"]),
    };
    let not_for_database: &[&str] = match spec.database.kind {
        DatabaseKind::Rds => &[],
        DatabaseKind::Dynamodb => &[
            "instance_class",
            "multi_az",
            "allocated_storage",
            "max_allocated_storage",
            "backup_retention_days",
            "skip_final_snapshot",
        ],
    };
    let checks = [
        (
            "compute",
            not_for_compute,
            format!("`compute.kind: {compute_kind}`"),
        ),
        (
            "database",
            not_for_database,
            "`database.kind: dynamodb`".to_string(),
        ),
    ];
    for (section, keys, kind) in checks {
        let Some(set) = overrides.get(section).and_then(Value::as_object) else {
            continue;
        };
        for key in set.keys().filter(|key| keys.contains(&key.as_str())) {
            let pointer = format!("/environments/{}/{section}/{key}", pointer_segment(env));
            c.report(
                Site::Key(&pointer),
                &[],
                format!("in environment `{env}`: `{section}.{key}` does not apply to {kind}"),
                Some("remove it, or change the kind in the spec"),
            );
        }
    }
}

/// Deep merge: mappings merge key by key, anything else replaces.
fn merge(base: &mut Value, overrides: &Value) {
    match (base, overrides) {
        (Value::Object(base), Value::Object(overrides)) => {
            for (key, value) in overrides {
                merge(base.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
        (base, overrides) => *base = overrides.clone(),
    }
}

/// Fargate CPU units -> allowed memory (MiB): AWS's task size table.
fn fargate_memory_allowed(cpu: u32, memory: u32) -> bool {
    let (low, high, step) = match cpu {
        256 => return matches!(memory, 512 | 1024 | 2048),
        512 => (1024, 4096, 1024),
        1024 => (2048, 8192, 1024),
        2048 => (4096, 16384, 1024),
        4096 => (8192, 30720, 1024),
        8192 => (16384, 61440, 4096),
        16384 => (32768, 122880, 8192),
        _ => return false,
    };
    (low..=high).contains(&memory) && (memory - low).is_multiple_of(step)
}

fn rules(spec: &Spec, c: &mut Checker<'_>) {
    network_rules(spec, c);

    let compute = &spec.compute;
    if compute.min_size > compute.max_size {
        c.report(
            Site::Value("/compute/min_size"),
            &["/compute/max_size"],
            format!(
                "`compute.min_size` ({}) is greater than `compute.max_size` ({})",
                compute.min_size, compute.max_size
            ),
            Some("min_size <= desired_capacity <= max_size"),
        );
    }
    if let Some(desired) = compute.desired_capacity
        && (desired < compute.min_size || desired > compute.max_size)
    {
        c.report(
            Site::Value("/compute/desired_capacity"),
            &["/compute/min_size", "/compute/max_size"],
            format!(
                "`compute.desired_capacity` ({desired}) is outside `min_size`..`max_size` ({}..{})",
                compute.min_size, compute.max_size
            ),
            Some("min_size <= desired_capacity <= max_size"),
        );
    }
    if compute.scaling.policy == ScalingPolicy::Step
        && compute.scaling.scale_in_below >= compute.scaling.scale_out_above
    {
        c.report(
            Site::Value("/compute/scaling/scale_in_below"),
            &["/compute/scaling/scale_out_above"],
            format!(
                "`compute.scaling.scale_in_below` ({}) must be below `scale_out_above` ({})",
                compute.scaling.scale_in_below, compute.scaling.scale_out_above
            ),
            Some("otherwise the group would scale in and out at the same time"),
        );
    }
    if compute.user_data.is_some() && compute.user_data_file.is_some() {
        c.report(
            Site::Key("/compute/user_data_file"),
            &[],
            "`compute.user_data` and `compute.user_data_file` are exclusive".into(),
            Some("keep one of them"),
        );
    }
    if compute.kind == ComputeKind::Ecs && !fargate_memory_allowed(compute.cpu, compute.memory) {
        c.report(
            Site::Value("/compute/memory"),
            &["/compute/cpu"],
            format!(
                "Fargate has no task size with {} CPU units and {} MiB memory",
                compute.cpu, compute.memory
            ),
            Some(
                "256 CPU: 512, 1024 or 2048 MiB; 512: 1024-4096; 1024: 2048-8192; 2048: 4096-16384; 4096: 8192-30720 (steps of 1024)",
            ),
        );
    }

    let health = &spec.load_balancer.health_check;
    if health.timeout >= health.interval {
        c.report(
            Site::Value("/load_balancer/health_check/timeout"),
            &["/load_balancer/health_check/interval"],
            format!(
                "`load_balancer.health_check.timeout` ({}s) must be shorter than `interval` ({}s)",
                health.timeout, health.interval
            ),
            None,
        );
    }

    let database = &spec.database;
    match database.kind {
        DatabaseKind::Rds => {
            // AWS refuses Performance Insights on the smallest MySQL classes at apply time.
            let small_class = ["micro", "small"]
                .iter()
                .any(|size| database.instance_class.ends_with(&format!(".{size}")));
            if database.engine == Engine::Mysql && database.performance_insights && small_class {
                c.report(
                    Site::Value("/database/instance_class"),
                    &["/database/performance_insights", "/database/engine"],
                    format!(
                        "Performance Insights is not available for MySQL on `{}`",
                        database.instance_class
                    ),
                    Some("use db.t4g.medium or larger, or set `performance_insights: false`"),
                );
            }
            if database.max_allocated_storage < database.allocated_storage {
                c.report(
                    Site::Value("/database/max_allocated_storage"),
                    &["/database/allocated_storage"],
                    format!(
                        "`database.max_allocated_storage` ({} GiB) is below `allocated_storage` ({} GiB)",
                        database.max_allocated_storage, database.allocated_storage
                    ),
                    Some("storage autoscaling grows from allocated_storage up to max_allocated_storage"),
                );
            }
        }
        DatabaseKind::Dynamodb => {
            if database.tables.is_empty() {
                c.report(
                    Site::Value("/database/tables"),
                    &[],
                    "`database.kind: dynamodb` needs at least one table in `database.tables`"
                        .into(),
                    None,
                );
            }
        }
    }
    let table_names: Vec<&str> = database.tables.iter().map(|t| t.name.as_str()).collect();
    report_duplicates(c, &table_names, "/database/tables", "table");
    for (index, table) in database.tables.iter().enumerate() {
        let names: Vec<&str> = table
            .global_secondary_indexes
            .iter()
            .map(|i| i.name.as_str())
            .collect();
        report_duplicates(
            c,
            &names,
            &format!("/database/tables/{index}/global_secondary_indexes"),
            "index",
        );
        table_key_rules(table, index, c);
    }
    let bucket_names: Vec<&str> = spec
        .storage
        .buckets
        .iter()
        .map(|b| b.name.as_str())
        .collect();
    report_duplicates(c, &bucket_names, "/storage/buckets", "bucket");
}

/// DynamoDB rules of one table: a key attribute has one type across the table and its
/// indexes (the module declares each attribute once), and provisioned capacity has
/// `min <= max`.
fn table_key_rules(table: &crate::spec::Table, index: usize, c: &mut Checker<'_>) {
    let base = format!("/database/tables/{index}");
    let mut keys = vec![(&table.partition_key, format!("{base}/partition_key"))];
    if let Some(sort) = &table.sort_key {
        keys.push((sort, format!("{base}/sort_key")));
    }
    for (i, gsi) in table.global_secondary_indexes.iter().enumerate() {
        let gsi_base = format!("{base}/global_secondary_indexes/{i}");
        keys.push((&gsi.partition_key, format!("{gsi_base}/partition_key")));
        if let Some(sort) = &gsi.sort_key {
            keys.push((sort, format!("{gsi_base}/sort_key")));
        }
    }
    let mut first_use: BTreeMap<&str, (&str, &str)> = BTreeMap::new();
    for (key, pointer) in &keys {
        match first_use.get(key.name.as_str()) {
            Some((first_type, first_pointer)) if *first_type != key.attribute_type => {
                let first_line = c.positions.value(first_pointer).line;
                c.report(
                    Site::Value(pointer),
                    &[first_pointer],
                    format!(
                        "attribute `{}` of table `{}` is type {} here but {} at line {first_line}",
                        key.name, table.name, key.attribute_type, first_type
                    ),
                    Some("a key attribute has one type (S, N or B) in a table and all its indexes"),
                );
            }
            Some(_) => {}
            None => {
                first_use.insert(&key.name, (&key.attribute_type, pointer));
            }
        }
    }
    if table.billing_mode == crate::spec::BillingMode::Provisioned {
        for (name, capacity) in [
            ("read_capacity", &table.read_capacity),
            ("write_capacity", &table.write_capacity),
        ] {
            if capacity.min > capacity.max {
                c.report(
                    Site::Value(&format!("{base}/{name}/min")),
                    &[&format!("{base}/{name}/max")],
                    format!(
                        "`{name}.min` ({}) of table `{}` is greater than `max` ({})",
                        capacity.min, table.name, capacity.max
                    ),
                    Some("autoscaling moves capacity between min and max"),
                );
            }
        }
    }
}

/// Reports each name that repeats an earlier one in the list at `list_pointer`.
fn report_duplicates(c: &mut Checker<'_>, names: &[&str], list_pointer: &str, what: &str) {
    let mut first_seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, name) in names.iter().enumerate() {
        if let Some(first) = first_seen.get(name) {
            let pointer = format!("{list_pointer}/{index}/name");
            let first_line = c
                .positions
                .value(&format!("{list_pointer}/{first}/name"))
                .line;
            c.report(
                Site::Value(&pointer),
                &[],
                format!("{what} name `{name}` is used twice (first at line {first_line})"),
                Some("names must be unique"),
            );
        } else {
            first_seen.insert(name, index);
        }
    }
}

fn network_rules(spec: &Spec, c: &mut Checker<'_>) {
    let network = &spec.network;
    let Ok(vpc) = cidr::parse(&network.cidr) else {
        return; // the schema format reported it
    };
    // AWS allows /16 to /28, but three tiers of /28 subnets in two zones need a /25 at
    // least; the schema documents /16 to /24.
    if !(16..=24).contains(&vpc.prefix_len()) {
        c.report(
            Site::Value("/network/cidr"),
            &[],
            format!(
                "a VPC must be a /16 to /24 network, not /{}",
                vpc.prefix_len()
            ),
            Some("a /24 fits three tiers of /28 subnets in up to five zones; /16 leaves room to grow"),
        );
        return;
    }
    for (index, zone) in network.availability_zones.iter().enumerate() {
        let in_region = zone
            .strip_prefix(spec.region.as_str())
            .is_some_and(|letter| letter.len() == 1);
        if !in_region {
            let pointer = format!("/network/availability_zones/{index}");
            c.report(
                Site::Value(&pointer),
                &["/region"],
                format!(
                    "availability zone `{zone}` is not in region `{}`",
                    spec.region
                ),
                Some(&format!(
                    "zones of {0} are named {0}a, {0}b, {0}c, ...",
                    spec.region
                )),
            );
        }
    }
    let zones = network.availability_zones.len();
    let Some(subnets) = &network.subnets else {
        if let Err(message) = cidr::plan(&vpc, zones) {
            c.report(
                Site::Value("/network/cidr"),
                &[],
                message,
                Some("hagen carves subnets automatically from a /22 or larger VPC"),
            );
        }
        return;
    };
    let mut seen: Vec<(String, ipnet::Ipv4Net)> = Vec::new();
    for (tier, list) in [
        ("public", &subnets.public),
        ("app", &subnets.app),
        ("database", &subnets.database),
    ] {
        let list_pointer = format!("/network/subnets/{tier}");
        if list.len() != zones {
            c.report(
                Site::Value(&list_pointer),
                &["/network/availability_zones"],
                format!(
                    "`network.subnets.{tier}` lists {} CIDRs for {zones} availability zones",
                    list.len()
                ),
                Some("give exactly one CIDR per availability zone, in zone order"),
            );
        }
        for (index, text) in list.iter().enumerate() {
            let pointer = format!("{list_pointer}/{index}");
            let Ok(subnet) = cidr::parse(text) else {
                continue; // the schema format reported it
            };
            if !cidr::contains(&vpc, &subnet) {
                c.report(
                    Site::Value(&pointer),
                    &["/network/cidr"],
                    format!("subnet `{text}` is not inside the VPC `{}`", network.cidr),
                    None,
                );
                continue;
            }
            if !(16..=28).contains(&subnet.prefix_len()) {
                c.report(
                    Site::Value(&pointer),
                    &[],
                    format!("subnet `{text}` must be a /16 to /28 network"),
                    Some("AWS allows subnet blocks from /16 to /28"),
                );
            }
            if let Some((other, _)) = seen.iter().find(|(_, net)| cidr::overlaps(net, &subnet)) {
                c.report(
                    Site::Value(&pointer),
                    &[],
                    format!("subnet `{text}` overlaps `{other}`"),
                    Some("subnets must not share addresses"),
                );
            }
            seen.push((
                format!("{}[{index}] {text}", display_path(&list_pointer)),
                subnet,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Calls `visit(pointer, property_schema)` for every property schema in the schema,
    /// wherever it is nested (objects, list items, maps, `if`/`then`/`else`).
    fn each_property(node: &Value, pointer: &str, visit: &mut impl FnMut(&str, &Value)) {
        let Value::Object(map) = node else { return };
        if let Some(Value::Object(properties)) = map.get("properties") {
            for (name, property) in properties {
                let here = format!("{pointer}/properties/{name}");
                if property.is_object() {
                    visit(&here, property);
                }
                each_property(property, &here, visit);
            }
        }
        for keyword in ["items", "additionalProperties", "then", "else"] {
            if let Some(child) = map.get(keyword) {
                each_property(child, &format!("{pointer}/{keyword}"), visit);
            }
        }
        for keyword in ["oneOf", "anyOf", "allOf"] {
            if let Some(Value::Array(children)) = map.get(keyword) {
                for (i, child) in children.iter().enumerate() {
                    each_property(child, &format!("{pointer}/{keyword}/{i}"), visit);
                }
            }
        }
    }

    #[test]
    fn every_property_has_a_description_and_valid_examples() {
        let mut problems = Vec::new();
        each_property(schema(), "", &mut |pointer, property| {
            // Only real property definitions: `then`/`else` repeat names to forbid or
            // constrain them and are documented where the property is defined.
            if pointer.contains("/then/") || pointer.contains("/else/") {
                return;
            }
            if !property.get("description").is_some_and(Value::is_string) {
                problems.push(format!("{pointer}: no description"));
            }
            let examples = property.get("examples").and_then(Value::as_array);
            if examples.is_none_or(Vec::is_empty) {
                problems.push(format!("{pointer}: no examples"));
            }
            let mut options = jsonschema::options().should_validate_formats(true);
            for (name, check) in formats::ALL {
                options = options.with_format(*name, *check);
            }
            let validator = options.build(property).expect("property schema compiles");
            for example in examples.into_iter().flatten() {
                for error in validator.iter_errors(example) {
                    problems.push(format!("{pointer}: example {example} is invalid: {error}"));
                }
            }
            if let Some(default) = property.get("default") {
                for error in validator.iter_errors(default) {
                    problems.push(format!("{pointer}: default {default} is invalid: {error}"));
                }
            }
        });
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    /// Compares the schema's `default`s with what `spec.rs` fills in, walking the schema,
    /// the serialized spec and the document it came from (keys it sets are not defaults)
    /// side by side.
    fn compare_defaults(
        schema: &Value,
        value: &Value,
        given: &Value,
        path: &str,
        problems: &mut Vec<String>,
    ) {
        if let (Some(Value::Object(properties)), Value::Object(object)) =
            (schema.get("properties"), value)
        {
            for (name, property) in properties {
                let here = format!("{path}.{name}");
                let actual = object.get(name).unwrap_or(&Value::Null);
                let given = given.get(name).unwrap_or(&Value::Null);
                if let (Some(default), Value::Null) = (property.get("default"), given) {
                    let same = match (default, actual) {
                        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
                        (a, b) => a == b,
                    };
                    if !same {
                        problems.push(format!(
                            "{here}: schema default {default}, spec.rs {actual}"
                        ));
                    }
                }
                compare_defaults(property, actual, given, &here, problems);
            }
        }
        if let (Some(items), Value::Array(values)) = (schema.get("items"), value) {
            for (index, item) in values.iter().enumerate() {
                let given = given.get(index).unwrap_or(&Value::Null);
                compare_defaults(items, item, given, &format!("{path}[{index}]"), problems);
            }
        }
    }

    #[test]
    fn schema_defaults_are_what_spec_rs_applies() {
        // Minimal specs: only required keys, plus one item in every list whose items
        // have defaults, so each default is filled in by serde and nothing else.
        let key = serde_json::json!({ "name": "id" });
        let specs = [
            serde_json::json!({
                "name": "shop", "region": "eu-west-1",
                "network": { "cidr": "10.0.0.0/16", "availability_zones": ["eu-west-1a", "eu-west-1b"] },
                "storage": { "buckets": [{ "name": "assets" }] },
            }),
            serde_json::json!({
                "name": "shop", "region": "eu-west-1",
                "network": { "cidr": "10.0.0.0/16", "availability_zones": ["eu-west-1a", "eu-west-1b"] },
                "compute": { "kind": "ecs", "image": "nginx", "container_health_check": { "command": ["true"] } },
                "database": { "kind": "dynamodb", "tables": [{
                    "name": "sessions", "partition_key": key, "sort_key": key,
                    "global_secondary_indexes": [{ "name": "by-id", "partition_key": key, "sort_key": key }],
                }] },
            }),
        ];
        let mut problems = Vec::new();
        for document in specs {
            assert!(
                validator().iter_errors(&document).next().is_none(),
                "the minimal spec must be valid"
            );
            let spec: Spec = serde_json::from_value(document.clone()).unwrap();
            let value = serde_json::to_value(&spec).unwrap();
            compare_defaults(schema(), &value, &document, "", &mut problems);
        }
        problems.sort();
        problems.dedup();
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn bundled_examples_are_valid() {
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
        let mut checked = 0;
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yaml") {
                let loaded = crate::load::load(&path).unwrap();
                assert_eq!(check(&loaded), [], "{}", path.display());
                checked += 1;
            }
        }
        assert!(checked >= 3);
    }

    #[test]
    fn custom_formats() {
        use formats::*;
        assert!(is_aws_region("eu-west-1"));
        assert!(is_aws_region("us-gov-west-1"));
        assert!(is_aws_region("ap-southeast-3"));
        assert!(!is_aws_region("eu-west"));
        assert!(!is_aws_region("EU-west-1"));
        assert!(!is_aws_region("eu-west-1a"));
        assert!(is_availability_zone("eu-west-1a"));
        assert!(!is_availability_zone("eu-west-1"));
        assert!(!is_availability_zone("eu-west-1ab"));
        assert!(is_acm_certificate_arn(
            "arn:aws:acm:eu-west-1:123456789012:certificate/0e1a6b2c-1234-4d5e-8f90-123456789abc"
        ));
        assert!(!is_acm_certificate_arn(
            "arn:aws:acm:eu-west-1:12345:certificate/0e1a6b2c"
        ));
        assert!(!is_acm_certificate_arn(
            "arn:aws:kms:eu-west-1:123456789012:key/0e1a6b2c"
        ));
        assert!(is_kms_key_arn(
            "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        ));
        assert!(is_kms_key_arn(
            "arn:aws:kms:eu-west-1:123456789012:alias/app"
        ));
        assert!(!is_kms_key_arn("1234abcd-12ab-34cd-56ef-1234567890ab"));
        assert!(is_secret_arn(
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-password-AbCdEf"
        ));
        assert!(is_secret_arn(
            "arn:aws:ssm:eu-west-1:123456789012:parameter/app/token"
        ));
        assert!(!is_secret_arn(
            "arn:aws:ssm:eu-west-1:123456789012:document/x"
        ));
        assert!(is_ipv4_cidr("10.0.0.0/16"));
        assert!(!is_ipv4_cidr("10.0.0.1/16"));
    }

    #[test]
    fn closest_suggests_typos_only() {
        let keys = ["instance_type", "image", "min_size", "max_size"];
        assert_eq!(closest("instanc_type", keys), Some("instance_type"));
        assert_eq!(closest("min_szie", keys), Some("min_size"));
        assert_eq!(closest("database", keys), None);
    }

    #[test]
    fn display_paths() {
        assert_eq!(
            display_path("/storage/buckets/0/name"),
            "storage.buckets[0].name"
        );
        assert_eq!(display_path("/tags/a~1b"), "tags.a/b");
        assert_eq!(display_path(""), "the spec");
    }

    #[test]
    fn fargate_sizes() {
        assert!(fargate_memory_allowed(256, 512));
        assert!(!fargate_memory_allowed(256, 4096));
        assert!(fargate_memory_allowed(1024, 3072));
        assert!(!fargate_memory_allowed(1024, 1024));
        assert!(fargate_memory_allowed(8192, 20480));
        assert!(!fargate_memory_allowed(8192, 18432));
    }
}
