use super::*;
use crate::fixture;

#[test]
fn rule_anchors_are_distinct_fragments() {
    assert_eq!(rule_anchor("RC-PN-003"), "rule-RC-PN-003");
    assert_eq!(rule_anchor("a_b"), "rule-a_5Fb");
    assert_eq!(rule_anchor("a b\"<"), "rule-a_20b_22_3C");
    assert_ne!(rule_anchor("a_5F"), rule_anchor("a_"));
}

#[test]
fn escape_leaves_no_markup() {
    assert_eq!(
        escape("<img src=x onerror=\"alert('1')\">&amp;\u{202e}"),
        "&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;amp;\\u{202e}"
    );
}

#[test]
fn a_page_renders() {
    let report = fixture::report(
        &[("A-1", rcaudit_rules::Severity::Error)],
        &[("A-1", 0), ("A-1", 2)],
    );
    let snapshot = rcaudit_model::parse_str("s.json", report.source.text()).expect("parses");
    let inventory = Inventory::new(snapshot.root());
    let page = render(&report, &inventory, &HtmlOptions::default());
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("Fails: 2 findings of severity error or above."));
}
