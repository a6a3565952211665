//! `EventStreamDecoder` and `EventStreamMessage`: the Python face of [`crate::eventstream`].
//!
//! Header values become Python objects here: `bool`, `int`, `bytes`, `str`, a UTC `datetime`
//! (timestamps) and `uuid.UUID`. The header dict is built once per message and copied on each
//! `.headers` access, so a message cannot be changed through it.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyDict, PyInt, PyList, PyString, PyType};

use super::arguments::{limit, type_error};
use super::{decode_error_with, guard};
use crate::eventstream::{
    Decoder, HeaderValue, Message, DEFAULT_MAX_MESSAGE_BYTES, MIN_MESSAGE_LEN,
};

static DATETIME: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static TIMEDELTA: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static UUID: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static EPOCH: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// `datetime(1970, 1, 1, tzinfo=timezone.utc)`: timestamps are this plus a `timedelta`, which
/// is exact (`datetime.fromtimestamp` goes through a float and can be off by a microsecond).
fn epoch(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    EPOCH
        .get_or_try_init(py, || {
            let utc = py.import("datetime")?.getattr("timezone")?.getattr("utc")?;
            let datetime = DATETIME.import(py, "datetime", "datetime")?;
            Ok(datetime.call1((1970, 1, 1, 0, 0, 0, 0, utc))?.unbind())
        })
        .map(|epoch| epoch.bind(py))
}

fn type_name(object: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(object.get_type().name()?.to_string())
}

fn header_object<'py>(py: Python<'py>, value: HeaderValue<'_>) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        HeaderValue::Bool(value) => PyBool::new(py, value).to_owned().into_any(),
        HeaderValue::Byte(value) => value.into_pyobject(py)?.into_any(),
        HeaderValue::Short(value) => value.into_pyobject(py)?.into_any(),
        HeaderValue::Int(value) => value.into_pyobject(py)?.into_any(),
        HeaderValue::Long(value) => value.into_pyobject(py)?.into_any(),
        HeaderValue::Bytes(value) => PyBytes::new(py, value).into_any(),
        HeaderValue::String(value) => PyString::new(py, value).into_any(),
        HeaderValue::Timestamp(ms) => {
            // timedelta(days, seconds, microseconds, milliseconds)
            let delta = TIMEDELTA
                .import(py, "datetime", "timedelta")?
                .call1((0, 0, 0, ms))?;
            epoch(py)?.add(delta)?
        }
        HeaderValue::Uuid(raw) => UUID
            .import(py, "uuid", "UUID")?
            .call1((py.None(), PyBytes::new(py, &raw)))?,
    })
}

fn message_object(py: Python<'_>, message: &Message<'_>) -> PyResult<Py<PyAny>> {
    let headers = PyDict::new(py);
    for header in &message.headers {
        // A repeated name keeps its first place and takes the last value (dict semantics).
        headers.set_item(header.name, header_object(py, header.value)?)?;
    }
    let message = PyEventStreamMessage {
        headers: headers.unbind(),
        payload: PyBytes::new(py, message.payload).unbind(),
    };
    Ok(Py::new(py, message)?.into_any())
}

/// Is `value` of a type that a header can hold?
fn is_header_value(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<bool> {
    Ok(value.is_instance_of::<PyInt>()
        || value.is_instance_of::<PyBytes>()
        || value.is_instance_of::<PyString>()
        || value.is_instance(DATETIME.import(py, "datetime", "datetime")?)?
        || value.is_instance(UUID.import(py, "uuid", "UUID")?)?)
}

/// What `EventStreamMessage.__reduce__` returns: the class and `(headers, payload)`.
type Reduced<'py> = (Bound<'py, PyType>, (Bound<'py, PyDict>, Py<PyBytes>));

/// One AWS event-stream message (immutable, compared by value).
#[pyclass(frozen, module = "fluent_ai._core", name = "EventStreamMessage")]
pub struct PyEventStreamMessage {
    headers: Py<PyDict>,
    payload: Py<PyBytes>,
}

#[pymethods]
impl PyEventStreamMessage {
    #[new]
    fn new(headers: &Bound<'_, PyAny>, payload: &Bound<'_, PyAny>) -> PyResult<Self> {
        let py = headers.py();
        let Ok(given) = headers.cast::<PyDict>() else {
            let name = type_name(headers)?;
            return Err(PyTypeError::new_err(format!(
                "headers must be a dict, not {name}"
            )));
        };
        let copy = PyDict::new(py);
        for (name, value) in given.iter() {
            if !name.is_instance_of::<PyString>() {
                let name = type_name(&name)?;
                return Err(PyTypeError::new_err(format!(
                    "header names must be str, not {name}"
                )));
            }
            if !is_header_value(py, &value)? {
                return Err(PyTypeError::new_err(format!(
                    "header {} has a value of unsupported type {}",
                    name.repr()?,
                    type_name(&value)?
                )));
            }
            copy.set_item(name, value)?;
        }
        let Ok(payload) = payload.cast::<PyBytes>() else {
            let name = type_name(payload)?;
            return Err(PyTypeError::new_err(format!(
                "payload must be bytes, not {name}"
            )));
        };
        Ok(Self {
            headers: copy.unbind(),
            payload: payload.clone().unbind(),
        })
    }

    #[classattr]
    fn __match_args__() -> (&'static str, &'static str) {
        ("headers", "payload")
    }

    /// The headers in wire order (a new dict on each access).
    #[getter]
    fn headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        self.headers.bind(py).copy()
    }

    #[getter]
    fn payload(&self, py: Python<'_>) -> Py<PyBytes> {
        self.payload.clone_ref(py)
    }

    fn __eq__(&self, py: Python<'_>, other: PyRef<'_, Self>) -> PyResult<bool> {
        Ok(
            self.payload.bind(py).as_bytes() == other.payload.bind(py).as_bytes()
                && self.headers.bind(py).eq(other.headers.bind(py))?,
        )
    }

    /// Pickled as `EventStreamMessage(headers, payload)`, so an error's `.completed` can
    /// cross a process boundary.
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Reduced<'py>> {
        Ok((
            py.get_type::<Self>(),
            (self.headers.bind(py).copy()?, self.payload.clone_ref(py)),
        ))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "EventStreamMessage(headers={}, payload={})",
            self.headers.bind(py).repr()?,
            self.payload.bind(py).repr()?
        ))
    }
}

/// An argument taken as any object and checked in the method body, so that a wrong type or
/// value raises the same exception, with the same message, as the pure-Python backend.
struct AnyArg(Option<Py<PyAny>>);

impl<'a, 'py> FromPyObject<'a, 'py> for AnyArg {
    type Error = PyErr;

    fn extract(object: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        Ok(Self(Some(object.to_owned().unbind())))
    }
}

/// AWS event-stream (`application/vnd.amazon.eventstream`) framer with CRC checks.
#[pyclass(module = "fluent_ai._core", name = "EventStreamDecoder")]
pub struct PyEventStreamDecoder {
    decoder: Decoder,
}

impl PyEventStreamDecoder {
    /// Run the core on `chunk` (`None` = end of input) and build the messages it completes.
    fn run(&mut self, py: Python<'_>, chunk: Option<&[u8]>) -> PyResult<Py<PyList>> {
        guard(py, || {
            let mut messages = Vec::new();
            let mut failure = None;
            let result = match chunk {
                Some(chunk) => self.decoder.feed(chunk, |message| {
                    if failure.is_none() {
                        match message_object(py, &message) {
                            Ok(object) => messages.push(object),
                            Err(error) => failure = Some(error),
                        }
                    }
                }),
                None => self.decoder.finish(),
            };
            // A Python error while building a message comes first: after it, `messages`
            // would not hold everything the chunk completed.
            match (result, failure) {
                (_, Some(error)) => Err(error),
                (Err(error), None) => Err(decode_error_with(py, &error, messages)),
                (Ok(()), None) => Ok(PyList::new(py, messages)?.unbind()),
            }
        })
    }
}

#[pymethods]
impl PyEventStreamDecoder {
    #[new]
    #[pyo3(
        signature = (max_message_bytes = AnyArg(None)),
        text_signature = "(max_message_bytes=16777216)"
    )]
    fn new(py: Python<'_>, max_message_bytes: AnyArg) -> PyResult<Self> {
        let given = max_message_bytes.0.map(|object| object.into_bound(py));
        // At least 16: the smallest message.
        let max = limit(
            given.as_ref(),
            "max_message_bytes",
            MIN_MESSAGE_LEN as u64,
            DEFAULT_MAX_MESSAGE_BYTES,
        )?;
        Ok(Self {
            decoder: Decoder::new(max),
        })
    }

    /// Consume a chunk; return the messages it completes.
    fn feed(&mut self, data: &Bound<'_, PyAny>) -> PyResult<Py<PyList>> {
        let py = data.py();
        let Ok(bytes) = data.cast::<PyBytes>() else {
            let message = format!("feed() takes bytes, not {}", type_name(data)?);
            return Err(type_error(py, &message, "data"));
        };
        self.run(py, Some(bytes.as_bytes()))
    }

    /// Signal end of input; an error if a message is unfinished.
    fn finish(&mut self, py: Python<'_>) -> PyResult<Py<PyList>> {
        self.run(py, None)
    }

    #[getter]
    fn position(&self) -> u64 {
        self.decoder.position()
    }
}

/// Add the classes to `fluent_ai._core`.
pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<PyEventStreamMessage>()?;
    module.add_class::<PyEventStreamDecoder>()?;
    Ok(())
}
