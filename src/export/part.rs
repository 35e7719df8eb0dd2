//! The part file of a shard (`part.json`): the exact accumulators and what was run, so
//! that `merge` rebuilds exactly the results a single run would have.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{ExportError, Exporter};
use crate::montecarlo::Shard;
use crate::results::{Results, RunInfo};
use crate::stats::Study;

/// The name of a shard's part file.
pub const PART_FILE: &str = "part.json";

/// A shard's exact accumulators.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Part {
    /// What was run.
    pub info: RunInfo,
    /// Which shard.
    pub shard: Shard,
    /// Whether the shard wrote `runs.csv`.
    pub has_runs: bool,
    /// The scenario's description.
    pub description: String,
    /// The scenario's warnings, rendered.
    pub warnings: Vec<String>,
    /// The accumulators.
    pub study: Study,
    /// FNV-1a of the part with this field empty: an edited or damaged part is refused.
    #[serde(default)]
    pub checksum: String,
}

/// The largest part file read (256 MiB): a part holds accumulators and histograms, a few
/// megabytes for the largest topologies.
pub const MAX_PART_BYTES: u64 = 256 << 20;

/// FNV-1a over bytes written to it, so that a checksum needs no copy of what it covers.
struct Fnv(u64);

impl Fnv {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;

    fn update(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(Self::PRIME);
        }
    }
}

impl std::io::Write for Fnv {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.update(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// How a part file ends: its checksum is the last field.
const CHECKSUM_FIELD: &[u8] = br#""checksum":""#;

impl Part {
    /// The checksum of this part's content (everything but the checksum): FNV-1a of the
    /// part as serialised with an empty checksum.
    pub fn content_checksum(&self) -> String {
        #[derive(Serialize)]
        struct Unsigned<'a> {
            info: &'a RunInfo,
            shard: &'a Shard,
            has_runs: bool,
            description: &'a str,
            warnings: &'a [String],
            study: &'a Study,
            checksum: &'a str,
        }
        let mut hash = Fnv(Fnv::OFFSET_BASIS);
        serde_json::to_writer(
            &mut hash,
            &Unsigned {
                info: &self.info,
                shard: &self.shard,
                has_runs: self.has_runs,
                description: &self.description,
                warnings: &self.warnings,
                study: &self.study,
                checksum: "",
            },
        )
        .expect("plain data serialises");
        format!("{:016x}", hash.0)
    }

    /// Reads the part file in `folder` and checks it.
    pub fn read(folder: &Path) -> Result<Part, String> {
        let path = folder.join(PART_FILE);
        let refuse = |e: String| {
            format!(
                "cannot read {}: {e} (give the folders written by `edgesim run --shard K/N`)",
                path.display()
            )
        };
        // A FIFO or a device could block or never end: only a plain file of a size a part
        // can have is opened.
        let metadata = std::fs::metadata(&path).map_err(|e| refuse(e.to_string()))?;
        if !metadata.is_file() {
            return Err(refuse("not a plain file".to_string()));
        }
        if metadata.len() > MAX_PART_BYTES {
            return Err(format!(
                "{} is too large to be an edgesim part file",
                path.display()
            ));
        }
        let mut bytes = Vec::new();
        std::fs::File::open(&path)
            .and_then(|file| {
                use std::io::Read as _;
                file.take(MAX_PART_BYTES + 1).read_to_end(&mut bytes)
            })
            .map_err(|e| refuse(e.to_string()))?;
        if bytes.len() as u64 > MAX_PART_BYTES {
            return Err(format!(
                "{} is too large to be an edgesim part file",
                path.display()
            ));
        }
        Self::parse(&bytes).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses and checks the bytes of a part file: the checksum first, on the bytes as
    /// they are (nothing is built from a file that was changed), then the values, against
    /// what a shard can hold whatever the checksum says.
    pub fn parse(bytes: &[u8]) -> Result<Part, String> {
        let changed = || {
            "the part file was changed or damaged after it was written (its checksum does not match); run that shard again".to_string()
        };
        let written = raw_checksum(bytes).ok_or_else(changed)?;
        let part: Part =
            serde_json::from_slice(bytes).map_err(|e| format!("not an edgesim part file: {e}"))?;
        if part.checksum != written {
            return Err(changed());
        }
        part.check()?;
        Ok(part)
    }

    /// Checks that the accumulators are those of this shard of this run: every count is
    /// the shard's number of replications, every layout and scope is present.
    pub fn check(&self) -> Result<(), String> {
        let shard = self.shard;
        if shard.count == 0
            || shard.count > crate::montecarlo::MAX_SHARDS
            || shard.index >= shard.count
        {
            return Err(format!(
                "shard {}/{} is not a shard",
                shard.index + 1,
                shard.count
            ));
        }
        let expected = shard.size(self.info.replications);
        if expected == 0 {
            return Err(format!(
                "shard {}/{} of {} replications has none",
                shard.index + 1,
                shard.count,
                self.info.replications
            ));
        }
        let layouts: Vec<&str> = self
            .study
            .layouts
            .iter()
            .map(|l| l.layout.as_str())
            .collect();
        if layouts.is_empty()
            || layouts
                != self
                    .info
                    .layouts
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
        {
            return Err("its layouts do not match what was run".to_string());
        }
        if self.study.horizon_micros != self.info.horizon_micros {
            return Err("its horizon does not match what was run".to_string());
        }
        // The names end up in CSV files, charts and terminals: only names a scenario could
        // have given.
        let unsafe_name = |name: &str| crate::scenario::decode::unsafe_text(name, false).is_some();
        let names = std::iter::once(self.info.scenario.as_str()).chain(
            self.study.layouts.iter().flat_map(|layout| {
                std::iter::once(layout.layout.as_str())
                    .chain(
                        layout
                            .services
                            .iter()
                            .flat_map(|s| s.scopes.iter().map(|x| x.scope.as_str())),
                    )
                    .chain(layout.pools.iter().map(|p| p.edge_pool.as_str()))
            }),
        );
        if let Some(name) = names.into_iter().find(|n| unsafe_name(n)) {
            return Err(format!(
                "it names {}, which no scenario could have named",
                crate::scenario::diagnostic::terminal_safe(name, 80)
            ));
        }
        let wrong = |what: String| {
            Err(format!(
                "{what} does not hold this shard's {expected} replications"
            ))
        };
        for layout in &self.study.layouts {
            for service in &layout.services {
                if service.scopes.first().is_none_or(|s| s.scope != "all") {
                    return Err(format!(
                        "{} {} has no scope `all`",
                        layout.layout,
                        service.service.name()
                    ));
                }
                for scope in &service.scopes {
                    // An outage lasts at least a microsecond and is followed by a
                    // served one: at most half the horizon's microseconds of them per
                    // replication.
                    let outages_per_replication = self.study.horizon_micros / 2;
                    let paired = scope.paired.as_ref().is_none_or(|p| {
                        paired_holds(&p.downtime, expected, UNITS)
                            && paired_holds(&p.outages, expected, outages_per_replication)
                    });
                    let most =
                        |per_replication: u64| u128::from(expected) * u128::from(per_replication);
                    let bounded = u128::from(scope.outages) <= most(outages_per_replication)
                        && scope.outage_micros <= most(self.study.horizon_micros)
                        && scope.causes.iter().all(|&c| c <= most(UNITS))
                        && scope.causes.iter().sum::<u128>() <= most(UNITS).saturating_mul(2)
                        && scope.downtime.max() <= UNITS;
                    if scope.replications != expected
                        || scope.downtime.total() != expected
                        || !sums_hold(&scope.unavailability, expected, UNITS)
                        || !paired
                        || !bounded
                    {
                        return wrong(format!(
                            "{} {} {}",
                            layout.layout,
                            service.service.name(),
                            scope.scope
                        ));
                    }
                }
            }
            for pool in &layout.pools {
                // No more users connected at once than the pool holds, nor refused for
                // longer than the horizon in each replication.
                if pool.peak_load.total() != expected
                    || pool.peak_load.max() > pool.capacity
                    || pool.overload_micros
                        > u128::from(expected) * u128::from(self.study.horizon_micros)
                {
                    return wrong(format!("{} {}", layout.layout, pool.edge_pool));
                }
            }
            self.check_score(layout, expected)?;
        }
        self.check_cell_runs(expected)
    }

    /// Checks the cells' kept figures (studies with assumptions): exactly this shard's
    /// replications in order, a figure per cell and metric within one horizon, sums that
    /// agree with each cell's own, and cells equal by construction only to earlier ones.
    fn check_cell_runs(&self, expected: u64) -> Result<(), String> {
        use crate::stats::{CELL_METRICS, CellRuns};
        let study = &self.study;
        let cells = study.layouts.len();
        let Some(runs) = &study.cell_runs else {
            return if study.has_assumptions() {
                Err("it has assumptions but no figures per cell".to_string())
            } else {
                Ok(())
            };
        };
        let wrong = || {
            Err(format!(
                "its figures per cell do not hold this shard's {expected} replications"
            ))
        };
        if !study.has_assumptions()
            || runs.runs.len() as u64 != expected
            || !runs
                .runs
                .iter()
                .map(|r| r.replication)
                .eq(self.shard.replications(self.info.replications))
            || runs.runs.iter().any(|r| {
                r.figures.len() != cells * CELL_METRICS || r.figures.iter().any(|&f| f > UNITS)
            })
            || runs.same_as.len() != cells
            || runs
                .same_as
                .iter()
                .enumerate()
                .any(|(cell, row)| row.len() != CELL_METRICS || row.iter().any(|&r| r > cell))
        {
            return wrong();
        }
        for (cell, layout) in study.layouts.iter().enumerate() {
            for service in &layout.services {
                let sum: u128 = runs
                    .runs
                    .iter()
                    .map(|r| u128::from(CellRuns::figure(r, cell, service.service.index())))
                    .sum();
                if service
                    .scopes
                    .first()
                    .is_none_or(|all| all.unavailability.sum != sum)
                {
                    return wrong();
                }
            }
        }
        Ok(())
    }

    /// Checks a layout's score against the study's `[objective]`: present exactly when
    /// there is one, with this shard's replications and finite, non-negative factors.
    fn check_score(
        &self,
        layout: &crate::stats::LayoutAccumulator,
        expected: u64,
    ) -> Result<(), String> {
        let finite = |value: f64| value.is_finite() && value >= 0.0;
        match (&self.study.objective, &layout.score) {
            (None, None) => Ok(()),
            (Some(objective), Some(score))
                if finite(objective.reference_users)
                    && objective.weights.iter().all(|(_, w)| finite(*w))
                    && finite(score.weighted_users)
                    && score.factors.len() == layout.services.len()
                    && score.factors.iter().all(|f| finite(*f))
                    && score.replications == expected
                    && sums_hold(&score.score, expected, UNITS)
                    && score
                        .causes
                        .iter()
                        .all(|&c| c <= u128::from(expected) * u128::from(UNITS))
                    && score
                        .paired
                        .as_ref()
                        .is_none_or(|p| paired_holds(p, expected, UNITS)) =>
            {
                Ok(())
            }
            _ => Err(format!(
                "{}'s score does not match the run's [objective] and this shard's {expected} replications",
                layout.layout
            )),
        }
    }
}

/// The most unavailability (or score) one replication can have, in units of 10⁻¹⁵.
const UNITS: u64 = crate::stats::UNAVAILABILITY_SCALE as u64;

/// Whether `sums` can be those of `replications` values of at most `most` each: whatever
/// the checksum says, a part cannot hold more.
fn sums_hold(sums: &crate::stats::Sums, replications: u64, most: u64) -> bool {
    let most = u128::from(most);
    sums.nonzero <= replications
        && u128::from(sums.max) <= most
        && sums.sum <= u128::from(sums.nonzero) * u128::from(sums.max)
        && sums.sum_squares <= sums.sum.saturating_mul(u128::from(sums.max))
        && (sums.nonzero == 0) == (sums.max == 0)
}

/// Whether paired sums can be those of this shard's `replications` differences of at
/// most `most` each, no replication both better and worse.
fn paired_holds(paired: &crate::stats::PairedSums, replications: u64, most: u64) -> bool {
    paired.replications == replications
        && sums_hold(&paired.increases, replications, most)
        && sums_hold(&paired.decreases, replications, most)
        && paired.differing() <= replications
}

/// The checksum a part file's bytes carry, if it is the checksum of those bytes with it
/// left out (the part as written, with an empty checksum); `None` otherwise.
fn raw_checksum(bytes: &[u8]) -> Option<String> {
    let field = bytes
        .windows(CHECKSUM_FIELD.len())
        .rposition(|w| w == CHECKSUM_FIELD)?;
    let hex_start = field + CHECKSUM_FIELD.len();
    let hex_end = hex_start + bytes[hex_start..].iter().position(|&b| b == b'"')?;
    let written = std::str::from_utf8(&bytes[hex_start..hex_end]).ok()?;
    let mut hash = Fnv(Fnv::OFFSET_BASIS);
    hash.update(&bytes[..hex_start]);
    hash.update(&bytes[hex_end..]);
    (written == format!("{:016x}", hash.0)).then(|| written.to_string())
}

/// Writes the part file of shard `shard`.
pub struct PartFile {
    /// Which shard.
    pub shard: Shard,
    /// Whether the shard wrote `runs.csv`.
    pub has_runs: bool,
}

impl Exporter for PartFile {
    fn file_name(&self) -> String {
        PART_FILE.to_string()
    }

    fn export(&self, results: &Results) -> Result<Option<Vec<u8>>, ExportError> {
        let mut part = Part {
            info: results.info.clone(),
            shard: self.shard,
            has_runs: self.has_runs,
            description: results.description.clone(),
            warnings: results.warnings.clone(),
            study: results.study.clone(),
            checksum: String::new(),
        };
        part.checksum = part.content_checksum();
        Ok(Some(
            serde_json::to_string(&part)
                .expect("plain data serialises")
                .into_bytes(),
        ))
    }
}
