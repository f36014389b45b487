//! A hostile stand-in for the API, for the fetcher's robustness tests: a
//! server that answers whatever a test script says, byte for byte, where
//! the sandbox proper ([`crate::server`]) is a faithful API.
//!
//! It speaks HTTP/1.1 by hand on a raw socket (one request per connection,
//! `Connection: close`), so a script can send what no well-behaved HTTP
//! stack would: header values with control or non-ASCII bytes, absurd
//! numbers in `Retry-After` and `X-Rate-Limit-*`, a `Content-Length` of a
//! terabyte, a body that never ends. Every request line is logged, so a
//! test can check which paths a fetch asked for (path traversal through
//! ids).
//!
//! It binds 127.0.0.1 on an ephemeral port only, and stops when the
//! [`Hostile`] value is dropped. Every loop is bounded: an endless body
//! stops at [`ENDLESS_LIMIT`] bytes or when the client goes away, and a
//! request head larger than 64 KiB is cut off.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// The most an endless body sends before it gives up (the fetcher must
/// stop reading long before).
pub const ENDLESS_LIMIT: u64 = 4 * 1024 * 1024 * 1024;

/// The base of every account path the fetcher reads.
pub const ACCOUNT: &str = "/restapi/v1.0/account/~";

/// A request as it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path as sent, still percent-encoded (without the query).
    pub path: String,
    /// The query as sent (without `?`), if any.
    pub query: Option<String>,
}

impl Request {
    /// A query parameter's value (not decoded).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .as_deref()?
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
    }

    /// The `page` query parameter (1 when absent or not a number).
    pub fn page(&self) -> u64 {
        self.param("page").and_then(|p| p.parse().ok()).unwrap_or(1)
    }
}

/// The body of a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// These bytes, with a matching `Content-Length`.
    Bytes(Vec<u8>),
    /// JSON-looking bytes without end (up to [`ENDLESS_LIMIT`]), with this
    /// `Content-Length` if given (a lie), else delimited by closing the
    /// connection.
    Endless {
        /// The `Content-Length` announced, if any.
        content_length: Option<u64>,
    },
}

/// What the server answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The status code, written as given (any number).
    pub status: u16,
    /// Header lines, written as given (name, raw value bytes).
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body.
    pub body: Body,
}

impl Reply {
    /// A JSON answer.
    pub fn json(status: u16, body: impl Into<String>) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type".to_owned(), b"application/json".to_vec())],
            body: Body::Bytes(body.into().into_bytes()),
        }
    }

    /// A 200 list page: these records (JSON texts), and `paging` and
    /// `navigation` members as given (JSON texts, `None` leaves them out).
    pub fn page(records: &[String], paging: Option<&str>, navigation: Option<&str>) -> Reply {
        let mut body = format!("{{\"records\":[{}]", records.join(","));
        if let Some(paging) = paging {
            body.push_str(",\"paging\":");
            body.push_str(paging);
        }
        if let Some(navigation) = navigation {
            body.push_str(",\"navigation\":");
            body.push_str(navigation);
        }
        body.push('}');
        Reply::json(200, body)
    }

    /// The last page of a list: these records, no next page.
    pub fn last_page(records: &[String]) -> Reply {
        Reply::page(
            records,
            Some("{\"page\":1,\"perPage\":1000,\"totalPages\":1}"),
            Some("{\"firstPage\":{\"uri\":\"x\"}}"),
        )
    }

    /// An API error body (`errors[]` and the legacy fields).
    pub fn error(status: u16, code: &str, message: &str) -> Reply {
        let code = serde_json::to_string(code).unwrap_or_default();
        let message = serde_json::to_string(message).unwrap_or_default();
        Reply::json(
            status,
            format!(
                "{{\"errorCode\":{code},\"message\":{message},\"errors\":[{{\"errorCode\":{code},\"message\":{message}}}]}}"
            ),
        )
    }

    /// The reply with one more header (raw bytes: anything goes).
    #[must_use]
    pub fn with_header(mut self, name: &str, value: impl Into<Vec<u8>>) -> Reply {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
}

/// A test's script: the reply to each request.
pub type Script = Arc<dyn Fn(&Request) -> Reply + Send + Sync>;

/// A well-formed account the scripts can fall back on: the account, its
/// service info, the viewer (an administrator, extension 101), no account
/// numbers, extensions with `ids` (JSON texts: `"\"12\""`, `"12"`), each
/// with empty lists, on one page. Anything else is a 404.
pub fn account(request: &Request, ids: &[String]) -> Reply {
    let Some(rest) = request.path.strip_prefix(ACCOUNT) else {
        return Reply::error(404, "CMN-404", "Resource not found");
    };
    match rest {
        "" => Reply::json(200, r#"{"id":"1","mainNumber":"+16505550100"}"#),
        "/service-info" => Reply::json(200, r#"{"servicePlan":{"name":"Hostile"}}"#),
        "/extension/~" => Reply::json(
            200,
            r#"{"id":"101","extensionNumber":"101","permissions":{"admin":{"enabled":true}}}"#,
        ),
        "/phone-number" => Reply::last_page(&[]),
        "/extension/~/authz-profile" => Reply::json(
            200,
            r#"{"permissions":[{"permission":{"id":"ReadExtensions"},"scopes":["Account"]}]}"#,
        ),
        "/extension" => {
            let records: Vec<String> = ids
                .iter()
                .map(|id| format!("{{\"id\":{id},\"extensionNumber\":\"1\",\"type\":\"User\"}}"))
                .collect();
            Reply::last_page(&records)
        }
        other
            if other.starts_with("/extension/")
                && (other.ends_with("/phone-number") || other.ends_with("/forwarding-number")) =>
        {
            Reply::last_page(&[])
        }
        _ => Reply::error(404, "CMN-404", "Resource not found"),
    }
}

/// A running hostile server; dropping it stops it and its connections.
pub struct Hostile {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<Request>>>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for Hostile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hostile")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Hostile {
    /// Binds 127.0.0.1 on a free port and serves `script` in the
    /// background (on the current Tokio runtime).
    pub async fn start(script: Script) -> std::io::Result<Hostile> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let log = Arc::new(Mutex::new(Vec::new()));
        let task = tokio::spawn(accept_loop(listener, script, Arc::clone(&log)));
        Ok(Hostile { addr, log, task })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept_loop(listener: TcpListener, script: Script, log: Arc<Mutex<Vec<Request>>>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(connection(stream, Arc::clone(&script), Arc::clone(&log)));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// The request head (up to the blank line), at most 64 KiB.
async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buffer = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > 64 * 1024 {
            return None;
        }
        let n = stream.read(&mut buffer).await.ok()?;
        if n == 0 {
            return None;
        }
        head.extend_from_slice(buffer.get(..n)?);
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Whatever",
    }
}

async fn connection(mut stream: TcpStream, script: Script, log: Arc<Mutex<Vec<Request>>>) {
    let _ = stream.set_nodelay(true);
    let Some(head) = read_head(&mut stream).await else {
        return;
    };
    let mut words = head.lines().next().unwrap_or_default().split(' ');
    let method = words.next().unwrap_or_default().to_owned();
    let target = words.next().unwrap_or_default();
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path.to_owned(), Some(query.to_owned())),
        None => (target.to_owned(), None),
    };
    let request = Request {
        method,
        path,
        query,
    };
    log.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(request.clone());
    let reply = script(&request);
    let mut out = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status)).into_bytes();
    out.extend_from_slice(b"Connection: close\r\n");
    for (name, value) in &reply.headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    match &reply.body {
        Body::Bytes(bytes) => {
            out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", bytes.len()).as_bytes());
            out.extend_from_slice(bytes);
            let _ = stream.write_all(&out).await;
        }
        Body::Endless { content_length } => {
            if let Some(length) = content_length {
                out.extend_from_slice(format!("Content-Length: {length}\r\n").as_bytes());
            }
            out.extend_from_slice(b"\r\n{\"records\":[");
            if stream.write_all(&out).await.is_err() {
                return;
            }
            let chunk = "{\"id\":1,\"phoneNumber\":\"+16505550100\"},".repeat(1024);
            let mut sent: u64 = 0;
            while sent < ENDLESS_LIMIT {
                if stream.write_all(chunk.as_bytes()).await.is_err() {
                    return;
                }
                sent += chunk.len() as u64;
            }
        }
    }
    let _ = stream.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_answers_the_fetchers_paths_and_404_otherwise() {
        let get = |path: &str| Request {
            method: "GET".to_owned(),
            path: path.to_owned(),
            query: Some("page=3&perPage=10".to_owned()),
        };
        let ids = vec!["\"7\"".to_owned()];
        assert_eq!(account(&get(ACCOUNT), &ids).status, 200);
        let list = account(&get(&format!("{ACCOUNT}/extension")), &ids);
        let Body::Bytes(body) = list.body else {
            panic!("bytes");
        };
        assert!(String::from_utf8_lossy(&body).contains("\"id\":\"7\""));
        assert_eq!(account(&get("/admin/phone-number"), &ids).status, 404);
        assert_eq!(get("/x").page(), 3);
        assert_eq!(get("/x").param("perPage"), Some("10"));
    }
}
