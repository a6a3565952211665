//! Series identity: a metric name plus its label set, sorted by label name.
//!
//! The map stores owned [`SeriesKey`]s; lookups use a borrowed [`SeriesQuery`] that hashes
//! and compares the same way, so finding an existing series allocates nothing.

use std::hash::{Hash, Hasher};

use papaya::Equivalent;

/// The label set that series past the limit are folded into.
pub const OVERFLOW_LABELS: &[(&str, &str)] = &[("overflow", "true")];

/// An owned series identity; `labels` are sorted by name.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct SeriesKey {
    pub(crate) name: Box<str>,
    pub(crate) labels: Box<[(Box<str>, Box<str>)]>,
}

/// A borrowed series identity; `labels` must be sorted by name.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SeriesQuery<'a> {
    pub(crate) name: &'a str,
    pub(crate) labels: &'a [(&'a str, &'a str)],
}

fn hash_parts<'a, H: Hasher>(
    state: &mut H,
    name: &str,
    labels: impl ExactSizeIterator<Item = (&'a str, &'a str)>,
) {
    name.hash(state);
    state.write_usize(labels.len());
    for (key, value) in labels {
        key.hash(state);
        value.hash(state);
    }
}

impl Hash for SeriesKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let labels = self.labels.iter().map(|(k, v)| (&**k, &**v));
        hash_parts(state, &self.name, labels);
    }
}

impl Hash for SeriesQuery<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_parts(state, self.name, self.labels.iter().copied());
    }
}

impl Equivalent<SeriesKey> for SeriesQuery<'_> {
    fn equivalent(&self, key: &SeriesKey) -> bool {
        self.name == &*key.name
            && self.labels.len() == key.labels.len()
            && self
                .labels
                .iter()
                .zip(key.labels.iter())
                .all(|((k, v), (key_k, key_v))| *k == &**key_k && *v == &**key_v)
    }
}

impl SeriesQuery<'_> {
    pub(crate) fn to_key(self) -> SeriesKey {
        SeriesKey {
            name: self.name.into(),
            labels: self
                .labels
                .iter()
                .map(|(k, v)| (Box::from(*k), Box::from(*v)))
                .collect(),
        }
    }
}

impl SeriesKey {
    /// `"a=1,b=2"`: the labels as the snapshot keys them (`""` without labels).
    pub(crate) fn label_key(&self) -> String {
        let mut text = String::new();
        for (index, (key, value)) in self.labels.iter().enumerate() {
            if index > 0 {
                text.push(',');
            }
            text.push_str(key);
            text.push('=');
            text.push_str(value);
        }
        text
    }
}

/// Call `body` with `labels` sorted by name, copying them only when they are not already.
pub(crate) fn with_sorted<R>(
    labels: &[(&str, &str)],
    body: impl FnOnce(&[(&str, &str)]) -> R,
) -> R {
    if labels.windows(2).all(|pair| pair[0].0 <= pair[1].0) {
        return body(labels);
    }
    const INLINE: usize = 8;
    if labels.len() <= INLINE {
        let mut buffer = [("", ""); INLINE];
        let sorted = &mut buffer[..labels.len()];
        sorted.copy_from_slice(labels);
        sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
        return body(sorted);
    }
    let mut sorted = labels.to_vec();
    sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
    body(&sorted)
}

/// Metric names as Prometheus allows them: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
pub(crate) fn is_metric_name(name: &str) -> bool {
    is_identifier(name, |b| b == b':')
}

/// Label names as Prometheus allows them: `[a-zA-Z_][a-zA-Z0-9_]*`.
pub(crate) fn is_label_name(name: &str) -> bool {
    is_identifier(name, |_| false)
}

fn is_identifier(name: &str, extra: impl Fn(u8) -> bool) -> bool {
    let bytes = name.as_bytes();
    let word = |b: u8| b.is_ascii_alphabetic() || b == b'_' || extra(b);
    match bytes.split_first() {
        Some((first, rest)) => word(*first) && rest.iter().all(|b| word(*b) || b.is_ascii_digit()),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use std::hash::BuildHasher;

    use super::*;

    #[test]
    fn a_query_hashes_and_compares_like_its_key() {
        let query = SeriesQuery {
            name: "latency",
            labels: &[("model", "gpt-4.1"), ("provider", "openai")],
        };
        let key = query.to_key();
        let state = foldhash::fast::FixedState::with_seed(7);
        assert_eq!(state.hash_one(query), state.hash_one(&key));
        assert!(query.equivalent(&key));
        let other = SeriesQuery {
            name: "latency",
            labels: &[("model", "gpt-4.1")],
        };
        assert!(!other.equivalent(&key));
        assert_eq!(key.label_key(), "model=gpt-4.1,provider=openai");
    }

    #[test]
    fn labels_are_sorted_by_name() {
        let labels = [("b", "1"), ("a", "2"), ("c", "3")];
        with_sorted(&labels, |sorted| {
            assert_eq!(sorted, &[("a", "2"), ("b", "1"), ("c", "3")]);
        });
        let many: Vec<(&str, &str)> = ["j", "i", "h", "g", "f", "e", "d", "c", "b", "a"]
            .iter()
            .map(|k| (*k, "v"))
            .collect();
        with_sorted(&many, |sorted| assert_eq!(sorted[0].0, "a"));
    }

    #[test]
    fn names_follow_the_prometheus_grammar() {
        assert!(is_metric_name("fluent_ai:stream_bytes"));
        assert!(!is_metric_name(""));
        assert!(!is_metric_name("9lives"));
        assert!(!is_metric_name("a-b"));
        assert!(is_label_name("_model2"));
        assert!(!is_label_name("a:b"));
    }
}
