//! The differential test: random expressions of the planned grammar on
//! random records, through the plan and through cel. Wherever the plan
//! gives a value, cel gives the same value (same type, same JSON); and the
//! evaluator's path (plan, else cel) gives exactly cel's result, errors
//! included.

use std::sync::Arc;

use cel::common::types::{CelInt, CelString};
use cel::common::value::{CowVal, Val};
use cel::{Context, Value};
use proptest::prelude::*;
use rcaudit_model::Node;

use super::{Frame, Global};
use crate::template::to_json;

/// An expression of the grammar plans cover, with a few of what they do not
/// (comprehensions, methods) mixed in, to depth `depth`.
fn expression(depth: u32) -> BoxedStrategy<String> {
    let field = prop_oneof![
        Just("a"),
        Just("b"),
        Just("s"),
        Just("n"),
        Just("l"),
        Just("o"),
        Just("missing")
    ];
    let leaf = prop_oneof![
        field.clone().prop_map(|f| format!("item.{f}")),
        field.clone().prop_map(|f| format!("item.o.{f}")),
        field.clone().prop_map(|f| format!("extension.{f}")),
        field.clone().prop_map(|f| format!("has(item.{f})")),
        field.clone().prop_map(|f| format!("present(item.{f})")),
        field.clone().prop_map(|f| format!("present(item.o.{f})")),
        field.prop_map(|f| format!("present(extension.o.{f})")),
        Just("index".to_owned()),
        Just("target".to_owned()),
        Just("params.max".to_owned()),
        Just("params.names".to_owned()),
        Just("facts.count".to_owned()),
        Just("facts.missing".to_owned()),
        Just("account.id".to_owned()),
        Just("\"a\"".to_owned()),
        Just("\"+16505550100\"".to_owned()),
        Just("''".to_owned()),
        Just("1".to_owned()),
        Just("0".to_owned()),
        Just("-2".to_owned()),
        Just("3u".to_owned()),
        Just("1.5".to_owned()),
        Just("true".to_owned()),
        Just("false".to_owned()),
        Just("null".to_owned()),
        Just("[1, \"a\", true]".to_owned()),
        Just("[\"a\", \"b\"]".to_owned()),
        Just("[\"a\", 1]".to_owned()),
    ];
    if depth == 0 {
        return leaf.boxed();
    }
    let sub = expression(depth - 1);
    let unary = prop_oneof![Just("!"), Just("-")];
    let binary = prop_oneof![
        Just("&&"),
        Just("||"),
        Just("=="),
        Just("!="),
        Just("<"),
        Just("<="),
        Just(">"),
        Just(">="),
        Just("+"),
        Just("-"),
        Just("*"),
        Just("/"),
        Just("%"),
        Just("in"),
    ];
    let function = prop_oneof![
        Just("size"),
        Just("string"),
        Just("int"),
        Just("normalize"),
        Just("isE164"),
        Just("isTollFree"),
        Just("isValidNumber"),
        Just("phoneRegion"),
        Just("phoneType"),
        Just("uriAccount"),
        Just("idString"),
        Just("extensionLabel"),
        Just("numberLabel"),
        Just("present"),
    ];
    prop_oneof![
        12 => leaf,
        1 => (unary, sub.clone()).prop_map(|(o, e)| format!("{o}({e})")),
        3 => (sub.clone(), binary, sub.clone()).prop_map(|(a, o, b)| format!("({a}) {o} ({b})")),
        1 => (sub.clone(), sub.clone(), sub.clone())
            .prop_map(|(c, a, b)| format!("({c}) ? ({a}) : ({b})")),
        1 => (sub.clone(), sub.clone()).prop_map(|(a, b)| format!("({a})[{b}]")),
        2 => (function, sub.clone()).prop_map(|(f, e)| format!("{f}({e})")),
        1 => (sub.clone(), sub.clone()).prop_map(|(a, b)| format!("subsetOf({a}, {b})")),
        1 => sub.clone().prop_map(|e| format!("isDuplicate(extension.l, index, {e})")),
        // With literal arguments, as the built-in rules write them (a plan
        // step of its own).
        1 => (
            sub.clone(),
            prop::sample::select(vec!["a", "b", "s", "n", "missing"]),
            prop::sample::select(vec!["", ", 'number'", ", 'id'", ", 'region'", ", 'x'"]),
        )
            .prop_map(|(e, f, how)| format!("isDuplicate(extension.l, {e}, '{f}'{how})")),
        1 => sub.clone().prop_map(|e| format!("subsetOf({e}, [1, 'a', 2u, true, null])")),
        1 => sub.clone().prop_map(|e| format!("[1, 2].exists(x, x == ({e}))")),
        1 => sub.prop_map(|e| format!("string({e}).startsWith(\"1\")")),
    ]
    .boxed()
}

/// A JSON value for a field: scalars of every type, short lists and a
/// nested object.
fn json_value(depth: u32) -> BoxedStrategy<serde_json::Value> {
    use serde_json::{Value as J, json};
    let scalar = prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        (-3i64..4).prop_map(|n| json!(n)),
        Just(json!(u64::MAX)),
        Just(json!(2.5)),
        Just(json!("a")),
        Just(json!("b")),
        Just(json!("")),
        Just(json!("+16505550100")),
        Just(json!("101")),
    ];
    if depth == 0 {
        return scalar.boxed();
    }
    prop_oneof![
        3 => scalar,
        1 => prop::collection::vec(json_value(depth - 1), 0..4).prop_map(J::Array),
        1 => record(depth - 1),
    ]
    .boxed()
}

fn record(depth: u32) -> BoxedStrategy<serde_json::Value> {
    let names: &'static [&str] = &[
        "a",
        "b",
        "s",
        "n",
        "l",
        "o",
        "id",
        "phoneNumber",
        "extensionNumber",
    ];
    prop::collection::vec((prop::sample::select(names), json_value(depth)), 0..7)
        .prop_map(|members| {
            serde_json::Value::Object(
                members
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect(),
            )
        })
        .boxed()
}

/// One evaluation's result as the test compares it: the type and the JSON.
fn shown(value: &CowVal<'_, '_>) -> (String, serde_json::Value) {
    (value.get_type().name().to_owned(), to_json(value.as_ref()))
}

#[derive(Default)]
struct Counts {
    /// Expressions with a plan.
    planned: usize,
    /// ... on which cel gives a value.
    cel_valued: usize,
    /// ... on which the plan gives one.
    valued: usize,
    /// Samples of what cel evaluated and the plan gave up on.
    given_up: Vec<String>,
    /// Samples of what cel evaluated to a bool and the plan's test gave up on.
    test_given_up: Vec<String>,
}

fn check(
    source: &str,
    item: &Node,
    extension: &Node,
    index: i64,
    counts: &mut Counts,
) -> Result<(), TestCaseError> {
    let env = Arc::new(crate::load::environment().map_err(|e| TestCaseError::fail(e.to_string()))?);
    let Ok(expr) = crate::expr::compile(&env, source) else {
        return Ok(());
    };
    let params = rcaudit_model::parse(r#"{"max": 2, "names": ["a", "b"]}"#)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let account =
        rcaudit_model::parse(r#"{"id": 7}"#).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut facts = crate::eval::test_facts(&[("count", 3)]);
    let target = CelString::from("extensions");
    let values: [Box<dyn Val>; Global::COUNT] = Global::ALL.map(|global| -> Box<dyn Val> {
        match global {
            Global::Account => Box::new(account.clone()),
            Global::Params => Box::new(params.clone()),
            Global::Facts => Box::new(std::mem::take(&mut facts)),
            _ => Box::new(cel::common::types::CelNull),
        }
    });
    let mut ctx = Context::with_env(Arc::clone(&env));
    for (global, value) in Global::ALL.into_iter().zip(values.iter()) {
        ctx.add_variable_as_val(global.name(), value.clone_as_boxed());
    }
    ctx.add_variable_as_val("target", Box::new(target.clone()));
    let index = CelInt::from(index);
    ctx.add_variable_as_val("item", Box::new(item.clone()));
    ctx.add_variable_as_val("index", Box::new(index));
    ctx.add_variable_as_val("extension", Box::new(extension.clone()));
    let table = values.each_ref().map(|v| &**v);
    let frame = Frame {
        item,
        index: &index,
        extension: Some(extension),
        target: &target,
        globals: &table,
        env: &env,
    };
    let reference = Value::resolve_val(&expr.ast, &ctx);
    let Some(plan) = &expr.plan else {
        return Ok(());
    };
    counts.planned += 1;
    if reference.is_ok() {
        counts.cel_valued += 1;
    }
    let planned = plan.eval(&frame);
    if planned.is_err() && reference.is_ok() && counts.given_up.len() < 20 {
        counts.given_up.push(source.to_owned());
    }
    if let Ok(value) = planned {
        counts.valued += 1;
        match &reference {
            Ok(want) => prop_assert_eq!(shown(&value), shown(want), "{}", source),
            Err(error) => {
                return Err(TestCaseError::fail(format!(
                    "{source}: the plan gave {:?}, cel the error {error}",
                    shown(&value)
                )));
            }
        }
    }
    // `test` answers for bool-valued expressions: where it gives a bool,
    // cel gives the same bool.
    if let Ok(b) = plan.test(&frame) {
        match &reference {
            Ok(want) => prop_assert_eq!(
                shown(&CowVal::owned(cel::common::types::CelBool::from(b))),
                shown(want),
                "test of {}",
                source
            ),
            Err(error) => {
                return Err(TestCaseError::fail(format!(
                    "{source}: the plan's test gave {b}, cel the error {error}"
                )));
            }
        }
    } else if let Ok(want) = &reference
        && want.downcast_ref::<cel::common::types::CelBool>().is_some()
        && counts.test_given_up.len() < 20
    {
        counts.test_given_up.push(source.to_owned());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn a_plan_gives_what_cel_gives(
        source in expression(3),
        item in record(2),
        extension in record(2),
        index in 0i64..3,
    ) {
        let item = rcaudit_model::value::from_json(&item);
        let extension = rcaudit_model::value::from_json(&extension);
        let mut counts = Counts::default();
        check(&source, &item, &extension, index, &mut counts)?;
    }
}

/// The test above must not pass by giving up: where cel gives a value, the
/// plan gives one too (random expressions are often errors, in both).
#[test]
fn plans_give_values_on_most_expressions() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, TestRunner};
    let mut runner = TestRunner::new(Config::default());
    let mut counts = Counts::default();
    for _ in 0..500 {
        let source = expression(2).new_tree(&mut runner).expect("tree").current();
        let item = rcaudit_model::value::from_json(
            &record(1).new_tree(&mut runner).expect("tree").current(),
        );
        let extension = rcaudit_model::value::from_json(
            &record(1).new_tree(&mut runner).expect("tree").current(),
        );
        check(&source, &item, &extension, 1, &mut counts).expect("agrees");
    }
    assert!(counts.planned > 200, "planned {}", counts.planned);
    // Where cel gives a value the plan gives it too, but in rare cases
    // (an owned container indexed, a method call).
    assert!(
        counts.valued * 100 >= counts.cel_valued * 95,
        "the plans gave {} values where cel gave {}; given up on: {:#?}",
        counts.valued,
        counts.cel_valued,
        counts.given_up
    );
}

/// Expressions at the edges of every step (see the test below).
const EDGES: &[&str] = &[
    "1 <= 1",
    "1 < 1",
    "2 > 1",
    "1 >= 2",
    "item.a <= 1",
    "item.a < 1.5",
    "item.b >= 2.5",
    "item.u > 1",
    "'a' < 'b'",
    "'b' <= 'a'",
    "item.s >= 'a'",
    "index <= index",
    "1 == 1",
    "1 == 1.0",
    "1 == 1u",
    "item.a == 1",
    "item.a != 1",
    "item.s == 'a'",
    "item.n == null",
    "item.l == [1, 'a', {'a': 1}]",
    "item.o != null",
    "[1, 2] == [1, 2]",
    "true && false",
    "true && true",
    "false && item.missing",
    "false || true",
    "false || false",
    "true || item.missing",
    "!true",
    "!(item.a == 1)",
    "-item.a",
    "-item.b",
    "-1",
    "item.a + 1",
    "item.s + 'b'",
    "item.l + [2]",
    "item.b - 1.0",
    "item.a * 3",
    "7 / 2",
    "7 % 3",
    "item.u - 1u",
    "1 in [1, 2]",
    "item.s in ['a', 'b']",
    "'x' in ['a', 'b']",
    "1 in item.l",
    "'a' in item.o",
    "item.a in item.l",
    "'n' in item.o",
    "item.s in params.names",
    "item.l[0]",
    "item.l[2].a",
    "item.o.a",
    "item.o['a']",
    "extension.l[1]",
    "params.names[1]",
    "facts.count",
    "account.id",
    "target",
    "index",
    "item.missing",
    "has(item.a)",
    "has(item.missing)",
    "has(item.o.n)",
    "has(extension.o.a)",
    "present(item.a)",
    "present(item.n)",
    "present(item.o.a)",
    "present(item.o.n)",
    "present(item.missing.a)",
    "present(item.n.a)",
    "present(extension.o.a)",
    "present(account.id)",
    "item.a == 1 ? 'yes' : 'no'",
    "item.n == null ? item.s : 1",
    "size(item.l)",
    "size(item.s)",
    "size(item.o)",
    "string(item.a)",
    "string(item.u)",
    "int(item.b)",
    "normalize(item.o.a)",
    "isE164(item.o.a)",
    "idString(item.id)",
    "extensionLabel(item, index)",
    "extensionLabel(extension)",
    "numberLabel(item)",
    "numberKey(item, 'x')",
    "extensionKey(extension) + ':flip:' + string(item.a)",
    "extensionKey(extension, 'flip', item.a)",
    "extensionKey(extension, 'flip', item.missing)",
    "extensionNumberKey(item)",
    "numberKey(item)",
    "numberKey(item, positionKey('phoneNumbers', index))",
    "positionKey(extensionKey(extension), index)",
    "positionKey(item.a, index)",
    "subsetOf(item.features, ['CallFlip', 'CallForwarding'])",
    "subsetOf(item.l, [1])",
    "isDuplicate(extension.l, 2, 'a')",
    "isDuplicate(extension.l, 1, 'a')",
    "isDuplicate(extension.l, 2, 'a', 'number')",
    "isDuplicate(extension.l, 2, 'a', 'id')",
    "isDuplicate(extension.l, 2, 'a', 'nothing')",
    "isDuplicate(item.l, 0, 'a')",
    "subsetOf(item.l, [1, 'a'])",
    "subsetOf(item.s, ['a'])",
    "item.type in ['User', 'Department']",
    "duplicates(extension.l, 'a')[2]",
    "duplicates(extension.l, 'a')[0]",
    "counts(extension.l, 'a')['1']",
    "filterBy(extension.l, 'a', 1)[1]",
    "numberLabel(extension.l[duplicates(extension.l, 'a')[2]])",
    "[1, 'a'] == [1, 'a']",
    "'a' == item.s",
    "item.s == 'b'",
    "item.o.a == '+16505550100'",
    "extension.id == '7'",
    "item.a == 'a'",
    "item.n == 'a'",
    "item.missing == 'a'",
    "item.o.missing == 'a'",
    "item.s != 'a'",
    "item.s in ['a', 1]",
    "item.a in ['a', 1]",
    "item.a in [1.0]",
    "item.n in ['a']",
    "item.o.a in ['+16505550100']",
    "item.missing in ['a']",
    "size(item.l) == 3",
    "size(extension.l)",
    "size('abc')",
    "size(item.missing)",
    "size(item.a)",
    "phoneType(item.o.a) in ['PremiumRate', 'SharedCost']",
    "phoneType(item.o.a)",
    "phoneRegion(item.o.a) == 'US'",
    "phoneRegion(item.a)",
    "isValidNumber(item.o.a)",
    "isTollFree('+18005550100')",
    "isTollFree(item.n)",
    "uriAccount('https://platform.ringcentral.com/restapi/v1.0/account/7/extension/1')",
    "uriAccount(item.s)",
    "idString(item.a)",
    "!has(item.o.n) || item.o.n == null",
    "item.a == 1 ? item.s == 'a' : false",
    "item.a == 1 ? item.s : false",
    "has(item.s.x)",
    "present(item.s.x)",
    "item.l == extension.l",
    "item.o == extension.o",
    "item.a == extension.l[0].a",
    "item.a != facts.count",
    "item.s in item.l",
    "item.a in extension.l",
    "item.a in item.o",
    "item.s in item.s",
    "phoneRegion(item.o.a) in params.names",
    "item.missing in item.l",
];

/// Every kind of step of a plan, at the values where operators differ
/// (equal operands, mixed types, null, absent): the plan gives a value on
/// each where cel does, and the same one.
#[test]
fn every_step_agrees_with_cel_at_its_edges() {
    let item = rcaudit_model::parse(
        r#"{"a": 1, "b": 2.5, "s": "a", "n": null, "l": [1, "a", {"a": 1}], "u": 18446744073709551615,
            "o": {"a": "+16505550100", "n": null}, "id": 62005541008, "phoneNumber": "16505550100",
            "extensionNumber": "101", "features": ["CallFlip"]}"#,
    )
    .expect("json");
    let extension = rcaudit_model::parse(
        r#"{"id": "7", "l": [{"a": 1}, {"a": 2}, {"a": 1}], "o": {"a": null}}"#,
    )
    .expect("json");
    let sources = EDGES;
    let mut counts = Counts::default();
    for source in sources {
        check(source, &item, &extension, 1, &mut counts).unwrap_or_else(|e| panic!("{e}"));
    }
    assert!(
        counts.planned >= sources.len() - 2,
        "{} planned",
        counts.planned
    );
    assert_eq!(
        counts.valued, counts.cel_valued,
        "the plans gave up where cel gave a value: {:#?}",
        counts.given_up
    );
    assert!(
        counts.test_given_up.is_empty(),
        "the plans' tests gave up where cel gave a bool: {:#?}",
        counts.test_given_up
    );
}
