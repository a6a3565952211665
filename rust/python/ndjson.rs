//! `NdjsonDecoder`: newline-delimited JSON, each line parsed straight into Python objects.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};

use super::arguments::{limit, type_error, type_name};
use super::json::{PySink, Tree};
use super::{decode_error_with, guard};
use crate::error::DecodeError;
use crate::ndjson::{parse_line, LineSplitter, DEFAULT_MAX_LINE_BYTES};

/// Newline-delimited JSON: one JSON value per line, blank lines skipped, CRLF accepted.
#[pyclass(module = "fluent_ai._core", name = "NdjsonDecoder")]
pub struct PyNdjsonDecoder {
    splitter: LineSplitter,
}

/// Parses each line into a Python value, collecting the values of one call.
struct LineParser<'py> {
    py: Python<'py>,
    values: Vec<Py<PyAny>>,
    error: Option<PyErr>,
}

impl LineParser<'_> {
    fn line(&mut self, line: &[u8], start: u64) -> Result<(), DecodeError> {
        let mut tree = Tree::default();
        let mut sink = PySink {
            py: self.py,
            tree: &mut tree,
        };
        parse_line(line, start, &mut sink)?;
        if let Some(error) = tree.error.take() {
            self.error.get_or_insert(error);
        }
        if let Some(value) = tree.root.take() {
            self.values.push(value);
        }
        Ok(())
    }

    fn into_list(self, outcome: Result<(), DecodeError>) -> PyResult<Py<PyList>> {
        if let Some(error) = self.error {
            return Err(error);
        }
        match outcome {
            Err(error) => Err(decode_error_with(self.py, &error, self.values)),
            Ok(()) => Ok(PyList::new(self.py, self.values)?.unbind()),
        }
    }
}

#[pymethods]
impl PyNdjsonDecoder {
    #[new]
    #[pyo3(
        signature = (max_line_bytes = None),
        text_signature = "(max_line_bytes=8388608)"
    )]
    fn new(max_line_bytes: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let default = DEFAULT_MAX_LINE_BYTES as u64;
        let max_line_bytes = limit(max_line_bytes, "max_line_bytes", 0, default)?;
        Ok(Self {
            splitter: LineSplitter::new(usize::try_from(max_line_bytes).unwrap_or(usize::MAX)),
        })
    }

    /// Consume a chunk; return the values of the lines it completes.
    fn feed(&mut self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<Py<PyList>> {
        let Ok(bytes) = data.cast::<PyBytes>() else {
            let message = format!(
                "NdjsonDecoder.feed() argument must be bytes, not {}",
                type_name(data)?
            );
            return Err(type_error(py, &message, "data"));
        };
        let data = bytes.as_bytes();
        guard(py, || {
            let mut parser = LineParser {
                py,
                values: Vec::new(),
                error: None,
            };
            let outcome = self
                .splitter
                .feed(data, |line, start| parser.line(line, start));
            parser.into_list(outcome)
        })
    }

    /// Signal end of input; a last line without a newline is parsed here.
    fn finish(&mut self, py: Python<'_>) -> PyResult<Py<PyList>> {
        guard(py, || {
            let mut parser = LineParser {
                py,
                values: Vec::new(),
                error: None,
            };
            let outcome = self.splitter.finish(|line, start| parser.line(line, start));
            parser.into_list(outcome)
        })
    }

    /// Bytes consumed so far.
    #[getter]
    fn position(&self) -> u64 {
        self.splitter.position()
    }

    fn __repr__(&self) -> String {
        format!("NdjsonDecoder(position={})", self.splitter.position())
    }
}

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<PyNdjsonDecoder>()
}
