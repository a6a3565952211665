//! Message helpers shared by the metrics and circuit-breaker bindings, worded as the
//! pure-Python backend words them (`_purepy/_arguments.py`).

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
            Ok(name) => {
                let message = format!("{what} must be a str, not {name}");
                argument_error(value.py(), &message, what, "a str", true)
            }
            Err(error) => error,
        })
}

// The argument rules of both backends (types, bounds, `bool` not a number, the messages and
// the typed errors `InvalidArgumentError` / `ArgumentTypeError`) are defined once, in
// `fluent_ai._validation`; the constructors below call it once per object, off every hot path.

/// A size or count limit: an `int` (not `bool`) of at least `minimum`; larger than `u64::MAX`
/// means `u64::MAX`. `None` (or no argument) is `default`.
pub fn limit(
    value: Option<&Bound<'_, PyAny>>,
    argument: &str,
    minimum: u64,
    default: u64,
) -> PyResult<u64> {
    match value {
        Some(value) if !value.is_none() => value
            .py()
            .import("fluent_ai._validation")?
            .getattr("check_limit")?
            .call1((argument, value, minimum))?
            .extract::<u64>(),
        _ => Ok(default),
    }
}

/// A finite number (not `bool`) of at least `minimum`.
pub fn number_at_least(value: &Bound<'_, PyAny>, argument: &str, minimum: f64) -> PyResult<f64> {
    let py = value.py();
    let kwargs = pyo3::types::PyDict::new(py);
    kwargs.set_item("minimum", minimum)?;
    py.import("fluent_ai._validation")?
        .getattr("check_number")?
        .call((argument, value), Some(&kwargs))?
        .extract::<f64>()
}

/// The typed error for a bad argument whose message the caller wrote
/// (`ArgumentTypeError` when `wrong_type`, else `InvalidArgumentError`).
pub fn argument_error(
    py: Python<'_>,
    message: &str,
    argument: &str,
    expected: &str,
    wrong_type: bool,
) -> PyErr {
    let made = py.import("fluent_ai._validation").and_then(|module| {
        module
            .getattr("argument_error")?
            .call1((message, argument, expected, wrong_type))
    });
    match made {
        Ok(error) => PyErr::from_value(error),
        Err(error) => error,
    }
}

/// How an error message shows `value` (`fluent_ai._validation.describe`: the type, and the
/// value itself when it cannot be a secret).
pub fn describe(value: &Bound<'_, PyAny>) -> PyResult<String> {
    value
        .py()
        .import("fluent_ai._validation")?
        .getattr("describe")?
        .call1((value,))?
        .extract::<String>()
}

/// `ArgumentTypeError(message)` for `argument` (a wrong type given to a core method).
pub fn type_error(py: Python<'_>, message: &str, argument: &str) -> PyErr {
    argument_error(py, message, argument, "", true)
}
