//! The normalized stream events as Python classes: immutable, compared by value, with a
//! short `repr`, `__match_args__` in field order and `to_dict()`. Fields hold Python objects,
//! so an event is built once from the core's [`Event`] and then costs nothing to read.

use pyo3::basic::CompareOp;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use pyo3::BoundObject;

use crate::events::{Event, PartialToolCall, Usage};

use super::value::value_to_py;

/// Builds the default value of an optional field (`None` in a table: the field is required).
type FieldDefault = Option<fn(Python<'_>) -> Py<PyAny>>;

/// Bind positional and keyword arguments to `fields`; `defaults[i]` is `None` for a required
/// field and otherwise builds its default.
fn bind_arguments(
    py: Python<'_>,
    class: &str,
    fields: &[&str],
    defaults: &[FieldDefault],
    args: &Bound<'_, PyTuple>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<Vec<Py<PyAny>>> {
    if args.len() > fields.len() {
        return Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "{class}() takes at most {} arguments ({} given)",
            fields.len(),
            args.len()
        )));
    }
    let mut values: Vec<Option<Py<PyAny>>> = fields.iter().map(|_| None).collect();
    for (slot, arg) in values.iter_mut().zip(args.iter()) {
        *slot = Some(arg.unbind());
    }
    if let Some(kwargs) = kwargs {
        for (key, value) in kwargs.iter() {
            let key: String = key.extract()?;
            let Some(i) = fields.iter().position(|f| *f == key) else {
                return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                    "{class}() got an unexpected keyword argument '{key}'"
                )));
            };
            if values[i].is_some() {
                return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                    "{class}() got multiple values for argument '{key}'"
                )));
            }
            values[i] = Some(value.unbind());
        }
    }
    values
        .into_iter()
        .zip(fields.iter().zip(defaults))
        .map(|(value, (field, default))| match (value, default) {
            (Some(value), _) => Ok(value),
            (None, Some(make)) => Ok(make(py)),
            (None, None) => Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "{class}() missing required argument: '{field}'"
            ))),
        })
        .collect()
}

/// The public constructor's check of the field types (`fluent_ai._event_fields.check_event`,
/// shared with the pure classes: same errors, same messages). The decoders build their events
/// with the struct literals of `event_to_py`, which never come here.
fn check_fields(
    py: Python<'_>,
    class: &str,
    fields: &[&str],
    values: &[Py<PyAny>],
) -> PyResult<()> {
    let names = PyTuple::new(py, fields)?;
    let values = PyTuple::new(py, values.iter().map(|v| v.clone_ref(py)))?;
    py.import("fluent_ai._event_fields")?
        .getattr("check_event")?
        .call1((class, names, values))?;
    Ok(())
}

/// A field whose `repr` is longer than this many characters (code points) is cut short.
const FIELD_LIMIT: usize = 80;
/// How many characters of a cut `repr` are shown (as `fluent_ai/_short_repr.py`).
const FIELD_HEAD: usize = 60;

/// `repr(value)`, or its first `FIELD_HEAD` characters, `...` and its length when it is longer
/// than `FIELD_LIMIT` (a 1 MB argument text must not make a 1 MB log line).
fn field_repr(value: &Bound<'_, PyAny>) -> PyResult<String> {
    let text = value.repr()?;
    let text = text.to_cow()?;
    let count = text.chars().count();
    if count <= FIELD_LIMIT {
        return Ok(text.into_owned());
    }
    let head: String = text.chars().take(FIELD_HEAD).collect();
    Ok(format!("{head}...<{count} chars>"))
}

fn repr_fields(
    py: Python<'_>,
    class: &str,
    fields: &[&str],
    values: &[&Py<PyAny>],
) -> PyResult<String> {
    let mut text = format!("{class}(");
    for (i, (field, value)) in fields.iter().zip(values).enumerate() {
        if i > 0 {
            text.push_str(", ");
        }
        text.push_str(field);
        text.push('=');
        text.push_str(&field_repr(value.bind(py))?);
    }
    text.push(')');
    Ok(text)
}

/// The fields by name, in order; the values are the event's own objects (not copies).
fn fields_dict<'py>(
    py: Python<'py>,
    fields: &[&str],
    values: &[&Py<PyAny>],
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (field, value) in fields.iter().zip(values) {
        dict.set_item(*field, value.clone_ref(py))?;
    }
    Ok(dict)
}

fn values_tuple<'py>(py: Python<'py>, values: &[&Py<PyAny>]) -> PyResult<Bound<'py, PyTuple>> {
    PyTuple::new(py, values.iter().map(|v| v.clone_ref(py)))
}

fn zero(py: Python<'_>) -> Py<PyAny> {
    0i64.into_pyobject(py)
        .map(|v| v.into_any().unbind())
        .unwrap_or_else(|_| py.None())
}

fn none(py: Python<'_>) -> Py<PyAny> {
    py.None()
}

macro_rules! event_class {
    (
        $(#[doc = $doc:literal])*
        $rust:ident, $name:literal, $signature:literal,
        [$($field:ident as $pyname:literal = $default:expr),* $(,)?]
    ) => {
        $(#[doc = $doc])*
        #[pyclass(frozen, module = "fluent_ai._core", name = $name)]
        pub struct $rust {
            $(#[pyo3(get, name = $pyname)] pub $field: Py<PyAny>,)*
        }

        impl $rust {
            const FIELDS: &'static [&'static str] = &[$($pyname),*];

            fn values(&self) -> Vec<&Py<PyAny>> {
                vec![$(&self.$field),*]
            }
        }

        #[pymethods]
        impl $rust {
            #[new]
            #[pyo3(signature = (*args, **kwargs), text_signature = $signature)]
            fn py_new(
                py: Python<'_>,
                args: &Bound<'_, PyTuple>,
                kwargs: Option<&Bound<'_, PyDict>>,
            ) -> PyResult<Self> {
                let defaults: &[FieldDefault] = &[$($default),*];
                let values = bind_arguments(py, $name, Self::FIELDS, defaults, args, kwargs)?;
                check_fields(py, $name, Self::FIELDS, &values)?;
                let mut values = values.into_iter();
                Ok(Self { $($field: values.next().unwrap_or_else(|| py.None()),)* })
            }

            #[classattr]
            fn __match_args__(py: Python<'_>) -> PyResult<Bound<'_, PyTuple>> {
                PyTuple::new(py, Self::FIELDS)
            }

            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                repr_fields(py, $name, Self::FIELDS, &self.values())
            }

            /// The fields by name, in `__match_args__` order: plain data (`json.dumps` takes
            /// it; the arguments of a tool call are the event's own object, not a copy), and
            /// the keyword arguments that build the event again (`type(event)(**event.to_dict())`).
            fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
                fields_dict(py, Self::FIELDS, &self.values())
            }

            fn __richcmp__(
                &self,
                py: Python<'_>,
                other: &Bound<'_, PyAny>,
                op: CompareOp,
            ) -> PyResult<Py<PyAny>> {
                let Ok(other) = other.cast::<Self>() else {
                    return Ok(py.NotImplemented());
                };
                let mine = values_tuple(py, &self.values())?;
                let theirs = values_tuple(py, &other.get().values())?;
                match op {
                    CompareOp::Eq => Ok(mine.eq(theirs)?.into_pyobject(py)?.to_owned().into_any().unbind()),
                    CompareOp::Ne => Ok(mine.ne(theirs)?.into_pyobject(py)?.to_owned().into_any().unbind()),
                    _ => Ok(py.NotImplemented()),
                }
            }

            fn __reduce__<'py>(
                slf: &Bound<'py, Self>,
            ) -> PyResult<(Bound<'py, pyo3::types::PyType>, Bound<'py, PyTuple>)> {
                Ok((slf.get_type(), values_tuple(slf.py(), &slf.get().values())?))
            }

            fn __hash__(&self, py: Python<'_>) -> PyResult<isize> {
                values_tuple(py, &self.values())?.hash()
            }
        }
    };
}

event_class!(
    /// A piece of the answer's text; `index` is the choice (0 unless several were asked for).
    TextDelta, "TextDelta", "(text, index=0)",
    [text as "text" = None, index as "index" = Some(zero)]
);
event_class!(
    /// A piece of the model's reasoning (thinking) text.
    ReasoningDelta, "ReasoningDelta", "(text)",
    [text as "text" = None]
);
event_class!(
    /// A tool call began.
    ToolCallStart, "ToolCallStart", "(index, id, name)",
    [index as "index" = None, id as "id" = None, name as "name" = None]
);
event_class!(
    /// A piece of a tool call's argument text.
    ToolCallDelta, "ToolCallDelta", "(index, fragment)",
    [index as "index" = None, fragment as "fragment" = None]
);
event_class!(
    /// A tool call whose arguments closed: `arguments` is the parsed value, `raw` its text.
    ToolCallDone, "ToolCallDone", "(index, id, name, arguments, raw)",
    [index as "index" = None, id as "id" = None, name as "name" = None,
     arguments as "arguments" = None, raw as "raw" = None]
);
event_class!(
    /// A tool call whose arguments are not valid JSON (the model's fault; the stream goes on).
    ToolCallInvalid, "ToolCallInvalid", "(index, id, name, raw, error)",
    [index as "index" = None, id as "id" = None, name as "name" = None,
     raw as "raw" = None, error as "error" = None]
);
event_class!(
    /// Token counts; a field the provider did not send is None.
    UsageEvent, "Usage",
    "(input_tokens=None, output_tokens=None, total_tokens=None, cache_read_tokens=None, cache_write_tokens=None, reasoning_tokens=None)",
    [input_tokens as "input_tokens" = Some(none), output_tokens as "output_tokens" = Some(none),
     total_tokens as "total_tokens" = Some(none), cache_read_tokens as "cache_read_tokens" = Some(none),
     cache_write_tokens as "cache_write_tokens" = Some(none),
     reasoning_tokens as "reasoning_tokens" = Some(none)]
);
event_class!(
    /// The end of the response: `reason` normalized, `raw_reason` the provider's word.
    Finish, "Finish", "(reason, raw_reason)",
    [reason as "reason" = None, raw_reason as "raw_reason" = None]
);
event_class!(
    /// An error the provider sent inside the stream; `raw` is the payload as received.
    ProviderErrorEvent, "ProviderErrorEvent", "(type, message, raw)",
    [error_type as "type" = None, message as "message" = None, raw as "raw" = None]
);
event_class!(
    /// A tool call that had not finished when its stream broke off.
    PyPartialToolCall, "PartialToolCall", "(index, id, name, raw, partial)",
    [index as "index" = None, id as "id" = None, name as "name" = None,
     raw as "raw" = None, partial as "partial" = None]
);

fn obj<'py, T: IntoPyObject<'py>>(py: Python<'py>, value: T) -> PyResult<Py<PyAny>> {
    value
        .into_pyobject(py)
        .map(|v| v.into_any().unbind())
        .map_err(Into::into)
}

/// The Python event for a core event.
pub fn event_to_py(py: Python<'_>, event: &Event) -> PyResult<Py<PyAny>> {
    let object = match event {
        Event::Text { text, index } => Py::new(
            py,
            TextDelta {
                text: obj(py, text)?,
                index: obj(py, index)?,
            },
        )?
        .into_any(),
        Event::Reasoning { text } => Py::new(
            py,
            ReasoningDelta {
                text: obj(py, text)?,
            },
        )?
        .into_any(),
        Event::ToolCallStart { index, id, name } => Py::new(
            py,
            ToolCallStart {
                index: obj(py, index)?,
                id: obj(py, id)?,
                name: obj(py, name)?,
            },
        )?
        .into_any(),
        Event::ToolCallDelta { index, fragment } => Py::new(
            py,
            ToolCallDelta {
                index: obj(py, index)?,
                fragment: obj(py, fragment)?,
            },
        )?
        .into_any(),
        Event::ToolCallDone {
            index,
            id,
            name,
            arguments,
            raw,
        } => Py::new(
            py,
            ToolCallDone {
                index: obj(py, index)?,
                id: obj(py, id)?,
                name: obj(py, name)?,
                arguments: value_to_py(py, arguments)?,
                raw: obj(py, raw)?,
            },
        )?
        .into_any(),
        Event::ToolCallInvalid {
            index,
            id,
            name,
            raw,
            error,
        } => Py::new(
            py,
            ToolCallInvalid {
                index: obj(py, index)?,
                id: obj(py, id)?,
                name: obj(py, name)?,
                raw: obj(py, raw)?,
                error: obj(py, error)?,
            },
        )?
        .into_any(),
        Event::Usage(usage) => usage_to_py(py, usage)?,
        Event::Finish { reason, raw_reason } => Py::new(
            py,
            Finish {
                reason: obj(py, reason.as_str())?,
                raw_reason: obj(py, raw_reason.as_deref())?,
            },
        )?
        .into_any(),
        Event::ProviderError {
            error_type,
            message,
            raw,
        } => Py::new(
            py,
            ProviderErrorEvent {
                error_type: obj(py, error_type.as_deref())?,
                message: obj(py, message)?,
                raw: obj(py, raw)?,
            },
        )?
        .into_any(),
    };
    Ok(object)
}

/// The Python `Usage` event.
pub fn usage_to_py(py: Python<'_>, usage: &Usage) -> PyResult<Py<PyAny>> {
    Ok(Py::new(
        py,
        UsageEvent {
            input_tokens: obj(py, usage.input_tokens)?,
            output_tokens: obj(py, usage.output_tokens)?,
            total_tokens: obj(py, usage.total_tokens)?,
            cache_read_tokens: obj(py, usage.cache_read_tokens)?,
            cache_write_tokens: obj(py, usage.cache_write_tokens)?,
            reasoning_tokens: obj(py, usage.reasoning_tokens)?,
        },
    )?
    .into_any())
}

/// The Python `PartialToolCall`.
pub fn partial_call_to_py(py: Python<'_>, call: &PartialToolCall) -> PyResult<Py<PyAny>> {
    let partial = match &call.partial {
        Some(value) => value_to_py(py, value)?,
        None => py.None(),
    };
    Ok(Py::new(
        py,
        PyPartialToolCall {
            index: obj(py, call.index)?,
            id: obj(py, &call.id)?,
            name: obj(py, &call.name)?,
            raw: obj(py, &call.raw)?,
            partial,
        },
    )?
    .into_any())
}

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<TextDelta>()?;
    module.add_class::<ReasoningDelta>()?;
    module.add_class::<ToolCallStart>()?;
    module.add_class::<ToolCallDelta>()?;
    module.add_class::<ToolCallDone>()?;
    module.add_class::<ToolCallInvalid>()?;
    module.add_class::<UsageEvent>()?;
    module.add_class::<Finish>()?;
    module.add_class::<ProviderErrorEvent>()?;
    module.add_class::<PyPartialToolCall>()?;
    Ok(())
}
