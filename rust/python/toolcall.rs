//! `ToolCallAssembler`: the core assembler for agents that already have their own client.

use std::collections::HashMap;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyInt, PyList, PyString};

use super::arguments::{argument_error, describe, limit, type_error};
use super::events::{event_to_py, ToolCallDelta, ToolCallInvalid};
use super::json::encode_utf8_surrogatepass;
use super::text::borrow_utf8;
use super::{decode_error_with, guard};
use crate::events::Event;
use crate::toolcall::{Arguments, ToolCallAssembler};

/// Assembles tool calls from argument fragments (or whole argument objects) into events.
#[pyclass(module = "fluent_ai._core", name = "ToolCallAssembler")]
pub struct PyToolCallAssembler {
    core: ToolCallAssembler,
    /// The argument text of each call that received a `str` with a lone surrogate, exactly
    /// as given (the core holds U+FFFD in its place): events report this text, as the pure
    /// backend does.
    surrogate_raw: HashMap<u32, Py<PyString>>,
}

/// A `str` argument as the core takes it: its UTF-8 text, or its `surrogatepass` bytes when
/// it holds a lone surrogate.
enum Text<'py> {
    Utf8(String),
    Encoded(Bound<'py, PyBytes>),
}

impl<'py> Text<'py> {
    fn of(text: &Bound<'py, PyString>) -> PyResult<Self> {
        if let Some(utf8) = borrow_utf8(text) {
            return Ok(Self::Utf8(utf8.to_owned()));
        }
        // A lone surrogate (or no borrowing call): read as `JsonStream.feed` reads it.
        let encoded = encode_utf8_surrogatepass(text)?;
        Ok(match std::str::from_utf8(encoded.as_bytes()) {
            Ok(utf8) => Self::Utf8(utf8.to_owned()),
            Err(_) => Self::Encoded(encoded),
        })
    }

    fn arguments(&self, whole: bool) -> Arguments<'_> {
        match (self, whole) {
            (Self::Utf8(text), false) => Arguments::Fragment(text),
            (Self::Utf8(text), true) => Arguments::WholeText(text),
            (Self::Encoded(bytes), false) => Arguments::Encoded(bytes.as_bytes()),
            (Self::Encoded(bytes), true) => Arguments::EncodedWhole(bytes.as_bytes()),
        }
    }
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
            surrogate_raw: HashMap::new(),
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
        if let Some(value) = arguments {
            check_arguments(value)?;
        }
        // The text as given (a fragment), or the compact JSON of a whole object.
        let (given, whole) = match arguments {
            None => (None, false),
            Some(value) => match value.cast::<PyString>() {
                Ok(text) => (Some(text.clone()), false),
                Err(_) => (Some(compact_json(py, value)?), true),
            },
        };
        let text = given.as_ref().map(Text::of).transpose()?;
        let core = &mut self.core;
        let surrogate_raw = &mut self.surrogate_raw;
        guard(py, || {
            let mut events = Vec::new();
            let outcome = core.add(
                index,
                id,
                name,
                text.as_ref().map(|t| t.arguments(whole)),
                &mut events,
            );
            if let (Some(given), Some(text)) = (&given, &text) {
                remember_surrogates(py, core, surrogate_raw, &events, given, text)?;
            }
            let converted = convert(py, &events, surrogate_raw, given.as_ref(), &text)?;
            match outcome {
                Ok(()) => Ok(converted),
                Err(error) => Err(decode_error_with(py, &error, converted)),
            }
        })
    }

    /// Every call is over: report those still open (`ToolCallDone` or `ToolCallInvalid`).
    fn finish(&mut self, py: Python<'_>) -> PyResult<Vec<Py<PyAny>>> {
        let core = &mut self.core;
        let surrogate_raw = &self.surrogate_raw;
        guard(py, || {
            let mut events = Vec::new();
            core.finish(&mut events);
            convert(py, &events, surrogate_raw, None, &None)
        })
    }

    fn __repr__(&self) -> String {
        format!("ToolCallAssembler(calls={})", self.core.count())
    }
}

/// Keep the exact text of a call whose arguments hold a lone surrogate: once one arrives,
/// every later fragment of that call is added to it too.
fn remember_surrogates(
    py: Python<'_>,
    core: &ToolCallAssembler,
    surrogate_raw: &mut HashMap<u32, Py<PyString>>,
    events: &[Event],
    given: &Bound<'_, PyString>,
    text: &Text<'_>,
) -> PyResult<()> {
    let Some(index) = events.iter().find_map(|event| match event {
        Event::ToolCallDelta { index, .. } => Some(*index),
        _ => None,
    }) else {
        return Ok(());
    };
    let before = match (surrogate_raw.get(&index), text) {
        (Some(known), _) => known.bind(py).clone().into_any(),
        (None, Text::Encoded(bytes)) => {
            // The core's text before this fragment (its own is U+FFFD-replaced).
            let raw = core.raw(index).unwrap_or_default();
            let added = String::from_utf8_lossy(bytes.as_bytes()).len();
            PyString::new(py, &raw[..raw.len().saturating_sub(added)]).into_any()
        }
        (None, Text::Utf8(_)) => return Ok(()),
    };
    let joined = before.add(given)?.cast_into::<PyString>()?;
    surrogate_raw.insert(index, joined.unbind());
    Ok(())
}

/// Convert core events; where a lone surrogate was replaced, report the text as given (a
/// call is invalid once one arrives, so only deltas and `ToolCallInvalid` carry such text).
fn convert(
    py: Python<'_>,
    events: &[Event],
    surrogate_raw: &HashMap<u32, Py<PyString>>,
    given: Option<&Bound<'_, PyString>>,
    text: &Option<Text<'_>>,
) -> PyResult<Vec<Py<PyAny>>> {
    let encoded = matches!(text, Some(Text::Encoded(_)));
    events
        .iter()
        .map(|event| {
            let exact = |index: &u32| surrogate_raw.get(index).map(|raw| raw.clone_ref(py));
            let object = event_to_py(py, event)?;
            Ok(match event {
                Event::ToolCallDelta { .. } if encoded => {
                    let delta = object.bind(py).cast::<ToolCallDelta>()?.get();
                    let fragment =
                        given.map_or_else(|| py.None(), |g| g.clone().into_any().unbind());
                    Py::new(
                        py,
                        ToolCallDelta {
                            index: delta.index.clone_ref(py),
                            fragment,
                        },
                    )?
                    .into_any()
                }
                Event::ToolCallInvalid { index, .. } => match exact(index) {
                    Some(raw) => {
                        let invalid = object.bind(py).cast::<ToolCallInvalid>()?.get();
                        Py::new(
                            py,
                            ToolCallInvalid {
                                index: invalid.index.clone_ref(py),
                                id: invalid.id.clone_ref(py),
                                name: invalid.name.clone_ref(py),
                                raw: raw.into_any(),
                                error: invalid.error.clone_ref(py),
                            },
                        )?
                        .into_any()
                    }
                    None => object,
                },
                _ => object,
            })
        })
        .collect()
}

/// `json.dumps(value, separators=(",", ":"), ensure_ascii=False)`: the `raw` text of a call
/// whose arguments come as an object (the same text on both backends, by the same function,
/// which does not recurse by the object's depth).
fn compact_json<'py>(py: Python<'py>, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyString>> {
    Ok(py
        .import("fluent_ai._json_text")?
        .call_method1("arguments_json", (value,))?
        .cast_into::<PyString>()?)
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
/// `add()`'s arguments: a fragment of their JSON text (`str`), the whole arguments as an
/// object or array (`dict`, `list`), or `None` (the message as `_purepy/toolcall.py`'s).
fn check_arguments(value: &Bound<'_, PyAny>) -> PyResult<()> {
    if value.is_none()
        || value.is_instance_of::<PyString>()
        || value.is_instance_of::<PyDict>()
        || value.is_instance_of::<PyList>()
    {
        return Ok(());
    }
    let message = format!(
        "arguments must be a str, a dict, a list or None, not {}",
        describe(value)?
    );
    Err(type_error(value.py(), &message, "arguments"))
}

fn optional_text(value: Option<&Bound<'_, PyAny>>, argument: &str) -> PyResult<Option<String>> {
    match value {
        None => Ok(None),
        Some(value) if value.is_none() => Ok(None),
        Some(value) => match value.cast::<PyString>() {
            Ok(text) => match text.to_cow() {
                Ok(text) => Ok(Some(text.into_owned())),
                // A lone surrogate: the pure backend's words (`_purepy/toolcall.py`).
                Err(_) => {
                    let message =
                        format!("{argument} must be text without lone surrogates (valid UTF-8)");
                    Err(argument_error(value.py(), &message, argument, "", false))
                }
            },
            Err(_) => {
                let message = format!("{argument} must be a str or None, not {}", describe(value)?);
                Err(type_error(value.py(), &message, argument))
            }
        },
    }
}
