//! The fields of a `chat.completion.chunk` the openai-chat dialect reads, taken straight from
//! the parser's events for the common chunk (no tree is built), or from a parsed [`Value`]
//! for anything unusual. Both give the same [`Choice`]s: the fast path gives up (returns
//! `None`) on every input where it could read differently, such as a repeated member, a value
//! of an unexpected type, a non-null `usage` or `error`.

use crate::json::{JsonParser, Sink, Value};

use super::frame::{str_of, u64_of, MAX_FRAME_DEPTH};

/// What one choice of a chunk says.
#[derive(Debug, Default)]
pub struct Choice {
    pub index: u64,
    pub reasoning: Option<String>,
    pub content: Option<String>,
    /// `content` sent as a list of typed parts (Mistral's reasoning models), in order:
    /// `(is_reasoning, text)`. Only the tree path reads it: the fast path gives up on a list.
    pub content_parts: Vec<(bool, String)>,
    pub refusal: Option<String>,
    pub calls: Vec<Call>,
    pub finish_reason: Option<String>,
}

/// What one `tool_calls` entry says.
#[derive(Debug, Default)]
pub struct Call {
    pub index: Option<u64>,
    pub id: Option<String>,
    pub name: Option<String>,
    pub arguments: CallArguments,
}

/// A tool call's `function.arguments`.
#[derive(Debug, Default)]
pub enum CallArguments {
    #[default]
    None,
    Text(String),
    /// An object or array (some compatible servers send the value itself).
    Whole(Value),
}

impl Choice {
    /// The fields of a parsed choice (any JSON value).
    pub fn from_value(choice: &Value) -> Self {
        let text = |value: &Value, key: &str| str_of(value, key).map(str::to_owned);
        let mut parsed = Choice {
            index: u64_of(choice, "index").unwrap_or(0),
            finish_reason: text(choice, "finish_reason"),
            ..Choice::default()
        };
        if let Some(delta) = choice.get("delta") {
            parsed.reasoning =
                reasoning(text(delta, "reasoning_content"), text(delta, "reasoning"));
            parsed.content = text(delta, "content");
            if let Some(parts) = delta.get("content").and_then(Value::as_array) {
                parsed.content_parts = content_parts(parts);
            }
            parsed.refusal = text(delta, "refusal");
            let calls = delta.get("tool_calls").and_then(Value::as_array);
            parsed.calls = calls.unwrap_or(&[]).iter().map(Call::from_value).collect();
        }
        parsed
    }
}

impl Call {
    fn from_value(call: &Value) -> Self {
        let function = call.get("function");
        Call {
            index: u64_of(call, "index"),
            id: str_of(call, "id").map(str::to_owned),
            name: function.and_then(|f| str_of(f, "name")).map(str::to_owned),
            arguments: match function.and_then(|f| f.get("arguments")) {
                Some(Value::String(text)) => CallArguments::Text(text.clone()),
                Some(value @ (Value::Object(_) | Value::Array(_))) => {
                    CallArguments::Whole(value.clone())
                }
                _ => CallArguments::None,
            },
        }
    }
}

/// The text of a list-form `content`: `{"type":"text","text":...}` parts are answer text,
/// `{"type":"thinking","thinking":[{"type":"text","text":...}, ...]}` parts (or a `thinking`
/// string) are reasoning; other part types carry no text.
fn content_parts(parts: &[Value]) -> Vec<(bool, String)> {
    let mut texts = Vec::new();
    for part in parts {
        match str_of(part, "type") {
            Some("text") => {
                if let Some(text) = str_of(part, "text") {
                    texts.push((false, text.to_owned()));
                }
            }
            Some("thinking") => match part.get("thinking") {
                Some(Value::String(text)) => texts.push((true, text.clone())),
                Some(Value::Array(items)) => {
                    let text: String = items
                        .iter()
                        .filter(|item| str_of(item, "type") == Some("text"))
                        .filter_map(|item| str_of(item, "text"))
                        .collect();
                    texts.push((true, text));
                }
                _ => {}
            },
            _ => {}
        }
    }
    texts
}

/// DeepSeek and others send `reasoning_content`, OpenRouter and vLLM `reasoning`; an empty
/// `reasoning_content` does not hide a `reasoning`.
fn reasoning(content: Option<String>, other: Option<String>) -> Option<String> {
    content.filter(|text| !text.is_empty()).or(other)
}

/// The choices of a common chunk (valid JSON, nothing unusual), or `None`.
pub fn extract(data: &str) -> Option<Vec<Choice>> {
    // A frame too deep for the tree path is too deep here: the tree path reports it.
    let mut parser = JsonParser::new(MAX_FRAME_DEPTH, u64::MAX);
    let mut sink = Extract::default();
    parser.feed_str(data, &mut sink).ok()?;
    parser.finish(&mut sink).ok()?;
    (!sink.bail).then_some(sink.choices)
}

/// Where the parser is, for the members that matter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    Root,
    Choices,
    Choice,
    Delta,
    ToolCalls,
    ToolCall,
    Function,
    /// Groq's `x_groq` object (its `usage` ends the fast path).
    XGroq,
    /// Inside a member nobody reads.
    Skipped,
}

/// The member whose value comes next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Member {
    Ignored,
    Choices,
    /// `usage` or `error`: only `null` is common enough for the fast path.
    NullOnly,
    XGroq,
    Index,
    FinishReason,
    Delta,
    ReasoningContent,
    Reasoning,
    Content,
    Refusal,
    ToolCalls,
    Id,
    Function,
    Name,
    Arguments,
}

#[derive(Debug, Default)]
struct Extract {
    places: Vec<Place>,
    member: Option<Member>,
    /// Members seen in the innermost record, to give up on a repeated one.
    seen: Vec<u32>,
    choices: Vec<Choice>,
    /// The current choice's raw `reasoning_content` and `reasoning`.
    reasoning: (Option<String>, Option<String>),
    bail: bool,
}

impl Extract {
    fn place(&self) -> Option<Place> {
        self.places.last().copied()
    }

    fn choice(&mut self) -> &mut Choice {
        self.choices.last_mut().expect("inside a choice")
    }

    fn call(&mut self) -> &mut Call {
        self.choice().calls.last_mut().expect("inside a call")
    }

    /// The member that takes the next value, consumed.
    fn take_member(&mut self) -> Member {
        self.member.take().unwrap_or(Member::Ignored)
    }

    fn open(&mut self, place: Place) {
        self.places.push(place);
        self.seen.push(0);
    }

    /// A container starts: where it leads, or give up.
    fn begin(&mut self, is_array: bool) {
        if self.bail {
            return;
        }
        let place = match (self.place(), is_array) {
            (Some(Place::Skipped), _) => Place::Skipped,
            (None, false) => Place::Root,
            (None, true) => return self.give_up(),
            (Some(Place::Choices), false) => {
                self.choices.push(Choice::default());
                self.reasoning = (None, None);
                Place::Choice
            }
            (Some(Place::Choices), true) => return self.give_up(),
            (Some(Place::ToolCalls), false) => {
                self.choice().calls.push(Call::default());
                Place::ToolCall
            }
            (Some(Place::ToolCalls), true) => return self.give_up(),
            (Some(_), _) => match (self.take_member(), is_array) {
                (Member::Ignored, _) => Place::Skipped,
                (Member::Choices, true) => Place::Choices,
                (Member::Delta, false) => Place::Delta,
                (Member::ToolCalls, true) => Place::ToolCalls,
                (Member::Function, false) => Place::Function,
                (Member::XGroq, false) => Place::XGroq,
                _ => return self.give_up(),
            },
        };
        self.open(place);
    }

    fn give_up(&mut self) {
        self.bail = true;
    }

    /// A scalar value for the pending member.
    fn scalar(&mut self, value: Scalar<'_>) {
        match self.place() {
            _ if self.bail => return,
            Some(Place::Skipped) => return,
            // A scalar where a choice or a call should be: the tree decides what it means.
            Some(Place::Choices | Place::ToolCalls) => return self.give_up(),
            _ => {}
        }
        let member = self.take_member();
        match (member, value) {
            (Member::Ignored, _)
            | (Member::NullOnly | Member::Delta | Member::Function | Member::XGroq, Scalar::Null) =>
                {}
            (Member::Choices | Member::ToolCalls, Scalar::Null) => {}
            (Member::Index, Scalar::Integer(text)) => match text.parse::<u64>() {
                Ok(index) if self.place() == Some(Place::Choice) => self.choice().index = index,
                Ok(index) => self.call().index = Some(index),
                Err(_) => self.give_up(),
            },
            (Member::Index, Scalar::Null) => {}
            (_, Scalar::String(text)) => self.text(member, Some(text)),
            (_, Scalar::Null) => self.text(member, None),
            _ => self.give_up(),
        }
    }

    fn text(&mut self, member: Member, text: Option<&str>) {
        let text = text.map(str::to_owned);
        match member {
            Member::FinishReason => self.choice().finish_reason = text,
            Member::ReasoningContent => self.reasoning.0 = text,
            Member::Reasoning => self.reasoning.1 = text,
            Member::Content => self.choice().content = text,
            Member::Refusal => self.choice().refusal = text,
            Member::Id => self.call().id = text,
            Member::Name => self.call().name = text,
            Member::Arguments => {
                self.call().arguments = text.map_or(CallArguments::None, CallArguments::Text)
            }
            _ => self.give_up(),
        }
    }
}

#[derive(Clone, Copy)]
enum Scalar<'a> {
    String(&'a str),
    Integer(&'a str),
    Other,
    Null,
}

impl Sink for Extract {
    fn begin_array(&mut self) {
        self.begin(true);
    }

    fn begin_object(&mut self) {
        self.begin(false);
    }

    fn end_container(&mut self) {
        if self.bail {
            return;
        }
        if self.places.pop() == Some(Place::Delta) {
            let (content, other) = std::mem::take(&mut self.reasoning);
            self.choice().reasoning = reasoning(content, other);
        }
        self.seen.pop();
    }

    fn key(&mut self, key: &str) {
        if self.bail || self.place() == Some(Place::Skipped) {
            return;
        }
        let member = match (self.place(), key) {
            (Some(Place::Root), "choices") => Member::Choices,
            (Some(Place::Root), "usage" | "error") => Member::NullOnly,
            (Some(Place::Root), "x_groq") => Member::XGroq,
            (Some(Place::XGroq), "usage") => Member::NullOnly,
            // Moonshot puts the usage in the last choice: the tree path reads it.
            (Some(Place::Choice), "usage") => Member::NullOnly,
            (Some(Place::Choice), "index") => Member::Index,
            (Some(Place::Choice), "finish_reason") => Member::FinishReason,
            (Some(Place::Choice), "delta") => Member::Delta,
            (Some(Place::Delta), "reasoning_content") => Member::ReasoningContent,
            (Some(Place::Delta), "reasoning") => Member::Reasoning,
            (Some(Place::Delta), "content") => Member::Content,
            (Some(Place::Delta), "refusal") => Member::Refusal,
            (Some(Place::Delta), "tool_calls") => Member::ToolCalls,
            (Some(Place::ToolCall), "index") => Member::Index,
            (Some(Place::ToolCall), "id") => Member::Id,
            (Some(Place::ToolCall), "function") => Member::Function,
            (Some(Place::Function), "name") => Member::Name,
            (Some(Place::Function), "arguments") => Member::Arguments,
            _ => Member::Ignored,
        };
        if member != Member::Ignored {
            // A member read twice would take its last value; leave that to the tree.
            let bit = 1u32 << (member as u32);
            let seen = self.seen.last_mut().expect("inside an object");
            if *seen & bit != 0 {
                return self.give_up();
            }
            *seen |= bit;
        }
        self.member = Some(member);
    }

    fn string(&mut self, value: &str) {
        self.scalar(Scalar::String(value));
    }

    fn integer(&mut self, text: &str) {
        self.scalar(Scalar::Integer(text));
    }

    fn float(&mut self, _value: f64) {
        self.scalar(Scalar::Other);
    }

    fn boolean(&mut self, _value: bool) {
        self.scalar(Scalar::Other);
    }

    fn null(&mut self) {
        self.scalar(Scalar::Null);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse_value;

    /// What the tree path reads from a chunk, for comparison.
    fn from_tree(text: &str) -> Vec<String> {
        let value = parse_value(text.as_bytes()).unwrap();
        let choices = value
            .get("choices")
            .and_then(Value::as_array)
            .unwrap_or(&[]);
        choices
            .iter()
            .map(|c| format!("{:?}", Choice::from_value(c)))
            .collect()
    }

    #[test]
    fn common_chunks_read_the_same_both_ways() {
        let chunks = [
            r#"{"id":"x","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"logprobs":null,"finish_reason":null}],"usage":null}"#,
            r#"{"choices":[{"index":1,"delta":{"reasoning_content":"","reasoning":"r","refusal":null},"finish_reason":"stop"}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"c","type":"function","function":{"name":"f","arguments":"{\"a\""}},{"function":{"arguments":null}}]}}]}"#,
            r#"{"choices":[],"error":null,"x":{"choices":[1,{"a":[{}]}]}}"#,
            r#"{"choices":null}"#,
            r#"{"choices":[],"x_groq":{"id":"r","usage":null}}"#,
            r#"{"choices":[{"delta":null,"index":null,"finish_reason":""}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":null,"content":"\u00e9\n"}}]}"#,
        ];
        for text in chunks {
            let fast = extract(text).unwrap_or_else(|| panic!("fast path gave up on {text}"));
            let fast: Vec<String> = fast.iter().map(|c| format!("{c:?}")).collect();
            assert_eq!(fast, from_tree(text), "{text}");
        }
    }

    #[test]
    fn list_content_keeps_thinking_and_text_in_order() {
        let text = r#"{"choices":[{"delta":{"content":[{"type":"thinking","thinking":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},{"type":"text","text":"c"},{"type":"image_url"}]}}]}"#;
        assert!(extract(text).is_none());
        let value = parse_value(text.as_bytes()).unwrap();
        let choice = &value.get("choices").and_then(Value::as_array).unwrap()[0];
        let parts = Choice::from_value(choice).content_parts;
        assert_eq!(
            parts,
            vec![(true, "ab".to_owned()), (false, "c".to_owned())]
        );
    }

    #[test]
    fn unusual_chunks_are_left_to_the_tree() {
        for text in [
            r#"{"choices":[{"delta":{"content":"a","content":"b"}}]}"#,
            r#"{"choices":[],"choices":[]}"#,
            r#"{"choices":[],"usage":{"prompt_tokens":1}}"#,
            r#"{"error":{"message":"m"}}"#,
            r#"{"choices":[],"x_groq":{"id":"r","usage":{"prompt_tokens":1}}}"#,
            r#"{"choices":[{"index":0,"finish_reason":"stop","usage":{"prompt_tokens":1}}]}"#,
            r#"{"choices":[{"index":1.0}]}"#,
            r#"{"choices":[{"index":-0}]}"#,
            r#"{"choices":[{"delta":{"content":5}}]}"#,
            r#"{"choices":[{"delta":{"content":[{"type":"text","text":"a"}]}}]}"#,
            r#"{"choices":[{"delta":"text"}]}"#,
            r#"{"choices":[1]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[1]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"function":{"arguments":{"a":1}}}]}}]}"#,
            r#"[1]"#,
            r#"{"choices": [}"#,
        ] {
            assert!(extract(text).is_none(), "{text}");
        }
    }
}
