//! `rcaudit-sandbox`: serve a simulated `RingCentral` API on 127.0.0.1.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use rcaudit_sandbox::{Cli, server};

fn fail(message: &str) -> ExitCode {
    let _ = writeln!(std::io::stderr().lock(), "rcaudit-sandbox: {message}");
    ExitCode::from(2)
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match cli.config() {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    if cli.dump_snapshot {
        let account = match config.account() {
            Ok(a) => a,
            Err(e) => return fail(&e.to_string()),
        };
        let mut out = std::io::stdout().lock();
        let text = server::expected_snapshot_text(&account);
        return match writeln!(out, "{text}").and_then(|()| out.flush()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&e.to_string()),
        };
    }
    let running = match server::start(config).await {
        Ok(r) => r,
        Err(e) => return fail(&e.to_string()),
    };
    {
        let mut out = std::io::stdout().lock();
        if let Err(e) = writeln!(out, "listening on {}", running.url()).and_then(|()| out.flush()) {
            return fail(&e.to_string());
        }
    }
    tokio::select! {
        () = running.wait() => ExitCode::SUCCESS,
        _ = tokio::signal::ctrl_c() => ExitCode::SUCCESS,
    }
}
