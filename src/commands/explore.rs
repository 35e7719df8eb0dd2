//! `edgesim explore`: loads the scenario and its `[explore]` space, searches the
//! candidates ([`crate::explore::search`]), runs the explored layout and the best
//! candidates again on an independent seed (the confirmation), and writes that run's
//! files with `explore.csv`, the cost–score chart and the report's "Explore" section
//! together; `--emit` writes the best candidates as `[[layouts]]`.

use std::path::PathBuf;

use super::{Failure, RunOptions, apply_overrides, load_for_run};
use crate::explore::{self, ExploreReport, SearchOptions};
use crate::export;
use crate::output::Staging;
use crate::results::Results;
use crate::study::{Origin, Quiet, StudyOptions};

/// What `edgesim explore` was asked for.
#[derive(Clone, Debug, Default)]
pub struct ExploreOptions {
    /// The scenario, the settings that override it (`-n` is the most replications a
    /// candidate may get), the output folder (`output/<scenario file stem>-explore/` when
    /// `None`), charts and `runs.csv` of the confirmation run. Shards do not apply.
    pub run: RunOptions,
    /// Where to write the best candidates as `[[layouts]]` entries.
    pub emit: Option<PathBuf>,
    /// Say on stderr what each stage runs.
    pub progress: bool,
}

/// What `edgesim explore` wrote.
pub struct ExploreOutcome {
    /// The confirmation run's results, with the search in `explore`.
    pub results: Results,
    /// The output folder.
    pub folder: PathBuf,
    /// Every file written in it.
    pub files: Vec<PathBuf>,
    /// The `--emit` file, when asked for.
    pub emitted: Option<PathBuf>,
}

/// Runs a search and writes its files.
pub fn explore(options: &ExploreOptions) -> Result<ExploreOutcome, Failure> {
    let run_options = &options.run;
    if run_options.shard.is_some() {
        return Err(Failure::Usage(
            "explore cannot run as shards: each stage decides which candidates the next one runs from every candidate's figures; run it on one machine (it uses every core)".to_string(),
        ));
    }
    let mut loaded = load_for_run(run_options)?;
    apply_overrides(&mut loaded.scenario, run_options).map_err(Failure::Usage)?;
    let mut space = loaded.explore.clone().ok_or_else(|| {
        Failure::Failed(format!(
            "{} has no [explore] table: add one saying what may change, e.g.\n  [explore]\n  reorder = [\"dns.remote_access\"]\n  route = [\"edge-a\", \"edge-b\"]\n  servers = {{ edge-a = [2, 4] }}\n(docs/scenario.md, \"explore\")",
            loaded.source.name
        ))
    })?;
    let scenario = &loaded.scenario;
    let explored = scenario.layouts[0].layout_name.clone();
    let explored_cells: Vec<_> = scenario
        .layouts
        .iter()
        .filter(|t| t.layout_name == explored)
        .cloned()
        .collect();
    if !space.pairings.is_empty() {
        // The loader took the first layout's pools; --layout may explore another.
        space.front_end_pools = crate::scenario::layout_tree(&loaded.source.text, &explored)
            .and_then(|tree| tree.get("front_end_pools").cloned());
    }
    let all = explore::candidates(&space, &explored_cells[0]);
    let cells = explore::candidate_cells(&loaded, &explored, &all)?;
    let costs: Vec<Option<f64>> = cells
        .iter()
        .map(|c| loaded.costs.as_ref().map(|costs| costs.of(&c[0])))
        .collect();
    let search_options = SearchOptions {
        threads: run_options.threads,
        criterion: space.criterion,
        budget_replication_years: space.budget_replication_years,
        costs: costs.iter().map(|c| c.unwrap_or(0.0)).collect(),
        ..SearchOptions::default()
    };
    let mut progress = |line: &str| {
        if options.progress {
            eprintln!("{line}");
        }
    };
    let search =
        explore::search_with_progress(scenario, cells.clone(), all, &search_options, &mut progress)
            .map_err(Failure::Failed)?;
    let confirmed = explore::confirmed(&search);

    // The confirmation: the explored layout and the best candidates on a seed of their
    // own, so that their figures are not the ones they were chosen on.
    let mut confirmation = scenario.clone();
    confirmation.simulation.seed = scenario.simulation.seed.wrapping_add(1);
    confirmation.layouts = explored_cells.clone();
    for &i in &confirmed {
        confirmation.layouts.extend(cells[i].iter().cloned());
    }
    if options.progress {
        eprintln!(
            "explore: confirming {} and {} on seed {}, {} replications",
            explored,
            confirmed
                .iter()
                .map(|&i| search.outcomes[i].candidate.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            confirmation.simulation.seed,
            confirmation.simulation.replications
        );
    }
    let study_options = StudyOptions {
        threads: run_options.threads,
        ..StudyOptions::default()
    };
    let mut results = crate::study::study(
        &confirmation,
        &Origin::of(&loaded),
        &study_options,
        &mut Quiet,
    )?;
    let report = ExploreReport {
        explored: explored.clone(),
        unit: loaded.costs.as_ref().map(|c| c.unit.clone()),
        explored_cost: loaded.costs.as_ref().map(|c| c.of(&explored_cells[0])),
        costs,
        confirmed,
        search_seed: scenario.simulation.seed,
        confirmation_seed: confirmation.simulation.seed,
        threshold_user_min_per_year: results
            .study
            .materiality
            .score_user_min_per_year
            .unwrap_or(0.0),
        search,
    };
    let emitted_text = options.emit.as_ref().map(|_| {
        explore::emitted_layouts(
            &report,
            &loaded.source.name,
            &explore::explored_edits(&loaded.source.text, &explored),
        )
    });
    results.explore = Some(Box::new(report));

    let folder = run_options
        .output
        .clone()
        .unwrap_or_else(|| crate::output::default_explore_folder(&loaded.source.name));
    let mut staging = Staging::new(&folder, crate::output::OutputKind::Explore)?;
    let mut exporters = export::file_exporters(run_options.charts);
    exporters.insert(0, Box::new(export::explore::ExploreCsv));
    export::stage(&mut staging, &results, &exporters)?;
    let files = staging.commit()?;
    let emitted = match (&options.emit, emitted_text) {
        (Some(path), Some(text)) => {
            crate::output::write_file_atomically(path, text.as_bytes())?;
            Some(path.clone())
        }
        _ => None,
    };
    Ok(ExploreOutcome {
        results,
        folder,
        files,
        emitted,
    })
}
