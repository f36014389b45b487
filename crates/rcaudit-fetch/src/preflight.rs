//! `fetch --preflight`: before a long fetch, what the token and its user
//! may do, from three requests (the viewer's extension, its
//! `authz-profile`, and the token's scope when the grant says it), and in
//! one sentence what is missing for a complete snapshot and what is more
//! than an audit needs (`docs/api-facts.md`, Permissions).

use std::sync::Arc;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::api::{Endpoint, Failure};
use crate::progress::Progress;
use crate::run::{FetchError, Options};

/// The user permissions the requests of a fetch need (the specification's
/// `x-user-permission` of each), with what they read.
pub const NEEDED: [(&str, &str); 5] = [
    ("ReadCompanyInfo", "the account and its service info"),
    ("ReadExtensions", "the extensions"),
    ("ReadCompanyPhoneNumbers", "the account's phone numbers"),
    ("ReadUserPhoneNumbers", "the extensions' phone numbers"),
    (
        "ReadUserForwardingFlipNumbers",
        "other extensions' forwarding numbers",
    ),
];

/// App permissions that can change the phone system (the ladder
/// `ReadAccounts ⊂ EditExtensions ⊂ EditAccounts ⊂ Accounts`).
pub const WRITE_SCOPES: [&str; 3] = ["EditExtensions", "EditAccounts", "Accounts"];

/// User permissions beyond reading that are not named `Edit...`.
pub const WRITE_PERMISSIONS: [&str; 5] = [
    "AccountAdministration",
    "AddRemoveUsers",
    "AddRemoveDevices",
    "Users",
    "Roles",
];

/// Whether a user permission changes the phone system.
pub fn writes(permission: &str) -> bool {
    permission.starts_with("Edit") || WRITE_PERMISSIONS.contains(&permission)
}

/// What the preflight learnt.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preflight {
    /// The token's scope (space-separated), when the grant said it.
    pub scope: Option<String>,
    /// Whether the user is an administrator, when known.
    pub admin: Option<bool>,
    /// The user's permissions (id and scopes), when `authz-profile` was read.
    pub permissions: Option<Vec<(String, Vec<String>)>>,
    /// Why a request of the preflight failed, if one did.
    pub failures: Vec<String>,
}

impl Preflight {
    /// What a complete snapshot needs and the token or user lacks.
    pub fn missing(&self) -> Vec<String> {
        let mut missing = Vec::new();
        if let Some(scope) = &self.scope {
            let names: Vec<&str> = scope.split_whitespace().collect();
            let reads = ["ReadAccounts"]
                .iter()
                .chain(WRITE_SCOPES.iter())
                .any(|p| names.contains(p));
            if !reads {
                missing.push(
                    "ReadAccounts (the app's permission, which every request needs)".to_owned(),
                );
            }
        }
        if self.admin == Some(false) {
            missing.push("the administrator's view (a non-administrator sees only other extensions' direct numbers, without features)".to_owned());
        }
        if let Some(permissions) = &self.permissions {
            for (needed, what) in NEEDED {
                let held = permissions.iter().any(|(id, scopes)| {
                    id == needed && (scopes.is_empty() || scopes.iter().any(|s| s != "Self"))
                });
                if !held {
                    missing.push(format!("{needed} beyond the user's own extension ({what})"));
                }
            }
        }
        missing
    }

    /// What the token or user holds beyond what an audit needs.
    pub fn excess(&self) -> Vec<String> {
        let mut excess: Vec<String> = self
            .scope
            .iter()
            .flat_map(|s| s.split_whitespace())
            .filter(|p| WRITE_SCOPES.contains(p))
            .map(|p| format!("{p} (the token's scope)"))
            .collect();
        for (id, _) in self.permissions.iter().flatten() {
            if writes(id) {
                excess.push(format!("{id} (a user permission)"));
            }
        }
        excess
    }

    /// The verdict in a sentence (and the failures, if any).
    pub fn sentence(&self) -> String {
        let missing = self.missing();
        let excess = self.excess();
        let mut text = match (missing.is_empty(), excess.is_empty()) {
            (true, true) => "preflight: nothing is missing for a complete snapshot, and nothing is more than an audit needs".to_owned(),
            (false, true) => format!("preflight: missing for a complete snapshot: {}; nothing is more than an audit needs", missing.join(", ")),
            (true, false) => format!("preflight: nothing is missing for a complete snapshot; more than an audit needs: {} (an audit needs only ReadAccounts and read permissions: use an app with ReadAccounts only and a user with a read-only role)", excess.join(", ")),
            (false, false) => format!("preflight: missing for a complete snapshot: {}; more than an audit needs: {} (an audit needs only ReadAccounts and read permissions: use an app with ReadAccounts only and a user with a read-only role)", missing.join(", "), excess.join(", ")),
        };
        let unknown: Vec<&str> = [
            (
                self.scope.is_none(),
                "the token's scope (a bearer token does not say it)",
            ),
            (self.admin.is_none(), "whether the user is an administrator"),
            (self.permissions.is_none(), "the user's permissions"),
        ]
        .iter()
        .filter(|(unknown, _)| *unknown)
        .map(|(_, what)| *what)
        .collect();
        if !unknown.is_empty() {
            text.push_str("; not known: ");
            text.push_str(&unknown.join(", "));
        }
        text.push('.');
        for failure in &self.failures {
            text.push_str("\n  ");
            text.push_str(failure);
        }
        text.push('\n');
        text
    }

    /// Whether anything is missing or more than needed.
    pub fn clean(&self) -> bool {
        self.missing().is_empty() && self.excess().is_empty()
    }
}

/// The `permissions` of an `authz-profile` answer, as ids and scopes.
fn permissions(answer: &RawValue) -> Option<Vec<(String, Vec<String>)>> {
    #[derive(Deserialize)]
    struct Id {
        id: Option<String>,
    }
    #[derive(Deserialize)]
    struct Active {
        permission: Option<Id>,
        scopes: Option<Vec<String>>,
    }
    #[derive(Deserialize)]
    struct Profile {
        permissions: Option<Vec<Active>>,
    }
    let profile: Profile = serde_json::from_str(answer.get()).ok()?;
    Some(
        profile
            .permissions?
            .into_iter()
            .filter_map(|a| Some((a.permission?.id?, a.scopes.unwrap_or_default())))
            .collect(),
    )
}

/// Asks what the token and its user may do.
pub async fn preflight(
    options: Options,
    progress: Arc<dyn Progress>,
) -> Result<Preflight, FetchError> {
    let api = options.api(progress)?;
    let mut found = Preflight::default();
    let mut failed = |endpoint: &Endpoint, failure: Failure| match failure {
        Failure::Unauthorized(message) => Err(FetchError::Unauthorized(message)),
        other => {
            found.failures.push(format!(
                "{} failed: {}",
                endpoint.request(),
                other.message()
            ));
            Ok(())
        }
    };
    let own = Endpoint::Extension("~".to_owned());
    match api.record(&own).await {
        Ok(record) => found.admin = crate::run::viewer_of(&record).admin,
        Err(failure) => failed(&own, failure)?,
    }
    match api.record(&Endpoint::AuthzProfile).await {
        Ok(answer) => found.permissions = permissions(&answer),
        Err(failure) => failed(&Endpoint::AuthzProfile, failure)?,
    }
    found.scope = api.scope().await;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(ids: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
        ids.iter()
            .map(|(id, scopes)| {
                (
                    (*id).to_owned(),
                    scopes.iter().map(|s| (*s).to_owned()).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn the_sentence_names_what_is_missing_and_what_is_too_much() {
        let all: Vec<(&str, &[&str])> = NEEDED
            .iter()
            .map(|(id, _)| (*id, &["Account"][..]))
            .collect();
        let cases: Vec<(Preflight, &[&str], &[&str])> = vec![
            (
                Preflight {
                    scope: Some("ReadAccounts".into()),
                    admin: Some(true),
                    permissions: Some(held(&all)),
                    failures: vec![],
                },
                &["nothing is missing", "nothing is more than an audit needs"],
                &["not known"],
            ),
            (
                Preflight {
                    scope: Some("ReadAccounts EditExtensions".into()),
                    admin: Some(true),
                    permissions: Some(held(&[
                        ("ReadCompanyInfo", &["Account"]),
                        ("ReadExtensions", &[]),
                        ("ReadCompanyPhoneNumbers", &["Account"]),
                        ("ReadUserPhoneNumbers", &["Self", "UserExtensions"]),
                        ("ReadUserForwardingFlipNumbers", &["Self"]),
                        ("EditUserInfo", &["Self"]),
                        ("AccountAdministration", &["Account"]),
                    ])),
                    failures: vec![],
                },
                &[
                    "missing for a complete snapshot: ReadUserForwardingFlipNumbers beyond the user's own extension (other extensions' forwarding numbers)",
                    "more than an audit needs: EditExtensions (the token's scope), EditUserInfo (a user permission), AccountAdministration (a user permission)",
                ],
                &["ReadUserPhoneNumbers beyond"],
            ),
            (
                Preflight {
                    scope: Some("ReadCallLog".into()),
                    admin: Some(false),
                    permissions: None,
                    failures: vec!["GET x failed: no".into()],
                },
                &[
                    "ReadAccounts (the app's permission",
                    "the administrator's view",
                    "not known: the user's permissions",
                    "GET x failed: no",
                ],
                &["more than an audit needs:"],
            ),
            (
                Preflight::default(),
                &["nothing is missing", "not known: the token's scope"],
                &[],
            ),
        ];
        for (preflight, said, unsaid) in cases {
            let text = preflight.sentence();
            for s in said {
                assert!(text.contains(s), "{s:?} not in {text:?}");
            }
            for s in unsaid {
                assert!(!text.contains(s), "{s:?} in {text:?}");
            }
        }
        // The ladder: a larger app permission includes ReadAccounts.
        let larger = Preflight {
            scope: Some("EditAccounts".into()),
            ..Preflight::default()
        };
        assert!(larger.missing().is_empty());
        assert!(!larger.clean());
    }

    #[test]
    fn permissions_are_read_from_the_profile() {
        let answer = RawValue::from_string(
            r#"{"uri":"x","permissions":[{"permission":{"id":"ReadExtensions"},"scopes":["Account"]},{"permission":{}},{"scopes":["Self"]}]}"#
                .to_owned(),
        )
        .expect("JSON");
        assert_eq!(
            permissions(&answer),
            Some(vec![(
                "ReadExtensions".to_owned(),
                vec!["Account".to_owned()]
            )])
        );
        let none = RawValue::from_string(r#"{"uri":"x"}"#.to_owned()).expect("JSON");
        assert_eq!(permissions(&none), None);
    }
}
