//! Prometheus text exposition format 0.0.4 of a [`Snapshot`].
//!
//! Names: a counter `x` is exposed as `x_total` (kept as is if it already ends in `_total`),
//! a gauge `x` as `x` (current value) and `x_peak` (highest value held), a histogram `x` as a
//! `summary` with `quantile` labels 0.5, 0.9, 0.99, 0.999 plus `x_sum` and `x_count`.
//! Families come counters first, then gauges, then histograms, each sorted by name, series
//! sorted by label key. Numbers are written as Python's `repr` writes floats, so the native
//! and pure-Python backends produce the same text byte for byte.

use std::fmt::Write;

use super::snapshot::{SeriesValue, Snapshot};
use crate::float_repr::python_float_repr;

const QUANTILE_LABELS: [&str; 4] = ["0.5", "0.9", "0.99", "0.999"];

/// Render `snapshot` in the Prometheus text format.
pub fn prometheus_text(snapshot: &Snapshot) -> String {
    let mut out = String::new();
    for (name, series) in &snapshot.counters {
        let exposed = if name.ends_with("_total") {
            name.clone()
        } else {
            format!("{name}_total")
        };
        header(
            &mut out,
            &exposed,
            "counter",
            "Counter recorded with Metrics.inc().",
        );
        for s in series {
            sample(&mut out, &exposed, s, None, &prometheus_float(s.value));
        }
    }
    for (name, series) in &snapshot.gauges {
        header(
            &mut out,
            name,
            "gauge",
            "Gauge recorded with Metrics.gauge_add().",
        );
        for s in series {
            sample(&mut out, name, s, None, &prometheus_float(s.value.value));
        }
        let peak = format!("{name}_peak");
        header(
            &mut out,
            &peak,
            "gauge",
            "Highest value the gauge has held.",
        );
        for s in series {
            sample(&mut out, &peak, s, None, &prometheus_float(s.value.peak));
        }
    }
    for (name, series) in &snapshot.histograms {
        let help = "Latency recorded with Metrics.observe(); quantiles within 1% relative error.";
        header(&mut out, name, "summary", help);
        for s in series {
            for (label, value) in QUANTILE_LABELS.iter().zip(s.value.quantiles) {
                sample(&mut out, name, s, Some(label), &prometheus_float(value));
            }
            let sum = prometheus_float(s.value.sum);
            sample(&mut out, &format!("{name}_sum"), s, None, &sum);
            let count = s.value.count.to_string();
            sample(&mut out, &format!("{name}_count"), s, None, &count);
        }
    }
    out
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn sample<T>(
    out: &mut String,
    name: &str,
    series: &SeriesValue<T>,
    quantile: Option<&str>,
    value: &str,
) {
    out.push_str(name);
    let mut labels: Vec<(&str, &str)> = series
        .labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    if let Some(quantile) = quantile {
        labels.push(("quantile", quantile));
    }
    if !labels.is_empty() {
        out.push('{');
        for (index, (key, value)) in labels.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            out.push_str(key);
            out.push_str("=\"");
            escape_label_value(out, value);
            out.push('"');
        }
        out.push('}');
    }
    out.push(' ');
    out.push_str(value);
    out.push('\n');
}

/// Label values escape backslash, double quote and line feed (format 0.0.4).
fn escape_label_value(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
}

/// A sample value: Python's `repr` for finite floats, `+Inf`, `-Inf`, `NaN` otherwise.
fn prometheus_float(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_string()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.to_string()
    } else {
        python_float_repr(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        let mut out = String::new();
        escape_label_value(&mut out, "a\\b\"c\nd");
        assert_eq!(out, "a\\\\b\\\"c\\nd");
    }
}
