//! Intervals for the mean of a per-replication quantity that keep their stated coverage
//! where few replications carry it (docs/output.md, "Evidence and intervals").
//!
//! Good layouts fail rarely, so most replications see no downtime at all and the few that
//! do carry the estimate. A Student-t interval is symmetric and its variance estimate rests
//! on those few values, so it under-covers there, always on the optimistic side. edgesim
//! uses instead, chosen by measurement against closed forms (docs/output.md, "Coverage"):
//!
//! - **A non-negative mean** (downtime, a score) carried by [`MIN_CARRYING`] replications or
//!   more: a gamma interval in the manner of Fay and Feuer (1997). The mean is treated as
//!   a gamma variable with its estimate as mean and the sample variance of the mean as
//!   variance (so the interval is skewed right, as a sum of rare outages is), widened by
//!   (t / z)² so that it tends to Student's t when many replications carry it; the upper
//!   end adds one more replication with the largest value seen ("one more event", the
//!   Garwood construction for a Poisson count, which this interval is when every
//!   replication with downtime has the same downtime), weighed by the share of
//!   replications that did not carry the estimate (nothing is unseen when all do).
//! - **A difference** between paired replications: its increases and its decreases are two
//!   non-negative means, each with the interval above (the one more event, of the largest
//!   change seen in either direction, added on both sides), combined by the method of
//!   variance estimates recovery (MOVER, Zou and Donner 2008) with the correlation of the
//!   two parts.
//! - **Fewer than [`MIN_CARRYING`] carry it**: no two-sided interval. The bounds come from
//!   the rate of replications that carry it (Clopper–Pearson), times the largest value a
//!   replication can have (the whole horizon): honest whatever the distribution, since
//!   the mean is at most that rate times that value.
//!
//! Every function is plain `libm` arithmetic with a fixed number of steps, so the same
//! sums give the same bits on every platform.

use serde::Serialize;

use super::student_t::{incomplete_beta, t_quantile};

/// Replications that must carry an estimate (a non-zero value, or a non-zero difference)
/// before it gets a two-sided interval.
pub const MIN_CARRYING: u64 = 5;

/// The two-sided error rate of every interval edgesim reports (95% intervals).
pub const ALPHA: f64 = 0.05;

/// Sufficient statistics of a non-negative per-replication quantity, in any unit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct Sample {
    /// Replications.
    pub replications: u64,
    /// Replications whose value is not zero.
    pub nonzero: u64,
    /// The mean.
    pub mean: f64,
    /// The sample variance (n − 1 in the denominator; 0 with fewer than two replications).
    pub variance: f64,
    /// The largest value.
    pub max: f64,
}

impl Sample {
    /// The sample of `replications` values with these sums.
    pub fn from_sums(
        replications: u64,
        nonzero: u64,
        sum: f64,
        sum_squares: f64,
        max: f64,
    ) -> Self {
        let n = replications as f64;
        let mean = if replications == 0 { 0.0 } else { sum / n };
        let variance = if replications < 2 {
            0.0
        } else {
            ((sum_squares - sum * mean) / (n - 1.0)).max(0.0)
        };
        Sample {
            replications,
            nonzero,
            mean,
            variance,
            max,
        }
    }

    /// The mean (0 without replications).
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// The estimated variance of the mean, s² / n (0 with fewer than two replications).
    pub fn variance_of_mean(&self) -> f64 {
        if self.replications < 2 {
            0.0
        } else {
            self.variance / self.replications as f64
        }
    }
}

/// A running sample of non-negative values (Welford's method for the variance, so that
/// values far from 0 with a small spread keep it), for readers of per-replication files.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RunningSample {
    count: u64,
    nonzero: u64,
    mean: f64,
    squared_deviations: f64,
    max: f64,
}

impl RunningSample {
    /// Adds one value.
    pub fn add(&mut self, value: f64) {
        self.count += 1;
        if value != 0.0 {
            self.nonzero += 1;
        }
        let step = value - self.mean;
        self.mean += step / self.count as f64;
        self.squared_deviations += step * (value - self.mean);
        self.max = self.max.max(value);
    }

    /// The sample so far.
    pub fn sample(&self) -> Sample {
        Sample {
            replications: self.count,
            nonzero: self.nonzero,
            mean: self.mean,
            variance: if self.count < 2 {
                0.0
            } else {
                (self.squared_deviations / (self.count - 1) as f64).max(0.0)
            },
            max: self.max,
        }
    }
}

/// What edgesim can say about a mean at 95% confidence.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Interval {
    /// Fewer than two replications: nothing.
    None,
    /// A two-sided 95% interval: at least [`MIN_CARRYING`] replications carry the estimate.
    TwoSided {
        /// Lower end.
        low: f64,
        /// Upper end.
        high: f64,
    },
    /// Fewer replications carry it: bounds from the rate of replications that do, which
    /// assume nothing about how large an unseen value is (up to the whole horizon).
    Bounds {
        /// The mean is at least this.
        low: f64,
        /// The mean is at most this.
        high: f64,
    },
    /// Exactly zero by construction: the layout changes nothing the service reads.
    Unaffected,
}

impl Interval {
    /// The two ends, whatever the kind (`(0, 0)` when unaffected; `None` when nothing).
    pub fn ends(&self) -> Option<(f64, f64)> {
        match *self {
            Interval::None => None,
            Interval::TwoSided { low, high } | Interval::Bounds { low, high } => Some((low, high)),
            Interval::Unaffected => Some((0.0, 0.0)),
        }
    }

    /// Both ends mapped by `f` (an increasing function, e.g. a change of unit).
    pub fn map(self, f: impl Fn(f64) -> f64) -> Interval {
        match self {
            Interval::TwoSided { low, high } => Interval::TwoSided {
                low: f(low),
                high: f(high),
            },
            Interval::Bounds { low, high } => Interval::Bounds {
                low: f(low),
                high: f(high),
            },
            other => other,
        }
    }

    /// The name written in the `interval` columns: `two_sided`, `bounds`, `unaffected` or
    /// `none`.
    pub fn kind(&self) -> &'static str {
        match self {
            Interval::None => "none",
            Interval::TwoSided { .. } => "two_sided",
            Interval::Bounds { .. } => "bounds",
            Interval::Unaffected => "unaffected",
        }
    }

    /// −1 when the interval lies below 0, +1 when above, 0 otherwise (bounds, which rest
    /// on too few replications, never exclude 0 in edgesim's use).
    pub fn sign(&self) -> i8 {
        match *self {
            Interval::TwoSided { high, .. } if high < 0.0 => -1,
            Interval::TwoSided { low, .. } if low > 0.0 => 1,
            _ => 0,
        }
    }
}

/// The interval of a non-negative mean at two-sided level 1 − `alpha` (bounds are then
/// one-sided at 1 − `alpha`: the mean is at most `high`). `cap` is the largest value one
/// replication can have.
pub fn mean_interval(sample: &Sample, cap: f64, alpha: f64) -> Interval {
    let n = sample.replications;
    if n < 2 {
        return Interval::None;
    }
    if sample.nonzero < MIN_CARRYING {
        return Interval::Bounds {
            low: 0.0,
            high: rate_upper_bound(sample.nonzero, n, alpha) * cap,
        };
    }
    let pad = one_more(sample.max, sample.nonzero, n);
    let widening = Widening::new(n, alpha);
    let (low, high) = gamma_interval(
        sample.mean(),
        sample.variance_of_mean(),
        pad,
        widening,
        alpha,
    );
    Interval::TwoSided {
        low: low.clamp(0.0, cap),
        high: high.clamp(0.0, cap),
    }
}

/// The interval of a paired difference at two-sided level 1 − `alpha`, from its
/// increases (positive differences, as values) and decreases (negative differences, as
/// positive values) over the same replications. `cap` is the largest change one
/// replication can have. With fewer than [`MIN_CARRYING`] replications differing, each
/// bound is one-sided at 1 − `alpha` / 2.
pub fn difference_interval(
    increases: &Sample,
    decreases: &Sample,
    cap: f64,
    alpha: f64,
) -> Interval {
    let n = increases.replications;
    debug_assert_eq!(n, decreases.replications);
    if n < 2 {
        return Interval::None;
    }
    if increases.nonzero + decreases.nonzero < MIN_CARRYING {
        return Interval::Bounds {
            low: -rate_upper_bound(decreases.nonzero, n, alpha / 2.0) * cap,
            high: rate_upper_bound(increases.nonzero, n, alpha / 2.0) * cap,
        };
    }
    let pad = one_more(
        increases.max.max(decreases.max),
        increases.nonzero + decreases.nonzero,
        n,
    );
    let (up, down) = (increases.mean(), decreases.mean());
    let (up_variance, down_variance) = (increases.variance_of_mean(), decreases.variance_of_mean());
    let widening = Widening::new(n, alpha);
    let (up_low, up_high) = gamma_interval(up, up_variance, pad, widening, alpha);
    let (down_low, down_high) = gamma_interval(down, down_variance, pad, widening, alpha);
    // The parts of one replication are never both non-zero, so their means are negatively
    // correlated: Cov = −E⁺E⁻ / n, with n − 1 for the sample version.
    let correlation = if up_variance > 0.0 && down_variance > 0.0 {
        let covariance = -up * down / (n as f64 - 1.0);
        (covariance / (up_variance * down_variance).sqrt()).max(-1.0)
    } else {
        0.0
    };
    let combine = |a: f64, b: f64| (a * a + b * b - 2.0 * correlation * a * b).max(0.0).sqrt();
    let estimate = up - down;
    Interval::TwoSided {
        low: (estimate - combine(up - up_low, down_high - down)).max(-cap),
        high: (estimate + combine(up_high - up, down - down_low)).min(cap),
    }
}

/// The "one more event" added to the upper end (module documentation): one more
/// replication with the `largest` value seen, weighed by the share of the `n` replications
/// that did not carry the estimate (`k` did), so that it is Garwood's one more event when
/// few replications carry it and nothing when all do (there is then no unseen replication
/// to add; measured in docs/output.md, "Coverage").
fn one_more(largest: f64, k: u64, n: u64) -> f64 {
    largest / n as f64 * (1.0 - k.min(n) as f64 / n as f64)
}

/// The factor (t / z)² by which the variance of a mean over `n` replications is widened,
/// so that the gamma interval tends to Student's t at two-sided level 1 − `alpha`.
#[derive(Clone, Copy, Debug)]
struct Widening(f64);

impl Widening {
    fn new(n: u64, alpha: f64) -> Self {
        let z = normal_quantile(1.0 - alpha / 2.0);
        let t = t_quantile(1.0 - alpha / 2.0, (n.max(2) - 1) as f64);
        Widening((t / z) * (t / z))
    }
}

/// The interval of `after` − `before`, two non-negative means of independent samples
/// (two runs that did not draw the same random numbers), at two-sided level 1 − `alpha`:
/// each side's interval ([`mean_interval`]) combined by MOVER. When fewer than
/// [`MIN_CARRYING`] replications carry either side, the bounds each side gives at
/// 1 − `alpha` / 2 are subtracted end to end.
pub fn independent_difference(before: &Sample, after: &Sample, cap: f64, alpha: f64) -> Interval {
    let (a, b) = (
        mean_interval(before, cap, alpha),
        mean_interval(after, cap, alpha),
    );
    match (a, b) {
        (
            Interval::TwoSided {
                low: a_low,
                high: a_high,
            },
            Interval::TwoSided {
                low: b_low,
                high: b_high,
            },
        ) => {
            let (a_mean, b_mean) = (before.mean(), after.mean());
            let estimate = b_mean - a_mean;
            Interval::TwoSided {
                low: estimate - ((b_mean - b_low).powi(2) + (a_high - a_mean).powi(2)).sqrt(),
                high: estimate + ((b_high - b_mean).powi(2) + (a_mean - a_low).powi(2)).sqrt(),
            }
        }
        (Interval::None, _) | (_, Interval::None) => Interval::None,
        _ => {
            let ends = |sample: &Sample| match mean_interval(sample, cap, alpha / 2.0) {
                Interval::TwoSided { low, high } | Interval::Bounds { low, high } => (low, high),
                _ => (0.0, cap),
            };
            let ((a_low, a_high), (b_low, b_high)) = (ends(before), ends(after));
            Interval::Bounds {
                low: b_low - a_high,
                high: b_high - a_low,
            }
        }
    }
}

/// The gamma interval of a non-negative mean (module documentation): `mean` with
/// variance `variance_of_mean`, `pad` from [`one_more`], at two-sided level 1 − `alpha`.
fn gamma_interval(
    mean: f64,
    variance_of_mean: f64,
    pad: f64,
    widening: Widening,
    alpha: f64,
) -> (f64, f64) {
    let variance = variance_of_mean * widening.0;
    let low = if mean <= 0.0 {
        0.0
    } else if variance <= 0.0 {
        mean
    } else {
        gamma_quantile(alpha / 2.0, mean * mean / variance, variance / mean)
    };
    let upper_mean = mean + pad;
    let upper_variance = variance + pad * pad;
    let high = if upper_mean <= 0.0 {
        0.0
    } else if upper_variance <= 0.0 {
        upper_mean
    } else {
        gamma_quantile(
            1.0 - alpha / 2.0,
            upper_mean * upper_mean / upper_variance,
            upper_variance / upper_mean,
        )
    };
    (low, high.max(mean))
}

/// The one-sided upper confidence bound at 1 − `alpha` of a rate seen in `k` of `n`
/// replications (Clopper–Pearson: the p at which `k` or fewer would be seen with
/// probability `alpha`).
pub fn rate_upper_bound(k: u64, n: u64, alpha: f64) -> f64 {
    if n == 0 || k >= n {
        return 1.0;
    }
    if k == 0 {
        // P(none in n) = (1 − p)ⁿ = alpha.
        return 1.0 - libm::pow(alpha, 1.0 / n as f64);
    }
    // P(Bin(n, p) ≤ k) = 1 − I_p(k + 1, n − k) = alpha.
    let (a, b) = ((k + 1) as f64, (n - k) as f64);
    let (mut low, mut high) = (0.0f64, 1.0f64);
    for _ in 0..100 {
        let middle = 0.5 * (low + high);
        if incomplete_beta(middle, a, b) < 1.0 - alpha {
            low = middle;
        } else {
            high = middle;
        }
    }
    high
}

/// The replications a mean seen in `k` of `n` would need to be carried by
/// [`MIN_CARRYING`] at its observed rate (at its 95% upper rate when none was seen, so a
/// lower bound); `None` when it already is.
pub fn replications_needed(k: u64, n: u64) -> Option<u64> {
    if k >= MIN_CARRYING || n == 0 {
        return None;
    }
    let rate = if k == 0 {
        rate_upper_bound(0, n, ALPHA)
    } else {
        k as f64 / n as f64
    };
    Some(libm::ceil(MIN_CARRYING as f64 / rate) as u64)
}

/// P(Z ≤ z) for a standard normal variable.
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * libm::erfc(-z / std::f64::consts::SQRT_2)
}

/// The `p` quantile of the standard normal distribution (0 < p < 1), by bisection.
pub fn normal_quantile(p: f64) -> f64 {
    let (mut low, mut high) = (-40.0f64, 40.0f64);
    // 70 halvings take the bracket below one ulp, after which steps change nothing.
    for _ in 0..70 {
        let middle = 0.5 * (low + high);
        if normal_cdf(middle) < p {
            low = middle;
        } else {
            high = middle;
        }
    }
    0.5 * (low + high)
}

/// Above this shape, gamma quantiles use the Wilson–Hilferty approximation (relative error
/// far below 10⁻⁸ there) instead of inverting P(a, x).
const WILSON_HILFERTY_SHAPE: f64 = 1e6;

/// The regularized lower incomplete gamma function P(a, x), the share of a Gamma(a, 1)
/// variable below x.
pub fn gamma_p(a: f64, x: f64) -> f64 {
    crate::distribution::regularized_lower_gamma(a, x)
}

/// The Wilson–Hilferty approximation of the `p` quantile of Gamma(`shape`, 1).
fn wilson_hilferty(p: f64, shape: f64) -> f64 {
    let z = normal_quantile(p);
    let c = 1.0 / (9.0 * shape);
    let cube = 1.0 - c + z * c.sqrt();
    shape * (cube * cube * cube).max(0.0)
}

/// The `p` quantile (0 < p < 1) of the gamma distribution with `shape` and `scale`.
pub fn gamma_quantile(p: f64, shape: f64, scale: f64) -> f64 {
    if shape <= 0.0 || scale <= 0.0 {
        return 0.0;
    }
    if shape > WILSON_HILFERTY_SHAPE {
        return wilson_hilferty(p, shape) * scale;
    }
    // Newton's method from the Wilson–Hilferty value, kept inside a bracket that every
    // step narrows; a step that leaves it bisects instead.
    let (mut low, mut high) = (0.0f64, f64::INFINITY);
    let mut x = wilson_hilferty(p, shape).max(1e-300);
    let log_normaliser = libm::lgamma(shape);
    for _ in 0..200 {
        let error = gamma_p(shape, x) - p;
        if error < 0.0 {
            low = x;
        } else {
            high = x;
        }
        let density = libm::exp((shape - 1.0) * libm::log(x) - x - log_normaliser);
        let mut next = if density > 0.0 && density.is_finite() {
            x - error / density
        } else {
            f64::NAN
        };
        if !(next > low && next < high) {
            next = if high.is_finite() {
                0.5 * (low + high)
            } else {
                2.0 * x.max(low)
            };
        }
        if (next - x).abs() <= 1e-14 * x {
            x = next;
            break;
        }
        x = next;
    }
    x * scale
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(found: f64, expected: f64, relative: f64) {
        assert!(
            (found - expected).abs() <= relative * expected.abs(),
            "{found} ≠ {expected}"
        );
    }

    #[test]
    fn the_incomplete_gamma_has_closed_forms_to_check() {
        // P(1, x) = 1 − e^−x; P(3, x) = 1 − e^−x (1 + x + x²/2); P(½, x) = erf(√x).
        // Probabilities, so compared to 1e-14 absolutely (the closed forms themselves
        // lose relative precision to cancellation at small x).
        let near = |found: f64, expected: f64| {
            assert!((found - expected).abs() < 1e-14, "{found} ≠ {expected}");
        };
        for x in [0.01, 0.5, 1.0, 3.0, 10.0, 40.0] {
            near(gamma_p(1.0, x), -libm::expm1(-x));
            near(
                gamma_p(3.0, x),
                1.0 - libm::exp(-x) * (1.0 + x + x * x / 2.0),
            );
            near(gamma_p(0.5, x), libm::erf(x.sqrt()));
        }
    }

    #[test]
    fn gamma_quantiles_give_the_published_poisson_limits() {
        // Exact (Garwood) 95% limits of a Poisson mean from k events are the 2.5% quantile
        // of Gamma(k) and the 97.5% quantile of Gamma(k + 1); published values (e.g. Ulm,
        // American Journal of Epidemiology 131 (1990) 373–375, table 1).
        for (k, low, high) in [
            (1.0, 0.0253, 5.5716),
            (5.0, 1.6235, 11.6683),
            (10.0, 4.7954, 18.3904),
            (20.0, 12.2165, 30.8884),
        ] {
            // The table has four decimals.
            for (found, expected) in [
                (gamma_quantile(0.025, k, 1.0), low),
                (gamma_quantile(0.975, k + 1.0, 1.0), high),
            ] {
                assert!((found - expected).abs() <= 5e-5, "{found} ≠ {expected}");
            }
        }
        // Gamma(1) is the exponential: its p quantile is −ln(1 − p).
        close(
            gamma_quantile(0.975, 1.0, 2.0),
            -2.0 * libm::log(0.025),
            1e-12,
        );
        // Large shapes meet the Wilson–Hilferty branch smoothly; the quantile of a large
        // shape is near the normal's, a + z·√a.
        let a = 4e6;
        close(
            gamma_quantile(0.975, a, 1.0),
            a + 1.959_964 * a.sqrt(),
            1e-6,
        );
        // Across the threshold (shapes 10⁶ ∓ 1), the quantile grows by 2·(1 + z/(2√a)),
        // its derivative: the two branches agree to far below a unit.
        let below = gamma_quantile(0.975, WILSON_HILFERTY_SHAPE - 1.0, 1.0);
        let above = gamma_quantile(0.975, WILSON_HILFERTY_SHAPE + 1.0, 1.0);
        let step = 2.0 * (1.0 + 1.959_964 / (2.0 * WILSON_HILFERTY_SHAPE.sqrt()));
        assert!((above - below - step).abs() < 1e-3, "{below} {above}");
    }

    #[test]
    fn normal_quantiles_match_the_table() {
        close(normal_quantile(0.975), 1.959_963_984_540_054, 1e-12);
        close(normal_quantile(0.995), 2.575_829_303_548_901, 1e-12);
        assert!(normal_quantile(0.5).abs() < 1e-12);
    }

    #[test]
    fn clopper_pearson_bounds_match_published_values() {
        // None in n: 1 − α^(1/n) (the "rule of three" is its approximation 3/n).
        close(
            rate_upper_bound(0, 10, 0.05),
            1.0 - 0.05f64.powf(0.1),
            1e-12,
        );
        close(rate_upper_bound(0, 1000, 0.05), 0.002_991_5, 1e-4);
        // 1 of 10, two-sided 95%: upper 0.4450 (Clopper and Pearson's tables; e.g. NIST).
        close(rate_upper_bound(1, 10, 0.025), 0.4450, 1e-3);
        // 4 of 20, two-sided 95%: upper 0.4366.
        close(rate_upper_bound(4, 20, 0.025), 0.4366, 1e-3);
        assert_eq!(rate_upper_bound(5, 5, 0.05), 1.0);
    }

    /// A sample of `values` (in any unit).
    fn sample(values: &[f64]) -> Sample {
        Sample::from_sums(
            values.len() as u64,
            values.iter().filter(|&&v| v != 0.0).count() as u64,
            values.iter().sum(),
            values.iter().map(|v| v * v).sum(),
            values.iter().copied().fold(0.0, f64::max),
        )
    }

    #[test]
    fn a_running_sample_agrees_with_the_sums_and_keeps_a_small_spread() {
        let values = [0.0, 2.0, 4.0, 4.0, 0.0, 5.0, 7.0, 9.0];
        let mut running = RunningSample::default();
        values.iter().for_each(|&v| running.add(v));
        let (a, b) = (running.sample(), sample(&values));
        assert_eq!((a.replications, a.nonzero, a.max), (8, 6, 9.0));
        assert!((a.mean - b.mean).abs() < 1e-12 && (a.variance - b.variance).abs() < 1e-12);
        // 1e9 + {1, 2, 3}: variance 1, which Σx² − n·x̄² would lose to cancellation.
        let mut shifted = RunningSample::default();
        [1e9 + 1.0, 1e9 + 2.0, 1e9 + 3.0]
            .iter()
            .for_each(|&v| shifted.add(v));
        assert!((shifted.sample().variance - 1.0).abs() < 1e-6);
    }

    #[test]
    fn equal_rare_values_give_the_exact_poisson_interval() {
        // 5 replications of 10,000 with downtime 1: the count is the evidence. With the
        // sample variance ≈ Σx²/n² and the largest value 1, the interval in units of
        // 1/n is close to Garwood's [1.6235, 11.6683] (the t/z widening is negligible
        // at n = 10,000; the variance is (n/(n−1))·(5 − 25/n)/n², a hair under 5/n²).
        let mut values = vec![0.0; 10_000];
        values[..5].fill(1.0);
        let Interval::TwoSided { low, high } = mean_interval(&sample(&values), 1.0, ALPHA) else {
            panic!("five replications carry it");
        };
        close(low * 10_000.0, 1.6235, 2e-3);
        close(high * 10_000.0, 11.6683, 2e-3);
    }

    #[test]
    fn many_carrying_replications_give_nearly_students_interval() {
        // Every replication carries the estimate and the spread is small against the
        // mean: the gamma is close to symmetric, and the interval is Student's t.
        let values: Vec<f64> = (0..400).map(|i| 100.0 + f64::from(i % 7)).collect();
        let s = sample(&values);
        let Interval::TwoSided { low, high } = mean_interval(&s, 1e9, ALPHA) else {
            panic!("two-sided");
        };
        let half = t_quantile(0.975, 399.0) * s.variance_of_mean().sqrt();
        close(low, s.mean() - half, 2e-4);
        close(high, s.mean() + half, 2e-4);
    }

    #[test]
    fn few_carrying_replications_give_bounds_from_the_rate() {
        let mut values = vec![0.0; 100];
        values[..3].fill(2.0);
        let interval = mean_interval(&sample(&values), 50.0, ALPHA);
        assert_eq!(
            interval,
            Interval::Bounds {
                low: 0.0,
                high: rate_upper_bound(3, 100, ALPHA) * 50.0
            }
        );
        assert_eq!(mean_interval(&sample(&[3.0]), 50.0, ALPHA), Interval::None);
        assert_eq!(replications_needed(3, 100), Some(167));
        assert_eq!(replications_needed(5, 100), None);
        // None seen: at least 5 / (the 95% upper rate) replications.
        assert_eq!(
            replications_needed(0, 100),
            Some(libm::ceil(5.0 / rate_upper_bound(0, 100, ALPHA)) as u64)
        );
    }

    #[test]
    fn a_difference_with_one_sign_is_skewed_like_a_mean() {
        // Twelve replications of 1,000 got worse by 1 to 12; none better. The interval is
        // above 0 and reaches further above the estimate than below it.
        let mut values = vec![0.0; 1000];
        for (i, v) in values.iter_mut().take(12).enumerate() {
            *v = (i + 1) as f64;
        }
        let increases = sample(&values);
        let decreases = sample(&vec![0.0; 1000]);
        let Interval::TwoSided { low, high } =
            difference_interval(&increases, &decreases, 1e6, ALPHA)
        else {
            panic!("two-sided");
        };
        let estimate = increases.mean();
        assert!(
            low > 0.0 && low < estimate && high > estimate,
            "{low} {high}"
        );
        assert!(high - estimate > estimate - low);
        // Swapping the parts mirrors the interval.
        let mirrored = difference_interval(&decreases, &increases, 1e6, ALPHA);
        assert_eq!(
            mirrored,
            Interval::TwoSided {
                low: -high,
                high: -low
            }
        );
    }

    #[test]
    fn a_balanced_difference_is_close_to_students() {
        // Half the replications gain 1 to 3, the other half lose as much: a symmetric
        // difference with a mean of 0, carried by every replication.
        let n = 600;
        let (mut up, mut down) = (vec![0.0; n], vec![0.0; n]);
        for i in 0..n {
            let size = f64::from((i % 3) as u32 + 1);
            if i % 2 == 0 {
                up[i] = size;
            } else {
                down[i] = size;
            }
        }
        let (up, down) = (sample(&up), sample(&down));
        let Interval::TwoSided { low, high } = difference_interval(&up, &down, 1e6, ALPHA) else {
            panic!("two-sided");
        };
        // The paired differences' own Student interval.
        let mean = up.mean() - down.mean();
        let nf = n as f64;
        let squares = |s: &Sample| s.variance * (nf - 1.0) + nf * s.mean * s.mean;
        let sum_squares = squares(&up) + squares(&down);
        let sum = (up.mean - down.mean) * nf;
        let variance = (sum_squares - sum * mean) / (nf - 1.0) / nf;
        let half = t_quantile(0.975, (n - 1) as f64) * variance.sqrt();
        close(high - low, 2.0 * half, 0.03);
        assert!(low < mean && mean < high);
    }

    #[test]
    fn independent_means_combine_their_intervals() {
        // Two samples of 400 carried by every replication: the MOVER interval of the
        // difference is √(h_a² + h_b²) wide each side when both intervals are symmetric,
        // as Welch's is.
        let a: Vec<f64> = (0..400).map(|i| 100.0 + f64::from(i % 7)).collect();
        let b: Vec<f64> = (0..400).map(|i| 110.0 + f64::from(i % 5)).collect();
        let (a, b) = (sample(&a), sample(&b));
        let Interval::TwoSided { low, high } = independent_difference(&a, &b, 1e9, ALPHA) else {
            panic!("two-sided");
        };
        let t = t_quantile(0.975, 399.0);
        let half = t * (a.variance_of_mean() + b.variance_of_mean()).sqrt();
        let estimate = b.mean() - a.mean();
        close(low, estimate - half, 1e-3);
        close(high, estimate + half, 1e-3);
        // One side carried by too few: bounds, not an interval.
        let mut rare = vec![0.0; 400];
        rare[0] = 5.0;
        assert!(matches!(
            independent_difference(&a, &sample(&rare), 1e3, ALPHA),
            Interval::Bounds { .. }
        ));
    }

    #[test]
    fn a_difference_few_replications_carry_has_bounds_both_ways() {
        let mut up = vec![0.0; 200];
        up[0] = 4.0;
        let down = vec![0.0; 200];
        let interval = difference_interval(&sample(&up), &sample(&down), 10.0, ALPHA);
        assert_eq!(
            interval,
            Interval::Bounds {
                low: -rate_upper_bound(0, 200, 0.025) * 10.0,
                high: rate_upper_bound(1, 200, 0.025) * 10.0
            }
        );
        assert_eq!(interval.sign(), 0);
    }
}
