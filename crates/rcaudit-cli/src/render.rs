//! A report in each format, shaped by the run's options beyond `--format`:
//! `--statistics`, `--quiet`, the `--fail-on` threshold (JUnit's failures)
//! and SARIF's paths (`--sarif-root`). One [`Rendering`] per run, built
//! after the evaluation and handed to every output.

use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rcaudit_report::{
    Report, concise, github, html, human, json, junit, markdown, sarif, statistics,
};
use rcaudit_rules::Severity;

use crate::cli::{CheckOptions, FailOn, Format};
use crate::output::{self, Style};

/// How this run's reports are shaped beyond `--format`.
#[derive(Debug)]
pub struct Rendering {
    /// `--statistics`: a table per rule instead of each finding.
    statistics: bool,
    /// `--quiet` (`audit`: its `--quiet`): the summary alone.
    quiet: bool,
    /// The `--fail-on` threshold (`None`: never), for JUnit's failures.
    fail_on: Option<Severity>,
    /// The snapshot's path as given, and `--sarif-root`: SARIF's artifact
    /// URIs are worked out from them when SARIF is first written.
    snapshot: String,
    sarif_root: Option<PathBuf>,
    /// Files the report names besides the snapshot (waiver files).
    other_files: Vec<String>,
    sarif: OnceCell<sarif::SarifOptions>,
    /// What the HTML report shows of the account (empty unless an HTML
    /// report is written: it is read from the snapshot's tree).
    inventory: html::Inventory,
}

impl Rendering {
    pub fn new(
        snapshot: &str,
        options: &CheckOptions,
        quiet: bool,
        fail_on: FailOn,
        report: &Report,
        inventory: html::Inventory,
    ) -> Rendering {
        Rendering {
            statistics: options.statistics,
            quiet,
            fail_on: fail_on.threshold(),
            snapshot: snapshot.to_owned(),
            sarif_root: options.sarif_root.clone(),
            other_files: report
                .waivers
                .iter()
                .map(|w| w.waiver.src.name().to_owned())
                .collect(),
            sarif: OnceCell::new(),
            inventory,
        }
    }

    /// The report in a format.
    pub fn render(&self, format: Format, report: &Report, style: &Style) -> String {
        match format {
            Format::Json => json::render(report),
            Format::Sarif => sarif::render(report, self.sarif.get_or_init(|| self.sarif_options())),
            Format::Junit => junit::render(
                report,
                &junit::JunitOptions {
                    fail_on: self.fail_on,
                },
            ),
            Format::Github => github::render(report),
            Format::Markdown => markdown::render(report),
            Format::Html => html::render(
                report,
                &self.inventory,
                &html::HtmlOptions {
                    fail_on: self.fail_on,
                },
            ),
            Format::Human | Format::Concise => self.for_people(format, report, style),
        }
    }

    /// The human and concise reports. `--quiet` and `--statistics` shape
    /// what the terminal shows; one written to a file is whole.
    fn for_people(&self, format: Format, report: &Report, style: &Style) -> String {
        let (quiet, statistics) = if style.is_stream() {
            (self.quiet, self.statistics)
        } else {
            (false, false)
        };
        if quiet {
            // The summary line, the counts of rules not evaluated, and errors.
            return human::quiet_summary(report);
        }
        let mut text = String::new();
        if statistics {
            text.push_str(&statistics::render(report));
        } else if format == Format::Concise {
            for located in report.counted() {
                text.push_str(&concise::line(report, located));
                text.push('\n');
            }
        } else {
            for diagnostic in human::diagnostics(report) {
                text.push_str(&style.render(&diagnostic));
                text.push('\n');
            }
        }
        // A blank line between the findings (lines or table) and the
        // summary; diagnostics end with one already.
        if (format == Format::Concise || statistics) && !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&human::summary(report));
        text
    }

    /// SARIF's artifact URIs: each file relative to the root, or, outside
    /// it (or read from standard input), its name alone with a warning.
    fn sarif_options(&self) -> sarif::SarifOptions {
        let snapshot = std::fs::canonicalize(&self.snapshot)
            .ok()
            .filter(|p| p.is_file());
        let root = sarif_root(self.sarif_root.as_deref(), snapshot.as_deref());
        let mut options = sarif::SarifOptions {
            root_uri: root
                .as_deref()
                .map(|r| sarif::directory_uri(&r.to_string_lossy())),
            uris: BTreeMap::new(),
        };
        let relative = |path: Option<&Path>| -> Option<String> {
            let relative = path?.strip_prefix(root.as_deref()?).ok()?;
            sarif::relative_uri(&relative.to_string_lossy())
        };
        match relative(snapshot.as_deref()) {
            Some(uri) => {
                options.uris.insert(self.snapshot.clone(), uri);
            }
            None => output::eprint(&format!(
                "rcaudit: warning: SARIF: the snapshot {} is not a file under {} (the SARIF \
                 root: --sarif-root, else the git work tree holding the snapshot, else the \
                 current folder), so its results name the file alone, which a code-scanning \
                 upload may not match to a file of the repository\n",
                self.snapshot,
                root.as_deref().map_or_else(
                    || match &self.sarif_root {
                        Some(given) => format!("{} (no such folder)", given.display()),
                        None => "the current folder (unreadable)".to_owned(),
                    },
                    |r| r.display().to_string()
                ),
            )),
        }
        for name in &self.other_files {
            let path = std::fs::canonicalize(name).ok();
            if let Some(uri) = relative(path.as_deref()) {
                options.uris.insert(name.clone(), uri);
            }
        }
        options
    }
}

/// The folder SARIF paths are relative to: `--sarif-root`, else the git
/// work tree holding the snapshot (the nearest folder up from it with a
/// `.git` entry; no git command is run), else the current folder.
fn sarif_root(given: Option<&Path>, snapshot: Option<&Path>) -> Option<PathBuf> {
    if let Some(root) = given {
        return std::fs::canonicalize(root).ok();
    }
    let from_snapshot = snapshot.and_then(Path::parent).and_then(|folder| {
        folder
            .ancestors()
            .find(|dir| dir.join(".git").symlink_metadata().is_ok())
            .map(Path::to_path_buf)
    });
    from_snapshot.or_else(|| std::env::current_dir().ok())
}
