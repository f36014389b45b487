//! The handlers: pure mappings from the served account to the API's JSON
//! (records, pages with `paging` and `navigation`, error bodies), and the
//! control routes `/__stats` and `/__reset`. They never see faults, tokens
//! or limits; the one fault that changes a body (a list without
//! `navigation`) reaches them as [`OmitNavigation`].

use std::sync::Arc;

use axum::Extension as RequestExtension;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;

use super::App;
use super::policy::OmitNavigation;
use crate::account::{self, Extension};
use crate::error::{ApiError, json_response};
use crate::paging;

pub(super) type Answer = Result<Response, ApiError>;

pub(super) fn ok_json(body: &impl Serialize) -> Answer {
    let text = serde_json::to_string(body)
        .map_err(|e| ApiError::new(500, "CMN-500", format!("Internal Server Error: {e}")))?;
    Ok(json_response(StatusCode::OK, text))
}

impl App {
    fn check_account(&self, id: &str) -> Result<(), ApiError> {
        if self.account.is_account(id) {
            Ok(())
        } else {
            Err(ApiError::not_found("accountId"))
        }
    }

    /// The account's URL on this server (for navigation links).
    fn account_url(&self) -> String {
        format!(
            "{}/restapi/v1.0/account/{}",
            self.base, self.account.account_id
        )
    }

    fn find_extension(&self, account_id: &str, extension_id: &str) -> Result<&Extension, ApiError> {
        self.check_account(account_id)?;
        let id = self.account.resolve_extension_id(extension_id);
        self.account
            .extension(id)
            .ok_or_else(|| ApiError::not_found("extensionId"))
    }
}

/// One page of `records` as the answer to a list request, without
/// `navigation` when `omit` (the fault) is set.
fn page_answer<T: Serialize>(
    url: &str,
    records: &[T],
    query: Option<&str>,
    omit: Option<RequestExtension<OmitNavigation>>,
) -> Answer {
    let req = paging::parse_query(query)?;
    let body = paging::page(url, records, req);
    if omit.is_some() {
        ok_json(&body.without_navigation())
    } else {
        ok_json(&body)
    }
}

impl Serialize for Extension {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.record.serialize(s)
    }
}

pub(super) async fn account_info(
    State(app): State<Arc<App>>,
    Path(account_id): Path<String>,
) -> Answer {
    app.check_account(&account_id)?;
    ok_json(&app.account.account)
}

pub(super) async fn service_info(
    State(app): State<Arc<App>>,
    Path(account_id): Path<String>,
) -> Answer {
    app.check_account(&account_id)?;
    ok_json(app.account.service_info.as_ref().map_err(Clone::clone)?)
}

pub(super) async fn extension_list(
    State(app): State<Arc<App>>,
    Path(account_id): Path<String>,
    RawQuery(query): RawQuery,
    omit: Option<RequestExtension<OmitNavigation>>,
) -> Answer {
    app.check_account(&account_id)?;
    let list = app.account.extensions.as_deref().map_err(Clone::clone)?;
    // `type` (repeated, `explode: true` in the specification) keeps the
    // extensions of those types.
    let types: Vec<String> = query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .filter_map(|pair| pair.strip_prefix("type="))
        // Type names are letters: nothing to decode.
        .map(str::to_owned)
        .collect();
    let url = format!("{}/extension", app.account_url());
    if types.is_empty() {
        return page_answer(&url, list, query.as_deref(), omit);
    }
    let kept: Vec<&Extension> = list
        .iter()
        .filter(|e| {
            e.record
                .get("type")
                .and_then(crate::json::Json::as_str)
                .is_some_and(|t| types.iter().any(|wanted| wanted == t))
        })
        .collect();
    page_answer(&url, &kept, query.as_deref(), omit)
}

pub(super) async fn extension_detail(
    State(app): State<Arc<App>>,
    Path((account_id, extension_id)): Path<(String, String)>,
) -> Answer {
    app.check_account(&account_id)?;
    let a = &app.account;
    let id = a.resolve_extension_id(&extension_id);
    let own = id == a.viewer.extension_id;
    match a.extension(id) {
        Some(ext) => ok_json(&account::detail_record(&ext.record, own, a.viewer.admin)),
        None if own => ok_json(&account::synthetic_viewer_record(
            crate::generate::SERVER,
            &a.account_id,
            &a.viewer,
        )),
        None => Err(ApiError::not_found("extensionId")),
    }
}

pub(super) async fn extension_phone_numbers(
    State(app): State<Arc<App>>,
    Path((account_id, extension_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Answer {
    let ext = app.find_extension(&account_id, &extension_id)?;
    let list = app.account.extension_phone_numbers_view(ext)?;
    let url = format!(
        "{}/extension/{}/phone-number",
        app.account_url(),
        ext.id.as_deref().unwrap_or_default()
    );
    // `navigation` is required on this list: never omitted.
    page_answer(&url, &list, query.as_deref(), None)
}

pub(super) async fn account_phone_numbers(
    State(app): State<Arc<App>>,
    Path(account_id): Path<String>,
    RawQuery(query): RawQuery,
    omit: Option<RequestExtension<OmitNavigation>>,
) -> Answer {
    app.check_account(&account_id)?;
    let list = app.account.account_phone_numbers_view()?;
    page_answer(
        &format!("{}/phone-number", app.account_url()),
        list,
        query.as_deref(),
        omit,
    )
}

pub(super) async fn forwarding_numbers(
    State(app): State<Arc<App>>,
    Path((account_id, extension_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    omit: Option<RequestExtension<OmitNavigation>>,
) -> Answer {
    let ext = app.find_extension(&account_id, &extension_id)?;
    let list = app.account.forwarding_numbers_view(ext)?;
    let url = format!(
        "{}/extension/{}/forwarding-number",
        app.account_url(),
        ext.id.as_deref().unwrap_or_default()
    );
    page_answer(&url, list, query.as_deref(), omit)
}

/// `AuthProfileResource`: the viewer's own user permissions (another
/// extension's profile is not the viewer's to read here).
pub(super) async fn authz_profile(
    State(app): State<Arc<App>>,
    Path((account_id, extension_id)): Path<(String, String)>,
) -> Answer {
    app.check_account(&account_id)?;
    let a = &app.account;
    if a.resolve_extension_id(&extension_id) != a.viewer.extension_id {
        return Err(ApiError::user_permission("ReadUserRoles"));
    }
    let uri = format!(
        "{}/extension/{}/authz-profile",
        app.account_url(),
        a.viewer.extension_id
    );
    ok_json(&account::authz_profile(&uri, &a.viewer))
}

pub(super) async fn stats(State(app): State<Arc<App>>) -> Answer {
    ok_json(&app.stats.snapshot())
}

pub(super) async fn reset(State(app): State<Arc<App>>) -> StatusCode {
    app.stats.reset();
    app.limiter.reset();
    StatusCode::NO_CONTENT
}

pub(super) async fn not_found() -> ApiError {
    ApiError::new(404, "CMN-404", "Resource not found")
}
