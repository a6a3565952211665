//! A consistent-enough picture of every series, sorted by metric name and label key.

use std::collections::BTreeMap;

use super::histogram::HistogramSummary;

/// One series of a metric in a [`Snapshot`].
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesValue<T> {
    /// `"a=1,b=2"` (labels sorted by name; `""` without labels).
    pub label_key: String,
    /// The same labels, sorted by name.
    pub labels: Vec<(String, String)>,
    pub value: T,
}

/// The current value of a gauge and the highest value it has held (from 0).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GaugeValue {
    pub value: f64,
    pub peak: f64,
}

/// Every series at one moment: metric name -> series sorted by label key.
///
/// Each series is read atomically field by field, not as a whole: updates that run during
/// the snapshot may be partly included.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    pub counters: BTreeMap<String, Vec<SeriesValue<f64>>>,
    pub gauges: BTreeMap<String, Vec<SeriesValue<GaugeValue>>>,
    pub histograms: BTreeMap<String, Vec<SeriesValue<HistogramSummary>>>,
}

impl Snapshot {
    /// Sort each metric's series by label key (the map keeps names sorted).
    pub(crate) fn sort(&mut self) {
        fn by_key<T>(families: &mut BTreeMap<String, Vec<SeriesValue<T>>>) {
            for series in families.values_mut() {
                series.sort_by(|a, b| a.label_key.cmp(&b.label_key));
            }
        }
        by_key(&mut self.counters);
        by_key(&mut self.gauges);
        by_key(&mut self.histograms);
    }
}
