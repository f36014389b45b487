//! The account the sandbox serves, built from a snapshot document.
//!
//! Generated accounts are generated *as snapshot documents* and go through
//! the same [`Account::from_snapshot`], so there is one mapping from a
//! snapshot to endpoint answers, and `fetch(serve(S)) == S` holds for both.
//!
//! A list the snapshot leaves out is unknown (`docs/snapshot-format.md`): it is answered
//! with its `errors` entry, or else with an error a fetcher records as
//! unknown (403 CMN-401 for a per-extension list), never with 403 CMN-403,
//! which on a forwarding list means the extension has none.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::ApiError;
use crate::json::Json;

/// Who is logged in: the owner of every token the sandbox accepts.
#[derive(Debug, Clone, PartialEq)]
pub struct Viewer {
    /// The viewer's account id (what `~` means for `{accountId}`).
    pub account_id: String,
    /// The viewer's extension id (what `~` means for `{extensionId}`).
    pub extension_id: String,
    /// Whether the viewer is an administrator (sees everything).
    pub admin: bool,
    /// The viewer's user permissions as `authz-profile` lists them
    /// (`ActivePermissionResource` records): the served snapshot's
    /// `source.viewer.permissions`, else [`default_permissions`].
    pub permissions: Vec<Json>,
}

/// The user permissions every `GET` of a fetch needs (the specification's
/// `x-user-permission` of each: `docs/api-facts.md`, Endpoints).
pub const READ_PERMISSIONS: [&str; 5] = [
    "ReadCompanyInfo",
    "ReadExtensions",
    "ReadCompanyPhoneNumbers",
    "ReadUserPhoneNumbers",
    "ReadUserForwardingFlipNumbers",
];

/// The permissions of a viewer whose snapshot does not say: the read
/// permissions a fetch needs, over the whole account for an administrator,
/// over their own extension for anyone else (a read-only audit role).
pub fn default_permissions(admin: bool) -> Vec<Json> {
    READ_PERMISSIONS
        .iter()
        .map(|&id| {
            let scopes: Vec<Json> = if admin {
                vec![Json::from("Account"), Json::from("AllExtensions")]
            } else {
                vec![Json::from("Self")]
            };
            Json::Object(crate::obj! {
                "permission" => crate::obj! {
                    "uri" => format!("{}/restapi/v1.0/dictionary/permission/{id}", crate::generate::SERVER),
                    "id" => id,
                    "siteCompatible" => "Compatible",
                    "readOnly" => true,
                    "assignable" => true,
                },
                "effectiveRole" => crate::obj! {
                    "uri" => format!("{}/restapi/v1.0/account/~/user-role/{}", crate::generate::SERVER, if admin { "1400" } else { "1500" }),
                    "id" => if admin { "1400" } else { "1500" },
                    "domain" => "PlatformAdmin",
                },
                "scopes" => scopes,
            })
        })
        .collect()
}

/// `GET .../extension/~/authz-profile` (`AuthProfileResource`).
pub fn authz_profile(uri: &str, viewer: &Viewer) -> Json {
    Json::Object(crate::obj! {
        "uri" => uri,
        "permissions" => viewer.permissions.clone(),
    })
}

/// One extension: its list record and its two per-extension lists.
#[derive(Debug, Clone)]
pub struct Extension {
    /// The record's `id` as text (`None` if it has none: unaddressable).
    pub id: Option<String>,
    /// The list record, without `phoneNumbers` and `forwardingNumbers`.
    pub record: Json,
    /// `GET .../extension/{id}/phone-number`: the records, or the error to answer.
    pub phone_numbers: Result<Vec<Json>, ApiError>,
    /// `GET .../extension/{id}/forwarding-number`: the records, or the error.
    pub forwarding_numbers: Result<Vec<Json>, ApiError>,
}

/// The whole account, as the endpoints see it.
#[derive(Debug, Clone)]
pub struct Account {
    /// The logged-in extension.
    pub viewer: Viewer,
    /// `account.id` as text (or the viewer's account id when absent).
    pub account_id: String,
    /// `GET /account/{id}`.
    pub account: Json,
    /// `GET /account/{id}/service-info`.
    pub service_info: Result<Json, ApiError>,
    /// `GET /account/{id}/phone-number`.
    pub phone_numbers: Result<Vec<Json>, ApiError>,
    /// `GET /account/{id}/extension` (the records), or the error to answer.
    pub extensions: Result<Vec<Extension>, ApiError>,
    by_id: HashMap<String, usize>,
}

/// Why a snapshot could not be served.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not JSON.
    #[error("{path} is not valid JSON: {source}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The cause, with line and column.
        source: serde_json::Error,
    },
    /// The JSON does not have the snapshot's shape.
    #[error("{pointer}: {problem}")]
    Shape {
        /// Where (RFC 6901 pointer).
        pointer: String,
        /// What is wrong.
        problem: String,
    },
}

fn shape(pointer: impl Into<String>, problem: &str) -> LoadError {
    LoadError::Shape {
        pointer: pointer.into(),
        problem: problem.to_owned(),
    }
}

/// The extension types of the specification's `AllExtensionTypesEnum`
/// without call forwarding (all but the User extension types and
/// `Unknown`): a fetcher records their forwarding list empty without
/// asking (`docs/api-facts.md`, "Fewer requests").
pub const NO_FORWARDING_TYPES: [&str; 18] = [
    "Department",
    "Announcement",
    "Voicemail",
    "PagingOnly",
    "SharedLinesGroup",
    "DelegatedLinesGroup",
    "GroupCallPickup",
    "IvrMenu",
    "ApplicationExtension",
    "ProxyAdmin",
    "RoomConnector",
    "ParkLocation",
    "Limited",
    "Bot",
    "Site",
    "Room",
    "FlexibleUser",
    "TieLine",
];

/// Whether an extension record's type is one without call forwarding.
pub fn has_no_forwarding(record: &Json) -> bool {
    record
        .get("type")
        .and_then(Json::as_str)
        .is_some_and(|kind| NO_FORWARDING_TYPES.contains(&kind))
}

/// Default answer when a per-extension list is absent and `errors` says
/// nothing: 403 CMN-401, the application lacks `ReadAccounts` (which both
/// lists need, `docs/api-facts.md`). Absent means unknown
/// (`docs/snapshot-format.md`), so the
/// answer must be one a fetcher records as unknown. Not CMN-403 ("The feature
/// is not available for this extension type"): on a forwarding list that is
/// an answer, none, and a fetcher rightly records `[]`. A snapshot that
/// means CMN-403 says so with an `errors` entry (generated accounts do).
fn unknown_list() -> ApiError {
    ApiError::app_permission("ReadAccounts")
}

impl Account {
    /// Reads a snapshot file.
    pub fn load(path: &Path, admin: Option<bool>) -> Result<Account, LoadError> {
        let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
            path: path.to_owned(),
            source,
        })?;
        let doc: Json = serde_json::from_str(&text).map_err(|source| LoadError::Syntax {
            path: path.to_owned(),
            source,
        })?;
        Account::from_snapshot(doc, admin)
    }

    /// Builds the account from a snapshot document (`docs/snapshot-format.md`). `admin`
    /// overrides `source.viewer.admin`.
    pub fn from_snapshot(doc: Json, admin: Option<bool>) -> Result<Account, LoadError> {
        let Json::Object(mut doc) = doc else {
            return Err(shape("", "a snapshot is a JSON object"));
        };
        if let Some(v) = doc.get("snapshotVersion")
            && v.id_text().as_deref() != Some("1")
        {
            return Err(shape("/snapshotVersion", "only version 1 is supported"));
        }
        let errors = errors_by_pointer(doc.get("errors"));
        let error_for =
            |pointer: &str, default: ApiError| errors.get(pointer).cloned().unwrap_or(default);

        let account = doc
            .remove("account")
            .ok_or_else(|| shape("/account", "missing (it is required)"))?;
        if account.as_object().is_none() {
            return Err(shape("/account", "must be an object"));
        }
        let service_info = doc.remove("serviceInfo").ok_or_else(|| {
            error_for(
                "/serviceInfo",
                ApiError::user_permission("ReadServicePlanInfo"),
            )
        });
        let phone_numbers = match doc.remove("phoneNumbers") {
            Some(Json::Array(a)) => Ok(a),
            Some(_) => return Err(shape("/phoneNumbers", "must be an array")),
            None => Err(error_for(
                "/phoneNumbers",
                ApiError::app_permission("ReadAccounts"),
            )),
        };
        let extensions = match doc.remove("extensions") {
            Some(Json::Array(a)) => Ok(a
                .into_iter()
                .enumerate()
                .map(|(i, e)| extension(i, e, &error_for))
                .collect::<Result<Vec<_>, _>>()?),
            Some(_) => return Err(shape("/extensions", "must be an array")),
            None => Err(error_for(
                "/extensions",
                ApiError::user_permission("ReadExtensions"),
            )),
        };

        let viewer_doc = doc.get("source").and_then(|s| s.get("viewer"));
        let field = |name: &str| viewer_doc.and_then(|v| v.get(name)).and_then(Json::id_text);
        let account_id = account
            .get("id")
            .and_then(Json::id_text)
            .or_else(|| field("accountId"))
            .unwrap_or_else(|| String::from("~"));
        let first_extension = extensions
            .as_ref()
            .ok()
            .and_then(|e| e.iter().find_map(|e| e.id.clone()));
        let extension_id = field("extensionId")
            .or_else(|| {
                account
                    .get("operator")
                    .and_then(|o| o.get("id"))
                    .and_then(Json::id_text)
            })
            .or(first_extension)
            .unwrap_or_else(|| String::from("~"));
        let admin = admin
            .or_else(|| {
                viewer_doc
                    .and_then(|v| v.get("admin"))
                    .and_then(Json::as_bool)
            })
            .unwrap_or(true);
        let permissions = match viewer_doc.and_then(|v| v.get("permissions")) {
            Some(Json::Array(list)) => list.clone(),
            _ => default_permissions(admin),
        };
        let viewer = Viewer {
            account_id: field("accountId").unwrap_or_else(|| account_id.clone()),
            extension_id,
            admin,
            permissions,
        };

        let mut by_id = HashMap::new();
        if let Ok(list) = &extensions {
            for (i, e) in list.iter().enumerate() {
                if let Some(id) = &e.id {
                    by_id.entry(id.clone()).or_insert(i);
                }
            }
        }
        Ok(Account {
            viewer,
            account_id,
            account,
            service_info,
            phone_numbers,
            extensions,
            by_id,
        })
    }

    /// Whether `{accountId}` names this account (`~`, its id, or the viewer's).
    pub fn is_account(&self, id: &str) -> bool {
        id == "~" || id == self.account_id || id == self.viewer.account_id
    }

    /// Resolves `~` to the viewer's extension id.
    pub fn resolve_extension_id<'a>(&'a self, id: &'a str) -> &'a str {
        if id == "~" {
            &self.viewer.extension_id
        } else {
            id
        }
    }

    /// The extension with this id (after `~` resolution).
    pub fn extension(&self, id: &str) -> Option<&Extension> {
        let i = *self.by_id.get(id)?;
        self.extensions.as_ref().ok()?.get(i)
    }

    /// Whether `ext` is the viewer's own extension.
    pub fn is_own(&self, ext: &Extension) -> bool {
        ext.id.as_deref() == Some(self.viewer.extension_id.as_str())
    }

    /// The account phone-number list as the viewer may see it.
    pub fn account_phone_numbers_view(&self) -> Result<&[Json], ApiError> {
        if !self.viewer.admin {
            return Err(ApiError::user_permission("ReadCompanyPhoneNumbers"));
        }
        self.phone_numbers.as_deref().map_err(Clone::clone)
    }

    /// An extension's phone-number list as the viewer may see it: all of
    /// it for an administrator or the viewer's own extension, otherwise
    /// only `DirectNumber` records, without `features`.
    pub fn extension_phone_numbers_view<'a>(
        &self,
        ext: &'a Extension,
    ) -> Result<Cow<'a, [Json]>, ApiError> {
        let list = ext.phone_numbers.as_deref().map_err(Clone::clone)?;
        if self.viewer.admin || self.is_own(ext) {
            return Ok(Cow::Borrowed(list));
        }
        Ok(Cow::Owned(
            list.iter()
                .filter(|r| is_direct_number(r))
                .map(without_features)
                .collect(),
        ))
    }

    /// An extension's forwarding-number list as the viewer may see it.
    pub fn forwarding_numbers_view<'a>(&self, ext: &'a Extension) -> Result<&'a [Json], ApiError> {
        if !self.viewer.admin && !self.is_own(ext) {
            return Err(ApiError::new(
                403,
                "CMN-419",
                "In order to call this API endpoint for another extension, user needs to have [ReadUserForwardingFlipNumbers] permission granted with extended scope",
            ));
        }
        ext.forwarding_numbers.as_deref().map_err(Clone::clone)
    }

    /// The snapshot a correct fetcher produces from this sandbox, as the
    /// viewer: the served data with every list the viewer may not read, or
    /// that the served snapshot leaves out (unknown), left out and listed in
    /// `errors` with the answer given; an empty forwarding list for each
    /// extension of a type without call forwarding (not asked for) or whose
    /// forwarding list is answered 403 `CMN-403`; and, when an
    /// administrator can read the account's phone-number list, no
    /// per-extension phone-number lists (that list stands in for them).
    /// `capturedAt` and `source` are placeholders.
    pub fn expected_snapshot(&self) -> Json {
        self.expected_snapshot_with(false)
    }

    /// [`Account::expected_snapshot`] of a fetch that asks for each
    /// extension's phone-number list even when the account's list stands
    /// in for them (`every_list`).
    pub fn expected_snapshot_with(&self, every_list: bool) -> Json {
        let mut errors = Vec::new();
        let mut fail = |pointer: String, request: String, e: &ApiError| {
            errors.push(Json::Object(crate::obj! {
                "pointer" => pointer,
                "request" => format!("GET /restapi/v1.0/account/~{request}"),
                "status" => u64::from(e.status),
                "errorCode" => e.code.as_str(),
                "message" => e.message.as_str(),
            }));
        };
        let mut doc = crate::obj! {
            "snapshotVersion" => 1u64,
            "capturedAt" => "1970-01-01T00:00:00Z",
            "source" => crate::obj! {
                "server" => crate::generate::SERVER,
                "generator" => "rcaudit-sandbox --dump-snapshot",
                "viewer" => crate::obj! {
                    "accountId" => self.viewer.account_id.as_str(),
                    "extensionId" => self.viewer.extension_id.as_str(),
                    "admin" => self.viewer.admin,
                },
            },
            "account" => self.account.clone(),
        };
        match &self.service_info {
            Ok(v) => doc.insert("serviceInfo", v.clone()),
            Err(e) => fail("/serviceInfo".into(), "/service-info".into(), e),
        }
        let covered = match self.account_phone_numbers_view() {
            Ok(v) => {
                doc.insert("phoneNumbers", v.to_vec());
                !every_list
            }
            Err(e) => {
                fail("/phoneNumbers".into(), "/phone-number".into(), &e);
                false
            }
        };
        match &self.extensions {
            Ok(list) => {
                let mut out = Vec::with_capacity(list.len());
                for (i, ext) in list.iter().enumerate() {
                    let mut rec = ext.record.clone();
                    let id = ext.id.clone().unwrap_or_default();
                    let no_forwarding = has_no_forwarding(&rec);
                    if let Some(o) = rec.as_object_mut() {
                        match self.extension_phone_numbers_view(ext) {
                            _ if covered => {}
                            Ok(v) => o.insert("phoneNumbers", v.into_owned()),
                            Err(e) => fail(
                                format!("/extensions/{i}/phoneNumbers"),
                                format!("/extension/{id}/phone-number"),
                                &e,
                            ),
                        }
                        match self.forwarding_numbers_view(ext) {
                            // Not asked for: none.
                            _ if no_forwarding => o.insert("forwardingNumbers", Vec::<Json>::new()),
                            Ok(v) => o.insert("forwardingNumbers", v.to_vec()),
                            // The type has no call forwarding: an answer,
                            // none, not a gap.
                            Err(e) if e.status == 403 && e.code == "CMN-403" => {
                                o.insert("forwardingNumbers", Vec::<Json>::new());
                            }
                            Err(e) => fail(
                                format!("/extensions/{i}/forwardingNumbers"),
                                format!("/extension/{id}/forwarding-number"),
                                &e,
                            ),
                        }
                    }
                    out.push(rec);
                }
                doc.insert("extensions", out);
            }
            Err(e) => fail("/extensions".into(), "/extension".into(), e),
        }
        doc.insert("errors", errors);
        Json::Object(doc)
    }
}

/// The `errors` entries of a snapshot by pointer, as the answers to give.
fn errors_by_pointer(errors: Option<&Json>) -> HashMap<String, ApiError> {
    let mut out = HashMap::new();
    for e in errors.and_then(Json::as_array).into_iter().flatten() {
        let Some(pointer) = e.get("pointer").and_then(Json::as_str) else {
            continue;
        };
        let status = e
            .get("status")
            .and_then(Json::id_text)
            .and_then(|s| s.parse::<u16>().ok())
            .filter(|s| (400..600).contains(s))
            .unwrap_or(500);
        let code = e
            .get("errorCode")
            .and_then(Json::as_str)
            .unwrap_or("CMN-500");
        let message = e
            .get("message")
            .and_then(Json::as_str)
            .unwrap_or("Request failed");
        out.entry(pointer.to_owned())
            .or_insert_with(|| ApiError::new(status, code, message));
    }
    out
}

fn extension(
    index: usize,
    record: Json,
    error_for: &impl Fn(&str, ApiError) -> ApiError,
) -> Result<Extension, LoadError> {
    let Json::Object(mut record) = record else {
        return Err(shape(format!("/extensions/{index}"), "must be an object"));
    };
    let mut list = |key: &str| -> Result<Result<Vec<Json>, ApiError>, LoadError> {
        let pointer = format!("/extensions/{index}/{key}");
        match record.remove(key) {
            Some(Json::Array(a)) => Ok(Ok(a)),
            Some(_) => Err(shape(pointer, "must be an array")),
            None => Ok(Err(error_for(&pointer, unknown_list()))),
        }
    };
    let phone_numbers = list("phoneNumbers")?;
    let forwarding_numbers = list("forwardingNumbers")?;
    Ok(Extension {
        id: record.get("id").and_then(Json::id_text),
        record: Json::Object(record),
        phone_numbers,
        forwarding_numbers,
    })
}

/// The extension detail record: the list record, and for the viewer's own
/// extension `permissions.admin.enabled` set to the viewer's admin flag.
pub fn detail_record(record: &Json, own: bool, admin: bool) -> Json {
    let mut record = record.clone();
    if own && let Some(o) = record.as_object_mut() {
        let admin_obj = crate::obj! { "enabled" => admin };
        match o.get_mut("permissions").and_then(Json::as_object_mut) {
            Some(p) => p.insert("admin", admin_obj),
            None => o.insert("permissions", crate::obj! { "admin" => admin_obj }),
        }
    }
    record
}

/// A phone-number record as a non-administrator sees another extension's:
/// `features` removed.
pub fn without_features(record: &Json) -> Json {
    let mut record = record.clone();
    if let Some(o) = record.as_object_mut() {
        o.remove("features");
    }
    record
}

/// Whether a phone-number record is a `DirectNumber`.
pub fn is_direct_number(record: &Json) -> bool {
    record.get("usageType").and_then(Json::as_str) == Some("DirectNumber")
}

/// A minimal detail record for a viewer whose extension is not in the list.
pub fn synthetic_viewer_record(base: &str, account_id: &str, viewer: &Viewer) -> Json {
    let id: Json = viewer
        .extension_id
        .parse::<u64>()
        .map_or_else(|_| Json::from(viewer.extension_id.as_str()), Json::from);
    Json::Object(crate::obj! {
        "uri" => format!(
            "{base}/restapi/v1.0/account/{account_id}/extension/{}",
            viewer.extension_id
        ),
        "id" => id,
        "permissions" => crate::obj! { "admin" => crate::obj! { "enabled" => viewer.admin } },
    })
}
