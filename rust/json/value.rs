//! A plain Rust representation of JSON values, built through the [`Sink`] interface; used by
//! the Rust tests and by Rust callers that want a whole value.

use super::parser::{JsonParser, DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH};
use super::sink::Sink;
use crate::error::DecodeError;

/// A JSON value. Integers keep their decimal text (they may exceed any machine integer);
/// object members keep document order, duplicates included.
#[derive(Clone, Debug, PartialEq)]
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
}

impl ValueBuilder {
    /// The finished top-level value, if any.
    pub fn take(&mut self) -> Option<Value> {
        self.root.take()
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
        self.stack.push((Value::Array(Vec::new()), None));
    }
    fn begin_object(&mut self) {
        self.stack.push((Value::Object(Vec::new()), None));
    }
    fn end_container(&mut self) {
        if let Some((value, _)) = self.stack.pop() {
            self.attach(value);
        }
    }
    fn key(&mut self, key: &str) {
        if let Some((_, pending)) = self.stack.last_mut() {
            *pending = Some(key.to_owned());
        }
    }
    fn string(&mut self, value: &str) {
        self.attach(Value::String(value.to_owned()));
    }
    fn integer(&mut self, text: &str) {
        self.attach(Value::Integer(text.to_owned()));
    }
    fn float(&mut self, value: f64) {
        self.attach(Value::Float(value));
    }
    fn boolean(&mut self, value: bool) {
        self.attach(Value::Bool(value));
    }
    fn null(&mut self) {
        self.attach(Value::Null);
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
