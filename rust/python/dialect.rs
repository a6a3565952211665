//! `StreamDecoder`: provider response bytes in, normalized events out, entirely in native code.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyList, PyString};

use super::arguments::{argument_error, describe, type_error, type_name};
use super::events::{event_to_py, partial_call_to_py, usage_to_py};
use super::metrics::{metrics_error, PyMetrics};
use super::{decode_error_with, guard};
use crate::dialect::{Failure, StreamDecoder, DIALECTS};
use crate::error::ErrorClass;
use crate::events::Event;

/// Decodes one streamed response of one provider dialect into normalized events.
#[pyclass(module = "fluent_ai._core", name = "StreamDecoder")]
pub struct PyStreamDecoder {
    core: StreamDecoder,
    tool_calls: Vec<Py<PyAny>>,
    usage: Option<Py<PyAny>>,
}

#[pymethods]
impl PyStreamDecoder {
    #[new]
    #[pyo3(signature = (dialect, metrics = None))]
    fn new(
        py: Python<'_>,
        dialect: &Bound<'_, PyAny>,
        metrics: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let expected = format!("one of: {}", DIALECTS.join(", "));
        let Ok(name) = dialect.cast::<PyString>() else {
            let message = format!(
                "dialect must be a str ({expected}), not {}",
                describe(dialect)?
            );
            return Err(argument_error(py, &message, "dialect", &expected, true));
        };
        // A name that is not UTF-8 (a lone surrogate) names no dialect either.
        let known = match name.to_cow() {
            Ok(text) => StreamDecoder::new(&text).ok(),
            Err(_) => None,
        };
        let Some(mut core) = known else {
            let message = format!(
                "unknown stream dialect {}; expected {expected}",
                name.repr()?
            );
            return Err(argument_error(py, &message, "dialect", &expected, false));
        };
        if let Some(metrics) = metrics {
            let metrics = metrics.cast::<PyMetrics>().map_err(|_| {
                let message = "metrics must be a fluent_ai.Metrics (of the native backend)";
                argument_error(py, message, "metrics", "", true)
            })?;
            core.record_into(metrics.borrow().inner())
                .map_err(|error| metrics_error(py, &error))?;
        }
        Ok(Self {
            core,
            tool_calls: Vec::new(),
            usage: None,
        })
    }

    /// Consume one network read; return the events it completes.
    fn feed(&mut self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<Vec<Py<PyAny>>> {
        let Ok(bytes) = data.cast::<PyBytes>() else {
            let message = format!(
                "StreamDecoder.feed() argument must be bytes, not {}",
                type_name(data)?
            );
            return Err(type_error(py, &message, "data"));
        };
        let data = bytes.as_bytes();
        guard(py, || {
            let outcome = self.core.feed(data);
            self.deliver(py, outcome)
        })
    }

    /// Signal the end of the response; raises `StreamTruncated` if it ended early.
    ///
    /// `clean=False` says the connection broke: then only the dialect's end marker completes
    /// the stream (openai-chat's clean-end rule does not apply).
    #[pyo3(signature = (*, clean = None), text_signature = "($self, *, clean=True)")]
    fn finish(
        &mut self,
        py: Python<'_>,
        clean: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<Py<PyAny>>> {
        let clean = match clean {
            None => true,
            Some(value) => match value.cast::<PyBool>() {
                Ok(flag) => flag.is_true(),
                Err(_) => {
                    let message = format!("clean must be a bool, not {}", describe(value)?);
                    return Err(argument_error(py, &message, "clean", "a bool", true));
                }
            },
        };
        guard(py, || {
            let outcome = self.core.finish(clean);
            self.deliver(py, outcome)
        })
    }

    /// The dialect's name.
    #[getter]
    fn dialect(&self) -> &'static str {
        self.core.dialect()
    }

    /// The text of every `TextDelta` so far.
    #[getter]
    fn text(&self) -> &str {
        self.core.text()
    }

    /// The `ToolCallDone` events so far.
    #[getter]
    fn tool_calls<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.tool_calls.iter().map(|c| c.clone_ref(py)))
    }

    /// The latest `Usage` event, if any.
    #[getter]
    fn usage(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.usage.as_ref().map(|u| u.clone_ref(py))
    }

    /// The normalized reason of the `Finish` event, once emitted.
    #[getter]
    fn finish_reason(&self) -> Option<&'static str> {
        self.core.finish_reason().map(|r| r.as_str())
    }

    /// Bytes consumed so far.
    #[getter]
    fn position(&self) -> u64 {
        self.core.position()
    }

    fn __repr__(&self) -> String {
        format!(
            "StreamDecoder({:?}, position={})",
            self.core.dialect(),
            self.core.position()
        )
    }
}

impl PyStreamDecoder {
    fn convert(&mut self, py: Python<'_>, events: &[Event]) -> PyResult<Vec<Py<PyAny>>> {
        let mut objects = Vec::with_capacity(events.len());
        for event in events {
            let object = event_to_py(py, event)?;
            match event {
                Event::ToolCallDone { .. } => self.tool_calls.push(object.clone_ref(py)),
                Event::Usage(usage) => self.usage = Some(usage_to_py(py, usage)?),
                _ => {}
            }
            objects.push(object);
        }
        Ok(objects)
    }

    fn deliver(
        &mut self,
        py: Python<'_>,
        outcome: Result<Vec<Event>, Failure>,
    ) -> PyResult<Vec<Py<PyAny>>> {
        match outcome {
            Ok(events) => self.convert(py, &events),
            Err(Failure { error, completed }) => {
                let completed = self.convert(py, &completed)?;
                let err = decode_error_with(py, &error, completed);
                if error.class == ErrorClass::Truncated {
                    let value = err.value(py);
                    value.setattr("partial_text", self.core.text())?;
                    let calls = self
                        .core
                        .unfinished_tool_calls()
                        .iter()
                        .map(|call| partial_call_to_py(py, call))
                        .collect::<PyResult<Vec<_>>>()?;
                    value.setattr("partial_tool_calls", PyList::new(py, calls)?)?;
                }
                Err(err)
            }
        }
    }
}

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<PyStreamDecoder>()
}
