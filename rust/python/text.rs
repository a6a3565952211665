//! Reading a `str`'s UTF-8 without copying it.
//!
//! Under the 3.9 stable ABI the only way to a `str`'s UTF-8 is a new `bytes` object per call.
//! `PyUnicode_AsUTF8AndSize` joined the stable ABI in 3.10: it returns the `str`'s own UTF-8
//! buffer (the object's data itself for ASCII text), so on 3.10+ it is used instead.

use std::ffi::c_char;
use std::sync::OnceLock;

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyString;

#[cfg(not(windows))]
extern "C" {
    // Exported by every CPython 3 (on 3.9 outside the stable ABI, so it is only called on
    // 3.10+). Windows links abi3 modules against python3.dll, whose 3.9 build lacks it: there
    // the copying path is kept.
    fn PyUnicode_AsUTF8AndSize(
        unicode: *mut ffi::PyObject,
        size: *mut ffi::Py_ssize_t,
    ) -> *const c_char;
}

/// Whether the running interpreter has `PyUnicode_AsUTF8AndSize` in its stable ABI.
fn has_stable_as_utf8(py: Python<'_>) -> bool {
    static ANSWER: OnceLock<bool> = OnceLock::new();
    *ANSWER.get_or_init(|| py.version_info() >= (3, 10))
}

/// The UTF-8 text of `text`, borrowed from the object; `None` when it cannot be encoded (a
/// lone surrogate) or the interpreter offers no borrowing call (see the module docs).
pub fn borrow_utf8<'a>(text: &'a Bound<'_, PyString>) -> Option<&'a str> {
    let py = text.py();
    if !has_stable_as_utf8(py) {
        return None;
    }
    borrow(text)
}

#[cfg(not(windows))]
fn borrow<'a>(text: &'a Bound<'_, PyString>) -> Option<&'a str> {
    let mut size: ffi::Py_ssize_t = 0;
    // SAFETY: `text` is a live `str` and `size` a valid out-pointer; the caller holds the
    // GIL (`Bound`). The call returns NULL with an exception set (cleared below), or a pointer to `size` bytes of UTF-8 owned by the
    // `str` object, which lives as long as the `&'a Bound` borrow does.
    unsafe {
        let data = PyUnicode_AsUTF8AndSize(text.as_ptr(), &mut size);
        if data.is_null() {
            ffi::PyErr_Clear();
            return None;
        }
        let bytes = std::slice::from_raw_parts(data.cast::<u8>(), usize::try_from(size).ok()?);
        // CPython only produces valid UTF-8 here: it refuses lone surrogates.
        Some(std::str::from_utf8_unchecked(bytes))
    }
}

#[cfg(windows)]
fn borrow<'a>(_text: &'a Bound<'_, PyString>) -> Option<&'a str> {
    None
}
