//! The spec reference in Markdown, generated from the JSON Schema so the README can never
//! disagree with the contract (`tests/it/readme.rs` checks that README.md carries it).

use serde_json::Value;

/// One Markdown table row per key: dotted path, type, default, description.
pub fn spec_reference_markdown(schema: &Value) -> String {
    let mut rows = Vec::new();
    walk(schema, "", &mut rows);
    let mut out = String::from("| Key | Type | Default | Description |\n|---|---|---|---|\n");
    for row in rows {
        out.push_str(&row);
        out.push('\n');
    }
    out
}

fn walk(node: &Value, path: &str, rows: &mut Vec<String>) {
    let Some(properties) = node.get("properties").and_then(Value::as_object) else {
        return;
    };
    let required: Vec<&str> = node
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for (key, property) in properties {
        let full = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        rows.push(row(&full, property, required.contains(&key.as_str())));
        walk(property, &full, rows);
        if let Some(items) = property.get("items") {
            walk(items, &format!("{full}[]"), rows);
        }
        if let Some(entry) = property
            .get("additionalProperties")
            .filter(|v| v.is_object())
        {
            walk(entry, &format!("{full}.<name>"), rows);
        }
    }
}

fn row(path: &str, property: &Value, required: bool) -> String {
    let description = property
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .replace('\n', " ")
        .replace('|', "\\|");
    let default = match (property.get("default"), required) {
        (Some(value), _) => format!("`{}`", compact(value)),
        (None, true) => "required".to_string(),
        (None, false) => "—".to_string(),
    };
    format!(
        "| `{path}` | {} | {default} | {description} |",
        type_of(property)
    )
}

fn type_of(property: &Value) -> String {
    if let Some(values) = property.get("enum").and_then(Value::as_array) {
        let values: Vec<String> = values.iter().map(|v| format!("`{}`", compact(v))).collect();
        return values.join(" \\| ");
    }
    if let Some(options) = property.get("oneOf").and_then(Value::as_array) {
        let kinds: Vec<String> = options.iter().map(type_of).collect();
        return kinds.join(" or ");
    }
    if let Some(constant) = property.get("const") {
        return format!("`{}`", compact(constant));
    }
    match property.get("type").and_then(Value::as_str) {
        Some("array") => {
            let item = property
                .get("items")
                .map(type_of)
                .unwrap_or_else(|| "any".into());
            format!("list of {item}")
        }
        Some("object") if property.get("properties").is_none() => {
            match property.get("additionalProperties") {
                Some(entry) if entry.get("properties").is_some() => "map of object".to_string(),
                Some(entry) if entry.is_object() => format!("map of {}", type_of(entry)),
                _ => "map".to_string(),
            }
        }
        Some(kind) => kind.to_string(),
        None => "any".to_string(),
    }
}

fn compact(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_nested_keys_with_defaults_and_required() {
        let schema = serde_json::json!({
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "description": "App name."},
                "network": {"type": "object", "description": "Net.", "properties": {
                    "nat": {"type": "string", "enum": ["a", "b"], "default": "a", "description": "NAT | mode."}
                }},
                "buckets": {"type": "array", "description": "B.", "items": {"type": "object", "properties": {
                    "name": {"type": "string", "description": "Bucket."}
                }}}
            }
        });
        let table = spec_reference_markdown(&schema);
        assert!(
            table.contains("| `name` | string | required | App name. |"),
            "{table}"
        );
        assert!(
            table.contains("| `network.nat` | `a` \\| `b` | `a` | NAT \\| mode. |"),
            "{table}"
        );
        assert!(
            table.contains("| `buckets[].name` | string | — | Bucket. |"),
            "{table}"
        );
    }
}
