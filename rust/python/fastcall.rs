//! `JsonStream.feed` as a METH_FASTCALL method on CPython 3.10+.
//!
//! Streamed tool-call arguments arrive a few characters at a time, so the fixed cost of one
//! `feed()` call weighs as much as the parsing. Under the 3.9 stable ABI PyO3 defines methods
//! as METH_VARARGS: every call builds an argument tuple and matches it by name. METH_FASTCALL,
//! in the stable ABI since 3.10, passes the arguments as an array. On 3.10+ [`install`]
//! replaces `JsonStream.feed` with a method descriptor for [`feed`], which checks its one
//! argument and runs the same body as the PyO3 method.

use std::ffi::{c_int, CStr, CString};

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyString, PyTuple, PyType};

use super::guard;
use super::json::PyJsonStream;

/// The flag's value in the stable ABI (pyo3-ffi only declares it for 3.10+ builds).
const METH_FASTCALL: c_int = 0x0080;

/// What CPython calls for `METH_FASTCALL | METH_KEYWORDS`.
type FastcallWithKeywords = unsafe extern "C" fn(
    *mut ffi::PyObject,
    *const *mut ffi::PyObject,
    ffi::Py_ssize_t,
    *mut ffi::PyObject,
) -> *mut ffi::PyObject;

/// Replace `JsonStream.feed` by the fastcall method when the interpreter supports it.
pub fn install(class: &Bound<'_, PyType>) -> PyResult<()> {
    let py = class.py();
    if py.version_info() < (3, 10) {
        return Ok(());
    }
    // SAFETY: function pointers all have the same representation; CPython casts `ml_meth` back
    // to the signature its flags name, METH_FASTCALL | METH_KEYWORDS: `FastcallWithKeywords`,
    // which is `feed`'s. (This is how C extensions fill the field.)
    let meth = unsafe { std::mem::transmute::<FastcallWithKeywords, ffi::PyCFunction>(feed) };
    // The descriptor keeps pointers to its definition and doc for as long as the type lives:
    // both leaked (once per process).
    let doc: &'static CStr = Box::leak(docstring_of(&class.getattr("feed")?)?.into_boxed_c_str());
    let definition = Box::leak(Box::new(ffi::PyMethodDef {
        ml_name: c"feed".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer { PyCFunction: meth },
        ml_flags: METH_FASTCALL | ffi::METH_KEYWORDS,
        ml_doc: doc.as_ptr(),
    }));
    // SAFETY: `class` is a live type object and `definition` is never freed; the call returns a
    // new reference or NULL with an exception set.
    let descriptor = unsafe {
        Bound::from_owned_ptr_or_err(
            py,
            ffi::PyDescr_NewMethod(class.as_ptr().cast(), definition),
        )?
    };
    class.setattr("feed", descriptor)
}

/// The `ml_doc` of the method being replaced: its signature line (what `inspect.signature`
/// reads) and its documentation, as PyO3 wrote them.
fn docstring_of(method: &Bound<'_, PyAny>) -> PyResult<CString> {
    let doc: String = method.getattr("__doc__")?.extract()?;
    let signature: Option<String> = method.getattr("__text_signature__")?.extract()?;
    let text = match signature {
        Some(signature) => format!("feed{signature}\n--\n\n{doc}"),
        None => doc,
    };
    CString::new(text).map_err(|error| PyValueError::new_err(error.to_string()))
}

/// `JsonStream.feed(data)` called by CPython's vectorcall protocol.
unsafe extern "C" fn feed(
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: CPython calls methods from a thread attached to the interpreter (holding the
    // GIL); the token does not outlive this call. PyO3's own count of attached calls is not
    // raised (`Python::attach` costs ~15 ns, a sixth of an 8-character call), so a `Py<T>`
    // dropped below would have its decref deferred to the next PyO3 entry; the feed path
    // releases references through `Bound` instead (see `KeyCache::get`).
    let py = unsafe { Python::assume_attached() };
    // SAFETY: the method descriptor calls us with `slf` an instance of `JsonStream` (it checks
    // the type) and `args` holding `nargs` positional values followed by one value per name in
    // the `kwnames` tuple (or NULL), all borrowed for the call.
    let outcome = guard(py, || unsafe { call(py, slf, args, nargs, kwnames) });
    match outcome {
        Ok(done) => PyBool::new(py, done).to_owned().into_ptr(),
        Err(error) => {
            error.restore(py);
            std::ptr::null_mut()
        }
    }
}

/// Unpack the vectorcall arguments (see [`feed`]'s safety comment) and feed.
unsafe fn call(
    py: Python<'_>,
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> PyResult<bool> {
    let positional = usize::try_from(nargs).unwrap_or(0);
    let names = if kwnames.is_null() {
        None
    } else {
        // SAFETY: a non-NULL `kwnames` is a tuple of `str`, borrowed for the call.
        Some(unsafe { Borrowed::from_ptr(py, kwnames) }.cast::<PyTuple>()?)
    };
    let keywords = names.as_ref().map_or(0, |names| names.len());
    if let Some(names) = &names {
        for name in names.iter() {
            let name = name.cast_into::<PyString>()?;
            if name.to_cow()? != "data" {
                return Err(PyTypeError::new_err(format!(
                    "JsonStream.feed() got an unexpected keyword argument '{name}'"
                )));
            }
        }
    }
    match (positional, keywords) {
        (0, 0) => {
            return Err(PyTypeError::new_err(
                "JsonStream.feed() missing 1 required positional argument: 'data'",
            ))
        }
        (1, 1) => {
            return Err(PyTypeError::new_err(
                "JsonStream.feed() got multiple values for argument 'data'",
            ))
        }
        (1, 0) | (0, 1) => {}
        (given, _) => {
            return Err(PyTypeError::new_err(format!(
                "JsonStream.feed() takes 1 positional argument but {given} were given"
            )))
        }
    }
    // SAFETY: exactly one argument was passed (checked above), at `args[0]`, borrowed.
    let data = unsafe { Borrowed::from_ptr(py, *args) };
    // SAFETY: `slf` is a live object, borrowed for the call.
    let slf = unsafe { Borrowed::from_ptr(py, slf) };
    let mut stream = slf.cast::<PyJsonStream>()?.try_borrow_mut()?;
    stream.feed_any(py, &data)
}
