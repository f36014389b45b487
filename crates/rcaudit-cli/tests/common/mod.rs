//! Helpers shared by the end-to-end tests of the binary.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace's `tests/` (data) and `examples/` folders.
pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

/// Runs the binary without colour at a fixed width, from the workspace
/// root so paths in output are stable.
#[expect(
    clippy::expect_used,
    reason = "a test helper fails the test by panicking"
)]
pub fn rcaudit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rcaudit"))
        .args(args)
        .current_dir(repo(""))
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .output()
        .expect("the binary runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[expect(clippy::panic, reason = "a test helper fails the test by panicking")]
pub fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is JSON ({e}):\n{}\n{}",
            stdout(output),
            stderr(output)
        )
    })
}

/// Runs the binary in `dir`.
#[expect(
    clippy::expect_used,
    reason = "a test helper fails the test by panicking"
)]
pub fn rcaudit_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rcaudit"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .output()
        .expect("the binary runs")
}

/// Runs the binary in `dir` with extra environment variables.
#[expect(
    clippy::expect_used,
    reason = "a test helper fails the test by panicking"
)]
pub fn rcaudit_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rcaudit"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .envs(env.iter().copied())
        .output()
        .expect("the binary runs")
}

/// The exit code, failing the test if the process was killed.
#[expect(
    clippy::expect_used,
    reason = "a test helper fails the test by panicking"
)]
pub fn code(output: &Output) -> i32 {
    output.status.code().expect("the process exited")
}

/// A `shell: bash` step's script, as a GitHub runner runs it, in `dir`:
/// this build of rcaudit first on the `PATH` (in place of the release an
/// install step downloads) and no colour. The caller adds the step's
/// environment.
#[cfg(unix)]
#[expect(
    clippy::expect_used,
    reason = "a test helper fails the test by panicking"
)]
pub fn runner_step(dir: &Path, script: &str) -> Command {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    let link = bin.join("rcaudit");
    if !link.exists() {
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_rcaudit"), &link).expect("symlink");
    }
    let mut command = Command::new("bash");
    command
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
        .current_dir(dir)
        .env(
            "PATH",
            format!(
                "{}:{}",
                bin.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env("NO_COLOR", "1");
    command
}
