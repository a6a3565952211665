//! `ToolCallAssembler`: the core assembler for agents that already have their own client.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt, PyString};

use super::arguments::{argument_error, describe, limit, type_error};
use super::events::event_to_py;
use super::{decode_error_with, guard};
use crate::events::Event;
use crate::toolcall::{Arguments, ToolCallAssembler};

/// Convert core events to Python objects.
pub fn events_to_py(py: Python<'_>, events: &[Event]) -> PyResult<Vec<Py<PyAny>>> {
    events.iter().map(|event| event_to_py(py, event)).collect()
}

/// Assembles tool calls from argument fragments (or whole argument objects) into events.
#[pyclass(module = "fluent_ai._core", name = "ToolCallAssembler")]
pub struct PyToolCallAssembler {
    core: ToolCallAssembler,
}

#[pymethods]
impl PyToolCallAssembler {
    // Literal defaults (crate::toolcall::DEFAULT_*) so that the text signature shows them.
    #[new]
    #[pyo3(
        signature = (max_calls = None, max_argument_bytes = None),
        text_signature = "(max_calls=64, max_argument_bytes=8388608)"
    )]
    fn new(
        max_calls: Option<&Bound<'_, PyAny>>,
        max_argument_bytes: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let max_calls = limit(max_calls, "max_calls", 0, 64)?;
        let max_argument_bytes = limit(max_argument_bytes, "max_argument_bytes", 0, 8_388_608)?;
        Ok(Self {
            core: ToolCallAssembler::new(
                usize::try_from(max_calls).unwrap_or(usize::MAX),
                max_argument_bytes,
            ),
        })
    }

    /// Add what one chunk says of the call `index`; return the events it completes.
    #[pyo3(signature = (index, id = None, name = None, arguments = None))]
    fn add(
        &mut self,
        py: Python<'_>,
        index: &Bound<'_, PyAny>,
        id: Option<&Bound<'_, PyAny>>,
        name: Option<&Bound<'_, PyAny>>,
        arguments: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<Py<PyAny>>> {
        let index = call_index(index)?;
        let id = optional_text(id, "id")?;
        let name = optional_text(name, "name")?;
        let (id, name) = (id.as_deref(), name.as_deref());
        let whole = match arguments {
            Some(value) if !value.is_instance_of::<PyString>() => Some(compact_json(py, value)?),
            _ => None,
        };
        let fragment: Option<String> = match arguments {
            Some(value) if value.is_instance_of::<PyString>() => Some(value.extract()?),
            _ => None,
        };
        let core = &mut self.core;
        guard(py, || {
            let arguments = match (&fragment, &whole) {
                (Some(text), _) => Some(Arguments::Fragment(text)),
                (None, Some(text)) => Some(Arguments::WholeText(text)),
                (None, None) => None,
            };
            let mut events = Vec::new();
            match core.add(index, id, name, arguments, &mut events) {
                Ok(()) => events_to_py(py, &events),
                Err(error) => Err(decode_error_with(py, &error, events_to_py(py, &events)?)),
            }
        })
    }

    /// Every call is over: report those still open (`ToolCallDone` or `ToolCallInvalid`).
    fn finish(&mut self, py: Python<'_>) -> PyResult<Vec<Py<PyAny>>> {
        let core = &mut self.core;
        guard(py, || {
            let mut events = Vec::new();
            core.finish(&mut events);
            events_to_py(py, &events)
        })
    }

    fn __repr__(&self) -> String {
        format!("ToolCallAssembler(calls={})", self.core.count())
    }
}

/// `json.dumps(value, separators=(",", ":"), ensure_ascii=False)`: the `raw` text of a call
/// whose arguments come as an object (the same text on both backends).
fn compact_json(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<String> {
    let kwargs = PyDict::new(py);
    kwargs.set_item("separators", (",", ":"))?;
    kwargs.set_item("ensure_ascii", false)?;
    py.import("json")?
        .call_method("dumps", (value,), Some(&kwargs))?
        .extract()
}

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<PyToolCallAssembler>()
}

/// `add()`'s `index`: an `int` (not `bool`) that fits in 64 bits; the messages are the pure
/// backend's.
fn call_index(index: &Bound<'_, PyAny>) -> PyResult<i64> {
    let py = index.py();
    if index.is_instance_of::<PyBool>() || !index.is_instance_of::<PyInt>() {
        let message = format!("index must be an int, not {}", describe(index)?);
        return Err(type_error(py, &message, "index"));
    }
    index.extract::<i64>().map_err(|_| {
        let message = "index must be an int in the signed 64-bit range";
        argument_error(py, message, "index", "", false)
    })
}

/// `add()`'s `id` and `name`: a `str` or `None`.
fn optional_text(value: Option<&Bound<'_, PyAny>>, argument: &str) -> PyResult<Option<String>> {
    match value {
        None => Ok(None),
        Some(value) if value.is_none() => Ok(None),
        Some(value) => match value.cast::<PyString>() {
            Ok(text) => Ok(Some(text.to_cow()?.into_owned())),
            Err(_) => {
                let message = format!("{argument} must be a str or None, not {}", describe(value)?);
                Err(type_error(value.py(), &message, argument))
            }
        },
    }
}
