//! A mergeable histogram of non-negative integers with three significant decimal digits:
//! values below 1,000 are kept exactly; larger ones are truncated to three significant
//! digits (relative error below 0.1%). Counts are exact integers, so histograms merged in
//! any order are identical, and memory is bounded by the number of distinct buckets
//! (at most 900 per decade), not by the number of values.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A histogram of `u64` values.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Histogram {
    counts: BTreeMap<u64, u64>,
    total: u64,
    max: u64,
}

/// The bucket a value falls in: its lower bound.
pub fn bucket(value: u64) -> u64 {
    if value < 1000 {
        return value;
    }
    let digits = value.ilog10() + 1;
    let scale = 10u64.pow(digits - 3);
    value / scale * scale
}

impl Histogram {
    /// Records one value.
    pub fn record(&mut self, value: u64) {
        *self.counts.entry(bucket(value)).or_insert(0) += 1;
        self.total += 1;
        self.max = self.max.max(value);
    }

    /// Adds another histogram's counts.
    pub fn merge(&mut self, other: &Histogram) {
        for (&bucket, &count) in &other.counts {
            *self.counts.entry(bucket).or_insert(0) += count;
        }
        self.total += other.total;
        self.max = self.max.max(other.max);
    }

    /// Each bucket's lower bound and count, in increasing order.
    pub fn buckets(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.counts.iter().map(|(&bucket, &count)| (bucket, count))
    }

    /// The number of values recorded.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The largest value recorded, exactly.
    pub fn max(&self) -> u64 {
        self.max
    }

    /// The `p` quantile by the nearest-rank method (the smallest bucket whose cumulative
    /// count reaches ⌈p·n⌉), reported as the bucket's lower bound; `None` when empty.
    pub fn quantile(&self, p: f64) -> Option<u64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((p * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (&bucket, &count) in &self.counts {
            seen += count;
            if seen >= rank {
                return Some(bucket);
            }
        }
        Some(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_keep_three_significant_digits() {
        assert_eq!(bucket(999), 999);
        assert_eq!(bucket(1234), 1230);
        assert_eq!(bucket(98_765_432), 98_700_000);
    }

    #[test]
    fn nearest_rank_quantiles_of_one_to_a_hundred() {
        let mut histogram = Histogram::default();
        for value in 1..=100 {
            histogram.record(value);
        }
        // Nearest rank: p50 is the 50th value, p95 the 95th, p99 the 99th.
        assert_eq!(histogram.quantile(0.5), Some(50));
        assert_eq!(histogram.quantile(0.95), Some(95));
        assert_eq!(histogram.quantile(0.99), Some(99));
        assert_eq!(histogram.max(), 100);
        assert_eq!(Histogram::default().quantile(0.5), None);
    }

    #[test]
    fn merging_in_any_order_gives_the_same_histogram() {
        let (mut a, mut b) = (Histogram::default(), Histogram::default());
        for value in [5u64, 123_456, 7, 5] {
            a.record(value);
        }
        for value in [1_000_000u64, 6] {
            b.record(value);
        }
        let mut ab = a.clone();
        ab.merge(&b);
        let mut ba = b.clone();
        ba.merge(&a);
        assert_eq!(ab, ba);
        assert_eq!(ab.total(), 6);
        assert_eq!(ab.max(), 1_000_000);
    }
}
