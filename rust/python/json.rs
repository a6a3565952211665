//! `JsonStream`: the incremental JSON parser, building Python objects as values close.
//!
//! Open containers are live Python lists and dicts; a finished value is appended to its
//! parent once, so `partial()` only copies the open containers along the current path
//! (shallow copies: completed sub-values are shared, never rebuilt).

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString};

use super::arguments::{limit, type_error};
use super::key_cache::KeyCache;
use super::text::borrow_utf8;
use super::{decode_error, guard};
use crate::error::DecodeError;
use crate::json::{JsonParser, Sink, DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH};

enum Frame {
    Array(Py<PyList>),
    /// An object and the key its next member will have.
    Object(Py<PyDict>, Option<Py<PyString>>),
}

/// The Python values built so far.
#[derive(Default)]
pub(crate) struct Tree {
    stack: Vec<Frame>,
    pub(crate) root: Option<Py<PyAny>>,
    keys: KeyCache,
    /// The first Python error raised while building (only on memory exhaustion and the like).
    pub(crate) error: Option<PyErr>,
}

/// Adapts the parser's events to Python object construction for one call.
pub(crate) struct PySink<'a, 'py> {
    pub(crate) py: Python<'py>,
    pub(crate) tree: &'a mut Tree,
}

impl PySink<'_, '_> {
    fn attach(&mut self, value: Bound<'_, PyAny>) {
        let result = match self.tree.stack.last_mut() {
            None => {
                self.tree.root = Some(value.unbind());
                Ok(())
            }
            Some(Frame::Array(list)) => list.bind(self.py).append(value),
            Some(Frame::Object(dict, key)) => match key.take() {
                Some(key) => dict.bind(self.py).set_item(key, value),
                None => Ok(()),
            },
        };
        if let Err(error) = result {
            self.tree.error.get_or_insert(error);
        }
    }
}

impl Sink for PySink<'_, '_> {
    fn begin_array(&mut self) {
        let list = PyList::empty(self.py).unbind();
        self.tree.stack.push(Frame::Array(list));
    }

    fn begin_object(&mut self) {
        let dict = PyDict::new(self.py).unbind();
        self.tree.stack.push(Frame::Object(dict, None));
    }

    fn end_container(&mut self) {
        let value = match self.tree.stack.pop() {
            Some(Frame::Array(list)) => list.into_bound(self.py).into_any(),
            Some(Frame::Object(dict, _)) => dict.into_bound(self.py).into_any(),
            None => return,
        };
        self.attach(value);
    }

    fn key(&mut self, key: &str) {
        if let Some(Frame::Object(_, pending)) = self.tree.stack.last_mut() {
            *pending = Some(self.tree.keys.get(self.py, key).unbind());
        }
    }

    fn string(&mut self, value: &str) {
        let value = PyString::new(self.py, value).into_any();
        self.attach(value);
    }

    fn integer(&mut self, text: &str) {
        let value = match text.parse::<i64>() {
            Ok(small) => Ok(PyInt::new(self.py, small).into_any()),
            // Beyond 64 bits: let Python's int() build it (the digit count is bounded).
            Err(_) => self.py.get_type::<PyInt>().call1((text,)),
        };
        match value {
            Ok(value) => self.attach(value),
            Err(error) => {
                self.tree.error.get_or_insert(error);
            }
        }
    }

    fn float(&mut self, value: f64) {
        let value = PyFloat::new(self.py, value).into_any();
        self.attach(value);
    }

    fn boolean(&mut self, value: bool) {
        let value = PyBool::new(self.py, value).to_owned().into_any();
        self.attach(value);
    }

    fn null(&mut self) {
        let value = self.py.None().into_bound(self.py);
        self.attach(value);
    }
}

/// Push parser for one JSON text (RFC 8259), fed in fragments of any size.
#[pyclass(module = "fluent_ai._core", name = "JsonStream")]
pub struct PyJsonStream {
    parser: JsonParser,
    tree: Tree,
}

#[pymethods]
impl PyJsonStream {
    #[new]
    #[pyo3(
        signature = (max_depth = None, max_bytes = None),
        text_signature = "(max_depth=256, max_bytes=67108864)"
    )]
    fn new(
        max_depth: Option<&Bound<'_, PyAny>>,
        max_bytes: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let max_depth = limit(max_depth, "max_depth", 0, DEFAULT_MAX_DEPTH as u64)?;
        let max_bytes = limit(max_bytes, "max_bytes", 0, DEFAULT_MAX_BYTES)?;
        Ok(Self {
            parser: JsonParser::new(usize::try_from(max_depth).unwrap_or(usize::MAX), max_bytes),
            tree: Tree::default(),
        })
    }

    /// Consume a fragment; return `True` once the top-level value is complete.
    // On CPython 3.10+ `super::fastcall` replaces this method (a faster calling convention).
    fn feed(&mut self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<bool> {
        self.feed_any(py, data)
    }

    /// Signal the end of input and return the value.
    fn finish(&mut self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.parse(py, |parser, sink| parser.finish(sink).map(|()| true))?;
        Ok(self
            .tree
            .root
            .as_ref()
            .map_or_else(|| py.None(), |root| root.clone_ref(py)))
    }

    /// The value as if the input received so far were closed here (`None` before one).
    fn partial(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        if let Some(root) = &self.tree.root {
            return Ok(root.clone_ref(py));
        }
        let mut child: Option<Bound<'_, PyAny>> = self
            .parser
            .partial_string()
            .map(|text| PyString::new(py, text).into_any());
        for frame in self.tree.stack.iter().rev() {
            child = Some(match frame {
                Frame::Array(list) => {
                    let list = list.bind(py);
                    let copy = list.get_slice(0, list.len());
                    if let Some(child) = child {
                        copy.append(child)?;
                    }
                    copy.into_any()
                }
                Frame::Object(dict, key) => {
                    let copy = dict.bind(py).copy()?;
                    if let (Some(child), Some(key)) = (child, key) {
                        copy.set_item(key, child)?;
                    }
                    copy.into_any()
                }
            });
        }
        Ok(child.map_or_else(|| py.None(), Bound::unbind))
    }

    /// Whether the top-level value is complete.
    #[getter]
    fn complete(&self) -> bool {
        self.parser.is_complete()
    }

    /// Bytes consumed so far (UTF-8 bytes for `str` input).
    #[getter]
    fn position(&self) -> u64 {
        self.parser.position()
    }

    fn __repr__(&self) -> String {
        format!(
            "JsonStream(position={}, complete={})",
            self.parser.position(),
            if self.parser.is_complete() {
                "True"
            } else {
                "False"
            }
        )
    }
}

impl PyJsonStream {
    /// `feed()`'s body, shared by both calling conventions.
    pub(crate) fn feed_any(&mut self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<bool> {
        // `str` first: streamed deltas are text.
        if let Ok(text) = data.cast::<PyString>() {
            if let Some(utf8) = borrow_utf8(text) {
                return self.parse(py, |parser, sink| parser.feed_str(utf8, sink));
            }
            // A lone surrogate (or no borrowing call): encoded so that a surrogate becomes
            // bytes rejected as invalid UTF-8, as on the pure backend.
            let encoded = encode_utf8_surrogatepass(text)?;
            return self.parse(py, |parser, sink| parser.feed(encoded.as_bytes(), sink));
        }
        let Ok(bytes) = data.cast::<PyBytes>() else {
            let message = format!(
                "JsonStream.feed() takes str or bytes, not {}",
                data.get_type().name()?
            );
            return Err(type_error(py, &message, "data"));
        };
        self.parse(py, |parser, sink| parser.feed(bytes.as_bytes(), sink))
    }

    /// Run one parser call with a sink building this stream's Python values.
    fn parse(
        &mut self,
        py: Python<'_>,
        call: impl FnOnce(&mut JsonParser, &mut PySink<'_, '_>) -> Result<bool, DecodeError>,
    ) -> PyResult<bool> {
        guard(py, || {
            let mut sink = PySink {
                py,
                tree: &mut self.tree,
            };
            let outcome = call(&mut self.parser, &mut sink);
            if let Some(error) = self.tree.error.take() {
                return Err(error);
            }
            outcome.map_err(|error| decode_error(py, &error))
        })
    }
}

/// `text.encode("utf-8", "surrogatepass")`: a lone surrogate becomes bytes the parser rejects
/// as invalid UTF-8, exactly as on the pure-Python backend.
pub(crate) fn encode_utf8_surrogatepass<'py>(
    text: &Bound<'py, PyString>,
) -> PyResult<Bound<'py, PyBytes>> {
    let py = text.py();
    // SAFETY: `text` is a live `str` (we hold a reference to it) and both names are
    // NUL-terminated static strings; the call returns a new reference or NULL with an
    // exception set, which `from_owned_ptr_or_err` turns into `Err`.
    let encoded = unsafe {
        Bound::from_owned_ptr_or_err(
            py,
            pyo3::ffi::PyUnicode_AsEncodedString(
                text.as_ptr(),
                c"utf-8".as_ptr(),
                c"surrogatepass".as_ptr(),
            ),
        )?
    };
    Ok(encoded.cast_into::<PyBytes>()?)
}

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<PyJsonStream>()?;
    super::fastcall::install(&module.py().get_type::<PyJsonStream>())
}
