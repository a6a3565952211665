//! Unit tests of the parser core (the full conformance suite runs from Python on both
//! backends; these pin the core's behaviour without an interpreter).

use super::*;
use crate::error::ErrorClass;

fn parse_split(text: &[u8], split: usize) -> Result<Value, crate::error::DecodeError> {
    let mut parser = JsonParser::new(DEFAULT_MAX_DEPTH, DEFAULT_MAX_BYTES);
    let mut builder = ValueBuilder::default();
    parser.feed(&text[..split], &mut builder)?;
    parser.feed(&text[split..], &mut builder)?;
    parser.finish(&mut builder)?;
    Ok(builder.take().unwrap())
}

fn parse_bytewise(text: &[u8]) -> Result<Value, crate::error::DecodeError> {
    let mut parser = JsonParser::new(DEFAULT_MAX_DEPTH, DEFAULT_MAX_BYTES);
    let mut builder = ValueBuilder::default();
    for byte in text {
        parser.feed(std::slice::from_ref(byte), &mut builder)?;
    }
    parser.finish(&mut builder)?;
    Ok(builder.take().unwrap())
}

fn s(text: &str) -> Value {
    Value::String(text.into())
}

#[test]
fn parses_every_kind_of_value() {
    let text = br#" {"a": [1, -2.5e3, true, false, null], "b": {"c": "d\n\u00e9\ud83d\ude00"}} "#;
    let expected = Value::Object(vec![
        (
            "a".into(),
            Value::Array(vec![
                Value::Integer("1".into()),
                Value::Float(-2500.0),
                Value::Bool(true),
                Value::Bool(false),
                Value::Null,
            ]),
        ),
        ("b".into(), Value::Object(vec![("c".into(), s("d\né😀"))])),
    ]);
    assert_eq!(parse_value(text).unwrap(), expected);
    for split in 0..=text.len() {
        assert_eq!(
            parse_split(text, split).unwrap(),
            expected,
            "split at {split}"
        );
    }
    assert_eq!(parse_bytewise(text).unwrap(), expected);
}

#[test]
fn utf8_split_anywhere_gives_the_same_string() {
    let text = "\"aé€😀z\"".as_bytes();
    for split in 0..=text.len() {
        assert_eq!(parse_split(text, split).unwrap(), s("aé€😀z"));
    }
}

#[test]
fn unpaired_surrogates_become_replacement_characters() {
    let cases: [(&[u8], &str); 4] = [
        (br#""\uD800\u0041""#, "\u{FFFD}A"),
        (br#""\uD800\uD800\uDC00""#, "\u{FFFD}\u{10000}"),
        (br#""\uD800x""#, "\u{FFFD}x"),
        (br#""\uDC00""#, "\u{FFFD}"),
    ];
    for (text, expected) in cases {
        for split in 0..=text.len() {
            assert_eq!(parse_split(text, split).unwrap(), s(expected));
        }
    }
}

fn error_of(text: &[u8]) -> crate::error::DecodeError {
    parse_value(text).unwrap_err()
}

#[test]
fn errors_name_the_expectation_and_the_position() {
    let cases: [(&[u8], &str, u64); 10] = [
        (b"[1,]", "invalid JSON: expected a value, found ']'", 3),
        (b"01", "invalid JSON: expected end of input, found '1'", 1),
        (b"[1.]", "invalid JSON: expected a digit, found ']'", 3),
        (b"{\"a\" 1}", "invalid JSON: expected ':', found '1'", 5),
        (b"[tru]", "invalid JSON: expected 'true', found ']'", 4),
        (
            b"\"a\x01\"",
            "invalid JSON: control character in string, found byte 0x01",
            2,
        ),
        (
            b"\"\\x\"",
            "invalid JSON: expected an escape character, found 'x'",
            2,
        ),
        (
            b"\"\\u12G4\"",
            "invalid JSON: expected a hex digit, found 'G'",
            5,
        ),
        (b"\"a\xc3\x28\"", "invalid JSON: invalid UTF-8 in string", 2),
        (b"[1", "invalid JSON: unexpected end of input", 2),
    ];
    for (text, message, position) in cases {
        let error = error_of(text);
        assert_eq!(
            (error.message.as_str(), error.position),
            (message, position)
        );
        for split in 0..=text.len() {
            let split_error = parse_split(text, split).unwrap_err();
            // The excerpt can only show bytes that have arrived, so it may depend on the split.
            assert_eq!(
                (split_error.class, split_error.message, split_error.position),
                (error.class, error.message.clone(), error.position),
                "split at {split}"
            );
        }
    }
}

#[test]
fn depth_limit_is_exact() {
    let ok = format!("{}{}", "[".repeat(256), "]".repeat(256));
    assert!(parse_value(ok.as_bytes()).is_ok());
    let deep = "[".repeat(257);
    let error = error_of(deep.as_bytes());
    assert_eq!(error.class, ErrorClass::Limit(256));
    assert_eq!(error.position, 256);
}

#[test]
fn byte_limit_is_exact_and_earlier_errors_win() {
    let mut parser = JsonParser::new(DEFAULT_MAX_DEPTH, 4);
    let mut builder = ValueBuilder::default();
    assert!(parser.feed(b"[1] ", &mut builder).unwrap());
    let error = parser.feed(b" ", &mut builder).unwrap_err();
    assert_eq!((error.class, error.position), (ErrorClass::Limit(4), 4));

    let mut parser = JsonParser::new(DEFAULT_MAX_DEPTH, 3);
    let error = parser.feed(b"[x]]]", &mut builder).unwrap_err();
    assert_eq!((error.class, error.position), (ErrorClass::Json, 1));
}

#[test]
fn long_integers_are_a_limit_error() {
    let ok = "7".repeat(MAX_INTEGER_DIGITS);
    assert!(parse_value(ok.as_bytes()).is_ok());
    let text = format!("[{}]", "7".repeat(MAX_INTEGER_DIGITS + 1));
    let error = error_of(text.as_bytes());
    assert_eq!((error.class, error.position), (ErrorClass::Limit(4300), 1));
}

#[test]
fn errors_persist() {
    let mut parser = JsonParser::new(DEFAULT_MAX_DEPTH, DEFAULT_MAX_BYTES);
    let mut builder = ValueBuilder::default();
    let first = parser.feed(b"[x", &mut builder).unwrap_err();
    assert_eq!(parser.feed(b"1]", &mut builder).unwrap_err(), first);
    assert_eq!(parser.finish(&mut builder).unwrap_err(), first);
}

#[test]
fn top_level_number_completes_at_finish_or_whitespace() {
    let mut parser = JsonParser::new(DEFAULT_MAX_DEPTH, DEFAULT_MAX_BYTES);
    let mut builder = ValueBuilder::default();
    assert!(!parser.feed(b"42", &mut builder).unwrap());
    parser.finish(&mut builder).unwrap();
    assert_eq!(builder.take(), Some(Value::Integer("42".into())));
    let mut parser = JsonParser::new(DEFAULT_MAX_DEPTH, DEFAULT_MAX_BYTES);
    assert!(parser.feed(b"-0.1 ", &mut builder).unwrap());
}

#[test]
fn partial_string_shows_decoded_characters_only() {
    let mut parser = JsonParser::new(DEFAULT_MAX_DEPTH, DEFAULT_MAX_BYTES);
    let mut builder = ValueBuilder::default();
    parser.feed(b"{\"k\": \"ab\\u00", &mut builder).unwrap();
    assert_eq!(parser.partial_string(), Some("ab"));
    parser.feed(b"e9\xe2\x82", &mut builder).unwrap();
    assert_eq!(parser.partial_string(), Some("abé"));
}
