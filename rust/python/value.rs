//! Conversion of core [`Value`]s into Python objects (the values `json.loads` would give).

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFloat, PyInt, PyList, PyString};

use crate::json::Value;

/// A Python container being filled, with the members of its [`Value`] still to convert.
enum Open<'py, 'v> {
    List(Bound<'py, PyList>, std::slice::Iter<'v, Value>),
    Dict(Bound<'py, PyDict>, std::slice::Iter<'v, (String, Value)>),
}

impl<'py, 'v> Open<'py, 'v> {
    /// An empty container for `value` (and the Python object), or `None` for a scalar.
    fn of(py: Python<'py>, value: &'v Value) -> Option<(Self, Bound<'py, PyAny>)> {
        match value {
            Value::Array(items) => {
                let list = PyList::empty(py);
                Some((Self::List(list.clone(), items.iter()), list.into_any()))
            }
            Value::Object(members) => {
                let dict = PyDict::new(py);
                Some((Self::Dict(dict.clone(), members.iter()), dict.into_any()))
            }
            _ => None,
        }
    }
}

/// The Python object for `value`: dict, list, str, int, float, bool or None. The tree is
/// walked with a stack on the heap, so any depth is safe on any thread stack; a container
/// goes into its parent before it is filled (a dict keeps the last of repeated keys at the
/// first one's place either way).
pub fn value_to_py(py: Python<'_>, value: &Value) -> PyResult<Py<PyAny>> {
    let Some((root, object)) = Open::of(py, value) else {
        return scalar_to_py(py, value);
    };
    let mut open = vec![root];
    while let Some(top) = open.last_mut() {
        let (key, child) = match top {
            Open::List(_, items) => match items.next() {
                Some(item) => (None, item),
                None => {
                    open.pop();
                    continue;
                }
            },
            Open::Dict(_, members) => match members.next() {
                Some((key, item)) => (Some(key), item),
                None => {
                    open.pop();
                    continue;
                }
            },
        };
        let (item, nested) = match Open::of(py, child) {
            Some((nested, item)) => (item, Some(nested)),
            None => (scalar_to_py(py, child)?.into_bound(py), None),
        };
        match (top, key) {
            (Open::List(list, _), _) => list.append(item)?,
            (Open::Dict(dict, _), Some(key)) => dict.set_item(key, item)?,
            (Open::Dict(..), None) => {}
        }
        open.extend(nested);
    }
    Ok(object.unbind())
}

fn scalar_to_py(py: Python<'_>, value: &Value) -> PyResult<Py<PyAny>> {
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
        Value::Array(_) => PyList::empty(py).into_any().unbind(),
        Value::Object(_) => PyDict::new(py).into_any().unbind(),
    })
}
