//! Excerpts for error messages that do not depend on how the input was split.
//!
//! A decoder remembers the last [`RADIUS`] bytes it was fed before the current call; an
//! excerpt is the part of `remembered bytes + current chunk` that falls within `RADIUS` bytes
//! either side of the error position, decoded as UTF-8 with replacement characters.

/// How many bytes an excerpt shows on each side of the error position.
pub const RADIUS: usize = 16;

/// The last bytes fed to a decoder before the current call.
#[derive(Clone, Debug, Default)]
pub struct RecentBytes {
    buf: Vec<u8>,
}

impl RecentBytes {
    /// Remember the end of a chunk that has been fully handled.
    pub fn push(&mut self, chunk: &[u8]) {
        if chunk.len() >= RADIUS {
            self.buf.clear();
            self.buf.extend_from_slice(&chunk[chunk.len() - RADIUS..]);
        } else {
            self.buf.extend_from_slice(chunk);
            let excess = self.buf.len().saturating_sub(RADIUS);
            self.buf.drain(..excess);
        }
    }

    /// The excerpt around `position`, where `chunk` starts at stream offset `chunk_start`.
    pub fn excerpt(&self, chunk: &[u8], chunk_start: u64, position: u64) -> String {
        let window_start = position.saturating_sub(RADIUS as u64);
        let window_end = position.saturating_add(RADIUS as u64);
        let known_start = chunk_start - self.buf.len() as u64;
        let mut bytes = Vec::with_capacity(2 * RADIUS);
        for (offset, &byte) in (known_start..).zip(self.buf.iter().chain(chunk)) {
            if offset >= window_end {
                break;
            }
            if offset >= window_start {
                bytes.push(byte);
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_spans_the_previous_chunk() {
        let mut recent = RecentBytes::default();
        recent.push(b"0123456789abcdefghij");
        assert_eq!(recent.excerpt(b"XYZ", 20, 21), "56789abcdefghijXYZ");
    }

    #[test]
    fn excerpt_is_bounded_on_both_sides() {
        let recent = RecentBytes::default();
        let chunk = [b'a'; 100];
        assert_eq!(recent.excerpt(&chunk, 0, 50).len(), 2 * RADIUS);
    }
}
