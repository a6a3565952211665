//! Message helpers shared by the metrics and circuit-breaker bindings, worded as the
//! pure-Python backend words them (`_purepy/_arguments.py`).

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyString;

/// The name of `value`'s type, as `type(value).__name__`.
pub fn type_name(value: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(value.get_type().name()?.to_string())
}

/// `repr(text)`, for messages that quote a user's string as Python would.
pub fn py_repr(py: Python<'_>, text: &str) -> PyResult<String> {
    Ok(PyString::new(py, text).repr()?.to_string())
}

/// A `str` argument.
pub fn string<'a, 'py>(
    value: &'a Bound<'py, PyAny>,
    what: &str,
) -> PyResult<&'a Bound<'py, PyString>> {
    value
        .cast::<PyString>()
        .map_err(|_| match type_name(value) {
            Ok(name) => PyTypeError::new_err(format!("{what} must be a str, not {name}")),
            Err(error) => error,
        })
}
