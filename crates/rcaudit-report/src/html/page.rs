//! The page's parts written as HTML: head, verdict, summary, the frames
//! the script fills (findings, extensions), rule documentation and
//! provenance. Every piece of data goes through [`escape`].

use std::fmt::Write as _;

use base64::Engine as _;
use rcaudit_rules::Severity;
use sha2::{Digest as _, Sha256};

use super::{HtmlOptions, Inventory, Tally, escape, rule_anchor};
use crate::{BaselineState, Located, Report};

/// A CSP source naming an inline element by its content's hash.
fn hash_source(content: &str) -> String {
    let digest = Sha256::digest(content.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The document's start: metadata, the policy and the style sheet.
pub fn head(out: &mut String, report: &Report, style: &str, script: &str) {
    // Nothing may be loaded or sent: no `connect-src`, `img-src` (the
    // charts are inline SVG), `font-src`, `frame-src` or `form-action`.
    let policy = format!(
        "default-src 'none'; script-src {}; style-src {}; base-uri 'none'; form-action 'none'",
        hash_source(script),
        hash_source(style)
    );
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{policy}\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"generator\" content=\"rcaudit {version}\">\n\
         <title>rcaudit: {path}</title>\n<style>{style}</style>\n</head>\n<body>\n\
         <a class=\"skip\" href=\"#findings\">Skip to the findings</a>\n",
        version = escape(&report.version),
        path = escape(&report.snapshot.path),
    );
}

/// What the verdict is, in words, and whether it fails.
fn verdict(report: &Report, options: HtmlOptions) -> (bool, String) {
    if !report.rule_errors.is_empty() {
        let n = report.rule_errors.len();
        return (
            true,
            format!(
                "Incomplete: {n} rule error{} (a rule failed while running, so the audit is \
                 incomplete).",
                plural(n)
            ),
        );
    }
    let Some(threshold) = options.fail_on else {
        return (false, "Passes: --fail-on never.".to_owned());
    };
    let failing = report
        .counted()
        .filter(|l| l.finding.severity >= threshold)
        .count();
    if failing > 0 {
        (
            true,
            format!(
                "Fails: {failing} finding{} of severity {threshold} or above.",
                plural(failing)
            ),
        )
    } else {
        (
            false,
            format!("Passes: no finding of severity {threshold} or above counts."),
        )
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The title, the verdict and the table of contents.
pub fn header(out: &mut String, report: &Report, options: HtmlOptions) {
    let (fails, text) = verdict(report, options);
    let (whole, partial) = report.not_evaluated_counts();
    let _ = write!(
        out,
        "<header>\n<h1>rcaudit report <span class=\"path\">{path}</span></h1>\n\
         <p id=\"verdict\" class=\"verdict {class}\" data-fails=\"{fails}\">{text}</p>\n\
         <p class=\"meta\">{ran} of {enabled} rules ran; {whole} not evaluated, {partial} \
         evaluated in part (missing data is never passed).{account}{captured}</p>\n\
         <nav aria-label=\"Sections\"><ul>\
         <li><a href=\"#summary\">Summary</a></li><li><a href=\"#charts\">Charts</a></li>\
         <li><a href=\"#findings\">Findings</a></li><li><a href=\"#extensions\">Extensions</a></li>\
         <li><a href=\"#rules\">Rules</a></li><li><a href=\"#provenance\">Provenance</a></li>\
         </ul></nav>\n</header>\n",
        path = escape(&report.snapshot.path),
        class = if fails { "fail" } else { "pass" },
        text = escape(&text),
        ran = report.rules_run,
        enabled = report.rules.len(),
        account = report
            .snapshot
            .account_id
            .as_ref()
            .map_or_else(String::new, |id| format!(" Account {}.", escape(id))),
        captured = report
            .snapshot
            .captured_at
            .as_ref()
            .map_or_else(String::new, |at| format!(" Captured {}.", escape(at))),
    );
}

/// Which findings a row of the counts table counts.
type Keep = fn(&Located) -> bool;

const SEVERITIES: [Severity; 3] = [Severity::Error, Severity::Warning, Severity::Info];

/// Counts by severity, what could not be checked, rule errors, the
/// baseline and waivers to review.
pub fn summary(out: &mut String, report: &Report) {
    out.push_str(
        "<section id=\"summary\" aria-labelledby=\"summary-h\">\n<h2 id=\"summary-h\">Summary</h2>\n\
         <table class=\"counts\" id=\"counts\">\n<caption>Findings by severity</caption>\n\
         <thead><tr><td></td><th scope=\"col\">error</th><th scope=\"col\">warning</th>\
         <th scope=\"col\">info</th><th scope=\"col\">total</th></tr></thead>\n<tbody>\n",
    );
    let rows: [(&str, &str, Keep); 4] = [
        ("all", "found", |_| true),
        (
            "counted",
            "counted (not waived, not in the baseline)",
            Located::counts,
        ),
        ("waived", "waived", |l| l.waived.is_some()),
        ("baseline", "in the baseline", |l| {
            l.waived.is_none() && l.baseline == Some(BaselineState::Old)
        }),
    ];
    for (key, label, keep) in rows {
        let _ = write!(out, "<tr data-row=\"{key}\"><th scope=\"row\">{label}</th>");
        let mut total = 0;
        for severity in SEVERITIES {
            let n = report
                .findings
                .iter()
                .filter(|l| l.finding.severity == severity && keep(l))
                .count();
            total += n;
            let _ = write!(out, "<td data-count=\"{severity}\">{n}</td>");
        }
        let _ = writeln!(out, "<td data-count=\"total\">{total}</td></tr>");
    }
    out.push_str("</tbody>\n</table>\n");
    not_evaluated(out, report);
    rule_errors(out, report);
    baseline_and_waivers(out, report);
    out.push_str("</section>\n");
}

/// A link to a rule's documentation.
fn rule_link(id: &str) -> String {
    format!(
        "<a class=\"rule\" href=\"#{}\">{}</a>",
        rule_anchor(id),
        escape(id)
    )
}

/// Not-evaluated reasons, one per group of rules that share it.
fn not_evaluated(out: &mut String, report: &Report) {
    let groups = report.not_evaluated_groups();
    if groups.is_empty() {
        out.push_str("<p id=\"not-evaluated\">Every rule was evaluated in full.</p>\n");
        return;
    }
    out.push_str(
        "<h3>Not evaluated, or in part</h3>\n<p>Missing data is never passed: a rule that \
         needs what the snapshot lacks is reported here instead.</p>\n\
         <ul id=\"not-evaluated\" class=\"reasons\">\n",
    );
    for group in groups {
        let rules: Vec<String> = group.rules.iter().map(|r| rule_link(r)).collect();
        let _ = writeln!(
            out,
            "<li data-partial=\"{}\"><strong>{}</strong> ({}): {}</li>",
            group.partial,
            group.state(),
            rules.join(", "),
            escape(group.reason)
        );
    }
    out.push_str("</ul>\n");
}

fn rule_errors(out: &mut String, report: &Report) {
    if report.rule_errors.is_empty() {
        return;
    }
    out.push_str("<h3>Rule errors</h3>\n<ul id=\"rule-errors\" class=\"reasons\">\n");
    for e in &report.rule_errors {
        let _ = writeln!(
            out,
            "<li>{} <code>{}</code>, on {} item{}{}: {}</li>",
            rule_link(&e.rule_id),
            escape(&e.part),
            e.count,
            plural(e.count),
            e.pointer.as_ref().map_or_else(String::new, |p| format!(
                " (first <code>{}</code>)",
                escape(p)
            )),
            escape(&e.message)
        );
    }
    out.push_str("</ul>\n");
}

fn baseline_and_waivers(out: &mut String, report: &Report) {
    if let Some(b) = &report.baseline {
        let _ = writeln!(
            out,
            "<p id=\"baseline\">Against the baseline <code>{}</code>: <strong>{} new</strong>, \
             {} already there (not counted), {} fixed.</p>",
            escape(&b.path),
            b.new,
            b.old,
            b.fixed.len()
        );
    }
    let stale: Vec<_> = report
        .expired_waivers()
        .map(|w| (w, "expired"))
        .chain(report.unused_waivers().map(|w| (w, "unused")))
        .collect();
    if stale.is_empty() {
        return;
    }
    out.push_str("<h3>Waivers to review</h3>\n<ul id=\"stale-waivers\" class=\"reasons\">\n");
    for (used, why) in stale {
        let w = &used.waiver;
        let _ = writeln!(
            out,
            "<li><strong>{why}</strong>: {} <code>{}</code> ({}, owner {}{})</li>",
            rule_link(&w.rule),
            escape(&w.item),
            escape(&w.reason),
            escape(w.owner.as_deref().unwrap_or("none")),
            w.expires
                .map_or_else(String::new, |d| format!(", expires {d}"))
        );
    }
    out.push_str("</ul>\n");
}

/// The findings table's frame: filters, table and pager, filled by the
/// script.
pub fn findings(out: &mut String, report: &Report) {
    let mut rule_options = String::new();
    for rule in &report.rules {
        let _ = write!(
            rule_options,
            "<option value=\"{id}\">{id}</option>",
            id = escape(&rule.id)
        );
    }
    let _ = write!(
        out,
        "<section id=\"findings\" aria-labelledby=\"findings-h\">\n\
         <h2 id=\"findings-h\">Findings</h2>\n\
         <noscript><p>The findings table and the extensions need JavaScript; the summary, \
         the charts, the rules and the provenance do not.</p></noscript>\n\
         <form id=\"filters\" class=\"filters\" role=\"search\" aria-label=\"Filter the findings\">\n\
         <label>Severity <select id=\"f-severity\"><option value=\"\">any</option>\
         <option value=\"0\">error</option><option value=\"1\">warning</option>\
         <option value=\"2\">info</option></select></label>\n\
         <label>Rule <select id=\"f-rule\"><option value=\"\">any</option>{rule_options}</select></label>\n\
         <label>State <select id=\"f-state\"><option value=\"\">any</option>\
         <option value=\"counted\">counted</option><option value=\"waived\">waived</option>\
         <option value=\"baseline\">in the baseline</option></select></label>\n\
         <label>Extension <input id=\"f-extension\" type=\"search\" autocomplete=\"off\" \
         placeholder=\"number or name\"></label>\n\
         <label>Text <input id=\"f-text\" type=\"search\" autocomplete=\"off\" \
         placeholder=\"message, pointer, fingerprint\"></label>\n\
         <button type=\"reset\">Clear</button>\n</form>\n\
         <p id=\"findings-status\" class=\"status\" role=\"status\" aria-live=\"polite\"></p>\n\
         <div class=\"scroll\"><table id=\"findings-table\" class=\"grid\">\n\
         <caption class=\"sr-only\">Findings; the column buttons sort</caption>\n\
         <thead><tr>\
         <th scope=\"col\" data-sort=\"severity\"><button type=\"button\">Severity</button></th>\
         <th scope=\"col\" data-sort=\"rule\"><button type=\"button\">Rule</button></th>\
         <th scope=\"col\">Message</th>\
         <th scope=\"col\" data-sort=\"extension\"><button type=\"button\">Extension</button></th>\
         <th scope=\"col\" data-sort=\"line\"><button type=\"button\">Where</button></th>\
         <th scope=\"col\">Fingerprint</th><th scope=\"col\">State</th>\
         </tr></thead>\n<tbody></tbody>\n</table></div>\n\
         <nav class=\"pager\" aria-label=\"Findings pages\" id=\"findings-pager\"></nav>\n\
         </section>\n"
    );
}

/// The per-extension view's frame, filled by the script.
pub fn extensions(out: &mut String, inventory: &Inventory) {
    let _ = write!(
        out,
        "<section id=\"extensions\" aria-labelledby=\"extensions-h\">\n\
         <h2 id=\"extensions-h\">Extensions</h2>\n\
         <p>{n} extension{s} in the snapshot. Open one to see its numbers and every finding \
         about it.</p>\n\
         <form id=\"ext-filters\" class=\"filters\" role=\"search\" aria-label=\"Find an extension\">\n\
         <label>Find <input id=\"e-text\" type=\"search\" autocomplete=\"off\" \
         placeholder=\"number, name, id, phone number\"></label>\n\
         <label><input id=\"e-with\" type=\"checkbox\"> only with findings</label>\n</form>\n\
         <p id=\"extensions-status\" class=\"status\" role=\"status\" aria-live=\"polite\"></p>\n\
         <div class=\"scroll\"><table id=\"extensions-table\" class=\"grid\">\n\
         <caption class=\"sr-only\">Extensions</caption>\n\
         <thead><tr><th scope=\"col\">Extension</th><th scope=\"col\">Name</th>\
         <th scope=\"col\">Type</th><th scope=\"col\">Status</th>\
         <th scope=\"col\">Phone numbers</th><th scope=\"col\">Forwarding numbers</th>\
         <th scope=\"col\">Findings</th></tr></thead>\n<tbody></tbody>\n</table></div>\n\
         <nav class=\"pager\" aria-label=\"Extensions pages\" id=\"extensions-pager\"></nav>\n\
         <div id=\"extension-detail\" class=\"detail\" hidden></div>\n</section>\n",
        n = inventory.extensions.len(),
        s = plural(inventory.extensions.len()),
    );
}

/// Each rule's documentation, in a disclosure the findings link to.
pub fn rules(out: &mut String, report: &Report, tally: &Tally<'_>) {
    out.push_str(
        "<section id=\"rules\" aria-labelledby=\"rules-h\">\n<h2 id=\"rules-h\">Rules</h2>\n",
    );
    for rule in &report.rules {
        let count = tally.count(&rule.id);
        let _ = write!(
            out,
            "<details id=\"{anchor}\" class=\"rule-doc\">\n<summary><span class=\"sev sev-{sev}\">{sev}</span> \
             <code>{id}</code> {title} <span class=\"n\">({count} finding{s})</span></summary>\n\
             <p>{description}</p>\n",
            anchor = rule_anchor(&rule.id),
            sev = rule.severity,
            id = escape(&rule.id),
            title = escape(&rule.title),
            s = plural(count),
            description = escape(&rule.docs.description),
        );
        for (label, text) in [("Why", &rule.docs.why), ("How to fix", &rule.docs.fix)] {
            if let Some(text) = text {
                let _ = writeln!(out, "<h4>{label}</h4>\n<p>{}</p>", escape(text));
            }
        }
        if !rule.docs.references.is_empty() {
            out.push_str("<h4>References</h4>\n<ul>\n");
            for link in &rule.docs.references {
                let _ = writeln!(out, "<li>{}</li>", reference(link));
            }
            out.push_str("</ul>\n");
        }
        let _ = writeln!(
            out,
            "<p class=\"pack\">Pack <code>{}</code>. <button type=\"button\" class=\"show-rule\" \
             data-rule=\"{}\">Show its findings</button></p>\n</details>",
            escape(&rule.pack),
            escape(&rule.id)
        );
    }
    out.push_str("</section>\n");
}

/// A reference: a link when it is an `http` or `https` URL (opened in a
/// new context, with no referrer), its text otherwise.
fn reference(link: &str) -> String {
    let lower = link.trim_start().to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        format!(
            "<a href=\"{0}\" rel=\"noopener noreferrer external\" target=\"_blank\">{0}</a>",
            escape(link.trim_start())
        )
    } else {
        escape(link)
    }
}

/// Who took the snapshot, when, and what could not be fetched.
pub fn provenance(out: &mut String, report: &Report, inventory: &Inventory) {
    let p = &inventory.provenance;
    out.push_str(
        "<section id=\"provenance\" aria-labelledby=\"provenance-h\">\n\
         <h2 id=\"provenance-h\">Provenance</h2>\n<dl class=\"facts\">\n",
    );
    let admin = match p.admin {
        Some(true) => "yes".to_owned(),
        Some(false) => "no: a non-administrator sees less of the account".to_owned(),
        None => "unknown".to_owned(),
    };
    let facts: [(&str, Option<&str>); 10] = [
        ("Snapshot", Some(report.snapshot.path.as_str())),
        ("Captured", p.captured_at.as_deref()),
        ("Account", p.account_id.as_deref()),
        ("Main number", p.main_number.as_deref()),
        ("Service plan", p.plan.as_deref()),
        ("Server", p.server.as_deref()),
        ("Written by", p.generator.as_deref()),
        ("Taken by extension", p.viewer_extension.as_deref()),
        ("Administrator", Some(admin.as_str())),
        ("Token scope", p.scope.as_deref()),
    ];
    for (label, value) in facts {
        let _ = writeln!(
            out,
            "<dt>{label}</dt><dd>{}</dd>",
            value.map_or_else(
                || "<span class=\"none\">not recorded</span>".to_owned(),
                escape
            )
        );
    }
    out.push_str("</dl>\n");
    if p.errors.is_empty() {
        out.push_str("<p id=\"fetch-errors\">The snapshot records no fetch errors.</p>\n");
    } else {
        let _ = write!(
            out,
            "<div class=\"scroll\"><table id=\"fetch-errors\" class=\"grid\">\n<caption>{} part{} \
             could not be fetched</caption>\n<thead><tr><th scope=\"col\">Where</th>\
             <th scope=\"col\">Request</th><th scope=\"col\">Status</th><th scope=\"col\">Code</th>\
             <th scope=\"col\">Message</th></tr></thead>\n<tbody>\n",
            p.errors.len(),
            plural(p.errors.len())
        );
        for e in &p.errors {
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&e.pointer),
                escape(&e.request),
                escape(e.status.as_deref().unwrap_or("")),
                escape(&e.code),
                escape(&e.message)
            );
        }
        out.push_str("</tbody>\n</table></div>\n");
    }
    out.push_str("</section>\n");
}
