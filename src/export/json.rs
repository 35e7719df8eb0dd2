//! `summary.json`: everything but the runs, with what was run.

use serde::Serialize;

use super::{ExportError, Exporter};
use crate::results::{Results, RunInfo};
use crate::stats::{CauseRow, ComparisonRow, ObjectiveSetup, PoolRow, ScoreRow, SummaryRow};
use crate::topology::Materiality;

/// `summary.json`.
pub struct SummaryJson;

impl Exporter for SummaryJson {
    fn file_name(&self) -> String {
        "summary.json".to_string()
    }

    fn export(&self, results: &Results) -> Result<Option<Vec<u8>>, ExportError> {
        #[derive(Serialize)]
        struct Document<'a> {
            run: &'a RunInfo,
            summary: &'a [SummaryRow],
            causes: &'a [CauseRow],
            pools: &'a [PoolRow],
            comparison: &'a [ComparisonRow],
            materiality: &'a Materiality,
            #[serde(skip_serializing_if = "Option::is_none")]
            objective: Option<&'a ObjectiveSetup>,
            #[serde(skip_serializing_if = "<[ScoreRow]>::is_empty")]
            scores: &'a [ScoreRow],
            #[serde(skip_serializing_if = "Option::is_none")]
            precision: Option<&'a crate::precision::PrecisionReport>,
            #[serde(skip_serializing_if = "Option::is_none")]
            robust: Option<&'a crate::stats::robust::Robust>,
        }
        let document = Document {
            run: &results.info,
            summary: &results.summary,
            causes: &results.causes,
            pools: &results.pools,
            comparison: &results.comparison,
            materiality: &results.study.materiality,
            objective: results.study.objective.as_ref(),
            scores: &results.scores,
            precision: results.precision.as_ref(),
            robust: (!results.robust.choices.is_empty()).then_some(&results.robust),
        };
        let mut text = serde_json::to_string_pretty(&document).expect("plain data serialises");
        text.push('\n');
        Ok(Some(text.into_bytes()))
    }
}
