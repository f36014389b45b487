//! Writing to the terminal: diagnostics rendered with miette, plain text.

use std::io::{IsTerminal, Write};

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme};

use crate::cli::ColorChoice;

/// How diagnostics are drawn.
pub struct Style {
    handler: GraphicalReportHandler,
}

impl Style {
    /// For stdout or stderr, honouring `--color`, `NO_COLOR` and `COLUMNS`.
    pub fn new(color: ColorChoice, terminal: bool) -> Style {
        let colored = match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        };
        let theme = if colored {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse::<usize>().ok())
            .or_else(|| {
                terminal
                    .then(terminal_size::terminal_size)
                    .flatten()
                    .map(|(w, _)| usize::from(w.0))
            })
            .unwrap_or(100);
        Style {
            handler: GraphicalReportHandler::new_themed(theme)
                .with_width(width)
                .with_links(false)
                .with_context_lines(1),
        }
    }

    pub fn stdout(color: ColorChoice) -> Style {
        Style::new(color, std::io::stdout().is_terminal())
    }

    pub fn stderr(color: ColorChoice) -> Style {
        Style::new(color, std::io::stderr().is_terminal())
    }

    /// Renders one diagnostic.
    pub fn render(&self, diagnostic: &dyn Diagnostic) -> String {
        let mut out = String::new();
        if self.handler.render_report(&mut out, diagnostic).is_err() {
            out = format!("{diagnostic}\n");
        }
        out
    }
}

/// Writes to stdout; a closed pipe (`rcaudit ... | head`) is not an error.
pub fn print(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

/// Writes to stderr.
pub fn eprint(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(text.as_bytes());
}

/// Reports that the run failed, on stderr.
pub fn fail(style: &Style, diagnostic: &dyn Diagnostic) {
    eprint(&style.render(diagnostic));
}

/// A plain error message as a diagnostic.
#[derive(Debug)]
pub struct Message(pub String);

impl std::fmt::Display for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Message {}

impl Diagnostic for Message {}
