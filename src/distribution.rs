//! Probability distributions of durations, with parameters already converted to the form
//! a sampler needs (docs/scenario.md, "Distributions").

use crate::engine::rng::Stream;
use crate::time::{MICROS_PER_HOUR, SimDuration};

/// The 95th percentile of the standard normal distribution, for `lognormal {median, p95}`.
pub const STANDARD_NORMAL_P95: f64 = 1.644_853_626_951_472_2;

/// A distribution of durations, ready to sample.
#[derive(Clone, Debug, PartialEq)]
pub enum Distribution {
    /// The event never happens (`{ dist = "none" }`; failures only).
    Never,
    /// Always the same duration.
    Fixed(SimDuration),
    /// Exponential with the given mean.
    Exponential {
        /// The mean.
        mean: SimDuration,
    },
    /// Log-normal: the natural log of the duration in hours is normal(`mu_ln_hours`, `sigma`).
    LogNormal {
        /// Mean of ln(duration in hours).
        mu_ln_hours: f64,
        /// Standard deviation of ln(duration in hours), positive.
        sigma: f64,
    },
    /// Weibull with shape k and scale λ: P(X > t) = exp(−(t/λ)^k).
    Weibull {
        /// Shape k, positive.
        shape: f64,
        /// Scale λ.
        scale: SimDuration,
    },
    /// Gamma with shape k and scale θ (mean kθ).
    Gamma {
        /// Shape k, positive.
        shape: f64,
        /// Scale θ.
        scale: SimDuration,
    },
    /// Uniform between `min` and `max` inclusive.
    Uniform {
        /// The shortest duration.
        min: SimDuration,
        /// The longest duration.
        max: SimDuration,
    },
}

impl Distribution {
    /// The log-normal whose median and 95th percentile are given (`p95 > median > 0`).
    pub fn lognormal_from_median_p95(median: SimDuration, p95: SimDuration) -> Self {
        let mu_ln_hours = median.as_hours_f64().ln();
        let sigma = (p95.as_hours_f64().ln() - mu_ln_hours) / STANDARD_NORMAL_P95;
        Distribution::LogNormal { mu_ln_hours, sigma }
    }

    /// The mean in hours, or `None` for `Never`.
    pub fn mean_hours(&self) -> Option<f64> {
        Some(match *self {
            Distribution::Never => return None,
            Distribution::Fixed(value) => value.as_hours_f64(),
            Distribution::Exponential { mean } => mean.as_hours_f64(),
            Distribution::LogNormal { mu_ln_hours, sigma } => {
                (mu_ln_hours + sigma * sigma / 2.0).exp()
            }
            Distribution::Weibull { shape, scale } => {
                scale.as_hours_f64() * gamma_function(1.0 + 1.0 / shape)
            }
            Distribution::Gamma { shape, scale } => shape * scale.as_hours_f64(),
            Distribution::Uniform { min, max } => (min.as_hours_f64() + max.as_hours_f64()) / 2.0,
        })
    }

    /// The share of draws shorter than `hours` (the cumulative distribution function).
    pub fn share_below(&self, hours: f64) -> f64 {
        match *self {
            Distribution::Never => 0.0,
            Distribution::Fixed(value) => f64::from(u8::from(value.as_hours_f64() < hours)),
            Distribution::Exponential { mean } => -libm::expm1(-hours / mean.as_hours_f64()),
            Distribution::LogNormal { mu_ln_hours, sigma } => {
                if hours <= 0.0 {
                    0.0
                } else {
                    0.5 * libm::erfc(
                        -(libm::log(hours) - mu_ln_hours) / (sigma * std::f64::consts::SQRT_2),
                    )
                }
            }
            Distribution::Weibull { shape, scale } => {
                -libm::expm1(-libm::pow(hours / scale.as_hours_f64(), shape))
            }
            Distribution::Gamma { shape, scale } => {
                regularized_lower_gamma(shape, hours / scale.as_hours_f64())
            }
            Distribution::Uniform { min, max } => {
                let (low, high) = (min.as_hours_f64(), max.as_hours_f64());
                if high <= low {
                    f64::from(u8::from(low < hours))
                } else {
                    ((hours - low) / (high - low)).clamp(0.0, 1.0)
                }
            }
        }
    }

    /// Whether every draw is the same value (a fixed value, or a uniform of zero width).
    pub fn is_constant(&self) -> bool {
        match *self {
            Distribution::Fixed(_) => true,
            Distribution::Uniform { min, max } => min == max,
            _ => false,
        }
    }

    /// Whether every draw is zero (a failure or repair process that cannot work).
    pub fn is_always_zero(&self) -> bool {
        match *self {
            Distribution::Fixed(value) => value.is_zero(),
            Distribution::Uniform { max, .. } => max.is_zero(),
            _ => false,
        }
    }
}

/// The longest duration a draw may return (about 146,000 years): far beyond any horizon,
/// and small enough that adding it to any simulated time cannot overflow.
pub const LONGEST_DRAW: SimDuration = SimDuration::from_micros(1 << 62);

impl Distribution {
    /// Draws one duration; `None` for [`Distribution::Never`].
    ///
    /// Every sampler is an exact transformation of uniform numbers computed with `libm`
    /// (pure Rust), so draws are identical on every platform: inverse CDFs for the
    /// exponential, Weibull and uniform, Box–Muller for the log-normal, and
    /// Marsaglia–Tsang (2000) for the gamma.
    pub fn sample(&self, stream: &mut Stream) -> Option<SimDuration> {
        let micros = match *self {
            Distribution::Never => return None,
            Distribution::Fixed(value) => return Some(value),
            Distribution::Exponential { mean } => {
                -(mean.as_micros() as f64) * libm::log(stream.open01())
            }
            Distribution::LogNormal { mu_ln_hours, sigma } => {
                libm::exp(mu_ln_hours + sigma * standard_normal(stream)) * MICROS_PER_HOUR as f64
            }
            Distribution::Weibull { shape, scale } => {
                scale.as_micros() as f64 * libm::pow(-libm::log(stream.open01()), 1.0 / shape)
            }
            Distribution::Gamma { shape, scale } => {
                scale.as_micros() as f64 * standard_gamma(shape, stream)
            }
            Distribution::Uniform { min, max } => {
                min.as_micros() as f64
                    + stream.open01() * (max.as_micros() - min.as_micros()) as f64
            }
        };
        Some(micros_to_duration(micros))
    }
}

fn micros_to_duration(micros: f64) -> SimDuration {
    if micros.is_nan() || micros <= 0.0 {
        return SimDuration::ZERO;
    }
    let longest = LONGEST_DRAW.as_micros();
    let rounded = libm::round(micros);
    if rounded >= longest as f64 {
        LONGEST_DRAW
    } else {
        SimDuration::from_micros(rounded as u64)
    }
}

/// A standard normal draw by the Box–Muller transform (one of the pair is used).
fn standard_normal(stream: &mut Stream) -> f64 {
    let radius = libm::sqrt(-2.0 * libm::log(stream.open01()));
    radius * libm::cos(2.0 * std::f64::consts::PI * stream.open01())
}

/// A gamma(shape, 1) draw by Marsaglia and Tsang's method; shape < 1 uses the boost
/// G(k) = G(k + 1) · U^(1/k).
fn standard_gamma(shape: f64, stream: &mut Stream) -> f64 {
    if shape < 1.0 {
        let boosted = standard_gamma(shape + 1.0, stream);
        return boosted * libm::pow(stream.open01(), 1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / libm::sqrt(9.0 * d);
    loop {
        let z = standard_normal(stream);
        let v = 1.0 + c * z;
        if v <= 0.0 {
            continue;
        }
        let v = v * v * v;
        let u = stream.open01();
        if libm::log(u) < 0.5 * z * z + d - d * v + d * libm::log(v) {
            return d * v;
        }
    }
}

/// The regularized lower incomplete gamma function P(a, x): the share of a gamma(a, 1)
/// variable below x.
pub fn regularized_lower_gamma(a: f64, x: f64) -> f64 {
    // Numerical Recipes §6.2: the series below a + 1, the continued fraction above.
    if x <= 0.0 || !x.is_finite() || a <= 0.0 {
        return if x > 0.0 { 1.0 } else { 0.0 };
    }
    let log_prefix = a * libm::log(x) - x - libm::lgamma(a);
    if x < a + 1.0 {
        let (mut term, mut sum, mut n) = (1.0 / a, 1.0 / a, a);
        for _ in 0..10_000 {
            n += 1.0;
            term *= x / n;
            sum += term;
            if term.abs() < sum.abs() * 1e-15 {
                break;
            }
        }
        (sum * libm::exp(log_prefix)).clamp(0.0, 1.0)
    } else {
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..10_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < 1e-15 {
                break;
            }
        }
        (1.0 - libm::exp(log_prefix) * h).clamp(0.0, 1.0)
    }
}

/// Γ(x) for x > 0, by the Lanczos approximation (g = 7, 9 terms; relative error < 1e-13).
pub fn gamma_function(x: f64) -> f64 {
    const COEFFICIENTS: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection formula.
        std::f64::consts::PI / ((std::f64::consts::PI * x).sin() * gamma_function(1.0 - x))
    } else {
        let x = x - 1.0;
        let t = x + 7.5;
        let series = COEFFICIENTS[1..]
            .iter()
            .enumerate()
            .fold(COEFFICIENTS[0], |sum, (i, c)| {
                sum + c / (x + i as f64 + 1.0)
            });
        (2.0 * std::f64::consts::PI).sqrt() * t.powf(x + 0.5) * (-t).exp() * series
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::engine::rng::Purpose;

    const DRAWS: usize = 20_000;

    fn draws_in_hours(distribution: &Distribution, key: u64) -> Vec<f64> {
        let mut stream = Stream::new(2014, 0, key, Purpose::Failures);
        (0..DRAWS)
            .map(|_| distribution.sample(&mut stream).unwrap().as_hours_f64())
            .collect()
    }

    /// Asserts the sample mean is within 4 standard errors of `mean` (σ known).
    fn assert_mean(draws: &[f64], mean: f64, standard_deviation: f64) {
        let n = draws.len() as f64;
        let sample_mean = draws.iter().sum::<f64>() / n;
        let tolerance = 4.0 * standard_deviation / n.sqrt();
        assert!(
            (sample_mean - mean).abs() < tolerance,
            "sample mean {sample_mean} vs {mean} ± {tolerance}"
        );
    }

    /// Kolmogorov–Smirnov: sup |F_n − F| below the α = 0.001 critical value 1.949/√n
    /// (asymptotic, Smirnov 1948). With fixed seeds the test is deterministic; the
    /// critical value says how unlikely a pass would be for a wrong sampler.
    fn assert_kolmogorov_smirnov(mut draws: Vec<f64>, cdf: impl Fn(f64) -> f64) {
        draws.sort_by(f64::total_cmp);
        let n = draws.len() as f64;
        let statistic = draws
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                let f = cdf(x);
                (f - i as f64 / n).abs().max(((i + 1) as f64 / n - f).abs())
            })
            .fold(0.0, f64::max);
        let critical = 1.949 / n.sqrt();
        assert!(
            statistic < critical,
            "KS statistic {statistic} ≥ {critical}"
        );
    }

    /// Durations are rounded to whole microseconds; a CDF evaluated at the rounded value
    /// is off by at most one microsecond's worth, far below the KS tolerance.
    #[test]
    fn exponential_draws_have_the_mean_and_the_distribution() {
        let mean_hours = 4.0;
        let d = Distribution::Exponential {
            mean: SimDuration::from_hours(4),
        };
        let draws = draws_in_hours(&d, 1);
        assert_mean(&draws, mean_hours, mean_hours);
        assert_kolmogorov_smirnov(draws, |x| 1.0 - (-x / mean_hours).exp());
    }

    #[test]
    fn lognormal_draws_match_median_and_p95() {
        let d = Distribution::lognormal_from_median_p95(
            SimDuration::from_hours(2),
            SimDuration::from_hours(24),
        );
        let Distribution::LogNormal { mu_ln_hours, sigma } = d else {
            unreachable!()
        };
        let draws = draws_in_hours(&d, 2);
        let mean = (mu_ln_hours + sigma * sigma / 2.0).exp();
        let sd = ((sigma * sigma).exp() - 1.0).sqrt() * mean;
        assert_mean(&draws, mean, sd);
        assert_kolmogorov_smirnov(draws, |x| {
            0.5 * (1.0 + libm::erf((x.ln() - mu_ln_hours) / (sigma * std::f64::consts::SQRT_2)))
        });
    }

    #[test]
    fn weibull_draws_follow_the_survival_function() {
        let (shape, scale) = (0.7, 10.0);
        let d = Distribution::Weibull {
            shape,
            scale: SimDuration::from_hours(10),
        };
        let draws = draws_in_hours(&d, 3);
        let mean = scale * gamma_function(1.0 + 1.0 / shape);
        let sd = scale
            * (gamma_function(1.0 + 2.0 / shape) - gamma_function(1.0 + 1.0 / shape).powi(2))
                .sqrt();
        assert_mean(&draws, mean, sd);
        assert_kolmogorov_smirnov(draws, |x| 1.0 - (-(x / scale).powf(shape)).exp());
    }

    #[test]
    fn gamma_draws_match_closed_form_cdfs() {
        // Shape 2: F(x) = 1 − e^(−x/θ)(1 + x/θ).
        let d = Distribution::Gamma {
            shape: 2.0,
            scale: SimDuration::from_hours(3),
        };
        let draws = draws_in_hours(&d, 4);
        assert_mean(&draws, 6.0, (2.0f64).sqrt() * 3.0);
        assert_kolmogorov_smirnov(draws, |x| 1.0 - (-x / 3.0).exp() * (1.0 + x / 3.0));
        // Shape 1/2 (the boosted branch): F(x) = erf(sqrt(x/θ)).
        let d = Distribution::Gamma {
            shape: 0.5,
            scale: SimDuration::from_hours(2),
        };
        let draws = draws_in_hours(&d, 5);
        assert_mean(&draws, 1.0, (0.5f64).sqrt() * 2.0);
        assert_kolmogorov_smirnov(draws, |x| libm::erf((x / 2.0).sqrt()));
    }

    #[test]
    fn uniform_and_fixed_draws() {
        let d = Distribution::Uniform {
            min: SimDuration::from_hours(1),
            max: SimDuration::from_hours(3),
        };
        let draws = draws_in_hours(&d, 6);
        assert!(draws.iter().all(|&x| (1.0..=3.0).contains(&x)));
        assert_mean(&draws, 2.0, 2.0 / 12f64.sqrt());
        assert_kolmogorov_smirnov(draws, |x| ((x - 1.0) / 2.0).clamp(0.0, 1.0));
        let mut stream = Stream::new(0, 0, 0, Purpose::Clients);
        assert_eq!(
            Distribution::Fixed(SimDuration::from_hours(5)).sample(&mut stream),
            Some(SimDuration::from_hours(5))
        );
        assert_eq!(Distribution::Never.sample(&mut stream), None);
    }

    #[test]
    fn gamma_function_matches_factorials_and_half() {
        assert!((gamma_function(5.0) - 24.0).abs() < 1e-10);
        assert!((gamma_function(1.0) - 1.0).abs() < 1e-12);
        assert!((gamma_function(0.5) - std::f64::consts::PI.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn lognormal_from_median_and_p95_is_hand_computable() {
        // median 2 h, p95 1 d: sigma = ln(24/2)/1.6448536 = 2.484907/1.644854 = 1.510716.
        let d = Distribution::lognormal_from_median_p95(
            SimDuration::from_hours(2),
            SimDuration::from_hours(24),
        );
        let Distribution::LogNormal { mu_ln_hours, sigma } = d else {
            panic!("expected a log-normal")
        };
        assert!((mu_ln_hours - 2f64.ln()).abs() < 1e-12);
        assert!((sigma - 1.510_716).abs() < 1e-6);
    }

    #[test]
    fn means_follow_the_textbook_formulas() {
        let weibull = Distribution::Weibull {
            shape: 2.0,
            scale: SimDuration::from_hours(10),
        };
        // 10 h × Γ(1.5) = 10 × 0.886227 h.
        assert!((weibull.mean_hours().unwrap() - 8.862_269).abs() < 1e-5);
        let gamma = Distribution::Gamma {
            shape: 3.0,
            scale: SimDuration::from_hours(2),
        };
        assert_eq!(gamma.mean_hours(), Some(6.0));
        assert_eq!(Distribution::Never.mean_hours(), None);
    }
}
