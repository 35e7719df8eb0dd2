//! Errors and warnings about a scenario file, and how they are shown to the planner.
//!
//! Every message names the file; syntax and type errors add the line, column and the
//! offending line of text, semantic errors the key path (`edge_pools[2].servers`).

use std::fmt::Write as _;
use std::ops::Range;

/// A byte range in the scenario text.
pub type Span = Range<usize>;

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// The scenario cannot be run.
    Error,
    /// The scenario runs, but its design is weaker than the planner may think.
    Warning,
}

/// One finding about a scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The rule a warning comes from (`R5`, `F1`, `capacity`, ...), if any.
    pub rule: Option<&'static str>,
    /// The key path the finding is about, e.g. `edge_pools[2].servers`.
    pub key_path: Option<String>,
    /// What is wrong.
    pub message: String,
    /// What to change.
    pub help: Option<String>,
    /// Where in the file, when known.
    pub span: Option<Span>,
    /// The layouts a warning applies to, when the scenario has several.
    pub layouts: Vec<String>,
    /// What kind of finding it is, where code must tell findings apart.
    pub kind: FindingKind,
}

/// Kinds of finding that code tells apart (never by their words).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FindingKind {
    /// Any other finding.
    #[default]
    Other,
    /// A reference to an id that nothing defines.
    DanglingReference,
}

impl Diagnostic {
    /// An error about `key_path`.
    pub fn error(key_path: impl Into<String>, message: impl Into<String>) -> Self {
        let key_path = key_path.into();
        Diagnostic {
            severity: Severity::Error,
            rule: None,
            key_path: (!key_path.is_empty()).then_some(key_path),
            message: message.into(),
            help: None,
            span: None,
            layouts: Vec::new(),
            kind: FindingKind::Other,
        }
    }

    /// A warning that comes from one of the rules of docs/model.md (or `capacity`).
    pub fn warning(rule: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            rule: Some(rule),
            key_path: None,
            message: message.into(),
            help: None,
            span: None,
            layouts: Vec::new(),
            kind: FindingKind::Other,
        }
    }

    /// Marks it as a finding of `kind`.
    pub fn of_kind(mut self, kind: FindingKind) -> Self {
        self.kind = kind;
        self
    }

    /// Adds what to change.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds where in the file.
    pub fn with_span(mut self, span: Option<Span>) -> Self {
        self.span = span;
        self
    }

    /// Adds the key path.
    pub fn with_key_path(mut self, key_path: impl Into<String>) -> Self {
        self.key_path = Some(key_path.into());
        self
    }
}

/// The text of a scenario file with its name, for turning byte offsets into lines.
#[derive(Clone, Debug)]
pub struct SourceText {
    /// The file name as the planner gave it.
    pub name: String,
    /// The whole text.
    pub text: String,
    /// The byte offset of each line's start, computed once (so that rendering many
    /// diagnostics stays linear in their number).
    line_starts: std::sync::OnceLock<Vec<usize>>,
}

impl SourceText {
    /// The text `text` of the file called `name`.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        SourceText {
            name: name.into(),
            text: text.into(),
            line_starts: std::sync::OnceLock::new(),
        }
    }

    fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        })
    }

    /// The 1-based line and column (in characters) of byte `offset`.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let starts = self.line_starts();
        let line = starts.partition_point(|&start| start <= offset);
        let column = self.text[starts[line - 1]..offset].chars().count() + 1;
        (line, column)
    }

    /// The text of 1-based line `line`, without its line ending.
    pub fn line_text(&self, line: usize) -> &str {
        let starts = self.line_starts();
        let Some(&start) = starts.get(line.saturating_sub(1)) else {
            return "";
        };
        let end = starts.get(line).map_or(self.text.len(), |&next| next - 1);
        self.text[start..end].trim_end_matches('\r')
    }

    /// Renders a diagnostic the way a compiler would: headline, location, snippet, help.
    /// Everything from the file is shown terminal-safe ([`terminal_safe`]) and a long line
    /// is shown around the place it is about, so that no file can send a terminal
    /// commands or megabytes.
    pub fn render(&self, diagnostic: &Diagnostic) -> String {
        let mut out = String::new();
        let label = match (diagnostic.severity, diagnostic.rule) {
            (Severity::Error, _) => "error".to_string(),
            (Severity::Warning, Some(rule)) => format!("warning[{rule}]"),
            (Severity::Warning, None) => "warning".to_string(),
        };
        let _ = write!(out, "{label}: ");
        if let Some(path) = &diagnostic.key_path {
            let _ = write!(out, "{}: ", terminal_safe(path, MAX_SHOWN));
        }
        let _ = writeln!(out, "{}", terminal_safe(&diagnostic.message, MAX_SHOWN));
        let name = terminal_safe(&self.name, MAX_SHOWN);
        match &diagnostic.span {
            Some(span) => {
                let (line, column) = self.line_column(span.start);
                let _ = writeln!(out, "  --> {name}:{line}:{column}");
                let text: Vec<char> = self.line_text(line).chars().collect();
                let (end_line, end_column) = self.line_column(span.end.max(span.start + 1));
                let width = if end_line == line {
                    end_column.saturating_sub(column).max(1)
                } else {
                    text.len().saturating_sub(column - 1).max(1)
                };
                // A line longer than SNIPPET characters is shown as a window around the span.
                let first = if text.len() <= SNIPPET {
                    0
                } else {
                    (column - 1).saturating_sub(SNIPPET / 4)
                };
                let last = text.len().min(first + SNIPPET);
                let shown: String = text[first.min(last)..last].iter().collect();
                let (before, after) = (
                    if first > 0 { "…" } else { "" },
                    if last < text.len() { "…" } else { "" },
                );
                let gutter = line.to_string().len();
                let _ = writeln!(out, "{:gutter$} |", "");
                let _ = writeln!(
                    out,
                    "{line} | {before}{}{after}",
                    terminal_safe(&shown, SNIPPET)
                );
                let pad = column - 1 - first + before.chars().count();
                let _ = writeln!(
                    out,
                    "{:gutter$} | {:pad$}{}",
                    "",
                    "",
                    "^".repeat(width.min(SNIPPET))
                );
            }
            None => {
                let _ = writeln!(out, "  --> {name}");
            }
        }
        if !diagnostic.layouts.is_empty() {
            let _ = writeln!(
                out,
                "  = in layouts: {}",
                terminal_safe(&diagnostic.layouts.join(", "), MAX_SHOWN)
            );
        }
        if let Some(help) = &diagnostic.help {
            let _ = writeln!(out, "  = help: {}", terminal_safe(help, MAX_SHOWN));
        }
        out
    }
}

/// The most characters of a message, a help or a name shown.
const MAX_SHOWN: usize = 2_000;
/// The most characters of a source line shown.
const SNIPPET: usize = 160;

/// `text` as it may reach a terminal: control characters (escape sequences, carriage
/// returns, NUL) and Unicode noncharacters written as `\u{1b}`, and at most `limit`
/// characters, with `…` for the rest.
pub fn terminal_safe(text: &str, limit: usize) -> String {
    let mut out = String::new();
    for (count, c) in text.chars().enumerate() {
        if count == limit {
            out.push('…');
            break;
        }
        let code = u32::from(c);
        if c.is_control() || (0xFDD0..=0xFDEF).contains(&code) || code & 0xFFFE == 0xFFFE {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    out
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_one_based_lines_and_columns() {
        let source = SourceText::new("x.toml", "a = 1\nbé = 2\n");
        assert_eq!(source.line_column(0), (1, 1));
        assert_eq!(source.line_column(6), (2, 1));
        // "bé = " is 6 bytes but 5 characters: the value starts in column 6.
        assert_eq!(source.line_column(12), (2, 6));
        assert_eq!(source.line_text(2), "bé = 2");
    }

    #[test]
    fn rendering_escapes_control_characters_and_shortens_long_lines() {
        // An id with an escape sequence (a window title) and a NUL, on a line of 100,000
        // characters: nothing raw reaches the terminal, and the snippet is short.
        let line = format!("id = \"\u{1b}]0;owned\u{7}\u{0}\"{}", " ".repeat(100_000));
        let source = SourceText::new("x.toml", format!("{line}\n"));
        let diagnostic = Diagnostic::error("sites[0].id", "id \"\u{1b}]0;owned\u{7}\" is bad")
            .with_span(Some(5..14));
        let shown = source.render(&diagnostic);
        assert!(
            !shown.chars().any(|c| c.is_control() && c != '\n'),
            "{shown:?}"
        );
        assert!(shown.contains("\\u{1b}]0;owned\\u{7}"), "{shown}");
        assert!(shown.len() < 1_000, "{} bytes", shown.len());
        assert!(shown.contains('…'));
    }

    #[test]
    fn rendering_shows_file_line_snippet_and_help() {
        let source = SourceText::new("x.toml", "name = \"x\"\nservers = 0\n");
        let diagnostic = Diagnostic::error("edge_pools[0].servers", "must be at least 1")
            .with_span(Some(21..22))
            .with_help("give the pool 1 to 20 servers");
        let shown = source.render(&diagnostic);
        assert!(shown.contains("error: edge_pools[0].servers: must be at least 1"));
        assert!(shown.contains("--> x.toml:2:11"));
        assert!(shown.contains("2 | servers = 0"));
        assert!(shown.contains("help: give the pool"));
    }
}
