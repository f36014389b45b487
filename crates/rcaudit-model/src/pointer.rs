//! JSON pointers (RFC 6901): how findings, schema errors and fetch errors say
//! where in a snapshot they are.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Escapes one reference token (`~` -> `~0`, `/` -> `~1`).
pub fn escape(token: &str) -> Cow<'_, str> {
    if token.contains(['~', '/']) {
        Cow::Owned(token.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(token)
    }
}

/// Unescapes one reference token.
pub fn unescape(token: &str) -> Cow<'_, str> {
    if token.contains('~') {
        Cow::Owned(token.replace("~1", "/").replace("~0", "~"))
    } else {
        Cow::Borrowed(token)
    }
}

/// An array index token: digits without a leading zero (RFC 6901).
pub fn parse_index(token: &str) -> Option<usize> {
    if token.is_empty() || (token.len() > 1 && token.starts_with('0')) {
        return None;
    }
    if !token.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    token.parse().ok()
}

/// Splits a pointer into its unescaped tokens; `None` when it does not start
/// with `/` (and is not empty).
pub fn tokens(pointer: &str) -> Option<Vec<Cow<'_, str>>> {
    if pointer.is_empty() {
        return Some(Vec::new());
    }
    Some(
        pointer
            .strip_prefix('/')?
            .split('/')
            .map(unescape)
            .collect(),
    )
}

/// Appends one token to a pointer.
pub fn push(pointer: &mut String, token: &str) {
    pointer.push('/');
    pointer.push_str(&escape(token));
}

/// Appends an array index to a pointer.
pub fn push_index(pointer: &mut String, index: usize) {
    let _ = write!(pointer, "/{index}");
}

/// Joins a pointer and a relative path of `.`-separated field names
/// (`forwardingNumbers` or `contact.email`), or returns `path` itself when it
/// is already an absolute pointer.
pub fn join(base: &str, path: &str) -> String {
    if path.starts_with('/') || path.is_empty() {
        if path.is_empty() {
            return base.to_owned();
        }
        return path.to_owned();
    }
    let mut out = base.to_owned();
    for field in path.split('.') {
        push(&mut out, field);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_round_trip() {
        for token in ["a", "a/b", "m~n", "~/~1", ""] {
            assert_eq!(unescape(&escape(token)), token);
        }
        assert_eq!(escape("a/b~c"), "a~1b~0c");
        assert_eq!(unescape("~01"), "~1", "RFC 6901: ~01 is ~1, not /");
    }

    #[test]
    fn indexes() {
        assert_eq!(parse_index("0"), Some(0));
        assert_eq!(parse_index("12"), Some(12));
        assert_eq!(parse_index("01"), None);
        assert_eq!(parse_index("-1"), None);
        assert_eq!(parse_index(""), None);
    }

    #[test]
    fn joins() {
        assert_eq!(join("/extensions/3", "type"), "/extensions/3/type");
        assert_eq!(
            join("/extensions/3", "contact.email"),
            "/extensions/3/contact/email"
        );
        assert_eq!(join("/extensions/3", "/phoneNumbers"), "/phoneNumbers");
        assert_eq!(join("/extensions/3", ""), "/extensions/3");
        assert_eq!(join("", "a/b"), "/a~1b");
    }
}
