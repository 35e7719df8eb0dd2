//! `edgesim diff OLD_DIR NEW_DIR` (docs/output.md, "Comparing two studies"): the change
//! in downtime per year of every layout, service and scope two result folders share,
//! with a 95% interval (the intervals of [`crate::stats::interval`]: paired per
//! replication when both runs drew the same random numbers, two independent means
//! otherwise); which rows got significantly worse; and which rows cannot see a change of
//! the threshold's size, and what would let them.
//!
//! The flag is for a gate in CI, so it must not fire by luck: a row is worse when the
//! change exceeds the threshold at 95% confidence for all the rows compared together
//! (Bonferroni: each row's two-sided level is 1 − 0.05/rows). The `ci95` columns are the
//! usual per-row 95% intervals.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::results::RunInfo;
use crate::stats::MINUTES_PER_YEAR;
use crate::stats::interval::{self, ALPHA, Interval, RunningSample, Sample};
use crate::stats::student_t::t_quantile;
use crate::study::Failure;
use crate::time::MICROS_PER_YEAR;

/// The largest `summary.json` or `summary.csv` read: a result folder's are kilobytes to a
/// few megabytes; a larger one is not edgesim's.
const MAX_SUMMARY_BYTES: u64 = 64 << 20;

/// How a row's interval was computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Per-replication differences (both runs drew the same random numbers).
    Paired,
    /// Welch's unpaired interval from each run's per-replication values.
    Welch,
    /// Welch's unpaired interval from each run's summary interval (a run without
    /// `runs.csv`).
    WelchFromSummary,
}

impl Method {
    /// The name written in `diff.csv`.
    pub fn name(self) -> &'static str {
        match self {
            Method::Paired => "paired",
            Method::Welch => "welch",
            Method::WelchFromSummary => "welch_from_summary",
        }
    }
}

/// One layout, service and scope of either folder.
#[derive(Clone, Debug)]
pub struct DiffRow {
    /// Layout name.
    pub layout: String,
    /// Service name.
    pub service: String,
    /// `all` or a FE pool id.
    pub scope: String,
    /// Mean downtime in OLD, minutes per year (`None`: not in OLD).
    pub old_min_per_year: Option<f64>,
    /// Mean downtime in NEW, minutes per year (`None`: not in NEW).
    pub new_min_per_year: Option<f64>,
    /// Replications of OLD and of NEW with any downtime in this row (`None` when the
    /// folder has neither runs.csv nor the row's sample in summary.json).
    pub with_downtime: (Option<u64>, Option<u64>),
    /// NEW − OLD with its 95% interval, minutes per year, and how it was computed
    /// (`None` when the row is in one folder only, or the interval needs 2 replications).
    pub change: Option<Change>,
    /// Whether the row got significantly worse by more than the threshold.
    pub worse: bool,
}

/// Whether a row's comparison can see a change of the threshold's size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Evidence {
    /// It can: enough replications carry it, and its interval is narrower than the
    /// threshold either side (or there is no threshold).
    Enough,
    /// Paired, and no replication differs: the row is the same in every replication (a
    /// change that reaches it rarely could still go unseen; the bounds say how rarely).
    NoneDiffer,
    /// Paired, but one to four replications differ: only bounds.
    TooFewDiffer,
    /// Unpaired, and fewer than five replications of a side had downtime: only bounds.
    TooFewWithDowntime,
    /// Its interval reaches further than the threshold either side of the change, so a
    /// change of the threshold's size could go unseen.
    TooWide,
}

impl Evidence {
    /// The name written in `diff.csv`.
    pub fn name(self) -> &'static str {
        match self {
            Evidence::Enough => "enough",
            Evidence::NoneDiffer => "none_differ",
            Evidence::TooFewDiffer => "too_few_differ",
            Evidence::TooFewWithDowntime => "too_few_with_downtime",
            Evidence::TooWide => "too_wide",
        }
    }
}

/// A change in mean downtime and its interval.
#[derive(Clone, Copy, Debug)]
pub struct Change {
    /// NEW − OLD, minutes per year.
    pub min_per_year: f64,
    /// Its 95% interval or bounds (`None` with fewer than 2 replications on a side).
    pub ci95: Option<(f64, f64)>,
    /// What `ci95` is.
    pub interval: Interval,
    /// The lower end of the interval at 95% for all rows together (Bonferroni).
    pub family_low: Option<f64>,
    /// How the interval was computed.
    pub method: Method,
    /// Paired: the replications in which the two runs differ.
    pub differing: Option<u64>,
    /// Whether the row can see a change of the threshold's size.
    pub evidence: Evidence,
    /// About how many replications (each run) would let it, when it cannot.
    pub replications_needed: Option<u64>,
}

/// What a comparison of two result folders found.
#[derive(Clone, Debug)]
pub struct DiffResults {
    /// Every row of either folder: OLD's order, then NEW's rows OLD does not have.
    pub rows: Vec<DiffRow>,
    /// Notes on how the folders were compared (pairing, differing scenarios).
    pub notes: Vec<String>,
    /// The threshold used.
    pub threshold_min_per_year: f64,
}

impl DiffResults {
    /// The rows that got worse.
    pub fn worse(&self) -> impl Iterator<Item = &DiffRow> {
        self.rows.iter().filter(|row| row.worse)
    }

    /// The rows compared that cannot see a change of the threshold's size (rows that are
    /// the same in every paired replication are not among them: there was nothing to see).
    pub fn blind(&self) -> impl Iterator<Item = &DiffRow> {
        self.rows.iter().filter(|row| {
            row.change
                .is_some_and(|c| !matches!(c.evidence, Evidence::Enough | Evidence::NoneDiffer))
        })
    }

    /// The rows that are the same in every paired replication.
    pub fn identical(&self) -> impl Iterator<Item = &DiffRow> {
        self.rows.iter().filter(|row| {
            row.change
                .is_some_and(|c| c.evidence == Evidence::NoneDiffer)
        })
    }
}

type Key = (String, String, String);

/// The name a row of `layout` under `assumption` is matched by: the layout, or
/// "layout · assumption" (the cell's label elsewhere) in a study with assumptions.
fn cell_key(layout: &str, assumption: Option<&str>) -> String {
    match assumption {
        Some(assumption) if !assumption.is_empty() => format!("{layout} · {assumption}"),
        _ => layout.to_string(),
    }
}

/// One row of `summary.csv`, as `diff` needs it.
struct SummaryFigures {
    replications: u64,
    mean_min_per_year: f64,
    /// Standard error of the mean, minutes per year (from the 95% interval): for folders
    /// written before `summary.json` held each row's sample.
    standard_error: Option<f64>,
    /// The row's yearly downtime over replications, from `summary.json`.
    sample: Option<Sample>,
}

/// A result folder, read.
struct Folder {
    info: RunInfo,
    order: Vec<Key>,
    summary: HashMap<Key, SummaryFigures>,
    /// Whether its `summary.csv` holds `[objective]` scores (which diff leaves out).
    has_scores: bool,
    /// Where its `runs.csv` is, when it was written.
    runs: Option<PathBuf>,
}

/// The increases and decreases of a row's paired differences, read one replication at a
/// time.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct PairedSample {
    increases: RunningSample,
    decreases: RunningSample,
}

impl PairedSample {
    fn add(&mut self, difference: f64) {
        self.increases.add(difference.max(0.0));
        self.decreases.add((-difference).max(0.0));
    }
}

/// What the two `runs.csv` say about each row, read in one pass whatever their size
/// (memory grows with the rows per replication, not with the replications): each folder's
/// per-replication sample and, when paired, the per-replication differences.
#[derive(Default)]
struct RunMoments {
    old: HashMap<Key, RunningSample>,
    new: HashMap<Key, RunningSample>,
    differences: HashMap<Key, PairedSample>,
}

/// What to compare.
#[derive(Clone, Debug)]
pub struct DiffInputs {
    /// The earlier result folder.
    pub old: PathBuf,
    /// The later result folder.
    pub new: PathBuf,
    /// How many minutes per year of extra downtime a row may gain before it counts as
    /// worse (it must also be significant).
    pub threshold_min_per_year: f64,
}

/// Compares two result folders, in memory.
pub fn diff(options: &DiffInputs) -> Result<DiffResults, Failure> {
    if !options.threshold_min_per_year.is_finite() || options.threshold_min_per_year < 0.0 {
        return Err(Failure::Usage(format!(
            "--threshold {}: give minutes per year, 0 or more (e.g. --threshold 5)",
            options.threshold_min_per_year
        )));
    }
    let old = Folder::read(&options.old)?;
    let new = Folder::read(&options.new)?;
    let mut notes = Vec::new();
    if old.info.scenario != new.info.scenario {
        notes.push(format!(
            "the scenarios' names differ (\"{}\" and \"{}\"): rows are matched by layout, service and scope",
            old.info.scenario, new.info.scenario
        ));
    }
    let paired = pairing(&old, &new, &options.old, &options.new, &mut notes);
    let moments = read_run_moments(&old, &new, paired)?;
    if old.has_scores || new.has_scores {
        notes.push(
            "the [objective] scores are left out: they are weighted user-minutes and --threshold is in minutes; compare them in each summary.csv".to_string(),
        );
    }
    let common = old
        .order
        .iter()
        .filter(|key| new.summary.contains_key(*key))
        .count();
    if common == 0 {
        return Err(Failure::Usage(format!(
            "{} and {} have no layout, service and scope in common (layouts {} and {}); diff compares the results of layouts of the same name",
            options.old.display(),
            options.new.display(),
            old.info.layouts.join(", "),
            new.info.layouts.join(", ")
        )));
    }
    let family_alpha = ALPHA / common as f64;
    let mut rows = Vec::new();
    let keys = old.order.iter().chain(
        new.order
            .iter()
            .filter(|key| !old.summary.contains_key(*key)),
    );
    for key in keys {
        let (in_old, in_new) = (old.summary.get(key), new.summary.get(key));
        let change = match (in_old, in_new) {
            (Some(a), Some(b)) => Some(compare(
                &moments,
                key,
                (a, b),
                family_alpha,
                options.threshold_min_per_year,
            )),
            _ => None,
        };
        let worse = change
            .and_then(|c| c.family_low)
            .is_some_and(|low| low > options.threshold_min_per_year);
        let carrying = |runs: &HashMap<Key, RunningSample>, figures: Option<&SummaryFigures>| {
            runs.get(key)
                .map(|r| r.sample().nonzero)
                .or_else(|| figures.and_then(|f| f.sample).map(|s| s.nonzero))
        };
        rows.push(DiffRow {
            layout: key.0.clone(),
            service: key.1.clone(),
            scope: key.2.clone(),
            old_min_per_year: in_old.map(|s| s.mean_min_per_year),
            new_min_per_year: in_new.map(|s| s.mean_min_per_year),
            with_downtime: (
                carrying(&moments.old, in_old),
                carrying(&moments.new, in_new),
            ),
            change,
            worse,
        });
    }
    for (folder, layouts, other) in [
        ("OLD", &old.info.layouts, &new.info.layouts),
        ("NEW", &new.info.layouts, &old.info.layouts),
    ] {
        let only: Vec<&str> = layouts
            .iter()
            .filter(|l| !other.contains(l))
            .map(String::as_str)
            .collect();
        if !only.is_empty() {
            notes.push(format!(
                "only in {folder}: layout {} (not compared)",
                only.join(", ")
            ));
        }
    }
    Ok(DiffResults {
        rows,
        notes,
        threshold_min_per_year: options.threshold_min_per_year,
    })
}

/// Whether two paths name the same folder.
pub fn same_folder(a: &Path, b: &Path) -> bool {
    std::path::absolute(a).ok() == std::path::absolute(b).ok()
        || (a.exists() && b.exists() && fs::canonicalize(a).ok() == fs::canonicalize(b).ok())
}

/// Whether the rows can be paired by replication, with a note saying why or why not.
fn pairing(
    old: &Folder,
    new: &Folder,
    old_path: &Path,
    new_path: &Path,
    notes: &mut Vec<String>,
) -> bool {
    let (a, b) = (&old.info, &new.info);
    let mut reasons = Vec::new();
    for (folder, path) in [(old, old_path), (new, new_path)] {
        if folder.runs.is_none() {
            reasons.push(format!(
                "{} has no runs.csv (run with --no-runs)",
                path.display()
            ));
        }
    }
    if a.seed != b.seed {
        reasons.push(format!("the seeds differ ({} and {})", a.seed, b.seed));
    }
    if a.replications != b.replications {
        reasons.push(format!(
            "the replications differ ({} and {})",
            a.replications, b.replications
        ));
    }
    if a.horizon_micros != b.horizon_micros {
        reasons.push(format!(
            "the horizons differ ({} and {})",
            a.horizon, b.horizon
        ));
    }
    if a.edgesim_version != b.edgesim_version || a.random_crates != b.random_crates {
        reasons.push(format!(
            "edgesim versions differ ({} and {}), so their random streams may",
            a.edgesim_version, b.edgesim_version
        ));
    }
    if reasons.is_empty() {
        notes.push(format!(
            "paired by replication: both runs used seed {}, {} replications of {}",
            a.seed, a.replications, a.horizon
        ));
        true
    } else {
        notes.push(format!(
            "unpaired (Welch): {}; intervals are wider than a paired comparison's",
            reasons.join("; ")
        ));
        false
    }
}

/// The change of one row and its intervals, and whether it can see a change of
/// `threshold` minutes per year.
fn compare(
    moments: &RunMoments,
    key: &Key,
    (a, b): (&SummaryFigures, &SummaryFigures),
    family_alpha: f64,
    threshold: f64,
) -> Change {
    let mean_change = b.mean_min_per_year - a.mean_min_per_year;
    let (x, y) = (moments.old.get(key), moments.new.get(key));
    let (method, basis) = match (x, y, moments.differences.get(key)) {
        // Every replication of both runs paired.
        (Some(x), Some(y), Some(d))
            if d.increases.sample().replications == x.sample().replications
                && d.increases.sample().replications == y.sample().replications =>
        {
            (
                Method::Paired,
                Basis::Paired(d.increases.sample(), d.decreases.sample()),
            )
        }
        (Some(x), Some(y), _) => (Method::Welch, Basis::Independent(x.sample(), y.sample())),
        _ => match (a.sample, b.sample) {
            (Some(before), Some(after)) => {
                (Method::WelchFromSummary, Basis::Independent(before, after))
            }
            _ => (
                Method::WelchFromSummary,
                Basis::StandardErrors {
                    old: a.standard_error.map(|e| (e, a.replications as f64)),
                    new: b.standard_error.map(|e| (e, b.replications as f64)),
                    change: mean_change,
                },
            ),
        },
    };
    let differing = match basis {
        Basis::Paired(up, down) => Some(up.nonzero + down.nonzero),
        _ => None,
    };
    let interval_at = |alpha: f64| basis.interval(alpha);
    let interval = interval_at(ALPHA);
    let family_low = interval_at(family_alpha).ends().map(|(low, _)| low);
    let replications = a.replications.min(b.replications);
    let (evidence, replications_needed) = match interval {
        Interval::Bounds { .. } | Interval::None => match differing {
            Some(0) => (Evidence::NoneDiffer, None),
            Some(k) => (
                Evidence::TooFewDiffer,
                interval::replications_needed(k, replications),
            ),
            None => {
                let carrying = [a, b]
                    .iter()
                    .filter_map(|f| f.sample.map(|s| s.nonzero))
                    .min()
                    .unwrap_or(0);
                (
                    Evidence::TooFewWithDowntime,
                    interval::replications_needed(carrying, replications),
                )
            }
        },
        Interval::TwoSided { low, high } if threshold > 0.0 && (high - low) / 2.0 > threshold => {
            // The interval narrows as 1/√n: this many replications would bring its
            // half-width to the threshold.
            let shrink = (high - low) / 2.0 / threshold;
            (
                Evidence::TooWide,
                Some(libm::ceil(replications as f64 * shrink * shrink) as u64),
            )
        }
        _ => (Evidence::Enough, None),
    };
    Change {
        min_per_year: mean_change,
        ci95: interval.ends(),
        interval,
        family_low,
        method,
        differing,
        evidence,
        replications_needed,
    }
}

/// What a row's interval is made of.
#[derive(Clone, Copy, Debug)]
enum Basis {
    /// The increases and decreases of the paired differences.
    Paired(Sample, Sample),
    /// Each run's per-replication sample (runs that did not pair).
    Independent(Sample, Sample),
    /// Each run's standard error and replications, from its summary interval: folders
    /// written before `summary.json` held each row's sample.
    StandardErrors {
        old: Option<(f64, f64)>,
        new: Option<(f64, f64)>,
        change: f64,
    },
}

impl Basis {
    /// The interval of the change at two-sided level 1 − `alpha`.
    fn interval(&self, alpha: f64) -> Interval {
        match *self {
            Basis::Paired(up, down) => {
                interval::difference_interval(&up, &down, MINUTES_PER_YEAR, alpha)
            }
            Basis::Independent(before, after) => {
                interval::independent_difference(&before, &after, MINUTES_PER_YEAR, alpha)
            }
            Basis::StandardErrors {
                old: Some((p, n)),
                new: Some((q, m)),
                change,
            } => {
                let (standard_error, degrees) = welch((p * p, n), (q * q, m));
                if degrees < 1.0 {
                    return Interval::None;
                }
                let half = if standard_error > 0.0 {
                    t_quantile(1.0 - alpha / 2.0, degrees) * standard_error
                } else {
                    0.0
                };
                Interval::TwoSided {
                    low: change - half,
                    high: change + half,
                }
            }
            Basis::StandardErrors { .. } => Interval::None,
        }
    }
}

/// Welch's standard error and degrees of freedom from each side's (variance of the
/// mean, replications).
fn welch((p, n): (f64, f64), (q, m): (f64, f64)) -> (f64, f64) {
    let standard_error = (p + q).sqrt();
    let denominator = p * p / (n - 1.0).max(1.0) + q * q / (m - 1.0).max(1.0);
    let degrees = if denominator > 0.0 {
        (p + q) * (p + q) / denominator
    } else {
        (n + m - 2.0).max(1.0)
    };
    (standard_error, degrees)
}

/// What `diff` reads of `summary.json`: what was run and each row's sample (the other
/// tables are skipped, not kept).
#[derive(serde::Deserialize)]
struct SummaryDocument {
    run: RunInfo,
    #[serde(default)]
    summary: Vec<SummaryJsonRow>,
}

/// One row of `summary.json`'s `summary`, as far as `diff` needs it.
#[derive(serde::Deserialize)]
struct SummaryJsonRow {
    layout: String,
    /// The assumption, in a study with `[[assumptions]]`.
    #[serde(default)]
    assumption: Option<String>,
    service: String,
    scope: String,
    #[serde(default)]
    downtime_sample: Option<Sample>,
}

impl Folder {
    fn read(path: &Path) -> Result<Folder, Failure> {
        // Anything wrong with a folder means it cannot be compared: exit 2, never the 1 a
        // gate reads as "worse".
        let not_results = |what: &str| {
            Failure::Usage(format!(
                "{} is not a result folder of `edgesim run` ({what}); give the folders two runs wrote, e.g. output/contoso-three-site",
                path.display()
            ))
        };
        let damaged = |file: &str, what: String| {
            Failure::Usage(format!(
                "{}: {what}; it cannot be compared (give the folder as edgesim wrote it)",
                path.join(file).display()
            ))
        };
        if !path.is_dir() {
            return Err(not_results("no such folder"));
        }
        let unreadable = |file: &str, e: std::io::Error| {
            if e.kind() == std::io::ErrorKind::NotFound {
                not_results(&format!("no {file}"))
            } else {
                not_results(&format!("{file}: {e}"))
            }
        };
        let json =
            read_capped(&path.join("summary.json")).map_err(|e| unreadable("summary.json", e))?;
        let document: SummaryDocument = serde_json::from_slice(&json)
            .map_err(|e| damaged("summary.json", format!("not one edgesim writes ({e})")))?;
        drop(json);
        let info = document.run;
        if info.horizon_micros == 0 || info.replications == 0 {
            return Err(damaged(
                "summary.json",
                format!(
                    "a run of {} replications of {} µs cannot be one edgesim made",
                    info.replications, info.horizon_micros
                ),
            ));
        }
        let csv_bytes =
            read_capped(&path.join("summary.csv")).map_err(|e| unreadable("summary.csv", e))?;
        let (order, mut summary, has_scores) =
            read_summary(&csv_bytes).map_err(|e| damaged("summary.csv", e))?;
        // Each row's sample, which folders written since edgesim reported the evidence
        // behind every estimate hold in summary.json.
        for row in document.summary {
            let key = (
                cell_key(&row.layout, row.assumption.as_deref()),
                row.service,
                row.scope,
            );
            let sample = row.downtime_sample.filter(|s| {
                [s.mean, s.variance, s.max]
                    .iter()
                    .all(|v| v.is_finite() && *v >= 0.0)
                    && s.nonzero <= s.replications
            });
            if let (Some(figures), Some(sample)) = (summary.get_mut(&key), sample) {
                figures.sample = Some(sample);
            }
        }
        let runs_path = path.join("runs.csv");
        let runs = runs_path.is_file().then_some(runs_path);
        Ok(Folder {
            info,
            order,
            summary,
            has_scores,
            runs,
        })
    }
}

/// The bytes of a plain file of at most [`MAX_SUMMARY_BYTES`] (a FIFO or a device, which
/// could block or never end, is refused before it is opened).
fn read_capped(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let metadata = fs::metadata(path)?;
    if !metadata.is_file() {
        return Err(std::io::Error::other("not a plain file"));
    }
    if metadata.len() > MAX_SUMMARY_BYTES {
        return Err(std::io::Error::other(format!(
            "{} bytes, more than the {} MiB any result folder's has",
            metadata.len(),
            MAX_SUMMARY_BYTES >> 20
        )));
    }
    let mut bytes = Vec::new();
    fs::File::open(path)?
        .take(MAX_SUMMARY_BYTES)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The position of column `name`, or an error naming it.
fn column_index(headers: &csv::StringRecord, name: &str) -> Result<usize, String> {
    headers
        .iter()
        .position(|h| h == name)
        .ok_or_else(|| format!("no column `{name}`"))
}

/// `summary.csv`'s rows: key order, figures, and whether it had `[objective]` scores
/// (which are left out).
type Summary = (Vec<Key>, HashMap<Key, SummaryFigures>, bool);

/// Reads `summary.csv`'s rows.
fn read_summary(bytes: &[u8]) -> Result<Summary, String> {
    let mut reader = csv::Reader::from_reader(bytes);
    let headers = reader.headers().map_err(|e| e.to_string())?.clone();
    let column = |name: &str| column_index(&headers, name);
    let [layout, service, scope, replications, downtime, low, high] = [
        "layout",
        "service",
        "scope",
        "replications",
        "downtime_min_per_year",
        "ci95_low",
        "ci95_high",
    ]
    .map(column);
    let (layout, service, scope, replications, downtime, low, high) = (
        layout?,
        service?,
        scope?,
        replications?,
        downtime?,
        low?,
        high?,
    );
    let assumption = column_index(&headers, "assumption").ok();
    let mut has_scores = false;
    let mut order = Vec::new();
    let mut figures = HashMap::new();
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(|e| e.to_string())?;
        let field = |i: usize| record.get(i).unwrap_or("");
        // An [objective]'s score is in weighted user-minutes, not minutes, so a threshold
        // in minutes cannot judge it; diff compares the services (docs/output.md).
        if field(service) == crate::stats::SCORE_SERVICE {
            has_scores = true;
            continue;
        }
        let number = |i: usize| -> Result<f64, String> {
            field(i).parse::<f64>().map_err(|_| {
                format!(
                    "row {}: `{}` is not a number in column {}",
                    line + 2,
                    field(i),
                    &headers[i]
                )
            })
        };
        let n = number(replications)? as u64;
        let mean = number(downtime)?;
        if n == 0 || !mean.is_finite() || mean < 0.0 {
            return Err(format!(
                "row {}: {n} replications with a downtime of {mean} min/yr is not a row edgesim writes",
                line + 2
            ));
        }
        let availability_interval = match (field(low), field(high)) {
            ("", _) | (_, "") => None,
            _ => Some((number(low)?, number(high)?)),
        };
        // Downtime is (1 − availability) · minutes per year, so the availability
        // interval's half-width in those minutes over t gives the standard error.
        let standard_error = availability_interval.and_then(|(l, h)| {
            crate::stats::student_t::t95(n)
                .map(|t| (h - l) / 2.0 * crate::stats::MINUTES_PER_YEAR / t)
        });
        let key = (
            cell_key(field(layout), assumption.map(field)),
            field(service).to_string(),
            field(scope).to_string(),
        );
        order.push(key.clone());
        figures.insert(
            key,
            SummaryFigures {
                replications: n,
                mean_min_per_year: mean,
                standard_error,
                sample: None,
            },
        );
    }
    Ok((order, figures, has_scores))
}

/// Reads `runs.csv` one replication at a time. edgesim writes the rows of every
/// replication in the same order, so the first replication's rows name the positions and
/// each later row is only checked against its position's name: no allocation and no hashing
/// per row, and memory that grows with the rows per replication, not the replications.
struct RunsReader {
    path: PathBuf,
    reader: csv::Reader<std::fs::File>,
    record: csv::StringRecord,
    columns: [usize; 5],
    /// The `assumption` column, in a study with assumptions.
    assumption: Option<usize>,
    years: f64,
    replications: u64,
    /// The row keys, in the order of every replication.
    keys: Vec<Key>,
    /// The downtime per year of the replication just read, by position.
    values: Vec<f64>,
    /// The replication whose first row is in `record`, if one was read ahead.
    pending: Option<u64>,
    /// The data rows read, for messages.
    line: usize,
    /// The replications read.
    read: u64,
}

impl RunsReader {
    fn open(path: &Path, info: &RunInfo) -> Result<RunsReader, Failure> {
        let fail = |e: String| {
            Failure::Usage(format!(
                "{}: {e}; it cannot be compared (give runs.csv as edgesim wrote it)",
                path.display()
            ))
        };
        if !fs::metadata(path).is_ok_and(|m| m.is_file()) {
            return Err(fail("not a plain file".to_string()));
        }
        let mut reader = csv::Reader::from_path(path).map_err(|e| fail(e.to_string()))?;
        let headers = reader.headers().map_err(|e| fail(e.to_string()))?.clone();
        let mut columns = [0; 5];
        for (slot, name) in
            columns
                .iter_mut()
                .zip(["layout", "replication", "service", "scope", "downtime_min"])
        {
            *slot = column_index(&headers, name).map_err(fail)?;
        }
        let assumption = column_index(&headers, "assumption").ok();
        let mut runs = RunsReader {
            path: path.to_path_buf(),
            reader,
            record: csv::StringRecord::new(),
            columns,
            assumption,
            years: info.horizon_micros as f64 / MICROS_PER_YEAR as f64,
            replications: info.replications,
            keys: Vec::new(),
            values: Vec::new(),
            pending: None,
            line: 1,
            read: 0,
        };
        runs.pending = runs.read_row()?;
        Ok(runs)
    }

    fn fail(&self, message: String) -> Failure {
        Failure::Usage(format!(
            "{}: {message}; it cannot be compared (give runs.csv as edgesim wrote it)",
            self.path.display()
        ))
    }

    fn out_of_order(&self) -> Failure {
        self.fail(format!(
            "row {}: not in the order edgesim writes (every replication has the same rows in the same order); give runs.csv as edgesim wrote it",
            self.line
        ))
    }

    /// Reads the next row into `record`; its replication, or `None` at the end.
    fn read_row(&mut self) -> Result<Option<u64>, Failure> {
        let more = self
            .reader
            .read_record(&mut self.record)
            .map_err(|e| self.fail(e.to_string()))?;
        if !more {
            return Ok(None);
        }
        self.line += 1;
        let index: u64 = self
            .field(1)
            .parse()
            .map_err(|_| self.fail(format!("row {}: not a row edgesim writes", self.line)))?;
        if index >= self.replications {
            return Err(self.fail(format!(
                "row {}: replication {index}, but the run had {} replications",
                self.line, self.replications
            )));
        }
        Ok(Some(index))
    }

    fn field(&self, column: usize) -> &str {
        self.record.get(self.columns[column]).unwrap_or("")
    }

    /// The row's layout as rows are matched by ([`cell_key`]).
    fn layout_key(&self) -> String {
        let assumption = self.assumption.map(|c| self.record.get(c).unwrap_or(""));
        cell_key(self.field(0), assumption)
    }

    /// Whether the row's layout is `key`, without allocating.
    fn layout_is(&self, key: &str) -> bool {
        match self.assumption.map(|c| self.record.get(c).unwrap_or("")) {
            Some(assumption) if !assumption.is_empty() => key
                .strip_prefix(self.field(0))
                .and_then(|rest| rest.strip_prefix(" · "))
                .is_some_and(|rest| rest == assumption),
            _ => self.field(0) == key,
        }
    }

    /// Reads the next replication into `values`; `false` at the end.
    fn next_replication(&mut self) -> Result<bool, Failure> {
        let Some(index) = self.pending else {
            return Ok(false);
        };
        let first = index == 0;
        if first != self.keys.is_empty() {
            return Err(self.out_of_order());
        }
        self.values.clear();
        let mut next = Some(index);
        while next == Some(index) {
            let position = self.values.len();
            if first {
                self.keys.push((
                    self.layout_key(),
                    self.field(2).to_string(),
                    self.field(3).to_string(),
                ));
            } else {
                let key = self.keys.get(position).ok_or_else(|| self.out_of_order())?;
                if !self.layout_is(&key.0)
                    || (self.field(2), self.field(3)) != (key.1.as_str(), key.2.as_str())
                {
                    return Err(self.out_of_order());
                }
            }
            let minutes: f64 = self
                .field(4)
                .parse()
                .ok()
                .filter(|m: &f64| m.is_finite() && *m >= 0.0)
                .ok_or_else(|| self.fail(format!("row {}: not a row edgesim writes", self.line)))?;
            self.values.push(minutes / self.years);
            next = self.read_row()?;
        }
        let follows = next.is_none_or(|n| n == index + 1);
        if self.values.len() != self.keys.len() || !follows {
            return Err(self.out_of_order());
        }
        self.pending = next;
        self.read += 1;
        Ok(true)
    }

    /// Refuses a file that ended before every replication of the run.
    fn check_complete(&self) -> Result<(), Failure> {
        if self.read == self.replications {
            return Ok(());
        }
        Err(self.fail(format!(
            "it holds {} of the run's {} replications",
            self.read, self.replications
        )))
    }
}

/// Streams both folders' `runs.csv` (side by side, replication by replication, when
/// `paired`) into each row's moments.
fn read_run_moments(old: &Folder, new: &Folder, paired: bool) -> Result<RunMoments, Failure> {
    let (Some(old_path), Some(new_path)) = (&old.runs, &new.runs) else {
        return Ok(RunMoments::default());
    };
    let mut old_runs = RunsReader::open(old_path, &old.info)?;
    let mut new_runs = RunsReader::open(new_path, &new.info)?;
    let (mut old_moments, mut new_moments, mut differences): (
        Vec<RunningSample>,
        Vec<RunningSample>,
        Vec<PairedSample>,
    ) = (Vec::new(), Vec::new(), Vec::new());
    // Per position in the new file, the same row's position in the old one.
    let mut old_position: Vec<Option<usize>> = Vec::new();
    loop {
        let (more_old, more_new) = (old_runs.next_replication()?, new_runs.next_replication()?);
        if !more_old && !more_new {
            old_runs.check_complete()?;
            new_runs.check_complete()?;
            break;
        }
        for (more, runs, moments) in [
            (more_old, &old_runs, &mut old_moments),
            (more_new, &new_runs, &mut new_moments),
        ] {
            if more {
                moments.resize(runs.values.len(), RunningSample::default());
                for (m, value) in moments.iter_mut().zip(&runs.values) {
                    m.add(*value);
                }
            }
        }
        if paired && more_old && more_new {
            if old_position.is_empty() {
                let index: HashMap<&Key, usize> = old_runs
                    .keys
                    .iter()
                    .enumerate()
                    .map(|(i, k)| (k, i))
                    .collect();
                old_position = new_runs
                    .keys
                    .iter()
                    .map(|k| index.get(k).copied())
                    .collect();
                differences = vec![PairedSample::default(); new_runs.keys.len()];
            }
            for ((m, after), before) in differences
                .iter_mut()
                .zip(&new_runs.values)
                .zip(&old_position)
            {
                if let Some(before) = before {
                    m.add(after - old_runs.values[*before]);
                }
            }
        }
    }
    let by_key = |keys: &[Key], moments: Vec<RunningSample>| -> HashMap<Key, RunningSample> {
        keys.iter().cloned().zip(moments).collect()
    };
    Ok(RunMoments {
        differences: new_runs
            .keys
            .iter()
            .zip(differences)
            .zip(&old_position)
            .filter_map(|((key, m), position)| position.map(|_| (key.clone(), m)))
            .collect(),
        old: by_key(&old_runs.keys, old_moments),
        new: by_key(&new_runs.keys, new_moments),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn welch_degrees_match_a_hand_calculation() {
        // Variances of the mean 4/10 and 9/20 (s² = 4, n = 10; s² = 9, n = 20):
        // se² = 0.85; df = 0.85² / (0.4²/9 + 0.45²/19) = 0.7225 / 0.0284357 = 25.41.
        let (se, df) = welch((0.4, 10.0), (0.45, 20.0));
        assert!((se - 0.85f64.sqrt()).abs() < 1e-12);
        assert!((df - 0.7225 / (0.16 / 9.0 + 0.2025 / 19.0)).abs() < 1e-9);
        assert!((df - 25.41).abs() < 0.01);
    }

    #[test]
    fn paired_differences_keep_increases_and_decreases_apart() {
        let mut paired = PairedSample::default();
        for difference in [3.0, 0.0, -2.0, 5.0, 0.0] {
            paired.add(difference);
        }
        let (up, down) = (paired.increases.sample(), paired.decreases.sample());
        assert_eq!((up.replications, up.nonzero, up.max), (5, 2, 5.0));
        assert_eq!((down.replications, down.nonzero, down.max), (5, 1, 2.0));
        assert!((up.mean - 8.0 / 5.0).abs() < 1e-12 && (down.mean - 2.0 / 5.0).abs() < 1e-12);
    }
}
