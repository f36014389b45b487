//! The sandbox API, started in-process for the end-to-end tests of
//! `fetch`, `audit` and `fleet` (the binary runs as a separate process).

#![allow(dead_code, reason = "each test binary uses a different subset")]
#![allow(
    clippy::expect_used,
    reason = "test helpers fail the test by panicking"
)]

use std::time::Duration;

use rcaudit_sandbox::server::comparable_snapshot;
use rcaudit_sandbox::{Config, Running, Source};
use serde_json::Value;

/// A sandbox running on its own runtime for as long as the value lives.
pub struct Sandbox {
    running: Option<Running>,
    config: Config,
    runtime: tokio::runtime::Runtime,
}

impl Sandbox {
    pub fn start(config: Config) -> Sandbox {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let running = runtime
            .block_on(rcaudit_sandbox::start(config.clone()))
            .expect("sandbox starts");
        Sandbox {
            running: Some(running),
            config,
            runtime,
        }
    }

    pub fn url(&self) -> String {
        self.running.as_ref().expect("running").url()
    }

    /// The document a correct fetch writes, without capture metadata.
    pub fn expected(&self) -> Value {
        let account = self.config.account().expect("account");
        let text = rcaudit_sandbox::server::expected_snapshot_text(&account);
        comparable_snapshot(serde_json::from_str(&text).expect("JSON"))
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let running = self.running.take();
        self.runtime.block_on(async move { drop(running) });
    }
}

pub fn generated(extensions: usize, window_ms: u64) -> Config {
    Config {
        source: Source::Generate {
            extensions,
            seed: 21,
        },
        window: Duration::from_millis(window_ms),
        ..Config::default()
    }
}

/// API requests the sandbox has received (its `/__stats` document).
pub fn requests_served(url: &str) -> u64 {
    use std::io::{Read as _, Write as _};
    let address = url.trim_start_matches("http://");
    let Ok(mut stream) = std::net::TcpStream::connect(address) else {
        return 0;
    };
    let _ = write!(
        stream,
        "GET /__stats HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    );
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
        .split_once("\r\n\r\n")
        .and_then(|(_, body)| serde_json::from_str::<Value>(body).ok())
        .and_then(|stats| stats.get("totalRequests").and_then(Value::as_u64))
        .unwrap_or(0)
}
