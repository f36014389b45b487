//! Plans: `planClass` and the plan class the engine reads for requirements.

use cel::common::types::CelString;
use cel::common::value::Val;
use rcaudit_model::Node;

use super::values::{Args, Out, string, take, text};

/// The catalogue's plan classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanClass {
    /// Usage-based pricing (`"ubp"`): the plan name is listed as one, or
    /// names no plan of the older kind.
    Ubp,
    /// An older, non-usage-based plan (`"non-ubp"`): the name contains one
    /// of `plans.nonUbp` as whole words.
    NonUbp,
    /// No plan name (absent or empty): `"unknown"`.
    Unknown,
}

impl PlanClass {
    /// The class as rules see it: `"ubp"`, `"non-ubp"` or `"unknown"`.
    pub fn as_str(self) -> &'static str {
        match self {
            PlanClass::Ubp => "ubp",
            PlanClass::NonUbp => "non-ubp",
            PlanClass::Unknown => "unknown",
        }
    }
}

/// Plan class from a plan name and the `plans` parameter (`ubp`, `nonUbp`
/// lists of names).
pub fn plan_class_of(name: Option<&str>, ubp: &[String], non_ubp: &[String]) -> PlanClass {
    let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) else {
        return PlanClass::Unknown;
    };
    let lower = name.to_lowercase();
    if ubp.iter().any(|u| u.trim().to_lowercase() == lower) {
        return PlanClass::Ubp;
    }
    let words: Vec<String> = name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let has_phrase = |phrase: &str| {
        let wanted: Vec<String> = phrase
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        !wanted.is_empty() && words.windows(wanted.len()).any(|w| w == wanted.as_slice())
    };
    if non_ubp.iter().any(|n| has_phrase(n)) {
        PlanClass::NonUbp
    } else {
        PlanClass::Ubp
    }
}

/// The plan name of an account record.
pub fn plan_name(account: &Node) -> Option<&str> {
    account
        .get("serviceInfo")?
        .get("servicePlan")?
        .get("name")?
        .as_str()
}

/// Names in a list value (of a `plans` parameter), ignoring non-strings.
fn names(val: Option<&dyn Val>) -> Vec<String> {
    let Some(val) = val else { return Vec::new() };
    let Some(iterable) = val.as_iterable() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut items = iterable.iter();
    while let Some(item) = items.next() {
        if let Some(s) = text(item) {
            out.push(s.to_owned());
        }
    }
    out
}

/// Reads `map.name` from any CEL map (a snapshot object or a literal).
fn with_field<T>(map: &dyn Val, name: &str, f: impl FnOnce(&dyn Val) -> Option<T>) -> Option<T> {
    let indexer = map.as_indexer()?;
    let value = indexer.get(&CelString::from(name)).ok()?;
    f(value.as_ref())
}

/// The plan class from CEL values (`account`, `plans`).
pub fn plan_class_val(account: &dyn Val, plans: &dyn Val) -> PlanClass {
    let name = with_field(account, "serviceInfo", |service| {
        with_field(service, "servicePlan", |plan| {
            with_field(plan, "name", |name| text(name).map(str::to_owned))
        })
    });
    let ubp = with_field(plans, "ubp", |v| Some(names(Some(v)))).unwrap_or_default();
    let non_ubp = with_field(plans, "nonUbp", |v| Some(names(Some(v)))).unwrap_or_default();
    plan_class_of(name.as_deref(), &ubp, &non_ubp)
}

pub(super) fn plan_class<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [account, plans] = take(args)?;
    Ok(string(
        plan_class_val(account.as_ref(), plans.as_ref()).as_str(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_names_match_whole_words() {
        let plans = |ubp: &[&str], non: &[&str]| {
            (
                ubp.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>(),
                non.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>(),
            )
        };
        let (ubp, non) = plans(&[], &["Fax", "Professional", "Office"]);
        for (name, want) in [
            (Some("Office Standard"), PlanClass::NonUbp),
            (Some("RingCentral Office Premium"), PlanClass::NonUbp),
            (Some("RingCentral Fax"), PlanClass::NonUbp),
            (Some("office"), PlanClass::NonUbp),
            (Some("Offices Plus"), PlanClass::Ubp),
            (Some("RingEX Core"), PlanClass::Ubp),
            (Some("   "), PlanClass::Unknown),
            (None, PlanClass::Unknown),
        ] {
            assert_eq!(plan_class_of(name, &ubp, &non), want, "{name:?}");
        }
    }
}
