//! A mergeable log-linear histogram of non-negative integers, in the manner of
//! HdrHistogram with three significant decimal digits: values below 2,048 are kept
//! exactly; above, each power of two is split into 1,024 buckets of equal width, so a
//! bucket is at most 1/1,024 of its values wide. A quantile is reported as the middle of
//! its bucket (kept within the smallest and largest values recorded), so it is within
//! 0.05% of the exact order statistic (docs/output.md). Counts are exact integers, so
//! histograms merged in any order are identical, and memory is bounded by the number of
//! distinct buckets (at most 1,024 per power of two), not by the number of values.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A count that would not fit its integer when merged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overflow;

impl std::fmt::Display for Overflow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a count or sum would overflow when merged")
    }
}

/// A histogram of `u64` values.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Histogram {
    counts: BTreeMap<u64, u64>,
    total: u64,
    max: u64,
    /// The smallest value recorded (0 when empty).
    #[serde(default)]
    min: u64,
}

/// Values below this are their own bucket.
const EXACT_BELOW: u64 = 2048;
/// Buckets per power of two above [`EXACT_BELOW`] (as a power of two: 2¹⁰ = 1,024).
const BUCKET_BITS: u32 = 10;

/// The width of the bucket `value` falls in (1 below `EXACT_BELOW`).
pub fn bucket_width(value: u64) -> u64 {
    if value < EXACT_BELOW {
        return 1;
    }
    1 << (value.ilog2() - BUCKET_BITS)
}

/// The bucket a value falls in: its lower bound.
pub fn bucket(value: u64) -> u64 {
    value & !(bucket_width(value) - 1)
}

impl Histogram {
    /// Records one value.
    pub fn record(&mut self, value: u64) {
        *self.counts.entry(bucket(value)).or_insert(0) += 1;
        self.min = if self.total == 0 {
            value
        } else {
            self.min.min(value)
        };
        self.total += 1;
        self.max = self.max.max(value);
    }

    /// Adds another histogram's counts; `Err` when a count would overflow (only a
    /// tampered part file can hold such counts).
    pub fn merge(&mut self, other: &Histogram) -> Result<(), Overflow> {
        let total = self.total.checked_add(other.total).ok_or(Overflow)?;
        for (&bucket, &count) in &other.counts {
            let slot = self.counts.entry(bucket).or_insert(0);
            *slot = slot.checked_add(count).ok_or(Overflow)?;
        }
        if other.total > 0 {
            self.min = if self.total == 0 {
                other.min
            } else {
                self.min.min(other.min)
            };
        }
        self.total = total;
        self.max = self.max.max(other.max);
        Ok(())
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

    /// The smallest value recorded, exactly (0 when empty).
    pub fn min(&self) -> u64 {
        self.min
    }

    /// The `p` quantile by the nearest-rank method (the value of rank ⌈p·n⌉), reported as
    /// the middle of its bucket, kept within the smallest and largest values recorded;
    /// `None` when empty.
    pub fn quantile(&self, p: f64) -> Option<u64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((p * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (&bucket, &count) in &self.counts {
            seen += count;
            if seen >= rank {
                // The middle of the whole numbers the bucket holds.
                let middle = bucket + (bucket_width(bucket) - 1) / 2;
                return Some(middle.clamp(self.min, self.max));
            }
        }
        Some(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_at_most_a_1024th_of_their_values_wide() {
        assert_eq!(bucket(2047), 2047);
        assert_eq!(bucket(2048), 2048);
        assert_eq!(bucket(2049), 2048);
        assert_eq!(bucket_width(4095), 2);
        assert_eq!(bucket(4097), 4096);
        // 98,765,432 lies in [2²⁶, 2²⁷): buckets of 2¹⁶ = 65,536.
        assert_eq!(bucket_width(98_765_432), 65_536);
        assert_eq!(bucket(98_765_432), 98_762_752);
        for value in [2048u64, 3000, 123_456, 987_654_321, 1_000_000_000_000_000] {
            assert!(bucket_width(value) as f64 / value as f64 <= 1.0 / 1024.0);
            assert!(bucket(value) <= value && value < bucket(value) + bucket_width(value));
        }
    }

    #[test]
    fn quantiles_are_within_half_a_bucket_of_the_exact_order_statistic() {
        // Values spread over eleven decades; each reported quantile is within 0.05% of the
        // exact nearest-rank value, and equal values are reported exactly.
        let mut values: Vec<u64> = (1..=5000u64)
            .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15) % 100_000_000_000)
            .collect();
        let mut histogram = Histogram::default();
        values.iter().for_each(|&v| histogram.record(v));
        values.sort_unstable();
        for p in [0.01, 0.5, 0.9, 0.95, 0.99, 0.999] {
            let rank = ((p * values.len() as f64).ceil() as usize).max(1);
            let exact = values[rank - 1] as f64;
            let found = histogram.quantile(p).unwrap() as f64;
            assert!(
                (found - exact).abs() <= 0.0005 * exact,
                "p{p}: {found} vs {exact}"
            );
        }
        let mut same = Histogram::default();
        for _ in 0..10 {
            same.record(5_928_280_000);
        }
        assert_eq!(same.quantile(0.99), Some(5_928_280_000));
        assert_eq!(same.min(), 5_928_280_000);
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
        ab.merge(&b).unwrap();
        let mut ba = b.clone();
        ba.merge(&a).unwrap();
        assert_eq!(ab, ba);
        assert_eq!(ab.total(), 6);
        assert_eq!(ab.max(), 1_000_000);
    }
}
