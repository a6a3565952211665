//! Whole-document JSON to Python objects, two ways, for the benchmark that decides which
//! path the decoders use (`benches/bench_loads.py`): the incremental parser (one pass,
//! objects built as values close) and simd-json (tape, then a borrowed value tree, then
//! objects). Private: not part of the public API.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFloat, PyInt, PyList, PyString};
use simd_json::{BorrowedValue, Buffers, StaticNode};

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

/// Parse a whole JSON document with simd-json (which needs a mutable copy of the input),
/// with the same depth limit as `_loads`.
#[pyfunction]
fn _loads_simd_json(py: Python<'_>, data: &[u8]) -> PyResult<Py<PyAny>> {
    guard(py, || {
        let mut copy = data.to_vec();
        let mut buffers = Buffers::with_max_depth(copy.len(), DEFAULT_MAX_DEPTH);
        let value = simd_json::borrowed::to_value_with_buffers(&mut copy, &mut buffers)
            .map_err(|error| PyValueError::new_err(error.to_string()))?;
        Ok(to_python(py, &value)?.unbind())
    })
}

type Members<'a, 'v> = Box<dyn Iterator<Item = (Option<&'a str>, &'a BorrowedValue<'v>)> + 'a>;

/// The Python object of `value`, walked with a stack on the heap (no recursion by depth).
fn to_python<'py>(py: Python<'py>, value: &BorrowedValue<'_>) -> PyResult<Bound<'py, PyAny>> {
    let Some((root, members)) = open(py, value) else {
        return Ok(scalar(py, value));
    };
    let mut stack = vec![(root.clone(), members)];
    while let Some((container, members)) = stack.last_mut() {
        let Some((key, item)) = members.next() else {
            stack.pop();
            continue;
        };
        let (object, nested) = match open(py, item) {
            Some((object, members)) => (object.clone(), Some((object, members))),
            None => (scalar(py, item), None),
        };
        match key {
            Some(key) => container
                .cast::<PyDict>()?
                .set_item(PyString::new(py, key), object)?,
            None => container.cast::<PyList>()?.append(object)?,
        }
        stack.extend(nested);
    }
    Ok(root)
}

/// An empty list or dict for a container, with its members; `None` for a scalar.
fn open<'py, 'a, 'v>(
    py: Python<'py>,
    value: &'a BorrowedValue<'v>,
) -> Option<(Bound<'py, PyAny>, Members<'a, 'v>)> {
    match value {
        BorrowedValue::Array(items) => Some((
            PyList::empty(py).into_any(),
            Box::new(items.iter().map(|item| (None, item))),
        )),
        BorrowedValue::Object(members) => Some((
            PyDict::new(py).into_any(),
            Box::new(members.iter().map(|(key, item)| (Some(key.as_ref()), item))),
        )),
        _ => None,
    }
}

fn scalar<'py>(py: Python<'py>, value: &BorrowedValue<'_>) -> Bound<'py, PyAny> {
    match value {
        BorrowedValue::Static(StaticNode::Null) => py.None().into_bound(py),
        BorrowedValue::Static(StaticNode::Bool(flag)) => {
            pyo3::types::PyBool::new(py, *flag).to_owned().into_any()
        }
        BorrowedValue::Static(StaticNode::I64(number)) => PyInt::new(py, *number).into_any(),
        BorrowedValue::Static(StaticNode::U64(number)) => PyInt::new(py, *number).into_any(),
        BorrowedValue::Static(StaticNode::F64(number)) => PyFloat::new(py, *number).into_any(),
        BorrowedValue::String(text) => PyString::new(py, text).into_any(),
        BorrowedValue::Array(_) => PyList::empty(py).into_any(),
        BorrowedValue::Object(_) => PyDict::new(py).into_any(),
    }
}

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(_loads, module)?)?;
    module.add_function(wrap_pyfunction!(_loads_simd_json, module)?)
}
