//! Charts, one file per chart (criterion.rs's `plot` module is the model): each type
//! implements [`Chart`] for its input — a study's [`Results`] or one traced replication —
//! and draws on any plotters backend, so the same code gives the SVG and the PNG.
//! Adding a chart means adding one file and listing it in [`study_charts`].
//!
//! Text uses Noto Sans, embedded in the binary and registered with plotters at first use,
//! so charts render on a machine with no font packages. Colours come from the Okabe–Ito
//! palette, which stays distinct for the common forms of colour blindness.

pub mod causes;
pub mod comparison;
pub mod distribution;
pub mod downtime;
pub mod edge_pools;
pub mod explore;
pub mod front_ends;
pub mod matrix;
pub mod raster;
pub mod score;
pub mod sweep;
pub mod timeline;

use crate::format::{minutes_label, signed_whole, thousands, whole};
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::results::Results;
use crate::vocabulary::Cause;

/// A drawing area of the SVG backend.
pub type SvgArea<'a> = DrawingArea<SVGBackend<'a>, Shift>;
/// A drawing area of the bitmap backend (RGB), with correctly placed text.
pub type PngArea<'a> = DrawingArea<raster::CrispText<BitMapBackend<'a>>, Shift>;
/// The result of drawing: a message on failure.
pub type DrawResult = Result<(), String>;

/// The font family every chart uses (Noto Sans, registered by [`register_fonts`]).
pub const FONT: &str = "sans-serif";

/// A chart of some input.
pub trait Chart<Input: ?Sized>: Sync {
    /// The file name without extension (`downtime` gives `downtime.svg` and `.png`).
    fn file_stem(&self) -> &'static str;
    /// The chart's title, as the report shows it.
    fn title(&self) -> &'static str;
    /// Whether the input has anything for this chart (a comparison needs two layouts).
    fn applies(&self, _input: &Input) -> bool {
        true
    }
    /// Width and height in pixels.
    fn size(&self, input: &Input) -> (u32, u32);
    /// Draws on an SVG area.
    fn draw_svg(&self, input: &Input, area: &SvgArea<'_>) -> DrawResult;
    /// Draws on a bitmap area.
    fn draw_png(&self, input: &Input, area: &PngArea<'_>) -> DrawResult;
}

/// Implements [`Chart::draw_svg`] and [`Chart::draw_png`] with the chart's generic
/// `draw` method.
macro_rules! on_both_backends {
    ($input:ty) => {
        fn draw_svg(
            &self,
            input: &$input,
            area: &$crate::plot::SvgArea<'_>,
        ) -> $crate::plot::DrawResult {
            self.draw(input, area)
        }
        fn draw_png(
            &self,
            input: &$input,
            area: &$crate::plot::PngArea<'_>,
        ) -> $crate::plot::DrawResult {
            self.draw(input, area)
        }
    };
}
pub(crate) use on_both_backends;

/// Every chart of a study, in report order.
pub fn study_charts() -> Vec<Box<dyn Chart<Results>>> {
    let charts: Vec<Box<dyn Chart<Results>>> = vec![
        Box::new(downtime::Downtime),
        Box::new(distribution::Distribution),
        Box::new(causes::Causes),
        Box::new(comparison::Comparison),
        Box::new(score::Score),
        Box::new(front_ends::FrontEnds),
        Box::new(edge_pools::EdgePools),
    ];
    let mut charts: Vec<Box<dyn Chart<Results>>> = charts
        .into_iter()
        .map(|chart| Box::new(CellLabels(chart)) as Box<dyn Chart<Results>>)
        .collect();
    // The matrix reads the cells as layouts and assumptions, the explore chart the
    // search: no cell labels.
    charts.push(Box::new(matrix::Matrix));
    charts.push(Box::new(explore::Explore));
    charts
}

/// A study chart that names each layout with its assumption ("layout · assumption") when
/// the study has assumptions, so that the cells of one layout are told apart.
struct CellLabels(Box<dyn Chart<Results>>);

impl CellLabels {
    fn labelled(results: &Results) -> std::borrow::Cow<'_, Results> {
        if results.assumptions().is_empty() {
            std::borrow::Cow::Borrowed(results)
        } else {
            std::borrow::Cow::Owned(results.with_cell_labels())
        }
    }
}

impl Chart<Results> for CellLabels {
    fn file_stem(&self) -> &'static str {
        self.0.file_stem()
    }
    fn title(&self) -> &'static str {
        self.0.title()
    }
    fn applies(&self, input: &Results) -> bool {
        self.0.applies(&Self::labelled(input))
    }
    fn size(&self, input: &Results) -> (u32, u32) {
        self.0.size(&Self::labelled(input))
    }
    fn draw_svg(&self, input: &Results, area: &SvgArea<'_>) -> DrawResult {
        self.0.draw_svg(&Self::labelled(input), area)
    }
    fn draw_png(&self, input: &Results, area: &PngArea<'_>) -> DrawResult {
        self.0.draw_png(&Self::labelled(input), area)
    }
}

/// Registers the embedded fonts with plotters (once per process).
pub fn register_fonts() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // The bytes are a valid TrueType font compiled into the binary; failure here
        // would be a build defect, and text would then be missing, not wrong.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, ttf_noto_sans::REGULAR);
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, ttf_noto_sans::BOLD);
    });
}

/// The chart as an SVG document.
pub fn render_svg<I: ?Sized>(chart: &dyn Chart<I>, input: &I) -> Result<String, String> {
    register_fonts();
    let size = chart.size(input);
    let mut text = String::new();
    {
        let area = SVGBackend::with_string(&mut text, size).into_drawing_area();
        chart.draw_svg(input, &area)?;
        area.present().map_err(fail)?;
    }
    Ok(text)
}

/// The chart as a PNG image (8-bit RGB).
pub fn render_png<I: ?Sized>(chart: &dyn Chart<I>, input: &I) -> Result<Vec<u8>, String> {
    register_fonts();
    let (width, height) = chart.size(input);
    let mut pixels = vec![0u8; width as usize * height as usize * 3];
    {
        let area = raster::CrispText::new(BitMapBackend::with_buffer(&mut pixels, (width, height)))
            .into_drawing_area();
        chart.draw_png(input, &area)?;
        area.present().map_err(fail)?;
    }
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Default);
    encoder.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
    let mut writer = encoder.write_header().map_err(fail)?;
    writer.write_image_data(&pixels).map_err(fail)?;
    writer.finish().map_err(fail)?;
    Ok(png)
}

/// Any error as a message.
pub fn fail<E: std::fmt::Display>(error: E) -> String {
    error.to_string()
}

/// The Okabe–Ito palette, reordered so the first colours contrast most on white.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0x00, 0x00, 0x00), // black
    RGBColor(0xF0, 0xE4, 0x42), // yellow
];

/// Text and axes.
pub const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
/// Reference lines and secondary text.
pub const MUTED: RGBColor = RGBColor(0x77, 0x77, 0x77);
/// Better than the baseline.
pub const BETTER: RGBColor = PALETTE[2];
/// Worse than the baseline.
pub const WORSE: RGBColor = PALETTE[3];
/// No significant difference.
pub const NEUTRAL: RGBColor = RGBColor(0x88, 0x88, 0x88);

/// The colour of layout number `index` (cycling after eight).
pub fn layout_color(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

/// The colour of a cause: the palette's eight for the causes every layout has, two
/// more (grey and brown) for the disaster-recovery causes.
pub fn cause_color(cause: Cause) -> RGBColor {
    match cause {
        Cause::PoolFailoverPending => RGBColor(0x99, 0x99, 0x99),
        Cause::NextHopDown => RGBColor(0x8C, 0x56, 0x4B),
        Cause::FrontEndDown => PALETTE[6],
        Cause::AllPoolsDown => PALETTE[3],
        Cause::Firewall => PALETTE[4],
        Cause::Capacity => PALETTE[1],
        Cause::AwaitingAdmin => PALETTE[0],
        Cause::DnsCache => PALETTE[5],
        Cause::DnsDesign => PALETTE[7],
        Cause::ClientFailover => PALETTE[2],
    }
}

/// A text style of `size` points in `color`.
pub fn text(size: u32, color: &RGBColor) -> TextStyle<'static> {
    (FONT, size).into_font().color(color)
}

/// A text style anchored at `horizontal`, `vertical`.
pub fn anchored(style: TextStyle<'static>, horizontal: HPos, vertical: VPos) -> TextStyle<'static> {
    style.pos(Pos::new(horizontal, vertical))
}

/// A title style.
pub fn title_style() -> TextStyle<'static> {
    (FONT, 20, FontStyle::Bold).into_font().color(&INK)
}

/// The style of a panel's heading (a service, a layout).
pub fn panel_title_style() -> TextStyle<'static> {
    (FONT, 15, FontStyle::Bold).into_font().color(&INK)
}

/// Draws `title` as the heading of the panel whose top left corner is at `corner`.
pub fn panel_title<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: impl Into<String>,
    (x, y): (i32, i32),
) -> DrawResult {
    root.draw(&Text::new(
        title.into(),
        (x + 16, y + 6),
        anchored(panel_title_style(), HPos::Left, VPos::Top),
    ))
    .map_err(fail)
}

/// `label` cut to `max` characters with an ellipsis.
pub fn shorten(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_string()
    } else {
        let kept: String = label.chars().take(max.saturating_sub(1)).collect();
        format!("{kept}…")
    }
}

/// A layout's label in a chart: cut to 30 characters, or, for a cell "layout ·
/// assumption", each part cut on its own (20 and 22 characters), so that both stay
/// legible.
pub fn layout_label(name: &str) -> String {
    match name.split_once(" · ") {
        Some((layout, assumption)) => {
            format!("{} · {}", shorten(layout, 20), shorten(assumption, 22))
        }
        None => shorten(name, 30),
    }
}

/// A rough width in pixels of `characters` characters at `size` points (Noto Sans
/// averages about 0.55 em per character), for sizing label areas.
pub fn text_width(characters: usize, size: u32) -> u32 {
    (characters as f64 * size as f64 * 0.56).ceil() as u32
}

/// A linear axis tick: whole numbers without decimals, others as [`minutes_label`].
pub fn axis_label(value: &f64) -> String {
    if (value - value.round()).abs() < 1e-9 {
        let whole = value.round();
        let digits = thousands(whole.abs() as u64);
        if whole < 0.0 {
            format!("−{digits}")
        } else {
            digits
        }
    } else if *value < 0.0 {
        format!("−{}", minutes_label(-value))
    } else {
        minutes_label(*value)
    }
}

/// A decade-aligned range for a log axis that holds `values` (positive ones) and the
/// reference values in `keep`.
pub fn log_range(values: impl Iterator<Item = f64>, keep: &[f64]) -> (f64, f64) {
    let (mut low, mut high) = (f64::INFINITY, 0.0f64);
    for v in values.chain(keep.iter().copied()).filter(|v| *v > 0.0) {
        low = low.min(v);
        high = high.max(v);
    }
    if !low.is_finite() {
        return (0.01, 1000.0);
    }
    (
        10f64.powf(low.log10().floor()),
        10f64.powf((high * 1.05).log10().ceil()),
    )
}

/// Labels for a log axis: the decades only (`0.01`, `0.1`, `1`, `10`, `1,000`).
pub fn log_tick_label(value: &f64) -> String {
    let decade = value.log10();
    if (decade - decade.round()).abs() > 1e-6 {
        return String::new();
    }
    let decade = decade.round() as i32;
    if decade >= 0 {
        thousands(10u64.pow(decade as u32))
    } else {
        format!("{:.*}", (-decade) as usize, 10f64.powi(decade))
    }
}

/// The height [`titled`] takes for a subtitle of this many lines.
pub fn title_height(subtitle_lines: u32) -> u32 {
    if subtitle_lines == 0 {
        38
    } else {
        38 + 20 * subtitle_lines
    }
}

/// Draws a chart title across the top of `area` and returns the area below it; the
/// subtitle may have several lines, separated by `\n` ([`title_height`]).
pub fn titled<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
) -> Result<DrawingArea<DB, Shift>, String> {
    area.fill(&WHITE).map_err(fail)?;
    area.draw(&Text::new(
        title.to_string(),
        (16, 10),
        anchored(title_style(), HPos::Left, VPos::Top),
    ))
    .map_err(fail)?;
    let lines: Vec<&str> = subtitle.lines().filter(|l| !l.is_empty()).collect();
    for (i, line) in lines.iter().enumerate() {
        area.draw(&Text::new(
            line.to_string(),
            (16, 36 + 20 * i as i32),
            anchored(text(13, &MUTED), HPos::Left, VPos::Top),
        ))
        .map_err(fail)?;
    }
    Ok(area.split_vertically(title_height(lines.len() as u32)).1)
}

/// A panel of rows (bars or intervals) on a linear x axis.
pub type RowPanel<'a, DB> = ChartContext<
    'a,
    DB,
    plotters::coord::cartesian::Cartesian2d<
        plotters::coord::types::RangedCoordf64,
        plotters::coord::types::RangedCoordf64,
    >,
>;

/// Draws the mesh of a panel of rows: `x_labels` ticks on x only, and `x_desc` under the
/// axis (give it for the last panel only, `""` for the others).
pub fn row_panel_mesh<DB: DrawingBackend>(
    chart: &mut RowPanel<'_, DB>,
    x_labels: usize,
    x_desc: &str,
) -> DrawResult {
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(x_labels)
        .x_label_formatter(&axis_label)
        .x_label_style(text(12, &INK))
        .x_desc(x_desc)
        .axis_desc_style(text(13, &INK))
        .light_line_style(WHITE)
        .bold_line_style(RGBColor(0xE4, 0xE4, 0xE4))
        .draw()
        .map_err(fail)
}

/// Draws row labels right-aligned just left of a plotting area whose pixel ranges are
/// `(columns, rows)` (as `plotting_area().get_pixel_range()` gives them), one label per
/// row, first row at the top, at `size` points.
pub fn row_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    labels: &[String],
    (columns, rows): (std::ops::Range<i32>, std::ops::Range<i32>),
    size: u32,
) -> DrawResult {
    let right = columns.start - 8;
    let style = text(size, &INK);
    let height = (rows.end - rows.start) as f64 / labels.len().max(1) as f64;
    for (i, label) in labels.iter().enumerate() {
        let y = rows.start as f64 + (i as f64 + 0.5) * height;
        root.draw(&Text::new(
            label.clone(),
            (right, y.round() as i32),
            anchored(style.clone(), HPos::Right, VPos::Center),
        ))
        .map_err(fail)?;
    }
    Ok(())
}

/// The y coordinate of row `index` of `rows` in a `0..rows` axis drawn top to bottom.
pub fn row_y(index: usize, rows: usize) -> f64 {
    rows as f64 - index as f64 - 0.5
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_read_well() {
        assert_eq!(minutes_label(0.0), "0");
        assert_eq!(minutes_label(0.0123), "0.012");
        assert_eq!(minutes_label(5.256), "5.26");
        assert_eq!(minutes_label(525.6), "525.6");
        assert_eq!(minutes_label(12_345.0), "12,345");
        assert_eq!(shorten("equal-priorities", 8), "equal-p…");
        assert_eq!(
            layout_label("distinct-priorities · partners-never-retry"),
            "distinct-priorities · partners-never-retry"
        );
        assert_eq!(
            layout_label("a-very-long-layout-name-indeed · a-very-long-assumption-name"),
            "a-very-long-layout-… · a-very-long-assumptio…"
        );
        assert_eq!(log_range([3.0, 700.0].into_iter(), &[]), (1.0, 1000.0));
        assert_eq!(whole(91_331_635.96), "91,331,636");
        assert_eq!(signed_whole(-1_234.6), "−1,235");
        assert_eq!(signed_whole(50_679_333.2), "+50,679,333");
    }
}
