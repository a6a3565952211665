//! `Drop`, `Clone`, `PartialEq` and `Debug` of [`Value`] without recursion.
//!
//! The derived versions recurse once per nesting level, so a deep enough tree overflows the
//! thread's stack (a few thousand levels on a 256 KiB thread). These walk the tree with a
//! stack on the heap instead (`Drop` after a few levels of bounded recursion, which spares
//! the allocation for the shallow trees of every frame): their stack use does not depend on
//! the input.

use std::fmt;

use super::value::Value;

/// The children of a container, taken out of it (which then drops without recursing).
enum Taken {
    Items(Vec<Value>),
    Members(Vec<(String, Value)>),
}

#[inline]
fn take_children(value: &mut Value) -> Option<Taken> {
    match value {
        Value::Array(items) if !items.is_empty() => Some(Taken::Items(std::mem::take(items))),
        Value::Object(members) if !members.is_empty() => {
            Some(Taken::Members(std::mem::take(members)))
        }
        _ => None,
    }
}

impl Taken {
    /// Drop every child after taking its own children, handing those to `grandchildren`.
    fn drop_each(self, mut grandchildren: impl FnMut(Taken)) {
        let mut one = |mut child: Value| {
            if let Some(taken) = take_children(&mut child) {
                grandchildren(taken);
            }
        };
        match self {
            Taken::Items(items) => items.into_iter().for_each(&mut one),
            Taken::Members(members) => members.into_iter().for_each(|(_, item)| one(item)),
        }
    }
}

/// Levels dropped by (cheap, allocation-free) recursion before the rest of a tree goes to a
/// stack on the heap: a few kilobytes of stack at most, whatever the depth.
const RECURSIVE_DROP_LEVELS: usize = 32;

fn drop_children(children: Taken, level: usize) {
    if level < RECURSIVE_DROP_LEVELS {
        children.drop_each(|grandchildren| drop_children(grandchildren, level + 1));
        return;
    }
    let mut pending = vec![children];
    while let Some(children) = pending.pop() {
        children.drop_each(|grandchildren| pending.push(grandchildren));
    }
}

#[inline]
fn is_container(value: &Value) -> bool {
    matches!(value, Value::Array(_) | Value::Object(_))
}

impl Drop for Value {
    #[inline]
    fn drop(&mut self) {
        let nested = match self {
            Value::Array(items) => items.iter().any(is_container),
            Value::Object(members) => members.iter().any(|(_, item)| is_container(item)),
            _ => false,
        };
        // Containers of scalars drop as usual (one level). Every other value is emptied
        // before it drops, so the recursion is bounded (see `drop_children`).
        if nested {
            if let Some(children) = take_children(self) {
                drop_children(children, 0);
            }
        }
    }
}

/// The members of a container being visited: its remaining children, each with its key
/// when the container is an object.
enum Children<'a> {
    Array(std::slice::Iter<'a, Value>),
    Object(std::slice::Iter<'a, (String, Value)>),
}

impl<'a> Children<'a> {
    fn of(value: &'a Value) -> Option<Self> {
        match value {
            Value::Array(items) => Some(Self::Array(items.iter())),
            Value::Object(members) => Some(Self::Object(members.iter())),
            _ => None,
        }
    }

    fn next(&mut self) -> Option<(Option<&'a str>, &'a Value)> {
        match self {
            Self::Array(items) => items.next().map(|item| (None, item)),
            Self::Object(members) => members.next().map(|(key, item)| (Some(key.as_str()), item)),
        }
    }
}

/// A copy of a scalar, or an empty container of the same kind and capacity.
fn shallow_copy(value: &Value) -> Value {
    match value {
        Value::Null => Value::Null,
        Value::Bool(flag) => Value::Bool(*flag),
        Value::Integer(text) => Value::Integer(text.clone()),
        Value::Float(number) => Value::Float(*number),
        Value::String(text) => Value::String(text.clone()),
        Value::Array(items) => Value::Array(Vec::with_capacity(items.len())),
        Value::Object(members) => Value::Object(Vec::with_capacity(members.len())),
    }
}

/// Add `child` to the container `parent` (under `key` for an object).
fn push_child(parent: &mut Value, key: Option<&str>, child: Value) {
    match parent {
        Value::Array(items) => items.push(child),
        Value::Object(members) => members.push((key.unwrap_or_default().to_owned(), child)),
        _ => {}
    }
}

impl Clone for Value {
    fn clone(&self) -> Self {
        let Some(children) = Children::of(self) else {
            return shallow_copy(self);
        };
        // Each open copy, the key it goes under in its parent, and the originals still to copy.
        let mut open: Vec<(Value, Option<&str>, Children<'_>)> =
            vec![(shallow_copy(self), None, children)];
        loop {
            let (copy, _, children) = open.last_mut().expect("the root is open until returned");
            match children.next() {
                Some((key, child)) => match Children::of(child) {
                    Some(grandchildren) => open.push((shallow_copy(child), key, grandchildren)),
                    None => push_child(copy, key, shallow_copy(child)),
                },
                None => {
                    let (done, key, _) = open.pop().expect("checked above");
                    match open.last_mut() {
                        Some((parent, _, _)) => push_child(parent, key, done),
                        None => return done,
                    }
                }
            }
        }
    }
}

impl PartialEq for Value {
    /// Structural equality, as the derived one (floats compare as `f64`, so `NaN != NaN`;
    /// object members compare in order, duplicates included).
    fn eq(&self, other: &Self) -> bool {
        let mut pairs = vec![(self, other)];
        while let Some(pair) = pairs.pop() {
            match pair {
                (Value::Null, Value::Null) => {}
                (Value::Bool(a), Value::Bool(b)) if a == b => {}
                (Value::Integer(a), Value::Integer(b)) if a == b => {}
                (Value::Float(a), Value::Float(b)) if a == b => {}
                (Value::String(a), Value::String(b)) if a == b => {}
                (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
                    pairs.extend(a.iter().zip(b));
                }
                (Value::Object(a), Value::Object(b)) if a.len() == b.len() => {
                    for ((key_a, item_a), (key_b, item_b)) in a.iter().zip(b) {
                        if key_a != key_b {
                            return false;
                        }
                        pairs.push((item_a, item_b));
                    }
                }
                _ => return false,
            }
        }
        true
    }
}

impl fmt::Debug for Value {
    /// JSON-like text with every member (duplicates included) and floats as Rust prints them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scalar = |f: &mut fmt::Formatter<'_>, value: &Value| match value {
            Value::Null => f.write_str("null"),
            Value::Bool(flag) => write!(f, "{flag}"),
            Value::Integer(text) => f.write_str(text),
            Value::Float(number) => write!(f, "{number:?}"),
            Value::String(text) => write!(f, "{text:?}"),
            Value::Array(_) => f.write_str("[]"),
            Value::Object(_) => f.write_str("{}"),
        };
        let Some(children) = Children::of(self) else {
            return scalar(f, self);
        };
        let mut open = vec![(children, true)];
        f.write_str(if self.is_object() { "{" } else { "[" })?;
        while let Some((children, first)) = open.last_mut() {
            let object = matches!(children, Children::Object(_));
            match children.next() {
                Some((key, child)) => {
                    if !std::mem::replace(first, false) {
                        f.write_str(", ")?;
                    }
                    if let Some(key) = key {
                        write!(f, "{key:?}: ")?;
                    }
                    match Children::of(child) {
                        Some(grandchildren) => {
                            f.write_str(if child.is_object() { "{" } else { "[" })?;
                            open.push((grandchildren, true));
                        }
                        None => scalar(f, child)?,
                    }
                }
                None => {
                    f.write_str(if object { "}" } else { "]" })?;
                    open.pop();
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse_value;

    /// Far deeper than any thread stack allows for recursion (each level would need at least
    /// one stack frame of several dozen bytes).
    const DEEP: usize = 1_000_000;

    /// `[[[...]]]` with `depth` arrays, and `{"a":{"a":...}}` inside every other level.
    fn deep_tree(depth: usize) -> Value {
        let mut value = Value::Integer("1".into());
        for level in 0..depth {
            value = if level % 2 == 0 {
                Value::Array(vec![Value::Null, value])
            } else {
                Value::Object(vec![("a".into(), value), ("b".into(), Value::Bool(true))])
            };
        }
        value
    }

    /// Run `body` on a thread with a 256 KiB stack (a musl default, and what the Python
    /// tests use): a recursive walk of a deep tree overflows it and aborts the test binary.
    fn on_small_stack(body: impl FnOnce() + Send + 'static) {
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(body)
            .expect("spawn")
            .join()
            .expect("no panic");
    }

    #[test]
    fn deep_tree_is_built_cloned_compared_printed_and_dropped_on_a_small_stack() {
        on_small_stack(|| {
            let tree = deep_tree(DEEP);
            let copy = tree.clone();
            assert!(copy == tree);
            let mut different = deep_tree(DEEP - 1);
            assert!(different != tree);
            different = Value::Array(vec![different]);
            assert!(different != tree, "same depth, different leaves");
            let text = format!("{tree:?}");
            assert!(
                text.starts_with(r#"{"a": [null, {"a": [null, "#),
                "{}",
                &text[..40]
            );
            assert!(text.contains(r#"{"a": [null, 1], "b": true}"#));
            assert!(
                text.ends_with(r#"], "b": true}], "b": true}"#),
                "{}",
                &text[text.len() - 40..]
            );
            drop(tree);
            drop(copy);
            drop(different);
        });
    }

    #[test]
    fn deep_tree_drops_from_the_parser_on_a_small_stack() {
        on_small_stack(|| {
            let text = format!("{}{}", "[".repeat(DEEP), "]".repeat(DEEP));
            let mut parser = crate::json::JsonParser::new(usize::MAX, u64::MAX);
            let mut builder = crate::json::ValueBuilder::default();
            parser.feed(text.as_bytes(), &mut builder).unwrap();
            parser.finish(&mut builder).unwrap();
            let value = builder.take().unwrap();
            assert!(matches!(&value, Value::Array(items) if items.len() == 1));
        });
    }

    #[test]
    fn clone_eq_and_debug_match_the_derived_behaviour() {
        let value =
            parse_value(br#"{"a": [1, 2.5, "x\"", null, true, {}], "a": [], "b": {"c": []}}"#)
                .unwrap();
        assert_eq!(value.clone(), value);
        assert_eq!(
            format!("{value:?}"),
            r#"{"a": [1, 2.5, "x\"", null, true, {}], "a": [], "b": {"c": []}}"#
        );
        let reordered =
            parse_value(br#"{"a": [], "a": [1, 2.5, "x\"", null, true, {}], "b": {"c": []}}"#)
                .unwrap();
        assert_ne!(value, reordered);
        assert_ne!(Value::Float(f64::NAN), Value::Float(f64::NAN));
        assert_ne!(Value::Array(vec![]), Value::Object(vec![]));
        assert_ne!(
            parse_value(br#"{"a": 1}"#).unwrap(),
            parse_value(br#"{"b": 1}"#).unwrap()
        );
        assert_eq!(format!("{:?}", Value::Null), "null");
    }
}
