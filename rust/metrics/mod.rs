//! Lock-free counters, gauges and latency histograms, keyed by name and label set.
//!
//! [`Metrics`] is `Send + Sync` and meant to be shared through an `Arc`. Values live in
//! atomics ([`cells`], [`histogram`]); the series map is `papaya`'s lock-free hash map, looked
//! up with a borrowed key, so recording into an existing series takes no lock and allocates
//! nothing. Code that records into the same series again and again resolves a handle once
//! ([`Metrics::counter`], [`Metrics::gauge`], [`Metrics::histogram`]) and skips the lookup.
//!
//! Rules (identical in the pure-Python backend):
//! - A metric name matches `[a-zA-Z_:][a-zA-Z0-9_:]*`, a label name `[a-zA-Z_][a-zA-Z0-9_]*`
//!   (histograms may not use `quantile`, which the exposition adds); a name keeps the kind
//!   (counter, gauge, histogram) of its first series.
//! - Each metric name holds at most `max_series` label sets; a new label set past that is
//!   folded into the series labelled `overflow="true"` of that name (not counted in the
//!   limit), so memory stays bounded however many label values arrive.
//! - Counter increments are finite and >= 0, histogram observations finite and >= 0
//!   (seconds), gauge deltas finite.

mod cells;
mod exposition;
mod histogram;
mod key;
mod snapshot;

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use cells::{CounterCell, GaugeCell};
use histogram::HistogramCell;
use key::{is_label_name, is_metric_name, with_sorted, SeriesKey, SeriesQuery};

pub use exposition::prometheus_text;
pub use histogram::{HistogramSummary, MAX_EXPONENT, MIN_EXPONENT, QUANTILES};
pub use key::OVERFLOW_LABELS;
pub use snapshot::{GaugeValue, SeriesValue, Snapshot};

/// The default number of label sets per metric name.
pub const DEFAULT_MAX_SERIES: usize = 1000;

type Hasher = foldhash::fast::RandomState;

/// What a metric name records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    /// `"counter"`, `"gauge"` or `"histogram"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::Gauge => "gauge",
            Self::Histogram => "histogram",
        }
    }
}

/// Why a value could not be recorded. The Python layer turns each into a `ValueError`.
#[derive(Clone, Debug, PartialEq)]
pub enum MetricsError {
    /// The metric name does not match `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    MetricName(String),
    /// A label name does not match `[a-zA-Z_][a-zA-Z0-9_]*`.
    LabelName(String),
    /// A label name given twice (only possible from Rust).
    DuplicateLabel(String),
    /// `quantile` used as a histogram label.
    ReservedLabel(String),
    /// The name already records another kind.
    KindConflict {
        name: String,
        existing: Kind,
        requested: Kind,
    },
    /// A negative or non-finite counter increment or observation, or a non-finite delta.
    Value { kind: Kind, value: f64 },
}

impl fmt::Display for MetricsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MetricName(name) => write!(f, "invalid metric name {name:?}"),
            Self::LabelName(name) => write!(f, "invalid label name {name:?}"),
            Self::DuplicateLabel(name) => write!(f, "label {name:?} given twice"),
            Self::ReservedLabel(name) => write!(f, "label name {name:?} is reserved"),
            Self::KindConflict {
                name,
                existing,
                requested,
            } => write!(
                f,
                "metric {name:?} is a {}, not a {}",
                existing.as_str(),
                requested.as_str()
            ),
            Self::Value { kind, value } => write!(f, "invalid {} value {value}", kind.as_str()),
        }
    }
}

impl std::error::Error for MetricsError {}

/// The cells of one series.
#[derive(Clone, Debug)]
enum Series {
    Counter(Arc<CounterCell>),
    Gauge(Arc<GaugeCell>),
    Histogram(Arc<HistogramCell>),
}

impl Series {
    fn new(kind: Kind) -> Self {
        match kind {
            Kind::Counter => Self::Counter(Arc::new(CounterCell::new())),
            Kind::Gauge => Self::Gauge(Arc::new(GaugeCell::new())),
            Kind::Histogram => Self::Histogram(Arc::new(HistogramCell::new())),
        }
    }

    fn kind(&self) -> Kind {
        match self {
            Self::Counter(_) => Kind::Counter,
            Self::Gauge(_) => Kind::Gauge,
            Self::Histogram(_) => Kind::Histogram,
        }
    }
}

/// Per metric name: its kind and how many of its label sets have a series.
#[derive(Debug)]
struct Family {
    kind: Kind,
    series: AtomicUsize,
}

impl Family {
    /// Take one of the `max` series slots; false when all are taken.
    fn reserve(&self, max: usize) -> bool {
        self.series
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .is_ok()
    }

    fn release(&self) {
        self.series.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A set of metrics shared by any number of threads (see the module docs for the rules).
#[derive(Debug)]
pub struct Metrics {
    max_series: usize,
    series: papaya::HashMap<SeriesKey, Series, Hasher>,
    families: papaya::HashMap<Box<str>, Family, Hasher>,
}

/// A resolved counter series: adding to it is one atomic update.
#[derive(Clone, Debug)]
pub struct CounterHandle(Arc<CounterCell>);

/// A resolved gauge series.
#[derive(Clone, Debug)]
pub struct GaugeHandle(Arc<GaugeCell>);

/// A resolved histogram series.
#[derive(Clone, Debug)]
pub struct HistogramHandle(Arc<HistogramCell>);

impl CounterHandle {
    /// Add `value`, which must be finite and >= 0 (other values are ignored: handles skip
    /// the checks that [`Metrics::inc`] reports).
    pub fn add(&self, value: f64) {
        if valid(Kind::Counter, value) {
            self.0.add(value);
        }
    }
}

impl GaugeHandle {
    /// Add `delta` (finite; other values are ignored) and update the peak.
    pub fn add(&self, delta: f64) {
        if valid(Kind::Gauge, delta) {
            self.0.add(delta);
        }
    }
}

impl HistogramHandle {
    /// Record a duration in seconds (finite and >= 0; other values are ignored).
    pub fn observe(&self, seconds: f64) {
        if valid(Kind::Histogram, seconds) {
            self.0.observe(seconds);
        }
    }
}

fn valid(kind: Kind, value: f64) -> bool {
    match kind {
        Kind::Gauge => value.is_finite(),
        Kind::Counter | Kind::Histogram => value.is_finite() && value >= 0.0,
    }
}

fn check_value(kind: Kind, value: f64) -> Result<(), MetricsError> {
    if valid(kind, value) {
        Ok(())
    } else {
        Err(MetricsError::Value { kind, value })
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_SERIES)
    }
}

impl Metrics {
    /// An empty set that keeps at most `max_series` label sets per metric name.
    pub fn new(max_series: usize) -> Self {
        Self {
            max_series,
            series: papaya::HashMap::with_hasher(Hasher::default()),
            families: papaya::HashMap::with_hasher(Hasher::default()),
        }
    }

    /// The label sets kept per metric name before folding into the overflow series.
    pub fn max_series(&self) -> usize {
        self.max_series
    }

    /// Add `value` (finite, >= 0) to a counter.
    pub fn inc(&self, name: &str, labels: &[(&str, &str)], value: f64) -> Result<(), MetricsError> {
        check_value(Kind::Counter, value)?;
        self.with_series(Kind::Counter, name, labels, |series| {
            if let Series::Counter(cell) = series {
                cell.add(value);
            }
        })
    }

    /// Record a duration in seconds (finite, >= 0) in a histogram.
    pub fn observe(
        &self,
        name: &str,
        labels: &[(&str, &str)],
        seconds: f64,
    ) -> Result<(), MetricsError> {
        check_value(Kind::Histogram, seconds)?;
        self.with_series(Kind::Histogram, name, labels, |series| {
            if let Series::Histogram(cell) = series {
                cell.observe(seconds);
            }
        })
    }

    /// Add `delta` (finite, may be negative) to a gauge; the gauge keeps its peak.
    pub fn gauge_add(
        &self,
        name: &str,
        labels: &[(&str, &str)],
        delta: f64,
    ) -> Result<(), MetricsError> {
        check_value(Kind::Gauge, delta)?;
        self.with_series(Kind::Gauge, name, labels, |series| {
            if let Series::Gauge(cell) = series {
                cell.add(delta);
            }
        })
    }

    /// Resolve a counter series once (creating it at 0), for repeated [`CounterHandle::add`].
    pub fn counter(
        &self,
        name: &str,
        labels: &[(&str, &str)],
    ) -> Result<CounterHandle, MetricsError> {
        self.resolve(Kind::Counter, name, labels, |series| match series {
            Series::Counter(cell) => Some(CounterHandle(Arc::clone(cell))),
            _ => None,
        })
    }

    /// Resolve a gauge series once (creating it at 0).
    pub fn gauge(&self, name: &str, labels: &[(&str, &str)]) -> Result<GaugeHandle, MetricsError> {
        self.resolve(Kind::Gauge, name, labels, |series| match series {
            Series::Gauge(cell) => Some(GaugeHandle(Arc::clone(cell))),
            _ => None,
        })
    }

    /// Resolve a histogram series once (creating it empty).
    pub fn histogram(
        &self,
        name: &str,
        labels: &[(&str, &str)],
    ) -> Result<HistogramHandle, MetricsError> {
        self.resolve(Kind::Histogram, name, labels, |series| match series {
            Series::Histogram(cell) => Some(HistogramHandle(Arc::clone(cell))),
            _ => None,
        })
    }

    /// The handle `pick` makes of the series (`with_series` has checked its kind).
    fn resolve<T>(
        &self,
        kind: Kind,
        name: &str,
        labels: &[(&str, &str)],
        pick: impl FnOnce(&Series) -> Option<T>,
    ) -> Result<T, MetricsError> {
        self.with_series(kind, name, labels, pick)?
            .ok_or_else(|| self.conflict(name, kind, kind))
    }

    fn conflict(&self, name: &str, existing: Kind, requested: Kind) -> MetricsError {
        MetricsError::KindConflict {
            name: name.to_string(),
            existing,
            requested,
        }
    }

    /// Find (or create) the series of `name` + `labels` and run `body` on it while the map
    /// is pinned.
    fn with_series<R>(
        &self,
        kind: Kind,
        name: &str,
        labels: &[(&str, &str)],
        body: impl FnOnce(&Series) -> R,
    ) -> Result<R, MetricsError> {
        with_sorted(labels, |labels| {
            let map = self.series.pin();
            let query = SeriesQuery { name, labels };
            let series = match map.get(&query) {
                Some(series) => series,
                None => self.create(&map, kind, query)?,
            };
            if series.kind() != kind {
                return Err(self.conflict(name, series.kind(), kind));
            }
            Ok(body(series))
        })
    }

    /// The slow path: validate, respect the family's kind and series limit, insert.
    #[cold]
    fn create<'m>(
        &self,
        map: &'m papaya::HashMapRef<'_, SeriesKey, Series, Hasher, papaya::LocalGuard<'_>>,
        kind: Kind,
        query: SeriesQuery<'_>,
    ) -> Result<&'m Series, MetricsError> {
        validate(kind, query)?;
        let families = self.families.pin();
        let family = match families.get(query.name) {
            Some(family) => family,
            None => families.get_or_insert_with(query.name.into(), || Family {
                kind,
                series: AtomicUsize::new(0),
            }),
        };
        if family.kind != kind {
            return Err(self.conflict(query.name, family.kind, kind));
        }
        if family.reserve(self.max_series) {
            return Ok(match map.try_insert(query.to_key(), Series::new(kind)) {
                Ok(series) => series,
                Err(occupied) => {
                    // Another thread created the same series first.
                    family.release();
                    occupied.current
                }
            });
        }
        let overflow = SeriesQuery {
            name: query.name,
            labels: OVERFLOW_LABELS,
        };
        Ok(match map.get(&overflow) {
            Some(series) => series,
            None => map.get_or_insert_with(overflow.to_key(), || Series::new(kind)),
        })
    }

    /// Every series now, sorted by name and label key.
    pub fn snapshot(&self) -> Snapshot {
        let mut snapshot = Snapshot::default();
        for (key, series) in self.series.pin().iter() {
            let label_key = key.label_key();
            let labels = key
                .labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let name = key.name.to_string();
            match series {
                Series::Counter(cell) => {
                    let value = SeriesValue {
                        label_key,
                        labels,
                        value: cell.value(),
                    };
                    snapshot.counters.entry(name).or_default().push(value);
                }
                Series::Gauge(cell) => {
                    let value = SeriesValue {
                        label_key,
                        labels,
                        value: GaugeValue {
                            value: cell.value(),
                            peak: cell.peak(),
                        },
                    };
                    snapshot.gauges.entry(name).or_default().push(value);
                }
                Series::Histogram(cell) => {
                    let value = SeriesValue {
                        label_key,
                        labels,
                        value: cell.summary(),
                    };
                    snapshot.histograms.entry(name).or_default().push(value);
                }
            }
        }
        snapshot.sort();
        snapshot
    }

    /// Every series in the Prometheus text format 0.0.4 (see [`prometheus_text`]).
    pub fn prometheus(&self) -> String {
        prometheus_text(&self.snapshot())
    }
}

fn validate(kind: Kind, query: SeriesQuery<'_>) -> Result<(), MetricsError> {
    if !is_metric_name(query.name) {
        return Err(MetricsError::MetricName(query.name.to_string()));
    }
    for (index, (label, _)) in query.labels.iter().enumerate() {
        if !is_label_name(label) {
            return Err(MetricsError::LabelName(label.to_string()));
        }
        if kind == Kind::Histogram && *label == "quantile" {
            return Err(MetricsError::ReservedLabel(label.to_string()));
        }
        if index > 0 && query.labels[index - 1].0 == *label {
            return Err(MetricsError::DuplicateLabel(label.to_string()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
