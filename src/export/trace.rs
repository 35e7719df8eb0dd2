//! The outputs of one traced replication besides `trace.csv` (which is streamed while it
//! runs): its timeline as SVG and PNG, and its story on the terminal.

use super::charts::{ChartFile, Format};
use super::{Exporter, TerminalExporter};
use crate::trace::TracedReplication;

/// The timeline chart of a traced replication, as `timeline.svg` then `timeline.png`.
pub fn timeline_exporters<'a>() -> Vec<Box<dyn Exporter<TracedReplication<'a>> + 'a>> {
    [Format::Svg, Format::Png]
        .into_iter()
        .map(|format| -> Box<dyn Exporter<TracedReplication<'a>> + 'a> {
            Box::new(ChartFile::new(
                Box::new(crate::plot::timeline::Timeline),
                format,
            ))
        })
        .collect()
}

/// The story of a traced replication, on the terminal.
pub struct TraceStory;

impl TerminalExporter<TracedReplication<'_>> for TraceStory {
    fn render(&self, traced: &TracedReplication<'_>) -> String {
        crate::trace::story(
            traced.topology,
            traced.simulation,
            traced.replication,
            traced.trace,
            traced.focus,
        )
    }
}
