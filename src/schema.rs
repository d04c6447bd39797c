//! The spec's JSON Schema and its errors in words.
//!
//! jsonschema's own messages are written for schema authors (`"x" is not valid under any
//! of the schemas listed in the 'oneOf' keyword`); each error kind is rewritten here into
//! a sentence about the spec, with a hint taken from the schema (allowed keys and values,
//! the property's description and an example). Cloud-neutral: the formats of each
//! target are registered from the target's module.

use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

use crate::cidr;
pub use crate::diagnostics::closest;
use crate::diagnostics::{Diagnostic, Position, diagnostic};
use crate::yaml::{Positions, pointer_segment};

/// The JSON Schema, embedded: it is the contract and `hagen schema` prints it.
pub const SCHEMA: &str = include_str!("../schemas/hagen.schema.json");

/// Reads the embedded schema now (a few hundred microseconds), for a thread with
/// nothing better to do before the defaults need it ([`crate::render_spec`]).
pub fn read_ahead() {
    schema_as_written();
}

/// The embedded schema as JSON, exactly as written (`$defs` and `$ref`s): what the
/// validator is built from.
fn schema_as_written() -> &'static Value {
    static SCHEMA_JSON: OnceLock<Value> = OnceLock::new();
    SCHEMA_JSON.get_or_init(|| serde_json::from_str(SCHEMA).expect("embedded schema is JSON"))
}

/// The embedded schema with every `$ref` replaced by the definition it names (keywords
/// beside the `$ref`, such as a `default`, kept): the view that hints, defaults and the
/// generated references read, so none of them has to follow references. The `$defs`
/// stay: jsonschema reports an error found through a `$ref` at the definition.
pub fn schema() -> &'static Value {
    static INLINED: OnceLock<Value> = OnceLock::new();
    INLINED.get_or_init(|| {
        let written = schema_as_written();
        inline_refs(written, written)
    })
}

/// `node` with each `{"$ref": "#/...", ...}` inside it replaced by the definition it
/// names, merged with the keywords beside the `$ref`. Only local references exist in
/// hagen's schema (a test checks that each one resolves).
fn inline_refs(root: &Value, node: &Value) -> Value {
    match node {
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            if let Some(target) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|reference| root.pointer(reference.strip_prefix('#')?))
                && let Value::Object(definition) = inline_refs(root, target)
            {
                out.extend(definition);
            }
            for (key, value) in map {
                if key != "$ref" {
                    out.insert(key.clone(), inline_refs(root, value));
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(|item| inline_refs(root, item)).collect())
        }
        other => other.clone(),
    }
}

/// Every schema error of `document`, in the schema's order.
fn schema_errors(document: &Value) -> impl Iterator<Item = jsonschema::ValidationError<'_>> {
    crate::formats::SpecSchema::iter_errors(document)
}

/// Every schema error of a document, in words, at its position. `source` is the spec's
/// text, to quote a value as it was written (`16.10`, not `16.1`).
pub fn errors(
    document: &Value,
    positions: &Positions,
    file: &str,
    source: &str,
) -> Vec<Diagnostic> {
    schema_errors(document)
        .flat_map(|error| {
            let mut found = describe(&error, document, positions, file);
            if let Some(hint) = quote_hint(&error, document, positions, source) {
                for diagnostic in &mut found {
                    diagnostic.hint = Some(match diagnostic.hint.take() {
                        Some(more) => format!("{hint}; {more}"),
                        None => hint.clone(),
                    });
                }
            }
            found
        })
        .collect()
}

/// A part of a document that breaks the schema, and how to set it aside so the rest
/// validates.
#[derive(Debug, Clone, PartialEq)]
pub enum InvalidPart {
    /// Remove the value at this pointer: the value an error is about, or an unknown (or
    /// misnamed) key alone.
    Remove(String),
    /// A required key is missing: put the schema's example there as a stand-in.
    Fill(String, Value),
}

/// Every part of a document that breaks the schema.
pub fn invalid_parts(document: &Value) -> Vec<InvalidPart> {
    let mut parts = Vec::new();
    for error in schema_errors(document) {
        let pointer = error.instance_path().as_str().to_string();
        let location = error.schema_path().as_str().to_string();
        if let Some((key, ..)) = property_name_error(&error) {
            parts.push(InvalidPart::Remove(format!(
                "{pointer}/{}",
                pointer_segment(&key)
            )));
            continue;
        }
        match error.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => parts.extend(
                unexpected
                    .iter()
                    .map(|key| InvalidPart::Remove(format!("{pointer}/{}", pointer_segment(key)))),
            ),
            ValidationErrorKind::Required { property } => {
                let key = short(property);
                // The key's own schema: where the requirement is, or (for a requirement
                // inside `if`/`then`, possibly under `allOf`) the object it conditions.
                let owners = [
                    schema_node(parent_location(&location)),
                    location
                        .rsplit_once("/then/")
                        .or_else(|| location.rsplit_once("/else/"))
                        .and_then(|(owner, _)| schema_node(without_combinator(owner))),
                ];
                let example = owners
                    .into_iter()
                    .flatten()
                    .filter_map(|node| node.get("properties")?.get(&key))
                    .find_map(|node| node.get("examples")?.get(0).cloned());
                parts.push(match example {
                    Some(example) => {
                        InvalidPart::Fill(format!("{pointer}/{}", pointer_segment(&key)), example)
                    }
                    None => InvalidPart::Remove(pointer),
                });
            }
            _ => parts.push(InvalidPart::Remove(pointer)),
        }
    }
    parts
}

/// Fills every `default` the schema gives for a key the document leaves out, in every
/// mapping the document has or a default creates (`"default": {}` creates a section
/// whose keys then get their own defaults), and in every list item. The one place
/// defaults are applied: the typed spec has none of its own. Free-form maps (`tags`,
/// `environments` overrides) are left alone: an override only sets what it names.
///
/// It reads the schema as written, following a `$ref` only where a spec reaches it, not
/// the inlined view: every render fills defaults, and building that view was a tenth of
/// a render's time before the render starts (docs/bench.md).
pub fn fill_defaults(document: &mut Value) {
    fill(schema_as_written(), document);
}

/// The keyword `name` of the schema node `node`, looking through its `$ref`: a keyword
/// beside the `$ref` wins over the definition's, as in the inlined view [`schema`].
fn keyword(node: &'static Value, name: &str) -> Option<&'static Value> {
    node.get(name).or_else(|| {
        let target = node.get("$ref")?.as_str()?.strip_prefix('#')?;
        keyword(schema_as_written().pointer(target)?, name)
    })
}

/// The schema node at `path` (keywords from the root, such as `["properties",
/// "compute"]`), following each `$ref` on the way: what [`schema`]`[path]` gives,
/// without building the inlined view.
pub fn lookup(path: &[&str]) -> Option<&'static Value> {
    path.iter()
        .try_fold(schema_as_written(), |node, step| match node {
            Value::Array(items) => items.get(step.parse::<usize>().ok()?),
            _ => keyword(node, step),
        })
}

fn fill(node: &'static Value, value: &mut Value) {
    match value {
        Value::Object(map) => {
            let Some(Value::Object(properties)) = keyword(node, "properties") else {
                return;
            };
            for (key, property) in properties {
                if !map.contains_key(key) {
                    let Some(default) = keyword(property, "default") else {
                        continue;
                    };
                    map.insert(key.clone(), default.clone());
                }
                if let Some(child) = map.get_mut(key) {
                    fill(property, child);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item) = keyword(node, "items") {
                for value in items {
                    fill(item, value);
                }
            }
        }
        _ => {}
    }
}

/// `/properties/compute/allOf/0` -> `/properties/compute`: the object a combinator's
/// branch belongs to.
fn without_combinator(location: &str) -> &str {
    for combinator in ["/allOf/", "/anyOf/", "/oneOf/"] {
        if let Some((owner, index)) = location.rsplit_once(combinator)
            && index.bytes().all(|b| b.is_ascii_digit())
        {
            return owner;
        }
    }
    location
}

/// "quote it" when a string is expected and YAML read a number or a boolean
/// (`CostCenter: 1234`, `engine_version: 16`, `Owner: yes` is a string already).
fn quote_hint(
    error: &jsonschema::ValidationError<'_>,
    document: &Value,
    positions: &Positions,
    source: &str,
) -> Option<String> {
    let ValidationErrorKind::Type { kind } = error.kind() else {
        return None;
    };
    let wants_string = match kind {
        jsonschema::error::TypeKind::Single(t) => *t == jsonschema::types::JsonType::String,
        jsonschema::error::TypeKind::Multiple(types) => {
            types.contains(jsonschema::types::JsonType::String)
        }
    };
    let pointer = error.instance_path().as_str();
    let instance = document.pointer(pointer)?;
    if !wants_string || !(instance.is_number() || instance.is_boolean()) {
        return None;
    }
    let written =
        scalar_as_written(source, positions.value(pointer)).unwrap_or_else(|| instance.to_string());
    Some(format!(
        "quote it: \"{written}\" (YAML reads `{written}` unquoted as a {})",
        if instance.is_boolean() {
            "boolean"
        } else {
            "number"
        }
    ))
}

/// The plain scalar that starts at `at` in `source`, as written.
fn scalar_as_written(source: &str, at: Position) -> Option<String> {
    let line = source.lines().nth(at.line.checked_sub(1)?)?;
    let rest: String = line.chars().skip(at.column.checked_sub(1)?).collect();
    let end = rest.find([',', ']', '}', '#']).unwrap_or(rest.len());
    let text = rest[..end].trim();
    (!text.is_empty() && !text.starts_with(['"', '\'', '[', '{'])).then(|| text.to_string())
}

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
/// schema node it names, in the inlined [`schema`]: there a `$ref` is already replaced by
/// its definition, so the `$ref` step stays where it is.
fn schema_node(location: &str) -> Option<&'static Value> {
    let mut node = schema();
    for raw in location.split('/').skip(1) {
        let segment = raw.replace("~1", "/").replace("~0", "~");
        if segment == "$ref" {
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
    // `const: ecs`, or `enum: [ecs, eks]` for a branch shared by several kinds.
    let value = match (rule.get("const"), rule.get("enum")) {
        (Some(value), _) => short(value),
        (None, Some(Value::Array(values))) => {
            values.iter().map(short).collect::<Vec<_>>().join(" or ")
        }
        _ => return None,
    };
    Some((format!("{key}: {value}"), branch))
}

/// A map key that breaks the map's `propertyNames`, and the key's own error kind (its
/// pattern, its length). The generated validator reports the key's error at the map, under
/// `.../propertyNames/...` in the schema, with the key as the instance; a validator built
/// at run time wraps it in a `PropertyNames` error. Both mean the same.
fn property_name_error<'e>(
    error: &'e jsonschema::ValidationError<'_>,
) -> Option<(String, &'e ValidationErrorKind, String)> {
    match error.kind() {
        ValidationErrorKind::PropertyNames { error: inner } => Some((
            inner.instance().as_str()?.to_string(),
            inner.kind(),
            inner.to_string(),
        )),
        kind if error.schema_path().as_str().contains("/propertyNames/") => Some((
            error.instance().as_str()?.to_string(),
            kind,
            error.to_string(),
        )),
        _ => None,
    }
}

/// The key `key` is not allowed in the map at `pointer`, in words, at the key.
fn describe_property_name(
    (key, kind, message): (&str, &ValidationErrorKind, String),
    pointer: &str,
    location: &str,
    positions: &Positions,
    file: &str,
) -> Diagnostic {
    let key_pointer = format!("{pointer}/{}", pointer_segment(key));
    let rule = match kind {
        ValidationErrorKind::Pattern { pattern } => format!("it must match `{pattern}`"),
        ValidationErrorKind::MaxLength { limit } => {
            format!("it is longer than {limit} characters")
        }
        ValidationErrorKind::MinLength { .. } => "it is empty".to_string(),
        _ => message,
    };
    diagnostic(
        file,
        positions.key(&key_pointer),
        format!(
            "the key `{key}` is not allowed in {}: {rule}",
            section(&display_path(pointer))
        ),
        // The map's own description says what its keys are.
        location
            .split("/propertyNames")
            .next()
            .and_then(schema_node)
            .and_then(|map| map.get("description"))
            .and_then(Value::as_str)
            .map(str::to_string),
    )
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
    if let Some((key, kind, message)) = property_name_error(error) {
        return vec![describe_property_name(
            (&key, kind, message),
            &pointer,
            &location,
            positions,
            file,
        )];
    }
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
                        // Branches inside `allOf` read the default of the mapping
                        // that holds the `allOf`.
                        let owner = match owner.rsplit_once("/allOf/") {
                            Some((holder, index)) if index.parse::<usize>().is_ok() => holder,
                            _ => owner,
                        };
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
            let change = match condition(&location) {
                Some((test, _)) if test.starts_with("target:") => "the target",
                _ => "the kind",
            };
            vec![diagnostic(
                file,
                positions.key(&pointer),
                message,
                Some(format!("remove `{key}`, or change {change}")),
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
                "email" => format!("`{value}` is not an email address"),
                other => crate::formats::describe(other, &value)
                    .unwrap_or_else(|| format!("`{value}` is not a valid {other}")),
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// A validator for `schema` built at run time with [`crate::formats::all`]: what the
    /// generated one must agree with, and what checks each property's examples.
    fn built_at_run_time(schema: &Value) -> jsonschema::Validator {
        let mut options = jsonschema::options().should_validate_formats(true);
        for (name, check) in crate::formats::all() {
            options = options.with_format(*name, *check);
        }
        options.build(schema).expect("the schema compiles")
    }

    /// What a validator says about a document: the places of its errors (a key a map's
    /// `propertyNames` refuses counts as that key, however the validator reports it).
    /// Keywords are left out: where a value breaks several (`type` and `enum`), the
    /// generated validator may report only one; the place, and so the diagnostic's
    /// line, is the same.
    fn verdict<'a>(
        errors: impl Iterator<Item = jsonschema::ValidationError<'a>>,
    ) -> BTreeSet<String> {
        errors
            .map(|error| match property_name_error(&error) {
                Some((key, ..)) => format!("{} propertyNames {key}", error.instance_path()),
                None => error.instance_path().to_string(),
            })
            .collect()
    }

    /// `document` with one change at each place: every value replaced by values of other
    /// types and shapes, and an unknown key added to every mapping.
    fn mutations(document: &Value) -> Vec<Value> {
        fn places(node: &Value, pointer: String, out: &mut Vec<(String, bool)>) {
            match node {
                Value::Object(map) => {
                    out.push((pointer.clone(), true));
                    for (key, value) in map {
                        places(value, format!("{pointer}/{}", pointer_segment(key)), out);
                    }
                }
                Value::Array(items) => {
                    out.push((pointer.clone(), false));
                    for (index, item) in items.iter().enumerate() {
                        places(item, format!("{pointer}/{index}"), out);
                    }
                }
                _ => out.push((pointer, false)),
            }
        }
        let mut found = Vec::new();
        places(document, String::new(), &mut found);
        let replacements = [
            Value::from("x"),
            Value::from("Bad Value!"),
            Value::from(""),
            Value::from(-1),
            Value::from(100_000),
            Value::from(1.5),
            Value::from(true),
            Value::Null,
            serde_json::json!([]),
            serde_json::json!(["a", "a"]),
            serde_json::json!({}),
        ];
        let mut out = Vec::new();
        for (pointer, is_map) in found.into_iter().filter(|(p, _)| !p.is_empty()) {
            for replacement in &replacements {
                let mut changed = document.clone();
                *changed.pointer_mut(&pointer).expect("a place found above") = replacement.clone();
                out.push(changed);
            }
            if is_map {
                let mut changed = document.clone();
                if let Some(Value::Object(map)) = changed.pointer_mut(&pointer) {
                    map.insert("unknown key!".into(), Value::from(1));
                }
                out.push(changed);
            }
        }
        out
    }

    /// The validator generated at build time and one built at run time from the schema and
    /// `formats::all()` find errors at the same places in every example, every fixture, and every
    /// one-place mutation of the examples: the macro's format list and its keyword
    /// semantics are those of the schema.
    #[test]
    fn the_generated_validator_agrees_with_one_built_at_run_time() {
        let runtime = built_at_run_time(schema_as_written());
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut documents = Vec::new();
        for folder in ["examples", "tests/fixtures/valid", "tests/fixtures/invalid"] {
            let mut paths: Vec<_> = std::fs::read_dir(root.join(folder))
                .expect("fixture folder")
                .map(|entry| entry.expect("entry").path())
                .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
                .collect();
            paths.sort();
            for path in paths {
                if let Ok(loaded) = crate::load::load(&path) {
                    let mutate = folder == "examples";
                    documents.push((path.display().to_string(), loaded.document.clone()));
                    if mutate {
                        for (n, changed) in mutations(&loaded.document).into_iter().enumerate() {
                            documents.push((format!("{} mutation {n}", path.display()), changed));
                        }
                    }
                }
            }
        }
        assert!(documents.len() > 1000, "{} documents", documents.len());
        // Defaults are filled from the written schema through its `$ref`s; the inlined
        // view must give the same document.
        for (name, document) in &documents {
            let (mut through_refs, mut inlined) = (document.clone(), document.clone());
            fill_defaults(&mut through_refs);
            fill(schema(), &mut inlined);
            assert_eq!(through_refs, inlined, "{name}: defaults differ");
        }
        let mut invalid = 0;
        for (name, document) in &documents {
            let generated = verdict(schema_errors(document));
            let built = verdict(runtime.iter_errors(document));
            assert_eq!(generated, built, "{name}: {document}");
            invalid += usize::from(!generated.is_empty());
        }
        assert!(
            invalid * 2 > documents.len(),
            "most mutations break the schema"
        );
    }

    #[test]
    fn lookup_follows_references_as_the_inlined_view_does() {
        let mut checked = 0;
        each_property(schema(), "", &mut |pointer, property| {
            let path: Vec<&str> = pointer.split('/').skip(1).collect();
            for keyword in [
                "default",
                "pattern",
                "description",
                "type",
                "enum",
                "minimum",
            ] {
                let at = [path.as_slice(), &[keyword]].concat();
                assert_eq!(lookup(&at), property.get(keyword), "{pointer}/{keyword}");
            }
            checked += 1;
        });
        assert!(checked > 100, "{checked} properties");
    }

    /// Every `$ref` of the written schema names a definition, and the inlined view the
    /// hints read has none left.
    #[test]
    fn references_resolve_and_are_inlined() {
        fn refs<'a>(node: &'a Value, out: &mut Vec<&'a str>) {
            match node {
                Value::Object(map) => {
                    out.extend(map.get("$ref").and_then(Value::as_str));
                    map.values().for_each(|value| refs(value, out));
                }
                Value::Array(items) => items.iter().for_each(|item| refs(item, out)),
                _ => {}
            }
        }
        let written = schema_as_written();
        let mut found = Vec::new();
        refs(written, &mut found);
        assert!(!found.is_empty(), "the schema uses $defs");
        for reference in found {
            let pointer = reference.strip_prefix('#').expect("a local reference");
            assert!(
                written.pointer(pointer).is_some(),
                "{reference} names nothing"
            );
        }
        let mut left = Vec::new();
        refs(schema(), &mut left);
        assert!(left.is_empty(), "{left:?}");
        // A keyword beside a `$ref` stays: the spec key keeps its default.
        assert_eq!(
            schema()["properties"]["compute"]["properties"]["min_size"]["default"],
            2
        );
        assert!(
            schema()["properties"]["compute"]["properties"]["min_size"]["description"].is_string()
        );
    }

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
            let validator = built_at_run_time(property);
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

    /// Compares the schema's `default`s with what the typed spec holds, walking the schema,
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
                // A section's `{}` default only creates the section: its keys are compared
                // one by one below.
                let section = property
                    .get("default")
                    .is_some_and(|d| d == &serde_json::json!({}));
                if let (Some(default), Value::Null, false) =
                    (property.get("default"), given, section)
                {
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
    fn the_typed_spec_takes_its_defaults_from_the_schema() {
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
                schema_errors(&document).next().is_none(),
                "the minimal spec must be valid"
            );
            // The typed spec takes every default from the schema: what it holds for a
            // key the document left out is the schema's default, and a spec without
            // the fill would miss them (the types carry no defaults of their own).
            let spec = crate::spec::Spec::from_document(&document).unwrap();
            let value = serde_json::to_value(&spec).unwrap();
            compare_defaults(schema(), &value, &document, "", &mut problems);
            assert!(
                serde_json::from_value::<crate::spec::Spec>(document.clone()).is_err(),
                "the spec deserializes without the schema's defaults: it has defaults of its own"
            );
        }
        problems.sort();
        problems.dedup();
        assert!(problems.is_empty(), "{}", problems.join("\n"));
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
}
