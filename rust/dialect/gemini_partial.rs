//! Vertex AI's streamed function-call arguments (`streamFunctionCallArguments`): a call comes
//! as a `functionCall` part with its `name` and `willContinue: true`, then parts whose
//! `partialArgs` each set one value at a JSON path (RFC 9535, e.g. `$.a.b[0]`), and ends with
//! an empty `functionCall: {}` (or a part whose `willContinue` is not true). A string value
//! whose `willContinue` is true goes on in the next `partialArgs` entry for the same path.
//! [`PartialArguments`] collects the values and writes the arguments object once the call
//! ends, without recursion (paths are flat text an input could make arbitrarily deep).

use crate::error::{DecodeError, ErrorClass};
use crate::json::{to_compact_json, Value};

use super::frame::str_of;

/// Deepest JSON path accepted (segments after `$`).
pub const MAX_PATH_DEPTH: usize = 64;
/// Largest array index accepted in a path (an index makes the array that long).
pub const MAX_PATH_INDEX: u64 = 65_535;

/// One step of a JSON path.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Name(String),
    Index(usize),
}

/// A node of the arguments being built; children are indexes into the arena.
#[derive(Debug)]
enum Node {
    Object(Vec<(String, usize)>),
    Array(Vec<Option<usize>>),
    Leaf(Value),
}

/// The arguments of one streamed call.
#[derive(Debug)]
pub struct PartialArguments {
    /// `nodes[0]` is the arguments object.
    nodes: Vec<Node>,
    /// Paths whose string goes on in a later entry (`willContinue: true`).
    continuing: Vec<String>,
    /// Whether any entry came (a call without one has no arguments text).
    any: bool,
}

impl Default for PartialArguments {
    fn default() -> Self {
        Self {
            nodes: vec![Node::Object(Vec::new())],
            continuing: Vec::new(),
            any: false,
        }
    }
}

impl PartialArguments {
    /// Apply one `partialArgs` entry; `start` is the frame's stream offset (for errors).
    pub fn apply(&mut self, entry: &Value, start: u64) -> Result<(), DecodeError> {
        let Some(path_text) = str_of(entry, "jsonPath") else {
            return Err(path_error("a partialArgs entry has no jsonPath", start));
        };
        let path = parse_path(path_text, start)?;
        self.any = true;
        let continues = matches!(entry.get("willContinue"), Some(Value::Bool(true)));
        let was_continuing = self.continuing.iter().any(|p| p == path_text);
        if let Some(value) = entry_value(entry) {
            let leaf = self.slot(&path);
            match (&mut self.nodes[leaf], value) {
                (Node::Leaf(Value::String(text)), Value::String(more)) if was_continuing => {
                    text.push_str(more)
                }
                (node, value) => *node = Node::Leaf(value.clone()),
            }
        }
        self.continuing.retain(|p| p != path_text);
        if continues {
            self.continuing.push(path_text.to_owned());
        }
        Ok(())
    }

    /// The compact JSON text of the arguments, or `None` when no entry came.
    pub fn text(&self) -> Option<String> {
        if !self.any {
            return None;
        }
        // Iterative writer: a stack of (node, next child position).
        let mut out = String::new();
        let mut stack: Vec<(usize, usize)> = vec![(0, 0)];
        open(&mut out, &self.nodes[0]);
        while let Some((node, position)) = stack.pop() {
            let child = match &self.nodes[node] {
                Node::Object(members) => members.get(position).map(|(key, child)| {
                    if position > 0 {
                        out.push(',');
                    }
                    out.push_str(&to_compact_json(&Value::String(key.clone())));
                    out.push(':');
                    Some(*child)
                }),
                Node::Array(items) => items.get(position).map(|child| {
                    if position > 0 {
                        out.push(',');
                    }
                    *child
                }),
                Node::Leaf(_) => None,
            };
            match child {
                None => close(&mut out, &self.nodes[node]),
                Some(child) => {
                    stack.push((node, position + 1));
                    match child.map(|c| (c, &self.nodes[c])) {
                        None => out.push_str("null"),
                        Some((_, Node::Leaf(value))) => out.push_str(&to_compact_json(value)),
                        Some((c, container)) => {
                            open(&mut out, container);
                            stack.push((c, 0));
                        }
                    }
                }
            }
        }
        Some(out)
    }

    /// The text of the arguments received so far without the closing brace of the object,
    /// for a call cut off (an error or the end of input before its closing part): its
    /// assembler reports it as unfinished JSON, with the value received so far.
    pub fn open_text(&self) -> Option<String> {
        let mut text = self.text()?;
        text.pop();
        Some(text)
    }

    /// The node at `path`, created (and containers on the way replaced when of the wrong
    /// kind) as needed.
    fn slot(&mut self, path: &[Segment]) -> usize {
        let mut node = 0;
        for (depth, segment) in path.iter().enumerate() {
            let last = depth + 1 == path.len();
            let fresh = match (last, path.get(depth + 1)) {
                (true, _) => Node::Leaf(Value::Null),
                (false, Some(Segment::Index(_))) => Node::Array(Vec::new()),
                (false, _) => Node::Object(Vec::new()),
            };
            let existing = self.child(node, segment);
            let keep = matches!(
                (existing.map(|c| &self.nodes[c]), &fresh),
                (Some(_), Node::Leaf(_))
                    | (Some(Node::Object(_)), Node::Object(_))
                    | (Some(Node::Array(_)), Node::Array(_))
            );
            node = match (existing, keep) {
                (Some(child), true) => child,
                (Some(child), false) => {
                    self.nodes[child] = fresh;
                    child
                }
                (None, _) => {
                    self.nodes.push(fresh);
                    let child = self.nodes.len() - 1;
                    self.attach(node, segment, child);
                    child
                }
            };
        }
        node
    }

    fn child(&self, node: usize, segment: &Segment) -> Option<usize> {
        match (&self.nodes[node], segment) {
            (Node::Object(members), Segment::Name(name)) => {
                members.iter().find(|(key, _)| key == name).map(|m| m.1)
            }
            (Node::Array(items), Segment::Index(index)) => items.get(*index).copied().flatten(),
            _ => None,
        }
    }

    fn attach(&mut self, node: usize, segment: &Segment, child: usize) {
        match (&mut self.nodes[node], segment) {
            (Node::Object(members), Segment::Name(name)) => members.push((name.clone(), child)),
            (Node::Array(items), Segment::Index(index)) => {
                if items.len() <= *index {
                    items.resize(index + 1, None);
                }
                items[*index] = Some(child);
            }
            // `slot` makes each container the kind its next segment needs.
            _ => unreachable!("segment and container kinds agree"),
        }
    }
}

fn open(out: &mut String, node: &Node) {
    match node {
        Node::Object(_) => out.push('{'),
        Node::Array(_) => out.push('['),
        Node::Leaf(_) => {}
    }
}

fn close(out: &mut String, node: &Node) {
    match node {
        Node::Object(_) => out.push('}'),
        Node::Array(_) => out.push(']'),
        Node::Leaf(_) => {}
    }
}

/// The value an entry sets: `stringValue`, `numberValue`, `boolValue`, or null for
/// `nullValue`; none when the entry only announces the path.
fn entry_value(entry: &Value) -> Option<&Value> {
    const NULL: &Value = &Value::Null;
    if let Some(text @ Value::String(_)) = entry.get("stringValue") {
        return Some(text);
    }
    if let Some(number @ (Value::Integer(_) | Value::Float(_))) = entry.get("numberValue") {
        return Some(number);
    }
    if let Some(flag @ Value::Bool(_)) = entry.get("boolValue") {
        return Some(flag);
    }
    entry.get("nullValue").map(|_| NULL)
}

/// `$` followed by `.name`, `['name']` / `["name"]` (a backslash takes the next character,
/// `\n` `\t` `\r` `\b` `\f` as in JSON) and `[index]` segments; at least one.
fn parse_path(text: &str, start: u64) -> Result<Vec<Segment>, DecodeError> {
    let invalid = || {
        path_error(
            &format!("jsonPath {text:?} is not a path of names and indexes"),
            start,
        )
    };
    let mut chars = text.chars().peekable();
    if chars.next() != Some('$') {
        return Err(invalid());
    }
    let mut path = Vec::new();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                let mut name = String::new();
                while let Some(&c) = chars.peek() {
                    if c == '.' || c == '[' {
                        break;
                    }
                    name.push(c);
                    chars.next();
                }
                if name.is_empty() {
                    return Err(invalid());
                }
                path.push(Segment::Name(name));
            }
            '[' => match chars.next() {
                Some(quote @ ('\'' | '"')) => {
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            None => return Err(invalid()),
                            Some(c) if c == quote => break,
                            Some('\\') => name.push(match chars.next().ok_or_else(invalid)? {
                                'n' => '\n',
                                't' => '\t',
                                'r' => '\r',
                                'b' => '\u{8}',
                                'f' => '\u{c}',
                                other => other,
                            }),
                            Some(c) => name.push(c),
                        }
                    }
                    if chars.next() != Some(']') {
                        return Err(invalid());
                    }
                    path.push(Segment::Name(name));
                }
                Some(digit @ '0'..='9') => {
                    let mut index = u64::from(digit as u8 - b'0');
                    loop {
                        match chars.next() {
                            Some(']') => break,
                            Some(digit @ '0'..='9') => {
                                index = index.saturating_mul(10) + u64::from(digit as u8 - b'0');
                            }
                            _ => return Err(invalid()),
                        }
                    }
                    if index > MAX_PATH_INDEX {
                        return Err(limit_error(
                            format!("jsonPath '{text}' has an index beyond {MAX_PATH_INDEX}"),
                            MAX_PATH_INDEX,
                            start,
                        ));
                    }
                    path.push(Segment::Index(index as usize));
                }
                _ => return Err(invalid()),
            },
            _ => return Err(invalid()),
        }
        if path.len() > MAX_PATH_DEPTH {
            return Err(limit_error(
                format!("jsonPath is deeper than {MAX_PATH_DEPTH} levels"),
                MAX_PATH_DEPTH as u64,
                start,
            ));
        }
    }
    match path.first() {
        Some(Segment::Name(_)) => Ok(path),
        // The arguments are an object: the first step must name a member.
        _ => Err(invalid()),
    }
}

fn path_error(message: &str, start: u64) -> DecodeError {
    DecodeError {
        class: ErrorClass::Json,
        message: format!("invalid gemini frame: {message}"),
        position: start,
        excerpt: String::new(),
    }
}

fn limit_error(message: String, limit: u64, start: u64) -> DecodeError {
    DecodeError {
        class: ErrorClass::Limit(limit),
        message: format!("gemini functionCall.partialArgs: {message}"),
        position: start,
        excerpt: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse_value;

    fn build(entries: &[&str]) -> Option<String> {
        let mut args = PartialArguments::default();
        for entry in entries {
            args.apply(&parse_value(entry.as_bytes()).unwrap(), 0)
                .unwrap();
        }
        args.text()
    }

    #[test]
    fn strings_continue_and_paths_nest() {
        let text = build(&[
            r#"{"jsonPath":"$.location","stringValue":"San ","willContinue":true}"#,
            r#"{"jsonPath":"$.meta[1].name","stringValue":"x"}"#,
            r#"{"jsonPath":"$.location","stringValue":"Francisco","willContinue":true}"#,
            r#"{"jsonPath":"$.location","stringValue":""}"#,
            r#"{"jsonPath":"$['a b']","numberValue":2.5}"#,
            r#"{"jsonPath":"$.flag","boolValue":false}"#,
            r#"{"jsonPath":"$.none","nullValue":"NULL_VALUE"}"#,
        ]);
        assert_eq!(
            text.as_deref(),
            Some(
                r#"{"location":"San Francisco","meta":[null,{"name":"x"}],"a b":2.5,"flag":false,"none":null}"#
            )
        );
    }

    #[test]
    fn a_string_without_will_continue_is_replaced() {
        let text = build(&[
            r#"{"jsonPath":"$.a","stringValue":"x"}"#,
            r#"{"jsonPath":"$.a","stringValue":"y"}"#,
        ]);
        assert_eq!(text.as_deref(), Some(r#"{"a":"y"}"#));
    }

    #[test]
    fn no_entry_gives_no_text() {
        assert_eq!(build(&[]), None);
    }

    #[test]
    fn bad_and_deep_paths_are_errors() {
        let mut args = PartialArguments::default();
        for bad in ["a", "$", "$[0]", "$.", "$.a[x]", "$['a'", "$.a[99999999]"] {
            let entry = format!(r#"{{"jsonPath":{bad:?},"stringValue":"v"}}"#);
            let entry = parse_value(entry.as_bytes()).unwrap();
            assert!(args.apply(&entry, 7).is_err(), "{bad}");
        }
        let deep = format!("$.{}", vec!["a"; MAX_PATH_DEPTH + 1].join("."));
        let entry = format!(r#"{{"jsonPath":{deep:?},"stringValue":"v"}}"#);
        let error = args
            .apply(&parse_value(entry.as_bytes()).unwrap(), 7)
            .unwrap_err();
        assert_eq!(error.class, ErrorClass::Limit(MAX_PATH_DEPTH as u64));
        let ok = format!("$.{}", vec!["a"; MAX_PATH_DEPTH].join("."));
        let entry = format!(r#"{{"jsonPath":{ok:?},"stringValue":"v"}}"#);
        assert!(args
            .apply(&parse_value(entry.as_bytes()).unwrap(), 7)
            .is_ok());
    }
}
