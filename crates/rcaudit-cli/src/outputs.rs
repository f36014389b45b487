//! `--output [FORMAT=]PATH` of `check` and `audit`: the reports one
//! evaluation is written as. Every output is checked before any work
//! (two outputs to one file, an output over an input, a file that cannot be
//! written), and each is written even when another fails.

use std::path::{Path, PathBuf};
use std::rc::Rc;

use clap::ValueEnum as _;
use rcaudit_report::Report;

use crate::cli::{ColorChoice, Format};
use crate::output::{self, Style};
use crate::render::Rendering;
use crate::sources;

/// Where one report goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `-`: standard output.
    Stdout,
    /// A file, replaced atomically ([`sources::write_atomic`]).
    Replace(PathBuf),
    /// `FORMAT=+PATH`: appended to, as the shell's `>>` does (created if
    /// missing): for `$GITHUB_STEP_SUMMARY` and other shared files.
    Append(PathBuf),
}

impl Target {
    fn path(&self) -> Option<&Path> {
        match self {
            Target::Stdout => None,
            Target::Replace(path) | Target::Append(path) => Some(path),
        }
    }
}

/// One `--output` as given: a format (`None`: `--format`'s) and a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    pub format: Option<Format>,
    pub target: Target,
}

/// Whether a format's output may be appended to a file: text that can
/// follow other text, not a document that must be whole (JSON, SARIF,
/// JUnit XML, HTML).
fn appendable(format: Format) -> bool {
    !matches!(
        format,
        Format::Json | Format::Sarif | Format::Junit | Format::Html
    )
}

/// The name of a format, as `--format` spells it.
fn name(format: Format) -> String {
    format
        .to_possible_value()
        .map_or_else(|| format!("{format:?}"), |v| v.get_name().to_owned())
}

/// Refuses `WORD=...` where WORD looks like a format name (ASCII letters
/// only) but is none: `sarfi=r.sarif` is a typo, not a file to write the
/// `--format` document to. A file with such a name is `./WORD=...`.
fn refuse_unknown_format(text: &str) -> Result<(), String> {
    let Some((word, _)) = text.split_once('=') else {
        return Ok(());
    };
    if word.is_empty()
        || !word.bytes().all(|b| b.is_ascii_alphabetic())
        || Format::from_str(word, false).is_ok()
    {
        return Ok(());
    }
    let names: Vec<String> = Format::value_variants().iter().map(|f| name(*f)).collect();
    let hint = rcaudit_rules::suggest(word, names.iter().map(String::as_str))
        .map(|known| format!(" (did you mean `{known}`?)"))
        .unwrap_or_default();
    Err(format!(
        "`{word}` is not an output format{hint}; FORMAT is one of {}. A file whose name \
         contains `=` is written as `./{text}`",
        names.join(", ")
    ))
}

/// Parses `--output`: `FORMAT=PATH` when the text before the first `=` is
/// a format name; an error when it is a word (ASCII letters) that is no
/// format name, a likely typo; otherwise a path for `--format`'s document
/// (so `./a=b.json` or `out/a=b.json` is a file). `-` is standard output;
/// `+PATH` after `FORMAT=` appends.
pub fn parse(text: &str) -> Result<Spec, String> {
    refuse_unknown_format(text)?;
    let format = text
        .split_once('=')
        .and_then(|(name, path)| Some((Format::from_str(name, false).ok()?, path)));
    let Some((format, path)) = format else {
        return match text {
            "" => Err("an empty path; `-` is standard output".to_owned()),
            "-" => Ok(Spec {
                format: None,
                target: Target::Stdout,
            }),
            _ => Ok(Spec {
                format: None,
                target: Target::Replace(PathBuf::from(text)),
            }),
        };
    };
    let format_name = name(format);
    let target = match path {
        "" | "+" => {
            return Err(format!(
                "no path after `{text}` (`{format_name}=-` is standard output, \
                 `{format_name}=+FILE` appends to FILE)"
            ));
        }
        "-" => Target::Stdout,
        _ => match path.strip_prefix('+') {
            Some(rest) if appendable(format) => Target::Append(PathBuf::from(rest)),
            Some(_) => {
                return Err(format!(
                    "`{text}`: a {format_name} report is one document and cannot be appended \
                     to a file (`+FILE` is for markdown, github, concise and human); write it to a file \
                     of its own (`./+FILE` names a file whose name starts with `+`)"
                ));
            }
            None => Target::Replace(PathBuf::from(path)),
        },
    };
    Ok(Spec {
        format: Some(format),
        target,
    })
}

/// An output that passed the checks.
#[derive(Debug)]
struct Planned {
    format: Format,
    target: Target,
}

/// Every output of a run, checked: what goes to files, and what standard
/// output shows.
#[derive(Debug)]
pub struct Plan {
    outputs: Vec<Planned>,
}

impl Plan {
    /// Whether any output is in `format`.
    pub fn includes(&self, format: Format) -> bool {
        self.outputs.iter().any(|p| p.format == format)
    }

    /// Checks the outputs before any work: at most one on standard output,
    /// no file named twice, none that is an input of the run (`inputs`, and
    /// every file read so far), each one writable. Every problem is
    /// returned.
    pub fn new(
        specs: &[Spec],
        default: Format,
        inputs: &[(&Path, &'static str)],
    ) -> Result<Plan, Vec<String>> {
        let mut problems = Vec::new();
        let to_stdout = specs.iter().filter(|s| s.target == Target::Stdout).count();
        if to_stdout > 1 {
            problems.push(format!(
                "{to_stdout} outputs go to standard output (`-`); at most one may, the others \
                 need files"
            ));
        }
        for (i, spec) in specs.iter().enumerate() {
            let Some(path) = spec.target.path() else {
                continue;
            };
            let earlier = specs
                .iter()
                .take(i)
                .filter_map(|s| s.target.path())
                .find(|p| *p == path || sources::same_destination(p, path));
            if let Some(earlier) = earlier {
                problems.push(if earlier == path {
                    format!(
                        "--output names {} twice; each report needs a file of its own",
                        path.display()
                    )
                } else {
                    format!(
                        "--output names one file twice, as {} and {}; each report needs a \
                         file of its own",
                        earlier.display(),
                        path.display()
                    )
                });
                continue;
            }
            let checked = sources::refuse_overwriting(path, inputs).and_then(|()| {
                if matches!(spec.target, Target::Append(_)) {
                    sources::check_appendable(path)
                } else {
                    sources::check_writable(path)
                }
            });
            if let Err(error) = checked {
                problems.push(error.message);
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        // With a plain `--output FILE` (the --format document in a file),
        // the terminal shows the human report, as it always has; otherwise
        // it shows --format's document, unless an output took stdout.
        let terminal = if to_stdout > 0 {
            None
        } else if specs.iter().any(|s| s.format.is_none()) {
            Some(Format::Human)
        } else {
            Some(default)
        };
        let mut outputs: Vec<Planned> = specs
            .iter()
            .map(|s| Planned {
                format: s.format.unwrap_or(default),
                target: s.target.clone(),
            })
            .filter(|p| p.target != Target::Stdout || terminal.is_none())
            .collect();
        if let Some(format) = terminal {
            outputs.push(Planned {
                format,
                target: Target::Stdout,
            });
        }
        Ok(Plan { outputs })
    }

    /// Renders the report once per format and writes every output (files
    /// first, then standard output). An output that cannot be written does
    /// not stop the others; returns what went wrong with each that failed.
    pub fn write(&self, report: &Report, rendering: &Rendering, color: ColorChoice) -> Vec<String> {
        // Files get no colour, whatever the terminal does.
        let plain = Style::new(ColorChoice::Never, false);
        // Each format rendered once and shared by the outputs that write it
        // (a report of many findings is megabytes: never copied).
        let mut rendered: Vec<(Format, bool, Rc<String>)> = Vec::new();
        let mut text = |format: Format, terminal: bool, style: &Style| -> Rc<String> {
            if let Some((_, _, text)) = rendered
                .iter()
                .find(|(f, t, _)| *f == format && *t == terminal)
            {
                return Rc::clone(text);
            }
            let text = Rc::new(rendering.render(format, report, style));
            rendered.push((format, terminal, Rc::clone(&text)));
            text
        };
        let mut failed = Vec::new();
        for planned in self.outputs.iter().filter(|p| p.target != Target::Stdout) {
            let body = text(planned.format, false, &plain);
            let written = match &planned.target {
                Target::Replace(path) => sources::write_atomic(path, &body),
                Target::Append(path) => sources::append(path, &body),
                Target::Stdout => Ok(()),
            };
            if let Err(error) = written {
                failed.push(format!(
                    "{} (the {} report is lost; the others are written all the same, \
                     and the run exits 2)",
                    error.message,
                    name(planned.format)
                ));
            }
        }
        if let Some(planned) = self.outputs.iter().find(|p| p.target == Target::Stdout) {
            // JSON that no file needed is written to stdout as it is
            // rendered: no buffer the size of the report.
            let json_in_a_file = self
                .outputs
                .iter()
                .any(|p| p.target != Target::Stdout && p.format == Format::Json);
            if planned.format == Format::Json && !json_in_a_file {
                output::stream_document(|out| rcaudit_report::json::write(report, out));
                return failed;
            }
            let style = Style::stdout(color);
            let body = text(planned.format, true, &style);
            match planned.format {
                Format::Json | Format::Sarif | Format::Html => output::print_document(&body),
                _ => output::print(&body),
            }
        }
        failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(format: Option<Format>, target: Target) -> Spec {
        Spec { format, target }
    }

    #[test]
    fn a_format_prefix_names_a_format_and_anything_else_is_a_path() {
        let file = |p: &str| Target::Replace(PathBuf::from(p));
        assert_eq!(
            parse("sarif=r.sarif"),
            Ok(spec(Some(Format::Sarif), file("r.sarif")))
        );
        assert_eq!(parse("r.json"), Ok(spec(None, file("r.json"))));
        assert_eq!(parse("./a=b.json"), Ok(spec(None, file("./a=b.json"))));
        assert_eq!(parse("out/a=b"), Ok(spec(None, file("out/a=b"))));
        assert_eq!(parse("a-b=c.json"), Ok(spec(None, file("a-b=c.json"))));
        assert_eq!(parse("=c.json"), Ok(spec(None, file("=c.json"))));
        assert_eq!(parse("json=a=b"), Ok(spec(Some(Format::Json), file("a=b"))));
        assert_eq!(parse("-"), Ok(spec(None, Target::Stdout)));
        assert_eq!(
            parse("junit=-"),
            Ok(spec(Some(Format::Junit), Target::Stdout))
        );
        assert_eq!(
            parse("markdown=+summary.md"),
            Ok(spec(
                Some(Format::Markdown),
                Target::Append(PathBuf::from("summary.md"))
            ))
        );
        assert_eq!(parse("+r.json"), Ok(spec(None, file("+r.json"))));
        assert!(parse("json=").is_err_and(|e| e.contains("no path")));
        assert!(parse("markdown=+").is_err_and(|e| e.contains("no path")));
        assert!(parse("sarif=+r.sarif").is_err_and(|e| e.contains("cannot be appended")));
        assert!(parse("").is_err());
    }

    #[test]
    fn a_word_before_the_equals_sign_that_is_no_format_is_refused_with_a_suggestion() {
        let error = parse("sarfi=r.sarif").expect_err("a typo of sarif");
        assert!(
            error.starts_with("`sarfi` is not an output format (did you mean `sarif`?); "),
            "{error}"
        );
        assert!(
            error.contains("FORMAT is one of human, json, sarif,"),
            "{error}"
        );
        assert!(
            error.ends_with("is written as `./sarfi=r.sarif`"),
            "{error}"
        );
        let error = parse("JSON=b.json").expect_err("format names are lower case");
        assert!(error.contains("(did you mean `json`?)"), "{error}");
        let error = parse("report=r.txt").expect_err("a word, but no format");
        assert!(!error.contains("did you mean"), "{error}");
        assert!(error.contains("`./report=r.txt`"), "{error}");
    }
}
