//! The body of a JSON string that may arrive in pieces: escapes, `\u` surrogate pairs and
//! UTF-8 characters can all be cut by a fragment boundary.

use super::messages::{self, Expected};
use super::parser::Failure;
use crate::simd;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Escape {
    None,
    /// After `\`.
    Backslash,
    /// Inside `\uXXXX`, with the digits seen so far.
    Unicode {
        digits: u8,
        unit: u16,
    },
}

/// A string being decoded across fragments.
#[derive(Debug)]
pub struct StringState {
    /// The characters decoded so far (never a cut character or escape).
    pub text: String,
    pub is_key: bool,
    escape: Escape,
    /// An escaped high surrogate waiting to see whether an escaped low surrogate follows.
    high_surrogate: Option<u16>,
    /// The start of a UTF-8 character cut by the end of the previous fragment.
    utf8_pending: [u8; 4],
    utf8_len: usize,
    utf8_position: u64,
}

impl StringState {
    pub fn new() -> Self {
        Self {
            text: String::new(),
            is_key: false,
            escape: Escape::None,
            high_surrogate: None,
            utf8_pending: [0; 4],
            utf8_len: 0,
            utf8_position: 0,
        }
    }

    /// Start a new string (its opening quote has been consumed).
    pub fn begin(&mut self, is_key: bool) {
        self.text.clear();
        self.is_key = is_key;
        self.escape = Escape::None;
        self.high_surrogate = None;
        self.utf8_len = 0;
    }

    /// Consume string body bytes from `data[start..]` (`base` is the stream offset of
    /// `data[0]`). Returns the index just after the closing quote, or `None` when the fragment
    /// ended inside the string. `data_is_str` says `data` is the bytes of a `&str`, whose runs
    /// need no UTF-8 validation.
    pub fn scan(
        &mut self,
        data: &[u8],
        start: usize,
        base: u64,
        data_is_str: bool,
    ) -> Result<Option<usize>, Failure> {
        let mut i = start;
        loop {
            match self.escape {
                Escape::Backslash => {
                    let Some(&byte) = data.get(i) else {
                        return Ok(None);
                    };
                    self.escape_character(byte, base + i as u64)?;
                    i += 1;
                    continue;
                }
                Escape::Unicode {
                    mut digits,
                    mut unit,
                } => {
                    while digits < 4 {
                        let Some(&byte) = data.get(i) else {
                            self.escape = Escape::Unicode { digits, unit };
                            return Ok(None);
                        };
                        let Some(value) = (byte as char).to_digit(16) else {
                            return Err(Failure::json(
                                base + i as u64,
                                messages::unexpected(Expected::HexDigit, byte),
                            ));
                        };
                        unit = (unit << 4) | value as u16;
                        digits += 1;
                        i += 1;
                    }
                    self.escape = Escape::None;
                    self.code_unit(unit);
                    continue;
                }
                Escape::None => {}
            }
            let run = simd::string_run_len(&data[i..]);
            if data_is_str && self.utf8_len == 0 {
                // SAFETY: `data` is the bytes of a `&str`. `i` is 0 or follows an ASCII byte (a
                // quote, an escape's last byte), and the run ends at the end of `data` or before
                // a quote, backslash or control byte, all ASCII: both ends are character
                // boundaries, so the run is valid UTF-8.
                let text = unsafe { std::str::from_utf8_unchecked(&data[i..i + run]) };
                self.push_text(text);
                i += run;
            } else if run > 0 || self.utf8_len > 0 {
                let at_end = i + run == data.len();
                self.push_run(&data[i..i + run], base + i as u64, at_end)?;
                i += run;
            }
            let Some(&byte) = data.get(i) else {
                return Ok(None);
            };
            match byte {
                b'"' => {
                    self.flush_high_surrogate();
                    return Ok(Some(i + 1));
                }
                b'\\' => self.escape = Escape::Backslash,
                _ => {
                    return Err(Failure::json(
                        base + i as u64,
                        messages::control_character(byte),
                    ))
                }
            }
            i += 1;
        }
    }

    fn escape_character(&mut self, byte: u8, position: u64) -> Result<(), Failure> {
        let decoded = match byte {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                self.escape = Escape::Unicode { digits: 0, unit: 0 };
                return Ok(());
            }
            _ => {
                return Err(Failure::json(
                    position,
                    messages::unexpected(Expected::EscapeCharacter, byte),
                ))
            }
        };
        self.flush_high_surrogate();
        self.text.push(decoded);
        self.escape = Escape::None;
        Ok(())
    }

    /// A `\uXXXX` code unit: pairs surrogates, replaces unpaired ones with U+FFFD.
    fn code_unit(&mut self, unit: u16) {
        if let Some(high) = self.high_surrogate.take() {
            if (0xDC00..=0xDFFF).contains(&unit) {
                let code =
                    0x10000 + ((u32::from(high) - 0xD800) << 10) + (u32::from(unit) - 0xDC00);
                self.text.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
                return;
            }
            self.text.push('\u{FFFD}');
        }
        match unit {
            0xD800..=0xDBFF => self.high_surrogate = Some(unit),
            _ => self
                .text
                .push(char::from_u32(u32::from(unit)).unwrap_or('\u{FFFD}')),
        }
    }

    fn flush_high_surrogate(&mut self) {
        if self.high_surrogate.take().is_some() {
            self.text.push('\u{FFFD}');
        }
    }

    /// Append a run of plain characters already known to be valid.
    fn push_text(&mut self, text: &str) {
        if !text.is_empty() {
            self.flush_high_surrogate();
            self.text.push_str(text);
        }
    }

    /// Append a run of plain bytes (no quote, backslash or control byte), validating UTF-8.
    /// `at_end` says the run reaches the end of the fragment, so a cut character may be
    /// completed by the next one; otherwise a cut character is invalid.
    fn push_run(&mut self, mut run: &[u8], mut position: u64, at_end: bool) -> Result<(), Failure> {
        if !run.is_empty() {
            self.flush_high_surrogate();
        }
        if self.utf8_len > 0 {
            let needed = utf8_width(self.utf8_pending[0]) - self.utf8_len;
            let take = needed.min(run.len());
            self.utf8_pending[self.utf8_len..self.utf8_len + take].copy_from_slice(&run[..take]);
            self.utf8_len += take;
            match std::str::from_utf8(&self.utf8_pending[..self.utf8_len]) {
                Ok(character) => self.text.push_str(character),
                Err(error) if error.error_len().is_none() && take == run.len() && at_end => {
                    return Ok(());
                }
                Err(_) => {
                    return Err(Failure::json(
                        self.utf8_position,
                        messages::INVALID_UTF8.into(),
                    ))
                }
            }
            self.utf8_len = 0;
            run = &run[take..];
            position += take as u64;
        }
        match std::str::from_utf8(run) {
            Ok(text) => self.text.push_str(text),
            Err(error) => {
                let valid = error.valid_up_to();
                // The prefix up to `valid_up_to` is valid UTF-8 by definition.
                self.text
                    .push_str(std::str::from_utf8(&run[..valid]).unwrap_or_default());
                if error.error_len().is_some() || !at_end {
                    return Err(Failure::json(
                        position + valid as u64,
                        messages::INVALID_UTF8.into(),
                    ));
                }
                let tail = &run[valid..];
                self.utf8_pending[..tail.len()].copy_from_slice(tail);
                self.utf8_len = tail.len();
                self.utf8_position = position + valid as u64;
            }
        }
        Ok(())
    }
}

/// The length of the UTF-8 sequence a (valid) lead byte starts.
fn utf8_width(lead: u8) -> usize {
    match lead {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}
