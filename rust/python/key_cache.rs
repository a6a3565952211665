//! Python strings for object keys, reused when a key comes again.
//!
//! Tool-call arguments repeat a few keys many times (`"id"`, `"name"` in every record).
//! Reusing the `str` built for a key spares decoding it again, and Python caches a `str`'s
//! hash, so dict insertion does not hash it again either.

use pyo3::prelude::*;
use pyo3::types::PyString;

/// Keys longer than this are built each time (they rarely repeat, and a slot stays small).
const MAX_KEY_BYTES: usize = 24;
const SLOTS: usize = 64;

struct Slot {
    len: u8,
    bytes: [u8; MAX_KEY_BYTES],
    string: Py<PyString>,
}

/// A direct-mapped cache: a key's slot is chosen by its hash; a newer key evicts an older one.
#[derive(Default)]
pub struct KeyCache {
    /// Allocated at the first key, so scalar documents pay nothing.
    slots: Vec<Option<Slot>>,
}

impl KeyCache {
    /// The Python string for `key`, built at most once while it keeps its slot.
    pub fn get<'py>(&mut self, py: Python<'py>, key: &str) -> Bound<'py, PyString> {
        let bytes = key.as_bytes();
        if bytes.len() > MAX_KEY_BYTES {
            return PyString::new(py, key);
        }
        if self.slots.is_empty() {
            self.slots.resize_with(SLOTS, || None);
        }
        let slot = &mut self.slots[slot_index(bytes)];
        if let Some(cached) = slot {
            if &cached.bytes[..usize::from(cached.len)] == bytes {
                return cached.string.bind(py).clone();
            }
        }
        if let Some(evicted) = slot.take() {
            // Released through `Bound`: at once, even where PyO3 has not counted the call as
            // attached (see `super::fastcall`).
            drop(evicted.string.into_bound(py));
        }
        let string = PyString::new(py, key);
        let mut copy = [0; MAX_KEY_BYTES];
        copy[..bytes.len()].copy_from_slice(bytes);
        *slot = Some(Slot {
            // At most MAX_KEY_BYTES, so it fits.
            len: bytes.len() as u8,
            bytes: copy,
            string: string.clone().unbind(),
        });
        string
    }
}

/// FNV-1a over the key's bytes (keys are short), folded to a slot.
fn slot_index(bytes: &[u8]) -> usize {
    let hash = bytes.iter().fold(0x811c_9dc5_u32, |hash, &byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    });
    (hash ^ (hash >> 16)) as usize % SLOTS
}
