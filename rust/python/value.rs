//! Conversion of core [`Value`]s into Python objects (the values `json.loads` would give).

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFloat, PyInt, PyList, PyString};

use crate::json::Value;

/// The Python object for `value`: dict, list, str, int, float, bool or None.
pub fn value_to_py(py: Python<'_>, value: &Value) -> PyResult<Py<PyAny>> {
    Ok(match value {
        Value::Null => py.None(),
        Value::Bool(b) => pyo3::types::PyBool::new(py, *b)
            .to_owned()
            .into_any()
            .unbind(),
        Value::Integer(text) => match text.parse::<i64>() {
            Ok(small) => PyInt::new(py, small).into_any().unbind(),
            // Beyond 64 bits: Python's int() builds it (the digit count is bounded).
            Err(_) => py.get_type::<PyInt>().call1((text.as_str(),))?.unbind(),
        },
        Value::Float(f) => PyFloat::new(py, *f).into_any().unbind(),
        Value::String(text) => PyString::new(py, text).into_any().unbind(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(value_to_py(py, item)?)?;
            }
            list.into_any().unbind()
        }
        Value::Object(members) => {
            let dict = PyDict::new(py);
            for (key, item) in members {
                dict.set_item(key, value_to_py(py, item)?)?;
            }
            dict.into_any().unbind()
        }
    })
}
