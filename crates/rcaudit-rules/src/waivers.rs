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

use std::fmt;

use miette::SourceSpan;
use rcaudit_model::SourceText;

use crate::load::suggest;
use crate::problem::Problem;
use crate::rule::RuleSet;
use crate::yaml::{self, Yaml, YamlValue};

/// The keys of a waiver.
pub const WAIVER_KEYS: &[&str] = &["rule", "item", "reason", "owner", "expires"];

/// A calendar date (`YYYY-MM-DD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: u16,
    pub month: u8,
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
    pub rule: String,
    /// A finding's fingerprint (`RC-PN-003:phone:246715009`) or its item key
    /// (`phone:246715009`).
    pub item: String,
    pub reason: String,
    /// Who answers for it: required in files ([`parse`], [`from_yaml`]
    /// refuse a waiver without one), so `Some` for every waiver read.
    pub owner: Option<String>,
    pub expires: Option<Date>,
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
    Problem::error("rcaudit::waivers", src, span, message)
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
        if !WAIVER_KEYS.contains(&name) {
            let p = problem(src, key.span, format!("unknown key `{name}` in a waiver"))
                .label("unknown key")
                .help(match suggest(name, WAIVER_KEYS.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("a waiver has {}", WAIVER_KEYS.join(", ")),
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
