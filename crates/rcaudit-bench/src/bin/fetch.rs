//! `fetch`: how close `rcaudit fetch` comes to the fastest fetch the API's
//! rate limits allow.
//!
//! ```text
//! fetch [--extensions N] [--seed S] [--window-ms W] [--runs R]
//! ```
//!
//! Each run starts a fresh sandbox in-process (a generated account of N
//! extensions, rate-limit window W ms), fetches it with
//! `rcaudit_fetch::fetch` as `rcaudit fetch` does (bearer token, default
//! tuning, no journal), checks that the snapshot is the one the sandbox
//! serves, and reads the sandbox's `/__stats`. From the server's counts:
//!
//! ```text
//! least      = max over groups g with n_g > 0 of floor((n_g - 1) / L_g) * W
//! efficiency = least / actual
//! ```
//!
//! `n_g` is the number of requests of usage-plan group g the server
//! received, `L_g` its limit per window. In a sliding window the first `L_g`
//! requests may all arrive at t = 0, the next `L_g` at t = W, and so on, so
//! the last of `n_g` arrives at `floor((n_g - 1) / L_g) * W` at the
//! earliest. That is a lower bound: it ignores latency and processing, and
//! that the per-extension requests can only start once the extension list is
//! in (and everything after the account record). `actual` is the fetch's
//! wall time as the client sees it, from calling `fetch` to its return;
//! the server's span (last request's arrival minus the first's) is printed
//! beside it. 429s are the server's `rateLimited` counts.
//!
//! Prints one line per run and a line of medians. Exits 1 if a fetch fails or
//! its snapshot is not the sandbox's, 2 on bad arguments.

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rcaudit_fetch::{Credentials, Options, Secret, Server, Silent, Tuning};
use rcaudit_sandbox::Group;
use rcaudit_sandbox::{Config, Source, server};
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

const USAGE: &str = "usage: fetch [--extensions N] [--seed S] [--window-ms W] [--runs R]";

/// The command line.
#[derive(Debug, Clone, Copy)]
struct Args {
    extensions: usize,
    seed: u64,
    window_ms: u64,
    runs: usize,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    fn number<T: std::str::FromStr>(name: &str, value: Option<String>) -> Result<T, String> {
        let value = value.ok_or_else(|| format!("{name} needs a value"))?;
        value
            .parse()
            .map_err(|_| format!("{name}: `{value}` is not a number"))
    }
    let mut parsed = Args {
        extensions: 2000,
        seed: 1,
        window_ms: 200,
        runs: 3,
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--extensions" => parsed.extensions = number(&arg, args.next())?,
            "--seed" => parsed.seed = number(&arg, args.next())?,
            "--window-ms" => parsed.window_ms = number(&arg, args.next())?,
            "--runs" => parsed.runs = number(&arg, args.next())?,
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if parsed.extensions == 0 || parsed.window_ms == 0 || parsed.runs == 0 {
        return Err(String::from(
            "--extensions, --window-ms and --runs must be at least 1",
        ));
    }
    Ok(parsed)
}

/// What one run measured.
#[derive(Debug, Clone)]
struct Run {
    /// From calling `fetch` to its return.
    actual: Duration,
    /// The server's last request arrival minus its first.
    span: Duration,
    /// The least time the limits allow for the requests made.
    least: Duration,
    /// The group that sets `least`, with its `n`, `L` and window count.
    binding: String,
    /// Requests per group as the server counted them (in `Group::ALL` order).
    requests: Vec<(Group, u64)>,
    /// 429s the server sent.
    rate_limited: u64,
    /// Requests and 429s as the client counted them, and its retries.
    client_sent: u64,
    client_rejected: u64,
    retries: u64,
    extensions: usize,
    errors: usize,
}

impl Run {
    fn efficiency(&self) -> f64 {
        self.least.as_secs_f64() / self.actual.as_secs_f64()
    }

    fn span_efficiency(&self) -> f64 {
        self.least.as_secs_f64() / self.span.as_secs_f64()
    }
}

/// The least time for `n` requests of a group with limit `limit` in a
/// sliding window: `floor((n - 1) / limit)` whole windows.
fn least_for(n: u64, limit: u32, window: Duration) -> Result<Duration, String> {
    let windows = n.saturating_sub(1) / u64::from(limit.max(1));
    let windows =
        u32::try_from(windows).map_err(|_| format!("{windows} windows do not fit a u32"))?;
    Ok(window * windows)
}

fn count(stats: &Value, pointer: &str) -> Result<u64, String> {
    stats
        .pointer(pointer)
        .and_then(Value::as_u64)
        .ok_or_else(|| format!("/__stats has no number at {pointer}"))
}

/// The snapshot as a faithful fetch reproduces it, and its `errors`
/// entries (sorted) apart, to count them.
fn comparable(doc: Value) -> Result<(Value, Vec<String>), String> {
    let mut doc = server::comparable_snapshot(doc);
    let object = doc
        .as_object_mut()
        .ok_or("the snapshot is not a JSON object")?;
    let errors: Vec<String> = match object.remove("errors") {
        Some(Value::Array(entries)) => entries.iter().map(Value::to_string).collect(),
        Some(other) => return Err(format!("`errors` is not an array: {other}")),
        None => Vec::new(),
    };
    Ok((doc, errors))
}

/// The snapshot a correct fetcher writes for this account, comparable.
fn expected(config: &Config) -> Result<(Value, Vec<String>), String> {
    let account = config
        .account()
        .map_err(|e| format!("cannot build the account: {e}"))?;
    let text = server::expected_snapshot_text(&account);
    let doc = serde_json::from_str(&text)
        .map_err(|e| format!("the sandbox's expected snapshot is not JSON: {e}"))?;
    comparable(doc)
}

/// `GET /__stats` over plain HTTP/1.1 (the sandbox listens on loopback and
/// closes the connection after answering, as asked); the body.
async fn get_stats(addr: std::net::SocketAddr) -> Result<String, String> {
    let fail = |e: std::io::Error| format!("GET http://{addr}/__stats: {e}");
    let mut stream = TcpStream::connect(addr).await.map_err(fail)?;
    let request = format!("GET /__stats HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.map_err(fail)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.map_err(fail)?;
    let response = String::from_utf8_lossy(&response);
    let (head, body) = response
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("GET http://{addr}/__stats: no complete answer: {response}"))?;
    if !head.starts_with("HTTP/1.1 200") {
        return Err(format!("GET http://{addr}/__stats: {head}"));
    }
    Ok(body.to_owned())
}

async fn one_run(
    config: &Config,
    want: &(Value, Vec<String>),
    window: Duration,
) -> Result<Run, String> {
    let running = rcaudit_sandbox::start(config.clone())
        .await
        .map_err(|e| format!("cannot start the sandbox: {e}"))?;
    let options = Options {
        server: Server::parse(&running.url())?,
        credentials: Credentials::Token(Secret::new("bench")),
        tuning: Tuning::default(),
        generator: String::from("rcaudit-bench fetch"),
        journal: None,
        data: rcaudit_fetch::Data::default(),
    };
    let started = Instant::now();
    let fetched = rcaudit_fetch::fetch(options, Arc::new(Silent))
        .await
        .map_err(|e| format!("the fetch failed: {e}"))?;
    let actual = started.elapsed();

    let stats_text = get_stats(running.addr()).await?;
    drop(running);
    let stats: Value = serde_json::from_str(&stats_text)
        .map_err(|e| format!("/__stats is not JSON: {e}: {stats_text}"))?;

    // The snapshot must be complete: the document the sandbox serves.
    let doc: Value = serde_json::from_str(&fetched.text)
        .map_err(|e| format!("the fetched snapshot is not JSON: {e}"))?;
    let extensions = doc
        .get("extensions")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let (got, errors) = comparable(doc)?;
    if got != want.0 {
        return Err(format!(
            "the fetched snapshot differs from the sandbox's account ({extensions} extensions fetched)"
        ));
    }
    if errors != want.1 {
        return Err(format!(
            "the fetched snapshot has {} `errors` entries, the sandbox's account {}, or they differ",
            errors.len(),
            want.1.len()
        ));
    }

    let mut requests = Vec::new();
    let mut rate_limited = 0;
    let mut least = Duration::ZERO;
    let mut binding = String::from("none");
    for group in Group::ALL {
        let name = group.name();
        let n = count(&stats, &format!("/requests/{name}"))?;
        rate_limited += count(&stats, &format!("/rateLimited/{name}"))?;
        requests.push((group, n));
        if n == 0 {
            continue;
        }
        let bound = least_for(n, group.limit(), window)?;
        if bound >= least {
            least = bound;
            binding = format!(
                "{name}: floor(({n} - 1) / {}) = {} windows",
                group.limit(),
                n.saturating_sub(1) / u64::from(group.limit().max(1))
            );
        }
    }
    let first_ms = count(&stats, "/firstRequestMs")?;
    let last_ms = count(&stats, "/lastRequestMs")?;
    Ok(Run {
        actual,
        span: Duration::from_millis(last_ms.saturating_sub(first_ms)),
        least,
        binding,
        requests,
        rate_limited,
        client_sent: fetched.summary.requests(),
        client_rejected: fetched.summary.rejected(),
        retries: fetched.summary.retries,
        extensions,
        errors: errors.len(),
    })
}

/// The median (the mean of the middle two for an even count).
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    match (values.get(mid.wrapping_sub(1)), values.get(mid)) {
        (Some(a), Some(b)) if values.len().is_multiple_of(2) => f64::midpoint(*a, *b),
        (_, Some(b)) => *b,
        _ => f64::NAN,
    }
}

fn describe(index: usize, run: &Run) -> String {
    let requests: Vec<String> = run
        .requests
        .iter()
        .map(|(group, n)| format!("{} {n}", group.name()))
        .collect();
    format!(
        "run {index}: actual {:.3} s, server span {:.3} s, least {:.3} s ({}), \
         efficiency {:.3} (over span {:.3}), 429s {}, requests {} \
         (client: sent {}, 429s {}, retries {}), snapshot complete: {} extensions, {} errors entries",
        run.actual.as_secs_f64(),
        run.span.as_secs_f64(),
        run.least.as_secs_f64(),
        run.binding,
        run.efficiency(),
        run.span_efficiency(),
        run.rate_limited,
        requests.join(", "),
        run.client_sent,
        run.client_rejected,
        run.retries,
        run.extensions,
        run.errors,
    )
}

fn summary(runs: &[Run]) -> String {
    let of = |f: fn(&Run) -> f64| median(runs.iter().map(f).collect());
    let total_429: u64 = runs.iter().map(|r| r.rate_limited).sum();
    format!(
        "median of {}: actual {:.3} s, server span {:.3} s, least {:.3} s, \
         efficiency {:.3} (over span {:.3}), 429s {total_429} in all runs",
        runs.len(),
        of(|r| r.actual.as_secs_f64()),
        of(|r| r.span.as_secs_f64()),
        of(|r| r.least.as_secs_f64()),
        of(Run::efficiency),
        of(Run::span_efficiency),
    )
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

fn bench(args: Args) -> Result<(), String> {
    let window = Duration::from_millis(args.window_ms);
    let config = Config {
        source: Source::Generate {
            extensions: args.extensions,
            seed: args.seed,
        },
        window,
        ..Config::default()
    };
    let want = expected(&config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    say(&format!(
        "fetch: {} extensions, seed {}, window {} ms, {} runs; \
         least = max over groups of floor((n - 1) / L) * W, efficiency = least / actual",
        args.extensions, args.seed, args.window_ms, args.runs
    ));
    let mut runs = Vec::with_capacity(args.runs);
    for index in 1..=args.runs {
        let run = runtime.block_on(one_run(&config, &want, window))?;
        say(&describe(index, &run));
        runs.push(run);
    }
    say(&summary(&runs));
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            let _ = writeln!(std::io::stderr(), "fetch: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match bench(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            let _ = writeln!(std::io::stderr(), "fetch: {message}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn least_time_counts_whole_windows_after_the_first_batch() {
        let w = Duration::from_millis(200);
        assert_eq!(least_for(1, 50, w).unwrap(), Duration::ZERO);
        assert_eq!(least_for(50, 50, w).unwrap(), Duration::ZERO);
        assert_eq!(least_for(51, 50, w).unwrap(), w);
        assert_eq!(least_for(4003, 50, w).unwrap(), w * 80);
        assert_eq!(least_for(0, 50, w).unwrap(), Duration::ZERO);
    }

    #[test]
    fn medians() {
        assert!((median(vec![3.0, 1.0, 2.0]) - 2.0).abs() < 1e-12);
        assert!((median(vec![4.0, 1.0, 2.0, 3.0]) - 2.5).abs() < 1e-12);
        assert!(median(Vec::new()).is_nan());
    }

    #[test]
    fn arguments() {
        let args = |list: &[&str]| parse_args(list.iter().map(|s| (*s).to_owned()));
        let defaults = args(&[]).unwrap();
        assert_eq!(
            (defaults.extensions, defaults.window_ms, defaults.runs),
            (2000, 200, 3)
        );
        let set = args(&["--runs", "5", "--window-ms", "1000", "--seed", "7"]).unwrap();
        assert_eq!((set.runs, set.window_ms, set.seed), (5, 1000, 7));
        assert!(args(&["--runs"]).is_err());
        assert!(args(&["--runs", "x"]).is_err());
        assert!(args(&["--window-ms", "0"]).is_err());
        assert!(args(&["--bogus"]).is_err());
    }

    #[test]
    fn comparable_drops_run_specific_fields_and_sorts_errors() {
        let doc = serde_json::json!({
            "capturedAt": "x", "source": {}, "account": {"id": 1},
            "errors": [{"pointer": "/b"}, {"pointer": "/a"}]
        });
        let (rest, errors) = comparable(doc).unwrap();
        assert_eq!(rest, serde_json::json!({"account": {"id": 1}}));
        assert_eq!(errors, vec![r#"{"pointer":"/a"}"#, r#"{"pointer":"/b"}"#]);
    }
}
