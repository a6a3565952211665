//! Whole-document JSON to Python objects, two ways, for the benchmark that decides which
//! path the decoders use (`benches/bench_loads.py`): the incremental parser (one pass,
//! objects built as values close) and simd-json (tape, then a borrowed value tree, then
//! objects). Private: not part of the public API.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFloat, PyInt, PyList, PyString};
use simd_json::{BorrowedValue, StaticNode};

use super::json::{PySink, Tree};
use super::{decode_error, guard};
use crate::json::{JsonParser, DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH};

/// Parse a whole JSON document with the incremental parser.
#[pyfunction]
fn _loads(py: Python<'_>, data: &[u8]) -> PyResult<Py<PyAny>> {
    guard(py, || {
        let mut tree = Tree::default();
        let mut sink = PySink {
            py,
            tree: &mut tree,
        };
        let mut parser = JsonParser::new(DEFAULT_MAX_DEPTH, DEFAULT_MAX_BYTES);
        let outcome = parser
            .feed(data, &mut sink)
            .and_then(|_| parser.finish(&mut sink));
        if let Some(error) = tree.error.take() {
            return Err(error);
        }
        outcome.map_err(|error| decode_error(py, &error))?;
        Ok(tree.root.take().unwrap_or_else(|| py.None()))
    })
}

/// Parse a whole JSON document with simd-json (which needs a mutable copy of the input).
#[pyfunction]
fn _loads_simd_json(py: Python<'_>, data: &[u8]) -> PyResult<Py<PyAny>> {
    guard(py, || {
        let mut copy = data.to_vec();
        let value = simd_json::to_borrowed_value(&mut copy)
            .map_err(|error| PyValueError::new_err(error.to_string()))?;
        Ok(to_python(py, &value)?.unbind())
    })
}

fn to_python<'py>(py: Python<'py>, value: &BorrowedValue<'_>) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        BorrowedValue::Static(StaticNode::Null) => py.None().into_bound(py),
        BorrowedValue::Static(StaticNode::Bool(flag)) => {
            pyo3::types::PyBool::new(py, *flag).to_owned().into_any()
        }
        BorrowedValue::Static(StaticNode::I64(number)) => PyInt::new(py, *number).into_any(),
        BorrowedValue::Static(StaticNode::U64(number)) => PyInt::new(py, *number).into_any(),
        BorrowedValue::Static(StaticNode::F64(number)) => PyFloat::new(py, *number).into_any(),
        BorrowedValue::String(text) => PyString::new(py, text).into_any(),
        BorrowedValue::Array(items) => {
            let list = PyList::empty(py);
            for item in items.iter() {
                list.append(to_python(py, item)?)?;
            }
            list.into_any()
        }
        BorrowedValue::Object(members) => {
            let dict = PyDict::new(py);
            for (key, item) in members.iter() {
                dict.set_item(PyString::new(py, key), to_python(py, item)?)?;
            }
            dict.into_any()
        }
    })
}

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(_loads, module)?)?;
    module.add_function(wrap_pyfunction!(_loads_simd_json, module)?)
}
