//! `fetch --select` / `fetch --rules`: the data the chosen rules read, so
//! the fetch asks for nothing else. What a rule reads is what the loader
//! worked out: its targets, its requirements (declared and implied, its
//! facts' too), and the field paths of its expressions.

use rcaudit_fetch::{Data, ExtensionNumbers};
use rcaudit_rules::template::{Part, Template};
use rcaudit_rules::{Expression, Requirement, Rule, RuleSet, Target};

/// The data the enabled rules of `rules` read.
pub fn data_for(rules: &RuleSet) -> Data {
    let mut data = Data::NONE;
    for rule in rules.rules.iter().filter(|r| r.enabled) {
        read_by(rule, rules, &mut data);
    }
    data
}

/// Adds what `rule` reads to `data`.
fn read_by(rule: &Rule, rules: &RuleSet, data: &mut Data) {
    for &target in &rule.targets {
        match target {
            Target::Snapshot | Target::Account | Target::Errors => {}
            Target::Extensions => data.extensions = true,
            Target::PhoneNumbers => data.phone_numbers = true,
            Target::ExtensionPhoneNumbers => {
                let covered = rule
                    .covered_by
                    .contains(&(Target::ExtensionPhoneNumbers, Target::PhoneNumbers));
                extension_numbers(data, covered);
            }
            Target::ForwardingNumbers => forwarding(data),
        }
    }
    let facts = rule.facts.iter().filter_map(|&i| rules.facts.get(i));
    let requirements = rule
        .requires
        .iter()
        .chain(facts.clone().flat_map(|f| f.requires.iter()));
    for requirement in requirements {
        match requirement {
            Requirement::Admin | Requirement::PlanClass => {}
            Requirement::Present(path) => root_path(data, path),
            Requirement::ItemPresent(path) | Requirement::ExtensionPresent(path) => {
                // A field of an extension (or of the item's extension).
                extension_field(data, path.first().map(String::as_str), Some(rule));
            }
        }
    }
    let mut expressions: Vec<&Expression> = facts.map(|f| &f.expr).collect();
    expressions.extend(rule.when.iter());
    expressions.push(&rule.assert);
    expressions.extend(rule.key.iter());
    expressions.extend(rule.fingerprint.iter());
    template_expressions(&rule.message, &mut expressions);
    if let Some(rcaudit_rules::At::Template(at)) = &rule.at {
        template_expressions(at, &mut expressions);
    }
    for expression in expressions {
        for (path, _) in &expression.paths {
            read_path(data, path, rule);
        }
        for (name, _) in &expression.variables {
            root_path(data, std::slice::from_ref(name));
        }
    }
}

fn template_expressions<'a>(template: &'a Template, out: &mut Vec<&'a Expression>) {
    for part in &template.parts {
        if let Part::Expr(expression, _) = part {
            out.push(expression);
        }
    }
}

/// Each extension's phone-number list; `covered` when the rule lets the
/// account's list stand in for them (`coveredBy`), which it then reads.
fn extension_numbers(data: &mut Data, covered: bool) {
    data.extensions = true;
    if covered {
        data.phone_numbers = true;
        if data.extension_phone_numbers == ExtensionNumbers::No {
            data.extension_phone_numbers = ExtensionNumbers::UnlessCovered;
        }
    } else {
        data.extension_phone_numbers = ExtensionNumbers::Yes;
    }
}

fn forwarding(data: &mut Data) {
    data.extensions = true;
    data.forwarding_numbers = true;
}

/// A path from the snapshot's root (`phoneNumbers`, `serviceInfo.x`,
/// `source.viewer.permissions`).
fn root_path(data: &mut Data, path: &[String]) {
    let segments: Vec<&str> = path.iter().map(String::as_str).collect();
    match segments.as_slice() {
        ["phoneNumbers", ..] => data.phone_numbers = true,
        ["serviceInfo", ..] => data.service_info = true,
        ["extensions", "[]", field, ..] => extension_field(data, Some(field), None),
        ["extensions", ..] => data.extensions = true,
        ["source", "viewer", "permissions", ..] => data.permissions = true,
        _ => {}
    }
}

/// A field of an extension record: its lists are fetched apart.
fn extension_field(data: &mut Data, field: Option<&str>, rule: Option<&Rule>) {
    data.extensions = true;
    match field {
        Some("forwardingNumbers") => forwarding(data),
        Some("phoneNumbers") => {
            let covered = rule.is_some_and(|r| {
                r.covered_by
                    .contains(&(Target::ExtensionPhoneNumbers, Target::PhoneNumbers))
            });
            extension_numbers(data, covered);
        }
        _ => {}
    }
}

/// A field path an expression reads: from the snapshot (`snapshot.x`, or
/// a top-level variable), an item, or the item's `extension`.
fn read_path(data: &mut Data, path: &[String], rule: &Rule) {
    let Some((root, rest)) = path.split_first() else {
        return;
    };
    match root.as_str() {
        "snapshot" => root_path(data, rest),
        "extension" => extension_field(data, rest.first().map(String::as_str), Some(rule)),
        "item" => {
            for &target in &rule.targets {
                match target {
                    Target::Snapshot => root_path(data, rest),
                    Target::Extensions => {
                        extension_field(data, rest.first().map(String::as_str), Some(rule));
                    }
                    _ => {}
                }
            }
        }
        _ => root_path(data, path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcaudit_rules::{LoadOptions, builtin, load};

    fn builtin_rules() -> RuleSet {
        load(&builtin::files(), &LoadOptions::default())
            .expect("the built-in rules load")
            .0
    }

    /// The data one built-in rule reads.
    fn data_of(id: &str) -> Data {
        let mut rules = builtin_rules();
        for rule in &mut rules.rules {
            rule.enabled = rule.id == id;
        }
        data_for(&rules)
    }

    #[test]
    fn each_rule_asks_for_what_it_reads() {
        let none = Data::NONE;
        let cases = [
            // The token's scope comes with the token: nothing to ask.
            ("RC-SN-002", none),
            (
                "RC-SN-004",
                Data {
                    permissions: true,
                    ..none
                },
            ),
            (
                "RC-FW-001",
                Data {
                    extensions: true,
                    forwarding_numbers: true,
                    ..none
                },
            ),
            (
                "RC-FW-002",
                Data {
                    extensions: true,
                    forwarding_numbers: true,
                    ..none
                },
            ),
            (
                "RC-PN-001",
                Data {
                    phone_numbers: true,
                    ..none
                },
            ),
            // The account list stands in for each extension's.
            (
                "RC-PN-010",
                Data {
                    phone_numbers: true,
                    extensions: true,
                    extension_phone_numbers: ExtensionNumbers::UnlessCovered,
                    ..none
                },
            ),
            // `features` is only in each extension's list.
            (
                "RC-PN-006",
                Data {
                    phone_numbers: true,
                    extensions: true,
                    extension_phone_numbers: ExtensionNumbers::Yes,
                    ..none
                },
            ),
            (
                "RC-EX-006",
                Data {
                    extensions: true,
                    ..none
                },
            ),
        ];
        for (id, want) in cases {
            assert_eq!(data_of(id), want, "{id}");
        }
    }

    #[test]
    fn all_the_built_in_rules_read_all_but_the_service_info() {
        // No built-in rule reads the top-level `serviceInfo` (the plan
        // comes from `account.serviceInfo`), and RC-PN-006 reads the
        // `features` only each extension's phone-number list has.
        let data = data_for(&builtin_rules());
        assert_eq!(
            data,
            Data {
                service_info: false,
                extension_phone_numbers: ExtensionNumbers::Yes,
                ..Data::ALL
            }
        );
    }
}
