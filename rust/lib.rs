//! fluent-ai native core: stream framers (SSE, NDJSON, AWS event-stream) and an incremental
//! JSON parser. The algorithms work on bytes and know nothing of Python; the `python` feature
//! adds the thin bindings in `python/`, and this file only registers them.

pub mod breaker;
pub mod dialect;
pub mod error;
pub mod events;
pub mod eventstream;
pub mod excerpt;
pub mod float_repr;
pub mod json;
pub mod metrics;
pub mod ndjson;
pub mod simd;
pub mod sse;
pub mod toolcall;

#[cfg(feature = "python")]
mod python;

/// The extension allocates many small, short-lived values per frame (keys, strings, event
/// payloads); mimalloc serves them faster than the system allocator (see README, Benchmarks).
#[cfg(feature = "python")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(feature = "python")]
#[pyo3::pymodule]
fn _core(module: &pyo3::Bound<'_, pyo3::types::PyModule>) -> pyo3::PyResult<()> {
    use pyo3::types::PyModuleMethods;

    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    // A bad FLUENT_AI_SIMD fails the import (a ValueError, which `fluent_ai._backend` does
    // not take for a missing module, so no silent fallback to the pure-Python backend).
    let level = simd::selected().map_err(pyo3::exceptions::PyValueError::new_err)?;
    module.add("SIMD_LEVEL", level.as_str())?;
    python::sse::register(module)?;
    python::ndjson::register(module)?;
    python::eventstream::register(module)?;
    python::json::register(module)?;
    python::loads::register(module)?;
    python::metrics::register(module)?;
    python::breaker::register(module)?;
    python::events::register(module)?;
    python::toolcall::register(module)?;
    python::dialect::register(module)?;
    Ok(())
}
