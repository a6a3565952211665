//! Excerpts for error messages that do not depend on how the input was split.
//!
//! A decoder remembers the last [`RADIUS`] bytes it was fed before the current call; an
//! excerpt is the part of `remembered bytes + current chunk` that falls within `RADIUS` bytes
//! either side of the error position, decoded as UTF-8 with replacement characters.

/// How many bytes an excerpt shows on each side of the error position.
pub const RADIUS: usize = 16;

/// The last bytes fed to a decoder before the current call.
///
/// A ring rather than a sliding buffer: decoders push every chunk, often only a few bytes
/// long (streamed tool-call arguments), and a ring takes them without moving what it holds.
#[derive(Clone, Copy, Debug, Default)]
pub struct RecentBytes {
    ring: [u8; RADIUS],
    /// Bytes pushed so far; the next one goes to `ring[pushed % RADIUS]`.
    pushed: usize,
}

impl RecentBytes {
    /// Remember the end of a chunk that has been fully handled.
    pub fn push(&mut self, chunk: &[u8]) {
        let tail = &chunk[chunk.len().saturating_sub(RADIUS)..];
        for &byte in tail {
            self.ring[self.pushed % RADIUS] = byte;
            self.pushed += 1;
        }
    }

    /// The remembered bytes, oldest first.
    fn remembered(&self) -> Vec<u8> {
        let len = self.pushed.min(RADIUS);
        let oldest = self.pushed - len;
        (oldest..self.pushed)
            .map(|n| self.ring[n % RADIUS])
            .collect()
    }

    /// The excerpt around `position`, where `chunk` starts at stream offset `chunk_start`.
    pub fn excerpt(&self, chunk: &[u8], chunk_start: u64, position: u64) -> String {
        let window_start = position.saturating_sub(RADIUS as u64);
        let window_end = position.saturating_add(RADIUS as u64);
        let known = self.remembered();
        let known_start = chunk_start - known.len() as u64;
        let mut bytes = Vec::with_capacity(2 * RADIUS);
        for (offset, &byte) in (known_start..).zip(known.iter().chain(chunk)) {
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
    fn short_chunks_keep_the_last_bytes_in_order() {
        let mut recent = RecentBytes::default();
        recent.push(b"abc");
        assert_eq!(recent.excerpt(b"", 3, 3), "abc");
        for chunk in [&b"0123456"[..], b"789", b"ABCDEFG"] {
            recent.push(chunk);
        }
        assert_eq!(recent.excerpt(b"!", 20, 20), "123456789ABCDEFG!");
    }

    #[test]
    fn excerpt_is_bounded_on_both_sides() {
        let recent = RecentBytes::default();
        let chunk = [b'a'; 100];
        assert_eq!(recent.excerpt(&chunk, 0, 50).len(), 2 * RADIUS);
    }
}
