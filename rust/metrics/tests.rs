use std::sync::Arc;
use std::thread;

use super::*;

const PAIR: &[(&str, &str)] = &[("provider", "openai"), ("model", "gpt-4.1")];

#[test]
fn metrics_is_shareable_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Metrics>();
    assert_send_sync::<CounterHandle>();
    assert_send_sync::<HistogramHandle>();
}

#[test]
fn counts_are_exact_under_concurrency() {
    let metrics = Arc::new(Metrics::new(10));
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let metrics = Arc::clone(&metrics);
            thread::spawn(move || {
                for i in 0..100_000u32 {
                    // Dyadic values: their float sum does not depend on the order.
                    let seconds = f64::from(i % 64) / 1024.0;
                    metrics.observe("latency", PAIR, seconds).unwrap();
                    metrics.inc("calls", &[], 1.0).unwrap();
                    metrics
                        .gauge_add("open", &[], if t % 2 == 0 { 1.0 } else { -1.0 })
                        .unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let snapshot = metrics.snapshot();
    let histogram = &snapshot.histograms["latency"][0];
    assert_eq!(histogram.label_key, "model=gpt-4.1,provider=openai");
    assert_eq!(histogram.value.count, 800_000);
    let per_thread: f64 = (0..100_000u32).map(|i| f64::from(i % 64) / 1024.0).sum();
    assert_eq!(histogram.value.sum, 8.0 * per_thread);
    assert_eq!(snapshot.counters["calls"][0].value, 800_000.0);
    assert_eq!(snapshot.gauges["open"][0].value.value, 0.0);
}

#[test]
fn labels_in_any_order_are_the_same_series() {
    let metrics = Metrics::default();
    metrics
        .inc("calls", &[("b", "2"), ("a", "1")], 1.0)
        .unwrap();
    metrics
        .inc("calls", &[("a", "1"), ("b", "2")], 2.0)
        .unwrap();
    let counters = &metrics.snapshot().counters["calls"];
    assert_eq!(counters.len(), 1);
    assert_eq!(counters[0].label_key, "a=1,b=2");
    assert_eq!(counters[0].value, 3.0);
}

#[test]
fn label_sets_past_the_limit_fold_into_the_overflow_series() {
    let metrics = Metrics::new(3);
    for i in 0..10 {
        let model = format!("m{i}");
        metrics.inc("calls", &[("model", &model)], 1.0).unwrap();
    }
    metrics.inc("calls", &[("model", "m0")], 1.0).unwrap();
    metrics.inc("other", &[("model", "m9")], 1.0).unwrap();
    let snapshot = metrics.snapshot();
    let keys: Vec<(&str, f64)> = snapshot.counters["calls"]
        .iter()
        .map(|s| (s.label_key.as_str(), s.value))
        .collect();
    assert_eq!(
        keys,
        [
            ("model=m0", 2.0),
            ("model=m1", 1.0),
            ("model=m2", 1.0),
            ("overflow=true", 7.0)
        ]
    );
    // The limit is per metric name.
    assert_eq!(snapshot.counters["other"][0].label_key, "model=m9");
}

#[test]
fn the_limit_holds_under_concurrency() {
    let metrics = Arc::new(Metrics::new(50));
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let metrics = Arc::clone(&metrics);
            thread::spawn(move || {
                for i in 0..200 {
                    let id = format!("{}", (i * 8 + t) % 120);
                    metrics.inc("calls", &[("id", &id)], 1.0).unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let series = &metrics.snapshot().counters["calls"];
    assert_eq!(series.len(), 51);
    assert_eq!(series.iter().map(|s| s.value).sum::<f64>(), 1600.0);
}

#[test]
fn a_name_keeps_its_kind() {
    let metrics = Metrics::default();
    metrics.inc("x", &[], 1.0).unwrap();
    let error = metrics.observe("x", &[("a", "1")], 1.0).unwrap_err();
    assert_eq!(
        error,
        MetricsError::KindConflict {
            name: "x".into(),
            existing: Kind::Counter,
            requested: Kind::Histogram
        }
    );
    assert!(metrics.observe("x", &[], 1.0).is_err());
    assert!(metrics.gauge("x", &[]).is_err());
}

#[test]
fn names_and_values_are_checked() {
    let metrics = Metrics::default();
    assert_eq!(
        metrics.inc("", &[], 1.0),
        Err(MetricsError::MetricName("".into()))
    );
    assert_eq!(
        metrics.inc("x", &[("bad-name", "1")], 1.0),
        Err(MetricsError::LabelName("bad-name".into()))
    );
    assert_eq!(
        metrics.inc("x", &[("a", "1"), ("a", "2")], 1.0),
        Err(MetricsError::DuplicateLabel("a".into()))
    );
    assert_eq!(
        metrics.observe("h", &[("quantile", "1")], 1.0),
        Err(MetricsError::ReservedLabel("quantile".into()))
    );
    assert!(metrics.inc("x", &[], -1.0).is_err());
    assert!(metrics.observe("h", &[], f64::NAN).is_err());
    assert!(metrics.gauge_add("g", &[], f64::INFINITY).is_err());
    assert!(metrics.gauge_add("g", &[], -3.0).is_ok());
    assert!(metrics.snapshot().counters.is_empty());
}

#[test]
fn handles_record_into_their_series() {
    let metrics = Metrics::default();
    let bytes = metrics
        .counter("bytes", &[("dialect", "anthropic")])
        .unwrap();
    let gap = metrics
        .histogram("gap", &[("dialect", "anthropic")])
        .unwrap();
    let open = metrics.gauge("open", &[]).unwrap();
    bytes.add(10.0);
    bytes.add(-1.0); // ignored
    gap.observe(0.25);
    open.add(2.0);
    open.add(-1.0);
    metrics
        .inc("bytes", &[("dialect", "anthropic")], 5.0)
        .unwrap();
    let snapshot = metrics.snapshot();
    assert_eq!(snapshot.counters["bytes"][0].value, 15.0);
    assert_eq!(snapshot.histograms["gap"][0].value.quantiles, [0.25; 4]);
    assert_eq!(
        snapshot.gauges["open"][0].value,
        GaugeValue {
            value: 1.0,
            peak: 2.0
        }
    );
}

#[test]
fn prometheus_text_has_every_kind() {
    let metrics = Metrics::default();
    metrics
        .inc("requests", &[("provider", "a\"b")], 2.0)
        .unwrap();
    metrics.gauge_add("in_flight", &[], 1.0).unwrap();
    metrics.observe("latency_seconds", &[], 0.5).unwrap();
    let text = metrics.prometheus();
    let expected = "\
# HELP requests_total Counter recorded with Metrics.inc().
# TYPE requests_total counter
requests_total{provider=\"a\\\"b\"} 2.0
# HELP in_flight Gauge recorded with Metrics.gauge_add().
# TYPE in_flight gauge
in_flight 1.0
# HELP in_flight_peak Highest value the gauge has held.
# TYPE in_flight_peak gauge
in_flight_peak 1.0
# HELP latency_seconds Latency recorded with Metrics.observe(); quantiles within 1% relative error.
# TYPE latency_seconds summary
latency_seconds{quantile=\"0.5\"} 0.5
latency_seconds{quantile=\"0.9\"} 0.5
latency_seconds{quantile=\"0.99\"} 0.5
latency_seconds{quantile=\"0.999\"} 0.5
latency_seconds_sum 0.5
latency_seconds_count 1
";
    assert_eq!(text, expected);
}
