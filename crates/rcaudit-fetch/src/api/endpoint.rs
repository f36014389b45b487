//! The endpoints a fetch reads: their paths, usage-plan groups, and the
//! ids that may go into a path (`docs/api-facts.md`, Endpoints).

use crate::limits::Group;

/// An endpoint the fetch reads, with its usage-plan group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Account,
    ServiceInfo,
    Extensions,
    Extension(String),
    ExtensionPhoneNumbers(String),
    AccountPhoneNumbers,
    ForwardingNumbers(String),
    /// The viewer's user permissions (`authz-profile` of `extension/~`).
    AuthzProfile,
}

/// The path every request of a fetch stays under (but the token's).
pub const ACCOUNT: &str = "/restapi/v1.0/account/~";

/// Whether `id` may go into a URL path as an id: `RingCentral` ids are
/// digits; letters, `-` and `_` are let through, at most 64 of them (or
/// `~`, the viewer's own). Nothing that could be read as a separator, a
/// dot segment or an escape (`/`, `.`, `%`, `\\`) passes.
pub fn valid_id(id: &str) -> bool {
    id == "~"
        || (!id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

/// `id` as one path segment for messages: every byte but letters, digits,
/// `-`, `_` and `~` percent-encoded (dots too), so a hostile id shows as
/// what it is and never as a path.
fn segment(id: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

impl Endpoint {
    /// The extension id in the path, if any.
    pub fn id(&self) -> Option<&str> {
        match self {
            Endpoint::Extension(id)
            | Endpoint::ExtensionPhoneNumbers(id)
            | Endpoint::ForwardingNumbers(id) => Some(id),
            Endpoint::Account
            | Endpoint::ServiceInfo
            | Endpoint::Extensions
            | Endpoint::AccountPhoneNumbers
            | Endpoint::AuthzProfile => None,
        }
    }

    /// The path, ids percent-encoded as one segment each. Requests are
    /// only sent for [`valid_id`]s, which need no encoding.
    pub fn path(&self) -> String {
        let id = self.id().map(segment).unwrap_or_default();
        match self {
            Endpoint::Account => ACCOUNT.to_owned(),
            Endpoint::ServiceInfo => format!("{ACCOUNT}/service-info"),
            Endpoint::Extensions => format!("{ACCOUNT}/extension"),
            Endpoint::Extension(_) => format!("{ACCOUNT}/extension/{id}"),
            Endpoint::ExtensionPhoneNumbers(_) => format!("{ACCOUNT}/extension/{id}/phone-number"),
            Endpoint::AccountPhoneNumbers => format!("{ACCOUNT}/phone-number"),
            Endpoint::ForwardingNumbers(_) => {
                format!("{ACCOUNT}/extension/{id}/forwarding-number")
            }
            Endpoint::AuthzProfile => format!("{ACCOUNT}/extension/~/authz-profile"),
        }
    }

    /// The `x-throttling-group` of the endpoint in the specification.
    pub fn group(&self) -> Group {
        match self {
            Endpoint::Extensions | Endpoint::AuthzProfile => Group::Medium,
            Endpoint::AccountPhoneNumbers => Group::Heavy,
            _ => Group::Light,
        }
    }

    /// The request as the snapshot's `errors` names it.
    pub fn request(&self) -> String {
        format!("GET {}", self.path())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_go_into_paths_only_as_one_plain_segment() {
        for good in ["62005166008", "~", "abc-DEF_1"] {
            assert!(valid_id(good), "{good}");
        }
        for bad in [
            "",
            ".",
            "..",
            "../../../../../../admin",
            "%2e%2e",
            "%2E%2E",
            "a/b",
            "a\\b",
            "1.5",
            "-",
            "a b",
            "a?b",
            "a#b",
            "\u{0}",
            "é",
            &"1".repeat(65),
        ] {
            if bad != "-" {
                assert!(!valid_id(bad), "{bad:?}");
            }
            let endpoint = Endpoint::ForwardingNumbers(bad.to_owned());
            let path = endpoint.path();
            let rest = path
                .strip_prefix("/restapi/v1.0/account/~/extension/")
                .and_then(|r| r.strip_suffix("/forwarding-number"))
                .expect("one segment");
            assert!(
                !rest.contains(['/', '.', '\\', '?', '#']),
                "{bad:?}: {path}"
            );
        }
    }

    #[test]
    fn endpoints_name_their_group_and_request() {
        let forwarding = Endpoint::ForwardingNumbers("42".into());
        assert_eq!(
            forwarding.request(),
            "GET /restapi/v1.0/account/~/extension/42/forwarding-number"
        );
        assert_eq!(forwarding.group(), Group::Light);
        assert_eq!(Endpoint::Extensions.group(), Group::Medium);
        assert_eq!(Endpoint::AccountPhoneNumbers.group(), Group::Heavy);
        assert_eq!(Endpoint::AuthzProfile.group(), Group::Medium);
        assert_eq!(
            Endpoint::AuthzProfile.request(),
            "GET /restapi/v1.0/account/~/extension/~/authz-profile"
        );
    }
}
