//! Waivers: accepted exceptions, with accountability and an expiry date.
//!
//! ```yaml
//! waivers:
//!   - rule: RC-PN-003
//!     item: phone:246715009            # a fingerprint, or the item key in it
//!     reason: The toll-free pair is a contractual requirement until the migration.
//!     owner: telecom@acme.example
//!     expires: 2027-03-31
//! ```
//!
//! They live under `waivers:` in `rcaudit.yaml` or in a file of their own
//! (`--waivers FILE`). Every problem (a missing reason or owner, a malformed
//! date, an unknown key or rule id) is reported at once with a span, like
//! rule files.

use std::fmt::{self, Write as _};

use miette::SourceSpan;
use rcaudit_model::SourceText;

use crate::keys;
use crate::problem::{Problem, ProblemCode};
use crate::rule::RuleSet;
use crate::suggest::suggest;
use crate::yaml::{self, Yaml, YamlValue};

pub use crate::keys::WAIVER_KEYS;

/// A calendar date (`YYYY-MM-DD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// The year.
    pub year: u16,
    /// The month, 1 to 12.
    pub month: u8,
    /// The day of the month, 1 to 31.
    pub day: u8,
}

impl Date {
    /// Parses `YYYY-MM-DD`, checking the day exists.
    pub fn parse(text: &str) -> Option<Date> {
        let mut parts = text.trim().splitn(3, '-');
        let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
        if year.len() != 4 || month.len() != 2 || day.len() != 2 {
            return None;
        }
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(year) || !all_digits(month) || !all_digits(day) {
            return None;
        }
        let date = Date {
            year: year.parse().ok()?,
            month: month.parse().ok()?,
            day: day.parse().ok()?,
        };
        (date.month >= 1 && date.month <= 12 && date.day >= 1 && date.day <= date.days_in_month())
            .then_some(date)
    }

    fn days_in_month(self) -> u8 {
        match self.month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            _ => {
                let leap = (self.year.is_multiple_of(4) && !self.year.is_multiple_of(100))
                    || self.year.is_multiple_of(400);
                if leap { 29 } else { 28 }
            }
        }
    }

    /// The date of a moment given as seconds since the Unix epoch (UTC).
    pub fn from_unix_seconds(seconds: u64) -> Date {
        // Days since 1970-01-01, then the civil-from-days algorithm
        // (Howard Hinnant's), exact for any date after the epoch.
        let days = i64::try_from(seconds / 86_400).unwrap_or(0);
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Date {
            year: u16::try_from(year).unwrap_or(u16::MAX),
            month: u8::try_from(month).unwrap_or(1),
            day: u8::try_from(day).unwrap_or(1),
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// An accepted exception.
#[derive(Debug, Clone)]
pub struct Waiver {
    /// The rule id.
    pub rule: String,
    /// A finding's fingerprint (`RC-PN-003:phone:246715009`) or its item key
    /// (`phone:246715009`).
    pub item: String,
    /// Why the exception is accepted.
    pub reason: String,
    /// Who answers for it: required in files ([`parse`], [`from_yaml`]
    /// refuse a waiver without one), so `Some` for every waiver read.
    pub owner: Option<String>,
    /// The last day it applies, if it expires.
    pub expires: Option<Date>,
    /// The file the waiver is in.
    pub src: SourceText,
    /// The waiver's entry in its file.
    pub span: SourceSpan,
    /// Its `rule:` value.
    pub rule_span: SourceSpan,
}

impl Waiver {
    /// Whether the waiver covers a finding of `rule` with `fingerprint`.
    pub fn covers(&self, rule: &str, fingerprint: &str) -> bool {
        self.rule == rule
            && (self.item == fingerprint
                || fingerprint
                    .strip_prefix(rule)
                    .and_then(|rest| rest.strip_prefix(':'))
                    .is_some_and(|key| key == self.item))
    }

    /// Whether the waiver has expired by `today` (it applies through its
    /// `expires` date).
    pub fn expired(&self, today: Date) -> bool {
        self.expires.is_some_and(|expires| expires < today)
    }

    /// `file:line` of the waiver.
    pub fn location(&self) -> String {
        format!(
            "{}:{}",
            self.src.name(),
            self.src.line_col(self.span.offset()).line
        )
    }
}

fn problem(src: &SourceText, span: SourceSpan, message: impl Into<String>) -> Problem {
    Problem::error(ProblemCode::Waivers, src, span, message)
}

/// Reads the `waivers:` list of a YAML node (a config's, or a waiver file's).
pub fn from_yaml(list: &Yaml, src: &SourceText, problems: &mut Vec<Problem>) -> Vec<Waiver> {
    let Some(items) = list.as_seq() else {
        if !matches!(list.value, YamlValue::Null) {
            problems.push(problem(
                src,
                list.span,
                format!("`waivers` is a list of waivers, not {}", list.kind()),
            ));
        }
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| waiver(item, src, problems))
        .collect()
}

/// One waiver; `None` (with the problems recorded) when it is not valid.
fn waiver(item: &Yaml, src: &SourceText, problems: &mut Vec<Problem>) -> Option<Waiver> {
    let Some(members) = item.as_map() else {
        problems.push(problem(
            src,
            item.span,
            "a waiver is a mapping with `rule`, `item`, `reason` and `owner`",
        ));
        return None;
    };
    let before = problems.len();
    for (key, _) in members {
        let name = key.as_str().unwrap_or_default();
        if keys::find(WAIVER_KEYS, name).is_none() {
            let p = problem(src, key.span, format!("unknown key `{name}` in a waiver"))
                .label("unknown key")
                .help(match suggest(name, keys::names(WAIVER_KEYS)) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!(
                        "a waiver has {}",
                        keys::names(WAIVER_KEYS).collect::<Vec<_>>().join(", ")
                    ),
                });
            problems.push(p);
        }
    }
    let anchor = members.first().map_or(item.span, |(k, _)| k.span);
    let rule = required(item, "rule", anchor, src, problems);
    let item_key = required(item, "item", anchor, src, problems);
    let reason = required(item, "reason", anchor, src, problems);
    let owner = required(item, "owner", anchor, src, problems);
    let expires = item
        .get("expires")
        .and_then(|value| expires(value, src, problems));
    if problems.len() > before {
        return None;
    }
    let ((rule, rule_span), (item_key, _), (reason, _), (owner, _)) =
        (rule?, item_key?, reason?, owner?);
    Some(Waiver {
        rule,
        item: item_key,
        reason,
        owner: Some(owner),
        expires,
        src: src.clone(),
        span: item.span,
        rule_span,
    })
}

/// A required text field of a waiver.
fn required(
    item: &Yaml,
    field: &str,
    anchor: SourceSpan,
    src: &SourceText,
    problems: &mut Vec<Problem>,
) -> Option<(String, SourceSpan)> {
    if let Some(value) = item.get(field) {
        return text(value, field, src, problems);
    }
    let help = match field {
        "reason" => "say why the exception is accepted: a waiver without a reason is not accepted",
        "item" => "name the item: a finding's fingerprint, or its item key (as in `--format json`)",
        "owner" => {
            "say who answers for the exception (a person or a team): a waiver without an owner is not accepted"
        }
        _ => "name the rule the waiver is for",
    };
    problems.push(
        problem(src, anchor, format!("a waiver needs `{field}`"))
            .label("in this waiver")
            .help(help),
    );
    None
}

/// A non-empty text field of a waiver.
fn text(
    value: &Yaml,
    field: &str,
    src: &SourceText,
    problems: &mut Vec<Problem>,
) -> Option<(String, SourceSpan)> {
    let message = match value.as_str() {
        Some(s) if !s.trim().is_empty() => return Some((s.trim().to_owned(), value.span)),
        Some(_) => format!("a waiver's `{field}` is empty"),
        None => format!("a waiver's `{field}` is text, not {}", value.kind()),
    };
    problems.push(problem(src, value.span, message));
    None
}

/// A waiver's `expires` date.
fn expires(value: &Yaml, src: &SourceText, problems: &mut Vec<Problem>) -> Option<Date> {
    let date = match &value.value {
        YamlValue::String(s) => Date::parse(s),
        _ => None,
    };
    if date.is_none() {
        let text = value.as_str().unwrap_or_default().trim();
        let label = match text.get(..7) {
            Some(month) if Date::parse(&format!("{month}-01")).is_some() && text.len() == 10 => {
                format!("{month} has no day {}", text.get(8..).unwrap_or_default())
            }
            _ => "not YYYY-MM-DD".to_owned(),
        };
        problems.push(
            problem(src, value.span, "`expires` is not a date")
                .label(label)
                .help("write the last day the waiver applies as YYYY-MM-DD, e.g. 2027-03-31"),
        );
    }
    date
}

/// Reads a waiver file: a mapping with a `waivers:` list.
///
/// Returns the valid waivers and a problem for each invalid one, so callers
/// can check the valid ones further and report every problem at once.
pub fn parse(name: &str, text: &str) -> (Vec<Waiver>, Vec<Problem>) {
    let src = SourceText::new(name, text);
    let doc = match yaml::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            let p = problem(&src, e.span, e.headline(name)).label(e.message);
            return (Vec::new(), vec![p]);
        }
    };
    let mut problems = Vec::new();
    let mut waivers = Vec::new();
    match doc.as_map() {
        Some(members) => {
            for (key, value) in members {
                match key.as_str().unwrap_or_default() {
                    "waivers" => waivers = from_yaml(value, &src, &mut problems),
                    other => problems.push(
                        problem(
                            &src,
                            key.span,
                            format!("unknown key `{other}` in a waiver file"),
                        )
                        .help("a waiver file holds `waivers:`, a list of waivers"),
                    ),
                }
            }
        }
        None if matches!(doc.value, YamlValue::Null) => {}
        None => problems.push(problem(
            &src,
            doc.span,
            "a waiver file is a mapping with `waivers:`",
        )),
    }
    (waivers, problems)
}

/// Problems with waivers for rules that do not exist.
pub fn check_rules(waivers: &[Waiver], rules: &RuleSet) -> Vec<Problem> {
    waivers
        .iter()
        .filter(|w| rules.rule(&w.rule).is_none())
        .map(|w| {
            let mut p = problem(
                &w.src,
                w.rule_span,
                format!("no rule has the id `{}`", w.rule),
            )
            .label("unknown rule");
            p = p.help(
                match suggest(&w.rule, rules.rules.iter().map(|r| r.id.as_str())) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "`rcaudit rules` lists the rule ids".to_owned(),
                },
            );
            p
        })
        .collect()
}

/// A waiver to add to a config file ([`add_to_config`]). Its texts are
/// trimmed, as the reader trims them, or they would not read back the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWaiver {
    /// The rule id.
    pub rule: String,
    /// The item key (`phone:246715009`), or a whole fingerprint.
    pub item: String,
    /// Why the exception is accepted.
    pub reason: String,
    /// Who answers for it.
    pub owner: String,
    /// The last day it applies.
    pub expires: Date,
}

impl NewWaiver {
    /// Whether `waiver` (as read back) is this one.
    pub fn is(&self, waiver: &Waiver) -> bool {
        waiver.rule == self.rule
            && waiver.item == self.item
            && waiver.reason == self.reason
            && waiver.owner.as_deref() == Some(self.owner.as_str())
            && waiver.expires == Some(self.expires)
    }

    /// The waiver as a block sequence item: the dash at column `dash`, the
    /// keys at column `keys`; each line ends with `newline`.
    fn block(&self, dash: usize, keys: usize, newline: &str) -> String {
        let gap = " ".repeat(keys.saturating_sub(dash + 1).max(1));
        let indent = " ".repeat(keys.max(dash + 2));
        let mut out = format!(
            "{}-{gap}rule: {}{newline}",
            " ".repeat(dash),
            scalar(&self.rule, false)
        );
        for (key, value) in [
            ("item", scalar(&self.item, false)),
            ("reason", scalar(&self.reason, false)),
            ("owner", scalar(&self.owner, false)),
            ("expires", self.expires.to_string()),
        ] {
            let _ = write!(out, "{indent}{key}: {value}{newline}");
        }
        out
    }

    /// The waiver as a flow mapping, for a list written `[...]`.
    fn flow(&self) -> String {
        format!(
            "{{rule: {}, item: {}, reason: {}, owner: {}, expires: {}}}",
            scalar(&self.rule, true),
            scalar(&self.item, true),
            scalar(&self.reason, true),
            scalar(&self.owner, true),
            self.expires
        )
    }
}

/// A string as a YAML scalar that reads back as exactly that string: plain
/// when that is unambiguous (`telecom@acme.example`, `phone:246715009` in
/// block context), else double-quoted with escapes.
fn scalar(text: &str, flow: bool) -> String {
    let bytes = text.as_bytes();
    let safe = |i: usize, b: u8| {
        b.is_ascii_alphanumeric()
            || matches!(b, b' ' | b'.' | b'_' | b'@' | b'/' | b'+' | b'-' | b'(' | b')' | b'\'')
            // `a:b` is text in block context; `: ` would start a mapping.
            || (b == b':'
                && !flow
                && bytes.get(i + 1).is_some_and(u8::is_ascii_alphanumeric))
    };
    let keyword = ["true", "false", "null", "y", "n", "yes", "no", "on", "off"]
        .iter()
        .any(|k| text.eq_ignore_ascii_case(k));
    let plain = bytes.first().is_some_and(u8::is_ascii_alphabetic)
        && !text.ends_with(' ')
        && !keyword
        && bytes.iter().enumerate().all(|(i, b)| safe(i, *b));
    if plain {
        return text.to_owned();
    }
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Byte offset of the start of the line holding `offset`.
fn line_start(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .and_then(|before| before.rfind('\n'))
        .map_or(0, |i| i + 1)
}

/// Byte offset just after the line holding `offset` (after its newline,
/// or the end of the text).
fn line_end(text: &str, offset: usize) -> usize {
    text.get(offset..)
        .and_then(|rest| rest.find('\n'))
        .map_or(text.len(), |i| offset + i + 1)
}

/// The column (in bytes) of `offset` in its line.
fn column(text: &str, offset: usize) -> usize {
    offset - line_start(text, offset)
}

/// The offset of the bracket that closes the flow collection opened at
/// `open` (`[` or `{`), skipping quoted text and comments; `None` if it is
/// not closed.
fn matching_close(text: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut chars = text.get(open..)?.char_indices().peekable();
    let mut previous = ' ';
    while let Some((i, c)) = chars.next() {
        match c {
            '[' | '{' => depth += 1,
            ']' | '}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(open + i);
                }
            }
            '\'' => {
                // '' is a quote inside single quotes.
                while let Some((_, q)) = chars.next() {
                    if q == '\'' && chars.next_if(|(_, n)| *n == '\'').is_none() {
                        break;
                    }
                }
            }
            '"' => {
                while let Some((_, q)) = chars.next() {
                    match q {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '#' if previous.is_whitespace() => {
                while chars.next_if(|(_, n)| *n != '\n').is_some() {}
            }
            _ => {}
        }
        previous = c;
    }
    None
}

/// The furthest byte any part of `node` reaches.
fn reach(node: &Yaml) -> usize {
    let own = node.span.offset() + node.span.len();
    match &node.value {
        YamlValue::Seq(items) => items.iter().map(reach).fold(own, usize::max),
        YamlValue::Map(members) => members
            .iter()
            .map(|(k, v)| reach(k).max(reach(v)))
            .fold(own, usize::max),
        _ => own,
    }
}

/// Inserts `insert` at `at`, starting a new line first if `at` is the end
/// of a text without a final newline.
fn insert_line(text: &str, at: usize, insert: &str, newline: &str) -> String {
    let (before, after) = text.split_at(at.min(text.len()));
    let mut out = String::with_capacity(text.len() + insert.len() + 2);
    out.push_str(before);
    if !before.is_empty() && !before.ends_with('\n') {
        out.push_str(newline);
    }
    out.push_str(insert);
    out.push_str(after);
    out
}

/// `waiver` added after the last item of a block list (and the lines
/// indented under it: its comments, a long text), with the first item's
/// indentation, before what follows the list.
fn after_last_item(text: &str, items: &[Yaml], waiver: &NewWaiver, newline: &str) -> String {
    let (Some(first), Some(final_item)) = (items.first(), items.last()) else {
        return insert_line(text, text.len(), &waiver.block(2, 4, newline), newline);
    };
    // The first item's dash and keys give the layout.
    let first_start = first
        .as_map()
        .and_then(|m| m.first())
        .map_or(first.span.offset(), |(k, _)| k.span.offset());
    let keys = column(text, first_start);
    let dash = text
        .get(line_start(text, first_start)..first_start)
        .and_then(|prefix| prefix.rfind('-'))
        .unwrap_or(keys.saturating_sub(2));
    // After the last item, with the lines indented under it (its
    // comments, a long text), before what follows the list.
    let mut at = line_end(
        text,
        reach(final_item)
            .saturating_sub(1)
            .max(final_item.span.offset()),
    );
    let mut probe = at;
    while probe < text.len() {
        let next = line_end(text, probe);
        let line = text.get(probe..next).unwrap_or_default();
        let content = line.trim_start_matches(' ');
        if content.trim().is_empty() {
            probe = next;
            continue;
        }
        if line.len() - content.len() <= dash {
            break;
        }
        at = next;
        probe = next;
    }
    insert_line(text, at, &waiver.block(dash, keys, newline), newline)
}

/// Adds `waiver` to the `waivers:` list of a config file's text, changing
/// nothing else: comments, order and layout stay as they are. The list may
/// be missing (`waivers:` is added at the end), empty (`waivers:`,
/// `waivers: []`), a block list (the item goes after the last one, with its
/// indentation) or a flow list (`[...]`: a flow mapping goes before `]`).
///
/// The result is not checked here: the caller reads it back with the config
/// reader and refuses to write it if it does not give the waiver.
pub fn add_to_config(text: &str, waiver: &NewWaiver) -> Result<String, String> {
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let doc = yaml::parse(text).map_err(|e| e.message)?;
    let members = match &doc.value {
        YamlValue::Map(members) => members.as_slice(),
        YamlValue::Null => &[],
        _ => return Err(format!("the config is {}, not a mapping", doc.kind())),
    };
    let Some((key, list)) = members
        .iter()
        .find(|(key, _)| key.as_str() == Some("waivers"))
    else {
        // No `waivers:` yet: a new key at the end, aligned with the others.
        let indent = members
            .first()
            .map_or(0, |(key, _)| column(text, key.span.offset()));
        let mut block = format!("{}waivers:{newline}", " ".repeat(indent));
        block.push_str(&waiver.block(indent + 2, indent + 4, newline));
        return Ok(insert_line(text, text.len(), &block, newline));
    };
    let key_column = column(text, key.span.offset());
    let key_line_end = |text: &str| line_end(text, key.span.offset());
    let start = list.span.offset();
    let flow = text.get(start..).is_some_and(|rest| rest.starts_with('['));
    // A flow list ends at its `]` (its span is only the `[`).
    let close = if flow {
        matching_close(text, start).ok_or("the `waivers` list has no closing `]`")?
    } else {
        start
    };
    let end = if flow {
        close + 1
    } else {
        start + list.span.len()
    };
    match &list.value {
        YamlValue::Seq(items) if flow && !items.is_empty() => {
            // Before the closing bracket, after a comma unless one is there.
            let before = text.get(..close).unwrap_or_default().trim_end();
            let separator = if before.ends_with(',') { " " } else { ", " };
            let at = before.len();
            Ok(format!(
                "{}{separator}{}{}",
                text.get(..at).unwrap_or_default(),
                waiver.flow(),
                text.get(at..).unwrap_or_default()
            ))
        }
        YamlValue::Seq(items) if !flow && !items.is_empty() => {
            Ok(after_last_item(text, items, waiver, newline))
        }
        YamlValue::Seq(_) | YamlValue::Null => {
            // `waivers: []`, `waivers: ~` or nothing: the value goes, and
            // the list follows the key's line (its comment stays on it).
            let mut text = text.to_owned();
            let value = text.get(start..end).unwrap_or_default();
            if end > start
                && (flow || matches!(value, "~" | "null" | "Null" | "NULL"))
                && start >= key.span.offset()
            {
                text.replace_range(start..end, "");
                // No space left at the end of the key's line.
                let line = key_line_end(&text);
                let body = text
                    .get(..line)
                    .unwrap_or_default()
                    .trim_end_matches(['\n', '\r']);
                let trimmed = body.trim_end_matches(' ').len();
                if trimmed < body.len() {
                    text.replace_range(trimmed..body.len(), "");
                }
            }
            let at = key_line_end(&text);
            Ok(insert_line(
                &text,
                at,
                &waiver.block(key_column + 2, key_column + 4, newline),
                newline,
            ))
        }
        _ => Err(format!("`waivers` is {}, not a list", list.kind())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(
            Date::parse("2027-03-31"),
            Some(Date {
                year: 2027,
                month: 3,
                day: 31
            })
        );
        assert_eq!(
            Date::parse("2028-02-29").map(|d| d.day),
            Some(29),
            "a leap year"
        );
        for bad in [
            "2027-02-29",
            "2027-13-01",
            "2027-3-1",
            "31/03/2027",
            "2027-03-31T00:00",
            "",
            "2027-04-31",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
        assert_eq!(Date::from_unix_seconds(0).to_string(), "1970-01-01");
        assert_eq!(
            Date::from_unix_seconds(1_795_824_000 + 86_399).to_string(),
            "2026-11-28"
        );
        assert_eq!(
            Date::from_unix_seconds(951_782_400).to_string(),
            "2000-02-29"
        );
    }

    #[test]
    fn every_problem_is_reported() {
        let text = "waivers:\n  - rule: RC-PN-003\n    item: phone:1\n    reason: ok\n    owner: me\n  - rule: RC-PN-001\n    item: account:1\n    owner: me\n  - rule: RC-FW-001\n    item: ext:2\n    reason: r\n    owner: me\n    expires: 2027-02-30\n    ownr: me\n";
        let (valid, problems) = parse("waivers.yaml", text);
        assert_eq!(valid.len(), 1, "the first waiver is valid");
        let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "a waiver needs `reason`",
                "unknown key `ownr` in a waiver",
                "`expires` is not a date"
            ]
        );
        assert_eq!(
            problems.last().map(|p| p.label.as_str()),
            Some("2027-02 has no day 30")
        );
    }

    #[test]
    fn a_waiver_without_an_owner_is_refused_where_it_is() {
        let text = "waivers:\n  - rule: RC-PN-003\n    item: phone:1\n    reason: contractual\n    expires: 2027-01-31\n  - {rule: RC-PN-001, item: 'account:1', reason: r, owner: '  '}\n";
        let (valid, problems) = parse("w.yaml", text);
        assert!(valid.is_empty(), "neither waiver is accepted");
        let found: Vec<(&str, &str)> = problems
            .iter()
            .map(|p| {
                let span = p.span;
                (
                    p.message.as_str(),
                    &text[span.offset()..span.offset() + span.len()],
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                // The missing key: at the waiver's first key.
                ("a waiver needs `owner`", "rule"),
                // An owner that is blank: at the value.
                ("a waiver's `owner` is empty", "'  '"),
            ]
        );
        assert!(
            problems[0]
                .help
                .as_deref()
                .is_some_and(|h| h.contains("who answers")),
            "{:?}",
            problems[0].help
        );
    }

    fn new_waiver(reason: &str) -> NewWaiver {
        NewWaiver {
            rule: "RC-PN-003".to_owned(),
            item: "phone:246715009".to_owned(),
            reason: reason.to_owned(),
            owner: "telecom@acme.example".to_owned(),
            expires: Date::parse("2027-03-31").expect("a date"),
        }
    }

    /// Adds the waiver and reads the result back with the config reader:
    /// the new waiver is the last one, and the others are as they were.
    fn added(text: &str, waiver: &NewWaiver) -> String {
        let before = crate::config::parse("rcaudit.yaml", text).expect("the original loads");
        let out = add_to_config(text, waiver).expect("added");
        let after = crate::config::parse("rcaudit.yaml", &out)
            .unwrap_or_else(|e| panic!("{e:?}\n---\n{out}"));
        assert_eq!(after.waivers.len(), before.waivers.len() + 1, "{out}");
        assert!(waiver.is(after.waivers.last().expect("one")), "{out}");
        for (old, new) in before.waivers.iter().zip(&after.waivers) {
            assert_eq!(
                (&old.rule, &old.item, &old.reason),
                (&new.rule, &new.item, &new.reason)
            );
        }
        out
    }

    const ENTRY: &str = "  - rule: RC-PN-003\n    item: phone:246715009\n    reason: Contractual until the migration.\n    owner: telecom@acme.example\n    expires: 2027-03-31\n";

    #[test]
    fn a_waiver_is_added_keeping_comments_and_layout() {
        let w = new_waiver("Contractual until the migration.");
        // No `waivers:` key: one at the end (and a final newline first).
        let text = "# yaml-language-server: $schema=x\npacks: [core]   # the pack\nfailOn: warning";
        assert_eq!(added(text, &w), format!("{text}\nwaivers:\n{ENTRY}"));
        assert_eq!(added("", &w), format!("waivers:\n{ENTRY}"));
        assert_eq!(
            added("# only a comment\n", &w),
            format!("# only a comment\nwaivers:\n{ENTRY}")
        );
        // `waivers: []`: the brackets go, the comment stays on its line.
        assert_eq!(
            added(
                "packs: [core]\nwaivers: []   # none yet\nfailOn: error\n",
                &w
            ),
            format!("packs: [core]\nwaivers:    # none yet\n{ENTRY}failOn: error\n")
        );
        // `waivers:` with nothing, or `~`.
        assert_eq!(
            added("waivers:\n# the end\n", &w),
            format!("waivers:\n{ENTRY}# the end\n")
        );
        assert_eq!(
            added("waivers: []\n", &w),
            format!("waivers:\n{ENTRY}"),
            "no space is left at the end of the line"
        );
        assert_eq!(
            added("waivers: ~\nfailOn: error\n", &w),
            format!("waivers:\n{ENTRY}failOn: error\n")
        );
        // A block list: after the last item and what is indented under it.
        let list = "waivers:\n  # the pair\n  - rule: RC-PN-001\n    item: account:1\n    reason: >\n      a long\n      text\n    owner: me   # me\n\n    # still the first's\n\n# next\nfailOn: error\n";
        assert_eq!(
            added(list, &w),
            list.replace(
                "# still the first's\n",
                &format!("# still the first's\n{ENTRY}")
            )
        );
        // Its own indentation: dashes at column 0, keys at 4.
        let compact =
            "waivers:\n-   rule: RC-PN-001\n    item: account:1\n    reason: r\n    owner: me\n";
        assert_eq!(
            added(compact, &w),
            format!(
                "{compact}-   rule: RC-PN-003\n    item: phone:246715009\n    reason: Contractual until the migration.\n    owner: telecom@acme.example\n    expires: 2027-03-31\n"
            )
        );
        // A flow list: a flow mapping before `]`.
        assert_eq!(
            added(
                "waivers: [{rule: RC-PN-001, item: 'account:1', reason: r, owner: me}]  # c\n",
                &w
            ),
            "waivers: [{rule: RC-PN-001, item: 'account:1', reason: r, owner: me}, {rule: RC-PN-003, item: \"phone:246715009\", reason: Contractual until the migration., owner: telecom@acme.example, expires: 2027-03-31}]  # c\n"
        );
        // Windows line endings stay Windows line endings.
        let crlf = added("packs: [core]\r\nwaivers:\r\n", &w);
        assert_eq!(
            crlf.matches('\n').count(),
            crlf.matches("\r\n").count(),
            "{crlf:?}"
        );
    }

    #[test]
    fn texts_that_are_not_plain_are_quoted_and_read_back_exactly() {
        for reason in [
            "true",
            "2027",
            "key: value # not a comment",
            "- a list?",
            "\"quoted\" and \\ back",
            "two\nlines\tand a tab",
            "bell \u{7} and C1 \u{85} and \u{2028} and DEL \u{7f}",
            "-starts with a dash",
            "@at, %percent, &amp, *star, !bang, `tick`, |pipe, >gt",
            "[flow] {map}, comma",
            "café, naïve",
        ] {
            let w = new_waiver(reason);
            added("packs: [core]\n", &w);
            added(
                "waivers: [{rule: RC-PN-001, item: 'account:1', reason: r, owner: me}]\n",
                &w,
            );
        }
    }

    #[test]
    fn layouts_it_cannot_edit_are_refused_not_mangled() {
        let w = new_waiver("r");
        assert!(add_to_config("- a list\n", &w).is_err());
        assert!(add_to_config("waivers: {a: 1}\n", &w).is_err());
        assert!(add_to_config("a: [\n", &w).is_err());
    }

    #[test]
    fn covers_by_fingerprint_or_item_key() {
        let (waivers, problems) = parse(
            "w.yaml",
            "waivers:\n  - {rule: RC-PN-003, item: 'phone:1', reason: r, owner: me, expires: '2027-01-31'}\n",
        );
        assert!(problems.is_empty());
        let w = &waivers[0];
        assert!(w.covers("RC-PN-003", "RC-PN-003:phone:1"));
        assert!(!w.covers("RC-PN-003", "RC-PN-003:phone:12"));
        assert!(!w.covers("RC-PN-001", "RC-PN-001:phone:1"));
        assert!(
            !w.expired(Date {
                year: 2027,
                month: 1,
                day: 31
            }),
            "applies through its date"
        );
        assert!(w.expired(Date {
            year: 2027,
            month: 2,
            day: 1
        }));
    }
}
