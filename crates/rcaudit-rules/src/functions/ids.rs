//! Ids: `idString`, `sameId` (an id is the same as a number or a string)
//! and `uriAccount`.

use cel::common::types::{CelInt, CelNull, CelString};
use cel::common::value::{CowVal, Val};
use rcaudit_model::Node;
use rcaudit_model::cel::as_node;

use super::values::{Args, Out, boolean, is_null, string, take, text, type_error};

/// An id of any accepted form as a string.
pub fn id_text(val: &dyn Val) -> Option<String> {
    if let Some(s) = text(val) {
        return Some(s.to_owned());
    }
    if let Some(node) = as_node(val) {
        return node.id_string();
    }
    if let Some(i) = val.downcast_ref::<CelInt>() {
        return Some(i.inner().to_string());
    }
    if let Some(u) = val.downcast_ref::<cel::common::types::CelUInt>() {
        return Some(u.inner().to_string());
    }
    // An id written as `1.0` is the id 1.
    if let Some(d) = val.downcast_ref::<cel::common::types::CelDouble>() {
        let d = *d.inner();
        if d.fract() == 0.0 && d.abs() < 1e15 {
            return Some(format!("{d:.0}"));
        }
    }
    None
}

pub(super) fn id_string(value: &dyn Val) -> Out<'static, 'static> {
    if is_null(value) {
        return Ok(CowVal::owned(CelNull));
    }
    id_text(value)
        .map(string)
        .ok_or_else(|| type_error("idString", value, "an int or a string"))
}

pub(super) fn same_id<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [a, b] = take(args)?;
    Ok(boolean(
        matches!((id_text(a.as_ref()), id_text(b.as_ref())), (Some(x), Some(y)) if x == y),
    ))
}

/// The account segment of an API uri: the segment after the first one
/// that is `account`, if that is not empty, in the path (before any `?` or
/// `#`).
pub fn account_of_uri(uri: &str) -> Option<&str> {
    // Byte searches, not `split`s: this runs for every record of a large
    // account (about 500,000 at 100,000 extensions).
    static ACCOUNT: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"account"));
    let bytes = uri.as_bytes();
    let path = bytes.get(..memchr::memchr2(b'?', b'#', bytes).unwrap_or(bytes.len()))?;
    // The first `account` that is a whole segment.
    let after = ACCOUNT.find_iter(path).map(|at| at + 7).find(|&after| {
        let starts = after == 7 || path.get(after - 8) == Some(&b'/');
        starts && path.get(after).is_none_or(|&b| b == b'/')
    })?;
    // The segment after it (`after` is at its `/`, or the path's end).
    let from = after + 1;
    let rest = path.get(from..)?;
    let len = memchr::memchr(b'/', rest).unwrap_or(rest.len());
    (len > 0).then(|| uri.get(from..from + len)).flatten()
}

pub(super) fn uri_account(value: &dyn Val) -> Out<'static, 'static> {
    if is_null(value) {
        return Ok(CowVal::owned(CelNull));
    }
    // A uri borrowed from the snapshot's text: its account is a slice of
    // that text too, given without copying (one call per record).
    let account = match as_node(value) {
        Some(Node::String(uri)) if let Some(uri) = uri.as_borrowed() => {
            account_of_uri(uri).map(|account| CowVal::owned(CelString::from(account)))
        }
        _ => {
            let uri = text(value).ok_or_else(|| type_error("uriAccount", value, "a string"))?;
            account_of_uri(uri).map(string)
        }
    };
    Ok(account.unwrap_or_else(|| CowVal::owned(CelNull)))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use cel::common::types::CelString;
    use rcaudit_model::Node;

    use super::{account_of_uri, uri_account};

    /// A uri borrowed from the text (as `check` parses) and one owned by the
    /// tree give the same account, and neither gives one for a uri without.
    #[test]
    fn borrowed_and_owned_uris_alike() {
        for (uri, account) in [
            (
                "/restapi/v1.0/account/400786579303/extension/1",
                Some("400786579303"),
            ),
            ("/restapi/v1.0/extension/1", None),
        ] {
            let borrowed = Node::String(CelString::from(uri));
            let owned = Node::String(CelString::from(uri.to_owned()));
            for node in [&borrowed, &owned] {
                let value = uri_account(node).expect("a string");
                let got = value
                    .as_ref()
                    .downcast_ref::<CelString>()
                    .map(|s| s.inner().to_owned());
                assert_eq!(got.as_deref(), account, "{uri}");
            }
        }
    }

    /// What `account_of_uri` was: a split on `/` after cutting at `?` or
    /// `#`, the segment after the first `account`.
    fn reference(uri: &str) -> Option<&str> {
        let path = uri.split(['?', '#']).next().unwrap_or_default();
        let mut segments = path.split('/');
        segments.find(|s| *s == "account")?;
        segments.next().filter(|s| !s.is_empty())
    }

    #[test]
    fn accounts_of_uris() {
        for (uri, account) in [
            (
                "https://platform.ringcentral.com/restapi/v1.0/account/400786579303/extension/62007076008",
                Some("400786579303"),
            ),
            ("/restapi/v1.0/account/~/extension/1", Some("~")),
            ("account/12", Some("12")),
            ("/account/12?x=/account/13", Some("12")),
            ("/account?id=/account/13", None),
            ("/account#/account/13", None),
            ("/account//13", None),
            ("/account/", None),
            ("/account", None),
            ("/accounts/12/account/13", Some("13")),
            ("/myaccount/12/account/13/account/14", Some("13")),
            ("/restapi/v1.0/extension/12", None),
            ("", None),
            ("/account/é/x", Some("é")),
        ] {
            assert_eq!(account_of_uri(uri), account, "{uri}");
            assert_eq!(reference(uri), account, "{uri}");
        }
    }

    proptest! {
        #[test]
        fn as_the_split_finds_it(
            pieces in prop::collection::vec(
                prop::sample::select(vec![
                    "account", "accounts", "xaccount", "/", "//", "?", "#", "12", "~", "é", "a",
                ]),
                0..12,
            )
        ) {
            let uri = pieces.concat();
            prop_assert_eq!(account_of_uri(&uri), reference(&uri), "{}", uri);
        }
    }
}
