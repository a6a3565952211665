//! Compact JSON text of a [`Value`], byte for byte what Python's
//! `json.dumps(value, separators=(",", ":"), ensure_ascii=False)` gives for the same value
//! after `json.loads`, so both backends report the same `raw` text for tool-call arguments
//! that arrive as objects (Gemini, Ollama).

use std::fmt::Write;

use super::value::Value;
use crate::float_repr::python_float_repr;

/// A container being written: its members (each with its key in an object), how many are
/// written, and its closing bracket.
struct Open<'v> {
    members: Vec<(Option<&'v str>, &'v Value)>,
    written: usize,
    close: char,
}

/// The compact JSON text of `value`. The tree is walked with a stack on the heap, so any
/// depth is safe on any thread stack.
pub fn to_compact_json(value: &Value) -> String {
    let mut out = String::new();
    let mut open: Vec<Open<'_>> = Vec::new();
    let mut next = Some(value);
    loop {
        if let Some(value) = next.take() {
            match value {
                Value::Array(items) => {
                    out.push('[');
                    let members = items.iter().map(|item| (None, item)).collect();
                    open.push(Open {
                        members,
                        written: 0,
                        close: ']',
                    });
                }
                Value::Object(members) => {
                    out.push('{');
                    let kept = dict_members(members).into_iter();
                    let members = kept.map(|(key, item)| (Some(key), item)).collect();
                    open.push(Open {
                        members,
                        written: 0,
                        close: '}',
                    });
                }
                scalar => write_scalar(&mut out, scalar),
            }
        }
        let Some(top) = open.last_mut() else {
            return out;
        };
        match top.members.get(top.written) {
            Some(&(key, item)) => {
                if top.written > 0 {
                    out.push(',');
                }
                top.written += 1;
                if let Some(key) = key {
                    write_string(&mut out, key);
                    out.push(':');
                }
                next = Some(item);
            }
            None => {
                out.push(top.close);
                open.pop();
            }
        }
    }
}

fn write_scalar(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        // Python's int has no negative zero.
        Value::Integer(text) if text == "-0" => out.push('0'),
        Value::Integer(text) => out.push_str(text),
        Value::Float(f) => write_float(out, *f),
        Value::String(text) => write_string(out, text),
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
    }
}

/// Members as a Python `dict` keeps them: a repeated key stays at its first position and
/// takes its last value.
fn dict_members(members: &[(String, Value)]) -> Vec<(&str, &Value)> {
    let mut kept: Vec<(&str, &Value)> = Vec::with_capacity(members.len());
    for (key, value) in members {
        match kept.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => kept.push((key, value)),
        }
    }
    kept
}

fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `json.dumps` writes finite floats as `float.__repr__` does, and the others as
/// JavaScript names.
fn write_float(out: &mut String, f: f64) {
    if f.is_nan() {
        out.push_str("NaN");
    } else if f.is_infinite() {
        out.push_str(if f > 0.0 { "Infinity" } else { "-Infinity" });
    } else {
        out.push_str(&python_float_repr(f));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse_value;

    fn dump(text: &str) -> String {
        to_compact_json(&parse_value(text.as_bytes()).unwrap())
    }

    #[test]
    fn matches_python_compact_dumps() {
        // Expected strings are what CPython's json.dumps(json.loads(text), separators=(",",
        // ":"), ensure_ascii=False) prints.
        let cases = [
            (
                r#"{ "a" : [1, 2.5, true, null] }"#,
                r#"{"a":[1,2.5,true,null]}"#,
            ),
            (
                r#"{"k": "é\n\u0001\"\\/"}"#,
                "{\"k\":\"é\\n\\u0001\\\"\\\\/\"}",
            ),
            (
                "[1e16, 1.5e-5, 0.0001, 123456789012345678, -0.0, 1E2]",
                "[1e+16,1.5e-05,0.0001,123456789012345678,-0.0,100.0]",
            ),
            (
                "[0.1, 1e22, 1.7976931348623157e308, 5e-324, 12345.678]",
                "[0.1,1e+22,1.7976931348623157e+308,5e-324,12345.678]",
            ),
            (r#"{"a": 1, "b": 2, "a": 3}"#, r#"{"a":3,"b":2}"#),
            ("[-0, -0.0, 0]", "[0,-0.0,0]"),
            ("[]", "[]"),
            ("{}", "{}"),
            (
                r#"[[], {}, [{}], {"a": []}, [[1], {"b": {}}]]"#,
                r#"[[],{},[{}],{"a":[]},[[1],{"b":{}}]]"#,
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(dump(input), expected, "{input}");
        }
    }

    #[test]
    fn deep_value_dumps_on_a_small_stack() {
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                let depth = 1_000_000;
                let mut value = Value::Array(Vec::new());
                for level in 0..depth {
                    value = if level % 2 == 0 {
                        Value::Object(vec![("k".into(), value)])
                    } else {
                        Value::Array(vec![Value::Null, value])
                    };
                }
                let text = to_compact_json(&value);
                assert!(
                    text.starts_with(r#"[null,{"k":[null,{"k":"#),
                    "{}",
                    &text[..30]
                );
                assert!(text.contains(r#"[null,{"k":[]}]}]"#));
                assert!(text.ends_with("}]}]"), "{}", &text[text.len() - 30..]);
                assert_eq!(text.len(), 2 + 6 * (depth / 2) + 7 * (depth / 2));
            })
            .unwrap()
            .join()
            .unwrap();
    }
}
