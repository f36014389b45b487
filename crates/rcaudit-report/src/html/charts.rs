//! The charts, as inline SVG bar charts: findings by severity, by rule,
//! and extensions with findings by extension type. Each chart is an image
//! with a text alternative listing its values, so a screen reader reads
//! the numbers the bars show.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rcaudit_rules::Severity;

use super::{Inventory, Tally, escape};
use crate::Report;

/// One bar: its label, value and colour class. (Bars are not links: a
/// chart is one image to assistive technology, which cannot hold
/// controls; the rules are linked from the findings and the summary.)
struct Bar {
    label: String,
    value: usize,
    class: String,
}

/// Rules shown by name in the by-rule chart; the rest share one bar.
const MAX_RULE_BARS: usize = 15;
/// Characters of a label shown before it is cut (the whole label is the
/// bar's tooltip and is in the text alternative).
const MAX_LABEL: usize = 22;

const WIDTH: usize = 560;
const LABEL_WIDTH: usize = 180;
const BAR_SPACE: usize = 320;
const ROW: usize = 24;

/// The charts' section.
pub fn section(out: &mut String, report: &Report, inventory: &Inventory, tally: &Tally<'_>) {
    out.push_str(
        "<section id=\"charts\" aria-labelledby=\"charts-h\">\n<h2 id=\"charts-h\">Charts</h2>\n\
         <div class=\"charts\">\n",
    );
    let by_severity: Vec<Bar> = [Severity::Error, Severity::Warning, Severity::Info]
        .into_iter()
        .map(|s| Bar {
            label: s.to_string(),
            value: report.count(s),
            class: format!("sev-{s}"),
        })
        .collect();
    chart(out, "chart-severity", "Findings by severity", &by_severity);
    chart(out, "chart-rules", "Findings by rule", &by_rule(tally));
    chart(
        out,
        "chart-types",
        "Extensions with findings, by extension type",
        &by_type(inventory, tally),
    );
    out.push_str("</div>\n</section>\n");
}

fn by_rule(tally: &Tally<'_>) -> Vec<Bar> {
    let mut counts: Vec<(&str, Severity, usize)> = tally
        .per_rule
        .iter()
        .map(|(id, (severity, n))| (*id, *severity, *n))
        .collect();
    counts.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(b.0)));
    let mut bars: Vec<Bar> = counts
        .iter()
        .take(MAX_RULE_BARS)
        .map(|(id, severity, n)| Bar {
            label: (*id).to_owned(),
            value: *n,
            class: format!("sev-{severity}"),
        })
        .collect();
    let rest: Vec<_> = counts.iter().skip(MAX_RULE_BARS).collect();
    if !rest.is_empty() {
        bars.push(Bar {
            label: format!("{} other rules", rest.len()),
            value: rest.iter().map(|r| r.2).sum(),
            class: "other".to_owned(),
        });
    }
    bars
}

fn by_type(inventory: &Inventory, tally: &Tally<'_>) -> Vec<Bar> {
    let mut with = vec![false; inventory.extensions.len()];
    for &i in tally.extension.iter().flatten() {
        if let Some(slot) = with.get_mut(i) {
            *slot = true;
        }
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (extension, _) in inventory.extensions.iter().zip(&with).filter(|(_, w)| **w) {
        let kind = if extension.kind.is_empty() {
            "(no type)"
        } else {
            &extension.kind
        };
        *counts.entry(kind).or_default() += 1;
    }
    let mut counts: Vec<_> = counts.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    counts
        .into_iter()
        .map(|(kind, n)| Bar {
            label: kind.to_owned(),
            value: n,
            class: "kind".to_owned(),
        })
        .collect()
}

/// Text cut to `MAX_LABEL` characters, with an ellipsis when cut.
fn short(label: &str) -> String {
    if label.chars().count() <= MAX_LABEL {
        label.to_owned()
    } else {
        let cut: String = label.chars().take(MAX_LABEL - 1).collect();
        format!("{cut}…")
    }
}

/// One horizontal bar chart, in a figure with its caption.
fn chart(out: &mut String, id: &str, caption: &str, bars: &[Bar]) {
    let _ = write!(
        out,
        "<figure class=\"chart\" id=\"{id}\">\n<figcaption id=\"{id}-c\">{caption}</figcaption>\n"
    );
    if bars.iter().all(|b| b.value == 0) {
        out.push_str("<p class=\"none\">None.</p>\n</figure>\n");
        return;
    }
    let max = bars.iter().map(|b| b.value).max().unwrap_or(1).max(1);
    let alternative: Vec<String> = bars
        .iter()
        .map(|b| format!("{}: {}", b.label, b.value))
        .collect();
    let height = bars.len() * ROW + 8;
    let _ = writeln!(
        out,
        "<svg role=\"img\" aria-labelledby=\"{id}-c {id}-d\" viewBox=\"0 0 {WIDTH} {height}\" \
         width=\"{WIDTH}\" height=\"{height}\" xmlns=\"http://www.w3.org/2000/svg\">\n\
         <desc id=\"{id}-d\">{}</desc>",
        escape(&alternative.join("; "))
    );
    for (i, bar) in bars.iter().enumerate() {
        let y = i * ROW + 4;
        let width = (bar.value * BAR_SPACE).div_ceil(max).max(1);
        let label = escape(&short(&bar.label));
        let _ = writeln!(
            out,
            "<g class=\"bar {class}\" data-label=\"{full}\" data-value=\"{value}\">\
             <title>{full}: {value}</title>\
             <text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\">{label}</text>\
             <rect x=\"{LABEL_WIDTH}\" y=\"{y}\" width=\"{width}\" height=\"{h}\" rx=\"2\"></rect>\
             <text x=\"{vx}\" y=\"{ty}\" class=\"value\">{value}</text></g>",
            class = escape(&bar.class),
            full = escape(&bar.label),
            value = bar.value,
            lx = LABEL_WIDTH - 8,
            ty = y + 14,
            h = ROW - 6,
            vx = LABEL_WIDTH + width + 6,
        );
    }
    out.push_str("</svg>\n</figure>\n");
}
