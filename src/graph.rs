//! `hagen graph` and the module README's diagram: one architecture graph, built from the
//! model by the target ([`crate::target::diagram`]), printed as Mermaid or Graphviz DOT.
//!
//! Both printers read the same [`Graph`], so the two formats (and the README, which
//! embeds the Mermaid text) cannot disagree.

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    /// Mermaid flowchart (GitHub and GitLab render it in Markdown).
    Mermaid,
    /// Graphviz DOT (`hagen graph spec.yaml --format dot | dot -Tsvg > arch.svg`).
    Dot,
}

/// A node's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Box,
    /// Data stores.
    Cylinder,
    Circle,
}

#[derive(Debug, Clone)]
pub struct Node {
    pub id: String,
    /// Label lines (Mermaid joins them with `<br/>`, DOT with `\n`).
    pub lines: Vec<String>,
    pub shape: Shape,
}

/// A labelled group of nodes and groups (a Mermaid subgraph, a DOT cluster).
#[derive(Debug, Clone)]
pub struct Group {
    pub id: String,
    pub label: String,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone)]
pub enum Item {
    Node(Node),
    Group(Group),
}

/// Where an edge ends: a node, or a whole group (DOT draws it to the group's first
/// node, clipped at the cluster).
#[derive(Debug, Clone)]
pub enum End {
    Node(String),
    Group { id: String, first_node: String },
}

#[derive(Debug, Clone)]
pub struct Edge {
    pub from: String,
    pub to: End,
    pub label: Option<String>,
    pub dashed: bool,
}

#[derive(Debug, Clone)]
pub struct Graph {
    /// The DOT graph's name.
    pub name: String,
    pub items: Vec<Item>,
    pub edges: Vec<Edge>,
}

/// Shorthands for the builders.
pub fn node(id: impl Into<String>, lines: &[&str], shape: Shape) -> Item {
    Item::Node(Node {
        id: id.into(),
        lines: lines.iter().map(|line| line.to_string()).collect(),
        shape,
    })
}

pub fn group(id: &str, label: impl Into<String>, items: Vec<Item>) -> Item {
    Item::Group(Group {
        id: id.into(),
        label: label.into(),
        items,
    })
}

pub fn edge(from: &str, to: End, label: Option<String>, dashed: bool) -> Edge {
    Edge {
        from: from.into(),
        to,
        label,
        dashed,
    }
}

/// A graph as text (ending in a newline).
pub fn print(graph: &Graph, format: GraphFormat) -> String {
    match format {
        GraphFormat::Mermaid => mermaid(graph),
        GraphFormat::Dot => dot(graph),
    }
}

/// Mermaid text in a quoted label: `"` would end it.
fn mermaid_text(text: &str) -> String {
    text.replace('"', "#quot;")
}

/// DOT text in a quoted string.
fn dot_text(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

pub fn mermaid(graph: &Graph) -> String {
    fn print(out: &mut String, item: &Item, indent: usize) {
        let pad = " ".repeat(indent);
        match item {
            Item::Node(node) => {
                let label = mermaid_text(&node.lines.join("<br/>"));
                let (open, close) = match node.shape {
                    Shape::Box => ("[\"", "\"]"),
                    Shape::Cylinder => ("[(\"", "\")]"),
                    Shape::Circle => ("((\"", "\"))"),
                };
                out.push_str(&format!("{pad}{}{open}{label}{close}\n", node.id));
            }
            Item::Group(group) => {
                out.push_str(&format!(
                    "{pad}subgraph {}[\"{}\"]\n",
                    group.id,
                    mermaid_text(&group.label)
                ));
                let mut previous_was_group = false;
                for child in &group.items {
                    let is_group = matches!(child, Item::Group(_));
                    if is_group && previous_was_group {
                        out.push('\n');
                    }
                    print(out, child, indent + 2);
                    previous_was_group = is_group;
                }
                out.push_str(&format!("{pad}end\n"));
            }
        }
    }
    let mut out = String::from("flowchart TB\n");
    for (index, top) in graph.items.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        print(&mut out, top, 2);
    }
    out.push('\n');
    for edge in &graph.edges {
        let to = match &edge.to {
            End::Node(id) | End::Group { id, .. } => id,
        };
        let arrow = match (&edge.label, edge.dashed) {
            (None, false) => "-->".to_string(),
            (None, true) => "-.->".to_string(),
            (Some(label), false) => format!("-->|\"{}\"|", mermaid_text(label)),
            (Some(label), true) => format!("-. \"{}\" .->", mermaid_text(label)),
        };
        out.push_str(&format!("  {} {arrow} {to}\n", edge.from));
    }
    out
}

pub fn dot(graph: &Graph) -> String {
    fn print(out: &mut String, item: &Item, indent: usize) {
        let pad = " ".repeat(indent);
        match item {
            Item::Node(node) => {
                let label = dot_text(&node.lines.join("\n")).replace('\n', "\\n");
                let shape = match node.shape {
                    Shape::Box => "",
                    Shape::Cylinder => ", shape=cylinder",
                    Shape::Circle => ", shape=circle",
                };
                out.push_str(&format!("{pad}{} [label=\"{label}\"{shape}];\n", node.id));
            }
            Item::Group(group) => {
                out.push_str(&format!("{pad}subgraph cluster_{} {{\n", group.id));
                out.push_str(&format!("{pad}  label=\"{}\";\n", dot_text(&group.label)));
                for child in &group.items {
                    if matches!(child, Item::Group(_)) {
                        out.push('\n');
                    }
                    print(out, child, indent + 2);
                }
                out.push_str(&format!("{pad}}}\n"));
            }
        }
    }
    let mut out = format!(
        "digraph \"{}\" {{\n  rankdir=TB;\n  compound=true;\n  node [shape=box, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n",
        dot_text(&graph.name)
    );
    for top in &graph.items {
        out.push('\n');
        print(&mut out, top, 2);
    }
    out.push('\n');
    for edge in &graph.edges {
        let (to, cluster) = match &edge.to {
            End::Node(id) => (id, None),
            End::Group { id, first_node } => (first_node, Some(id)),
        };
        let mut attributes = Vec::new();
        if let Some(label) = &edge.label {
            attributes.push(format!("label=\"{}\"", dot_text(label)));
        }
        if edge.dashed {
            attributes.push("style=dashed".to_string());
        }
        if let Some(cluster) = cluster {
            attributes.push(format!("lhead=cluster_{cluster}"));
        }
        let attributes = if attributes.is_empty() {
            String::new()
        } else {
            format!(" [{}]", attributes.join(", "))
        };
        out.push_str(&format!("  {} -> {to}{attributes};\n", edge.from));
    }
    out.push_str("}\n");
    out
}
