//! Field readers: a value of the expected YAML type (a string, strings),
//! an expression or a message template compiled from it, each problem
//! pointing into the scalar.

use miette::SourceSpan;
use rcaudit_model::SourceText;

use super::Loader;
use super::spans::span_in_scalar;
use crate::expr::{self, CompileError, Expression};
use crate::problem::{Problem, ProblemCode};
use crate::template::{self, Template};
use crate::yaml::{Yaml, YamlValue};

impl Loader<'_> {
    pub(super) fn type_problem(&mut self, value: &Yaml, want: &str, src: &SourceText) {
        self.problems.push(
            Problem::error(
                ProblemCode::Type,
                src,
                value.span,
                format!("expected {want}, found {}", value.kind()),
            )
            .label(format!("expected {want}")),
        );
    }

    pub(super) fn string<'y>(
        &mut self,
        value: &'y Yaml,
        src: &SourceText,
        what: &str,
    ) -> Option<&'y str> {
        if let Some(s) = value.as_str() {
            Some(s)
        } else {
            self.type_problem(value, &format!("{what} (a string)"), src);
            None
        }
    }

    /// Strings, or one string, as a list.
    pub(super) fn strings<'y>(
        &mut self,
        value: &'y Yaml,
        src: &SourceText,
        what: &str,
    ) -> Vec<(&'y str, SourceSpan)> {
        match &value.value {
            YamlValue::String(s) => vec![(s.as_str(), value.span)],
            YamlValue::Seq(items) => items
                .iter()
                .filter_map(|item| {
                    if let Some(s) = item.as_str() {
                        Some((s, item.span))
                    } else {
                        self.type_problem(item, what, src);
                        None
                    }
                })
                .collect(),
            _ => {
                self.type_problem(value, &format!("{what}, or a list of them"), src);
                Vec::new()
            }
        }
    }

    /// Compiles an expression held in a YAML scalar; problems point into it.
    pub(super) fn expression(
        &mut self,
        value: &Yaml,
        src: &SourceText,
        what: &str,
    ) -> Option<Expression> {
        let text = self.string(value, src, what)?;
        match expr::compile(self.env, text) {
            Ok(e) => Some(e),
            Err(errors) => {
                for error in errors {
                    self.compile_problem(value, src, text, &error, what);
                }
                None
            }
        }
    }

    pub(super) fn template(&mut self, value: &Yaml, src: &SourceText) -> Option<Template> {
        let text = self.string(value, src, "`message`")?;
        match template::compile(self.env, text) {
            Ok(t) => Some(t),
            Err(errors) => {
                for error in errors {
                    self.compile_problem(value, src, text, &error, "`message` template");
                }
                None
            }
        }
    }

    pub(super) fn compile_problem(
        &mut self,
        value: &Yaml,
        src: &SourceText,
        text: &str,
        error: &CompileError,
        what: &str,
    ) {
        let span = span_in_scalar(
            src,
            value.span,
            text,
            error.offset..error.offset + error.len.max(1),
        );
        let syntax = error.code == ProblemCode::Cel;
        let message = if syntax {
            format!("{what} does not compile: {}", error.message)
        } else {
            format!("{what}: {}", error.message)
        };
        let help = error.help.clone().unwrap_or_else(|| {
            "expressions are CEL (https://github.com/google/cel-spec/blob/master/doc/langdef.md)"
                .to_owned()
        });
        self.problems.push(
            Problem::error(error.code, src, span, message)
                .label(if syntax { "here" } else { "this" })
                .help(help),
        );
    }
}
