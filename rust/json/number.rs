//! A JSON number that may arrive in pieces: `-? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?`.

use super::messages::Expected;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Minus,
    Zero,
    Integer,
    Dot,
    Fraction,
    Exponent,
    ExponentSign,
    ExponentDigits,
}

/// The text of a number being read, and where it started.
#[derive(Debug)]
pub struct NumberState {
    pub text: String,
    pub start: u64,
    phase: Phase,
}

/// How a fragment ended for a number.
pub enum NumberScan {
    /// The number ended before `data[index]` (a byte that is not part of it).
    Ended(usize),
    /// The fragment ended inside the number.
    NeedMore,
    /// `data[index]` cannot come next.
    Invalid(usize, Expected),
}

impl NumberState {
    pub fn new() -> Self {
        Self {
            text: String::new(),
            start: 0,
            phase: Phase::Minus,
        }
    }

    /// Start a number at `first` (a `-` or a digit), found at stream offset `position`.
    pub fn begin(&mut self, first: u8, position: u64) {
        self.text.clear();
        self.text.push(first as char);
        self.start = position;
        self.phase = match first {
            b'-' => Phase::Minus,
            b'0' => Phase::Zero,
            _ => Phase::Integer,
        };
    }

    /// Whether the text read so far is a whole number.
    pub fn is_complete(&self) -> bool {
        matches!(
            self.phase,
            Phase::Zero | Phase::Integer | Phase::Fraction | Phase::ExponentDigits
        )
    }

    pub fn is_integer(&self) -> bool {
        matches!(self.phase, Phase::Zero | Phase::Integer)
    }

    /// The number of digits of an integer (the sign does not count).
    pub fn integer_digits(&self) -> usize {
        self.text.len() - usize::from(self.text.starts_with('-'))
    }

    pub fn scan(&mut self, data: &[u8], start: usize) -> NumberScan {
        let mut i = start;
        let outcome = loop {
            // Runs of digits where digits may continue: the common case, in a tight loop.
            if matches!(
                self.phase,
                Phase::Integer | Phase::Fraction | Phase::ExponentDigits
            ) {
                while data.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
            }
            let Some(&byte) = data.get(i) else {
                break NumberScan::NeedMore;
            };
            let next = match (self.phase, byte) {
                (Phase::Minus, b'0') => Phase::Zero,
                (Phase::Minus, b'1'..=b'9') => Phase::Integer,
                (Phase::Minus, _) => break NumberScan::Invalid(i, Expected::Digit),
                (Phase::Integer, b'0'..=b'9') => Phase::Integer,
                (Phase::Zero | Phase::Integer, b'.') => Phase::Dot,
                (Phase::Zero | Phase::Integer | Phase::Fraction, b'e' | b'E') => Phase::Exponent,
                (Phase::Dot | Phase::Fraction, b'0'..=b'9') => Phase::Fraction,
                (Phase::Dot, _) => break NumberScan::Invalid(i, Expected::Digit),
                (Phase::Exponent, b'+' | b'-') => Phase::ExponentSign,
                (Phase::Exponent | Phase::ExponentSign | Phase::ExponentDigits, b'0'..=b'9') => {
                    Phase::ExponentDigits
                }
                (Phase::Exponent, _) => break NumberScan::Invalid(i, Expected::DigitOrSign),
                (Phase::ExponentSign, _) => break NumberScan::Invalid(i, Expected::Digit),
                _ => break NumberScan::Ended(i),
            };
            self.phase = next;
            i += 1;
        };
        // SAFETY: every byte consumed above matched a digit, sign, dot or exponent letter:
        // ASCII, so the slice is valid UTF-8.
        self.text
            .push_str(unsafe { std::str::from_utf8_unchecked(&data[start..i]) });
        outcome
    }
}
