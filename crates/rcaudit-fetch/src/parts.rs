//! What a fetch has gathered, and the snapshot document made from it.
//!
//! Records stay the API's own text (`RawValue`): field names, order and
//! values exactly as the server sent them (API records are kept
//! verbatim, as `schemas/snapshot.schema.json` describes). The document is assembled as compact JSON and re-indented.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::data::{Forwarding, forwarding};

/// A per-extension list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum List {
    /// The extension's phone numbers.
    PhoneNumbers,
    /// The extension's forwarding numbers.
    ForwardingNumbers,
}

impl List {
    /// Both lists.
    pub const BOTH: [List; 2] = [List::PhoneNumbers, List::ForwardingNumbers];

    /// The list's member in an extension record of the snapshot.
    pub fn field(self) -> &'static str {
        match self {
            List::PhoneNumbers => "phoneNumbers",
            List::ForwardingNumbers => "forwardingNumbers",
        }
    }
}

/// Where something that could not be fetched would be in the snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A top-level member (`/serviceInfo`, `/phoneNumbers`, ...).
    Top(&'static str),
    /// A list of the extension with this id.
    Extension(String, List),
    /// The extension at this position (it has no id).
    Index(usize),
}

/// One `errors` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where the missing data would be.
    pub place: Place,
    /// The request that failed (`GET /restapi/...`).
    pub request: String,
    /// Its HTTP status, if it got one.
    pub status: Option<u16>,
    /// The API's error code, if any.
    pub code: Option<String>,
    /// What went wrong.
    pub message: String,
}

/// Who took the snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Viewer {
    /// The viewer's extension id.
    pub extension_id: Option<String>,
    /// Whether the viewer is an administrator, when known.
    pub admin: Option<bool>,
}

/// Everything fetched so far.
#[derive(Debug, Default)]
pub struct Parts {
    /// The account record.
    pub account: Option<Box<RawValue>>,
    /// The service info record.
    pub service_info: Option<Box<RawValue>>,
    /// Who took the snapshot.
    pub viewer: Option<Viewer>,
    /// The account's phone numbers.
    pub phone_numbers: Option<Vec<Box<RawValue>>>,
    /// The extension list.
    pub extensions: Option<Vec<Box<RawValue>>>,
    /// The viewer's `authz-profile` answer (its `permissions` go to
    /// `source.viewer.permissions`).
    pub permissions: Option<Box<RawValue>>,
    /// Each extension's lists, by extension id.
    pub lists: HashMap<(String, List), Vec<Box<RawValue>>>,
    /// What could not be fetched (the `errors` entries).
    pub problems: Vec<Problem>,
}

/// A record's `id` as text (ids are numbers in some API versions, strings
/// in others).
pub fn id_of(record: &RawValue) -> Option<String> {
    #[derive(Deserialize)]
    struct WithId {
        id: Option<serde_json::Value>,
    }
    match serde_json::from_str::<WithId>(record.get()).ok()?.id? {
        serde_json::Value::String(s) if !s.is_empty() => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A record's `type` when it is a string.
pub fn type_of(record: &RawValue) -> Option<String> {
    #[derive(Deserialize)]
    struct WithType {
        #[serde(rename = "type")]
        kind: Option<serde_json::Value>,
    }
    match serde_json::from_str::<WithType>(record.get()).ok()?.kind? {
        serde_json::Value::String(s) => Some(s),
        _ => None,
    }
}

/// The `permissions` list of an `authz-profile` answer, verbatim (none
/// when it has no list there).
fn permissions_of(answer: &RawValue) -> Option<Box<RawValue>> {
    #[derive(Deserialize)]
    struct Profile {
        permissions: Option<Box<RawValue>>,
    }
    let list = serde_json::from_str::<Profile>(answer.get())
        .ok()?
        .permissions?;
    list.get().trim_start().starts_with('[').then_some(list)
}

/// `source.lists` as JSON.
fn lists_json(lists: Lists, empty_by_type: &[String]) -> String {
    let entry = |obtained: Obtained, note: Option<&str>| {
        let mut text = format!("{{\"obtained\":\"{}\"", obtained.name());
        if let Some(note) = note {
            let _ = write!(text, ",\"note\":{}", json_string(note));
        }
        text
    };
    let extension_numbers = entry(
        lists.extension_phone_numbers,
        (lists.extension_phone_numbers == Obtained::AccountList).then_some(FROM_ACCOUNT_LIST),
    );
    let mut forwarding = entry(
        lists.forwarding_numbers,
        (!empty_by_type.is_empty()).then_some(EMPTY_BY_TYPE),
    );
    if !empty_by_type.is_empty() {
        let types: Vec<String> = empty_by_type.iter().map(|t| json_string(t)).collect();
        let _ = write!(forwarding, ",\"emptyByType\":[{}]", types.join(","));
    }
    format!(
        "{{\"serviceInfo\":{}}},\"phoneNumbers\":{}}},\"extensions\":{}}},\"extensionPhoneNumbers\":{extension_numbers}}},\"forwardingNumbers\":{forwarding}}}}}",
        entry(lists.service_info, None),
        entry(lists.phone_numbers, None),
        entry(lists.extensions, None),
    )
}

/// A list of records as one JSON array.
pub fn array(records: &[Box<RawValue>]) -> String {
    let mut text = String::from("[");
    for (i, record) in records.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(record.get());
    }
    text.push(']');
    text
}

/// The journal key of a piece.
pub fn key(place: &Place) -> String {
    match place {
        Place::Top(pointer) => pointer.trim_start_matches('/').to_owned(),
        Place::Extension(id, list) => format!("ext:{id}:{}", list.field()),
        Place::Index(i) => format!("extIndex:{i}"),
    }
}

impl Parts {
    /// Takes back a piece from the journal.
    pub fn restore(&mut self, key: &str, value: &RawValue) -> Result<(), String> {
        // What the snapshot's parser will refuse (a number beyond a
        // double's range) is refused here, while it can be said where.
        readable(value.get().as_bytes())
            .map_err(|e| format!("`{key}` holds a value no snapshot can: {e}"))?;
        let list = || {
            serde_json::from_str::<Vec<Box<RawValue>>>(value.get())
                .map_err(|e| format!("`{key}` is not a list: {e}"))
        };
        match key {
            "account" => self.account = Some(value.to_owned()),
            "serviceInfo" => self.service_info = Some(value.to_owned()),
            "phoneNumbers" => self.phone_numbers = Some(list()?),
            "extensions" => self.extensions = Some(list()?),
            "source/viewer/permissions" => self.permissions = Some(value.to_owned()),
            "viewer" => {
                self.viewer =
                    Some(serde_json::from_str(value.get()).map_err(|e| format!("`viewer`: {e}"))?);
            }
            other => {
                let mut parts = other.splitn(3, ':');
                let (kind, id, field) = (parts.next(), parts.next(), parts.next());
                let list_kind = match field {
                    Some("phoneNumbers") => List::PhoneNumbers,
                    Some("forwardingNumbers") => List::ForwardingNumbers,
                    _ => return Err(format!("unknown journal entry `{other}`")),
                };
                match (kind, id) {
                    (Some("ext"), Some(id)) => {
                        self.lists.insert((id.to_owned(), list_kind), list()?);
                    }
                    _ => return Err(format!("unknown journal entry `{other}`")),
                }
            }
        }
        Ok(())
    }

    /// Whether the piece at `place` is already here.
    pub fn has(&self, place: &Place) -> bool {
        match place {
            Place::Top("/account") => self.account.is_some(),
            Place::Top("/serviceInfo") => self.service_info.is_some(),
            Place::Top("/phoneNumbers") => self.phone_numbers.is_some(),
            Place::Top("/extensions") => self.extensions.is_some(),
            Place::Top("/source/viewer") => self.viewer.is_some(),
            Place::Top("/source/viewer/permissions") => self.permissions.is_some(),
            Place::Extension(id, list) => self.lists.contains_key(&(id.clone(), *list)),
            Place::Top(_) | Place::Index(_) => false,
        }
    }

    /// Stores a fetched piece.
    pub fn store(&mut self, place: &Place, value: Fetched) {
        match (place, value) {
            (Place::Top("/account"), Fetched::Record(r)) => self.account = Some(r),
            (Place::Top("/serviceInfo"), Fetched::Record(r)) => self.service_info = Some(r),
            (Place::Top("/phoneNumbers"), Fetched::List(l)) => self.phone_numbers = Some(l),
            (Place::Top("/extensions"), Fetched::List(l)) => self.extensions = Some(l),
            (Place::Top("/source/viewer/permissions"), Fetched::Record(r)) => {
                self.permissions = Some(r);
            }
            (Place::Extension(id, list), Fetched::List(l)) => {
                self.lists.insert((id.clone(), *list), l);
            }
            _ => {}
        }
    }
}

/// A piece as fetched.
#[derive(Debug)]
pub enum Fetched {
    /// One record.
    Record(Box<RawValue>),
    /// A list's records, in API order.
    List(Vec<Box<RawValue>>),
}

impl Fetched {
    /// The piece as JSON text.
    pub fn text(&self) -> String {
        match self {
            Fetched::Record(r) => r.get().to_owned(),
            Fetched::List(l) => array(l),
        }
    }
}

/// `source` of the snapshot.
#[derive(Debug, Clone)]
pub struct Source {
    /// The server fetched from.
    pub server: String,
    /// The program that fetched (`rcaudit 0.1.0`).
    pub generator: String,
    /// The token's scope, when the token endpoint said it.
    pub scope: Option<String>,
    /// How each list was obtained (`source.lists`), when known.
    pub lists: Option<Lists>,
}

/// How a list of the snapshot was obtained (`source.lists.*.obtained`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Obtained {
    /// Asked for (what could not be read is in `errors`).
    Requested,
    /// Not asked for: the account's `phoneNumbers`, read in full by an
    /// administrator, holds every number with its `extension`, and rules
    /// read it in their place (`coveredBy`).
    AccountList,
    /// Not asked for: no rule the fetch was made for reads it.
    NotRequested,
}

impl Obtained {
    fn name(self) -> &'static str {
        match self {
            Obtained::Requested => "requested",
            Obtained::AccountList => "accountList",
            Obtained::NotRequested => "notRequested",
        }
    }
}

/// How each list of the snapshot was obtained (`source.lists`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lists {
    /// `serviceInfo`.
    pub service_info: Obtained,
    /// The account's `phoneNumbers`.
    pub phone_numbers: Obtained,
    /// `extensions`.
    pub extensions: Obtained,
    /// `extensions[].phoneNumbers`.
    pub extension_phone_numbers: Obtained,
    /// `extensions[].forwardingNumbers`.
    pub forwarding_numbers: Obtained,
    /// Whether `source.viewer.permissions` was asked for.
    pub permissions: bool,
}

/// What `source.lists` says of `extensionPhoneNumbers` when the account
/// list stands in for them.
const FROM_ACCOUNT_LIST: &str = "not requested: an administrator read the account's phoneNumbers in full, which holds every number of the account with the extension it is assigned to (extension.id); rules read it in their place. Those records carry no `features`";

/// What `source.lists` says of forwarding lists recorded empty by type.
const EMPTY_BY_TYPE: &str = "recorded empty without asking for the types in emptyByType: the specification gives call forwarding to the User extension types only (User, DigitalUser, FaxUser, VirtualUser), and the API answers 403 CMN-403 for the others";

fn json_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}

/// `record` with `members` added at its end (`{"a":1}` + `b` ->
/// `{"a":1,"b":...}`). A member the record already has (a server that
/// sends `forwardingNumbers` inside the extension record) is replaced by
/// the fetched list, never repeated: a name twice in one object is a
/// snapshot `rcaudit check` refuses.
fn with_members(record: &str, members: &[(&str, String)]) -> String {
    if members.is_empty() {
        return record.to_owned();
    }
    let Ok(Entries(entries)) = serde_json::from_str::<Entries>(record) else {
        return record.to_owned();
    };
    let mut out = String::from("{");
    let kept = entries
        .iter()
        .filter(|(name, _)| !members.iter().any(|(m, _)| m == name));
    for (i, (name, value)) in kept.enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{}:{}", json_string(name), value.get());
    }
    for (name, value) in members {
        if out.len() > 1 {
            out.push(',');
        }
        let _ = write!(out, "{}:{value}", json_string(name));
    }
    out.push('}');
    out
}

/// Checks that JSON reads as the snapshot's parser will read it: records
/// are kept verbatim (`RawValue` converts no number, and neither does
/// serde's `IgnoredAny`), so a number beyond a double's range (`1e400`)
/// would pass and make `rcaudit check` refuse the snapshot `fetch` wrote;
/// so would a member named twice in one object (`"a"` and `"\u0061"`).
/// Every value is read once, as a value, so such a number is found while
/// the failure can still be recorded.
pub fn readable(json: &[u8]) -> Result<(), serde_json::Error> {
    serde_json::from_slice::<Readable>(json).map(|_| ())
}

/// Any JSON value, read (numbers converted) and dropped.
struct Readable;

impl<'de> serde::Deserialize<'de> for Readable {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Readable, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Readable;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Readable, E> {
                Ok(Readable)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Readable, E> {
                Ok(Readable)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Readable, E> {
                Ok(Readable)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Readable, E> {
                Ok(Readable)
            }
            fn visit_str<E>(self, _: &str) -> Result<Readable, E> {
                Ok(Readable)
            }
            fn visit_unit<E>(self) -> Result<Readable, E> {
                Ok(Readable)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Readable, A::Error> {
                while seq.next_element::<Readable>()?.is_some() {}
                Ok(Readable)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Readable, A::Error> {
                // A name twice in one object is a snapshot the parser
                // refuses: refuse it here, where it can be recorded.
                let mut names = std::collections::HashSet::new();
                while let Some(name) = map.next_key::<String>()? {
                    map.next_value::<Readable>()?;
                    if let Some(name) = names.replace(name) {
                        return Err(serde::de::Error::custom(format_args!(
                            "the member `{}` twice in one object",
                            name.escape_debug()
                        )));
                    }
                }
                Ok(Readable)
            }
        }
        deserializer.deserialize_any(Visit)
    }
}

/// An object's members in order, values verbatim.
struct Entries(Vec<(String, Box<RawValue>)>);

impl<'de> serde::Deserialize<'de> for Entries {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Entries, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Entries;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Entries, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, Box<RawValue>>()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(Visit)
    }
}

impl Parts {
    /// The snapshot document, pretty-printed.
    pub fn assemble(&self, captured_at: &str, source: &Source) -> String {
        let mut out = String::from("{\"snapshotVersion\":1");
        let _ = write!(out, ",\"capturedAt\":{}", json_string(captured_at));
        let _ = write!(
            out,
            ",\"source\":{{\"server\":{},\"generator\":{}",
            json_string(&source.server),
            json_string(&source.generator)
        );
        let mut viewer = Vec::new();
        if let Some(id) = self.account.as_deref().and_then(id_of) {
            viewer.push(format!("\"accountId\":{}", json_string(&id)));
        }
        if let Some(v) = &self.viewer {
            if let Some(id) = &v.extension_id {
                viewer.push(format!("\"extensionId\":{}", json_string(id)));
            }
            if let Some(admin) = v.admin {
                viewer.push(format!("\"admin\":{admin}"));
            }
        }
        if let Some(scope) = &source.scope {
            viewer.push(format!("\"scope\":{}", json_string(scope)));
        }
        // A piece a resumed journal holds from a run that asked for more
        // than this one is left out, as `source.lists` says.
        let wanted = |obtained: fn(&Lists) -> Obtained| {
            source
                .lists
                .is_none_or(|l| obtained(&l) != Obtained::NotRequested)
        };
        let permissions = self.permissions.as_deref().and_then(permissions_of);
        if let Some(permissions) =
            permissions.filter(|_| source.lists.is_none_or(|l| l.permissions))
        {
            viewer.push(format!("\"permissions\":{}", permissions.get()));
        }
        let _ = write!(out, ",\"viewer\":{{{}}}", viewer.join(","));
        let empty_by_type = self.empty_by_type(source.lists);
        if let Some(lists) = &source.lists {
            let _ = write!(out, ",\"lists\":{}", lists_json(*lists, &empty_by_type));
        }
        out.push('}');
        if let Some(account) = &self.account {
            let _ = write!(out, ",\"account\":{}", account.get());
        }
        if let Some(info) = self
            .service_info
            .as_ref()
            .filter(|_| wanted(|l| l.service_info))
        {
            let _ = write!(out, ",\"serviceInfo\":{}", info.get());
        }
        if let Some(numbers) = self
            .phone_numbers
            .as_ref()
            .filter(|_| wanted(|l| l.phone_numbers))
        {
            let _ = write!(out, ",\"phoneNumbers\":{}", array(numbers));
        }
        let mut index: HashMap<String, usize> = HashMap::new();
        if let Some(extensions) = self
            .extensions
            .as_ref()
            .filter(|_| wanted(|l| l.extensions))
        {
            out.push_str(",\"extensions\":[");
            for (i, record) in extensions.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let id = id_of(record);
                let mut lists: Vec<(&str, String)> = List::BOTH
                    .iter()
                    .filter(|&&list| Parts::keeps(source.lists, list))
                    .filter_map(|&list| {
                        let records = self.lists.get(&(id.clone()?, list))?;
                        Some((list.field(), array(records)))
                    })
                    .collect();
                if !empty_by_type.is_empty()
                    && id.is_some()
                    && forwarding(type_of(record).as_deref()) == Forwarding::None
                    && !lists
                        .iter()
                        .any(|(f, _)| *f == List::ForwardingNumbers.field())
                {
                    lists.push((List::ForwardingNumbers.field(), "[]".to_owned()));
                }
                out.push_str(&with_members(record.get(), &lists));
                if let Some(id) = id {
                    index.entry(id).or_insert(i);
                }
            }
            out.push(']');
        }
        let errors = self.errors(&index);
        if !errors.is_empty() {
            let _ = write!(out, ",\"errors\":[{}]", errors.join(","));
        }
        out.push('}');
        pretty(&out)
    }

    /// Whether the snapshot holds the per-extension `list`s fetched: not
    /// when the list was not to be requested (a resumed journal may hold
    /// some from a run that requested them).
    fn keeps(lists: Option<Lists>, list: List) -> bool {
        let Some(lists) = lists else { return true };
        match list {
            List::PhoneNumbers => lists.extension_phone_numbers == Obtained::Requested,
            List::ForwardingNumbers => lists.forwarding_numbers == Obtained::Requested,
        }
    }

    /// The types of the extensions whose forwarding list is recorded empty
    /// without asking (sorted, each once): none unless forwarding lists
    /// were requested.
    fn empty_by_type(&self, lists: Option<Lists>) -> Vec<String> {
        if lists.is_none_or(|l| l.forwarding_numbers != Obtained::Requested) {
            return Vec::new();
        }
        let mut types: Vec<String> = self
            .extensions
            .iter()
            .flatten()
            .filter(|record| id_of(record).is_some())
            .filter_map(|record| type_of(record))
            .filter(|kind| forwarding(Some(kind)) == Forwarding::None)
            .collect();
        types.sort_unstable();
        types.dedup();
        types
    }

    /// The `errors` entries in document order.
    fn errors(&self, index: &HashMap<String, usize>) -> Vec<String> {
        let mut entries: Vec<((usize, usize, usize), String)> = self
            .problems
            .iter()
            .map(|p| {
                let (order, pointer) = match &p.place {
                    Place::Top(pointer) => ((0, 0, 0), (*pointer).to_owned()),
                    Place::Extension(id, list) => match index.get(id) {
                        Some(&i) => (
                            (1, i, *list as usize),
                            format!("/extensions/{i}/{}", list.field()),
                        ),
                        None => ((2, 0, 0), "/extensions".to_owned()),
                    },
                    Place::Index(i) => ((1, *i, 0), format!("/extensions/{i}")),
                };
                let mut entry = format!("{{\"pointer\":{}", json_string(&pointer));
                let _ = write!(entry, ",\"request\":{}", json_string(&p.request));
                if let Some(status) = p.status {
                    let _ = write!(entry, ",\"status\":{status}");
                }
                if let Some(code) = &p.code {
                    let _ = write!(entry, ",\"errorCode\":{}", json_string(code));
                }
                let _ = write!(entry, ",\"message\":{}}}", json_string(&p.message));
                (order, entry)
            })
            .collect();
        entries.sort_by_key(|e| e.0);
        entries.into_iter().map(|(_, e)| e).collect()
    }
}

/// Re-indents valid JSON with two spaces, keeping every token's text (so
/// numbers and strings are exactly the server's).
pub fn pretty(compact: &str) -> String {
    fn newline(out: &mut Vec<u8>, depth: usize) {
        out.push(b'\n');
        out.extend(std::iter::repeat_n(b' ', depth * 2));
    }
    let bytes = compact.as_bytes();
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 2);
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let mut i = 0;
    while let Some(&c) = bytes.get(i) {
        i += 1;
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_string = false;
            }
            continue;
        }
        match c {
            b'"' => {
                in_string = true;
                out.push(c);
            }
            b'{' | b'[' => {
                let close = if c == b'{' { b'}' } else { b']' };
                let mut j = i;
                while bytes.get(j).is_some_and(u8::is_ascii_whitespace) {
                    j += 1;
                }
                out.push(c);
                if bytes.get(j) == Some(&close) {
                    out.push(close);
                    i = j + 1;
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            b',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            b':' => out.extend_from_slice(b": "),
            b' ' | b'\n' | b'\r' | b'\t' => {}
            _ => out.push(c),
        }
    }
    out.push(b'\n');
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_owned()).expect("JSON")
    }

    #[test]
    fn pretty_keeps_tokens_and_indents() {
        let text = r#"{"a":[1,2.50,{"s":"x, y: {z}","e":"\"q\\"}],"b":{},"c":[ ],"n":-1e3}"#;
        let out = pretty(text);
        let expected = "{\n  \"a\": [\n    1,\n    2.50,\n    {\n      \"s\": \"x, y: {z}\",\n      \"e\": \"\\\"q\\\\\"\n    }\n  ],\n  \"b\": {},\n  \"c\": [],\n  \"n\": -1e3\n}\n";
        assert_eq!(out, expected);
        let a: serde_json::Value = serde_json::from_str(text).expect("JSON");
        let b: serde_json::Value = serde_json::from_str(&out).expect("JSON");
        assert_eq!(a, b);
    }

    #[test]
    fn members_are_appended_to_records() {
        let list = || ("x", "[1]".to_owned());
        assert_eq!(
            with_members(r#"{"id":1}"#, &[list()]),
            r#"{"id":1,"x":[1]}"#
        );
        assert_eq!(with_members("{ }", &[list()]), r#"{"x":[1]}"#);
        assert_eq!(with_members(r#"{"id":1}"#, &[]), r#"{"id":1}"#);
        // A list the record already carries is replaced, not repeated.
        assert_eq!(
            with_members(r#"{"x": [9], "id": 1e2}"#, &[list()]),
            r#"{"id":1e2,"x":[1]}"#
        );
    }

    #[test]
    fn ids_are_text_whatever_their_json_type() {
        assert_eq!(
            id_of(&raw(r#"{"id": 62005166008}"#)).as_deref(),
            Some("62005166008")
        );
        assert_eq!(id_of(&raw(r#"{"id": "abc"}"#)).as_deref(), Some("abc"));
        assert_eq!(id_of(&raw(r#"{"name": "x"}"#)), None);
    }

    #[test]
    fn a_document_with_lists_and_errors() {
        let mut parts = Parts {
            account: Some(raw(r#"{"id":7}"#)),
            extensions: Some(vec![raw(r#"{"id":1}"#), raw(r#"{"id":"2"}"#)]),
            ..Parts::default()
        };
        parts.lists.insert(
            ("1".into(), List::ForwardingNumbers),
            vec![raw(r#"{"phoneNumber":"+1"}"#)],
        );
        parts.problems.push(Problem {
            place: Place::Extension("2".into(), List::ForwardingNumbers),
            request: "GET /x".into(),
            status: Some(403),
            code: Some("CMN-419".into()),
            message: "no".into(),
        });
        parts.problems.push(Problem {
            place: Place::Top("/phoneNumbers"),
            request: "GET /y".into(),
            status: None,
            code: None,
            message: "timed out".into(),
        });
        let source = Source {
            server: "http://127.0.0.1:1".into(),
            generator: "rcaudit test".into(),
            scope: Some("ReadAccounts".into()),
            lists: None,
        };
        let text = parts.assemble("2026-11-28T10:00:00Z", &source);
        let doc: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(doc["source"]["viewer"]["accountId"], "7");
        assert_eq!(doc["source"]["viewer"]["scope"], "ReadAccounts");
        assert_eq!(
            doc["extensions"][0]["forwardingNumbers"][0]["phoneNumber"],
            "+1"
        );
        assert!(doc["extensions"][1].get("forwardingNumbers").is_none());
        assert_eq!(doc["errors"][0]["pointer"], "/phoneNumbers");
        assert_eq!(
            doc["errors"][1]["pointer"],
            "/extensions/1/forwardingNumbers"
        );
        assert_eq!(doc["errors"][1]["errorCode"], "CMN-419");
        assert!(doc["errors"][0].get("status").is_none());
    }

    #[test]
    fn source_lists_say_how_each_list_was_obtained_and_the_document_agrees() {
        let mut parts = Parts {
            account: Some(raw(r#"{"id":7}"#)),
            service_info: Some(raw(r#"{"servicePlan":{}}"#)),
            phone_numbers: Some(vec![raw(r#"{"id":1,"extension":{"id":1}}"#)]),
            extensions: Some(vec![
                raw(r#"{"id":1,"type":"User"}"#),
                raw(r#"{"id":2,"type":"IvrMenu"}"#),
                raw(r#"{"id":3,"type":"Hologram"}"#),
                raw(r#"{"id":4,"type":"Department"}"#),
            ]),
            permissions: Some(raw(
                r#"{"permissions":[{"permission":{"id":"ReadExtensions"}}]}"#,
            )),
            ..Parts::default()
        };
        // A resumed journal may hold a phone list from a run that asked.
        parts
            .lists
            .insert(("1".into(), List::PhoneNumbers), vec![raw(r#"{"id":1}"#)]);
        parts
            .lists
            .insert(("1".into(), List::ForwardingNumbers), Vec::new());
        let lists = Lists {
            service_info: Obtained::NotRequested,
            phone_numbers: Obtained::Requested,
            extensions: Obtained::Requested,
            extension_phone_numbers: Obtained::AccountList,
            forwarding_numbers: Obtained::Requested,
            permissions: false,
        };
        let source = |lists| Source {
            server: "http://127.0.0.1:1".into(),
            generator: "rcaudit test".into(),
            scope: None,
            lists,
        };
        let doc: serde_json::Value =
            serde_json::from_str(&parts.assemble("2026-12-02T00:00:00Z", &source(Some(lists))))
                .expect("JSON");
        let said = &doc["source"]["lists"];
        assert_eq!(said["serviceInfo"]["obtained"], "notRequested");
        assert_eq!(said["extensionPhoneNumbers"]["obtained"], "accountList");
        assert!(said["extensionPhoneNumbers"]["note"].is_string());
        assert_eq!(
            said["forwardingNumbers"]["emptyByType"],
            serde_json::json!(["Department", "IvrMenu"])
        );
        // What was not asked for is absent, whatever the journal held.
        assert!(doc.get("serviceInfo").is_none());
        assert!(doc["source"]["viewer"].get("permissions").is_none());
        assert!(doc["extensions"][0].get("phoneNumbers").is_none());
        assert_eq!(
            doc["extensions"][0]["forwardingNumbers"],
            serde_json::json!([])
        );
        // Types without call forwarding: `[]`; an unknown type: unknown.
        assert_eq!(
            doc["extensions"][1]["forwardingNumbers"],
            serde_json::json!([])
        );
        assert!(doc["extensions"][2].get("forwardingNumbers").is_none());
        assert_eq!(
            doc["extensions"][3]["forwardingNumbers"],
            serde_json::json!([])
        );
        assert_eq!(doc["phoneNumbers"][0]["id"], 1);
        // Without `source.lists` (an older journal's caller), all is kept.
        let doc: serde_json::Value =
            serde_json::from_str(&parts.assemble("2026-12-02T00:00:00Z", &source(None)))
                .expect("JSON");
        assert!(doc["source"].get("lists").is_none());
        assert!(doc["serviceInfo"].is_object());
        assert_eq!(doc["extensions"][0]["phoneNumbers"][0]["id"], 1);
        assert!(doc["extensions"][1].get("forwardingNumbers").is_none());
        assert_eq!(
            doc["source"]["viewer"]["permissions"][0]["permission"]["id"],
            "ReadExtensions"
        );
    }
}
