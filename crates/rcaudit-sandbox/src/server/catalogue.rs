//! The endpoint catalogue: every endpoint the sandbox serves, its route,
//! its usage-plan group, its name in `/__stats`, and whether the
//! specification makes `navigation` optional in its answers
//! (`docs/api-facts.md`, Endpoints and Paging).

use crate::rate::Group;

/// The endpoints the sandbox serves, with their usage plan groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `GET /restapi/v1.0/account/{accountId}`
    Account,
    /// `GET .../service-info`
    ServiceInfo,
    /// `GET .../extension`
    ExtensionList,
    /// `GET .../extension/{extensionId}`
    Extension,
    /// `GET .../extension/{extensionId}/phone-number`
    ExtensionPhoneNumbers,
    /// `GET .../account/{accountId}/phone-number`
    AccountPhoneNumbers,
    /// `GET .../extension/{extensionId}/forwarding-number`
    ForwardingNumbers,
    /// `GET .../extension/{extensionId}/authz-profile`
    AuthzProfile,
    /// `POST /restapi/oauth/token`
    Token,
}

impl Endpoint {
    /// Every endpoint.
    pub const ALL: [Endpoint; 9] = [
        Endpoint::Account,
        Endpoint::ServiceInfo,
        Endpoint::ExtensionList,
        Endpoint::Extension,
        Endpoint::ExtensionPhoneNumbers,
        Endpoint::AccountPhoneNumbers,
        Endpoint::ForwardingNumbers,
        Endpoint::AuthzProfile,
        Endpoint::Token,
    ];

    /// The route, with axum's `{param}` syntax (as `/__stats` names it).
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Account => "/restapi/v1.0/account/{accountId}",
            Endpoint::ServiceInfo => "/restapi/v1.0/account/{accountId}/service-info",
            Endpoint::ExtensionList => "/restapi/v1.0/account/{accountId}/extension",
            Endpoint::Extension => "/restapi/v1.0/account/{accountId}/extension/{extensionId}",
            Endpoint::ExtensionPhoneNumbers => {
                "/restapi/v1.0/account/{accountId}/extension/{extensionId}/phone-number"
            }
            Endpoint::AccountPhoneNumbers => "/restapi/v1.0/account/{accountId}/phone-number",
            Endpoint::ForwardingNumbers => {
                "/restapi/v1.0/account/{accountId}/extension/{extensionId}/forwarding-number"
            }
            Endpoint::AuthzProfile => {
                "/restapi/v1.0/account/{accountId}/extension/{extensionId}/authz-profile"
            }
            Endpoint::Token => "/restapi/oauth/token",
        }
    }

    /// The usage plan group (`docs/api-facts.md`, Endpoints).
    pub fn group(self) -> Group {
        match self {
            Endpoint::Account
            | Endpoint::ServiceInfo
            | Endpoint::Extension
            | Endpoint::ExtensionPhoneNumbers
            | Endpoint::ForwardingNumbers => Group::Light,
            Endpoint::ExtensionList | Endpoint::AuthzProfile => Group::Medium,
            Endpoint::AccountPhoneNumbers => Group::Heavy,
            Endpoint::Token => Group::Auth,
        }
    }

    /// `"GET /restapi/..."`: the endpoint's name in `/__stats`.
    pub fn key(self) -> String {
        let method = if self == Endpoint::Token {
            "POST"
        } else {
            "GET"
        };
        format!("{method} {}", self.path())
    }

    /// Whether the specification requires `navigation` in this endpoint's
    /// answers: only on the extension phone-number list (`docs/api-facts.md`, Paging);
    /// on the other lists it is optional. `false` for non-lists.
    pub fn navigation_optional(self) -> bool {
        matches!(
            self,
            Endpoint::ExtensionList | Endpoint::AccountPhoneNumbers | Endpoint::ForwardingNumbers
        )
    }

    pub(super) fn from_path(path: &str) -> Option<Endpoint> {
        Endpoint::ALL.into_iter().find(|e| e.path() == path)
    }
}
