//! A study's results as one object that does not know how it was produced (one run, or
//! shards merged): what was run, the scenario's description and warnings, the exact
//! accumulators, and every table derived from them. Every output — the CSV and JSON
//! files, the part file, the terminal table, each chart and the report — is an exporter
//! of it ([`crate::export`], [`crate::plot`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::stats::{CauseRow, ComparisonRow, PoolRow, ScoreRow, Study, SummaryRow};
use crate::topology::Scenario;
use crate::vocabulary::Cause;
use crate::vocabulary::Service;

/// The versions of the crates that make the random numbers (kept equal to Cargo.lock by a
/// test), reported in `summary.json` so a result can be reproduced.
pub const RANDOM_CRATES: [(&str, &str); 2] = [("rand_chacha", "0.10.0"), ("libm", "0.2.16")];

/// What was run: reported in `summary.json` and the report, and checked by `merge`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunInfo {
    /// The scenario's name.
    pub scenario: String,
    /// The scenario file as given.
    pub scenario_file: String,
    /// The seed.
    pub seed: u64,
    /// Replications of the whole run (all shards).
    pub replications: u64,
    /// The horizon, in the scenario syntax.
    pub horizon: String,
    /// The horizon in microseconds.
    pub horizon_micros: u64,
    /// The layouts run, baseline first.
    pub layouts: Vec<String>,
    /// edgesim's version.
    pub edgesim_version: String,
    /// The random-number crates and their versions.
    pub random_crates: BTreeMap<String, String>,
    /// A hash of the scenario text, the flags that change results, and edgesim's version.
    pub fingerprint: String,
}

impl RunInfo {
    /// Describes a run of `scenario` (already with command-line overrides) from the file
    /// `scenario_file` whose text is `source`.
    pub fn new(scenario: &Scenario, scenario_file: &str, source: &str) -> Self {
        let simulation = &scenario.simulation;
        let layouts: Vec<String> = scenario
            .layouts
            .iter()
            .map(|t| t.layout_name.clone())
            .collect();
        let version = env!("CARGO_PKG_VERSION").to_string();
        // The materiality is part of it: `--material` changes the verdicts without
        // changing the file.
        let fingerprint_text = format!(
            "{version}\n{}\n{}\n{}\n{}\n{:?}\n{source}",
            simulation.replications,
            simulation.horizon.as_micros(),
            simulation.seed,
            layouts.join("\n"),
            scenario.materiality,
        );
        RunInfo {
            scenario: scenario.name.clone(),
            scenario_file: scenario_file.to_string(),
            seed: simulation.seed,
            replications: simulation.replications,
            horizon: simulation.horizon.to_string(),
            horizon_micros: simulation.horizon.as_micros(),
            layouts,
            edgesim_version: version,
            random_crates: RANDOM_CRATES
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            fingerprint: format!("{:016x}", crate::topology::stream_key_of(&fingerprint_text)),
        }
    }
}

/// `names` in the order first seen, each once (layouts and assumptions of a study's
/// cells).
pub fn first_seen<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen: Vec<&str> = Vec::new();
    for name in names {
        if !seen.contains(&name) {
            seen.push(name);
        }
    }
    seen
}

/// Everything a study produced, and the tables derived from it.
#[derive(Clone, Debug)]
pub struct Results {
    /// What was run.
    pub info: RunInfo,
    /// The scenario's description (may be empty).
    pub description: String,
    /// The scenario's disaster-recovery warnings, rendered as text.
    pub warnings: Vec<String>,
    /// The exact accumulators.
    pub study: Study,
    /// The rows of `summary.csv`.
    pub summary: Vec<SummaryRow>,
    /// The rows of `causes.csv`.
    pub causes: Vec<CauseRow>,
    /// The rows of `pools.csv`.
    pub pools: Vec<PoolRow>,
    /// The rows of `comparison.csv` (empty with one layout).
    pub comparison: Vec<ComparisonRow>,
    /// Each layout's score (empty without an `[objective]`).
    pub scores: Vec<ScoreRow>,
    /// The layouts × assumptions matrix and the robust choices (empty without
    /// `[[assumptions]]`).
    pub robust: crate::stats::robust::Robust,
    /// How a run with a precision target ended (`run --precision`); `None` otherwise.
    pub precision: Option<crate::precision::PrecisionReport>,
    /// What `edgesim explore` found, when these are its confirmation run's results.
    pub explore: Option<Box<crate::explore::ExploreReport>>,
}

impl Results {
    /// Derives every table from `study`.
    pub fn new(info: RunInfo, description: String, warnings: Vec<String>, study: Study) -> Self {
        Results {
            summary: study.summary(),
            causes: study.causes(),
            pools: study.pools(),
            comparison: study.comparison(),
            scores: study.scores(),
            robust: crate::stats::robust::robust(&study),
            precision: None,
            explore: None,
            info,
            description,
            warnings,
            study,
        }
    }

    /// The assumptions the layouts are evaluated under, in scenario order (empty without
    /// `[[assumptions]]`).
    pub fn assumptions(&self) -> Vec<String> {
        first_seen(
            self.study
                .layouts
                .iter()
                .filter_map(|l| l.assumption.as_deref()),
        )
        .into_iter()
        .map(String::from)
        .collect()
    }

    /// The layouts, each once (a layout is a cell under each assumption), baseline first.
    pub fn distinct_layouts(&self) -> Vec<&str> {
        first_seen(self.layouts())
    }

    /// The results of the layouts under `assumption` alone, as a run of the scenario with
    /// that assumption written in would give them (rows without an assumption): every
    /// table, verdict and chart of one assumption is drawn from these.
    pub fn under(&self, assumption: &str) -> Results {
        let mut study = self.study.clone();
        study
            .layouts
            .retain(|layout| layout.assumption.as_deref() == Some(assumption));
        for layout in &mut study.layouts {
            layout.assumption = None;
        }
        study.cell_runs = None;
        let mut info = self.info.clone();
        info.layouts = study.layouts.iter().map(|l| l.layout.clone()).collect();
        Results::new(info, self.description.clone(), self.warnings.clone(), study)
    }

    /// These results with each layout named "layout · assumption" (charts draw the cells
    /// of one layout apart); the assumptions stay, so each is still compared with the
    /// baseline under its own assumption.
    pub fn with_cell_labels(&self) -> Results {
        // Labels change no figure: the rows are renamed, not derived again (every chart
        // asks for these results, several times).
        let label = |layout: &mut String, assumption: &Option<String>| {
            if let Some(assumption) = assumption {
                *layout = format!("{layout} · {assumption}");
            }
        };
        let study = &self.study;
        let mut labelled = Results {
            info: self.info.clone(),
            description: self.description.clone(),
            warnings: self.warnings.clone(),
            study: Study {
                horizon_micros: study.horizon_micros,
                layouts: study.layouts.clone(),
                objective: study.objective.clone(),
                materiality: study.materiality.clone(),
                recovery_causes: study.recovery_causes.clone(),
                // The cells' kept figures serve the matrix of the unlabelled results.
                cell_runs: None,
            },
            summary: self.summary.clone(),
            causes: self.causes.clone(),
            pools: self.pools.clone(),
            comparison: self.comparison.clone(),
            scores: self.scores.clone(),
            robust: crate::stats::robust::Robust::default(),
            precision: self.precision.clone(),
            // The explore chart reads the unlabelled results.
            explore: None,
        };
        for layout in &mut labelled.study.layouts {
            label(&mut layout.layout, &layout.assumption);
        }
        for row in &mut labelled.summary {
            label(&mut row.layout, &row.assumption);
        }
        for row in &mut labelled.causes {
            label(&mut row.layout, &row.assumption);
        }
        for row in &mut labelled.pools {
            label(&mut row.layout, &row.assumption);
        }
        for row in &mut labelled.comparison {
            label(&mut row.layout, &row.assumption);
            label(&mut row.baseline, &row.assumption);
        }
        for row in &mut labelled.scores {
            label(&mut row.layout, &row.assumption);
        }
        labelled.info.layouts = labelled.layouts().map(String::from).collect();
        labelled
    }

    /// The layouts, baseline first.
    pub fn layouts(&self) -> impl Iterator<Item = &str> {
        self.study.layouts.iter().map(|l| l.layout.as_str())
    }

    /// The services any layout has, in report order.
    pub fn services(&self) -> Vec<Service> {
        Service::ALL
            .into_iter()
            .filter(|service| {
                self.study
                    .layouts
                    .iter()
                    .any(|l| l.services.iter().any(|s| s.service == *service))
            })
            .collect()
    }

    /// The summary row of `layout`, `service` and `scope`.
    pub fn summary_row(&self, layout: &str, service: Service, scope: &str) -> Option<&SummaryRow> {
        self.summary
            .iter()
            .find(|r| r.layout == layout && r.service == service.name() && r.scope == scope)
    }

    /// The paired difference of `layout` against the baseline for `service` and `scope`.
    pub fn comparison_row(
        &self,
        layout: &str,
        service: Service,
        scope: &str,
    ) -> Option<&ComparisonRow> {
        self.comparison
            .iter()
            .find(|r| r.layout == layout && r.service == service.name() && r.scope == scope)
    }

    /// The layout to prefer for `service` (all users): the materially better one with the
    /// largest gain over the baseline; `None` when none is materially better, so the
    /// baseline stands (a change that is not material is no reason to rebuild).
    pub fn preferred(&self, service: Service) -> Option<&ComparisonRow> {
        self.layouts()
            .skip(1)
            .filter_map(|l| self.comparison_row(l, service, "all"))
            .filter(|r| r.verdict == crate::stats::Verdict::MateriallyBetter)
            .min_by(|a, b| {
                a.delta_downtime_min_per_year
                    .total_cmp(&b.delta_downtime_min_per_year)
            })
    }

    /// Downtime by cause of `layout`, `service` and `scope`, minutes per year, in cause
    /// order.
    pub fn causes_of(&self, layout: &str, service: Service, scope: &str) -> Vec<(Cause, f64)> {
        self.study
            .listed_causes()
            .into_iter()
            .map(|cause| {
                let minutes = self
                    .causes
                    .iter()
                    .find(|r| {
                        r.layout == layout
                            && r.service == service.name()
                            && r.scope == scope
                            && r.cause == cause.name()
                    })
                    .map_or(0.0, |r| r.downtime_min_per_year);
                (cause, minutes)
            })
            .collect()
    }
}
