//! The source keeps the shape the README and docs/adding-a-target.md describe: modules
//! depend on each other without cycles (a cloud-neutral core below the targets, one
//! stage per module), read from the `crate::` paths of every non-test source file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::support;

/// Module path (`aws::rules`) -> the modules it names through `crate::` or `super::`.
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    fn walk(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, files);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let src = support::repo_root().join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    let folders: BTreeSet<String> = files
        .iter()
        .filter(|f| f.ends_with("mod.rs"))
        .map(|f| {
            f.parent()
                .unwrap()
                .strip_prefix(&src)
                .unwrap()
                .display()
                .to_string()
        })
        .collect();
    let mut graph = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(&src).unwrap().with_extension("");
        let module = relative
            .display()
            .to_string()
            .replace("/mod", "")
            .replace('/', "::");
        let text = std::fs::read_to_string(&file).unwrap();
        // Unit tests may reach anywhere; comments name modules without using them.
        let code = text.split("#[cfg(test)]").next().unwrap();
        let code: String = code
            .lines()
            .map(|line| line.split("//").next().unwrap())
            .collect::<Vec<_>>()
            .join("\n");
        let mut uses = BTreeSet::new();
        let parent = module.rsplit_once("::").map(|(p, _)| p.to_string());
        for (prefix, base) in [("crate::", None), ("super::", parent.as_deref())] {
            for (at, _) in code.match_indices(prefix) {
                let rest = &code[at + prefix.len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_lowercase()) {
                    continue;
                }
                let mut target = match base {
                    Some(base) => format!("{base}::{name}"),
                    None => name.clone(),
                };
                // Into a folder module: name its submodule.
                if folders.contains(&target.replace("::", "/")) {
                    let sub: String = rest[name.len()..]
                        .strip_prefix("::")
                        .unwrap_or("")
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if sub.starts_with(|c: char| c.is_ascii_lowercase()) {
                        target = format!("{target}::{sub}");
                    }
                }
                if target != module {
                    uses.insert(target);
                }
            }
        }
        graph.insert(module, uses);
    }
    graph
}

#[test]
fn modules_depend_on_each_other_without_cycles() {
    let graph = module_graph();
    assert!(graph.contains_key("render") && graph.contains_key("aws::rules"));
    // Depth-first search; a module met again on the current path closes a cycle.
    fn visit(
        module: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        cycles: &mut Vec<String>,
    ) {
        if let Some(at) = path.iter().position(|m| m == module) {
            let mut cycle = path[at..].to_vec();
            cycle.push(module.to_string());
            cycles.push(cycle.join(" -> "));
            return;
        }
        if !done.insert(module.to_string()) {
            return;
        }
        path.push(module.to_string());
        for next in graph.get(module).into_iter().flatten() {
            visit(next, graph, path, done, cycles);
        }
        path.pop();
    }
    let mut cycles = Vec::new();
    let mut done = BTreeSet::new();
    for module in graph.keys() {
        visit(module, &graph, &mut Vec::new(), &mut done, &mut cycles);
    }
    assert!(cycles.is_empty(), "module cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_core_does_not_reach_into_a_target_except_through_the_dispatch() {
    let graph = module_graph();
    // The modules allowed to name a target's folder: the dispatch, the format registry,
    // the model (each target's part of it) and the targets themselves.
    let allowed = ["target", "formats", "model", "lib"];
    let mut problems = Vec::new();
    for (module, uses) in &graph {
        let in_target = module.starts_with("aws") || module.starts_with("azure");
        if in_target || allowed.contains(&module.as_str()) {
            continue;
        }
        for used in uses {
            if used.starts_with("aws") || used.starts_with("azure") {
                problems.push(format!("{module} -> {used}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
