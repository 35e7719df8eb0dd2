//! Student's t quantiles for confidence intervals, from the regularized incomplete beta
//! function (continued fraction, Lentz's method) and bisection.

/// The regularized incomplete beta function I_x(a, b).
pub fn incomplete_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = libm::lgamma(a + b) - libm::lgamma(a) - libm::lgamma(b)
        + a * libm::log(x)
        + b * libm::log1p(-x);
    let front = libm::exp(ln_front);
    // The continued fraction converges fast for x < (a + 1) / (a + b + 2).
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_continued_fraction(x, a, b) / a
    } else {
        1.0 - front * beta_continued_fraction(1.0 - x, b, a) / b
    }
}

fn beta_continued_fraction(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut c = 1.0;
    let mut d = 1.0 - (a + b) * x / (a + 1.0);
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut fraction = d;
    for m in 1..=500 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let even = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
        d = 1.0 + even * d;
        d = if d.abs() < TINY { 1.0 / TINY } else { 1.0 / d };
        c = 1.0 + even / c;
        if c.abs() < TINY {
            c = TINY;
        }
        fraction *= d * c;
        let odd = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
        d = 1.0 + odd * d;
        d = if d.abs() < TINY { 1.0 / TINY } else { 1.0 / d };
        c = 1.0 + odd / c;
        if c.abs() < TINY {
            c = TINY;
        }
        let step = d * c;
        fraction *= step;
        if (step - 1.0).abs() < 1e-15 {
            break;
        }
    }
    fraction
}

/// P(T ≤ t) for Student's t with `degrees` degrees of freedom.
pub fn t_cdf(t: f64, degrees: f64) -> f64 {
    let tail = 0.5 * incomplete_beta(degrees / (degrees + t * t), degrees / 2.0, 0.5);
    if t >= 0.0 { 1.0 - tail } else { tail }
}

/// The `p` quantile (0.5 < p < 1) of Student's t with `degrees` degrees of freedom.
pub fn t_quantile(p: f64, degrees: f64) -> f64 {
    let (mut low, mut high) = (0.0f64, 1.0f64);
    while t_cdf(high, degrees) < p {
        high *= 2.0;
    }
    // 64 halvings take the bracket (at most a few hundred wide) below one ulp of the
    // quantile, after which further steps change nothing.
    for _ in 0..64 {
        let middle = 0.5 * (low + high);
        if t_cdf(middle, degrees) < p {
            low = middle;
        } else {
            high = middle;
        }
    }
    0.5 * (low + high)
}

/// The multiplier of the standard error for a two-sided 95% interval from `n` samples
/// (`None` for fewer than 2).
pub fn t95(n: u64) -> Option<f64> {
    (n >= 2).then(|| t_quantile(0.975, (n - 1) as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_match_the_published_table() {
        // Two-sided 95% critical values (e.g. NIST/SEMATECH e-Handbook, table 1.3.6.7.2).
        for (degrees, expected) in [
            (1.0, 12.706_204_736),
            (2.0, 4.302_652_730),
            (5.0, 2.570_581_836),
            (10.0, 2.228_138_852),
            (30.0, 2.042_272_456),
            (100.0, 1.983_971_519),
            (1e9, 1.959_963_985),
        ] {
            let t = t_quantile(0.975, degrees);
            assert!(
                (t - expected).abs() < 1e-6,
                "df {degrees}: {t} vs {expected}"
            );
        }
        assert_eq!(t95(1), None);
    }

    #[test]
    fn the_incomplete_beta_has_closed_forms_to_check() {
        // I_x(1, 1) = x; I_x(a, 1) = x^a; I_x(1, b) = 1 − (1 − x)^b.
        assert!((incomplete_beta(0.3, 1.0, 1.0) - 0.3).abs() < 1e-12);
        assert!((incomplete_beta(0.3, 2.5, 1.0) - 0.3f64.powf(2.5)).abs() < 1e-12);
        assert!((incomplete_beta(0.3, 1.0, 3.0) - (1.0 - 0.7f64.powi(3))).abs() < 1e-12);
    }
}
