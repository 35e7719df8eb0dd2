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
        }
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
    pub fn render(&self, diagnostic: &Diagnostic) -> String {
        let mut out = String::new();
        let label = match (diagnostic.severity, diagnostic.rule) {
            (Severity::Error, _) => "error".to_string(),
            (Severity::Warning, Some(rule)) => format!("warning[{rule}]"),
            (Severity::Warning, None) => "warning".to_string(),
        };
        let _ = write!(out, "{label}: ");
        if let Some(path) = &diagnostic.key_path {
            let _ = write!(out, "{path}: ");
        }
        let _ = writeln!(out, "{}", diagnostic.message);
        match &diagnostic.span {
            Some(span) => {
                let (line, column) = self.line_column(span.start);
                let _ = writeln!(out, "  --> {}:{line}:{column}", self.name);
                let text = self.line_text(line);
                let gutter = line.to_string().len();
                let _ = writeln!(out, "{:gutter$} |", "");
                let _ = writeln!(out, "{line} | {text}");
                let (end_line, end_column) = self.line_column(span.end.max(span.start + 1));
                let width = if end_line == line {
                    end_column.saturating_sub(column).max(1)
                } else {
                    text.chars().count().saturating_sub(column - 1).max(1)
                };
                let _ = writeln!(
                    out,
                    "{:gutter$} | {:pad$}{}",
                    "",
                    "",
                    "^".repeat(width),
                    pad = column - 1
                );
            }
            None => {
                let _ = writeln!(out, "  --> {}", self.name);
            }
        }
        if !diagnostic.layouts.is_empty() {
            let _ = writeln!(out, "  = in layouts: {}", diagnostic.layouts.join(", "));
        }
        if let Some(help) = &diagnostic.help {
            let _ = writeln!(out, "  = help: {help}");
        }
        out
    }
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
