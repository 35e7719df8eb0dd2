//! Verdicts on a change against the baseline (docs/output.md, "Verdicts"): whether it is
//! significant at all, and whether it is material — at least the planner's
//! `[materiality]` threshold — or merely significant. A change that rests on too few
//! replications, or that a layout cannot make, says so instead.

use serde::Serialize;

use super::interval::Interval;

/// What a change against the baseline amounts to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The layout changes nothing the service reads: zero by construction.
    Unaffected,
    /// Fewer than [`super::interval::MIN_CARRYING`] replications differ (none, possibly):
    /// only bounds, no verdict.
    TooFewDiffer,
    /// The 95% interval holds zero.
    NoSignificantDifference,
    /// Significantly less, by less than the threshold.
    BetterImmaterial,
    /// Significantly more, by less than the threshold.
    WorseImmaterial,
    /// Significantly less, by at least the threshold.
    MateriallyBetter,
    /// Significantly more, by at least the threshold.
    MateriallyWorse,
}

impl Verdict {
    /// The verdict on a change of `estimate` with `interval` against a `threshold` of
    /// material change (same unit; negative is better).
    pub fn of(estimate: f64, interval: &Interval, threshold: f64) -> Verdict {
        match interval.sign() {
            _ if *interval == Interval::Unaffected => Verdict::Unaffected,
            _ if !matches!(interval, Interval::TwoSided { .. }) => Verdict::TooFewDiffer,
            -1 if -estimate >= threshold => Verdict::MateriallyBetter,
            -1 => Verdict::BetterImmaterial,
            1 if estimate >= threshold => Verdict::MateriallyWorse,
            1 => Verdict::WorseImmaterial,
            _ => Verdict::NoSignificantDifference,
        }
    }

    /// The name written in the `verdict` columns.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Unaffected => "unaffected",
            Verdict::TooFewDiffer => "too_few_differ",
            Verdict::NoSignificantDifference => "no_significant_difference",
            Verdict::BetterImmaterial => "better_immaterial",
            Verdict::WorseImmaterial => "worse_immaterial",
            Verdict::MateriallyBetter => "materially_better",
            Verdict::MateriallyWorse => "materially_worse",
        }
    }

    /// The verdict in a reader's words.
    pub fn words(self) -> &'static str {
        match self {
            Verdict::Unaffected => "unaffected (the layout changes nothing it reads)",
            Verdict::TooFewDiffer => "too few replications differ to tell",
            Verdict::NoSignificantDifference => "no significant difference",
            Verdict::BetterImmaterial => "significantly better, but immaterial",
            Verdict::WorseImmaterial => "significantly worse, but immaterial",
            Verdict::MateriallyBetter => "materially better",
            Verdict::MateriallyWorse => "materially worse",
        }
    }

    /// −1 for significantly better, +1 for significantly worse, 0 otherwise.
    pub fn sign(self) -> i8 {
        match self {
            Verdict::BetterImmaterial | Verdict::MateriallyBetter => -1,
            Verdict::WorseImmaterial | Verdict::MateriallyWorse => 1,
            _ => 0,
        }
    }

    /// Whether the change is significant and at least the threshold.
    pub fn material(self) -> bool {
        matches!(self, Verdict::MateriallyBetter | Verdict::MateriallyWorse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn significance_and_materiality_are_told_apart() {
        let two_sided = |low, high| Interval::TwoSided { low, high };
        // The example of the issue that asked for this: −0.77 min/yr, significant, is
        // immaterial against 5 min/yr; +94 is material.
        assert_eq!(
            Verdict::of(-0.77, &two_sided(-1.2, -0.3), 5.0),
            Verdict::BetterImmaterial
        );
        assert_eq!(
            Verdict::of(94.3, &two_sided(60.0, 130.0), 5.0),
            Verdict::MateriallyWorse
        );
        assert_eq!(
            Verdict::of(-6.0, &two_sided(-9.0, -1.0), 5.0),
            Verdict::MateriallyBetter
        );
        assert_eq!(
            Verdict::of(3.0, &two_sided(-1.0, 7.0), 5.0),
            Verdict::NoSignificantDifference
        );
        assert_eq!(
            Verdict::of(
                0.0,
                &Interval::Bounds {
                    low: -9.0,
                    high: 9.0
                },
                5.0
            ),
            Verdict::TooFewDiffer
        );
        assert_eq!(
            Verdict::of(0.0, &Interval::Unaffected, 5.0),
            Verdict::Unaffected
        );
        assert_eq!(
            Verdict::of(0.0, &Interval::None, 5.0),
            Verdict::TooFewDiffer
        );
        // A threshold of 0: every significant change is material.
        assert_eq!(
            Verdict::of(0.1, &two_sided(0.05, 0.2), 0.0),
            Verdict::MateriallyWorse
        );
    }
}
