//! `--format html`: one self-contained page for people who would rather
//! look than read diagnostics. It opens from disk with no network: the
//! style, the script and the charts (SVG) are inline, and its
//! Content-Security-Policy allows nothing else (no connection, no image, no
//! font, no frame; the one script and the one style sheet by their hashes).
//!
//! What needs no script is written here, as HTML: the verdict and counts,
//! what could not be checked, the charts, each rule's documentation and the
//! snapshot's provenance. The findings table and the per-extension view,
//! which must stay usable at 100,000 findings, are drawn by the page's
//! script (`report.js`) a page at a time from a JSON document embedded in
//! the page (`<script type="application/json">`, read with `JSON.parse`,
//! never run).
//!
//! All text comes from the snapshot, rules, waivers or a server, so all of
//! it is untrusted. Here it is neutralised ([`crate::text::neutralize`])
//! and escaped for HTML ([`escape`]); in the embedded document every `<`,
//! `>` and `&` is a JSON escape, so nothing in a string can close the
//! script element; the script puts text on the page only through
//! `textContent` and attribute setters, never as markup.

mod charts;
mod data;
mod inventory;
mod page;

use std::collections::HashMap;
use std::fmt::Write as _;

use rcaudit_rules::Severity;

pub use inventory::{Extension, FetchError, Inventory, Provenance};

use crate::Report;
use crate::text::neutralize;

/// What the HTML report needs besides the report and the inventory.
#[derive(Debug, Clone, Copy)]
pub struct HtmlOptions {
    /// The `--fail-on` threshold (`None`: never), for the verdict.
    pub fail_on: Option<Severity>,
}

impl Default for HtmlOptions {
    fn default() -> Self {
        HtmlOptions {
            fail_on: Some(Severity::Error),
        }
    }
}

/// The page's style sheet and script, inlined into every report.
const STYLE: &str = include_str!("report.css");
const SCRIPT: &str = include_str!("report.js");

/// What several parts of the page read, worked out once: the extension
/// each finding is about (the table, the extension view and a chart), and
/// each rule's findings with their severity (a chart and the rule docs).
struct Tally<'a> {
    /// For each finding, in report order, the index of its extension.
    extension: Vec<Option<usize>>,
    /// Findings per rule id, with the severity of its first finding.
    per_rule: HashMap<&'a str, (Severity, usize)>,
}

impl<'a> Tally<'a> {
    fn new(report: &'a Report, inventory: &Inventory) -> Tally<'a> {
        let mut per_rule: HashMap<&str, (Severity, usize)> = HashMap::new();
        for located in &report.findings {
            let f = &located.finding;
            per_rule.entry(&f.rule_id).or_insert((f.severity, 0)).1 += 1;
        }
        Tally {
            extension: report
                .findings
                .iter()
                .map(|l| inventory.extension_of(&l.finding.pointer))
                .collect(),
            per_rule,
        }
    }

    /// How many findings a rule has.
    fn count(&self, rule: &str) -> usize {
        self.per_rule.get(rule).map_or(0, |(_, n)| *n)
    }
}

/// The report as one HTML document.
pub fn render(report: &Report, inventory: &Inventory, options: &HtmlOptions) -> String {
    let tally = Tally::new(report, inventory);
    let data = data::document(report, inventory, &tally);
    let mut out = String::with_capacity(data.len() + STYLE.len() + SCRIPT.len() + 64 * 1024);
    page::head(&mut out, report, STYLE, SCRIPT);
    page::header(&mut out, report, *options);
    out.push_str("<main>\n");
    page::summary(&mut out, report);
    charts::section(&mut out, report, inventory, &tally);
    page::findings(&mut out, report);
    page::extensions(&mut out, inventory);
    page::rules(&mut out, report, &tally);
    page::provenance(&mut out, report, inventory);
    out.push_str("</main>\n");
    let _ = writeln!(
        out,
        "<footer><p>Written by rcaudit {}.</p></footer>",
        escape(&report.version)
    );
    let _ = writeln!(
        out,
        "<script type=\"application/json\" id=\"rcaudit-data\">{data}</script>"
    );
    let _ = writeln!(out, "<script>{SCRIPT}</script>\n</body>\n</html>");
    out
}

/// Untrusted text for HTML, in an element or a quoted attribute:
/// neutralised, then `&`, `<`, `>`, `"` and `'` written as references.
pub fn escape(text: &str) -> String {
    let text = neutralize(text);
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A rule id as an element id and fragment (`rule-RC-PN-003`): ASCII
/// letters, digits and `-` kept, any other byte written as `_XX` (hex), so every id is a valid, distinct fragment. The script
/// builds the same ids (`ruleAnchor` in `report.js`).
pub fn rule_anchor(id: &str) -> String {
    let mut out = String::from("rule-");
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "_{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests;
