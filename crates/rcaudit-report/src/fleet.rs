//! `rcaudit fleet`: the summary of many accounts, one row each: a table
//! for the terminal, Markdown for a pull request or a job summary, and a
//! JSON document (`schemas/fleet.schema.json`) that `rcaudit fleet merge`
//! reads back to join the shards of one fleet file.
//!
//! A summary says what it covers: the fleet file (by its SHA-256, with the
//! number of accounts it lists) and the shards (`K/N`) it holds. A merge
//! refuses summaries of different files, and one that lacks a shard, or
//! an account, says so and fails: a shard whose job died before writing
//! its summary must not leave a green merge behind.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use crate::text::{markdown as cell, markdown_code as code, neutralize};

/// The version of the summary document's format.
pub const FORMAT_VERSION: u32 = 1;

/// A fleet run's summary, or several merged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fleet {
    /// [`FORMAT_VERSION`].
    pub fleet_version: u32,
    /// The rcaudit version that wrote it.
    pub rcaudit: String,
    /// The fleet file the accounts come from.
    pub file: FleetFile,
    /// The shards this summary holds (`[1/1]` for a run without `--shard`).
    pub shards: Vec<Shard>,
    /// The `--fail-on` threshold the accounts were judged by.
    pub fail_on: String,
    /// One row per account, by name.
    pub accounts: Vec<Account>,
    /// What is wrong with the summary as a whole (a merge that lacks a
    /// shard); each makes the run fail.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

/// The fleet file, as a summary names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FleetFile {
    /// Its path, as given.
    pub path: String,
    /// `sha256:` and the hex digest of its bytes ([`fingerprint`]).
    pub sha256: String,
    /// How many accounts it lists (all shards together).
    pub accounts: usize,
}

/// One share of a fleet file's accounts: `index` of `count`, from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shard {
    /// Which share, from 1.
    pub index: u32,
    /// Of how many.
    pub count: u32,
}

impl Shard {
    /// The whole file.
    pub const ALL: Shard = Shard { index: 1, count: 1 };

    /// Parses `K/N` (1 <= K <= N).
    pub fn parse(text: &str) -> Result<Shard, String> {
        let wrong = || format!("`{text}` is not a shard: write K/N, as 2/5, with 1 <= K <= N");
        let (k, n) = text.split_once('/').ok_or_else(wrong)?;
        let index: u32 = k.trim().parse().map_err(|_| wrong())?;
        let count: u32 = n.trim().parse().map_err(|_| wrong())?;
        if index == 0 || index > count {
            return Err(wrong());
        }
        Ok(Shard { index, count })
    }

    /// Whether the account named `name` is in this shard. The share is
    /// decided by the name alone (its FNV-1a hash modulo the count), so an
    /// account stays in its shard whatever the order of the file and
    /// whatever accounts are added or removed.
    pub fn holds(self, name: &str) -> bool {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in name.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        hash % u64::from(self.count) == u64::from(self.index - 1)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// How an account's audit ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum State {
    /// Checked; nothing at or above the threshold.
    Passed,
    /// Checked; findings at or above the threshold.
    Failed,
    /// No verdict: the fetch or the check failed (see `problem`).
    NoVerdict,
    /// No verdict: the run was stopped first (its fetch can be resumed).
    Interrupted,
}

impl State {
    /// The exit code this state stands for, as `rcaudit audit`'s.
    pub fn exit(self) -> u8 {
        match self {
            State::Passed => 0,
            State::Failed => 1,
            State::NoVerdict | State::Interrupted => 2,
        }
    }

    fn word(self) -> &'static str {
        match self {
            State::Passed => "passed",
            State::Failed => "failed",
            State::NoVerdict => "no verdict",
            State::Interrupted => "interrupted",
        }
    }
}

/// Findings that count (not waived, not in the baseline), by severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counts {
    /// Errors.
    pub error: usize,
    /// Warnings.
    pub warning: usize,
    /// Infos.
    pub info: usize,
}

/// What the check of an account found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Checked {
    /// Findings that count.
    pub findings: Counts,
    /// Findings waived.
    pub waived: usize,
    /// Rules that ran.
    pub rules_run: usize,
    /// Rules not evaluated at all (their data is missing).
    pub not_evaluated: usize,
    /// Rules evaluated on part of their items.
    pub partly_evaluated: usize,
    /// Rules that failed while running.
    pub rule_errors: usize,
}

/// How an account's snapshot was obtained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fetch {
    /// Seconds the fetch took, to the millisecond (0 when the snapshot is
    /// an earlier run's).
    #[serde(serialize_with = "milliseconds")]
    pub seconds: f64,
    /// Requests sent.
    pub requests: u64,
    /// Requests the server answered 429.
    pub rate_limited: u64,
    /// Pieces taken from an interrupted fetch's journal.
    pub resumed_pieces: usize,
    /// The snapshot was written by an earlier run and reused (`--resume`).
    pub earlier_run: bool,
    /// Entries in the snapshot's `errors` (lists that could not be read).
    pub errors: usize,
}

/// One account's row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Account {
    /// Its name in the fleet file.
    pub name: String,
    /// The API server.
    pub server: String,
    /// How its audit ended.
    pub state: State,
    /// The fetch, when one ran or a snapshot was reused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetch: Option<Fetch>,
    /// The check, when it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<Checked>,
    /// The files written for it, relative to the summary's folder: the
    /// snapshot first, then the reports.
    #[serde(default)]
    pub files: Vec<String>,
    /// Why there is no verdict (or what went wrong beside it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// Seconds written to the millisecond.
#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "the signature serde's `serialize_with` calls"
)]
fn milliseconds<S: serde::Serializer>(seconds: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64((seconds * 1000.0).round() / 1000.0)
}

/// `sha256:` and the hex digest of a fleet file's bytes.
pub fn fingerprint(bytes: &[u8]) -> String {
    let digest = sha2::Sha256::digest(bytes);
    let mut out = String::from("sha256:");
    for byte in digest {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// Whether a name may be an account's. It names the account's folder on
/// every system rcaudit runs on, so: letters, digits, `.`, `_` and `-`,
/// starting with a letter or digit and not ending with `.` (Windows drops
/// it: `a.` would be `a`'s folder), at most 64 bytes, not a Windows device
/// name (`con`, `nul`, `com1`, ..., with or without an extension) and not
/// the name of a summary's file (`fleet.json`, `fleet.md`); in any case.
pub fn valid_name(name: &str) -> bool {
    const DEVICES: &[&str] = &["con", "prn", "aux", "nul"];
    let stem = name.split('.').next().unwrap_or_default();
    let numbered = |prefix: &str| {
        stem.len() == 4
            && stem
                .get(..3)
                .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
            && stem.as_bytes().get(3).is_some_and(u8::is_ascii_digit)
    };
    let device =
        DEVICES.iter().any(|d| stem.eq_ignore_ascii_case(d)) || numbered("com") || numbered("lpt");
    let summary = ["fleet.json", "fleet.md"]
        .iter()
        .any(|file| name.eq_ignore_ascii_case(file));
    !device
        && !summary
        && name.len() <= 64
        && !name.ends_with('.')
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// Text on one line for the terminal: neutralised, and line feeds and tabs
/// as spaces, so that a message quoted from a server cannot draw a row of
/// its own.
pub fn one_line(text: &str) -> String {
    neutralize(text).replace(['\n', '\t'], " ")
}

/// Whether findings of these counts fail at `fail_on` (`error`, `warning`,
/// `info`, `never`); `None` for an unknown threshold.
fn fails(findings: Counts, fail_on: &str) -> Option<bool> {
    Some(match fail_on {
        "error" => findings.error > 0,
        "warning" => findings.error + findings.warning > 0,
        "info" => findings.error + findings.warning + findings.info > 0,
        "never" => false,
        _ => return None,
    })
}

impl Account {
    /// What is inconsistent in a row read back: a verdict without the
    /// check it comes from, or one its counts do not give at `fail_on`;
    /// no verdict without a reason.
    fn inconsistency(&self, fail_on: &str) -> Option<String> {
        match (self.state, &self.check) {
            (State::Passed | State::Failed, None) => Some(format!(
                "account `{}` has a verdict but no check",
                self.name
            )),
            (State::Passed | State::Failed, Some(check)) => {
                let failed = fails(check.findings, fail_on)?;
                (failed != (self.state == State::Failed)).then(|| {
                    format!(
                        "account `{}` is {} but its findings give {} at --fail-on {fail_on}",
                        self.name,
                        self.state.word(),
                        if failed { "failed" } else { "passed" }
                    )
                })
            }
            (State::NoVerdict | State::Interrupted, _) if self.problem.is_none() => Some(format!(
                "account `{}` has no verdict and no reason",
                self.name
            )),
            _ => None,
        }
    }
}

impl Fleet {
    /// The exit code of the whole: the worst account's, and 2 when the
    /// summary has problems of its own.
    pub fn exit(&self) -> u8 {
        let worst = self
            .accounts
            .iter()
            .map(|a| a.state.exit())
            .max()
            .unwrap_or(0);
        if self.problems.is_empty() { worst } else { 2 }
    }

    /// Reads a summary written by `rcaudit fleet` (`path` names it in
    /// messages). A key that repeats, an unknown member, an account name
    /// that could not be a folder's, or an account listed twice is refused.
    pub fn parse(path: &str, text: &str) -> Result<Fleet, String> {
        let not_one = |why: String| {
            format!(
                "{path} is not an rcaudit fleet summary ({why}); it is the fleet.json `rcaudit fleet` writes in --out-dir"
            )
        };
        let document = rcaudit_model::parse(text)
            .map(|node| rcaudit_model::value::to_json(&node))
            .map_err(|e| not_one(e.to_string()))?;
        let version = document
            .get("fleetVersion")
            .and_then(serde_json::Value::as_u64);
        if version != Some(u64::from(FORMAT_VERSION)) {
            return Err(not_one(match version {
                Some(v) => format!("fleetVersion {v}; this rcaudit reads {FORMAT_VERSION}"),
                None => "no `fleetVersion`".to_owned(),
            }));
        }
        let fleet: Fleet = serde_json::from_value(document).map_err(|e| not_one(e.to_string()))?;
        if fleet.shards.is_empty()
            || fleet
                .shards
                .iter()
                .any(|s| s.index == 0 || s.index > s.count)
        {
            return Err(not_one(
                "its `shards` are not K/N with 1 <= K <= N".to_owned(),
            ));
        }
        if fails(Counts::default(), &fleet.fail_on).is_none() {
            return Err(not_one(format!(
                "`failOn` is `{}`, not error, warning, info or never",
                neutralize(&fleet.fail_on)
            )));
        }
        let digest = fleet
            .file
            .sha256
            .strip_prefix("sha256:")
            .unwrap_or_default();
        if digest.len() != 64
            || !digest
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Err(not_one(
                "`file.sha256` is not `sha256:` and 64 hex digits".to_owned(),
            ));
        }
        let mut seen = BTreeSet::new();
        for account in &fleet.accounts {
            if !valid_name(&account.name) {
                return Err(not_one(format!(
                    "an account is named `{}`",
                    one_line(&account.name)
                )));
            }
            if let Some(why) = account.inconsistency(&fleet.fail_on) {
                return Err(not_one(why));
            }
            if !fleet.shards.iter().any(|s| s.holds(&account.name)) {
                return Err(not_one(format!(
                    "account `{}` is not in its shards ({})",
                    account.name,
                    fleet
                        .shards
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            if !seen.insert(account.name.as_str()) {
                return Err(not_one(format!(
                    "account `{}` is listed twice",
                    account.name
                )));
            }
        }
        Ok(fleet)
    }

    /// Joins the summaries of one fleet file's shards (each named, for
    /// messages). Summaries of different files, or of different shard
    /// counts, cannot be joined (an error). A shard given twice, a shard
    /// missing, an account in two summaries, or fewer accounts than the
    /// file lists are problems of the result: it is still written, and
    /// fails.
    pub fn merge(parts: &[(String, Fleet)]) -> Result<Fleet, String> {
        let Some((first_name, first)) = parts.first() else {
            return Err("no summary to merge".to_owned());
        };
        for (name, part) in parts {
            if part.file.sha256 != first.file.sha256 {
                return Err(format!(
                    "{name} and {first_name} summarise different fleet files ({} and {}): \
                     merge the shards of one run",
                    part.file.sha256, first.file.sha256
                ));
            }
            if part.file.accounts != first.file.accounts {
                return Err(format!(
                    "{name} says the fleet file lists {} accounts and {first_name} {}",
                    part.file.accounts, first.file.accounts
                ));
            }
            if part.fail_on != first.fail_on {
                return Err(format!(
                    "{name} judged accounts by --fail-on {} and {first_name} by {}: \
                     one merged verdict needs one threshold",
                    part.fail_on, first.fail_on
                ));
            }
        }
        let count = first.shards.first().map_or(1, |s| s.count);
        let mut problems = Vec::new();
        let mut shards: BTreeMap<Shard, &str> = BTreeMap::new();
        for (name, part) in parts {
            problems.extend(part.problems.iter().map(|p| format!("{name}: {p}")));
            for shard in &part.shards {
                if shard.count != count {
                    return Err(format!(
                        "{name} holds shard {shard} and {first_name} shards of {count}: \
                         the shards of one run share their count"
                    ));
                }
                if let Some(other) = shards.insert(*shard, name) {
                    problems.push(format!("shard {shard} is in both {other} and {name}"));
                }
            }
        }
        let missing: Vec<String> = (1..=count)
            .map(|index| Shard { index, count })
            .filter(|s| !shards.contains_key(s))
            .map(|s| s.to_string())
            .collect();
        if !missing.is_empty() {
            problems.push(format!(
                "shard{} {} of this fleet file {} missing: its job may have failed before writing \
                 its summary, so its accounts have no verdict",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", "),
                if missing.len() == 1 { "is" } else { "are" },
            ));
        }
        let mut accounts: BTreeMap<String, Account> = BTreeMap::new();
        for (name, part) in parts {
            for account in &part.accounts {
                if accounts
                    .insert(account.name.clone(), account.clone())
                    .is_some()
                {
                    problems.push(format!(
                        "account `{}` is in more than one summary (again in {name})",
                        account.name
                    ));
                }
            }
        }
        if missing.is_empty() && accounts.len() != first.file.accounts {
            problems.push(format!(
                "the fleet file lists {} accounts, and the summaries hold {}",
                first.file.accounts,
                accounts.len()
            ));
        }
        Ok(Fleet {
            fleet_version: FORMAT_VERSION,
            rcaudit: first.rcaudit.clone(),
            file: first.file.clone(),
            shards: shards.into_keys().collect(),
            fail_on: first.fail_on.clone(),
            accounts: accounts.into_values().collect(),
            problems,
        })
    }

    /// How many accounts ended in each state, in words.
    fn tally(&self) -> String {
        let count = |state: State| self.accounts.iter().filter(|a| a.state == state).count();
        let mut parts = Vec::new();
        for (state, words) in [
            (State::Passed, "passed"),
            (State::Failed, "failed"),
            (State::NoVerdict, "without a verdict"),
            (State::Interrupted, "interrupted"),
        ] {
            let n = count(state);
            if n > 0 {
                parts.push(format!("{n} {words}"));
            }
        }
        let n = self.accounts.len();
        let shards = if self.shards == [Shard::ALL] {
            String::new()
        } else {
            format!(
                " (shard{} {} of the fleet file's {})",
                if self.shards.len() == 1 { "" } else { "s" },
                self.shards
                    .iter()
                    .map(|s| s.index.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                self.shards.first().map_or(1, |s| s.count)
            )
        };
        format!(
            "{n} account{}{shards}: {}",
            if n == 1 { "" } else { "s" },
            if parts.is_empty() {
                "none audited".to_owned()
            } else {
                parts.join(", ")
            }
        )
    }

    /// The summary as JSON (`schemas/fleet.schema.json`), with a final
    /// line feed.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The table a terminal shows: a row per account, the tally, then
    /// each account's problem and the summary's own.
    pub fn table(&self) -> String {
        let mut rows: Vec<Vec<String>> = vec![vec![
            "account".into(),
            "result".into(),
            "error".into(),
            "warning".into(),
            "info".into(),
            "not evaluated".into(),
            "fetch".into(),
            "requests".into(),
        ]];
        for account in &self.accounts {
            let (error, warning, info, skipped) = match &account.check {
                Some(c) => (
                    c.findings.error.to_string(),
                    c.findings.warning.to_string(),
                    c.findings.info.to_string(),
                    not_evaluated(c),
                ),
                None => ("-".into(), "-".into(), "-".into(), "-".into()),
            };
            let (time, requests) = match &account.fetch {
                Some(f) if f.earlier_run => ("earlier run".into(), "0".into()),
                Some(f) => (format!("{:.1} s", f.seconds), f.requests.to_string()),
                None => ("-".into(), "-".into()),
            };
            rows.push(vec![
                one_line(&account.name),
                account.state.word().into(),
                error,
                warning,
                info,
                skipped,
                time,
                requests,
            ]);
        }
        let mut out = aligned(&rows, 2);
        out.push('\n');
        out.push_str(&self.tally());
        out.push('\n');
        for account in &self.accounts {
            if let Some(problem) = &account.problem {
                let _ = writeln!(out, "  {}: {}", account.name, one_line(problem));
            }
        }
        for problem in &self.problems {
            let _ = writeln!(out, "error: {}", one_line(problem));
        }
        out
    }

    /// The summary as Markdown: a heading with the verdict, a table, and
    /// the problems.
    pub fn markdown(&self) -> String {
        let icon = match self.exit() {
            0 => "✅",
            1 => "⚠️",
            _ => "❌",
        };
        let mut out = format!("## {icon} rcaudit fleet: {}\n\n", self.tally());
        out.push_str(
            "| account | result | error | warning | info | not evaluated | fetch | requests |\n\
             |---|---|---:|---:|---:|---:|---:|---:|\n",
        );
        for account in &self.accounts {
            let (findings, skipped) = match &account.check {
                Some(c) => (
                    format!(
                        "{} | {} | {}",
                        c.findings.error, c.findings.warning, c.findings.info
                    ),
                    not_evaluated(c),
                ),
                None => ("– | – | –".to_owned(), "–".to_owned()),
            };
            let fetch = match &account.fetch {
                Some(f) if f.earlier_run => "earlier run | 0".to_owned(),
                Some(f) => format!("{:.1} s | {}", f.seconds, f.requests),
                None => "– | –".to_owned(),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {findings} | {skipped} | {fetch} |",
                code(&account.name),
                account.state.word()
            );
        }
        let problems: Vec<String> = self
            .accounts
            .iter()
            .filter_map(|a| {
                Some(format!(
                    "- {}: {}",
                    code(&a.name),
                    cell(a.problem.as_ref()?)
                ))
            })
            .chain(self.problems.iter().map(|p| format!("- **{}**", cell(p))))
            .collect();
        if !problems.is_empty() {
            out.push_str("\n### Problems\n\n");
            for line in problems {
                out.push_str(&line);
                out.push('\n');
            }
        }
        let _ = writeln!(
            out,
            "\nJudged by {}; fleet file {} ({} accounts).",
            code(&format!("--fail-on {}", self.fail_on)),
            code(&self.file.sha256),
            self.file.accounts
        );
        out
    }
}

/// Rows as a table for the terminal: columns two spaces apart, the first
/// `left` columns (names, words) aligned left and the rest (figures)
/// right, trailing spaces trimmed. Cells are shown as given: neutralise
/// what comes from outside first ([`one_line`] does).
pub fn aligned(rows: &[Vec<String>], left: usize) -> String {
    let mut widths: Vec<usize> = Vec::new();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            let width = cell.chars().count();
            match widths.get_mut(i) {
                Some(w) => *w = (*w).max(width),
                None => widths.push(width),
            }
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, (cell, width)) in row.iter().zip(&widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            if i < left {
                let _ = write!(line, "{cell:<width$}");
            } else {
                let _ = write!(line, "{cell:>width$}");
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Rules not evaluated, with those evaluated in part after a `+`.
fn not_evaluated(check: &Checked) -> String {
    if check.partly_evaluated > 0 {
        format!(
            "{} + {} in part",
            check.not_evaluated, check.partly_evaluated
        )
    } else {
        check.not_evaluated.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(name: &str, state: State, errors: usize) -> Account {
        Account {
            name: name.to_owned(),
            server: "https://platform.ringcentral.com".to_owned(),
            state,
            fetch: Some(Fetch {
                seconds: 12.25,
                requests: 266,
                rate_limited: 0,
                resumed_pieces: 0,
                earlier_run: false,
                errors: 0,
            }),
            check: (state != State::NoVerdict).then_some(Checked {
                findings: Counts {
                    error: errors,
                    warning: 2,
                    info: 0,
                },
                waived: 0,
                rules_run: 34,
                not_evaluated: 2,
                partly_evaluated: 0,
                rule_errors: 0,
            }),
            files: vec![format!("{name}/snapshot.json")],
            problem: (state == State::NoVerdict)
                .then(|| "the fetch failed: 401 <b>|x|</b>\u{1b}[2J".to_owned()),
        }
    }

    fn fleet(shard: Shard, accounts: Vec<Account>) -> Fleet {
        Fleet {
            fleet_version: FORMAT_VERSION,
            rcaudit: "0.1.0".to_owned(),
            file: FleetFile {
                path: "fleet.yaml".to_owned(),
                sha256: fingerprint(b"accounts: []"),
                accounts: 3,
            },
            shards: vec![shard],
            fail_on: "error".to_owned(),
            accounts,
            problems: Vec::new(),
        }
    }

    #[test]
    fn shards_split_names_stably_and_completely() {
        assert_eq!(Shard::parse("2/5"), Ok(Shard { index: 2, count: 5 }));
        for wrong in ["0/3", "4/3", "3", "a/b", "1/0", "-1/2"] {
            assert!(Shard::parse(wrong).is_err(), "{wrong}");
        }
        let names: Vec<String> = (0..300).map(|i| format!("account-{i}")).collect();
        let mut sizes = Vec::new();
        for index in 1..=4 {
            let shard = Shard { index, count: 4 };
            sizes.push(names.iter().filter(|n| shard.holds(n)).count());
        }
        // Every name in exactly one shard, and no shard starved.
        assert_eq!(sizes.iter().sum::<usize>(), 300);
        assert!(sizes.iter().all(|&n| n > 50), "{sizes:?}");
        for name in &names {
            assert_eq!(
                (1..=4)
                    .filter(|&i| Shard { index: i, count: 4 }.holds(name))
                    .count(),
                1
            );
        }
        assert!(names.iter().all(|n| Shard::ALL.holds(n)));
    }

    #[test]
    fn a_summary_reads_back_and_refuses_what_it_does_not_know() {
        let one = fleet(Shard::ALL, vec![account("alpha", State::Failed, 3)]);
        assert_eq!(Fleet::parse("f.json", &one.to_json()), Ok(one.clone()));
        let twice = one
            .to_json()
            .replacen("\"rcaudit\"", "\"rcaudit\": \"x\", \"rcaudit\"", 1);
        assert!(Fleet::parse("f.json", &twice).is_err_and(|e| e.contains("rcaudit")));
        let unknown = one
            .to_json()
            .replacen("\"rcaudit\"", "\"extra\": 1, \"rcaudit\"", 1);
        assert!(Fleet::parse("f.json", &unknown).is_err_and(|e| e.contains("extra")));
        let mut hostile = one.clone();
        hostile.accounts[0].name = "../etc".to_owned();
        assert!(Fleet::parse("f.json", &hostile.to_json()).is_err_and(|e| e.contains("named")));
        let mut doubled = one;
        doubled.accounts.push(doubled.accounts[0].clone());
        assert!(Fleet::parse("f.json", &doubled.to_json()).is_err_and(|e| e.contains("twice")));
    }

    #[test]
    fn a_name_is_a_folder_name_on_every_system() {
        for good in ["acme-eu.2", "a", "A_b-c.d", "console", "com10", "nullable"] {
            assert!(valid_name(good), "{good}");
        }
        for bad in [
            "",
            ".x",
            "-x",
            "a.",
            "a/b",
            "a b",
            "Fleet.JSON",
            "fleet.md",
            "CON",
            "nul.txt",
            "com1",
            "LPT9.log",
            "é",
        ] {
            assert!(!valid_name(bad), "{bad}");
        }
        assert!(!valid_name(&"a".repeat(65)));
    }

    #[test]
    fn a_summary_whose_rows_contradict_themselves_is_refused() {
        let good = fleet(
            Shard::ALL,
            vec![
                account("alpha", State::Failed, 3),
                account("beta", State::NoVerdict, 0),
            ],
        );
        assert!(Fleet::parse("f.json", &good.to_json()).is_ok());
        let refused = |change: &dyn Fn(&mut Fleet), words: &str| {
            let mut bad = good.clone();
            change(&mut bad);
            let error = Fleet::parse("f.json", &bad.to_json()).expect_err(words);
            assert!(error.contains(words), "{error}");
        };
        // A verdict its counts do not give, or without a check.
        refused(
            &|f| f.accounts[0].state = State::Passed,
            "is passed but its findings give failed",
        );
        refused(
            &|f| f.fail_on = "never".to_owned(),
            "is failed but its findings give passed",
        );
        refused(
            &|f| f.accounts[0].check = None,
            "has a verdict but no check",
        );
        refused(
            &|f| f.accounts[1].problem = None,
            "no verdict and no reason",
        );
        refused(
            &|f| f.fail_on = "sometimes".to_owned(),
            "`failOn` is `sometimes`",
        );
        refused(&|f| f.file.sha256 = "sha256:00".to_owned(), "64 hex digits");
        // An account its shard does not hold.
        let shard = Shard { index: 1, count: 2 };
        let elsewhere = if shard.holds("alpha") {
            "beta"
        } else {
            "alpha"
        };
        refused(
            &|f| f.shards = vec![shard],
            &format!("account `{elsewhere}` is not in its shards (1/2)"),
        );
    }

    #[test]
    fn a_problem_quoted_from_a_server_stays_on_its_line() {
        let mut one = fleet(Shard::ALL, vec![account("beta", State::NoVerdict, 0)]);
        one.accounts[0].problem = Some("401\nalpha    passed  0  0  0\tx".to_owned());
        let table = one.table();
        assert!(
            table.contains("  beta: 401 alpha    passed  0  0  0 x\n"),
            "{table}"
        );
        assert!(!table.lines().any(|l| l.starts_with("alpha")), "{table}");
    }

    #[test]
    fn a_merge_joins_shards_and_a_missing_one_fails_it() {
        let s = |index| Shard { index, count: 2 };
        let parts = vec![
            (
                "a".to_owned(),
                fleet(
                    s(1),
                    vec![
                        account("gamma", State::Passed, 0),
                        account("alpha", State::Failed, 3),
                    ],
                ),
            ),
            (
                "b".to_owned(),
                fleet(s(2), vec![account("beta", State::Passed, 0)]),
            ),
        ];
        let merged = Fleet::merge(&parts).expect("merged");
        assert!(merged.problems.is_empty(), "{:?}", merged.problems);
        assert_eq!(merged.shards, vec![s(1), s(2)]);
        let names: Vec<&str> = merged.accounts.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["alpha", "beta", "gamma"]);
        assert_eq!(merged.exit(), 1);

        let merged = Fleet::merge(&parts[..1]).expect("merged");
        assert_eq!(merged.exit(), 2);
        assert!(merged.problems[0].starts_with("shard 2/2 of this fleet file is missing"));

        let mut again = parts.clone();
        again.push(("c".to_owned(), parts[1].1.clone()));
        let merged = Fleet::merge(&again).expect("merged");
        assert_eq!(merged.exit(), 2);
        assert!(
            merged
                .problems
                .iter()
                .any(|p| p == "shard 2/2 is in both b and c")
        );

        let mut other = parts.clone();
        other[1].1.file.sha256 = fingerprint(b"another file");
        assert!(Fleet::merge(&other).is_err_and(|e| e.contains("different fleet files")));
        let mut counts = parts;
        counts[1].1.shards = vec![Shard { index: 2, count: 3 }];
        assert!(Fleet::merge(&counts).is_err_and(|e| e.contains("share their count")));
    }

    #[test]
    fn the_table_and_markdown_show_each_account_and_escape_what_they_quote() {
        let merged = fleet(
            Shard::ALL,
            vec![
                account("alpha", State::Failed, 3),
                account("beta", State::NoVerdict, 0),
                account("gamma", State::Passed, 0),
            ],
        );
        let table = merged.table();
        assert!(!table.contains('\u{1b}'), "{table}");
        let markdown = merged.markdown();
        assert!(!markdown.contains("<b>"), "{markdown}");
        assert!(markdown.contains("\\<b\\>\\|x\\|"), "{markdown}");
        assert_eq!(merged.exit(), 2);
        let mut expected = String::new();
        expected.push_str(
            "account  result      error  warning  info  not evaluated   fetch  requests\n",
        );
        expected.push_str(
            "alpha    failed          3        2     0              2  12.2 s       266\n",
        );
        expected.push_str(
            "beta     no verdict      -        -     -              -  12.2 s       266\n",
        );
        expected.push_str(
            "gamma    passed          0        2     0              2  12.2 s       266\n",
        );
        expected.push_str("\n3 accounts: 1 passed, 1 failed, 1 without a verdict\n");
        expected.push_str("  beta: the fetch failed: 401 <b>|x|</b>\\u{1b}[2J\n");
        assert_eq!(table, expected);
    }
}
