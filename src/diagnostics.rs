//! Positions and diagnostics: `spec.yaml:LINE:COL: error: message`, with a code frame and a
//! hint, for people (`render_human`) and for tools (`to_json`).

use serde::Serialize;

/// A 1-based line and column in the spec file (the column counts characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// What is allowed instead, when that can be said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// A diagnostic about `file` at `at`.
pub fn diagnostic(file: &str, at: Position, message: String, hint: Option<String>) -> Diagnostic {
    Diagnostic {
        file: file.to_string(),
        line: at.line,
        column: at.column,
        message,
        hint,
    }
}

impl Diagnostic {
    pub fn position(&self) -> Position {
        Position {
            line: self.line,
            column: self.column,
        }
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// ANSI styles, only used when the caller asks for colour (a terminal without
/// `NO_COLOR`: the CLI decides).
struct Style {
    error: &'static str,
    gutter: &'static str,
    hint: &'static str,
    bold: &'static str,
    reset: &'static str,
}

const COLOR: Style = Style {
    error: "\x1b[1;31m",
    gutter: "\x1b[1;34m",
    hint: "\x1b[1;36m",
    bold: "\x1b[1m",
    reset: "\x1b[0m",
};

const PLAIN: Style = Style {
    error: "",
    gutter: "",
    hint: "",
    bold: "",
    reset: "",
};

/// Renders diagnostics the way rustc does:
///
/// ```text
/// spec.yaml:3:9: error: `10.0.0.1/16` has host bits set
///   |
/// 3 |   cidr: 10.0.0.1/16
///   |         ^^^^^^^^^^^
///   = hint: write the network address, `10.0.0.0/16`
/// ```
///
/// `source_text` is the spec's text (the code frame is left out when a position lies
/// outside it). Diagnostics are separated by a blank line.
pub fn render_human(source_text: &str, diagnostics: &[Diagnostic], color: bool) -> String {
    let style = if color { &COLOR } else { &PLAIN };
    let lines: Vec<&str> = source_text.lines().collect();
    let mut out = String::new();
    for (index, diagnostic) in diagnostics.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        let Style {
            error,
            gutter,
            hint,
            bold,
            reset,
        } = style;
        out.push_str(&format!(
            "{bold}{}:{}:{}:{reset} {error}error:{reset} {bold}{}{reset}\n",
            diagnostic.file, diagnostic.line, diagnostic.column, diagnostic.message
        ));
        let number = diagnostic.line.to_string();
        let pad = " ".repeat(number.len());
        if let Some(line) = diagnostic.line.checked_sub(1).and_then(|i| lines.get(i)) {
            // Tabs become one space so the caret (counted in characters) lines up.
            let shown: String = line
                .chars()
                .map(|c| if c == '\t' || c.is_control() { ' ' } else { c })
                .collect();
            let column = diagnostic.column.max(1) - 1;
            let width = token_width(&shown, column);
            out.push_str(&format!("{gutter}{pad} |{reset}\n"));
            out.push_str(&format!("{gutter}{number} |{reset} {shown}\n"));
            out.push_str(&format!(
                "{gutter}{pad} |{reset} {}{error}{}{reset}\n",
                " ".repeat(column),
                "^".repeat(width)
            ));
        }
        if let Some(text) = &diagnostic.hint {
            out.push_str(&format!(
                "{gutter}{pad} ={reset} {hint}hint:{reset} {text}\n"
            ));
        }
    }
    out
}

/// Width to underline: the word starting at `column` (a scalar, a key, a quoted string),
/// at least one character.
fn token_width(line: &str, column: usize) -> usize {
    let rest: Vec<char> = line.chars().skip(column).collect();
    let Some(&first) = rest.first() else {
        return 1;
    };
    if first == '"' || first == '\'' {
        // Up to the closing quote, or the end of the line.
        return rest[1..]
            .iter()
            .position(|&c| c == first)
            .map_or(rest.len(), |end| end + 2);
    }
    let mut width = 0;
    for (i, &c) in rest.iter().enumerate() {
        let key_colon = c == ':' && rest.get(i + 1).is_none_or(|n| n.is_whitespace());
        if c.is_whitespace() || matches!(c, ',' | ']' | '}' | '#') || key_colon {
            break;
        }
        width += 1;
    }
    width.max(1)
}

/// The shape `--format json` prints: one object per diagnostic, `hint` null when none.
#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    message: &'a str,
    hint: Option<&'a str>,
}

/// Diagnostics as a JSON array of `{file, line, column, message, hint}`, for editors and
/// CI annotations.
pub fn to_json(diagnostics: &[Diagnostic]) -> String {
    let shaped: Vec<JsonDiagnostic<'_>> = diagnostics
        .iter()
        .map(|d| JsonDiagnostic {
            file: &d.file,
            line: d.line,
            column: d.column,
            message: &d.message,
            hint: d.hint.as_deref(),
        })
        .collect();
    serde_json::to_string_pretty(&shaped).expect("diagnostics serialize")
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

#[cfg(test)]
mod tests {
    use super::*;

    fn diagnostic(line: usize, column: usize, hint: Option<&str>) -> Diagnostic {
        Diagnostic {
            file: "spec.yaml".into(),
            line,
            column,
            message: "`10.0.0.1/16` has host bits set".into(),
            hint: hint.map(str::to_string),
        }
    }

    const SOURCE: &str = "name: shop\nnetwork:\n  cidr: 10.0.0.1/16 # the VPC\n";

    #[test]
    fn human_form_has_location_frame_caret_and_hint() {
        let text = render_human(
            SOURCE,
            &[diagnostic(3, 9, Some("write `10.0.0.0/16`"))],
            false,
        );
        assert_eq!(
            text,
            "spec.yaml:3:9: error: `10.0.0.1/16` has host bits set\n  \
             |\n\
             3 |   cidr: 10.0.0.1/16 # the VPC\n  \
             |         ^^^^^^^^^^^\n  \
             = hint: write `10.0.0.0/16`\n"
        );
    }

    #[test]
    fn keys_quoted_strings_and_positions_outside_the_text() {
        let text = render_human("  instanc_type: t3\n", &[diagnostic(1, 3, None)], false);
        assert!(text.ends_with("  |   ^^^^^^^^^^^^\n"), "{text}");
        let text = render_human("a: \"x y\" # c\n", &[diagnostic(1, 4, None)], false);
        assert!(text.ends_with("  |    ^^^^^\n"), "{text}");
        // No frame, but still the location and message, when the line does not exist.
        let text = render_human("", &[diagnostic(7, 1, None)], false);
        assert_eq!(
            text,
            "spec.yaml:7:1: error: `10.0.0.1/16` has host bits set\n"
        );
    }

    #[test]
    fn tabs_in_the_line_keep_the_caret_aligned() {
        let text = render_human("\tcidr: x\n", &[diagnostic(1, 1, None)], false);
        assert!(text.contains("1 |  cidr: x\n  | ^\n"), "{text}");
    }

    #[test]
    fn colour_only_when_asked() {
        let plain = render_human(SOURCE, &[diagnostic(3, 9, Some("h"))], false);
        assert!(!plain.contains('\x1b'));
        let coloured = render_human(SOURCE, &[diagnostic(3, 9, Some("h"))], true);
        assert!(coloured.contains("\x1b[1;31merror:\x1b[0m"));
    }

    #[test]
    fn json_form_lists_every_field() {
        let json: serde_json::Value = serde_json::from_str(&to_json(&[
            diagnostic(3, 9, Some("h")),
            diagnostic(1, 1, None),
        ]))
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!([
                {"file": "spec.yaml", "line": 3, "column": 9,
                 "message": "`10.0.0.1/16` has host bits set", "hint": "h"},
                {"file": "spec.yaml", "line": 1, "column": 1,
                 "message": "`10.0.0.1/16` has host bits set", "hint": null}
            ])
        );
    }
}
