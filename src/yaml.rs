//! Positioned YAML: text -> JSON document plus the position of every node. Cloud-neutral.
//!
//! The YAML is read by driving `saphyr-parser` events directly, so that every value and
//! every mapping key keeps the line and column it came from, and so that hostile input
//! (alias bombs, deep nesting, huge files) is stopped with a positioned error before it
//! can cost unbounded memory or stack. Scalars resolve with the YAML 1.2 core schema:
//! `yes`, `no`, `on` and `off` are strings, never booleans.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use saphyr::Scalar;
use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};
use serde_json::Value;

use crate::diagnostics::{Diagnostic, Position};
use crate::error::{Error, Result};

/// Deepest nesting of mappings and sequences. The schema needs about 8 levels; the limit
/// keeps every later recursive pass far from the end of the stack.
/// Largest spec text accepted. Real specs are a few KiB; this only stops accidents and
/// hostile input before they are read into memory.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
pub const MAX_DEPTH: usize = 64;
/// Most nodes the document may have once aliases are expanded (an alias bomb expands a
/// few lines into billions of nodes).
pub const MAX_NODES: usize = 100_000;

/// Where each node of the document starts, by JSON pointer (`/network/cidr`).
#[derive(Debug, Clone, Default)]
pub struct Positions {
    /// Position of each value.
    pub values: BTreeMap<String, Position>,
    /// Position of each mapping key (for "unknown key" errors that point at the key).
    pub keys: BTreeMap<String, Position>,
}

impl Positions {
    /// Position of the value at `pointer`, or of its nearest ancestor that has one (a
    /// value a default filled in has no position of its own).
    pub fn value(&self, pointer: &str) -> Position {
        Self::nearest(&self.values, pointer)
    }

    /// Position of the key of the member at `pointer`, falling back to its value.
    pub fn key(&self, pointer: &str) -> Position {
        match self.keys.get(pointer) {
            Some(position) => *position,
            None => self.value(pointer),
        }
    }

    fn nearest(map: &BTreeMap<String, Position>, pointer: &str) -> Position {
        let mut current = pointer;
        loop {
            if let Some(position) = map.get(current) {
                return *position;
            }
            match current.rfind('/') {
                Some(cut) => current = &current[..cut],
                None => return Position { line: 1, column: 1 },
            }
        }
    }
}

/// Escapes one JSON pointer segment (RFC 6901: `~` -> `~0`, `/` -> `~1`).
pub fn pointer_segment(segment: &str) -> Cow<'_, str> {
    if segment.contains(['~', '/']) {
        Cow::Owned(segment.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(segment)
    }
}

/// The 1-based position just after `text`.
pub(crate) fn end_position(text: &str) -> Position {
    let line = text.matches('\n').count() + 1;
    let last_line = text.rsplit('\n').next().unwrap_or("");
    Position {
        line,
        column: last_line.chars().count() + 1,
    }
}

pub(crate) fn invalid(
    file: &str,
    text: &str,
    at: Position,
    message: String,
    hint: Option<String>,
) -> Error {
    Error::InvalidSpec {
        file: file.to_string(),
        source_text: text.to_string(),
        diagnostics: vec![Diagnostic {
            file: file.to_string(),
            line: at.line,
            column: at.column,
            message,
            hint,
        }],
    }
}

/// Parses YAML text into a JSON value and the positions of its nodes.
pub fn parse(text: &str, file: &str) -> Result<(Value, Positions)> {
    // The scanner reports the end of input one line past the text (`---` alone, an
    // unclosed `[`); the end of the last line is where the user can see what is missing.
    let lines = text.lines().count().max(1);
    let fail = |at: Position, message: String, hint: Option<String>| {
        if at.line > lines {
            let end = end_position(text.trim_end());
            invalid(
                file,
                text,
                end,
                format!("{message} at the end of the file"),
                hint,
            )
        } else {
            invalid(file, text, at, message, hint)
        }
    };
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(fail(
            Position { line: 1, column: 1 },
            format!("the text is larger than {} KiB", MAX_FILE_BYTES / 1024),
            None,
        ));
    }
    // YAML counts a lone carriage return as a line break, editors and the code frame
    // may not: refuse it so that every line number means the same line everywhere.
    if let Some(index) = text
        .match_indices('\r')
        .map(|(i, _)| i)
        .find(|&i| text.as_bytes().get(i + 1) != Some(&b'\n'))
    {
        return Err(fail(
            end_position(&text[..index]),
            "a carriage return without a line feed (old Mac line ending)".into(),
            Some("save the file with LF or CRLF line endings".into()),
        ));
    }
    let root = Builder::new(text)
        .run()
        .map_err(|e| fail(e.at, e.message, e.hint))?;
    let Some(root) = root else {
        return Err(fail(
            Position { line: 1, column: 1 },
            "the file is empty".into(),
            Some("start from `hagen init spec.yaml`, or see examples/minimal.yaml".into()),
        ));
    };
    if !matches!(root.kind, Kind::Mapping(_)) {
        return Err(fail(
            root.at,
            format!(
                "the spec must be a mapping of keys (`name:`, `region:`, ...), not {}",
                root.kind.describe()
            ),
            Some("see examples/minimal.yaml".into()),
        ));
    }
    let mut positions = Positions::default();
    let mut pointer = String::new();
    let document = to_json(&root, root.at, &mut pointer, &mut positions);
    Ok((document, positions))
}

/// A parsed node. Children are shared (`Rc`) so that an alias costs one pointer, not a
/// copy: memory stays proportional to the text even for an alias bomb, while
/// `size` (nodes after expansion) lets the builder refuse one.
#[derive(Debug)]
struct Node {
    at: Position,
    kind: Kind,
    /// Number of nodes in this subtree once aliases are expanded.
    size: usize,
    /// Levels of nesting below and including this node.
    height: usize,
}

#[derive(Debug)]
enum Kind {
    Scalar(Value),
    /// Items, each with where it appears (for an alias: the alias, not the anchor).
    Sequence(Vec<(Position, Rc<Node>)>),
    /// Entries in document order: key, key position, value position, value.
    Mapping(Vec<Entry>),
}

impl Kind {
    fn describe(&self) -> &'static str {
        match self {
            Kind::Scalar(Value::Null) => "an empty value",
            Kind::Scalar(_) => "a single value",
            Kind::Sequence(_) => "a list",
            Kind::Mapping(_) => "a mapping",
        }
    }
}

type Entry = (String, Position, Position, Rc<Node>);

struct LoadError {
    at: Position,
    message: String,
    hint: Option<String>,
}

fn error_at(at: Position, message: impl Into<String>, hint: Option<&str>) -> LoadError {
    LoadError {
        at,
        message: message.into(),
        hint: hint.map(str::to_string),
    }
}

fn position_of(span: &Span) -> Position {
    Position {
        line: span.start.line(),
        column: span.start.col() + 1,
    }
}

/// A collection being built: the events between its start and end.
enum Open {
    Sequence {
        at: Position,
        anchor: usize,
        items: Vec<(Position, Rc<Node>)>,
    },
    Mapping {
        at: Position,
        anchor: usize,
        entries: Vec<Entry>,
        /// The key read, waiting for its value.
        pending_key: Option<(String, Position)>,
    },
}

struct Builder<'input> {
    parser: Parser<'input, saphyr_parser::StrInput<'input>>,
    anchors: HashMap<usize, Rc<Node>>,
    stack: Vec<Open>,
    /// Nodes so far, counting alias expansions.
    total_nodes: usize,
    documents: usize,
    root: Option<Rc<Node>>,
}

impl<'input> Builder<'input> {
    fn new(text: &'input str) -> Self {
        Self {
            parser: Parser::new_from_str(text),
            anchors: HashMap::new(),
            stack: Vec::new(),
            total_nodes: 0,
            documents: 0,
            root: None,
        }
    }

    fn run(mut self) -> std::result::Result<Option<Rc<Node>>, LoadError> {
        while let Some(next) = self.parser.next() {
            let (event, span) = next.map_err(|e| {
                let marker = e.marker();
                error_at(
                    Position {
                        line: marker.line().max(1),
                        column: marker.col() + 1,
                    },
                    yaml_error_message(e.info()),
                    yaml_error_hint(e.info()),
                )
            })?;
            let at = position_of(&span);
            match event {
                Event::DocumentStart(_) => {
                    self.documents += 1;
                    if self.documents > 1 {
                        return Err(error_at(
                            at,
                            "a second YAML document; a spec file holds exactly one",
                            Some("remove the `---` line and what follows, or split the file"),
                        ));
                    }
                }
                Event::Scalar(value, style, anchor, tag) => {
                    let value = resolve_scalar(value, style, tag.as_ref(), at)?;
                    self.add(
                        Rc::new(Node {
                            at,
                            kind: Kind::Scalar(value),
                            size: 1,
                            height: 1,
                        }),
                        anchor,
                    )?;
                }
                Event::SequenceStart(anchor, _) => {
                    self.open(
                        Open::Sequence {
                            at,
                            anchor,
                            items: Vec::new(),
                        },
                        at,
                    )?;
                }
                Event::MappingStart(anchor, _) => {
                    self.open(
                        Open::Mapping {
                            at,
                            anchor,
                            entries: Vec::new(),
                            pending_key: None,
                        },
                        at,
                    )?;
                }
                Event::SequenceEnd | Event::MappingEnd => self.close()?,
                Event::Alias(id) => {
                    let Some(target) = self.anchors.get(&id).cloned() else {
                        return Err(error_at(at, "alias to an unknown anchor", None));
                    };
                    // Expanding the alias adds all of its target's nodes once more.
                    self.total_nodes += target.size;
                    self.add_shared(target, at)?;
                }
                Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
            }
        }
        Ok(self.root)
    }

    fn check_budget(&self, at: Position, height: usize) -> std::result::Result<(), LoadError> {
        if self.total_nodes > MAX_NODES {
            return Err(error_at(
                at,
                format!("the document expands to more than {MAX_NODES} values (through aliases?)"),
                Some("a spec needs a few hundred values; check anchors and aliases"),
            ));
        }
        if self.stack.len() + height > MAX_DEPTH {
            return Err(error_at(
                at,
                format!("nesting deeper than {MAX_DEPTH} levels"),
                Some("a spec nests a few levels; check brackets and indentation"),
            ));
        }
        Ok(())
    }

    fn open(&mut self, open: Open, at: Position) -> std::result::Result<(), LoadError> {
        self.total_nodes += 1;
        self.check_budget(at, 1)?;
        self.stack.push(open);
        Ok(())
    }

    fn close(&mut self) -> std::result::Result<(), LoadError> {
        let node = match self.stack.pop() {
            Some(Open::Sequence { at, anchor, items }) => {
                let size = 1 + items.iter().map(|(_, n)| n.size).sum::<usize>();
                let height = 1 + items.iter().map(|(_, n)| n.height).max().unwrap_or(0);
                (
                    Node {
                        at,
                        kind: Kind::Sequence(items),
                        size,
                        height,
                    },
                    anchor,
                )
            }
            Some(Open::Mapping {
                at,
                anchor,
                entries,
                ..
            }) => {
                let size = 1 + entries.iter().map(|(.., n)| n.size).sum::<usize>();
                let height = 1 + entries.iter().map(|(.., n)| n.height).max().unwrap_or(0);
                (
                    Node {
                        at,
                        kind: Kind::Mapping(entries),
                        size,
                        height,
                    },
                    anchor,
                )
            }
            None => return Ok(()), // the parser never ends more than it started
        };
        // The collection was counted when it opened; `add` must not count it again.
        self.total_nodes -= 1;
        self.add(Rc::new(node.0), node.1)
    }

    /// Adds a freshly parsed node (counting it) and records its anchor.
    fn add(&mut self, node: Rc<Node>, anchor: usize) -> std::result::Result<(), LoadError> {
        self.total_nodes += 1;
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        let at = node.at;
        self.add_shared(node, at)
    }

    /// Puts a node into the collection being built (or makes it the root). `at` is where
    /// it appears in the text: for an alias, the alias.
    fn add_shared(&mut self, node: Rc<Node>, at: Position) -> std::result::Result<(), LoadError> {
        self.check_budget(at, node.height)?;
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Open::Sequence { items, .. }) => items.push((at, node)),
            Some(Open::Mapping {
                entries,
                pending_key,
                ..
            }) => match pending_key.take() {
                None => {
                    let key = match &node.kind {
                        Kind::Scalar(Value::String(s)) => s.clone(),
                        Kind::Scalar(Value::Number(n)) => {
                            return Err(error_at(
                                at,
                                format!("the key `{n}` is a number; keys must be text"),
                                Some(&format!("quote it: \"{n}\":")),
                            ));
                        }
                        Kind::Scalar(Value::Bool(b)) => {
                            return Err(error_at(
                                at,
                                format!("the key `{b}` is a boolean; keys must be text"),
                                Some(&format!("quote it: \"{b}\":")),
                            ));
                        }
                        Kind::Scalar(_) => {
                            return Err(error_at(at, "a mapping key is empty (null)", None));
                        }
                        other => {
                            return Err(error_at(
                                at,
                                format!("a mapping key is {}; keys must be text", other.describe()),
                                None,
                            ));
                        }
                    };
                    if key == "<<" {
                        // YAML 1.1 merge keys are not YAML 1.2; saying so beats "unknown key".
                        return Err(error_at(
                            at,
                            "merge keys (`<<`) are not part of YAML 1.2, which hagen reads",
                            Some("write the keys out, or alias a whole mapping (`key: *anchor`)"),
                        ));
                    }
                    if let Some((_, first, ..)) = entries.iter().find(|(k, ..)| *k == key) {
                        return Err(error_at(
                            at,
                            format!(
                                "duplicate key `{key}` (first defined at line {})",
                                first.line
                            ),
                            Some("each key may appear once in a mapping; remove one of them"),
                        ));
                    }
                    *pending_key = Some((key, at));
                }
                Some((key, key_at)) => entries.push((key, key_at, at, node)),
            },
        }
        Ok(())
    }
}

/// Makes saphyr's scanner messages read like the rest of hagen's.
fn yaml_error_message(info: &str) -> String {
    if info.contains("recursion limit") {
        // saphyr-parser's own guard against deep flow nesting; same message as ours.
        format!("nesting deeper than {MAX_DEPTH} levels")
    } else {
        format!("YAML syntax error: {info}")
    }
}

fn yaml_error_hint(info: &str) -> Option<&'static str> {
    if info.contains("tab") {
        Some("YAML does not allow tabs for indentation; indent with spaces")
    } else {
        None
    }
}

/// Resolves a scalar with the YAML 1.2 core schema (quoted -> string; `true`/`false`,
/// `null`/`~`, integers and floats when plain).
fn resolve_scalar(
    text: Cow<'_, str>,
    style: ScalarStyle,
    tag: Option<&Cow<'_, Tag>>,
    at: Position,
) -> std::result::Result<Value, LoadError> {
    let shown = text.to_string();
    match Scalar::parse_from_cow_and_metadata(text, style, tag) {
        Some(Scalar::Null) => Ok(Value::Null),
        Some(Scalar::Boolean(b)) => Ok(Value::Bool(b)),
        Some(Scalar::Integer(i)) => Ok(Value::from(i)),
        // A whole number written as a float (`min_size: 2.0`, `memory: 1024.0`) is that
        // integer: JSON Schema says so too (`2.0` is a valid `integer`), so the typed spec
        // must agree with the schema's verdict. Up to 2^53 every integer is exact in f64.
        Some(Scalar::FloatingPoint(f))
            if f.into_inner().fract() == 0.0 && f.into_inner().abs() <= 9_007_199_254_740_992.0 =>
        {
            Ok(Value::from(f.into_inner() as i64))
        }
        Some(Scalar::FloatingPoint(f)) => serde_json::Number::from_f64(f.into_inner())
            .map(Value::Number)
            .ok_or_else(|| {
                error_at(
                    at,
                    format!("`{shown}` is not a finite number"),
                    Some("use a plain number such as 1.5"),
                )
            }),
        Some(Scalar::String(s)) => Ok(Value::String(s.into_owned())),
        None => Err(error_at(
            at,
            format!(
                "`{shown}` does not match its tag `{}`",
                tag.map(|t| t.to_string()).unwrap_or_default()
            ),
            Some("remove the tag"),
        )),
    }
}

/// Converts the node tree into JSON, recording positions under JSON pointers. Recursion
/// is bounded by `MAX_DEPTH`.
fn to_json(node: &Node, at: Position, pointer: &mut String, positions: &mut Positions) -> Value {
    positions.values.insert(pointer.clone(), at);
    match &node.kind {
        Kind::Scalar(value) => value.clone(),
        Kind::Sequence(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(index, (item_at, item))| {
                    let len = pointer.len();
                    pointer.push('/');
                    pointer.push_str(&index.to_string());
                    let value = to_json(item, *item_at, pointer, positions);
                    pointer.truncate(len);
                    value
                })
                .collect(),
        ),
        Kind::Mapping(entries) => {
            let mut object = serde_json::Map::with_capacity(entries.len());
            for (key, key_at, value_at, value) in entries {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&pointer_segment(key));
                positions.keys.insert(pointer.clone(), *key_at);
                object.insert(key.clone(), to_json(value, *value_at, pointer, positions));
                pointer.truncate(len);
            }
            Value::Object(object)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> (Value, Positions) {
        match parse(text, "spec.yaml") {
            Ok(parsed) => parsed,
            Err(Error::InvalidSpec { diagnostics, .. }) => panic!("{diagnostics:?}"),
            Err(e) => panic!("{e}"),
        }
    }

    fn parse_err(text: &str) -> Diagnostic {
        match parse(text, "spec.yaml") {
            Err(Error::InvalidSpec {
                mut diagnostics, ..
            }) => diagnostics.remove(0),
            other => panic!("expected an invalid spec, got {other:?}"),
        }
    }

    fn at(line: usize, column: usize) -> Position {
        Position { line, column }
    }

    #[test]
    fn positions_of_values_and_keys() {
        let (doc, positions) =
            parse_ok("name: shop\nnetwork:\n  cidr: 10.0.0.0/16\n  zones: [a, \"b\"]\n");
        assert_eq!(doc["network"]["zones"][1], "b");
        assert_eq!(positions.values["/name"], at(1, 7));
        assert_eq!(positions.keys["/network/cidr"], at(3, 3));
        assert_eq!(positions.values["/network/cidr"], at(3, 9));
        assert_eq!(positions.values["/network/zones/0"], at(4, 11));
        assert_eq!(positions.values["/network/zones/1"], at(4, 14));
    }

    #[test]
    fn pointer_segments_are_escaped() {
        let (_, positions) = parse_ok("tags:\n  a/b~c: x\n");
        assert_eq!(positions.keys["/tags/a~1b~0c"], at(2, 3));
    }

    #[test]
    fn missing_pointer_falls_back_to_the_nearest_ancestor() {
        let (_, positions) = parse_ok("compute:\n  port: 80\n");
        assert_eq!(positions.value("/compute/scaling/target"), at(2, 3));
        assert_eq!(positions.value("/nothing"), at(1, 1));
    }

    #[test]
    fn yaml_1_2_core_schema() {
        let (doc, _) =
            parse_ok("a: yes\nb: no\nc: on\nd: true\ne: ~\nf: 0x1F\ng: 1.5\nh: '80'\ni: 017\nj:\n");
        assert_eq!(doc["a"], "yes");
        assert_eq!(doc["b"], "no");
        assert_eq!(doc["c"], "on");
        assert_eq!(doc["d"], true);
        assert_eq!(doc["e"], Value::Null);
        assert_eq!(doc["f"], 31);
        assert_eq!(doc["g"], 1.5);
        assert_eq!(doc["h"], "80");
        assert_eq!(doc["i"], 17);
        assert_eq!(doc["j"], Value::Null);
    }

    #[test]
    fn anchors_and_aliases_expand() {
        let (doc, positions) = parse_ok("base: &b\n  x: 1\ncopy: *b\n");
        assert_eq!(doc["copy"]["x"], 1);
        // The alias is where `copy` points; its members keep the anchor's positions.
        assert_eq!(positions.values["/copy"], at(3, 7));
        assert_eq!(positions.values["/copy/x"], at(2, 6));
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let d = parse_err(&text);
        assert!(d.message.contains("more than 100000"), "{}", d.message);
        assert!(d.line > 1);
    }

    #[test]
    fn deep_nesting_is_refused_without_overflow() {
        let text = format!("a: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        let d = parse_err(&text);
        assert!(d.message.contains("nesting deeper"), "{}", d.message);
        assert_eq!(d.line, 1);
        // An alias can make a shallow-looking document deep: also refused.
        let nested = format!("{}1{}", "[".repeat(40), "]".repeat(40));
        let d = parse_err(&format!(
            "a: &x {nested}\nb: [[[[[[[[[[[[[[[[[[[[[[[[[[*x]]]]]]]]]]]]]]]]]]]]]]]]]]\n"
        ));
        assert!(d.message.contains("nesting deeper"), "{}", d.message);
        assert_eq!(d.line, 2);
    }

    #[test]
    fn duplicate_keys_point_at_the_second() {
        let d = parse_err("name: a\nregion: x\nname: b\n");
        assert_eq!((d.line, d.column), (3, 1));
        assert!(
            d.message
                .contains("duplicate key `name` (first defined at line 1)")
        );
    }

    #[test]
    fn tabs_are_a_positioned_error() {
        let d = parse_err("network:\n\tcidr: 10.0.0.0/16\n");
        assert_eq!(d.line, 2, "{d:?}");
        assert!(d.message.contains("tab"), "{}", d.message);
    }

    #[test]
    fn structural_errors() {
        assert_eq!(parse_err("").message, "the file is empty");
        assert_eq!(parse_err("# only a comment\n").message, "the file is empty");
        assert!(parse_err("- a\n- b\n").message.contains("not a list"));
        let d = parse_err("name: a\n---\nname: b\n");
        assert_eq!(d.line, 2);
        assert!(d.message.contains("second YAML document"));
        let d = parse_err("tags:\n  80: http\n");
        assert_eq!((d.line, d.column), (2, 3));
        assert!(d.hint.unwrap().contains("\"80\""));
        assert!(
            parse_err("? [a]\n: b\n")
                .message
                .contains("keys must be text")
        );
        assert!(parse_err("a: .nan\n").message.contains("finite"));
        let d = parse_err("base: &b {x: 1}\ncopy:\n  <<: *b\n");
        assert_eq!((d.line, d.column), (3, 3));
        assert!(d.message.contains("merge keys"));
        assert!(parse_err("a: *nope\n").message.contains("unknown anchor"));
    }

    #[test]
    fn lone_carriage_returns_and_end_of_file_errors_stay_inside_the_text() {
        let d = parse_err("name: shop\nregion: eu\rwest\n");
        assert_eq!((d.line, d.column), (2, 11));
        assert!(d.message.contains("carriage return"));
        // CRLF is fine.
        parse_ok("name: shop\r\nregion: eu-west-1\r\n");
        let d = parse_err("--- ");
        assert_eq!((d.line, d.column), (1, 4));
        for text in ["name: shop\nb: [1,", "name: shop\nb: [1,\n\n"] {
            let d = parse_err(text);
            assert_eq!((d.line, d.column), (2, 7), "{text:?}");
            assert!(
                d.message.ends_with("at the end of the file"),
                "{}",
                d.message
            );
        }
    }

    #[test]
    fn syntax_errors_have_positions() {
        let d = parse_err("name: shop\nnetwork:\n  cidr: [10.0.0.0/16\n");
        assert!(d.line >= 3, "{d:?}");
        assert!(d.message.starts_with("YAML syntax error"));
    }
}
