//! Latency histograms with log-linear buckets: quantiles within 0.78 % relative error.
//!
//! Bucket scheme (the pure-Python backend, `_purepy/metrics.py`, uses the same numbers, so
//! both report identical quantiles): write a value as `m * 2**e` with `m` in `[0.5, 1)`
//! (C `frexp`); each octave `[2**(e-1), 2**e)` is cut into 64 equal sub-buckets, the
//! sub-bucket being the top 6 bits of the mantissa. Bucket `(e, j)` covers
//! `[(64 + j) * 2**(e-7), (65 + j) * 2**(e-7))` and reports `2 * lo * hi / (lo + hi)`, which is
//! within `(hi - lo) / (hi + lo) = 1 / (129 + 2j) <= 1/129` (0.78 %) of every value in it.
//! Octaves cover `[2**-30 s, 2**16 s)` (0.93 ns to 18.2 hours); smaller values (and 0) share
//! an underflow bucket, larger ones an overflow bucket. Every reported quantile is clamped to
//! the smallest and largest values observed, which keeps the bound (the true value lies in
//! that range too); so the underflow bucket reports the smallest value observed and the
//! overflow bucket the largest.
//!
//! The quantile `q` of `n` observations is the nearest-rank one: the value of rank
//! `max(1, ceil(q * n))` in sorted order; the bound above holds against it exactly.
//!
//! Octave blocks are allocated on first use (a `OnceLock` per octave), so a series costs
//! about 800 bytes plus 512 bytes per octave its values actually reach. Updates are atomic
//! increments; no lock is taken once a block exists.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use super::cells::AtomicF64;

/// Sub-buckets per octave (the top `SUB_BITS` bits of the mantissa).
const SUB_BITS: u32 = 6;
const SUBS: usize = 1 << SUB_BITS;
/// `frexp` exponents of the first and last octave: values in `[2**-30, 2**16)`.
pub const MIN_EXPONENT: i32 = -29;
pub const MAX_EXPONENT: i32 = 16;
const OCTAVES: usize = (MAX_EXPONENT - MIN_EXPONENT + 1) as usize;
/// Index of the overflow bucket; 0 is the underflow bucket.
const OVERFLOW: usize = OCTAVES * SUBS + 1;

/// The quantiles every histogram reports: p50, p90, p99, p99.9.
pub const QUANTILES: [f64; 4] = [0.5, 0.9, 0.99, 0.999];

/// `2**exponent` for exponents of normal floats, built from its bits (exact).
fn power_of_two(exponent: i32) -> f64 {
    f64::from_bits(((exponent + 1023) as u64) << 52)
}

/// The bucket of a finite, non-negative value.
fn bucket_of(value: f64) -> usize {
    if value < power_of_two(MIN_EXPONENT - 1) {
        return 0;
    }
    if value >= power_of_two(MAX_EXPONENT) {
        return OVERFLOW;
    }
    let bits = value.to_bits();
    // frexp's exponent is the biased IEEE exponent minus 1022.
    let exponent = ((bits >> 52) & 0x7ff) as i32 - 1022;
    let sub = ((bits >> (52 - SUB_BITS)) as usize) & (SUBS - 1);
    1 + (exponent - MIN_EXPONENT) as usize * SUBS + sub
}

/// The value a bucket reports (before clamping to the observed range).
fn representative(bucket: usize) -> f64 {
    if bucket == 0 {
        return 0.0;
    }
    if bucket == OVERFLOW {
        return f64::INFINITY;
    }
    let exponent = MIN_EXPONENT + ((bucket - 1) / SUBS) as i32;
    let sub = ((bucket - 1) % SUBS) as f64;
    let unit = power_of_two(exponent - 7);
    let (lo, hi) = ((64.0 + sub) * unit, (65.0 + sub) * unit);
    2.0 * lo * hi / (lo + hi)
}

/// One histogram series: bucket counts, count, sum and the observed range.
#[derive(Debug)]
pub(crate) struct HistogramCell {
    count: AtomicU64,
    sum: AtomicF64,
    /// Bits of the smallest / largest value seen: for non-negative floats the order of the
    /// bit patterns is the order of the values, so integer min/max work on them.
    min_bits: AtomicU64,
    max_bits: AtomicU64,
    underflow: AtomicU64,
    overflow: AtomicU64,
    octaves: [OnceLock<Box<[AtomicU64; SUBS]>>; OCTAVES],
}

/// Count, sum and quantiles of a histogram at one moment.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HistogramSummary {
    pub count: u64,
    pub sum: f64,
    /// p50, p90, p99, p99.9 (see [`QUANTILES`]); 0.0 while the histogram is empty.
    pub quantiles: [f64; 4],
}

impl HistogramCell {
    pub(crate) fn new() -> Self {
        Self {
            count: AtomicU64::new(0),
            sum: AtomicF64::new(0.0),
            min_bits: AtomicU64::new(f64::INFINITY.to_bits()),
            max_bits: AtomicU64::new(0),
            underflow: AtomicU64::new(0),
            overflow: AtomicU64::new(0),
            octaves: std::array::from_fn(|_| OnceLock::new()),
        }
    }

    fn counter(&self, bucket: usize) -> &AtomicU64 {
        match bucket {
            0 => &self.underflow,
            OVERFLOW => &self.overflow,
            _ => {
                let block = self.octaves[(bucket - 1) / SUBS]
                    .get_or_init(|| Box::new(std::array::from_fn(|_| AtomicU64::new(0))));
                &block[(bucket - 1) % SUBS]
            }
        }
    }

    /// Record one value; the caller guarantees it is finite and >= 0.
    pub(crate) fn observe(&self, seconds: f64) {
        let value = seconds + 0.0; // -0.0 becomes 0.0, whose bits order correctly
        let bits = value.to_bits();
        // The range first: a reader that sees the count sees a range that includes it.
        if bits < self.min_bits.load(Ordering::Relaxed) {
            self.min_bits.fetch_min(bits, Ordering::Relaxed);
        }
        if bits > self.max_bits.load(Ordering::Relaxed) {
            self.max_bits.fetch_max(bits, Ordering::Relaxed);
        }
        self.counter(bucket_of(value))
            .fetch_add(1, Ordering::Release);
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum.add(value);
    }

    /// Count, sum and quantiles now. Concurrent updates may or may not be included.
    pub(crate) fn summary(&self) -> HistogramSummary {
        let mut buckets: Vec<(usize, u64)> = Vec::new();
        let mut total = 0u64;
        let mut push = |bucket: usize, counter: &AtomicU64| {
            let count = counter.load(Ordering::Acquire);
            if count > 0 {
                buckets.push((bucket, count));
                total += count;
            }
        };
        push(0, &self.underflow);
        for (octave, block) in self.octaves.iter().enumerate() {
            if let Some(block) = block.get() {
                for (sub, counter) in block.iter().enumerate() {
                    push(1 + octave * SUBS + sub, counter);
                }
            }
        }
        push(OVERFLOW, &self.overflow);
        let low = f64::from_bits(self.min_bits.load(Ordering::Relaxed));
        let high = f64::from_bits(self.max_bits.load(Ordering::Relaxed));
        HistogramSummary {
            count: self.count.load(Ordering::Relaxed),
            sum: self.sum.load(),
            quantiles: QUANTILES.map(|q| quantile(&buckets, total, q, low, high)),
        }
    }
}

/// The nearest-rank quantile `q` of the counted buckets, clamped to `[low, high]`.
fn quantile(buckets: &[(usize, u64)], total: u64, q: f64, low: f64, high: f64) -> f64 {
    if total == 0 {
        return 0.0;
    }
    let rank = ((q * total as f64).ceil() as u64).max(1);
    let mut seen = 0u64;
    for &(bucket, count) in buckets {
        seen += count;
        if seen >= rank {
            return representative(bucket).max(low).min(high);
        }
    }
    high
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(sorted: &[f64], q: f64) -> f64 {
        let rank = ((q * sorted.len() as f64).ceil() as usize).max(1);
        sorted[rank - 1]
    }

    #[test]
    fn every_bucket_reports_within_the_bound() {
        let mut value = power_of_two(MIN_EXPONENT - 1);
        while value < power_of_two(MAX_EXPONENT) {
            let reported = representative(bucket_of(value));
            assert!(
                ((reported - value) / value).abs() <= 1.000_001 / 129.0,
                "{value}"
            );
            value *= 1.0037;
        }
    }

    #[test]
    fn bucket_edges_follow_frexp() {
        // 1.0 = 0.5 * 2**1: octave e=1, first sub-bucket; just below 1.0 is the last of e=0.
        let one = bucket_of(1.0);
        assert_eq!(one, 1 + (1 - MIN_EXPONENT) as usize * SUBS);
        assert_eq!(bucket_of(1.0 - f64::EPSILON), one - 1);
        assert_eq!(bucket_of(0.0), 0);
        assert_eq!(bucket_of(1e-10), 0);
        assert_eq!(bucket_of(1e6), OVERFLOW);
    }

    #[test]
    fn quantiles_are_within_one_percent_of_the_exact_ones() {
        let histogram = HistogramCell::new();
        // A deterministic spread over six decades (a simple LCG keeps the test self-contained).
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut values = Vec::new();
        for _ in 0..20_000 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let unit = (state >> 11) as f64 / (1u64 << 53) as f64;
            let value = 1e-6 * 10f64.powf(6.0 * unit);
            histogram.observe(value);
            values.push(value);
        }
        values.sort_by(f64::total_cmp);
        let summary = histogram.summary();
        assert_eq!(summary.count, 20_000);
        for (q, reported) in QUANTILES.iter().zip(summary.quantiles) {
            let truth = exact(&values, *q);
            assert!(
                ((reported - truth) / truth).abs() <= 0.01,
                "{q}: {reported} vs {truth}"
            );
        }
    }

    #[test]
    fn outer_buckets_report_the_observed_extremes() {
        let histogram = HistogramCell::new();
        histogram.observe(1e-12);
        histogram.observe(2e-12);
        assert_eq!(histogram.summary().quantiles, [1e-12; 4]);
        let histogram = HistogramCell::new();
        histogram.observe(1e6);
        histogram.observe(2e6);
        assert_eq!(histogram.summary().quantiles, [2e6; 4]);
    }

    #[test]
    fn an_empty_histogram_reports_zeros() {
        let summary = HistogramCell::new().summary();
        assert_eq!(summary.count, 0);
        assert_eq!(summary.quantiles, [0.0; 4]);
    }

    #[test]
    fn a_single_value_is_reported_exactly() {
        let histogram = HistogramCell::new();
        histogram.observe(0.123);
        assert_eq!(histogram.summary().quantiles, [0.123; 4]);
    }
}
