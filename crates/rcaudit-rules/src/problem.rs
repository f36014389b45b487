//! Problems found while loading rules: each points into the file it is about.

use std::fmt;

use miette::{Diagnostic, LabeledSpan, Severity, SourceCode, SourceSpan};
use rcaudit_model::SourceText;

/// One problem in a rule or config file.
#[derive(Debug, Clone)]
pub struct Problem {
    /// A stable code, e.g. `rcaudit::rules::unknown-key`.
    pub code: &'static str,
    pub message: String,
    pub label: String,
    pub help: Option<String>,
    pub span: SourceSpan,
    pub src: SourceText,
    /// Warnings are reported but do not stop loading.
    pub warning: bool,
}

impl Problem {
    pub fn error(
        code: &'static str,
        src: &SourceText,
        span: SourceSpan,
        message: impl Into<String>,
    ) -> Problem {
        let message = message.into();
        Problem {
            code,
            label: String::new(),
            message,
            help: None,
            span,
            src: src.clone(),
            warning: false,
        }
    }

    #[must_use]
    pub fn label(mut self, label: impl Into<String>) -> Problem {
        self.label = label.into();
        self
    }

    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Problem {
        self.help = Some(help.into());
        self
    }

    #[must_use]
    pub fn warning(mut self) -> Problem {
        self.warning = true;
        self
    }

    /// 1-based line of the problem, for tests and plain output.
    pub fn line(&self) -> usize {
        self.src.line_col(self.span.offset()).line
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Problem {}

impl Diagnostic for Problem {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<Severity> {
        Some(if self.warning {
            Severity::Warning
        } else {
            Severity::Error
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display + 'a>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.src)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let label = (!self.label.is_empty()).then(|| self.label.clone());
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(label, self.span),
        )))
    }
}

/// Every problem found while loading rules, reported together.
#[derive(Debug, Clone, Default)]
pub struct LoadErrors {
    pub problems: Vec<Problem>,
}

impl LoadErrors {
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(|p| !p.warning)
    }

    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }
}

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let errors = self.errors().count();
        let warnings = self.problems.len() - errors;
        write!(f, "{errors} error{}", if errors == 1 { "" } else { "s" })?;
        if warnings > 0 {
            write!(
                f,
                " and {warnings} warning{}",
                if warnings == 1 { "" } else { "s" }
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadErrors {}

impl Diagnostic for LoadErrors {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("rcaudit::rules"))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        Some(Box::new(self.problems.iter().map(|p| p as &dyn Diagnostic)))
    }
}
