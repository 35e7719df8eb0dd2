//! Each chart of a study as an SVG and a PNG file.

use super::{ExportError, Exporter};
use crate::plot::{self, Chart};
use crate::results::Results;

/// An image format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Scalable vector graphics (what the report inlines).
    Svg,
    /// A bitmap, for slides and mail.
    Png,
}

/// One chart in one format.
pub struct ChartFile<'c, R: ?Sized = Results> {
    chart: Box<dyn Chart<R> + 'c>,
    format: Format,
}

impl<'c, R: ?Sized> ChartFile<'c, R> {
    /// `chart` drawn in `format`.
    pub fn new(chart: Box<dyn Chart<R> + 'c>, format: Format) -> Self {
        ChartFile { chart, format }
    }
}

impl<R: Sync + ?Sized> Exporter<R> for ChartFile<'_, R> {
    fn file_name(&self) -> String {
        let extension = match self.format {
            Format::Svg => "svg",
            Format::Png => "png",
        };
        format!("{}.{extension}", self.chart.file_stem())
    }

    fn export(&self, results: &R) -> Result<Option<Vec<u8>>, ExportError> {
        if !self.chart.applies(results) {
            return Ok(None);
        }
        let bytes = match self.format {
            Format::Svg => plot::render_svg(self.chart.as_ref(), results).map(String::into_bytes),
            Format::Png => plot::render_png(self.chart.as_ref(), results),
        };
        bytes.map(Some).map_err(|message| ExportError::Chart {
            file: self.file_name(),
            message,
        })
    }
}

/// Every chart of a study, each as SVG then PNG.
pub fn chart_files() -> Vec<Box<dyn Exporter>> {
    let mut files: Vec<Box<dyn Exporter>> = Vec::new();
    for format in [Format::Svg, Format::Png] {
        for chart in plot::study_charts() {
            files.push(Box::new(ChartFile { chart, format }));
        }
    }
    files
}
