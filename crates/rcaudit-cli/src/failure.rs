//! Why a command failed (exit 2), as a value.
//!
//! Each command returns `Result<Exit, Failure>`; `main` renders a failure
//! once, on stderr, and exits 2. Code that finds a problem says what it is
//! and returns; it never prints it and returns a bare `Err(())`, so a
//! failure cannot be reported twice or not at all.

use miette::Diagnostic;
use rcaudit_rules::LoadErrors;

use crate::Exit;
use crate::output::{self, Message, Style};
use crate::sources::ReadError;

/// What went wrong, in the form it is shown in.
#[derive(Debug)]
pub enum Failure {
    /// One sentence, shown as an error diagnostic (`× ...`).
    Message(String),
    /// An error that points into a file (a snapshot that does not parse or
    /// match its schema), with its snippets.
    Diagnostic(Box<dyn Diagnostic>),
    /// Problems in the files that say what to check (rules, config,
    /// waivers, cases), each with its place, then a closing line if any.
    Problems {
        errors: LoadErrors,
        then: Option<String>,
    },
    /// A line of text, shown as it is (it ends with a newline).
    Line(String),
    /// Several failures of one run, shown in order.
    Several(Vec<Failure>),
    /// A fetch stopped by a signal: what was kept and how to resume, and
    /// the exit code the signal calls for (130, 143).
    Interrupted { exit: Exit, hint: String },
}

impl Failure {
    /// Problems in the files named by `what` ("the rules", "the config"):
    /// nothing was checked.
    pub fn problems(errors: LoadErrors, what: &str) -> Failure {
        let then = format!("rcaudit: {what}: {errors}; nothing was checked\n");
        Failure::Problems {
            errors,
            then: Some(then),
        }
    }

    /// The exit code: 2, or the signal's.
    pub fn exit(&self) -> Exit {
        match self {
            Failure::Interrupted { exit, .. } => *exit,
            _ => Exit::Failed,
        }
    }

    /// The failure in one line (its first, for several), for a table.
    pub fn headline(&self) -> String {
        let line = match self {
            Failure::Message(message) => message.clone(),
            Failure::Diagnostic(diagnostic) => diagnostic.to_string(),
            Failure::Problems { errors, .. } => errors
                .problems
                .first()
                .map_or_else(String::new, |p| p.message.clone()),
            Failure::Line(line) | Failure::Interrupted { hint: line, .. } => line.clone(),
            Failure::Several(all) => all.first().map_or_else(String::new, Failure::headline),
        };
        let line = line.trim();
        let line = line.strip_prefix("rcaudit: error: ").unwrap_or(line);
        line.lines().next().unwrap_or_default().to_owned()
    }

    /// Shows the failure on stderr.
    pub fn render(&self, style: &Style) {
        match self {
            Failure::Message(message) => output::fail(style, &Message(message.clone())),
            Failure::Diagnostic(diagnostic) => output::fail(style, diagnostic.as_ref()),
            Failure::Problems { errors, then } => {
                for problem in &errors.problems {
                    output::eprint(&style.render(problem));
                    output::eprint("\n");
                }
                if let Some(line) = then {
                    output::eprint(line);
                }
            }
            Failure::Line(line) | Failure::Interrupted { hint: line, .. } => output::eprint(line),
            Failure::Several(all) => {
                for failure in all {
                    failure.render(style);
                }
            }
        }
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure::Message(message)
    }
}

impl From<ReadError> for Failure {
    fn from(error: ReadError) -> Failure {
        Failure::Message(error.message)
    }
}

impl From<rcaudit_model::LoadError> for Failure {
    fn from(error: rcaudit_model::LoadError) -> Failure {
        Failure::Diagnostic(Box::new(error))
    }
}
