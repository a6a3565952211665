//! Compact JSON text of a [`Value`], byte for byte what Python's
//! `json.dumps(value, separators=(",", ":"), ensure_ascii=False)` gives for the same value
//! after `json.loads`, so both backends report the same `raw` text for tool-call arguments
//! that arrive as objects (Gemini, Ollama).

use std::fmt::Write;

use super::value::Value;
use crate::float_repr::python_float_repr;

/// The compact JSON text of `value`.
pub fn to_compact_json(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        // Python's int has no negative zero.
        Value::Integer(text) if text == "-0" => out.push('0'),
        Value::Integer(text) => out.push_str(text),
        Value::Float(f) => write_float(out, *f),
        Value::String(text) => write_string(out, text),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(members) => {
            out.push('{');
            for (i, (key, item)) in dict_members(members).into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, key);
                out.push(':');
                write_value(out, item);
            }
            out.push('}');
        }
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
        ];
        for (input, expected) in cases {
            assert_eq!(dump(input), expected, "{input}");
        }
    }
}
