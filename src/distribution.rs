//! Probability distributions of durations, with parameters already converted to the form
//! a sampler needs (SPEC §2, "Distributions").

use crate::time::SimDuration;

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

    /// Whether every draw is zero (a failure or repair process that cannot work).
    pub fn is_always_zero(&self) -> bool {
        match *self {
            Distribution::Fixed(value) => value.is_zero(),
            Distribution::Uniform { max, .. } => max.is_zero(),
            _ => false,
        }
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
