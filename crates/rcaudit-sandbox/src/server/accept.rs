//! Starting and running the server: binding 127.0.0.1, the accept loop,
//! and the per-connection hyper service that closes a connection without
//! an answer when the policy says so (the drop fault).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

use super::{App, Endpoint, router};
use crate::Config;
use crate::account::{self, Account};
use crate::auth::Tokens;
use crate::rate::Limiter;
use crate::stats::Stats;

/// Marks a response whose connection must be closed without sending it.
#[derive(Debug, Clone, Copy)]
pub(super) struct DropConnection;

/// The error the connection service returns to make hyper close the socket.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for Dropped {}

/// A running sandbox; dropping it stops the server and its connections.
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Running {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Runs until the server task ends (it does not end by itself).
    pub async fn wait(mut self) {
        let _ = (&mut self.task).await;
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The snapshot could not be served.
    #[error(transparent)]
    Load(#[from] account::LoadError),
    /// The port could not be bound.
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind {
        /// The port asked for.
        port: u16,
        /// The cause.
        source: std::io::Error,
    },
}

/// Loads the account, binds `127.0.0.1:port` and serves in the background.
pub async fn start(config: Config) -> Result<Running, StartError> {
    let account = config.account()?;
    let bind = |source| StartError::Bind {
        port: config.port,
        source,
    };
    let listener = TcpListener::bind(("127.0.0.1", config.port))
        .await
        .map_err(bind)?;
    let addr = listener.local_addr().map_err(bind)?;
    Ok(serve(listener, addr, account, &config))
}

/// Serves `account` on an already bound listener.
pub fn serve(
    listener: TcpListener,
    addr: SocketAddr,
    account: Account,
    config: &Config,
) -> Running {
    let started = Instant::now();
    let app = Arc::new(App {
        account,
        base: format!("http://{addr}"),
        limiter: Limiter::new(config.window),
        tokens: Tokens::new(config.token_ttl, config.require_token.clone()),
        stats: Stats::new(started, Endpoint::ALL.iter().map(|e| e.key()).collect()),
        faults: config.faults,
        retry_after: config.retry_after,
        scope: config.scope.clone(),
    });
    let task = tokio::spawn(accept_loop(listener, router(app)));
    Running { addr, task }
}

async fn accept_loop(listener: TcpListener, router: Router) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(stream, router.clone()));
                }
                // Out of file descriptors and the like: try again shortly.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn serve_connection(stream: TcpStream, router: Router) {
    let _ = stream.set_nodelay(true);
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let router = router.clone();
        async move {
            let resp = match router.oneshot(req).await {
                Ok(resp) => resp,
                Err(never) => match never {},
            };
            if resp.extensions().get::<DropConnection>().is_some() {
                // hyper closes the connection without writing a response.
                return Err(Dropped);
            }
            Ok(resp)
        }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}
