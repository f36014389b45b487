//! An independent reference for the number rules on generated accounts.
//!
//! Accounts from the sandbox's generator are damaged at random (malformed
//! numbers, voice-only company fax numbers, `+` added or dropped), then
//! their lists are removed at random: the account's `phoneNumbers` is kept,
//! dropped, or kept with an `errors` entry saying a page of it failed, and
//! each extension's own `phoneNumbers` is dropped with some probability.
//! Plain Rust over `serde_json` then says which numbers RC-PN-006, -010 and
//! -011 must flag and which not-evaluated entry each rule (and RC-SN-003)
//! owes, by the reading the rules document:
//!
//! - every list that is present is checked, and a number (without its
//!   leading `+`) found in several lists is one finding, at its first
//!   occurrence (the account list first, then extensions in order);
//! - with the account list present and read in full, extensions without
//!   their own list hide nothing: no not-evaluated entry (but from
//!   RC-PN-006, which reads the `features` only each extension's list
//!   carries, and counts them whatever the account list);
//! - without it (or with an `errors` entry for it), each extension lacking
//!   its own list is counted in one partial entry; with no list at all the
//!   rule is not evaluated;
//! - RC-SN-003 counts extensions without a forwarding list in every case,
//!   and those without a phone-number list only when the account list is
//!   not there in full.
//!
//! The engine's output must agree.

use std::collections::BTreeSet;

use rcaudit_rules::{LoadOptions, NotEvaluated, Outcome, builtin, evaluate, load};
use rcaudit_sandbox::generate;
use serde_json::{Value, json};

const RULES: [&str; 4] = ["RC-PN-006", "RC-PN-010", "RC-PN-011", "RC-SN-003"];

/// `SplitMix64`, so the damage is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// The account list's state in one snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Account {
    Complete,
    Absent,
    /// Present, with an `errors` entry: a later page failed.
    Failed,
}

/// Damages one phone-number record at random.
fn damage(record: &mut Value, rng: &mut Rng) {
    let Some(object) = record.as_object_mut() else {
        return;
    };
    if rng.chance(6)
        && let Some(number) = object.get("phoneNumber").and_then(Value::as_str)
    {
        let digits = number.trim_start_matches('+').to_owned();
        let bad = match rng.below(4) {
            0 => format!("+{}-{}", &digits[..4], &digits[4..]),
            1 => format!("0{}", &digits[1..]),
            2 => digits[..6].to_owned(),
            _ => format!("+{} {}", &digits[..1], &digits[1..]),
        };
        object.insert("phoneNumber".to_owned(), json!(bad));
    }
    if rng.chance(4) {
        object.insert("usageType".to_owned(), json!("CompanyFaxNumber"));
        let kind = ["VoiceOnly", "VoiceFax", "FaxOnly", "VoiceAndFax", "Mystery"];
        let pick = usize::try_from(rng.below(5)).ok().and_then(|i| kind.get(i));
        object.insert("type".to_owned(), json!(pick.unwrap_or(&"VoiceOnly")));
    }
    if rng.chance(4) {
        object.insert("type".to_owned(), json!("FaxOnly"));
    }
}

/// A generated account with damage and lists removed.
fn snapshot(seed: u64) -> (Value, Account) {
    let mut rng = Rng(seed.wrapping_mul(0x2545_F491_4F6C_DD1D));
    let extensions = 1 + usize::try_from(rng.below(40)).unwrap_or(0);
    let admin = !rng.chance(15);
    let doc = generate::snapshot(generate::Params {
        extensions,
        seed,
        admin,
    });
    // (A generated account is always JSON; `Null` would fail every check.)
    let mut doc = serde_json::to_value(&doc).unwrap_or_default();
    if let Some(list) = doc.get_mut("phoneNumbers").and_then(Value::as_array_mut) {
        for record in list {
            damage(record, &mut rng);
        }
    }
    let drop_percent = usize::try_from(rng.below(4))
        .ok()
        .and_then(|i| [0, 20, 60, 100].get(i).copied())
        .unwrap_or(0);
    let mut errors = Vec::new();
    if let Some(exts) = doc.get_mut("extensions").and_then(Value::as_array_mut) {
        for (i, ext) in exts.iter_mut().enumerate() {
            let Some(ext) = ext.as_object_mut() else {
                continue;
            };
            if rng.chance(drop_percent) {
                ext.remove("phoneNumbers");
                if rng.chance(30) {
                    errors.push(json!({
                        "pointer": format!("/extensions/{i}/phoneNumbers"),
                        "request": "GET /restapi/v1.0/account/~/extension/1/phone-number",
                        "status": 403, "errorCode": "CMN-419", "message": "refused",
                    }));
                }
                continue;
            }
            for record in ext
                .get_mut("phoneNumbers")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                damage(record, &mut rng);
                // The same number with and without `+` is one number.
                if rng.chance(20)
                    && let Some(n) = record.get("phoneNumber").and_then(Value::as_str)
                {
                    let flipped = n
                        .strip_prefix('+')
                        .map_or_else(|| format!("+{n}"), str::to_owned);
                    record["phoneNumber"] = json!(flipped);
                }
            }
        }
    }
    let account = match rng.below(3) {
        0 => Account::Complete,
        1 => Account::Absent,
        _ => Account::Failed,
    };
    match account {
        Account::Complete => {}
        Account::Absent => {
            if let Some(root) = doc.as_object_mut() {
                root.remove("phoneNumbers");
            }
        }
        Account::Failed => errors.push(json!({
            "pointer": "/phoneNumbers",
            "request": "GET /restapi/v1.0/account/~/phone-number?page=2",
            "status": 503, "errorCode": "CMN-211", "message": "Service Temporarily Unavailable",
        })),
    }
    if let Some(list) = doc.get_mut("errors").and_then(Value::as_array_mut) {
        list.extend(errors);
    } else if !errors.is_empty()
        && let Some(root) = doc.as_object_mut()
    {
        root.insert("errors".to_owned(), Value::Array(errors));
    }
    (doc, account)
}

fn is_e164(number: &str) -> bool {
    let digits = number.strip_prefix('+').unwrap_or(number);
    (8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// Whether `rule` flags `record`, and the field its finding points at.
fn flags(rule: &str, record: &Value) -> Option<&'static str> {
    let text = |field: &str| record.get(field).and_then(Value::as_str);
    match rule {
        "RC-PN-006" => {
            let sms = record
                .get("features")
                .and_then(Value::as_array)?
                .iter()
                .filter_map(Value::as_str)
                .any(|f| f == "MmsSender" || f.ends_with("SmsSender"));
            (text("type") == Some("FaxOnly") && sms).then_some("features")
        }
        "RC-PN-010" => text("phoneNumber")
            .is_some_and(|n| !is_e164(n))
            .then_some("phoneNumber"),
        "RC-PN-011" => {
            let kind = text("type")?;
            (text("usageType") == Some("CompanyFaxNumber")
                && !["FaxOnly", "VoiceFax", "VoiceAndFax"].contains(&kind))
            .then_some("type")
        }
        _ => None,
    }
}

/// The pointers `rule` must report: one per number, at its first
/// occurrence in the lists that are present.
fn expected_findings(rule: &str, doc: &Value) -> BTreeSet<String> {
    let mut lists: Vec<(String, &Vec<Value>)> = Vec::new();
    if let Some(list) = doc.get("phoneNumbers").and_then(Value::as_array) {
        lists.push(("/phoneNumbers".to_owned(), list));
    }
    for (e, ext) in extensions(doc).iter().enumerate() {
        if let Some(list) = ext.get("phoneNumbers").and_then(Value::as_array) {
            lists.push((format!("/extensions/{e}/phoneNumbers"), list));
        }
    }
    let mut seen = BTreeSet::new();
    let mut out = BTreeSet::new();
    for (at, list) in lists {
        for (i, record) in list.iter().enumerate() {
            let Some(field) = flags(rule, record) else {
                continue;
            };
            // Generated records all have a number (a key by id would differ).
            let Some(number) = record.get("phoneNumber").and_then(Value::as_str) else {
                continue;
            };
            if seen.insert(number.strip_prefix('+').unwrap_or(number).to_owned()) {
                out.insert(format!("{at}/{i}/{field}"));
            }
        }
    }
    out
}

fn extensions(doc: &Value) -> &[Value] {
    doc.get("extensions")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The not-evaluated entry a rule owes.
#[derive(Debug, PartialEq, Eq)]
enum Owed {
    Nothing,
    /// The whole rule, for want of this requirement.
    Whole(&'static str),
    /// Partial: this many extensions counted as not checked (0: only a
    /// list is named).
    Partial(usize),
}

fn owed(rule: &str, doc: &Value, account: Account) -> Owed {
    let exts = extensions(doc);
    let lacks = |field: &str| {
        exts.iter()
            .filter(|e| e.get(field).and_then(Value::as_array).is_none())
            .count()
    };
    let lacking_phones = lacks("phoneNumbers");
    let any_phones = lacking_phones < exts.len();
    let admin = doc.pointer("/source/viewer/admin").and_then(Value::as_bool) == Some(true);
    if rule == "RC-SN-003" {
        let any_forwarding = lacks("forwardingNumbers") < exts.len();
        let count_phones = account != Account::Complete && any_phones;
        let counted = exts
            .iter()
            .filter(|e| {
                let lacks = |f: &str| e.get(f).and_then(Value::as_array).is_none();
                (count_phones && lacks("phoneNumbers"))
                    || (any_forwarding && lacks("forwardingNumbers"))
            })
            .count();
        return if counted == 0 && account == Account::Complete && any_forwarding {
            Owed::Nothing
        } else {
            Owed::Partial(counted)
        };
    }
    if rule == "RC-PN-006" {
        // Not covered by the account list (it reads `features`, which only
        // each extension's list has): every extension lacking its own list
        // is counted, whatever the account list; only its absence is named.
        if !admin {
            return Owed::Whole("admin");
        }
        return match account {
            Account::Absent if !any_phones => Owed::Whole("phoneNumbers"),
            Account::Absent => Owed::Partial(lacking_phones),
            _ if lacking_phones == 0 => Owed::Nothing,
            _ if !any_phones => Owed::Partial(0),
            _ => Owed::Partial(lacking_phones),
        };
    }
    match account {
        Account::Complete => Owed::Nothing,
        Account::Absent if !any_phones => Owed::Whole("phoneNumbers"),
        _ if !any_phones => Owed::Partial(0),
        _ => Owed::Partial(lacking_phones),
    }
}

fn actual(rule: &str, outcome: &Outcome) -> Owed {
    let entries: Vec<&NotEvaluated> = outcome
        .not_evaluated
        .iter()
        .filter(|n| n.rule_id == rule)
        .collect();
    assert!(entries.len() <= 1, "one verdict per rule: {entries:?}");
    let Some(entry) = entries.first() else {
        return Owed::Nothing;
    };
    if entry.skipped.is_none() {
        return Owed::Whole(if entry.requirement == "admin" {
            "admin"
        } else {
            "phoneNumbers"
        });
    }
    // "N extension(s) could not be checked: ..."
    let counted = entry
        .reason
        .split("; ")
        .find_map(|part| {
            let (n, rest) = part.split_once(' ')?;
            rest.starts_with("extension")
                .then(|| rest.contains("could not be checked"))
                .filter(|&b| b)
                .and_then(|_| n.parse().ok())
        })
        .unwrap_or(0);
    Owed::Partial(counted)
}

#[test]
fn number_rules_agree_with_an_independent_reference_on_generated_accounts() {
    let (mut rules, _) = load(&builtin::files(), &LoadOptions::default()).expect("built-in rules");
    for rule in &mut rules.rules {
        rule.enabled = RULES.contains(&rule.id.as_str());
    }
    let mut seen = BTreeSet::new();
    let mut flagged = std::collections::BTreeMap::new();
    let mut covered = 0;
    for seed in 0..120 {
        let (doc, account) = snapshot(seed);
        if account == Account::Complete
            && extensions(&doc)
                .iter()
                .any(|e| e.get("phoneNumbers").is_none())
        {
            covered += 1;
        }
        let text = serde_json::to_string(&doc).expect("JSON");
        let root = rcaudit_model::parse(&text).expect("a snapshot tree");
        let outcome = evaluate(&rules, &root);
        assert!(
            outcome.rule_errors.is_empty(),
            "seed {seed}: {:?}",
            outcome.rule_errors
        );
        for rule in RULES {
            let owed = owed(rule, &doc, account);
            let got = actual(rule, &outcome);
            assert_eq!(
                got, owed,
                "seed {seed}, {rule}, account list {account:?}: {:?}",
                outcome.not_evaluated
            );
            seen.insert(format!("{account:?} {owed:?}"));
            let found: BTreeSet<String> = outcome
                .findings
                .iter()
                .filter(|f| f.rule_id == rule)
                .map(|f| f.pointer.clone())
                .collect();
            let want = if matches!(owed, Owed::Whole(_)) || rule == "RC-SN-003" {
                BTreeSet::new()
            } else {
                expected_findings(rule, &doc)
            };
            assert_eq!(found, want, "seed {seed}, {rule}, account list {account:?}");
            *flagged.entry(rule).or_insert(0) += found.len();
        }
    }
    // The generated accounts reach every situation: the account list
    // standing in for absent extension lists, and findings of each rule.
    assert!(
        covered >= 10,
        "{covered} accounts with absent extension lists covered"
    );
    for rule in ["RC-PN-006", "RC-PN-010", "RC-PN-011"] {
        assert!(flagged.get(rule).copied().unwrap_or(0) >= 20, "{flagged:?}");
    }
    for situation in [
        "Complete Nothing",
        "Absent Whole(\"phoneNumbers\")",
        "Failed Partial(0)",
        "Complete Whole(\"admin\")",
    ] {
        assert!(
            seen.contains(situation),
            "{situation} not reached: {seen:?}"
        );
    }
    for account in ["Absent", "Failed"] {
        assert!(
            seen.iter()
                .any(|s| s.starts_with(&format!("{account} Partial(")) && !s.ends_with("(0)")),
            "{seen:?}"
        );
    }
}
