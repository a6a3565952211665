//! The Python bindings: thin `#[pyclass]` wrappers over the core, which knows nothing of
//! Python. Everything here converts arguments and results, maps errors, and keeps panics
//! from reaching the interpreter.

pub mod arguments;
pub mod breaker;
pub mod dialect;
pub mod events;
pub mod eventstream;
pub mod fastcall;
pub mod json;
pub mod key_cache;
pub mod loads;
pub mod metrics;
pub mod ndjson;
pub mod sse;
pub mod text;
pub mod toolcall;
pub mod value;

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::error::{DecodeError, ErrorClass};

pyo3::import_exception!(fluent_ai.errors, StreamDecodeError);
pyo3::import_exception!(fluent_ai.errors, JsonStreamError);
pyo3::import_exception!(fluent_ai.errors, EventStreamError);
pyo3::import_exception!(fluent_ai.errors, LimitExceeded);
pyo3::import_exception!(fluent_ai.errors, StreamTruncated);

/// Turn a core error into the matching exception of `fluent_ai.errors`.
pub fn decode_error(py: Python<'_>, error: &DecodeError) -> PyErr {
    decode_error_with(py, error, Vec::new())
}

/// [`decode_error`] for a call that had already completed `completed` (converted items, in
/// order) before failing: they become the exception's `.completed`, so nothing received is
/// lost.
pub fn decode_error_with(py: Python<'_>, error: &DecodeError, completed: Vec<Py<PyAny>>) -> PyErr {
    match build_decode_error(py, error, completed) {
        Ok(err) => err,
        Err(err) => err,
    }
}

fn build_decode_error(
    py: Python<'_>,
    error: &DecodeError,
    completed: Vec<Py<PyAny>>,
) -> PyResult<PyErr> {
    let kwargs = PyDict::new(py);
    kwargs.set_item("position", error.position)?;
    kwargs.set_item("excerpt", &error.excerpt)?;
    if !completed.is_empty() {
        // Left out when empty: the constructor's default is a fresh empty list.
        kwargs.set_item("completed", PyList::new(py, completed)?)?;
    }
    let class = match error.class {
        ErrorClass::Json => py.get_type::<JsonStreamError>(),
        ErrorClass::EventStream(kind) => {
            kwargs.set_item("kind", kind.as_str())?;
            py.get_type::<EventStreamError>()
        }
        ErrorClass::Limit(limit) => {
            kwargs.set_item("limit", limit)?;
            py.get_type::<LimitExceeded>()
        }
        ErrorClass::Truncated => py.get_type::<StreamTruncated>(),
    };
    let exception = class.call((error.message.as_str(),), Some(&kwargs))?;
    Ok(PyErr::from_value(exception))
}

/// Run `body`, turning a Rust panic into a `StreamDecodeError` instead of letting it abort
/// or surface as `PanicException` (a `BaseException` that callers would not expect).
pub fn guard<T>(py: Python<'_>, body: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(result) => result,
        Err(payload) => {
            let detail = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            let kwargs = PyDict::new(py);
            kwargs.set_item("position", 0)?;
            let exception = py.get_type::<StreamDecodeError>().call(
                (format!(
                    "internal error in fluent_ai._core, please report it: {detail}"
                ),),
                Some(&kwargs),
            )?;
            Err(PyErr::from_value(exception))
        }
    }
}
