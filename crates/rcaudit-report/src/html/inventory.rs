//! What the HTML report shows of the account besides its findings: who
//! took the snapshot and what could not be fetched (provenance), and each
//! extension with its numbers, so a reader can open an extension and see
//! every finding about it.
//!
//! Read from the snapshot's tree once, before the report is written; the
//! tree may be dropped afterwards. Fields that are absent or of an
//! unexpected kind read as empty: the schema check has already reported
//! them, and the report must still be written.

use rcaudit_model::Node;
use rcaudit_model::pointer;

/// The snapshot's provenance: `capturedAt`, `source` and `errors`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provenance {
    /// `capturedAt`.
    pub captured_at: Option<String>,
    /// `source.server`: the API server that answered.
    pub server: Option<String>,
    /// `source.generator`: the program that wrote the file.
    pub generator: Option<String>,
    /// `source.viewer.extensionId`: who took the snapshot.
    pub viewer_extension: Option<String>,
    /// `source.viewer.accountId`.
    pub viewer_account: Option<String>,
    /// `source.viewer.admin`: `None` when it could not be learnt.
    pub admin: Option<bool>,
    /// `source.viewer.scope`: the token's scope, when known.
    pub scope: Option<String>,
    /// `account.id`.
    pub account_id: Option<String>,
    /// `account.mainNumber`.
    pub main_number: Option<String>,
    /// `account.serviceInfo.servicePlan.name`.
    pub plan: Option<String>,
    /// `errors`: what the fetcher could not get.
    pub errors: Vec<FetchError>,
}

/// One entry of the snapshot's `errors`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchError {
    /// Where the data would be.
    pub pointer: String,
    /// The request that failed.
    pub request: String,
    /// The HTTP status, when there was a response.
    pub status: Option<String>,
    /// The API's error code.
    pub code: String,
    /// What the server or the fetcher said.
    pub message: String,
}

/// An extension as the per-extension view shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extension {
    /// `id`.
    pub id: String,
    /// `extensionNumber`.
    pub number: String,
    /// `name`.
    pub name: String,
    /// `type` (`User`, `Department`, `IvrMenu`, ...).
    pub kind: String,
    /// `status`.
    pub status: String,
    /// Its phone numbers: its own list, or, when the snapshot has none for
    /// it, the account list's numbers mapped to it.
    pub numbers: Vec<String>,
    /// Its forwarding numbers, each with its label.
    pub forwarding: Vec<String>,
}

/// The account as the HTML report shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    /// Who took the snapshot, when, and what could not be fetched.
    pub provenance: Provenance,
    /// The extensions, in snapshot order (so `/extensions/N` is the N-th).
    pub extensions: Vec<Extension>,
    /// For each record of the account's `phoneNumbers`, the index of the
    /// extension it is mapped to.
    phone_owner: Vec<Option<usize>>,
}

/// A scalar as text: strings as they are, numbers and booleans written as
/// JSON writes them, anything else empty.
fn text(node: Option<&Node>) -> String {
    node.and_then(|n| {
        n.as_str()
            .map(str::to_owned)
            .or_else(|| n.as_bool().map(|b| b.to_string()))
            .or_else(|| n.id_string())
    })
    .unwrap_or_default()
}

/// A scalar as text, `None` when absent, null or empty.
fn optional(node: Option<&Node>) -> Option<String> {
    Some(text(node)).filter(|t| !t.is_empty())
}

fn array(node: Option<&Node>) -> &[Node] {
    node.and_then(Node::as_array).unwrap_or_default()
}

impl Inventory {
    /// Reads the inventory from a snapshot's root.
    pub fn new(root: &Node) -> Inventory {
        let account = root.get("account");
        let source = root.get("source");
        let viewer = source.and_then(|s| s.get("viewer"));
        let provenance = Provenance {
            captured_at: optional(root.get("capturedAt")),
            server: optional(source.and_then(|s| s.get("server"))),
            generator: optional(source.and_then(|s| s.get("generator"))),
            viewer_extension: optional(viewer.and_then(|v| v.get("extensionId"))),
            viewer_account: optional(viewer.and_then(|v| v.get("accountId"))),
            admin: viewer.and_then(|v| v.get("admin")).and_then(Node::as_bool),
            scope: optional(viewer.and_then(|v| v.get("scope"))),
            account_id: optional(account.and_then(|a| a.get("id"))),
            main_number: optional(account.and_then(|a| a.get("mainNumber"))),
            plan: optional(
                account
                    .and_then(|a| a.pointer("/serviceInfo/servicePlan/name"))
                    .or_else(|| root.pointer("/serviceInfo/servicePlan/name")),
            ),
            errors: array(root.get("errors"))
                .iter()
                .map(|e| FetchError {
                    pointer: text(e.get("pointer")),
                    request: text(e.get("request")),
                    status: optional(e.get("status")),
                    code: text(e.get("errorCode")),
                    message: text(e.get("message")),
                })
                .collect(),
        };
        let records = array(root.get("extensions"));
        let by_id: std::collections::HashMap<String, usize> = records
            .iter()
            .enumerate()
            .filter_map(|(i, e)| Some((e.get("id")?.id_string()?, i)))
            .collect();
        let account_numbers = array(root.get("phoneNumbers"));
        let phone_owner: Vec<Option<usize>> = account_numbers
            .iter()
            .map(|n| {
                let id = n.pointer("/extension/id")?.id_string()?;
                by_id.get(&id).copied()
            })
            .collect();
        let mut mapped: Vec<Vec<String>> = vec![Vec::new(); records.len()];
        for (record, owner) in account_numbers.iter().zip(&phone_owner) {
            if let Some(list) = owner.and_then(|i| mapped.get_mut(i)) {
                list.push(text(record.get("phoneNumber")));
            }
        }
        let extensions = records
            .iter()
            .zip(mapped)
            .map(|(e, mapped)| Extension {
                id: text(e.get("id")),
                number: text(e.get("extensionNumber")),
                name: text(e.get("name")),
                kind: text(e.get("type")),
                status: text(e.get("status")),
                numbers: match e.get("phoneNumbers").and_then(Node::as_array) {
                    Some(own) => own.iter().map(|n| text(n.get("phoneNumber"))).collect(),
                    None => mapped,
                },
                forwarding: array(e.get("forwardingNumbers"))
                    .iter()
                    .map(|f| {
                        let number = text(f.get("phoneNumber"));
                        match optional(f.get("label")) {
                            Some(label) => format!("{number} ({label})"),
                            None => number,
                        }
                    })
                    .collect(),
            })
            .collect();
        Inventory {
            provenance,
            extensions,
            phone_owner,
        }
    }

    /// The extension a finding is about, from its pointer: anything under
    /// `/extensions/N`, or an account phone number mapped to an extension.
    pub fn extension_of(&self, at: &str) -> Option<usize> {
        let mut tokens = at.strip_prefix('/')?.split('/');
        let list = tokens.next()?;
        let index = pointer::parse_index(tokens.next()?)?;
        match list {
            "extensions" => Some(index).filter(|i| *i < self.extensions.len()),
            "phoneNumbers" => self.phone_owner.get(index).copied().flatten(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inventory(json: &str) -> Inventory {
        // The tree alone: a snapshot the schema refuses still reads.
        Inventory::new(&rcaudit_model::parse(json).expect("parses"))
    }

    #[test]
    fn findings_are_tied_to_extensions_directly_or_through_the_account_list() {
        let inv = inventory(
            r#"{"snapshotVersion": 1, "account": {"id": 7},
                "phoneNumbers": [{"phoneNumber": "+1", "extension": {"id": 20}},
                                 {"phoneNumber": "+2"},
                                 {"phoneNumber": "+3", "extension": {"id": "10"}}],
                "extensions": [{"id": 10, "extensionNumber": "101", "forwardingNumbers":
                                  [{"phoneNumber": "+9", "label": "Home"}]},
                               {"id": 20, "phoneNumbers": [{"phoneNumber": "+5"}]}]}"#,
        );
        assert_eq!(inv.extension_of("/extensions/1/name"), Some(1));
        assert_eq!(inv.extension_of("/extensions/2"), None);
        assert_eq!(inv.extension_of("/phoneNumbers/0"), Some(1));
        assert_eq!(inv.extension_of("/phoneNumbers/1"), None);
        assert_eq!(inv.extension_of("/phoneNumbers/2/usageType"), Some(0));
        assert_eq!(inv.extension_of("/account/mainNumber"), None);
        assert_eq!(inv.extension_of(""), None);
        // Its own list when it has one; the account list's otherwise.
        assert_eq!(inv.extensions[0].numbers, ["+3"]);
        assert_eq!(inv.extensions[1].numbers, ["+5"]);
        assert_eq!(inv.extensions[0].forwarding, ["+9 (Home)"]);
    }

    #[test]
    fn odd_fields_read_as_empty_and_provenance_is_read() {
        let inv = inventory(
            r#"{"snapshotVersion": 1, "capturedAt": "2026-11-28T06:00:00Z",
                "source": {"viewer": {"admin": false, "extensionId": 5}},
                "account": {"id": 7, "serviceInfo": {"servicePlan": {"name": "X"}}},
                "errors": [{"pointer": "/phoneNumbers", "status": 403, "message": "no"}],
                "extensions": [{"id": [1], "name": {"a": 1}}, 3]}"#,
        );
        let p = &inv.provenance;
        assert_eq!(p.admin, Some(false));
        assert_eq!(p.viewer_extension.as_deref(), Some("5"));
        assert_eq!(p.plan.as_deref(), Some("X"));
        assert_eq!(p.errors[0].status.as_deref(), Some("403"));
        assert_eq!(inv.extensions.len(), 2);
        assert_eq!(inv.extensions[0], Extension::default());
    }
}
