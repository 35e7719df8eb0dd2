//! DNS SRV records as clients, partners and the administrator read them (RFC 2782): the
//! order a client tries targets in (lowest priority number first; within a priority, a
//! weighted draw), the share of a priority group each target takes by weight, and the
//! order of preference the administrator considers targets in. Remote access, federation
//! and the administrator all read SRV records through this module only.

use crate::engine::rng::Stream;
use crate::topology::{EdgePoolIndex, SrvRecord, SrvRecords};

/// Edge pools in SRV preference order (priority, then weight descending, then file
/// order), followed by every other pool in file order: the order in which the
/// administrator considers targets.
pub fn preference_order(records: &SrvRecords, edge_pools: usize) -> Vec<EdgePoolIndex> {
    let mut listed: Vec<(u16, std::cmp::Reverse<u16>, usize, EdgePoolIndex)> = records
        .records()
        .iter()
        .enumerate()
        .map(|(i, r)| (r.priority, std::cmp::Reverse(r.weight), i, r.target))
        .collect();
    listed.sort();
    let mut order: Vec<EdgePoolIndex> = listed.into_iter().map(|(.., target)| target).collect();
    for edge in (0..edge_pools).map(crate::topology::PoolIndex::from_index) {
        if !order.contains(&edge) {
            order.push(edge);
        }
    }
    order
}

/// The order in which a client tries `records`' targets: lowest priority number first;
/// within a priority, RFC 2782's weighted selection (weight-0 records placed first in the
/// running sum, so they are picked with a very small chance, and first in file order when
/// every weight is 0). `scratch` is reused between draws.
pub fn draw_order(
    records: &SrvRecords,
    stream: &mut Stream,
    scratch: &mut Vec<(EdgePoolIndex, u64)>,
    order: &mut Vec<EdgePoolIndex>,
) {
    order.clear();
    for group in records.priority_groups() {
        scratch.clear();
        scratch.extend(
            group
                .iter()
                .filter(|r| r.weight == 0)
                .map(|r| (r.target, 0)),
        );
        scratch.extend(
            group
                .iter()
                .filter(|r| r.weight > 0)
                .map(|r| (r.target, u64::from(r.weight))),
        );
        // The weight left to draw from, kept as records are drawn (exact: integers).
        let mut total: u64 = scratch.iter().map(|&(_, w)| w).sum();
        while !scratch.is_empty() {
            let pick = uniform_inclusive(stream, total);
            let mut running = 0;
            let chosen = scratch
                .iter()
                .position(|&(_, weight)| {
                    running += weight;
                    running >= pick
                })
                .unwrap_or(scratch.len() - 1);
            let (target, weight) = scratch.remove(chosen);
            total -= weight;
            order.push(target);
        }
    }
}

/// A uniform integer in 0..=max.
fn uniform_inclusive(stream: &mut Stream, max: u64) -> u64 {
    ((u128::from(stream.next_u64()) * (u128::from(max) + 1)) >> 64) as u64
}

/// The share of one of `count` equal-priority targets with weight `weight`, out of the
/// group's `total` weight (RFC 2782); a group whose weights are all zero shares equally.
pub fn weight_share(weight: u16, total: u64, count: usize) -> f64 {
    if total == 0 {
        1.0 / count as f64
    } else {
        f64::from(weight) / total as f64
    }
}

/// Each of `options` (an item and its weight) with its share by weight among them, into a
/// reused buffer; all-zero weights share equally.
pub fn weight_shares_into<T: Copy>(
    options: impl Iterator<Item = (T, u16)> + Clone,
    out: &mut Vec<(T, f64)>,
) {
    out.clear();
    let (count, total) = options.clone().fold((0usize, 0u64), |(n, sum), (_, w)| {
        (n + 1, sum + u64::from(w))
    });
    out.extend(options.map(|(item, weight)| (item, weight_share(weight, total, count))));
}

/// The share of a priority group's requests that reach a target for which `up` holds,
/// when each target takes its share by weight.
pub fn share_up(group: &[SrvRecord], up: impl Fn(EdgePoolIndex) -> bool) -> f64 {
    let total: u64 = group.iter().map(|r| u64::from(r.weight)).sum();
    group
        .iter()
        .filter(|r| up(r.target))
        .map(|r| weight_share(r.weight, total, group.len()))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::Purpose;

    fn record(target: u32, priority: u16, weight: u16) -> SrvRecord {
        SrvRecord {
            target: EdgePoolIndex(target),
            priority,
            weight,
        }
    }

    fn targets(order: &[EdgePoolIndex]) -> Vec<u32> {
        order.iter().map(|e| e.0).collect()
    }

    #[test]
    fn srv_order_puts_lower_priorities_first_and_splits_by_weight() {
        // Weights 30/10 in one group: the first pick is pool 0 with probability 3/4.
        let records = SrvRecords::new(vec![record(0, 10, 30), record(1, 10, 10)]);
        let mut stream = Stream::new(1, 0, 0, Purpose::Clients);
        let (mut scratch, mut order) = (Vec::new(), Vec::new());
        let n = 40_000;
        let mut first_zero = 0;
        for _ in 0..n {
            draw_order(&records, &mut stream, &mut scratch, &mut order);
            assert_eq!(order.len(), 2);
            first_zero += usize::from(order[0] == EdgePoolIndex(0));
        }
        let p = first_zero as f64 / n as f64;
        // Binomial standard error sqrt(p(1−p)/n) = 0.00217; 4 SE.
        assert!(
            (p - 0.75).abs() < 4.0 * (0.75f64 * 0.25 / n as f64).sqrt(),
            "{p}"
        );

        let records = SrvRecords::new(vec![record(1, 20, 100), record(0, 10, 0)]);
        draw_order(&records, &mut stream, &mut scratch, &mut order);
        assert_eq!(targets(&order), vec![0, 1]);
    }

    #[test]
    fn weight_zero_is_rarely_first_and_all_zero_keeps_file_order() {
        // RFC 2782: with weights 0 and 65535, the weight-0 record is first only when the
        // draw is exactly 0, probability 1/65536.
        let records = SrvRecords::new(vec![record(0, 10, 65535), record(1, 10, 0)]);
        let mut stream = Stream::new(2, 0, 0, Purpose::Clients);
        let (mut scratch, mut order) = (Vec::new(), Vec::new());
        let zero_first = (0..10_000)
            .filter(|_| {
                draw_order(&records, &mut stream, &mut scratch, &mut order);
                order[0] == EdgePoolIndex(1)
            })
            .count();
        assert!(zero_first <= 3, "{zero_first}");
        let records = SrvRecords::new(vec![record(1, 10, 0), record(0, 10, 0)]);
        draw_order(&records, &mut stream, &mut scratch, &mut order);
        assert_eq!(targets(&order), vec![1, 0]);
    }

    #[test]
    fn weight_shares_sum_to_one() {
        let mut shares = Vec::new();
        weight_shares_into([(0, 50), (1, 150)].into_iter(), &mut shares);
        assert_eq!(shares, vec![(0, 0.25), (1, 0.75)]);
        weight_shares_into([(0, 0), (1, 0)].into_iter(), &mut shares);
        assert_eq!(shares, vec![(0, 0.5), (1, 0.5)]);
        let group = [record(0, 10, 50), record(1, 10, 150)];
        assert_eq!(share_up(&group, |e| e == EdgePoolIndex(1)), 0.75);
    }

    #[test]
    fn preference_is_priority_then_heavier_then_file_order_then_the_rest() {
        let records = SrvRecords::new(vec![
            record(2, 20, 10),
            record(0, 10, 5),
            record(4, 10, 50),
            record(3, 5, 0),
            record(1, 20, 10),
        ]);
        assert_eq!(
            targets(&preference_order(&records, 6)),
            vec![3, 4, 0, 2, 1, 5]
        );
    }
}
