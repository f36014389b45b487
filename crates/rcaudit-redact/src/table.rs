//! What is redacted: one table of field paths and kinds. The first entry
//! whose path matches a string's place in the snapshot decides; a string
//! no entry matches is redacted as [`Kind::Text`] and reported, so a field
//! the table does not know never leaks (`--strict` refuses it instead).
//! Values that are not strings (numbers, booleans, null) and the structure
//! (member names, list lengths) are always kept.

use std::fmt;

/// The version of [`TABLE`], recorded in a redacted snapshot's `source`:
/// it changes whenever an entry does.
pub const TABLE_VERSION: u32 = 1;

/// What a field holds, and so what becomes of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Not personal, or needed by the rules: kept as it is (ids, types,
    /// statuses, usage and payment types, features, plans, URIs).
    Keep,
    /// A person's or a company's name.
    Name,
    /// An e-mail address (it stays one: `@` and `.` stay).
    Email,
    /// A postal or emergency address, or a part of one.
    Address,
    /// A phone number: the digits the rules read stay (country code, area,
    /// toll-free or premium prefix), the subscriber's are replaced by
    /// digits that keep the number's region and type by the numbering
    /// plan; `+` and formatting stay.
    Phone,
    /// A label: the predefined ones (`Home`, `Mobile`, `Office`, `Work`,
    /// which a rule reads) and the API's forwarding number types
    /// (`PhoneLine`, `Outage`, `Other`, ...) stay, others are replaced.
    Label,
    /// Free text (job titles, departments, server messages).
    Text,
}

impl Kind {
    /// The kind's name, as the table and `redact:` in `rcaudit.yaml` spell it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Keep => "keep",
            Kind::Name => "name",
            Kind::Email => "email",
            Kind::Address => "address",
            Kind::Phone => "phone",
            Kind::Label => "label",
            Kind::Text => "text",
        }
    }

    /// The kind named `name`.
    pub fn from_name(name: &str) -> Option<Kind> {
        KINDS.iter().copied().find(|k| k.name() == name)
    }

    /// What becomes of a value of this kind, in a sentence.
    pub fn description(self) -> &'static str {
        match self {
            Kind::Keep => "kept as it is",
            Kind::Name | Kind::Address | Kind::Text => {
                "letters and digits replaced by a keyed pseudonym of the same shape"
            }
            Kind::Email => "replaced by a pseudonym of the same shape (still an e-mail address)",
            Kind::Phone => {
                "country code and area, toll-free or premium prefix kept; the other digits \
                 replaced one-to-one, keeping the region and type by the numbering plan; `+` \
                 and formatting kept"
            }
            Kind::Label => {
                "Home, Mobile, Office, Work and the API's forwarding number types (PhoneLine, \
                 Outage, Other, BusinessMobilePhone, ExtensionApps) kept; other labels replaced \
                 one-to-one, never by one of those"
            }
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Every kind, in the order `--explain` lists them.
pub const KINDS: [Kind; 7] = [
    Kind::Keep,
    Kind::Name,
    Kind::Email,
    Kind::Address,
    Kind::Phone,
    Kind::Label,
    Kind::Text,
];

/// One entry: a path pattern and the kind of what it matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Segments separated by `/`: a member name, `*` (any one member or
    /// list index) or `**` (any number of segments, none included).
    pub path: String,
    /// What the matched strings hold.
    pub kind: Kind,
}

/// The built-in table, most specific entries first.
pub const TABLE: &[(&str, Kind)] = &[
    // Written by the fetcher: where and when, who looked, what failed.
    ("/snapshotVersion", Kind::Keep),
    ("/capturedAt", Kind::Keep),
    ("/source/server", Kind::Keep),
    ("/source/generator", Kind::Keep),
    ("/source/viewer/accountId", Kind::Keep),
    ("/source/viewer/extensionId", Kind::Keep),
    ("/source/viewer/scope", Kind::Keep),
    ("/source/viewer/scope/*", Kind::Keep),
    ("/source/redaction/tool", Kind::Keep),
    ("/errors/*/message", Kind::Text),
    ("/errors/*/pointer", Kind::Keep),
    ("/errors/*/request", Kind::Keep),
    ("/errors/*/errorCode", Kind::Keep),
    ("/errors/*/status", Kind::Keep),
    // Anywhere: identifiers, links, enumerations and times.
    ("/**/id", Kind::Keep),
    ("/**/uri", Kind::Keep),
    ("/**/extensionNumber", Kind::Keep),
    ("/**/type", Kind::Keep),
    ("/**/subType", Kind::Keep),
    ("/**/status", Kind::Keep),
    ("/**/usageType", Kind::Keep),
    ("/**/paymentType", Kind::Keep),
    ("/**/features/*", Kind::Keep),
    ("/**/flipNumber", Kind::Keep),
    ("/**/creationTime", Kind::Keep),
    ("/**/lastModifiedTime", Kind::Keep),
    // Phone numbers.
    ("/**/phoneNumber", Kind::Phone),
    ("/account/mainNumber", Kind::Phone),
    ("/account/cfid", Kind::Phone),
    ("/**/contact/businessPhone", Kind::Phone),
    ("/**/contact/mobilePhone", Kind::Phone),
    ("/**/contact/homePhone", Kind::Phone),
    // People and addresses.
    // An address's country and state say where, not who.
    ("/**/country", Kind::Keep),
    ("/**/state", Kind::Keep),
    ("/**/contact/email", Kind::Email),
    ("/**/email", Kind::Email),
    ("/**/contact/businessAddress/**", Kind::Address),
    ("/**/emergencyAddress/**", Kind::Address),
    ("/**/address/**", Kind::Address),
    ("/**/contact/firstName", Kind::Name),
    ("/**/contact/lastName", Kind::Name),
    ("/**/contact/company", Kind::Name),
    ("/**/contact/pronouncedName/text", Kind::Name),
    ("/**/contact/pronouncedName/type", Kind::Keep),
    ("/extensions/*/name", Kind::Name),
    ("/phoneNumbers/*/extension/name", Kind::Name),
    ("/**/extension/name", Kind::Name),
    ("/account/operator/name", Kind::Name),
    ("/**/callerId/**", Kind::Name),
    ("/**/label", Kind::Label),
    ("/**/contact/jobTitle", Kind::Text),
    ("/**/contact/department", Kind::Text),
    // The account's plan and settings: not personal, and rules read the
    // plan's name.
    ("/account/serviceInfo/**", Kind::Keep),
    ("/serviceInfo/**", Kind::Keep),
    ("/account/regionalSettings/**", Kind::Keep),
    ("/account/signupInfo/**", Kind::Keep),
    ("/account/setupWizardState", Kind::Keep),
    ("/**/regionalSettings/**", Kind::Keep),
    ("/**/country/**", Kind::Keep),
    ("/**/permissions/**", Kind::Keep),
    ("/**/contactCenterProvider/name", Kind::Keep),
    ("/**/device/name", Kind::Name),
];

/// The table a redaction uses: the `redact:` entries of `rcaudit.yaml`
/// first (they win), then [`TABLE`].
#[derive(Debug, Clone)]
pub struct Table {
    entries: Vec<Entry>,
    /// Each entry's path, split into segments once.
    patterns: Vec<Vec<String>>,
}

impl Default for Table {
    fn default() -> Table {
        Table::with(Vec::new())
    }
}

impl Table {
    /// The built-in table after `extra` entries.
    pub fn with(extra: Vec<Entry>) -> Table {
        let mut entries = extra;
        entries.extend(TABLE.iter().map(|(path, kind)| Entry {
            path: (*path).to_owned(),
            kind: *kind,
        }));
        let patterns = entries
            .iter()
            .map(|e| segments(&e.path).into_iter().map(str::to_owned).collect())
            .collect();
        Table { entries, patterns }
    }

    /// The entries, in the order they are tried.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The kind of the string at `path` (member names and list indexes),
    /// or `None` when no entry matches.
    pub fn kind(&self, path: &[&str]) -> Option<Kind> {
        self.patterns
            .iter()
            .zip(&self.entries)
            .find(|(pattern, _)| matches(pattern, path))
            .map(|(_, e)| e.kind)
    }
}

fn segments(pattern: &str) -> Vec<&str> {
    pattern
        .strip_prefix('/')
        .unwrap_or(pattern)
        .split('/')
        .filter(|s| !s.is_empty())
        .collect()
}

/// Whether a pattern's segments match a path's.
fn matches(pattern: &[String], path: &[&str]) -> bool {
    match (pattern.split_first(), path.split_first()) {
        (None, None) => true,
        (Some((p, rest)), _) if p == "**" => {
            (0..=path.len()).any(|skip| path.get(skip..).is_some_and(|p| matches(rest, p)))
        }
        (Some((p, rest)), Some((s, tail))) => (p == "*" || p == s) && matches(rest, tail),
        _ => false,
    }
}

/// Why a `redact:` entry is refused.
pub fn check_entry(path: &str, kind: &str) -> Result<Entry, String> {
    let Some(kind) = Kind::from_name(kind) else {
        let names: Vec<&str> = KINDS.iter().map(|k| k.name()).collect();
        return Err(format!(
            "unknown kind `{kind}`; the kinds are {}",
            names.join(", ")
        ));
    };
    if !path.starts_with('/') || segments(path).is_empty() {
        return Err(format!(
            "`{path}` is not a path: write members from the root, `/extensions/*/contact/nickname`"
        ));
    }
    Ok(Entry {
        path: path.to_owned(),
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(path: &str) -> Option<Kind> {
        Table::default().kind(&segments(path))
    }

    #[test]
    fn the_most_specific_entry_decides() {
        assert_eq!(kind("/extensions/3/name"), Some(Kind::Name));
        assert_eq!(kind("/extensions/3/contact/email"), Some(Kind::Email));
        assert_eq!(
            kind("/extensions/3/contact/businessAddress/street"),
            Some(Kind::Address)
        );
        assert_eq!(
            kind("/extensions/3/forwardingNumbers/0/phoneNumber"),
            Some(Kind::Phone)
        );
        assert_eq!(
            kind("/extensions/3/forwardingNumbers/0/label"),
            Some(Kind::Label)
        );
        assert_eq!(
            kind("/extensions/3/forwardingNumbers/0/features/1"),
            Some(Kind::Keep)
        );
        assert_eq!(
            kind("/account/serviceInfo/servicePlan/name"),
            Some(Kind::Keep)
        );
        assert_eq!(kind("/errors/0/message"), Some(Kind::Text));
        assert_eq!(kind("/errors/0/request"), Some(Kind::Keep));
        assert_eq!(kind("/source/viewer/scope"), Some(Kind::Keep));
        assert_eq!(kind("/extensions/3/site/name"), None);
    }

    #[test]
    fn extra_entries_win() {
        let table = Table::with(vec![
            check_entry("/extensions/*/name", "keep").expect("valid"),
        ]);
        assert_eq!(
            table.kind(&segments("/extensions/0/name")),
            Some(Kind::Keep)
        );
        assert!(check_entry("extensions", "keep").is_err());
        assert!(check_entry("/x", "secret").is_err());
    }
}
