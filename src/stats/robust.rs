//! Choosing a layout that holds up across assumptions (docs/output.md, "Assumptions"):
//! from a matrix of losses (layouts × assumptions, lower is better), the layout whose
//! worst case is least (maximin) and the one whose largest regret is least (minimax
//! regret: regret is the loss beyond the best layout under the same assumption), each
//! with the assumption that decides it ([`choose`], on means).
//!
//! [`robust`] does it for a study, per service (all users) and for the score, with
//! paired intervals: every cell of one replication shares its random numbers, so any
//! sum of cells with whole coefficients (a regret, a margin between two worst cases) is
//! a per-replication difference whose interval is the comparison's
//! ([`super::interval::difference_interval`]), from the cells' kept figures
//! ([`super::CellRuns`]).

/// A layout chosen by one rule, and what decides it.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    /// The layout's row in the matrix.
    pub layout: usize,
    /// Its worst loss (maximin) or its largest regret (minimax regret).
    pub value: f64,
    /// The assumption (column) where that worst loss or largest regret is.
    pub deciding_assumption: usize,
}

/// What a matrix of losses says.
#[derive(Clone, Debug, PartialEq)]
pub struct RobustChoice {
    /// Per layout, its worst loss and the assumption where it is.
    pub worst_cases: Vec<(f64, usize)>,
    /// Per layout, its largest regret and the assumption where it is.
    pub max_regrets: Vec<(f64, usize)>,
    /// The layout with the least worst-case loss.
    pub best_worst_case: Choice,
    /// The layout with the least maximum regret.
    pub least_regret: Choice,
    /// Per assumption, the layout with the least loss.
    pub best_per_assumption: Vec<usize>,
    /// Whether the best layout differs between assumptions.
    pub depends_on_assumption: bool,
}

/// The robust choice over `losses[layout][assumption]`; `None` for an empty matrix or
/// rows of unequal length. Ties go to the layout listed first (the baseline first).
pub fn choose(losses: &[Vec<f64>]) -> Option<RobustChoice> {
    let assumptions = losses.first()?.len();
    if assumptions == 0 || losses.iter().any(|row| row.len() != assumptions) {
        return None;
    }
    let best_per_assumption: Vec<usize> = (0..assumptions)
        .map(|a| first_min(losses.iter().map(|row| row[a])))
        .collect();
    let worst = |values: &[f64]| -> (f64, usize) {
        let at = first_max(values.iter().copied());
        (values[at], at)
    };
    let worst_cases: Vec<(f64, usize)> = losses.iter().map(|row| worst(row)).collect();
    let regrets: Vec<(f64, usize)> = losses
        .iter()
        .map(|row| {
            let regret: Vec<f64> = (0..assumptions)
                .map(|a| row[a] - losses[best_per_assumption[a]][a])
                .collect();
            worst(&regret)
        })
        .collect();
    let pick = |table: &[(f64, usize)]| {
        let layout = first_min(table.iter().map(|t| t.0));
        Choice {
            layout,
            value: table[layout].0,
            deciding_assumption: table[layout].1,
        }
    };
    Some(RobustChoice {
        best_worst_case: pick(&worst_cases),
        least_regret: pick(&regrets),
        worst_cases,
        max_regrets: regrets,
        depends_on_assumption: best_per_assumption.windows(2).any(|w| w[0] != w[1]),
        best_per_assumption,
    })
}

/// What a robust choice is about: one service for all users, or the `[objective]` score.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// Downtime of a service for all users, minutes per year.
    Service(Service),
    /// The score, weighted user-minutes per year.
    Score,
}

impl Metric {
    /// The name in the `metric` columns: the service's, or `score`.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Service(service) => service.name(),
            Metric::Score => SCORE_SERVICE,
        }
    }

    /// The figure's position among a cell's kept figures.
    fn position(self) -> usize {
        match self {
            Metric::Service(service) => service.index(),
            Metric::Score => Service::ALL.len(),
        }
    }
}

/// The rule a layout is chosen by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// The least worst-case loss over the assumptions (maximin).
    BestWorstCase,
    /// The least largest regret over the assumptions (minimax regret).
    LeastRegret,
}

impl Rule {
    /// The name in the `rule` column.
    pub fn name(self) -> &'static str {
        match self {
            Rule::BestWorstCase => "best_worst_case",
            Rule::LeastRegret => "least_regret",
        }
    }
}

/// One cell of the matrix: a layout's loss under an assumption, and its regret.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MatrixCell {
    /// The service, or `score`.
    pub metric: &'static str,
    /// The layout.
    pub layout: String,
    /// The assumption.
    pub assumption: String,
    /// Replications behind it.
    pub replications: u64,
    /// Its loss: downtime (minutes per year) or score (weighted user-minutes per year).
    pub value: f64,
    /// The loss's 95% interval.
    pub ci95: Option<(f64, f64)>,
    /// Its kind.
    #[serde(serialize_with = "super::rows::serialize_kind")]
    pub interval: Interval,
    /// The layout with the least loss under this assumption (by the means).
    pub best_layout: String,
    /// The loss beyond the best layout's under this assumption, paired (0 for the best).
    pub regret: f64,
    /// The regret's 95% paired interval.
    pub regret_ci95: Option<(f64, f64)>,
    /// Its kind (`unaffected` for the best layout: zero by definition).
    #[serde(serialize_with = "super::rows::serialize_kind")]
    pub regret_interval: Interval,
}

/// The layout one rule chooses for one metric, what decides it, and by how much it beats
/// the layout the same rule ranks next.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChoiceRow {
    /// The service, or `score`.
    pub metric: &'static str,
    /// The rule.
    pub rule: Rule,
    /// The chosen layout.
    pub layout: String,
    /// Its worst-case loss or its largest regret.
    pub value: f64,
    /// That value's 95% interval: the deciding cell's own (worst case) or paired with
    /// the best layout under the deciding assumption (regret).
    pub ci95: Option<(f64, f64)>,
    /// Its kind.
    #[serde(serialize_with = "super::rows::serialize_kind")]
    pub interval: Interval,
    /// The assumption where the worst loss or the largest regret is.
    pub deciding_assumption: String,
    /// The layouts whose value equals the chosen one's by construction (they read the same
    /// inputs where it is decided): the choice does not tell them apart.
    pub tied: Vec<String>,
    /// The layout the rule ranks next, among those not tied (`None` when there is none).
    pub runner_up: Option<String>,
    /// Its worst-case loss or largest regret.
    pub runner_up_value: Option<f64>,
    /// The assumption that decides it.
    pub runner_up_assumption: Option<String>,
    /// The chosen layout's value minus the runner-up's, paired replication by
    /// replication (negative: the chosen is better).
    pub delta_vs_runner_up: Option<f64>,
    /// Its 95% interval.
    pub delta_ci95: Option<(f64, f64)>,
    /// Its kind.
    #[serde(serialize_with = "super::rows::serialize_kind")]
    pub delta_interval: Interval,
    /// Replications in which that difference is not zero.
    pub differing: u64,
    /// Replications paired.
    pub replications: u64,
    /// The threshold of material change.
    pub material: f64,
    /// What the difference amounts to (`None` with one layout).
    pub verdict: Option<Verdict>,
    /// Per assumption, the layout with the least loss.
    pub best_per_assumption: Vec<(String, String)>,
    /// Whether that layout differs between assumptions.
    pub depends_on_assumption: bool,
}

/// The robust choices of a study: the matrix and the choices, per metric.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Robust {
    /// Every cell of every metric's matrix: metric, then layout, then assumption.
    pub matrix: Vec<MatrixCell>,
    /// Two rows per metric: best worst case, least regret.
    pub choices: Vec<ChoiceRow>,
}

impl Robust {
    /// The metrics in the order a reader meets them: the score first (the one number the
    /// planner weighs), then the services in report order.
    pub fn metrics(&self) -> Vec<&'static str> {
        let mut metrics: Vec<&'static str> = Vec::new();
        for cell in &self.matrix {
            if !metrics.contains(&cell.metric) {
                metrics.push(cell.metric);
            }
        }
        if let Some(at) = metrics.iter().position(|m| *m == SCORE_SERVICE) {
            let score = metrics.remove(at);
            metrics.insert(0, score);
        }
        metrics
    }
}

/// A study's matrix of cells: the layouts (rows) and assumptions (columns) it evaluates,
/// and where each cell is among its layouts.
struct Grid {
    layouts: Vec<String>,
    assumptions: Vec<String>,
    /// `cells[layout][assumption]`: the index in [`Study::layouts`].
    cells: Vec<Vec<usize>>,
}

impl Grid {
    fn of(study: &Study) -> Option<Grid> {
        let mut layouts: Vec<String> = Vec::new();
        let mut assumptions: Vec<String> = Vec::new();
        for cell in &study.layouts {
            if !layouts.contains(&cell.layout) {
                layouts.push(cell.layout.clone());
            }
            let assumption = cell.assumption.clone()?;
            if !assumptions.contains(&assumption) {
                assumptions.push(assumption);
            }
        }
        let cells = layouts
            .iter()
            .map(|layout| {
                assumptions
                    .iter()
                    .map(|assumption| {
                        study.layouts.iter().position(|cell| {
                            &cell.layout == layout && cell.assumption.as_ref() == Some(assumption)
                        })
                    })
                    .collect::<Option<Vec<usize>>>()
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Grid {
            layouts,
            assumptions,
            cells,
        })
    }
}

/// How one metric's figures read: the most one cell's figure can be, the unit, and the
/// threshold of material change.
struct Scale {
    /// Per cell (study layout), the largest figure one replication can have.
    caps: Vec<f64>,
    /// For the score, the reference users its units are of (minutes per year times these
    /// is weighted user-minutes per year); `None` for downtime.
    reference_users: Option<f64>,
    material: f64,
}

impl Scale {
    fn of(study: &Study, metric: Metric) -> Option<Scale> {
        match metric {
            Metric::Service(service) => Some(Scale {
                caps: vec![UNAVAILABILITY_SCALE; study.layouts.len()],
                reference_users: None,
                material: study.materiality.downtime(service),
            }),
            Metric::Score => {
                let objective = study.objective.as_ref()?;
                let caps = study
                    .layouts
                    .iter()
                    .map(|cell| {
                        cell.score.as_ref().map_or(0.0, |s| {
                            s.factors.iter().sum::<f64>() * UNAVAILABILITY_SCALE
                        })
                    })
                    .collect();
                Some(Scale {
                    caps,
                    reference_users: Some(objective.reference_users),
                    material: study.materiality.score_user_min_per_year.unwrap_or(0.0),
                })
            }
        }
    }

    /// Figure units in the reported unit, as the summary and score rows convert them.
    fn to_unit(&self, units: f64) -> f64 {
        match self.reference_users {
            None => minutes_per_year(units),
            Some(users) => minutes_per_year(units) * users,
        }
    }

    fn unit(&self, interval: Interval) -> Interval {
        interval.map(|x| self.to_unit(x))
    }
}

/// A sum of cells with whole coefficients, replication by replication: its paired sums,
/// and the most it can be in one replication; `None` when the coefficients cancel (the
/// sum is zero by definition).
fn combination(
    runs: &CellRuns,
    metric: Metric,
    scale: &Scale,
    terms: &[(usize, i64)],
) -> Option<(PairedSums, f64)> {
    let mut net: Vec<(usize, i64)> = Vec::new();
    for &(cell, coefficient) in terms {
        let cell = runs.representative(cell, metric.position());
        match net.iter_mut().find(|(c, _)| *c == cell) {
            Some((_, sum)) => *sum += coefficient,
            None => net.push((cell, coefficient)),
        }
    }
    net.retain(|&(_, coefficient)| coefficient != 0);
    if net.is_empty() {
        return None;
    }
    let mut sums = PairedSums::default();
    for run in &runs.runs {
        let value: i128 = net
            .iter()
            .map(|&(cell, c)| {
                i128::from(c) * i128::from(CellRuns::figure(run, cell, metric.position()))
            })
            .sum();
        sums.add(value);
    }
    let side = |positive: bool| -> f64 {
        net.iter()
            .filter(|&&(_, c)| (c > 0) == positive)
            .map(|&(cell, c)| c.unsigned_abs() as f64 * scale.caps[cell])
            .sum()
    };
    Some((sums, side(true).max(side(false))))
}

/// A combination's mean and interval in the reported unit (zero by definition when it
/// cancels).
fn paired(
    runs: &CellRuns,
    metric: Metric,
    scale: &Scale,
    terms: &[(usize, i64)],
) -> (f64, Interval, u64, u64) {
    let n = runs.runs.len() as u64;
    match combination(runs, metric, scale, terms) {
        None => (0.0, Interval::Unaffected, 0, n),
        Some((sums, cap)) => (
            scale.to_unit(sums.mean()),
            scale.unit(sums.interval(cap)),
            sums.differing(),
            n,
        ),
    }
}

/// The metrics every cell of a study has: the services every layout configures under
/// every assumption, then the score with an `[objective]`.
fn metrics(study: &Study) -> Vec<Metric> {
    let mut metrics: Vec<Metric> = Service::ALL
        .into_iter()
        .filter(|&service| {
            study
                .layouts
                .iter()
                .all(|cell| cell.services.iter().any(|s| s.service == service))
        })
        .map(Metric::Service)
        .collect();
    if study.objective.is_some() {
        metrics.push(Metric::Score);
    }
    metrics
}

/// The matrix and the robust choices of a study with assumptions, per service every layout
/// has and for the score; empty without assumptions.
pub fn robust(study: &Study) -> Robust {
    let (Some(runs), Some(grid)) = (&study.cell_runs, Grid::of(study)) else {
        return Robust::default();
    };
    if runs.runs.is_empty() {
        return Robust::default();
    }
    let mut robust = Robust::default();
    for metric in metrics(study) {
        let Some(scale) = Scale::of(study, metric) else {
            continue;
        };
        let n = runs.runs.len() as u64;
        // Each cell's own mean and interval, from its exact sums.
        let alone: Vec<Vec<(f64, Interval)>> = grid
            .cells
            .iter()
            .map(|row| {
                row.iter()
                    .map(|&cell| {
                        let mut sums = Sums::default();
                        for run in &runs.runs {
                            sums.add(CellRuns::figure(run, cell, metric.position()));
                        }
                        let interval = mean_interval(&sums.sample(n), scale.caps[cell], ALPHA);
                        (
                            scale.to_unit(sums.sum as f64 / n as f64),
                            scale.unit(interval),
                        )
                    })
                    .collect()
            })
            .collect();
        let means: Vec<Vec<f64>> = alone
            .iter()
            .map(|row| row.iter().map(|(mean, _)| *mean).collect())
            .collect();
        let Some(choice) = choose(&means) else {
            continue;
        };
        let cell = |layout: usize, assumption: usize| grid.cells[layout][assumption];
        let best = |assumption: usize| choice.best_per_assumption[assumption];
        // The regret of a layout under an assumption: its cell minus the best's.
        let regret_terms = |layout: usize, assumption: usize| {
            vec![
                (cell(layout, assumption), 1),
                (cell(best(assumption), assumption), -1),
            ]
        };
        for (l, layout) in grid.layouts.iter().enumerate() {
            for (a, assumption) in grid.assumptions.iter().enumerate() {
                let interval = alone[l][a].1;
                let (regret, regret_interval, _, _) =
                    paired(runs, metric, &scale, &regret_terms(l, a));
                robust.matrix.push(MatrixCell {
                    metric: metric.name(),
                    layout: layout.clone(),
                    assumption: assumption.clone(),
                    replications: n,
                    value: means[l][a],
                    ci95: interval.ends(),
                    interval,
                    best_layout: grid.layouts[best(a)].clone(),
                    regret,
                    regret_ci95: regret_interval.ends(),
                    regret_interval,
                });
            }
        }
        let best_per_assumption: Vec<(String, String)> = grid
            .assumptions
            .iter()
            .enumerate()
            .map(|(a, name)| (name.clone(), grid.layouts[best(a)].clone()))
            .collect();
        for rule in [Rule::BestWorstCase, Rule::LeastRegret] {
            let (chosen, table) = match rule {
                Rule::BestWorstCase => (&choice.best_worst_case, &choice.worst_cases),
                Rule::LeastRegret => (&choice.least_regret, &choice.max_regrets),
            };
            let terms_of = |layout: usize, assumption: usize| match rule {
                Rule::BestWorstCase => vec![(cell(layout, assumption), 1)],
                Rule::LeastRegret => regret_terms(layout, assumption),
            };
            let own = terms_of(chosen.layout, chosen.deciding_assumption);
            let (value, interval) = match rule {
                Rule::BestWorstCase => alone[chosen.layout][chosen.deciding_assumption],
                Rule::LeastRegret => {
                    let (value, interval, _, _) = paired(runs, metric, &scale, &own);
                    (value, interval)
                }
            };
            // The others by the rule's value (ties to the first listed): those equal by
            // construction are tied with the choice; the first that is not is the runner-up.
            let mut others: Vec<usize> = (0..table.len()).filter(|&l| l != chosen.layout).collect();
            others.sort_by(|&x, &y| table[x].0.total_cmp(&table[y].0));
            let mut tied = Vec::new();
            let mut versus = None;
            for r in others {
                let (other_value, other_assumption) = table[r];
                let mut terms = own.clone();
                terms.extend(
                    terms_of(r, other_assumption)
                        .into_iter()
                        .map(|(cell, c)| (cell, -c)),
                );
                let (delta, delta_interval, differing, _) = paired(runs, metric, &scale, &terms);
                if delta_interval == Interval::Unaffected {
                    tied.push(grid.layouts[r].clone());
                    continue;
                }
                versus = Some((
                    r,
                    other_value,
                    other_assumption,
                    delta,
                    delta_interval,
                    differing,
                ));
                break;
            }
            robust.choices.push(ChoiceRow {
                metric: metric.name(),
                rule,
                layout: grid.layouts[chosen.layout].clone(),
                value,
                ci95: interval.ends(),
                interval,
                deciding_assumption: grid.assumptions[chosen.deciding_assumption].clone(),
                tied,
                runner_up: versus.map(|v| grid.layouts[v.0].clone()),
                runner_up_value: versus.map(|v| v.1),
                runner_up_assumption: versus.map(|v| grid.assumptions[v.2].clone()),
                delta_vs_runner_up: versus.map(|v| v.3),
                delta_ci95: versus.and_then(|v| v.4.ends()),
                delta_interval: versus.map_or(Interval::None, |v| v.4),
                differing: versus.map_or(0, |v| v.5),
                replications: n,
                material: scale.material,
                verdict: versus.map(|v| Verdict::of(v.3, &v.4, scale.material)),
                best_per_assumption: best_per_assumption.clone(),
                depends_on_assumption: choice.depends_on_assumption,
            });
        }
    }
    robust
}

/// The index of the first least value.
fn first_min(values: impl Iterator<Item = f64>) -> usize {
    let mut best: Option<(usize, f64)> = None;
    for (i, v) in values.enumerate() {
        if best.is_none_or(|(_, b)| v < b) {
            best = Some((i, v));
        }
    }
    best.map_or(0, |(i, _)| i)
}

/// The index of the first greatest value.
fn first_max(values: impl Iterator<Item = f64>) -> usize {
    first_min(values.map(|v| -v))
}

use serde::Serialize;

use super::interval::{ALPHA, Interval, mean_interval};
use super::rows::minutes_per_year;
use super::{CellRuns, PairedSums, SCORE_SERVICE, Study, Sums, UNAVAILABILITY_SCALE, Verdict};
use crate::vocabulary::Service;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hand_built_matrix() {
        // Rows: layouts; columns: partners retry, partners never retry, slow administrator.
        // hub-first is best when partners retry and worst when they do not; geo-dns is
        // never the best under an assumption but never far from it.
        let losses = vec![
            vec![2.0, 680.0, 30.0],  // hub-first (the baseline)
            vec![13.0, 14.0, 40.0],  // geo-dns
            vec![600.0, 600.0, 5.0], // equal-priorities
        ];
        let choice = choose(&losses).unwrap();
        assert_eq!(choice.best_per_assumption, vec![0, 1, 2]);
        assert!(choice.depends_on_assumption);
        // Worst cases: 680, 40, 600: geo-dns, decided by the slow administrator.
        assert_eq!(
            choice.best_worst_case,
            Choice {
                layout: 1,
                value: 40.0,
                deciding_assumption: 2
            }
        );
        // Regrets: hub-first (0, 666, 25) → 666; geo-dns (11, 0, 35) → 35;
        // equal-priorities (598, 586, 0) → 598.
        assert_eq!(
            choice.least_regret,
            Choice {
                layout: 1,
                value: 35.0,
                deciding_assumption: 2
            }
        );
    }

    /// A study of two layouts under two assumptions whose kept remote-access figures are
    /// `table[replication] = [A, B, C, D]` (layout 0 under each assumption, then layout
    /// 1), in units of 10⁹.
    fn hand_filled(table: &[[u64; 4]]) -> Study {
        let text = format!(
            "{}\n[[assumptions]]\nname = \"calm\"\n\n[[assumptions]]\nname = \"stormy\"\noperations = {{ response = \"4h\" }}\n",
            // A scenario of layouts without assumptions of its own.
            include_str!("../../tests/golden/no-recovery/scenario.toml")
        );
        let loaded = crate::scenario::load_str("hand.toml", &text).expect("valid");
        let mut study = Study::new(&loaded.scenario);
        study.layouts.truncate(4);
        let runs = study.cell_runs.as_mut().expect("kept with assumptions");
        // Hand-made figures: no two cells are equal by construction.
        runs.same_as.clear();
        for (replication, row) in table.iter().enumerate() {
            let mut figures = vec![0; 4 * super::super::CELL_METRICS];
            for (cell, value) in row.iter().enumerate() {
                figures[cell * super::super::CELL_METRICS] = value * 1_000_000_000;
            }
            runs.runs.push(super::super::CellRun {
                replication: replication as u64,
                figures,
            });
        }
        study
    }

    #[test]
    fn a_study_chooses_with_paired_intervals_from_hand_built_figures() {
        // Means: A 1, B 9 (layout 0: best when calm, worst when stormy); C 4, D 5.
        let table = [
            [1, 9, 4, 5],
            [2, 8, 3, 6],
            [0, 10, 5, 4],
            [1, 7, 4, 5],
            [2, 9, 3, 6],
            [0, 11, 5, 4],
        ];
        let study = hand_filled(&table);
        let chosen = robust(&study);
        let minutes = |thousand_millions: f64| minutes_per_year(thousand_millions * 1e9);
        let close = |a: f64, b: f64| assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{a} ≠ {b}");
        let layouts: Vec<String> = study.layouts.iter().map(|l| l.layout.clone()).collect();
        let (first, second) = (&layouts[0], &layouts[2]);
        let cells: Vec<&MatrixCell> = chosen
            .matrix
            .iter()
            .filter(|c| c.metric == "remote_access")
            .collect();
        assert_eq!(cells.len(), 4);
        for (cell, (mean, regret)) in
            cells
                .iter()
                .zip([(1.0, 0.0), (9.0, 4.0), (4.0, 3.0), (5.0, 0.0)])
        {
            close(cell.value, minutes(mean));
            close(cell.regret, minutes(regret));
        }
        assert_eq!(cells[1].best_layout, *second);
        assert_eq!(cells[0].regret_interval, Interval::Unaffected);
        let rows: Vec<&ChoiceRow> = chosen
            .choices
            .iter()
            .filter(|c| c.metric == "remote_access")
            .collect();
        // Worst cases: layout 0 9 (stormy), layout 1 5 (stormy): layout 1, by D − B.
        let worst = rows[0];
        assert_eq!(worst.rule, Rule::BestWorstCase);
        assert_eq!(
            (&worst.layout, worst.deciding_assumption.as_str()),
            (second, "stormy")
        );
        assert_eq!(worst.runner_up.as_ref(), Some(first));
        close(worst.value, minutes(5.0));
        close(worst.delta_vs_runner_up.unwrap(), minutes(-4.0));
        assert!(worst.depends_on_assumption);
        // Regrets: layout 0 (0, 4) → 4 stormy; layout 1 (3, 0) → 3 calm. The chosen
        // regret is C − A; the margin (C − A) − (B − D), −1 on average, is a sum of four
        // cells, so one replication moves it by at most twice the horizon.
        let regret = rows[1];
        assert_eq!(regret.rule, Rule::LeastRegret);
        assert_eq!(
            (&regret.layout, regret.deciding_assumption.as_str()),
            (second, "calm")
        );
        close(regret.value, minutes(3.0));
        assert_eq!(regret.runner_up_assumption.as_deref(), Some("stormy"));
        close(regret.delta_vs_runner_up.unwrap(), minutes(-1.0));
        let mut by_hand = PairedSums::default();
        for [a, b, c, d] in table {
            by_hand.add((c as i128 - a as i128 - b as i128 + d as i128) * 1_000_000_000);
        }
        assert_eq!(regret.differing, 6);
        let expected = by_hand
            .interval(2.0 * UNAVAILABILITY_SCALE)
            .map(minutes_per_year);
        assert_eq!(regret.delta_interval, expected);
        // The chosen regret's own interval: C − A, at most one horizon.
        let mut own = PairedSums::default();
        for [a, _, c, _] in table {
            own.add((c as i128 - a as i128) * 1_000_000_000);
        }
        assert_eq!(
            regret.interval,
            own.interval(UNAVAILABILITY_SCALE).map(minutes_per_year)
        );
        // A margin that rests on fewer than five differing replications has bounds and
        // no verdict but "too few differ".
        let few = hand_filled(&[[1, 9, 4, 5], [1, 9, 4, 5]]);
        let few = robust_rows(&few);
        assert_eq!(few[0].verdict, Some(Verdict::TooFewDiffer));
        // Layout 1 equal to layout 0 by construction under each assumption: tied, no
        // runner-up, and its regrets are zero by construction.
        let mut same = hand_filled(&[[1, 9, 1, 9], [2, 8, 2, 8]]);
        same.cell_runs.as_mut().unwrap().same_as = (0..4)
            .map(|cell| vec![cell % 2; super::super::CELL_METRICS])
            .collect();
        let tied = robust(&same);
        let rows: Vec<&ChoiceRow> = tied
            .choices
            .iter()
            .filter(|c| c.metric == "remote_access")
            .collect();
        assert_eq!(rows[0].tied, vec![second.clone()]);
        assert_eq!((rows[0].runner_up.as_ref(), rows[0].verdict), (None, None));
        assert!(
            tied.matrix
                .iter()
                .all(|c| c.regret_interval == Interval::Unaffected)
        );
    }

    fn robust_rows(study: &Study) -> Vec<ChoiceRow> {
        robust(study)
            .choices
            .into_iter()
            .filter(|c| c.metric == "remote_access")
            .collect()
    }

    #[test]
    fn the_rules_can_disagree_and_ties_go_to_the_first_listed() {
        // Worst case prefers B (10 against 12); regret prefers A (2 against 7).
        let losses = vec![vec![12.0, 3.0], vec![10.0, 10.0]];
        let choice = choose(&losses).unwrap();
        assert_eq!(choice.best_worst_case.layout, 1);
        assert_eq!(choice.least_regret.layout, 0);
        assert_eq!(choice.least_regret.value, 2.0);
        // One assumption: no dependence; equal losses: the first listed.
        let tie = choose(&[vec![5.0], vec![5.0]]).unwrap();
        assert!(!tie.depends_on_assumption);
        assert_eq!(tie.best_worst_case.layout, 0);
        assert_eq!(tie.least_regret.value, 0.0);
        assert_eq!(choose(&[]), None);
        assert_eq!(choose(&[vec![1.0], vec![1.0, 2.0]]), None);
    }
}
