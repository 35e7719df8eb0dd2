//! Reading the distribution forms of docs/scenario.md: `{ dist = ..., ... }` tables and the
//! bare-duration shorthand, with the parameter checks.

use super::decode::{
    Findings, TableReader, read_choice, read_duration, read_number, read_positive_duration,
};
use super::tree::{Node, NodeValue};
use crate::distribution::Distribution;

/// Where a distribution is used; decides what a bare duration means and what is allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DistributionUse {
    /// `time_to_failure`: a bare duration is an exponential mean; `none` is allowed.
    Failure,
    /// `time_to_repair`: a bare duration is an exponential mean.
    Repair,
    /// Client and administrator delays: a bare duration is a fixed value; zero is allowed.
    Delay,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Exponential,
    LogNormal,
    Weibull,
    Gamma,
    Uniform,
    Fixed,
    None,
}

const KINDS: [(&str, Kind); 7] = [
    ("exponential", Kind::Exponential),
    ("lognormal", Kind::LogNormal),
    ("weibull", Kind::Weibull),
    ("gamma", Kind::Gamma),
    ("uniform", Kind::Uniform),
    ("fixed", Kind::Fixed),
    ("none", Kind::None),
];

/// The smallest mean and median a distribution may have, in milliseconds (docs/scenario.md).
pub const MINIMUM_TYPICAL_MILLIS: f64 = 1.0;

fn human_millis(millis: f64) -> String {
    if !millis.is_finite() {
        "unbounded".to_string()
    } else if (1.0..1e6).contains(&millis) {
        format!("{millis:.3} ms")
    } else {
        format!("{:.3e} ms", millis)
    }
}

/// Reads a distribution at `path`, reporting every problem with its parameters.
pub fn read_distribution(
    node: &Node,
    path: &str,
    usage: DistributionUse,
    findings: &mut Findings,
) -> Option<Distribution> {
    let distribution = match &node.value {
        NodeValue::Table(_) => read_table(node, path, usage, findings)?,
        _ => {
            let duration = read_duration(node, path, findings)?;
            match usage {
                DistributionUse::Delay => Distribution::Fixed(duration),
                DistributionUse::Failure | DistributionUse::Repair => {
                    if duration.is_zero() {
                        findings.error(
                            path,
                            node.span.clone(),
                            "a mean of zero is not allowed",
                            "give a positive mean such as \"1y\", or { dist = \"none\" } for no failures",
                        );
                        return None;
                    }
                    Distribution::Exponential { mean: duration }
                }
            }
        }
    };
    // Time must move: a distribution whose draws mostly round to 0 µs would make events
    // happen at the same instant for ever (a fixed 0, or a zero-width uniform, is a
    // deliberate "no delay" and is allowed where zero is).
    if !distribution.is_constant() {
        let mean_ms = distribution.mean_hours().unwrap_or(f64::INFINITY) * 3_600_000.0;
        let below = distribution.share_below(MINIMUM_TYPICAL_MILLIS / 3_600_000.0);
        if mean_ms < MINIMUM_TYPICAL_MILLIS || below > 0.5 {
            findings.error(
                path,
                node.span.clone(),
                format!(
                    "this distribution's typical draw is shorter than 1 ms (mean {}, {:.0}% of draws below 1 ms): \
                     draws would round to 0 µs and simulated time would stand still",
                    human_millis(mean_ms),
                    below * 100.0
                ),
                "give it a mean and a median of at least 1 ms (check the unit and, for lognormal mu, that it is ln of hours); use a fixed \"0s\" for no delay",
            );
            return None;
        }
    }
    if usage != DistributionUse::Delay && distribution.is_always_zero() {
        findings.error(
            path,
            node.span.clone(),
            "every draw of this distribution is zero",
            "failures and repairs need a positive duration; use { dist = \"none\" } in time_to_failure for no failures",
        );
        return None;
    }
    Some(distribution)
}

fn read_table(
    node: &Node,
    path: &str,
    usage: DistributionUse,
    findings: &mut Findings,
) -> Option<Distribution> {
    let dist_node = node.get("dist");
    let kind = match dist_node {
        Some(dist_node) => read_choice(dist_node, &format!("{path}.dist"), &KINDS, findings)?,
        None => {
            findings.error(
                &format!("{path}.dist"),
                node.span.clone(),
                "missing key `dist`",
                "add dist = \"exponential\", \"lognormal\", \"weibull\", \"gamma\", \"uniform\", \"fixed\" or \"none\"",
            );
            return None;
        }
    };
    let allowed: &[&str] = match kind {
        Kind::Exponential => &["dist", "mean"],
        Kind::LogNormal => &["dist", "median", "p95", "mu", "sigma"],
        Kind::Weibull | Kind::Gamma => &["dist", "shape", "scale"],
        Kind::Uniform => &["dist", "min", "max"],
        Kind::Fixed => &["dist", "value"],
        Kind::None => &["dist"],
    };
    let table = TableReader::open(node, path, allowed, findings)?;
    match kind {
        Kind::None => {
            if usage != DistributionUse::Failure {
                findings.error(
                    &table.path_of("dist"),
                    dist_node.and_then(|n| n.span.clone()),
                    "\"none\" is only allowed for time_to_failure",
                    "to switch a failure off, set time_to_failure = { dist = \"none\" }",
                );
                return None;
            }
            Some(Distribution::Never)
        }
        Kind::Exponential => {
            let mean = table.required("mean", findings, "\"1y\"")?;
            let mean = read_positive_duration(mean, &table.path_of("mean"), findings)?;
            Some(Distribution::Exponential { mean })
        }
        Kind::Fixed => {
            let value = table.required("value", findings, "\"30s\"")?;
            let value = read_duration(value, &table.path_of("value"), findings)?;
            Some(Distribution::Fixed(value))
        }
        Kind::Uniform => {
            let min = table.required("min", findings, "\"0s\"");
            let max = table.required("max", findings, "\"5m\"");
            let min = read_duration(min?, &table.path_of("min"), findings);
            let max_node = max?;
            let max = read_duration(max_node, &table.path_of("max"), findings);
            let (min, max) = (min?, max?);
            if max < min {
                findings.error(
                    &table.path_of("max"),
                    max_node.span.clone(),
                    format!("max {max} is below min {min}"),
                    "make max at least min",
                );
                return None;
            }
            Some(Distribution::Uniform { min, max })
        }
        Kind::Weibull | Kind::Gamma => {
            let shape = table.required("shape", findings, "0.8");
            let scale = table.required("scale", findings, "\"1y\"");
            let shape = shape.and_then(|n| {
                read_number(
                    n,
                    &table.path_of("shape"),
                    findings,
                    "a positive number (e.g. 0.8)",
                    |v| v > 0.0,
                )
            });
            let scale =
                scale.and_then(|n| read_positive_duration(n, &table.path_of("scale"), findings));
            let (shape, scale) = (shape?, scale?);
            Some(if kind == Kind::Weibull {
                Distribution::Weibull { shape, scale }
            } else {
                Distribution::Gamma { shape, scale }
            })
        }
        Kind::LogNormal => read_lognormal(&table, findings),
    }
}

fn read_lognormal(table: &TableReader<'_>, findings: &mut Findings) -> Option<Distribution> {
    let by_quantiles = table.optional("median").is_some() || table.optional("p95").is_some();
    let by_log_moments = table.optional("mu").is_some() || table.optional("sigma").is_some();
    if by_quantiles && by_log_moments {
        findings.error(
            table.path(),
            table.span(),
            "a log-normal takes either {median, p95} or {mu, sigma}, not both",
            "keep one pair and remove the other",
        );
        return None;
    }
    if by_log_moments {
        let mu = table.required("mu", findings, "0.7");
        let sigma = table.required("sigma", findings, "1.0");
        let mu = mu.and_then(|n| {
            read_number(n, &table.path_of("mu"), findings, "a finite number", |_| {
                true
            })
        });
        let sigma = sigma.and_then(|n| {
            read_number(
                n,
                &table.path_of("sigma"),
                findings,
                "a positive number (the standard deviation of ln(hours))",
                |v| v > 0.0,
            )
        });
        let (mu_ln_hours, sigma) = (mu?, sigma?);
        return Some(Distribution::LogNormal { mu_ln_hours, sigma });
    }
    let median = table.required("median", findings, "\"2h\"");
    let p95 = table.required("p95", findings, "\"1d\"");
    let median = median.and_then(|n| read_positive_duration(n, &table.path_of("median"), findings));
    let p95_node = p95?;
    let p95 = read_duration(p95_node, &table.path_of("p95"), findings);
    let (median, p95) = (median?, p95?);
    if p95 <= median {
        findings.error(
            &table.path_of("p95"),
            p95_node.span.clone(),
            format!("p95 {p95} must be above the median {median}"),
            "a log-normal's 95th percentile lies above its median; for a constant use { dist = \"fixed\", value = ... }",
        );
        return None;
    }
    Some(Distribution::lognormal_from_median_p95(median, p95))
}
