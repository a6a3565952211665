//! Binding of `rust/breaker.rs`: `CircuitBreaker`, a frozen pyclass over the lock-free core.
//!
//! The clock is Rust's monotonic clock when none is given (or `time.monotonic` itself, which
//! reads the same `CLOCK_MONOTONIC`), so the common case never calls back into Python;
//! any other callable is called, only when a transition needs the time.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

use super::arguments::{argument_error, limit, number_at_least, py_repr, type_name};
use super::guard;
use crate::breaker::{monotonic_seconds, BreakerConfigError, CircuitBreaker};
use crate::float_repr::python_float_repr;

/// A thread-safe circuit breaker: ``closed`` -> ``open`` -> ``half_open`` -> ``closed``.
#[pyclass(frozen, module = "fluent_ai._core", name = "CircuitBreaker")]
pub struct PyCircuitBreaker {
    core: CircuitBreaker,
    /// `None`: the Rust monotonic clock.
    clock: Option<Py<PyAny>>,
}

impl PyCircuitBreaker {
    fn now(&self, py: Python<'_>) -> PyResult<f64> {
        let Some(clock) = &self.clock else {
            return Ok(monotonic_seconds());
        };
        let value = clock.bind(py).call0()?;
        value.extract::<f64>().map_err(|_| match type_name(&value) {
            Ok(name) => PyTypeError::new_err(format!("clock() must return a number, not {name}")),
            Err(error) => error,
        })
    }
}

#[pymethods]
impl PyCircuitBreaker {
    #[new]
    #[pyo3(
        signature = (
            failure_threshold = None, recovery_time = None, half_open_max_calls = None, clock = None
        ),
        text_signature = "(failure_threshold=5, recovery_time=30.0, half_open_max_calls=1, clock=None)"
    )]
    fn new(
        py: Python<'_>,
        failure_threshold: Option<&Bound<'_, PyAny>>,
        recovery_time: Option<&Bound<'_, PyAny>>,
        half_open_max_calls: Option<&Bound<'_, PyAny>>,
        clock: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let failure_threshold = limit(failure_threshold, "failure_threshold", 1, 5)?;
        let recovery_time = match recovery_time {
            Some(value) if !value.is_none() => number_at_least(value, "recovery_time", 0.0)?,
            _ => 30.0,
        };
        let half_open_max_calls = limit(half_open_max_calls, "half_open_max_calls", 1, 1)?;
        let core = CircuitBreaker::new(failure_threshold, recovery_time, half_open_max_calls)
            .map_err(|error| {
                PyValueError::new_err(match error {
                    BreakerConfigError::FailureThreshold => {
                        "failure_threshold must be at least 1".to_string()
                    }
                    BreakerConfigError::HalfOpenMaxCalls => {
                        "half_open_max_calls must be at least 1".to_string()
                    }
                    BreakerConfigError::RecoveryTime => format!(
                        "recovery_time must be finite and >= 0, not {}",
                        python_float_repr(recovery_time)
                    ),
                })
            })?;
        let clock = match clock {
            None => None,
            Some(clock) if clock.is(&py.import("time")?.getattr("monotonic")?) => None,
            Some(clock) if clock.is_callable() => Some(clock.unbind()),
            Some(clock) => {
                let message = format!("clock must be callable, not {}", type_name(&clock)?);
                return Err(argument_error(py, &message, "clock", "a callable", true));
            }
        };
        Ok(Self { core, clock })
    }

    /// May a call go ahead now? In ``half_open`` each ``True`` is one trial call, whose
    /// outcome must be reported with ``record_success()`` or ``record_failure()``.
    fn allow(&self, py: Python<'_>) -> PyResult<bool> {
        guard(py, || self.core.allow_at(|| self.now(py)))
    }

    /// A call succeeded: reset the failure count, or close a half-open breaker.
    fn record_success(&self, py: Python<'_>) -> PyResult<()> {
        guard(py, || {
            self.core.record_success();
            Ok(())
        })
    }

    /// A call failed: count it; open at the threshold, or reopen a half-open breaker.
    fn record_failure(&self, py: Python<'_>) -> PyResult<()> {
        guard(py, || self.core.record_failure_at(|| self.now(py)))
    }

    /// ``"closed"``, ``"open"`` or ``"half_open"``.
    #[getter]
    fn state(&self) -> &'static str {
        self.core.state().as_str()
    }

    #[getter]
    fn failure_threshold(&self) -> u64 {
        self.core.failure_threshold()
    }

    #[getter]
    fn recovery_time(&self) -> f64 {
        self.core.recovery_time()
    }

    #[getter]
    fn half_open_max_calls(&self) -> u64 {
        self.core.half_open_max_calls()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "CircuitBreaker(state={}, failure_threshold={}, recovery_time={}, \
             half_open_max_calls={})",
            py_repr(py, self.core.state().as_str())?,
            self.core.failure_threshold(),
            python_float_repr(self.core.recovery_time()),
            self.core.half_open_max_calls()
        ))
    }
}

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<PyCircuitBreaker>()
}
