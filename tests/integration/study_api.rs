//! The study as a library call: results in memory, files a separate step.

use edgesim::stats::Verdict;
use edgesim::study::{Origin, Quiet, StudyObserver, StudyOptions, study};

use super::project_path;

fn two_site() -> edgesim::scenario::LoadedScenario {
    edgesim::scenario::load_file(&project_path("scenarios/two-site-minimal.toml")).unwrap()
}

/// A study writes nothing; exporting its results gives the bytes `run` writes for the
/// same scenario and settings (one contract for both paths).
#[test]
fn a_study_in_memory_exports_the_files_run_writes() {
    let mut loaded = two_site();
    loaded.scenario.simulation.replications = 40;
    let results = study(
        &loaded.scenario,
        &Origin::of(&loaded),
        &StudyOptions::default(),
        &mut Quiet,
    )
    .unwrap();
    assert_eq!(results.info.replications, 40);
    let dir = tempfile::tempdir().unwrap();
    super::edgesim()
        .args([
            "run",
            "scenarios/two-site-minimal.toml",
            "-n",
            "40",
            "--no-charts",
            "-q",
            "-o",
        ])
        .arg(dir.path())
        .assert()
        .success();
    for exporter in edgesim::export::file_exporters(false) {
        let name = exporter.file_name();
        let Some(in_memory) = exporter.export(&results).unwrap() else {
            // Nothing to export (a comparison with one layout): nor does run write it.
            assert!(!dir.path().join(&name).exists(), "{name}");
            continue;
        };
        let on_disk = std::fs::read(dir.path().join(&name)).unwrap();
        // The scenario file is named as given: a path here, a relative one on the
        // command line; every other byte is the same.
        let normalise = |bytes: &[u8]| {
            String::from_utf8_lossy(bytes).replace(
                &project_path("scenarios/two-site-minimal.toml")
                    .display()
                    .to_string(),
                "scenarios/two-site-minimal.toml",
            )
        };
        assert_eq!(normalise(&in_memory), normalise(&on_disk), "{name}");
    }
}

/// Variants of one layout are studied on common random numbers: a copy of the baseline
/// under another name differs from it in no replication.
#[test]
fn variants_of_a_layout_share_random_numbers() {
    let mut loaded = two_site();
    loaded.scenario.simulation.replications = 30;
    let base = loaded.scenario.layouts[0].clone();
    let mut twin = base.clone();
    twin.layout_name = "twin".to_string();
    let variants = loaded.scenario.with_variants(vec![base, twin]);
    let results = study(
        &variants,
        &Origin::of(&loaded),
        &StudyOptions::default(),
        &mut Quiet,
    )
    .unwrap();
    assert!(!results.comparison.is_empty());
    for row in &results.comparison {
        assert_eq!(row.differing, 0, "{} {}", row.service, row.scope);
        assert_eq!(row.delta_downtime_min_per_year, 0.0);
        assert!(
            matches!(row.verdict, Verdict::TooFewDiffer | Verdict::Unaffected),
            "{:?}",
            row.verdict
        );
    }
}

/// The observer is told of every replication once, in replication order, and a precision
/// target extends the study only in whole batches.
#[test]
fn the_observer_sees_every_replication_in_order() {
    struct Seen(Vec<u64>, Vec<u64>);
    impl StudyObserver for Seen {
        fn replication_done(
            &mut self,
            replication: u64,
            results: &[edgesim::model::ReplicationResult],
        ) -> Result<(), edgesim::study::Failure> {
            assert_eq!(results.len(), 1);
            self.0.push(replication);
            Ok(())
        }
        fn extended(&mut self, replications: u64) {
            self.1.push(replications);
        }
    }
    let mut loaded = two_site();
    loaded.scenario.simulation.replications = 20;
    let target = edgesim::precision::PrecisionTarget {
        relative_half_width: 0.5,
        rows: Vec::new(),
        batch: 20,
        max_replications: 60,
    };
    let mut seen = Seen(Vec::new(), Vec::new());
    let options = StudyOptions {
        threads: Some(2),
        precision: Some(target),
        ..StudyOptions::default()
    };
    let results = study(&loaded.scenario, &Origin::of(&loaded), &options, &mut seen).unwrap();
    let total = results.info.replications;
    assert_eq!(seen.0, (0..total).collect::<Vec<_>>());
    assert!(
        seen.1.iter().all(|t| t % 20 == 0 && *t <= 60),
        "{:?}",
        seen.1
    );
    assert_eq!(seen.1.last().copied().unwrap_or(20), total);
}
