//! The value cells of counters and gauges: `f64`s kept as bits in `AtomicU64`s.
//!
//! Additions are compare-and-swap loops (lock-free: a retry means another thread's update
//! went through); reads are single loads. Sequences of additions give exactly the results of
//! the same sequence of float additions, which is what the pure-Python backend does.

use std::sync::atomic::{AtomicU64, Ordering};

/// An `f64` stored in an `AtomicU64`.
#[derive(Debug)]
pub(crate) struct AtomicF64(AtomicU64);

impl AtomicF64 {
    pub(crate) fn new(value: f64) -> Self {
        Self(AtomicU64::new(value.to_bits()))
    }

    pub(crate) fn load(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Relaxed))
    }

    /// Add `delta`; return the new value.
    pub(crate) fn add(&self, delta: f64) -> f64 {
        let mut current = self.0.load(Ordering::Relaxed);
        loop {
            let new = f64::from_bits(current) + delta;
            match self.0.compare_exchange_weak(
                current,
                new.to_bits(),
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return new,
                Err(actual) => current = actual,
            }
        }
    }

    /// Raise the value to `candidate` if that is larger.
    pub(crate) fn raise_to(&self, candidate: f64) {
        let mut current = self.0.load(Ordering::Relaxed);
        while candidate > f64::from_bits(current) {
            match self.0.compare_exchange_weak(
                current,
                candidate.to_bits(),
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
    }
}

/// A monotonically increasing total.
#[derive(Debug)]
pub(crate) struct CounterCell {
    total: AtomicF64,
}

impl CounterCell {
    pub(crate) fn new() -> Self {
        Self {
            total: AtomicF64::new(0.0),
        }
    }

    pub(crate) fn add(&self, value: f64) {
        self.total.add(value);
    }

    pub(crate) fn value(&self) -> f64 {
        self.total.load()
    }
}

/// A value that goes up and down, with the highest value it has held (starting at 0).
#[derive(Debug)]
pub(crate) struct GaugeCell {
    value: AtomicF64,
    peak: AtomicF64,
}

impl GaugeCell {
    pub(crate) fn new() -> Self {
        Self {
            value: AtomicF64::new(0.0),
            peak: AtomicF64::new(0.0),
        }
    }

    pub(crate) fn add(&self, delta: f64) {
        // Each addition yields the value it produced, so every value the gauge ever held is
        // offered to the peak, whatever the interleaving.
        let new = self.value.add(delta);
        self.peak.raise_to(new);
    }

    pub(crate) fn value(&self) -> f64 {
        self.value.load()
    }

    pub(crate) fn peak(&self) -> f64 {
        self.peak.load()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauge_keeps_its_peak() {
        let gauge = GaugeCell::new();
        gauge.add(3.0);
        gauge.add(-1.0);
        gauge.add(2.5);
        gauge.add(-10.0);
        assert_eq!(gauge.value(), -5.5);
        assert_eq!(gauge.peak(), 4.5);
    }

    #[test]
    fn a_gauge_that_only_falls_peaks_at_zero() {
        let gauge = GaugeCell::new();
        gauge.add(-2.0);
        assert_eq!(gauge.peak(), 0.0);
    }
}
