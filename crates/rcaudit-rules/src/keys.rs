//! The keys rcaudit reads, one table per kind of mapping: a rule file, a
//! rule, a rule's case, a case file, a config file. Each key has its name,
//! whether it is required, the kind of value it takes and its
//! documentation. The loader's key checks (unknown and missing keys, with
//! did-you-mean), the case reader's, the config reader's and the generated
//! JSON Schemas ([`crate::schemas`]) all read these tables, so they cannot
//! disagree.

/// One key of a mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    /// The key as written.
    pub name: &'static str,
    /// Whether the mapping must have it.
    pub required: bool,
    /// The value it takes.
    pub kind: Kind,
    /// What it is for (the schemas' descriptions).
    pub doc: &'static str,
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// The kind of value a key takes; the schemas spell each out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string (text, or a CEL expression or template).
    Text,
    /// A string, or a list of them.
    Texts,
    /// `error`, `warning` or `info`.
    Severity,
    /// A target, or a list of them.
    Targets,
    /// A mapping of per-extension targets to the list that covers them.
    CoveredBy,
    /// A list of rules.
    Rules,
    /// A mapping of fact names to CEL expressions.
    Facts,
    /// A mapping (parameters, a snapshot fragment).
    Mapping,
    /// A list of a rule's cases.
    Cases,
    /// The findings a case expects: pointers, or `{pointer, message}`.
    Findings,
    /// Words of a reason, or a boolean.
    TextOrBool,
    /// A mapping of rule ids to severities.
    SeverityMap,
    /// Parameter overrides (the built-in packs' parameters, typed).
    ParamOverrides,
    /// `error`, `warning`, `info` or `never`.
    FailOn,
    /// A list of waivers.
    Waivers,
    /// Limits on evaluation ([`LIMIT_KEYS`]).
    Limits,
    /// A positive number of steps.
    Steps,
    /// `rcaudit redact`'s extra table entries: `{path, kind}`.
    Redact,
    /// A string that is not empty.
    NonEmpty,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// Anything: checked by the reader of the key, not by the schemas.
    Any,
}

const fn key(name: &'static str, required: bool, kind: Kind, doc: &'static str) -> Key {
    Key {
        name,
        required,
        kind,
        doc,
    }
}

/// The names of `keys`, in order.
pub fn names(keys: &'static [Key]) -> impl Iterator<Item = &'static str> + Clone {
    keys.iter().map(|k| k.name)
}

/// The key of `keys` named `name`.
pub fn find(keys: &'static [Key], name: &str) -> Option<&'static Key> {
    keys.iter().find(|k| k.name == name)
}

/// The top-level keys of a rule file.
pub const FILE_KEYS: &[Key] = &[
    key("rules", false, Kind::Rules, "The rules of this file."),
    key(
        "facts",
        false,
        Kind::Facts,
        "Named CEL expressions computed once per snapshot, read as facts.NAME.",
    ),
    key(
        "params",
        false,
        Kind::Mapping,
        "Parameters, read as params.NAME; rcaudit.yaml can override them (with a value of the declared type). Each is declared by its default (its type is the default's), or in full: {type, default, doc}, where a type is bool, int, number, string, any, list(T), or a mapping of field names to types.",
    ),
];

/// The keys of a rule.
pub const RULE_KEYS: &[Key] = &[
    key(
        "id",
        true,
        Kind::Text,
        "Stable id, used by waivers, baselines and configs: letters, digits, `-`, `_`, `.` (e.g. ACME-FW-001).",
    ),
    key(
        "name",
        false,
        Kind::Text,
        "A kebab-case name (e.g. forwarding-numbers-at-most-ten).",
    ),
    key(
        "severity",
        true,
        Kind::Severity,
        "How serious a finding is: error, warning or info.",
    ),
    key(
        "title",
        true,
        Kind::Text,
        "One line stating what must hold.",
    ),
    key(
        "description",
        false,
        Kind::Text,
        "What the rule checks (shown by `rcaudit explain`).",
    ),
    key(
        "why",
        false,
        Kind::Text,
        "Why it matters, citing the documented behaviour.",
    ),
    key("fix", false, Kind::Text, "How to fix it in the account."),
    key(
        "references",
        false,
        Kind::Texts,
        "Links to the RingCentral documentation.",
    ),
    key(
        "target",
        true,
        Kind::Targets,
        "What the rule iterates; each item is checked on its own. One target or a list.",
    ),
    key(
        "when",
        false,
        Kind::Text,
        "CEL: items for which this is false are not checked.",
    ),
    key(
        "assert",
        true,
        Kind::Text,
        "CEL: must be true for every checked item; false is a finding.",
    ),
    key(
        "message",
        true,
        Kind::Text,
        "The finding's message: text with {{ CEL }} holes; name the offending value.",
    ),
    key(
        "at",
        false,
        Kind::Text,
        "Where a finding points: a field of the item (paymentType, contact.email), a JSON pointer (/phoneNumbers), or a {{ template }} giving one.",
    ),
    key(
        "key",
        false,
        Kind::Text,
        "CEL: one finding per key (findings whose key was already seen are dropped); also the fingerprint's key unless `fingerprint` is given.",
    ),
    key(
        "fingerprint",
        false,
        Kind::Text,
        "CEL: the stable key of the item in the finding's fingerprint, for waivers and baselines (default: `key`, else by target: extension id, phone-number id, forwarding number within its extension). Drops nothing: equal fingerprints are numbered #2, #3.",
    ),
    key(
        "requires",
        false,
        Kind::Texts,
        "Data the rule needs, else it is not evaluated: admin, planClass, a snapshot path (phoneNumbers, account.mainNumber), item.<path> or extension.<path> (items without it are skipped and counted).",
    ),
    key(
        "coveredBy",
        false,
        Kind::CoveredBy,
        "Per-extension lists a top-level list stands in for: {extensionPhoneNumbers: phoneNumbers}. While the account's phoneNumbers is present and has no errors entry, extensions without their own phoneNumbers are not counted as not checked (the account list holds every number); without it, or when it was not read in full, they are. Both targets must be the rule's.",
    ),
    key(
        "extraFields",
        false,
        Kind::Texts,
        "Fields the rule reads that the snapshot schema does not define yet (item.newField).",
    ),
    key(
        "cases",
        false,
        Kind::Cases,
        "Test cases run by `rcaudit test` and `cargo test`: a snapshot and the findings it must give.",
    ),
];

/// The keys of a case kept with its rule (under the rule's `cases:`).
pub const CASE_KEYS: &[Key] = &[
    key("name", true, Kind::Text, "What the case shows."),
    key(
        "snapshot",
        true,
        Kind::Mapping,
        "Top-level snapshot keys, merged over a minimal valid snapshot (null removes one).",
    ),
    key(
        "params",
        false,
        Kind::Mapping,
        "Parameter overrides for this case.",
    ),
    key(
        "findings",
        false,
        Kind::Findings,
        "JSON pointers of this rule's findings (all of them), or {pointer, message}.",
    ),
    key(
        "notEvaluated",
        false,
        Kind::TextOrBool,
        "Words of the not-evaluated reason this rule must give (omitted: none).",
    ),
    key(
        "ruleErrors",
        false,
        Kind::Text,
        "Words of the rule error this rule must give (omitted: none).",
    ),
];

/// The keys of a case file (`tests/cases/*.yaml`), or of one of its
/// `cases:`.
pub const CASE_FILE_KEYS: &[Key] = &[
    key("name", true, Kind::Text, "What the case shows."),
    key(
        "description",
        false,
        Kind::Text,
        "More about the case, for readers.",
    ),
    key(
        "rules",
        false,
        Kind::Any,
        "Inline rules: the text of a rule file (default: the built-in packs).",
    ),
    key("only", false, Kind::Texts, "The ids of the rules to run."),
    key(
        "params",
        false,
        Kind::Mapping,
        "Parameter overrides for this case.",
    ),
    key(
        "snapshot",
        false,
        Kind::Mapping,
        "Top-level snapshot keys, merged over a minimal valid snapshot (null removes one).",
    ),
    key(
        "expect",
        false,
        Kind::Any,
        "Every finding, not-evaluated entry and rule error the rules must give.",
    ),
    key(
        "cases",
        false,
        Kind::Any,
        "More cases sharing this file's rules and parameters.",
    ),
];

/// The keys of a case file's `expect:`.
pub const EXPECT_KEYS: &[Key] = &[
    key(
        "findings",
        false,
        Kind::Any,
        "Every finding: {rule, pointer, message}.",
    ),
    key(
        "notEvaluated",
        false,
        Kind::Any,
        "Every not-evaluated entry: {rule, reason}.",
    ),
    key(
        "ruleErrors",
        false,
        Kind::Any,
        "Every rule error: {rule, message}.",
    ),
];

/// The keys of a config file (`rcaudit.yaml`).
pub const CONFIG_KEYS: &[Key] = &[
    key(
        "packs",
        false,
        Kind::Texts,
        "Built-in packs to use (default: all).",
    ),
    key(
        "rules",
        false,
        Kind::Texts,
        "More rule files or folders, relative to this file.",
    ),
    key("disable", false, Kind::Texts, "Rule ids to turn off."),
    key(
        "severity",
        false,
        Kind::SeverityMap,
        "Severity overrides: rule id -> error, warning or info.",
    ),
    key(
        "params",
        false,
        Kind::ParamOverrides,
        "Parameter overrides, merged key by key over the packs' defaults.",
    ),
    key(
        "failOn",
        false,
        Kind::FailOn,
        "Default for --fail-on: error, warning, info or never.",
    ),
    key(
        "waivers",
        false,
        Kind::Waivers,
        "Accepted exceptions: rule, item (a fingerprint or item key), reason and owner (required), expires (YYYY-MM-DD).",
    ),
    key(
        "limits",
        false,
        Kind::Limits,
        "Limits on evaluation, counted in steps (elements visited by map, filter, all, exists, exists_one, nested ones included). steps: per item of a rule, or per fact (default 1000000); ruleSteps: per rule over all its items (default 100000000). Running out is a rule error.",
    ),
    key(
        "redact",
        false,
        Kind::Redact,
        "More entries for rcaudit redact's table, tried before the built-in ones: path (members from the root; * is any one member or index, ** any number) and kind (keep, name, email, address, phone, label or text; rcaudit redact --explain).",
    ),
];

/// The keys of a waiver (in `rcaudit.yaml`'s `waivers:` or a waiver file).
pub const WAIVER_KEYS: &[Key] = &[
    key("rule", true, Kind::Text, "The rule id."),
    key(
        "item",
        true,
        Kind::Text,
        "A finding's fingerprint (RC-PN-003:phone:246715009) or its item key (phone:246715009).",
    ),
    key(
        "reason",
        true,
        Kind::NonEmpty,
        "Why the exception is accepted (required).",
    ),
    key(
        "owner",
        true,
        Kind::NonEmpty,
        "Who answers for it: a person or a team (required).",
    ),
    key(
        "expires",
        false,
        Kind::Date,
        "The last day it applies (YYYY-MM-DD); after it the finding counts again.",
    ),
];

/// The keys of a config's `limits:`.
pub const LIMIT_KEYS: &[Key] = &[
    key(
        "steps",
        false,
        Kind::Steps,
        "The most elements comprehensions may visit while one rule checks one item, or one fact is computed.",
    ),
    key(
        "ruleSteps",
        false,
        Kind::Steps,
        "The most elements comprehensions may visit while one rule checks all its items; the rule then stops, with a rule error counting the items left unchecked.",
    ),
];

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn keys_are_unique_and_documented() {
        for table in [
            FILE_KEYS,
            RULE_KEYS,
            CASE_KEYS,
            CASE_FILE_KEYS,
            EXPECT_KEYS,
            CONFIG_KEYS,
            LIMIT_KEYS,
            WAIVER_KEYS,
        ] {
            let mut seen = BTreeSet::new();
            for key in table {
                assert!(seen.insert(key.name), "`{}` twice", key.name);
                assert!(!key.doc.is_empty(), "`{}` has no doc", key.name);
            }
        }
    }
}
