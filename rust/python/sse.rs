//! Binding of the SSE framer (`rust/sse.rs`): `SseDecoder` and the immutable `SseEvent`.
//!
//! Events are built straight from the decoder's borrowed buffers (one Python `str` per data
//! payload); event types, IDs and retry values repeat from event to event, so the last
//! Python object made for each is reused.

use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyMemoryView, PyString, PyTuple, PyType};

use super::arguments::{limit, type_error};
use super::{decode_error, decode_error_with, guard};
use crate::sse::{same_text, EventRef, SseDecoder, DEFAULT_MAX_EVENT_BYTES};

/// One dispatched server-sent event (immutable, compared and hashed by value).
#[pyclass(frozen, module = "fluent_ai._core", name = "SseEvent")]
pub struct PySseEvent {
    event: Py<PyString>,
    data: Py<PyString>,
    id: Py<PyString>,
    /// An `int`, or `None`.
    retry: Option<Py<PyAny>>,
}

/// A `str` argument of `SseEvent()`; `None` means the default (as in the pure-Python one).
fn str_argument(
    py: Python<'_>,
    name: &str,
    value: Option<&Bound<'_, PyAny>>,
    default: &str,
) -> PyResult<Py<PyString>> {
    match value {
        None => Ok(PyString::new(py, default).unbind()),
        Some(value) => match value.cast::<PyString>() {
            Ok(text) => Ok(text.clone().unbind()),
            Err(_) => Err(PyTypeError::new_err(format!(
                "SseEvent() argument '{name}' must be str, not {}",
                value.get_type().name()?
            ))),
        },
    }
}

#[pymethods]
impl PySseEvent {
    #[new]
    #[pyo3(
        signature = (event = None, data = None, id = None, retry = None),
        text_signature = "(event='message', data='', id='', retry=None)"
    )]
    fn new(
        py: Python<'_>,
        event: Option<&Bound<'_, PyAny>>,
        data: Option<&Bound<'_, PyAny>>,
        id: Option<&Bound<'_, PyAny>>,
        retry: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let retry = match retry {
            Some(value) if !value.is_none() => {
                if !value.is_instance_of::<pyo3::types::PyInt>() {
                    return Err(PyTypeError::new_err(format!(
                        "SseEvent() argument 'retry' must be int or None, not {}",
                        value.get_type().name()?
                    )));
                }
                Some(value.clone().unbind())
            }
            _ => None,
        };
        Ok(Self {
            event: str_argument(py, "event", event, "message")?,
            data: str_argument(py, "data", data, "")?,
            id: str_argument(py, "id", id, "")?,
            retry,
        })
    }

    #[classattr]
    fn __match_args__() -> (&'static str, &'static str, &'static str, &'static str) {
        ("event", "data", "id", "retry")
    }

    #[getter]
    fn event(&self, py: Python<'_>) -> Py<PyString> {
        self.event.clone_ref(py)
    }

    #[getter]
    fn data(&self, py: Python<'_>) -> Py<PyString> {
        self.data.clone_ref(py)
    }

    #[getter]
    fn id(&self, py: Python<'_>) -> Py<PyString> {
        self.id.clone_ref(py)
    }

    #[getter]
    fn retry(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.retry.as_ref().map(|retry| retry.clone_ref(py))
    }

    /// Equal when `(event, data, id, retry)` are equal, as in the pure-Python class.
    fn __eq__(&self, py: Python<'_>, other: &Self) -> PyResult<bool> {
        PyAnyMethods::eq(self.fields(py)?.as_any(), other.fields(py)?)
    }

    /// The hash of the tuple `(event, data, id, retry)`, as in the pure-Python class.
    fn __hash__(&self, py: Python<'_>) -> PyResult<isize> {
        self.fields(py)?.hash()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let retry = match &self.retry {
            Some(retry) => retry.bind(py).repr()?.to_string(),
            None => "None".to_owned(),
        };
        Ok(format!(
            "SseEvent(event={}, data={}, id={}, retry={retry})",
            self.event.bind(py).repr()?,
            self.data.bind(py).repr()?,
            self.id.bind(py).repr()?,
        ))
    }

    fn __reduce__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<(Bound<'py, PyType>, Bound<'py, PyTuple>)> {
        Ok((py.get_type::<Self>(), self.fields(py)?))
    }
}

impl PySseEvent {
    fn fields<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let retry = match &self.retry {
            Some(retry) => retry.clone_ref(py),
            None => py.None(),
        };
        PyTuple::new(
            py,
            [
                self.event.clone_ref(py).into_any(),
                self.data.clone_ref(py).into_any(),
                self.id.clone_ref(py).into_any(),
                retry,
            ],
        )
    }
}

/// The Python objects last made for each repeating event field.
#[derive(Default)]
struct Reuse {
    event_type: Option<(String, Py<PyString>)>,
    id: Option<(String, Py<PyString>)>,
    retry: Option<(u64, Py<PyAny>)>,
}

fn reuse_str(
    py: Python<'_>,
    slot: &mut Option<(String, Py<PyString>)>,
    text: &str,
) -> Py<PyString> {
    if let Some((cached, object)) = slot {
        if same_text(cached, text) {
            return object.clone_ref(py);
        }
    }
    let object = PyString::new(py, text).unbind();
    *slot = Some((text.to_owned(), object.clone_ref(py)));
    object
}

impl Reuse {
    fn event(&mut self, py: Python<'_>, event: EventRef<'_>) -> PyResult<Py<PySseEvent>> {
        let event_type = if event.event_type == "message" {
            intern!(py, "message").clone().unbind()
        } else {
            reuse_str(py, &mut self.event_type, event.event_type)
        };
        let retry = match event.retry {
            None => None,
            Some(value) => Some(match &self.retry {
                Some((cached, object)) if *cached == value => object.clone_ref(py),
                _ => {
                    let object = value.into_pyobject(py)?.into_any().unbind();
                    self.retry = Some((value, object.clone_ref(py)));
                    object
                }
            }),
        };
        Py::new(
            py,
            PySseEvent {
                event: event_type,
                data: PyString::new(py, event.data).unbind(),
                id: reuse_str(py, &mut self.id, event.id),
                retry,
            },
        )
    }
}

/// Incremental WHATWG server-sent-events parser: bytes in, dispatched events out.
#[pyclass(module = "fluent_ai._core", name = "SseDecoder")]
pub struct PySseDecoder {
    core: SseDecoder,
    reuse: Reuse,
}

#[pymethods]
impl PySseDecoder {
    #[new]
    #[pyo3(
        signature = (max_event_bytes = None),
        text_signature = "(max_event_bytes=8388608)"
    )]
    fn new(max_event_bytes: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let max_event_bytes = limit(
            max_event_bytes,
            "max_event_bytes",
            0,
            DEFAULT_MAX_EVENT_BYTES,
        )?;
        Ok(Self {
            core: SseDecoder::new(max_event_bytes),
            reuse: Reuse::default(),
        })
    }

    fn feed(&mut self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<Vec<Py<PySseEvent>>> {
        let copied;
        let chunk = match data.cast::<PyBytes>() {
            Ok(bytes) => bytes.as_bytes(),
            Err(_) => {
                copied = bytes_copy(data)?;
                copied.as_bytes()
            }
        };
        let Self { core, reuse } = self;
        guard(py, || {
            let mut events = Vec::new();
            let mut failure = None;
            let result = core.feed_with(chunk, |event| {
                if failure.is_none() {
                    match reuse.event(py, event) {
                        Ok(event) => events.push(event),
                        Err(error) => failure = Some(error),
                    }
                }
            });
            // A Python error while building an event comes first: after it, `events` would
            // not hold everything the chunk completed.
            match (result, failure) {
                (_, Some(error)) => Err(error),
                (Err(error), None) => {
                    let completed = events.into_iter().map(Py::into_any).collect();
                    Err(decode_error_with(py, &error, completed))
                }
                (Ok(()), None) => Ok(events),
            }
        })
    }

    fn finish(&mut self, py: Python<'_>) -> PyResult<Vec<Py<PySseEvent>>> {
        let Self { core, reuse } = self;
        guard(py, || {
            let events = core.finish().map_err(|error| decode_error(py, &error))?;
            events
                .iter()
                .map(|event| {
                    reuse.event(
                        py,
                        EventRef {
                            event_type: &event.event_type,
                            data: &event.data,
                            id: &event.id,
                            retry: event.retry,
                        },
                    )
                })
                .collect()
        })
    }

    #[getter]
    fn last_event_id(&self) -> &str {
        self.core.last_event_id()
    }

    #[getter]
    fn retry(&self) -> Option<u64> {
        self.core.retry()
    }

    #[getter]
    fn position(&self) -> u64 {
        self.core.position()
    }

    #[getter]
    fn pending_bytes(&self) -> u64 {
        self.core.pending_bytes()
    }
}

/// `bytes(data)` for the other bytes-like types `feed` takes; anything else is a TypeError
/// worded like the pure-Python backend's.
fn bytes_copy<'py>(data: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    if data.is_instance_of::<PyByteArray>() || data.is_instance_of::<PyMemoryView>() {
        let py = data.py();
        return Ok(py
            .get_type::<PyBytes>()
            .call1((data,))?
            .cast_into::<PyBytes>()?);
    }
    let message = format!(
        "SseDecoder.feed() argument must be bytes, not {}",
        data.get_type().name()?
    );
    Err(type_error(data.py(), &message, "data"))
}

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<PySseEvent>()?;
    module.add_class::<PySseDecoder>()?;
    Ok(())
}
