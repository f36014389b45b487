//! The snapshot parser agrees with `serde_json` (issue 8, section 7).
//!
//! - On generated JSON texts (unicode and escaped strings, numbers in every
//!   notation and size, nesting close to the limit, objects without
//!   duplicate names, random whitespace) `rcaudit_model::parse` succeeds
//!   exactly when `serde_json::from_str::<Value>` does, and to the same value;
//!   `Node::pointer` agrees with `Value::pointer` on every path.
//! - Arbitrary and JSON-like strings and bytes never panic the parser or the
//!   loader, and what the parser accepts `serde_json` accepts, equal.

use std::fmt::Write as _;

use proptest::prelude::*;
use rcaudit_model::value::{Node, from_json, parse, to_json};
use serde_json::Value;

/// A JSON document as a tree of the texts that make it up.
#[derive(Debug, Clone)]
enum Json {
    Null,
    Bool(bool),
    /// A number literal, exactly as it will be written.
    Number(String),
    String(String),
    Array(Vec<Json>),
    /// Member names are distinct.
    Object(Vec<(String, Json)>),
}

/// Number literals: every JSON notation, integers at and past the i64/u64
/// edges, floats past f64's range (both parsers refuse those).
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|i| i.to_string()),
        any::<u64>().prop_map(|u| u.to_string()),
        Just(i64::MAX.to_string()),
        Just(i64::MIN.to_string()),
        Just("9223372036854775808".to_owned()),
        Just("18446744073709551615".to_owned()),
        Just("18446744073709551616".to_owned()),
        Just("-9223372036854775809".to_owned()),
        Just("-0".to_owned()),
        Just("-0.0".to_owned()),
        Just("1e308".to_owned()),
        Just("1e309".to_owned()),
        Just("4.9e-324".to_owned()),
        Just("1e-400".to_owned()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:?}")),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:e}")),
        "-?(0|[1-9][0-9]{0,40})(\\.[0-9]{1,25})?([eE][+-]?[0-9]{1,3})?",
    ]
}

/// Strings: any unicode, and names the snapshot uses (with `~` and `/`, which
/// pointers escape).
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => any::<String>(),
        2 => "[a-zA-Z~/ ]{0,8}",
        1 => Just(String::new()),
        1 => "[\\u{0}-\\u{1f}\"\\\\/\\u{7f}\\u{2028}\\u{fffd}\\u{1f600}]{0,6}",
    ]
}

fn json() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        number().prop_map(Json::Number),
        text().prop_map(Json::String),
    ];
    leaf.prop_recursive(6, 96, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Json::Array),
            prop::collection::vec((text(), inner), 0..6).prop_map(|members| {
                let mut seen = std::collections::HashSet::new();
                Json::Object(
                    members
                        .into_iter()
                        .filter(|(name, _)| seen.insert(name.clone()))
                        .collect(),
                )
            }),
        ]
    })
}

/// A small deterministic generator for the choices made while writing
/// (escapes, whitespace), so a failing case replays from its seed.
struct Choices(u64);

impl Choices {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn one_in(&mut self, n: u64) -> bool {
        self.next().is_multiple_of(n)
    }
}

fn write(json: &Json, out: &mut String, choices: &mut Choices) {
    space(out, choices);
    match json {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => out.push_str(n),
        Json::String(s) => string(s, out, choices),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out, choices);
            }
            space(out, choices);
            out.push(']');
        }
        Json::Object(members) => {
            out.push('{');
            for (i, (name, value)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                space(out, choices);
                string(name, out, choices);
                space(out, choices);
                out.push(':');
                write(value, out, choices);
            }
            space(out, choices);
            out.push('}');
        }
    }
    space(out, choices);
}

fn space(out: &mut String, choices: &mut Choices) {
    if choices.one_in(4) {
        let spaces = [' ', '\n', '\t', '\r'];
        let pick = usize::try_from(choices.next() % 4).unwrap_or(0);
        out.push(spaces.get(pick).copied().unwrap_or(' '));
    }
}

/// A string literal, each character written plainly or escaped (short
/// escapes, `\u` with either case, surrogate pairs for astral characters).
fn string(s: &str, out: &mut String, choices: &mut Choices) {
    out.push('"');
    for c in s.chars() {
        let must = c < ' ' || c == '"' || c == '\\';
        if !must && !choices.one_in(3) {
            out.push(c);
            continue;
        }
        match c {
            '"' if choices.one_in(2) => out.push_str("\\\""),
            '\\' if choices.one_in(2) => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            '\n' if choices.one_in(2) => out.push_str("\\n"),
            '\t' if choices.one_in(2) => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    if choices.one_in(2) {
                        let _ = write!(out, "\\u{unit:04X}");
                    } else {
                        let _ = write!(out, "\\u{unit:04x}");
                    }
                }
            }
        }
    }
    out.push('"');
}

/// Every pointer into a value (bounded), with names escaped.
fn pointers(value: &Value, path: &mut String, out: &mut Vec<String>) {
    if out.len() >= 200 {
        return;
    }
    out.push(path.clone());
    let len = path.len();
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                rcaudit_model::pointer::push_index(path, i);
                pointers(item, path, out);
                path.truncate(len);
            }
        }
        Value::Object(members) => {
            for (name, item) in members {
                rcaudit_model::pointer::push(path, name);
                pointers(item, path, out);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// The two parsers agree on `text`: both refuse it, or both read the same
/// value. (Only for texts without duplicate member names.)
fn agree(text: &str) -> Result<(), TestCaseError> {
    let ours = parse(text);
    let theirs = serde_json::from_str::<Value>(text);
    match (ours, theirs) {
        (Ok(node), Ok(value)) => {
            prop_assert_eq!(&to_json(&node), &value, "text: {:?}", text);
            if node.as_object().is_some() && node.get("snapshotVersion").is_none() {
                // The same, with strings borrowed from the text.
                let lent = rcaudit_model::parse_bytes_for_the_process("p.json", text.into())
                    .map(|snapshot| to_json(snapshot.root()))
                    .ok();
                prop_assert_eq!(lent.as_ref(), Some(&value), "lending: {:?}", text);
            }
            prop_assert!(node == from_json(&value), "Node equality: {:?}", text);
            let mut all = Vec::new();
            pointers(&value, &mut String::new(), &mut all);
            for pointer in &all {
                let found = node.pointer(pointer).map(to_json);
                prop_assert_eq!(
                    found.as_ref(),
                    value.pointer(pointer),
                    "pointer {:?} in {:?}",
                    pointer,
                    text
                );
            }
        }
        (Err(_), Err(_)) => {}
        (ours, theirs) => prop_assert!(
            false,
            "rcaudit: {:?}, serde_json: {:?}, text: {:?}",
            ours.map(|n| to_json(&n)),
            theirs,
            text
        ),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parser_agrees_with_serde_json(json in json(), seed in any::<u64>()) {
        let mut text = String::new();
        write(&json, &mut text, &mut Choices(seed | 1));
        agree(&text)?;
    }

    #[test]
    fn parser_agrees_with_serde_json_on_compact_and_pretty_text(json in json()) {
        let mut text = String::new();
        write(&json, &mut text, &mut Choices(1));
        if let Ok(value) = serde_json::from_str::<Value>(&text) {
            agree(&serde_json::to_string(&value).expect("serialises"))?;
            agree(&serde_json::to_string_pretty(&value).expect("serialises"))?;
        }
    }

    /// Any text: no panic; what we accept `serde_json` accepts, equal, and
    /// what `serde_json` refuses we refuse. (One-way: duplicate member names
    /// are about to become an error of ours only.)
    #[test]
    fn arbitrary_strings_never_panic(text in prop_oneof![
        any::<String>(),
        "[\\[\\]{}\":, 0-9eE.+\\-\\\\u/abfnrt]{0,40}",
        "[\\[{]{0,200}",
    ]) {
        let ours = parse(&text);
        let theirs = serde_json::from_str::<Value>(&text);
        if let Ok(node) = &ours {
            prop_assert_eq!(Some(to_json(node)), theirs.as_ref().ok().cloned(), "{:?}", text);
        }
        if theirs.is_err() {
            prop_assert!(ours.is_err(), "accepted what serde_json refuses: {:?}", text);
        }
    }

    /// Any bytes through the loader: no panic, and every error renders.
    #[test]
    fn arbitrary_bytes_never_panic_the_loader(bytes in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        "\\{\"snapshotVersion\": ?(1|2|1\\.0|\"1\"|null|1e400), ?\"extensions\": ?\\[[^\\]]{0,20}\\]\\}"
            .prop_map(String::into_bytes),
    ]) {
        match rcaudit_model::parse_bytes("prop.json", bytes) {
            Ok(snapshot) => {
                let _ = snapshot.validate().map_err(|e| e.to_string());
            }
            Err(error) => {
                prop_assert!(!error.to_string().is_empty());
            }
        }
    }
}

/// Nesting: both parsers draw the line at the same depth (128), and neither
/// overflows the stack past it.
#[test]
fn nesting_limit_agrees_with_serde_json() {
    for depth in (1..=140).chain([1_000, 100_000]) {
        for (open, close) in [("[", "]"), ("{\"a\":", "}")] {
            let text = format!("{}0{}", open.repeat(depth), close.repeat(depth));
            same_as_serde_json(&text, &format!("depth {depth} of {open}"));
        }
    }
}

/// Our parse and `serde_json`'s accept the same text, into the same value.
fn same_as_serde_json(text: &str, what: &str) {
    let ours = parse(text);
    let theirs = serde_json::from_str::<Value>(text);
    assert_eq!(ours.is_ok(), theirs.is_ok(), "{what}");
    if let (Ok(node), Ok(value)) = (ours, theirs) {
        assert_eq!(to_json(&node), value, "{what}");
    }
}

/// A large pretty-printed document, which is parsed on two threads: the
/// same verdict and tree as `serde_json`'s, around the nesting limit too (a
/// value the second thread parses starts two levels down).
#[test]
fn large_documents_agree_with_serde_json() {
    let record = |i: usize| {
        serde_json::json!({
            "uri": format!("https://platform.ringcentral.com/restapi/v1.0/account/7/extension/{i}"),
            "id": i,
            "contact": {"firstName": "Ann", "lastName": format!("Lee \"{i}\"")},
            "forwardingNumbers": [{"id": i, "phoneNumber": "+16505550100"}],
        })
    };
    let records: Vec<Value> = (0..40_000).map(record).collect();
    for depth in [0, 120, 125, 126, 127, 128] {
        let mut deep = Value::from(0);
        for _ in 0..depth {
            deep = Value::Array(vec![deep]);
        }
        let mut tail = records.clone();
        if let Some(last) = tail.last_mut() {
            last["deep"] = deep;
        }
        let text = serde_json::to_string_pretty(&serde_json::json!({
            "snapshotVersion": 1,
            "extensions": tail,
            "errors": [],
        }))
        .expect("json");
        assert!(text.len() > 8 << 20, "{} bytes", text.len());
        same_as_serde_json(&text, &format!("depth {depth}"));
    }
}

/// A snapshot parsed for the process borrows every string written without
/// escapes from its text (on both threads of a large document's parse),
/// and copies the others; the tree is the one `serde_json` reads.
#[test]
fn strings_are_borrowed_from_a_text_kept_for_the_process() {
    let records: Vec<Value> = (0..80_000)
        .map(|i| {
            serde_json::json!({
                "uri": format!("https://platform.ringcentral.com/restapi/v1.0/account/7/extension/{i}"),
                "name": format!("Lee \"{i}\""),
            })
        })
        .collect();
    let text =
        serde_json::to_string_pretty(&serde_json::json!({"extensions": records})).expect("json");
    assert!(text.len() > 8 << 20, "{} bytes", text.len());
    let value: Value = serde_json::from_str(&text).expect("json");
    let snapshot =
        rcaudit_model::parse_bytes_for_the_process("big.json", text.into_bytes()).expect("parses");
    assert_eq!(to_json(snapshot.root()), value);
    let whole = snapshot.source().text().as_bytes().as_ptr_range();
    let Some(Node::Array(extensions)) = snapshot.root().get("extensions") else {
        panic!("no extensions");
    };
    for (i, record) in extensions.iter().enumerate() {
        let Some(Node::String(uri)) = record.get("uri") else {
            panic!("no uri");
        };
        let lent = uri.as_borrowed().map(str::as_ptr);
        assert!(lent.is_some_and(|at| whole.contains(&at)), "uri of {i}");
        let Some(Node::String(name)) = record.get("name") else {
            panic!("no name");
        };
        let copied = name.as_borrowed().map(str::as_ptr);
        assert!(
            !copied.is_some_and(|at| whole.contains(&at)),
            "name of {i} has escapes"
        );
    }
}

/// Parsing leaves the schema check to the caller, who runs it alongside
/// the rules (`Snapshot::validate`); `load` does both.
#[test]
fn parsing_does_not_check_the_schema() {
    let text = r#"{"snapshotVersion": 1, "extensions": "not a list"}"#;
    let snapshot = rcaudit_model::parse_str("s.json", text).expect("parses");
    assert!(snapshot.validate().is_err());
    assert!(rcaudit_model::load_str("s.json", text).is_err());
}
