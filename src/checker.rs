//! How semantic rules report: a [`Checker`] turns a rule's JSON pointer into the
//! position of the value (or of the environment override that set it) and collects
//! one diagnostic per problem. Shared by every target's rules.

use std::collections::BTreeMap;

use crate::diagnostics::{Diagnostic, diagnostic};
use crate::yaml::{Positions, pointer_segment};

/// Where a semantic problem is: the value or the key at a JSON pointer of the spec.
#[derive(Clone, Copy)]
pub enum Site<'a> {
    Value(&'a str),
    Key(&'a str),
}

pub struct Checker<'a> {
    pub(crate) positions: &'a Positions,
    file: &'a str,
    /// Parts of the spec cut for schema errors: problems involving them are not reported
    /// (the schema error is, and the value the rule saw was a default).
    cut: &'a [String],
    /// Set while checking the spec as one environment's overrides change it: pointers
    /// then resolve into `environments.<env>` where the override sets the value.
    pub(crate) environment: Option<&'a str>,
    out: Vec<Diagnostic>,
}

impl<'a> Checker<'a> {
    pub(crate) fn new(positions: &'a Positions, file: &'a str, cut: &'a [String]) -> Self {
        Checker {
            positions,
            file,
            cut,
            environment: None,
            out: Vec::new(),
        }
    }

    /// The problems reported so far.
    pub(crate) fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.out
    }

    /// Reports a problem at the first site; `others` are sites the problem also
    /// depends on. In an environment, a problem is only reported when one of its sites
    /// is overridden there (otherwise the base spec reports it), and it points there.
    pub fn report(&mut self, site: Site<'_>, others: &[&str], message: String, hint: Option<&str>) {
        let (pointer, is_key) = match site {
            Site::Value(p) => (p, false),
            Site::Key(p) => (p, true),
        };
        let env_prefix = self
            .environment
            .map(|env| format!("/environments/{}", pointer_segment(env)));
        let involves_cut = std::iter::once(pointer)
            .chain(others.iter().copied())
            .flat_map(|p| {
                [
                    Some(p.to_string()),
                    env_prefix.as_ref().map(|e| format!("{e}{p}")),
                ]
            })
            .flatten()
            .any(|p| self.cut.iter().any(|cut| related(&p, cut)));
        if involves_cut {
            return;
        }
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

/// Whether one pointer is the other or inside it (on segment boundaries).
fn related(a: &str, b: &str) -> bool {
    let inside = |inner: &str, outer: &str| {
        inner == outer || (inner.starts_with(outer) && inner[outer.len()..].starts_with('/'))
    };
    inside(a, b) || inside(b, a)
}

/// Reports each name that repeats an earlier one in the list at `list_pointer`.
pub(crate) fn report_duplicates(
    c: &mut Checker<'_>,
    names: &[&str],
    list_pointer: &str,
    what: &str,
) {
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
