//! Writing to the terminal: diagnostics rendered with miette, plain text.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme};
use rcaudit_report::human;

use crate::cli::ColorChoice;

/// How diagnostics are drawn.
pub struct Style {
    handler: GraphicalReportHandler,
    colored: bool,
    /// Made for stdout or stderr ([`Style::stdout`], [`Style::stderr`]),
    /// not for a file: `--quiet` and `--statistics` shape only such output.
    stream: bool,
}

/// Whether colour is on for stdout and stderr: only then may a colour
/// sequence pass [`terminal_safe`]; otherwise every escape is data.
static STDOUT_COLOUR: AtomicBool = AtomicBool::new(false);
static STDERR_COLOUR: AtomicBool = AtomicBool::new(false);

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
            colored,
            handler: handler(theme, width),
            stream: false,
        }
    }

    pub fn stdout(color: ColorChoice) -> Style {
        let mut style = Style::new(color, std::io::stdout().is_terminal());
        style.stream = true;
        STDOUT_COLOUR.store(style.colored, Ordering::Relaxed);
        style
    }

    pub fn stderr(color: ColorChoice) -> Style {
        let mut style = Style::new(color, std::io::stderr().is_terminal());
        style.stream = true;
        STDERR_COLOUR.store(style.colored, Ordering::Relaxed);
        style
    }

    /// Whether this style draws for stdout or stderr rather than a file.
    pub fn is_stream(&self) -> bool {
        self.stream
    }

    /// Renders one diagnostic; a fingerprint's spaces, kept from the
    /// line breaking, are spaces again ([`human::KEEP_TOGETHER`]).
    pub fn render(&self, diagnostic: &dyn Diagnostic) -> String {
        let mut out = String::new();
        if self.handler.render_report(&mut out, diagnostic).is_err() {
            out = format!("{diagnostic}\n");
        }
        human::keep_together(&out)
    }
}

/// The diagnostic renderer. Lines break at spaces only: miette's default
/// wrapping splits words at hyphens (`RC-EX-` / `004`), breaks after `/`
/// (Unicode line-break rules) and cuts words longer than the line, so rule
/// ids, fingerprints, pointers and paths would be cut in two.
fn handler(theme: GraphicalTheme, width: usize) -> GraphicalReportHandler {
    GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_links(false)
        .with_context_lines(1)
        .with_break_words(false)
        .with_word_separator(textwrap::WordSeparator::AsciiSpace)
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
}

/// The first error writing to stdout, if any: `main` turns it into exit 2,
/// so a report lost to a full disk (`> /dev/full`) never passes as written.
static STDOUT_ERROR: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// Text for a terminal: every control a terminal acts on is shown as an
/// escape (`\u{1b}`), except the colour sequences (SGR, `ESC [ ... m`)
/// that rendering adds (the theme's attributes and foreground colours,
/// nothing that could hide text), and those only while colour is on for the stream
/// (`colour`); with colour off, an escape can only have come from data. The formats neutralise the data they interpolate;
/// this is the last line of defence for every message the CLI prints (a
/// file name, a server's error text, a rule file's value).
fn terminal_safe(text: &str, colour: bool) -> std::borrow::Cow<'_, str> {
    use rcaudit_model::text::is_unsafe;
    if !text.chars().any(is_unsafe) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '\u{1b}' && colour {
            let sgr = rest.strip_prefix("\u{1b}[").and_then(|tail| {
                let params = tail
                    .find(|c: char| !(c.is_ascii_digit() || c == ';'))
                    .unwrap_or(tail.len());
                let visible = tail.get(..params)?.split(';').all(|p| {
                    // What the diagnostic theme uses: reset, bold, dim,
                    // italic, underline, a foreground colour. Never
                    // conceal, reverse, blink, a background or black text,
                    // which could hide what follows.
                    matches!(p.parse::<u8>().unwrap_or(if p.is_empty() { 0 } else { u8::MAX }),
                        0..=4 | 22..=24 | 31..=37 | 39 | 91..=97)
                });
                (visible && tail.get(params..)?.starts_with('m')).then_some(params + 3)
            });
            if let Some(len) = sgr
                && let Some(sequence) = rest.get(..len)
            {
                out.push_str(sequence);
                rest = rest.get(len..).unwrap_or_default();
                continue;
            }
        }
        if is_unsafe(c) {
            out.push_str(&rcaudit_model::text::neutralize(c.encode_utf8(&mut [0; 4])));
        } else {
            out.push(c);
        }
        rest = rest.get(c.len_utf8()..).unwrap_or_default();
    }
    std::borrow::Cow::Owned(out)
}

/// Writes a text for people to stdout ([`terminal_safe`]); see
/// [`print_document`] for machine formats.
pub fn print(text: &str) {
    print_document(&terminal_safe(text, STDOUT_COLOUR.load(Ordering::Relaxed)));
}

/// Writes plain text for people to stdout (lists, documentation, diffs:
/// nothing rcaudit colours), with every escape shown as data.
pub fn print_plain(text: &str) {
    print_document(&terminal_safe(text, false));
}

/// Writes a document (JSON, SARIF) to stdout exactly: its encoder already
/// escaped the controls that matter, and its data must stay as it is. A
/// closed pipe (`rcaudit ... | head`) is the reader's
/// choice, not an error; any other failure is recorded for [`stdout_error`].
pub fn print_document(text: &str) {
    stream_document(|out| out.write_all(text.as_bytes()));
}

/// [`print_document`] for a document written as it is rendered (`write`
/// gets stdout, locked).
pub fn stream_document(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) {
    let mut stdout = std::io::stdout().lock();
    let result = write(&mut stdout).and_then(|()| stdout.flush());
    if let Err(error) = result
        && error.kind() != std::io::ErrorKind::BrokenPipe
        && let Ok(mut slot) = STDOUT_ERROR.lock()
    {
        slot.get_or_insert_with(|| error.to_string());
    }
}

/// Why writing to stdout failed, if it did.
pub fn stdout_error() -> Option<String> {
    STDOUT_ERROR.lock().ok().and_then(|slot| slot.clone())
}

/// Writes to stderr ([`terminal_safe`]).
pub fn eprint(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let colour = STDERR_COLOUR.load(Ordering::Relaxed);
    let _ = stderr.write_all(terminal_safe(text, colour).as_bytes());
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines of `message` rendered by `handler` with the text's words, as
    /// wrapping left them.
    fn words(handler: &GraphicalReportHandler, message: &str) -> Vec<String> {
        let mut out = String::new();
        let _ = handler.render_report(&mut out, &Message(message.to_owned()));
        out.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn wrapping_never_cuts_a_rule_id_or_a_fingerprint() {
        let whole = [
            "RC-EX-004",
            "error[RC-FW-003]",
            "RC-SN-001:errors:/extensions/8/forwardingNumbers",
        ];
        let message = format!(
            "see rcaudit explain {} and {}; fingerprint {}",
            whole[0], whole[1], whole[2]
        );
        let mut default_cut = false;
        for width in 8..80 {
            let ours = words(&handler(GraphicalTheme::unicode_nocolor(), width), &message);
            for word in whole {
                assert!(
                    ours.iter().any(|w| w.trim_end_matches(';') == word),
                    "width {width}: {word} in {ours:?}"
                );
            }
            // miette's default wrapping cuts them: the test can fail.
            let default = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
                .with_width(width);
            let theirs = words(&default, &message);
            default_cut |= whole
                .iter()
                .any(|word| !theirs.iter().any(|w| w.trim_end_matches(';') == *word));
        }
        assert!(default_cut, "the default handler would keep them whole too");
    }

    #[test]
    fn colours_pass_only_with_colour_on_and_every_other_control_is_shown() {
        let red = "\u{1b}[1;31merror\u{1b}[0m";
        assert_eq!(terminal_safe(red, true), red);
        // Sequences that hide text are data even with colour on.
        for hidden in [
            "\u{1b}[8m",
            "\u{1b}[30;40m",
            "\u{1b}[7m",
            "\u{1b}[38;5;0m",
            "\u{1b}[999m",
        ] {
            assert!(
                !terminal_safe(hidden, true).contains('\u{1b}'),
                "{hidden:?}"
            );
        }
        assert_eq!(terminal_safe(red, false), "\\u{1b}[1;31merror\\u{1b}[0m");
        assert_eq!(
            terminal_safe("a\u{1b}]0;title\u{7}b\u{1b}[2Jc\u{9b}", true),
            "a\\u{1b}]0;title\\u{7}b\\u{1b}[2Jc\\u{9b}"
        );
    }
}
