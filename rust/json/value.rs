//! A plain Rust representation of JSON values, built through the [`Sink`] interface; used by
//! the Rust tests and by Rust callers that want a whole value.

use super::parser::{JsonParser, DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH};
use super::sink::Sink;
use crate::error::DecodeError;

/// A JSON value. Integers keep their decimal text (they may exceed any machine integer);
/// object members keep document order, duplicates included. `Clone`, `PartialEq`, `Debug`
/// and `Drop` do not recurse (see `iterative.rs`): a tree of any depth is safe on any stack.
pub enum Value {
    Null,
    Bool(bool),
    Integer(String),
    Float(f64),
    String(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
}

/// Builds [`Value`]s from parser events.
#[derive(Debug, Default)]
pub struct ValueBuilder {
    /// Open containers, each with the key its next member will have (for objects).
    stack: Vec<(Value, Option<String>)>,
    root: Option<Value>,
    /// When set, members of a top-level object whose key is not listed are parsed (and so
    /// validated) but not built: provider frames carry ids, model names and fingerprints
    /// that a decoder never reads, and building them is most of the cost.
    wanted: Option<&'static [&'static str]>,
    /// Inside a member being skipped: `Some(0)` before its value starts, then the number of
    /// its containers still open.
    skipping: Option<u32>,
}

impl Value {
    /// The last member called `key` of an object (as a Python `dict` would keep it).
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(members) => members.iter().rev().find(|(k, _)| k == key).map(|m| &m.1),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    /// The value as a non-negative integer, if it is one that fits (floats with an integral
    /// value count: some servers send token counts as `12.0`).
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            // `-0` is 0, as in Python.
            Value::Integer(text) => text.parse().ok().or((text == "-0").then_some(0)),
            Value::Float(f) if *f >= 0.0 && f.fract() == 0.0 && *f < 1.8e19 => Some(*f as u64),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// Whether this is an object.
    pub fn is_object(&self) -> bool {
        matches!(self, Value::Object(_))
    }

    /// `None` for a missing member or a JSON `null`.
    pub fn non_null(value: Option<&Value>) -> Option<&Value> {
        value.filter(|v| !matches!(v, Value::Null))
    }
}

impl ValueBuilder {
    /// A builder that keeps only the `wanted` members of a top-level object.
    pub fn with_top_level_keys(wanted: &'static [&'static str]) -> Self {
        Self {
            wanted: Some(wanted),
            ..Self::default()
        }
    }

    /// Whether an event belongs to a skipped member (and moves the skipping state on):
    /// `opens` is +1 for a container start, -1 for its end, 0 for a scalar.
    #[inline]
    fn skip(&mut self, opens: i32) -> bool {
        let Some(depth) = self.skipping else {
            return false;
        };
        self.skipping = match (depth, opens) {
            (0, 0) => None,
            (d, 1) => Some(d + 1),
            (1, -1) => None,
            (d, -1) => Some(d - 1),
            (d, _) => Some(d),
        };
        true
    }

    /// The finished top-level value, if any.
    pub fn take(&mut self) -> Option<Value> {
        self.root.take()
    }

    /// Whether a top-level value has been completed (and not taken).
    pub fn has_root(&self) -> bool {
        self.root.is_some()
    }

    /// The value as if the input so far were closed here, following the rules of
    /// `JsonStream.partial()`: `open_string` is the unfinished string value being read, if
    /// any (see [`JsonParser::partial_string`]). `None` before any value has begun.
    pub fn partial(&self, open_string: Option<&str>) -> Option<Value> {
        if let Some(root) = &self.root {
            return Some(root.clone());
        }
        let mut child = open_string.map(|text| Value::String(text.to_owned()));
        for (container, key) in self.stack.iter().rev() {
            let mut copy = container.clone();
            if let Some(value) = child.take() {
                match &mut copy {
                    Value::Array(items) => items.push(value),
                    Value::Object(members) => {
                        if let Some(key) = key {
                            members.push((key.clone(), value));
                        }
                    }
                    _ => {}
                }
            }
            child = Some(copy);
        }
        child
    }

    fn attach(&mut self, value: Value) {
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some((Value::Array(items), _)) => items.push(value),
            Some((Value::Object(members), key)) => {
                members.push((key.take().unwrap_or_default(), value));
            }
            Some(_) => unreachable!("only containers are pushed on the stack"),
        }
    }
}

impl Sink for ValueBuilder {
    fn begin_array(&mut self) {
        if !self.skip(1) {
            self.stack.push((Value::Array(Vec::new()), None));
        }
    }
    fn begin_object(&mut self) {
        if !self.skip(1) {
            self.stack.push((Value::Object(Vec::new()), None));
        }
    }
    fn end_container(&mut self) {
        if self.skip(-1) {
            return;
        }
        if let Some((value, _)) = self.stack.pop() {
            self.attach(value);
        }
    }
    fn key(&mut self, key: &str) {
        if self.skipping.is_some() {
            return;
        }
        if let Some(wanted) = self.wanted {
            if self.stack.len() == 1 && !wanted.contains(&key) {
                self.skipping = Some(0);
                return;
            }
        }
        if let Some((_, pending)) = self.stack.last_mut() {
            *pending = Some(key.to_owned());
        }
    }
    fn string(&mut self, value: &str) {
        if !self.skip(0) {
            self.attach(Value::String(value.to_owned()));
        }
    }
    fn integer(&mut self, text: &str) {
        if !self.skip(0) {
            self.attach(Value::Integer(text.to_owned()));
        }
    }
    fn float(&mut self, value: f64) {
        if !self.skip(0) {
            self.attach(Value::Float(value));
        }
    }
    fn boolean(&mut self, value: bool) {
        if !self.skip(0) {
            self.attach(Value::Bool(value));
        }
    }
    fn null(&mut self) {
        if !self.skip(0) {
            self.attach(Value::Null);
        }
    }
}

/// Parse one complete JSON text with the default limits.
pub fn parse_value(text: &[u8]) -> Result<Value, DecodeError> {
    let mut parser = JsonParser::new(DEFAULT_MAX_DEPTH, DEFAULT_MAX_BYTES);
    let mut builder = ValueBuilder::default();
    parser.feed(text, &mut builder)?;
    parser.finish(&mut builder)?;
    Ok(builder.take().unwrap_or(Value::Null))
}
