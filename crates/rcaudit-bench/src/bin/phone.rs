//! `phone FILE [RUNS]`: what classifying a snapshot's phone numbers costs.
//!
//! Collects every `phoneNumber` string of the snapshot (the account list,
//! the extensions' lists, the forwarding lists) and times, run by run,
//! interleaved:
//! - `crate`: the `phonenumber` crate's way, per number: `parse`, then
//!   `is_valid` and `number_type`;
//! - `rcaudit-phone`: `classify` (region, type, validity) per number;
//! - `rcaudit-phone, distinct`: `classify` once per distinct number, as the
//!   rule functions do (they remember each number's class per thread);
//! - `rcaudit-phone, other thread`: `classify` per number on a thread
//!   other than the first to classify, as on the second evaluation thread.
//!
//! Prints the median time per run and per number, and how many numbers
//! the two ways call valid (they must agree on these numbers).

#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a benchmark tool prints"
)]

use std::collections::HashSet;
use std::process::ExitCode;
use std::time::{Duration, Instant};

fn numbers(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(members) => {
            for (name, member) in members {
                match (name.as_str(), member) {
                    ("phoneNumber", serde_json::Value::String(n)) => out.push(n.clone()),
                    _ => numbers(member, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|i| numbers(i, out)),
        _ => {}
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort_unstable();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(path), runs) = (args.next(), args.next()) else {
        eprintln!("usage: phone FILE [RUNS]");
        return ExitCode::from(2);
    };
    let runs: usize = runs.and_then(|r| r.parse().ok()).unwrap_or(5);
    let doc: serde_json::Value = match std::fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
    {
        Ok(doc) => doc,
        Err(e) => {
            eprintln!("phone: {path}: {e}");
            return ExitCode::from(2);
        }
    };
    let mut all = Vec::new();
    numbers(&doc, &mut all);
    let distinct: HashSet<&str> = all.iter().map(String::as_str).collect();
    let db = &phonenumber::metadata::DATABASE;
    // Warm up: the metadata loads, the tables compile.
    let _ = rcaudit_phone::classify("+16505550100");
    let _ = phonenumber::parse(None, "+16505550100").map(|n| n.is_valid());

    let (mut theirs, mut ours, mut once, mut other) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut valid_theirs, mut valid_ours) = (0, 0);
    for _ in 0..runs {
        let start = Instant::now();
        valid_theirs = 0;
        for n in &all {
            let with_plus = if n.starts_with('+') {
                n.clone()
            } else {
                format!("+{n}")
            };
            if let Ok(parsed) = phonenumber::parse(None, &with_plus) {
                let valid = parsed.is_valid();
                let _ = std::hint::black_box(parsed.number_type(db));
                valid_theirs += usize::from(valid);
            }
        }
        theirs.push(start.elapsed());

        let start = Instant::now();
        valid_ours = 0;
        for n in &all {
            valid_ours += usize::from(rcaudit_phone::classify(n).is_some_and(|c| c.is_valid()));
        }
        ours.push(start.elapsed());

        let start = Instant::now();
        for n in &distinct {
            let _ = std::hint::black_box(rcaudit_phone::classify(n));
        }
        once.push(start.elapsed());

        other.push(std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let start = Instant::now();
                    for n in &all {
                        let _ = std::hint::black_box(rcaudit_phone::classify(n));
                    }
                    start.elapsed()
                })
                .join()
                .unwrap_or_default()
        }));
    }
    let count = all.len().max(1);
    let per = |d: Duration, n: usize| {
        d.as_secs_f64() * 1e6 / f64::from(u32::try_from(n.max(1)).unwrap_or(u32::MAX))
    };
    println!(
        "{path}: {} numbers, {} distinct; {runs} runs, medians",
        all.len(),
        distinct.len()
    );
    for (name, times, n) in [
        ("crate: parse + is_valid + number_type", theirs, count),
        ("rcaudit-phone: classify", ours, count),
        (
            "rcaudit-phone: classify, distinct only",
            once,
            distinct.len(),
        ),
        ("rcaudit-phone: classify, other thread", other, count),
    ] {
        let m = median(times);
        println!(
            "{name:<42} {:>9.3} s  {:>7.3} us/number",
            m.as_secs_f64(),
            per(m, n)
        );
    }
    println!("valid: crate {valid_theirs}, rcaudit-phone {valid_ours}");
    ExitCode::SUCCESS
}
