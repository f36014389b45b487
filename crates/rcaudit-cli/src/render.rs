//! A report in each format, shaped by the run's options beyond `--format`:
//! `--statistics`, `--quiet`, the `--fail-on` threshold (JUnit's failures)
//! and the paths SARIF and GitHub annotations name files by (relative to
//! one root: `--sarif-root`). One [`Rendering`] per run, built after the
//! evaluation and handed to every output.

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
    /// The snapshot's path as given, and `--sarif-root`: the paths SARIF
    /// and GitHub annotations use are worked out from them when first
    /// needed.
    snapshot: String,
    sarif_root: Option<PathBuf>,
    /// Files the report names besides the snapshot (waiver files).
    other_files: Vec<String>,
    placed: OnceCell<Placed>,
    sarif: OnceCell<sarif::SarifOptions>,
    /// Whether this run writes a SARIF report (`--format sarif`, or an
    /// `--output` in SARIF): GitHub's last notice points at it.
    sarif_written: bool,
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
            placed: OnceCell::new(),
            sarif: OnceCell::new(),
            sarif_written: options.format == Format::Sarif
                || options
                    .output
                    .iter()
                    .any(|o| o.format == Some(Format::Sarif)),
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
            Format::Github => github::render(
                report,
                &github::GithubOptions {
                    paths: self.placed().relative.clone(),
                    sarif: self.sarif_written,
                },
            ),
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

    /// The root and the files under it, worked out once.
    fn placed(&self) -> &Placed {
        self.placed.get_or_init(|| {
            let snapshot = std::fs::canonicalize(&self.snapshot)
                .ok()
                .filter(|p| p.is_file());
            let root = sarif_root(self.sarif_root.as_deref(), snapshot.as_deref());
            let relative = |path: Option<&Path>| -> Option<String> {
                relative_path(path?.strip_prefix(root.as_deref()?).ok()?)
            };
            let mut placed = BTreeMap::new();
            if let Some(path) = relative(snapshot.as_deref()) {
                placed.insert(self.snapshot.clone(), path);
            }
            for name in &self.other_files {
                let path = std::fs::canonicalize(name).ok();
                if let Some(path) = relative(path.as_deref()) {
                    placed.insert(name.clone(), path);
                }
            }
            Placed {
                root,
                relative: placed,
            }
        })
    }

    /// SARIF's artifact URIs: each file relative to the root, or, outside
    /// it (or read from standard input), its name alone with a warning.
    fn sarif_options(&self) -> sarif::SarifOptions {
        let Placed { root, relative } = self.placed();
        let options = sarif::SarifOptions {
            root_uri: root
                .as_deref()
                .map(|r| sarif::directory_uri(&r.to_string_lossy())),
            uris: relative
                .iter()
                .filter_map(|(name, path)| Some((name.clone(), sarif::relative_uri(path)?)))
                .collect(),
        };
        if !relative.contains_key(&self.snapshot) {
            output::eprint(&format!(
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
            ));
        }
        options
    }
}

/// The root SARIF and GitHub annotations name files from, and each file
/// the report names that lies under it.
#[derive(Debug)]
struct Placed {
    root: Option<PathBuf>,
    /// The file's name in the report to its path under the root,
    /// `/`-separated.
    relative: BTreeMap<String, String>,
}

/// A path under the root as GitHub and SARIF write it: its names joined by
/// `/`; `None` when it has none (the root itself).
fn relative_path(path: &Path) -> Option<String> {
    let names: Vec<String> = path
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(name) => Some(name.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    (!names.is_empty()).then(|| names.join("/"))
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
