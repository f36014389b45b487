//! Problems found while loading rules: each points into the file it is about,
//! and carries a [`ProblemCode`] saying what kind of problem it is.

use std::fmt;

use miette::{Diagnostic, LabeledSpan, Severity, SourceCode, SourceSpan};
use rcaudit_model::SourceText;

/// One problem in a rule or config file.
#[derive(Debug, Clone)]
pub struct Problem {
    /// What kind of problem it is: a stable code, e.g.
    /// `rcaudit::rules::unknown-key`.
    pub code: ProblemCode,
    /// What is wrong, in one line.
    pub message: String,
    /// The words shown at the span (may be empty).
    pub label: String,
    /// How to fix it, when rcaudit can tell.
    pub help: Option<String>,
    /// Where in the file.
    pub span: SourceSpan,
    /// The file.
    pub src: SourceText,
    /// Warnings are reported but do not stop loading.
    pub warning: bool,
}

impl Problem {
    /// An error (loading fails) with `code`, at `span` of `src`.
    pub fn error(
        code: ProblemCode,
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

    /// Sets the words shown at the span.
    #[must_use]
    pub fn label(mut self, label: impl Into<String>) -> Problem {
        self.label = label.into();
        self
    }

    /// Sets how to fix it.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Problem {
        self.help = Some(help.into());
        self
    }

    /// Makes it a warning: reported, but loading goes on.
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
        Some(Box::new(self.code.as_str()))
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
    /// Errors and warnings, in the order they were found.
    pub problems: Vec<Problem>,
}

impl LoadErrors {
    /// The problems that are errors (not warnings).
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(|p| !p.warning)
    }

    /// Whether any problem is an error.
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

/// Declares [`ProblemCode`]: each variant with its code and description, so
/// the list of codes, their text and their descriptions cannot drift apart.
macro_rules! problem_codes {
    ($($variant:ident => $code:literal, $description:literal;)*) => {
        /// The kind of a [`Problem`]: a stable code (shown with every
        /// diagnostic, and by `rcaudit explain CODE`) and what it means.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum ProblemCode {
            $(
                #[doc = $description]
                $variant,
            )*
        }

        impl ProblemCode {
            /// Every code, in the order they are declared.
            pub const ALL: &'static [ProblemCode] = &[$(ProblemCode::$variant),*];

            /// The code as shown, e.g. `rcaudit::rules::unknown-key`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ProblemCode::$variant => $code,)*
                }
            }

            /// What a problem with this code means, and what usually causes it.
            pub const fn description(self) -> &'static str {
                match self {
                    $(ProblemCode::$variant => $description,)*
                }
            }
        }
    };
}

problem_codes! {
    Yaml => "rcaudit::rules::yaml",
        "A rule file is not valid YAML: the parser stopped at the span shown.";
    Shape => "rcaudit::rules::shape",
        "A rule file is not a mapping (with `rules:`, `facts:` and `params:`), but a list or a scalar.";
    UnknownKey => "rcaudit::rules::unknown-key",
        "A rule file or a rule has a key rcaudit does not know, usually a typo; the help names the closest known key.";
    MissingKey => "rcaudit::rules::missing-key",
        "A rule lacks a required key: every rule has `id`, `severity`, `title`, `target`, `assert` and `message`.";
    Type => "rcaudit::rules::type",
        "A value has the wrong YAML type: a list where a string is expected, a scalar where a mapping is, and so on.";
    Id => "rcaudit::rules::id",
        "A rule id is not valid: ids are letters, digits, `-`, `_` and `.`, starting with a letter (e.g. `ACME-FW-001`).";
    DuplicateId => "rcaudit::rules::duplicate-id",
        "Two rules have the same id; ids are unique, as waivers, baselines and configs refer to them.";
    Severity => "rcaudit::rules::severity",
        "A rule's `severity` is not `error`, `warning` or `info`.";
    Target => "rcaudit::rules::target",
        "A rule's `target` names nothing a rule can iterate (snapshot, account, extensions, phoneNumbers, extensionPhoneNumbers, forwardingNumbers, errors).";
    Requires => "rcaudit::rules::requires",
        "An entry of `requires` is not a requirement (`admin`, `planClass`, a snapshot path, `item.<path>` or `extension.<path>`), or does not fit the rule's targets.";
    CoveredBy => "rcaudit::rules::covered-by",
        "`coveredBy` maps a per-extension target to a list that does not hold all its items, or names a target the rule does not walk.";
    ExtraFields => "rcaudit::rules::extra-fields",
        "An entry of `extraFields` is not a field path such as `item.newField` or `account.newField`.";
    At => "rcaudit::rules::at",
        "A rule's `at` is not a field path of the item, a JSON pointer, or a `{{ template }}` giving one.";
    FactName => "rcaudit::rules::fact-name",
        "A fact's name is not an identifier (letters, digits and `_`, not starting with a digit).";
    DuplicateFact => "rcaudit::rules::duplicate-fact",
        "Two files (or one file twice) define a fact of the same name; facts share one namespace.";
    FactCycle => "rcaudit::rules::fact-cycle",
        "Facts read each other in a cycle, so none of them can be computed first.";
    ParamType => "rcaudit::rules::param-type",
        "A parameter declared in full (`{type, default, doc}`) has a `type` rcaudit does not know.";
    ParamDefault => "rcaudit::rules::param-default",
        "A parameter declared in full has no `default`, or a default that does not match its declared type.";
    ParamConflict => "rcaudit::rules::param-conflict",
        "Two rule files declare the same parameter with different defaults.";
    Cel => "rcaudit::rules::cel",
        "An expression (or a `{{ }}` hole of a message template) is not valid CEL syntax.";
    Macro => "rcaudit::rules::macro",
        "A CEL macro (`all`, `exists`, `map`, `filter`, `has`, ...) is called with the wrong arguments, e.g. a variable that is not a name.";
    UnknownFunction => "rcaudit::rules::unknown-function",
        "An expression calls a function or method that neither CEL nor rcaudit's domain functions define.";
    Arity => "rcaudit::rules::arity",
        "A function or method is called with a number of arguments it does not take.";
    ArgumentType => "rcaudit::rules::argument-type",
        "A literal argument of a domain function has a type the function does not take.";
    TooDeep => "rcaudit::rules::too-deep",
        "An expression nests too deeply, or has too many operators, to be evaluated safely; split it into facts.";
    TooCostly => "rcaudit::rules::too-costly",
        "Nested comprehensions over literal lists would visit too many elements.";
    UnknownVariable => "rcaudit::rules::unknown-variable",
        "An expression reads a variable that is not defined where it is used (e.g. `item` in a fact, or `extension` for a top-level target).";
    UnknownFact => "rcaudit::rules::unknown-fact",
        "An expression reads `facts.NAME`, but no rule file defines that fact.";
    UnknownParam => "rcaudit::rules::unknown-param",
        "An expression reads `params.NAME`, but no rule file declares that parameter.";
    UnknownField => "rcaudit::rules::unknown-field",
        "An expression or `at` reads a field the snapshot schema does not define; declare a newer field in `extraFields`.";
    Quadratic => "rcaudit::rules::quadratic",
        "A warning: a per-item rule walks a whole top-level list for every item, quadratic on large accounts; compute it once as a fact.";
    ConfigUnknownParam => "rcaudit::config::unknown-param",
        "`params:` in rcaudit.yaml overrides a parameter (or a field of one) that no rule file declares.";
    ConfigParamType => "rcaudit::config::param-type",
        "`params:` in rcaudit.yaml gives a parameter a value that does not match its declared type.";
    Config => "rcaudit::config",
        "rcaudit.yaml is not valid: an unknown key, a value of the wrong type, an unknown rule id or severity.";
    Waivers => "rcaudit::waivers",
        "A waiver (in rcaudit.yaml or a waiver file) is not valid: a missing reason or owner, an unknown key, a bad date.";
    Cases => "rcaudit::cases",
        "A rule's `cases:` (or a case file) is not valid: an unknown key, a missing name, a malformed expectation.";
    Fleet => "rcaudit::fleet",
        "A fleet file (`rcaudit fleet FILE`) is not valid: an unknown key, an account without a name or with two, a name that repeats, no credentials or two kinds of them, a server that is not HTTPS.";
    Bug => "rcaudit::bug",
        "Loading failed for a reason that is a bug in rcaudit, not in the rule files; please report it.";
}

impl ProblemCode {
    /// The code named `name`: its full text (`rcaudit::rules::fact-cycle`),
    /// or its last segment when no other code ends the same way
    /// (`fact-cycle`).
    pub fn lookup(name: &str) -> Option<ProblemCode> {
        if let Some(code) = Self::ALL.iter().find(|c| c.as_str() == name) {
            return Some(*code);
        }
        let mut short = Self::ALL
            .iter()
            .filter(|c| c.as_str().rsplit("::").next() == Some(name));
        match (short.next(), short.next()) {
            (Some(code), None) => Some(*code),
            _ => None,
        }
    }
}

impl fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for ProblemCode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ProblemCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for ProblemCode {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn codes_are_unique_and_described() {
        let mut texts = BTreeSet::new();
        for code in ProblemCode::ALL {
            assert!(texts.insert(code.as_str()), "{code} is declared twice");
            assert!(code.as_str().starts_with("rcaudit::"), "{code}");
            assert!(
                code.description().ends_with('.') && code.description().len() > 20,
                "{code}: a description is a sentence"
            );
            assert_eq!(ProblemCode::lookup(code.as_str()), Some(*code));
        }
    }

    #[test]
    fn short_names_are_looked_up_when_unambiguous() {
        assert_eq!(
            ProblemCode::lookup("fact-cycle"),
            Some(ProblemCode::FactCycle)
        );
        // `rcaudit::rules::unknown-param` and `rcaudit::config::unknown-param`.
        assert_eq!(ProblemCode::lookup("unknown-param"), None);
        assert_eq!(ProblemCode::lookup("nonsense"), None);
    }
}
