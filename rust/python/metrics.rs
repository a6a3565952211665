//! Binding of `rust/metrics/`: `Metrics`, a frozen pyclass over an `Arc<Metrics>` that any
//! number of threads (and other native objects, such as `StreamDecoder`) record into.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyString};

use super::arguments::{argument_error, limit, py_repr, string, type_name};
use super::guard;
use crate::float_repr::python_float_repr;
use crate::metrics::{
    HistogramSummary, Kind, Metrics, MetricsError, SeriesValue, DEFAULT_MAX_SERIES,
};

/// Counters, gauges and latency histograms, keyed by name and labels; thread-safe.
#[pyclass(frozen, module = "fluent_ai._core", name = "Metrics")]
pub struct PyMetrics {
    inner: Arc<Metrics>,
}

impl PyMetrics {
    /// The shared core, for bindings that record natively (e.g. `StreamDecoder(metrics=...)`).
    pub(crate) fn inner(&self) -> &Arc<Metrics> {
        &self.inner
    }
}

/// The number given to `inc` / `observe` / `gauge_add`: a float or int at once; anything
/// else goes through `fluent_ai._validation.metric_number`, the rule both backends share
/// (`ArgumentTypeError` naming `argument` for a str, a bool or a non-number).
fn metric_number(value: &Bound<'_, PyAny>, argument: &str) -> PyResult<f64> {
    if let Ok(float) = value.cast_exact::<PyFloat>() {
        return Ok(float.value());
    }
    if value.is_exact_instance_of::<PyInt>() && !value.is_instance_of::<PyBool>() {
        if let Ok(number) = value.extract::<f64>() {
            return Ok(number);
        }
    }
    value
        .py()
        .import("fluent_ai._validation")?
        .getattr("metric_number")?
        .call1((argument, value))?
        .extract::<f64>()
}

/// The keyword labels of one call, checked: every value must be a `str`.
fn labels_of(labels: Option<&Bound<'_, PyDict>>) -> PyResult<Vec<(PyBackedStr, PyBackedStr)>> {
    let Some(labels) = labels else {
        return Ok(Vec::new());
    };
    let mut owned = Vec::with_capacity(labels.len());
    for (key, value) in labels.iter() {
        let Ok(text) = value.cast::<PyString>() else {
            let message = format!(
                "label {} must be a str, not {}",
                key.repr()?,
                type_name(&value)?
            );
            let label = key.extract::<String>()?;
            return Err(argument_error(labels.py(), &message, &label, "a str", true));
        };
        // Names and values that are not UTF-8 (a lone surrogate) are refused as the pure
        // backend refuses them.
        let Ok(name) = key.extract::<PyBackedStr>() else {
            let message = format!(
                "label name {} must match [a-zA-Z_][a-zA-Z0-9_]*",
                key.repr()?
            );
            let label = key.str()?.to_string_lossy().into_owned();
            return Err(argument_error(labels.py(), &message, &label, "", false));
        };
        let Ok(value) = text.extract::<PyBackedStr>() else {
            let message = format!(
                "label {} must be text without lone surrogates (valid UTF-8)",
                key.repr()?
            );
            return Err(argument_error(labels.py(), &message, &name, "", false));
        };
        owned.push((name, value));
    }
    Ok(owned)
}

/// Record through `body` with the name and labels of one Python call.
fn record(
    py: Python<'_>,
    name: &Bound<'_, PyAny>,
    labels: Option<&Bound<'_, PyDict>>,
    body: impl FnOnce(&str, &[(&str, &str)]) -> Result<(), MetricsError>,
) -> PyResult<()> {
    let text = string(name, "metric name")?;
    let Ok(name) = text.extract::<PyBackedStr>() else {
        // A lone surrogate matches no metric name (the pure backend's check and words).
        let message = format!(
            "metric name {} must match [a-zA-Z_:][a-zA-Z0-9_:]*",
            text.repr()?
        );
        return Err(argument_error(py, &message, "name", "", false));
    };
    let owned = labels_of(labels)?;
    let labels: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (&**k, &**v)).collect();
    guard(py, || {
        body(&name, &labels).map_err(|error| metrics_error(py, &error))
    })
}

/// The `ValueError` of a core error, worded as the pure-Python backend words it.
pub(crate) fn metrics_error(py: Python<'_>, error: &MetricsError) -> PyErr {
    // The argument at fault: the metric's name, a label (named by its keyword), or the value
    // (`inc(value)`, `observe(seconds)`, `gauge_add(delta)`).
    let argument = match error {
        MetricsError::MetricName(_) | MetricsError::KindConflict { .. } => "name",
        MetricsError::LabelName(name)
        | MetricsError::DuplicateLabel(name)
        | MetricsError::ReservedLabel(name) => name.as_str(),
        MetricsError::Value { kind, .. } => match kind {
            Kind::Counter => "value",
            Kind::Histogram => "seconds",
            Kind::Gauge => "delta",
        },
    };
    let message = match error {
        MetricsError::MetricName(name) => py_repr(py, name)
            .map(|name| format!("metric name {name} must match [a-zA-Z_:][a-zA-Z0-9_:]*")),
        MetricsError::LabelName(name) => py_repr(py, name)
            .map(|name| format!("label name {name} must match [a-zA-Z_][a-zA-Z0-9_]*")),
        MetricsError::DuplicateLabel(name) => {
            py_repr(py, name).map(|name| format!("label {name} given twice"))
        }
        MetricsError::ReservedLabel(name) => py_repr(py, name)
            .map(|name| format!("label name {name} is reserved for histogram quantiles")),
        MetricsError::KindConflict {
            name,
            existing,
            requested,
        } => py_repr(py, name).map(|name| {
            format!(
                "metric {name} is a {}, not a {}",
                existing.as_str(),
                requested.as_str()
            )
        }),
        MetricsError::Value { kind, value } => {
            let what = match kind {
                Kind::Counter => "counter increment must be finite and >= 0",
                Kind::Histogram => "observed seconds must be finite and >= 0",
                Kind::Gauge => "gauge delta must be finite",
            };
            Ok(format!("{what}, not {}", python_float_repr(*value)))
        }
    };
    match message {
        Ok(message) => argument_error(py, &message, argument, "", false),
        Err(error) => error,
    }
}

fn series_dict<'py, T>(
    py: Python<'py>,
    families: &std::collections::BTreeMap<String, Vec<SeriesValue<T>>>,
    value: impl Fn(&T) -> PyResult<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let outer = PyDict::new(py);
    for (name, series) in families {
        let inner = PyDict::new(py);
        for s in series {
            inner.set_item(&s.label_key, value(&s.value)?)?;
        }
        outer.set_item(name, inner)?;
    }
    Ok(outer)
}

fn histogram_dict<'py>(py: Python<'py>, h: &HistogramSummary) -> PyResult<Bound<'py, PyAny>> {
    let dict = PyDict::new(py);
    dict.set_item("count", h.count)?;
    dict.set_item("sum", h.sum)?;
    for (key, value) in ["p50", "p90", "p99", "p999"].iter().zip(h.quantiles) {
        dict.set_item(key, value)?;
    }
    Ok(dict.into_any())
}

#[pymethods]
impl PyMetrics {
    #[new]
    #[pyo3(signature = (max_series = None), text_signature = "(max_series=1000)")]
    fn new(max_series: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let max_series = limit(max_series, "max_series", 0, DEFAULT_MAX_SERIES as u64)?;
        Ok(Self {
            inner: Arc::new(Metrics::new(
                usize::try_from(max_series).unwrap_or(usize::MAX),
            )),
        })
    }

    /// Add ``value`` (finite, >= 0) to the counter ``name`` with these labels.
    #[pyo3(signature = (name, value = None, **labels), text_signature = "($self, name, value=1, **labels)")]
    fn inc(
        &self,
        py: Python<'_>,
        name: &Bound<'_, PyAny>,
        value: Option<&Bound<'_, PyAny>>,
        labels: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        // `None` (or nothing) is the default increment, 1, on both backends.
        let value = match value {
            Some(value) if !value.is_none() => metric_number(value, "value")?,
            _ => 1.0,
        };
        record(py, name, labels, |name, labels| {
            self.inner.inc(name, labels, value)
        })
    }

    /// Record a duration in seconds (finite, >= 0) in the histogram ``name``.
    #[pyo3(signature = (name, seconds, **labels))]
    fn observe(
        &self,
        py: Python<'_>,
        name: &Bound<'_, PyAny>,
        seconds: &Bound<'_, PyAny>,
        labels: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        let seconds = metric_number(seconds, "seconds")?;
        record(py, name, labels, |name, labels| {
            self.inner.observe(name, labels, seconds)
        })
    }

    /// Add ``delta`` (finite, may be negative) to the gauge ``name``; it keeps its peak.
    #[pyo3(signature = (name, delta, **labels))]
    fn gauge_add(
        &self,
        py: Python<'_>,
        name: &Bound<'_, PyAny>,
        delta: &Bound<'_, PyAny>,
        labels: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        let delta = metric_number(delta, "delta")?;
        record(py, name, labels, |name, labels| {
            self.inner.gauge_add(name, labels, delta)
        })
    }

    /// Every series now: ``{"counters": ..., "gauges": ..., "histograms": ...}``.
    fn snapshot<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        guard(py, || {
            let inner = &self.inner;
            let snapshot = py.detach(|| inner.snapshot());
            let dict = PyDict::new(py);
            dict.set_item(
                "counters",
                series_dict(py, &snapshot.counters, |v| {
                    Ok(v.into_pyobject(py)?.into_any())
                })?,
            )?;
            dict.set_item(
                "gauges",
                series_dict(py, &snapshot.gauges, |g| {
                    let gauge = PyDict::new(py);
                    gauge.set_item("value", g.value)?;
                    gauge.set_item("peak", g.peak)?;
                    Ok(gauge.into_any())
                })?,
            )?;
            dict.set_item(
                "histograms",
                series_dict(py, &snapshot.histograms, |h| histogram_dict(py, h))?,
            )?;
            Ok(dict)
        })
    }

    /// Every series in the Prometheus text exposition format 0.0.4.
    fn prometheus(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || {
            let inner = &self.inner;
            Ok(py.detach(|| inner.prometheus()))
        })
    }

    /// The label sets kept per metric name before folding into ``overflow="true"``.
    #[getter]
    fn max_series(&self) -> usize {
        self.inner.max_series()
    }

    fn __repr__(&self) -> String {
        format!("Metrics(max_series={})", self.inner.max_series())
    }
}

/// Benchmark helper: `n` recordings made from Rust (even: `inc`, odd: `observe`), each by
/// name and two unsorted labels, as a Python call would make them, with the GIL released.
#[pyfunction]
#[pyo3(name = "_metrics_record_loop")]
fn metrics_record_loop(py: Python<'_>, metrics: &Bound<'_, PyMetrics>, n: u64) -> PyResult<()> {
    let inner = Arc::clone(metrics.get().inner());
    guard(py, || {
        py.detach(|| {
            let labels = [("provider", "openai"), ("model", "gpt-4.1")];
            for i in 0..n {
                if i % 2 == 0 {
                    inner.inc("fluent_ai_bench_calls", &labels, 1.0)?;
                } else {
                    let seconds = (i % 1000) as f64 * 1e-4;
                    inner.observe("fluent_ai_bench_seconds", &labels, seconds)?;
                }
            }
            Ok(())
        })
        .map_err(|error| metrics_error(py, &error))
    })
}

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<PyMetrics>()?;
    module.add_function(wrap_pyfunction!(metrics_record_loop, module)?)
}
