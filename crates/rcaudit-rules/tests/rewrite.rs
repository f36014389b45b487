//! The expression rewrite that makes `==`, `!=` and `in` symmetric,
//! through the public API: a one-rule file loaded from text, evaluated on a
//! small snapshot, and the verdict read from the findings.
//!
//! `cel` asks only the left operand of `==` whether the two are equal, and
//! its own lists and maps do not recognise the snapshot's, so without the
//! rewrite `[{'id': 1}] == item.roles` would be false while
//! `item.roles == [{'id': 1}]` is true. The compiler rewrites `==`, `!=`
//! and `in` between two computed values (neither a scalar literal) into a
//! comparison that asks both sides; a comparison with a literal scalar is
//! left as written. Each row here is checked in both operand orders where
//! the order could matter.
//!
//! Ids are not coerced: the API sends an id as a JSON number or a string
//! (`schemas/snapshot.schema.json`: "Compare ids as strings"), and `62` and
//! `"62"` are different values in either order; rules compare
//! `string(a) == string(b)`.

use rcaudit_model::Node;
use rcaudit_rules::{LoadOptions, RuleFile, evaluate_with, load};
use serde_json::{Value, json};

/// What a rule's `assert` came to on the one extension of the snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// True: no finding.
    Holds,
    /// False: a finding.
    Fails,
    /// The expression failed: a rule error.
    Error,
}

use Verdict::{Error, Fails, Holds};

/// One row: the expression, the extension and the account's operator it
/// reads, and what it must come to.
type Row = (&'static str, Value, Value, Verdict);

/// Evaluates `assert` on a snapshot of one extension and an account whose
/// operator is `operator`.
#[expect(clippy::panic, reason = "a test helper fails the test by panicking")]
fn verdict(assert: &str, extension: &Value, operator: &Value) -> Verdict {
    let file = RuleFile {
        name: "rewrite.yaml".to_owned(),
        text: format!(
            "rules:\n  - id: T-1\n    severity: info\n    title: A test rule\n    \
             target: extensions\n    assert: |-\n      {assert}\n    message: x\n"
        ),
        pack: "test".to_owned(),
    };
    let (rules, _) = load(&[file], &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{assert}: the rule loads: {e:?}"));
    let snapshot = json!({
        "snapshotVersion": 1,
        "account": {"id": 1, "operator": operator},
        "extensions": [extension],
    });
    let tree = rcaudit_model::parse(&snapshot.to_string()).unwrap_or(Node::Null);
    let outcome = evaluate_with(&rules, &tree, 1);
    match (outcome.rule_errors.is_empty(), outcome.findings.len()) {
        (false, 0) => Error,
        (true, 0) => Holds,
        (true, 1) => Fails,
        _ => panic!("{assert}: one verdict per extension: {outcome:?}"),
    }
}

fn check(rows: &[Row]) {
    let mut wrong = Vec::new();
    for (assert, extension, operator, want) in rows {
        let got = verdict(assert, extension, operator);
        if got != *want {
            wrong.push(format!(
                "{assert} on {extension} (operator {operator}): {got:?}, want {want:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// An extension with an id and roles of these ids.
fn ext(id: &Value, roles: &[Value]) -> Value {
    let roles: Vec<Value> = roles.iter().map(|id| json!({"id": id})).collect();
    json!({"id": id, "extensionNumber": "101", "roles": roles})
}

fn op(id: &Value) -> Value {
    json!({"id": id, "extensionNumber": "101"})
}

#[test]
fn equality_between_snapshot_values_and_ids_of_either_type() {
    let (n, s) = (json!(62), json!("62"));
    let rows: Vec<Row> = vec![
        // Two snapshot values, same type: equal in either order.
        (
            "item.id == account.operator.id",
            ext(&n, &[]),
            op(&n),
            Holds,
        ),
        (
            "account.operator.id == item.id",
            ext(&n, &[]),
            op(&n),
            Holds,
        ),
        (
            "item.id == account.operator.id",
            ext(&s, &[]),
            op(&s),
            Holds,
        ),
        (
            "account.operator.id == item.id",
            ext(&s, &[]),
            op(&s),
            Holds,
        ),
        // A number id and a string id are different values, in either
        // order, whichever side holds which...
        (
            "item.id == account.operator.id",
            ext(&n, &[]),
            op(&s),
            Fails,
        ),
        (
            "account.operator.id == item.id",
            ext(&n, &[]),
            op(&s),
            Fails,
        ),
        (
            "item.id == account.operator.id",
            ext(&s, &[]),
            op(&n),
            Fails,
        ),
        (
            "account.operator.id == item.id",
            ext(&s, &[]),
            op(&n),
            Fails,
        ),
        // ... and the same as strings.
        (
            "string(item.id) == string(account.operator.id)",
            ext(&n, &[]),
            op(&s),
            Holds,
        ),
        (
            "string(account.operator.id) == string(item.id)",
            ext(&s, &[]),
            op(&n),
            Holds,
        ),
        // A snapshot value and a computed one.
        (
            "item.id == account.operator.id + 0",
            ext(&n, &[]),
            op(&n),
            Holds,
        ),
        (
            "account.operator.id + 0 == item.id",
            ext(&n, &[]),
            op(&n),
            Holds,
        ),
        (
            "item.id == 'x' + string(60 + 2)",
            ext(&s, &[]),
            op(&s),
            Fails,
        ),
        (
            "'' + string(60 + 2) == item.id",
            ext(&s, &[]),
            op(&s),
            Holds,
        ),
        (
            "item.id == '' + string(60 + 2)",
            ext(&s, &[]),
            op(&s),
            Holds,
        ),
    ];
    check(&rows);
}

#[test]
fn literal_scalars_are_left_as_written_and_compare_alike_either_way() {
    let (n, s) = (json!(62), json!("62"));
    let rows: Vec<Row> = vec![
        ("item.id == 62", ext(&n, &[]), op(&n), Holds),
        ("62 == item.id", ext(&n, &[]), op(&n), Holds),
        ("item.id == '62'", ext(&s, &[]), op(&s), Holds),
        ("'62' == item.id", ext(&s, &[]), op(&s), Holds),
        ("item.id == '62'", ext(&n, &[]), op(&n), Fails),
        ("'62' == item.id", ext(&n, &[]), op(&n), Fails),
        ("62 == item.id", ext(&s, &[]), op(&s), Fails),
    ];
    check(&rows);
}

#[test]
fn inequality_is_the_negation_in_either_order() {
    let (n, s) = (json!(62), json!("62"));
    let rows: Vec<Row> = vec![
        (
            "item.id != account.operator.id",
            ext(&n, &[]),
            op(&n),
            Fails,
        ),
        (
            "account.operator.id != item.id",
            ext(&n, &[]),
            op(&n),
            Fails,
        ),
        (
            "item.id != account.operator.id",
            ext(&n, &[]),
            op(&s),
            Holds,
        ),
        (
            "account.operator.id != item.id",
            ext(&n, &[]),
            op(&s),
            Holds,
        ),
        (
            "item.id != account.operator.id",
            ext(&s, &[]),
            op(&n),
            Holds,
        ),
        (
            "account.operator.id != item.id",
            ext(&s, &[]),
            op(&n),
            Holds,
        ),
        ("item.id != 62", ext(&n, &[]), op(&n), Fails),
        ("62 != item.id", ext(&n, &[]), op(&n), Fails),
        ("item.id != '62'", ext(&n, &[]), op(&n), Holds),
        ("'62' != item.id", ext(&n, &[]), op(&n), Holds),
        (
            "[{'id': 1}] != item.roles",
            ext(&n, &[json!(1)]),
            op(&n),
            Fails,
        ),
        (
            "item.roles != [{'id': 1}]",
            ext(&n, &[json!(1)]),
            op(&n),
            Fails,
        ),
        (
            "[{'id': 2}] != item.roles",
            ext(&n, &[json!(1)]),
            op(&n),
            Holds,
        ),
        (
            "item.roles != [{'id': 2}]",
            ext(&n, &[json!(1)]),
            op(&n),
            Holds,
        ),
    ];
    check(&rows);
}

#[test]
fn null_compares_equal_only_to_null() {
    let n = json!(62);
    let null_site = json!({"id": 62, "site": null});
    let site = json!({"id": 62, "site": {"id": "1"}});
    let null_op = json!(null);
    let rows: Vec<Row> = vec![
        // A literal null, either side.
        ("item.site == null", null_site.clone(), op(&n), Holds),
        ("null == item.site", null_site.clone(), op(&n), Holds),
        ("item.site == null", site.clone(), op(&n), Fails),
        ("null == item.site", site.clone(), op(&n), Fails),
        ("item.site != null", site.clone(), op(&n), Holds),
        ("null != item.site", site.clone(), op(&n), Holds),
        // Two snapshot nulls, and a null against a record.
        (
            "item.site == account.operator",
            null_site.clone(),
            null_op.clone(),
            Holds,
        ),
        (
            "account.operator == item.site",
            null_site.clone(),
            null_op.clone(),
            Holds,
        ),
        (
            "item.site == account.operator",
            site.clone(),
            null_op.clone(),
            Fails,
        ),
        (
            "account.operator == item.site",
            site.clone(),
            null_op.clone(),
            Fails,
        ),
        (
            "item.site != account.operator",
            null_site.clone(),
            op(&n),
            Holds,
        ),
        (
            "account.operator != item.site",
            null_site.clone(),
            op(&n),
            Holds,
        ),
        // A null is neither 0, "" nor an empty list.
        ("item.site == 0", null_site.clone(), op(&n), Fails),
        ("'' == item.site", null_site.clone(), op(&n), Fails),
        ("item.site == []", null_site.clone(), op(&n), Fails),
        ("[] == item.site", null_site.clone(), op(&n), Fails),
        // `in`: a null needle is found only among nulls.
        ("item.site in [null, 1]", null_site.clone(), op(&n), Holds),
        ("item.site in [0, '']", null_site.clone(), op(&n), Fails),
        (
            "item.site in [account.operator]",
            null_site.clone(),
            null_op.clone(),
            Holds,
        ),
        (
            "account.operator in [item.site, 1]",
            null_site,
            null_op,
            Holds,
        ),
        (
            "null in item.roles.map(r, r.id)",
            ext(&n, &[json!(1)]),
            op(&n),
            Fails,
        ),
        (
            "null in item.roles.map(r, r.id)",
            ext(&n, &[json!(null)]),
            op(&n),
            Holds,
        ),
    ];
    check(&rows);
}

#[test]
fn lists_and_records_compare_by_content_in_either_order() {
    let n = json!(62);
    let one_two = ext(&n, &[json!(1), json!(2)]);
    let rows: Vec<Row> = vec![
        // A snapshot list against a list the expression builds.
        (
            "item.roles == [{'id': 1}, {'id': 2}]",
            one_two.clone(),
            op(&n),
            Holds,
        ),
        (
            "[{'id': 1}, {'id': 2}] == item.roles",
            one_two.clone(),
            op(&n),
            Holds,
        ),
        (
            "item.roles == [{'id': 2}, {'id': 1}]",
            one_two.clone(),
            op(&n),
            Fails,
        ),
        (
            "[{'id': 2}, {'id': 1}] == item.roles",
            one_two.clone(),
            op(&n),
            Fails,
        ),
        ("[{'id': 1}] == item.roles", one_two.clone(), op(&n), Fails),
        // Lists computed from the snapshot, against literals and each other.
        (
            "item.roles.map(r, r.id) == [1, 2]",
            one_two.clone(),
            op(&n),
            Holds,
        ),
        (
            "[1, 2] == item.roles.map(r, r.id)",
            one_two.clone(),
            op(&n),
            Holds,
        ),
        (
            "['1', '2'] == item.roles.map(r, r.id)",
            one_two.clone(),
            op(&n),
            Fails,
        ),
        (
            "item.roles.map(r, string(r.id)) == ['1', '2']",
            one_two.clone(),
            op(&n),
            Holds,
        ),
        (
            "item.roles == item.roles.map(r, r)",
            one_two.clone(),
            op(&n),
            Holds,
        ),
        (
            "item.roles.map(r, r) == item.roles",
            one_two.clone(),
            op(&n),
            Holds,
        ),
        (
            "[item.roles] == [item.roles]",
            one_two.clone(),
            op(&n),
            Holds,
        ),
        // A snapshot record against a map the expression builds.
        ("item.roles[0] == {'id': 1}", one_two.clone(), op(&n), Holds),
        ("{'id': 1} == item.roles[0]", one_two.clone(), op(&n), Holds),
        (
            "{'id': '1'} == item.roles[0]",
            one_two.clone(),
            op(&n),
            Fails,
        ),
        ("item.roles[1] != {'id': 1}", one_two.clone(), op(&n), Holds),
        ("{'id': 1} != item.roles[1]", one_two.clone(), op(&n), Holds),
        // An empty snapshot list and an empty built list.
        ("item.roles == []", ext(&n, &[]), op(&n), Holds),
        ("[] == item.roles", ext(&n, &[]), op(&n), Holds),
        (
            "item.roles.map(r, r) == item.roles",
            ext(&n, &[]),
            op(&n),
            Holds,
        ),
    ];
    check(&rows);
}

#[test]
fn membership_in_either_kind_of_list() {
    let (n, s) = (json!(62), json!("62"));
    let one_two = ext(&n, &[json!(1), json!(2)]);
    let rows: Vec<Row> = vec![
        // A snapshot value in a list of literals (unrolled) and of computed
        // values (the symmetric `in`).
        ("item.id in [61, 62]", ext(&n, &[]), op(&n), Holds),
        ("item.id in ['61', '62']", ext(&n, &[]), op(&n), Fails),
        ("item.id in ['61', '62']", ext(&s, &[]), op(&s), Holds),
        (
            "item.id in [account.operator.id, 1]",
            ext(&n, &[]),
            op(&n),
            Holds,
        ),
        (
            "item.id in [account.operator.id, 1]",
            ext(&n, &[]),
            op(&s),
            Fails,
        ),
        (
            "account.operator.id in [item.id]",
            ext(&s, &[]),
            op(&n),
            Fails,
        ),
        (
            "string(account.operator.id) in [string(item.id)]",
            ext(&s, &[]),
            op(&n),
            Holds,
        ),
        // A value in a snapshot list, and a snapshot value in a built list.
        (
            "2 in item.roles.map(r, r.id)",
            one_two.clone(),
            op(&n),
            Holds,
        ),
        (
            "'2' in item.roles.map(r, r.id)",
            one_two.clone(),
            op(&n),
            Fails,
        ),
        ("{'id': 2} in item.roles", one_two.clone(), op(&n), Holds),
        ("{'id': 3} in item.roles", one_two.clone(), op(&n), Fails),
        (
            "item.roles[1] in [{'id': 2}]",
            one_two.clone(),
            op(&n),
            Holds,
        ),
        (
            "item.roles[1] in [{'id': 1}]",
            one_two.clone(),
            op(&n),
            Fails,
        ),
        (
            "item.roles[0] in item.roles",
            one_two.clone(),
            op(&n),
            Holds,
        ),
        // A list in a list of lists, snapshot or built, either side.
        (
            "item.roles in [[{'id': 1}, {'id': 2}]]",
            one_two.clone(),
            op(&n),
            Holds,
        ),
        (
            "[{'id': 1}, {'id': 2}] in [item.roles]",
            one_two.clone(),
            op(&n),
            Holds,
        ),
        (
            "[1, 2] in [item.roles.map(r, r.id)]",
            one_two.clone(),
            op(&n),
            Holds,
        ),
        (
            "item.roles.map(r, r.id) in [[2, 1]]",
            one_two.clone(),
            op(&n),
            Fails,
        ),
        // Nothing is in an empty list.
        (
            "item.id in item.roles.map(r, r.id)",
            ext(&n, &[]),
            op(&n),
            Fails,
        ),
        // A map's keys: `in` on a snapshot record.
        ("'id' in item.roles[0]", one_two.clone(), op(&n), Holds),
        ("'name' in item.roles[0]", one_two, op(&n), Fails),
        // A scalar is not a container.
        ("1 in item.id", ext(&n, &[]), op(&n), Error),
    ];
    check(&rows);
}
