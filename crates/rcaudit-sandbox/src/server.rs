//! The HTTP server, one module per job:
//!
//! - `catalogue`: the endpoints served ([`Endpoint`]), their routes and
//!   usage-plan groups;
//! - `accept`: binding, the accept loop, and the connection service that
//!   can drop a connection ([`start`], [`serve`], [`Running`]);
//! - `policy`: everything that is not data, in front of the handlers;
//! - `handlers`: the account as the API's JSON, and the control routes;
//! - `token`: the OAuth token endpoint;
//! - `reference`: the snapshot a correct fetch writes
//!   ([`expected_snapshot_text`], [`comparable_snapshot`]).
//!
//! Every API request goes through the policy in one fixed order: count it,
//! decide its faults, charge it to the rate limiter, delay it, then either
//! answer with a fault, a 429, a 401/403, or the handler's answer, and
//! finally add the rate-limit headers. Handlers only map the account to
//! JSON and never see faults, tokens or limits; the one fault that changes
//! a body (a list without `navigation`) reaches them as a request
//! extension. This file holds the state they share (`App`) and the
//! router that wires them together.

mod accept;
mod catalogue;
mod handlers;
mod policy;
mod reference;
mod token;

use std::sync::Arc;

use axum::Router;
use axum::middleware;
use axum::routing::{get, post};

use crate::account::Account;
use crate::auth::Tokens;
use crate::faults::FaultConfig;
use crate::rate::Limiter;
use crate::stats::Stats;

pub use accept::{Running, StartError, serve, start};
pub use catalogue::Endpoint;
pub use reference::{comparable_snapshot, expected_snapshot_text};

/// Shared state of a running sandbox.
#[derive(Debug)]
pub(crate) struct App {
    account: Account,
    /// `http://127.0.0.1:PORT`, for navigation links.
    base: String,
    limiter: Limiter,
    tokens: Tokens,
    stats: Stats,
    faults: FaultConfig,
    /// Whether 429s carry `Retry-After`.
    retry_after: bool,
    /// The token scope (space-separated).
    scope: String,
}

/// The router: API routes behind [`policy`], then the control routes.
fn router(app: Arc<App>) -> Router {
    Router::new()
        .route(Endpoint::Account.path(), get(handlers::account_info))
        .route(Endpoint::ServiceInfo.path(), get(handlers::service_info))
        .route(
            Endpoint::ExtensionList.path(),
            get(handlers::extension_list),
        )
        .route(Endpoint::Extension.path(), get(handlers::extension_detail))
        .route(
            Endpoint::ExtensionPhoneNumbers.path(),
            get(handlers::extension_phone_numbers),
        )
        .route(
            Endpoint::AccountPhoneNumbers.path(),
            get(handlers::account_phone_numbers),
        )
        .route(
            Endpoint::ForwardingNumbers.path(),
            get(handlers::forwarding_numbers),
        )
        .route(Endpoint::AuthzProfile.path(), get(handlers::authz_profile))
        .route(Endpoint::Token.path(), post(token::token))
        .route_layer(middleware::from_fn_with_state(
            Arc::clone(&app),
            policy::policy,
        ))
        .route("/__stats", get(handlers::stats))
        .route("/__reset", post(handlers::reset))
        .fallback(handlers::not_found)
        .with_state(app)
}
