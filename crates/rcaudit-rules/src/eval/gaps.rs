//! Gap accounting: what a rule that ran could not see (absent lists,
//! items and extensions skipped for a missing field), said in one
//! not-evaluated entry.

use std::fmt::Write as _;

use rcaudit_model::Node;

use super::bindings::Place;

use super::outcome::NotEvaluated;
use super::requirements::describe_error;
use crate::rule::{Rule, Target};

/// What a rule that ran could not see: lists absent altogether, and items
/// (or extensions) skipped for a missing field. One not-evaluated entry
/// says it all (`docs/snapshot-format.md`, "Unknown versus empty").
#[derive(Debug, Default)]
pub(super) struct Gaps {
    /// Why each absent target list is absent (each reason once).
    pub(super) lists: Vec<String>,
    /// Lists present but not read in full, that a rule's `coveredBy` would
    /// have relied on: why, and which list.
    pub(super) incomplete: Vec<(String, Target)>,
    /// Items skipped, by noun, each item once.
    pub(super) skipped: Vec<(&'static str, Places)>,
    /// The missing fields, as requirements (`extension.forwardingNumbers`).
    pub(super) fields: Vec<String>,
    /// Fetch failures recorded for the skipped places: the first, and how many.
    pub(super) failures: Option<(String, usize)>,
    /// Why each per-extension list is absent where no failure says
    /// (` (not fetched)`, or what `source.lists` records), by field.
    pub(super) absent_because: Vec<(&'static str, String)>,
}

impl Gaps {
    pub(super) fn absent_list(&mut self, reason: String) {
        if !self.lists.contains(&reason) {
            self.lists.push(reason);
        }
    }

    pub(super) fn incomplete_list(&mut self, reason: String, list: Target) {
        self.incomplete.push((reason, list));
    }

    /// Records that an item (`place`: an extension, for an extension's
    /// field) was not checked because its field `path` is missing (`what`
    /// names the variable: `item`, `extension`). Called for every item
    /// skipped, for every rule: nothing is allocated but the first time.
    pub(super) fn skip(
        &mut self,
        noun: &'static str,
        place: Place,
        (what, path): (&str, &[impl AsRef<str>]),
        failure: Option<&Node>,
    ) {
        match self.skipped.iter_mut().find(|(n, _)| *n == noun) {
            Some((_, places)) => places.insert(place),
            None => {
                let mut places = Places::default();
                places.insert(place);
                self.skipped.push((noun, places));
            }
        }
        if !self.fields.iter().any(|f| names(f, what, path)) {
            let mut field = what.to_owned();
            for name in path {
                field.push('.');
                field.push_str(name.as_ref());
            }
            self.fields.push(field);
        }
        if let Some(error) = failure {
            match &mut self.failures {
                Some((_, count)) => *count += 1,
                None => self.failures = Some((describe_error(error), 1)),
            }
        }
    }

    pub(super) fn not_evaluated(mut self, rule: &Rule) -> Option<NotEvaluated> {
        let count: usize = self
            .skipped
            .iter_mut()
            .map(|(_, places)| places.count())
            .sum();
        if count == 0 && self.lists.is_empty() && self.incomplete.is_empty() {
            return None;
        }
        let mut parts: Vec<String> = self
            .incomplete
            .iter()
            .map(|(reason, _)| format!("{reason}, so part of it could not be checked"))
            .chain(
                self.lists
                    .iter()
                    .map(|reason| format!("{reason}, so it could not be checked")),
            )
            .collect();
        if count > 0 {
            let what = self
                .skipped
                .iter_mut()
                .map(|(noun, places)| {
                    let n = places.count();
                    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
                })
                .collect::<Vec<_>>()
                .join(" and ");
            let names: Vec<String> = self
                .fields
                .iter()
                .map(|f| {
                    format!(
                        "`{}`",
                        f.split_once('.').map_or(f.as_str(), |(_, rest)| rest)
                    )
                })
                .collect();
            let verb = if names.len() == 1 { "is" } else { "are" };
            let mut part = format!(
                "{what} could not be checked: {} {verb} absent",
                names.join(", ")
            );
            match &self.failures {
                Some((first, 1)) if count == 1 => {
                    let _ = write!(part, " (it could not be fetched: {first})");
                }
                Some((first, 1)) => {
                    let _ = write!(part, " (1 could not be fetched: {first})");
                }
                Some((first, n)) => {
                    let _ = write!(part, " ({n} could not be fetched, e.g. {first})");
                }
                None => {
                    // What `source.lists` says, when it says the same of
                    // every missing field.
                    let mut reasons = self.fields.iter().map(|f| {
                        let name = f.split_once('.').map_or(f.as_str(), |(_, rest)| rest);
                        self.absent_because
                            .iter()
                            .find(|(field, _)| *field == name)
                            .map_or(" (not fetched)", |(_, why)| why.as_str())
                    });
                    let first = reasons.next().unwrap_or(" (not fetched)");
                    if reasons.all(|r| r == first) {
                        part.push_str(first);
                    } else {
                        part.push_str(" (not fetched)");
                    }
                }
            }
            parts.push(part);
        }
        let mut reason = parts.join("; ");
        reason.push_str("; the rest was checked");
        let mut requirement: Vec<String> = self.fields;
        if !self.lists.is_empty() {
            requirement.extend(rule.targets.iter().map(|t| t.as_str().to_owned()));
        }
        for (_, list) in &self.incomplete {
            if !requirement.iter().any(|r| r == list.as_str()) {
                requirement.push(list.as_str().to_owned());
            }
        }
        Some(NotEvaluated {
            rule_id: rule.id.clone(),
            reason,
            requirement: requirement.join(", "),
            skipped: Some(count + self.lists.len() + self.incomplete.len()),
        })
    }
}

/// The places a rule skipped, each counted once. A rule walks a target's
/// items in order, so places mostly come in ascending order, each new:
/// they are pushed, and sorted and deduplicated only when one came out of
/// order (a rule over several targets may skip an extension for each).
/// A hash set cost a rule that skips 100,000 extensions about 25 ms of
/// hashing and rehashing (BENCHMARKS.md).
#[derive(Debug, Default)]
pub(super) struct Places {
    places: Vec<Place>,
    /// Whether `places` is strictly ascending: no place twice.
    unsorted: bool,
}

impl Places {
    fn insert(&mut self, place: Place) {
        if self.places.last().is_some_and(|last| *last >= place) {
            self.unsorted = true;
        }
        self.places.push(place);
    }

    /// How many places, each once.
    fn count(&mut self) -> usize {
        if self.unsorted {
            self.places.sort_unstable();
            self.places.dedup();
            self.unsorted = false;
        }
        self.places.len()
    }
}

/// Whether `field` is `what` and the names of `path`, joined by dots.
fn names(field: &str, what: &str, path: &[impl AsRef<str>]) -> bool {
    let Some(mut rest) = field.strip_prefix(what) else {
        return false;
    };
    for name in path {
        let Some(next) = rest
            .strip_prefix('.')
            .and_then(|r| r.strip_prefix(name.as_ref()))
        else {
            return false;
        };
        rest = next;
    }
    rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_is_named_by_its_variable_and_path() {
        assert!(names("item.a.b", "item", &["a", "b"]));
        assert!(names(
            "extension.forwardingNumbers",
            "extension",
            &["forwardingNumbers"]
        ));
        assert!(!names("item.a.b", "item", &["a"]));
        assert!(!names("item.a", "item", &["a", "b"]));
        assert!(!names("item.ab", "item", &["a"]));
        assert!(!names("extension.a", "item", &["a"]));
        assert!(!names("itema", "item", &["a"]));
    }

    #[test]
    fn each_item_skipped_counts_once_and_each_field_is_named_once() {
        let mut gaps = Gaps::default();
        for _ in 0..2 {
            gaps.skip(
                "extension",
                Place::Top("extensions", 3),
                ("extension", &["forwardingNumbers"]),
                None,
            );
            gaps.skip(
                "extension",
                Place::Top("extensions", 4),
                ("extension", &["forwardingNumbers"]),
                None,
            );
            gaps.skip(
                "forwarding number",
                Place::Nested(1, "forwardingNumbers", 0),
                ("item", &["label"]),
                None,
            );
        }
        let counts: Vec<(&str, usize)> = gaps
            .skipped
            .iter_mut()
            .map(|(n, p)| (*n, p.count()))
            .collect();
        assert_eq!(counts, [("extension", 2), ("forwarding number", 1)]);
        assert_eq!(gaps.fields, ["extension.forwardingNumbers", "item.label"]);
    }

    fn place() -> impl proptest::strategy::Strategy<Value = Place> {
        use proptest::prelude::*;
        prop_oneof![
            Just(Place::Root),
            Just(Place::Account),
            (
                prop::sample::select(vec!["extensions", "phoneNumbers"]),
                0..6usize
            )
                .prop_map(|(list, i)| Place::Top(list, i)),
            (
                0..4usize,
                prop::sample::select(vec!["phoneNumbers", "forwardingNumbers"]),
                0..3usize
            )
                .prop_map(|(e, list, i)| Place::Nested(e, list, i)),
        ]
    }

    proptest::proptest! {
        /// In whatever order places come, in order or not, repeated or
        /// not, each is counted once: as a hash set counts them.
        #[test]
        fn places_count_as_a_set_does(
            runs in proptest::collection::vec(proptest::collection::vec(place(), 0..40), 1..4),
        ) {
            let mut places = Places::default();
            let mut set = std::collections::HashSet::new();
            for mut run in runs {
                // Mostly ascending, as a rule walks a target.
                run.sort();
                for place in run {
                    places.insert(place);
                    set.insert(place);
                }
            }
            proptest::prop_assert_eq!(places.count(), set.len());
            proptest::prop_assert_eq!(places.count(), set.len());
        }
    }
}
