//! The release scripts: `dist/package.sh` packs a binary the way the release
//! workflow does, and `dist/install.sh` (which `action.yml` runs) installs
//! it, from a `file://` release folder standing in for GitHub's. A stand-in
//! binary (a shell script) keeps the archives small; the scripts do not care
//! what the binary is beyond running it.

#![cfg(unix)]
#![expect(clippy::expect_used, reason = "tests fail by panicking")]

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use common::{repo, stderr, stdout};

const TARGET: &str = "x86_64-unknown-linux-musl";
const VERSION: &str = "v9.8.7";

/// A stand-in `rcaudit` that answers what the scripts ask of it.
fn fake_binary(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("rcaudit");
    fs::write(
        &path,
        "#!/bin/sh\ncase \"$1\" in\n  --version) echo 'rcaudit 9.8.7' ;;\n  man) echo '.TH RCAUDIT 1' ;;\n  completions) echo \"# completions for $2\" ;;\n  *) exit 3 ;;\nesac\n",
    )
    .expect("write the stand-in");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("make it executable");
    path
}

fn run(script: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new("bash");
    command
        .arg(repo(script))
        .args(args)
        .env_remove("GITHUB_PATH");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("bash runs")
}

/// Packs the stand-in into `releases/VERSION/`, as a release holds it.
fn release(dir: &Path) -> std::path::PathBuf {
    let binary = fake_binary(dir);
    let releases = dir.join("releases");
    let out = releases.join(VERSION);
    let packed = run(
        "dist/package.sh",
        &[
            TARGET,
            VERSION,
            binary.to_str().expect("utf-8 path"),
            out.to_str().expect("utf-8 path"),
        ],
        &[],
    );
    assert!(packed.status.success(), "package.sh: {}", stderr(&packed));
    releases
}

fn install(dir: &Path, releases: &Path, extra: &[(&str, &str)]) -> Output {
    let url = format!("file://{}", releases.display());
    let target = dir.join("bin");
    let path_file = dir.join("github_path");
    let mut env = vec![
        ("RCAUDIT_VERSION", VERSION),
        ("RCAUDIT_RELEASES", url.as_str()),
        ("RUNNER_OS", "Linux"),
        ("RUNNER_ARCH", "X64"),
    ];
    let path_file = path_file.to_str().expect("utf-8 path").to_owned();
    env.push(("GITHUB_PATH", &path_file));
    env.extend_from_slice(extra);
    run(
        "dist/install.sh",
        &[target.to_str().expect("utf-8 path")],
        &env,
    )
}

#[test]
fn a_packed_release_installs_and_goes_on_the_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    let releases = release(dir.path());
    let archive = format!("rcaudit-{VERSION}-{TARGET}.tar.gz");
    let listing = Command::new("tar")
        .arg("-tzf")
        .arg(releases.join(VERSION).join(&archive))
        .output()
        .expect("tar runs");
    let listing = stdout(&listing);
    for file in [
        "rcaudit",
        "README.md",
        "LICENSE-MIT",
        "LICENSE-APACHE",
        "rcaudit.1",
        "completions/rcaudit.bash",
        "completions/rcaudit.zsh",
    ] {
        assert!(
            listing
                .lines()
                .any(|l| l == format!("rcaudit-{VERSION}-{TARGET}/{file}")),
            "{file} is not in the archive:\n{listing}"
        );
    }

    let installed = install(dir.path(), &releases, &[]);
    assert!(
        installed.status.success(),
        "install.sh: {}",
        stderr(&installed)
    );
    assert!(stdout(&installed).contains("rcaudit 9.8.7"));
    let binary = dir.path().join("bin/rcaudit");
    let version = Command::new(&binary)
        .arg("--version")
        .output()
        .expect("runs");
    assert_eq!(stdout(&version), "rcaudit 9.8.7\n");
    let path = fs::read_to_string(dir.path().join("github_path")).expect("GITHUB_PATH written");
    assert_eq!(path.trim(), dir.path().join("bin").display().to_string());
}

#[test]
fn an_archive_that_does_not_match_its_checksum_is_not_installed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let releases = release(dir.path());
    let archive = releases
        .join(VERSION)
        .join(format!("rcaudit-{VERSION}-{TARGET}.tar.gz"));
    let mut bytes = fs::read(&archive).expect("read archive");
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    fs::write(&archive, bytes).expect("corrupt it");

    let installed = install(dir.path(), &releases, &[]);
    assert_eq!(installed.status.code(), Some(1), "{}", stderr(&installed));
    assert!(
        stderr(&installed).contains("checksum mismatch"),
        "{}",
        stderr(&installed)
    );
    assert!(!dir.path().join("bin/rcaudit").exists());
    assert!(!dir.path().join("github_path").exists());
}

#[test]
fn install_refuses_what_it_cannot_do_with_a_reason() {
    let dir = tempfile::tempdir().expect("temp dir");
    let releases = release(dir.path());
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("RUNNER_OS", "Linux"), ("RUNNER_ARCH", "riscv64")],
            "no rcaudit release is built for Linux/riscv64",
        ),
        (
            &[("RCAUDIT_VERSION", "latest")],
            "must be a release tag like v0.1.0",
        ),
        (
            &[("RCAUDIT_VERSION", "v0.0.1")],
            "rcaudit-v0.0.1-x86_64-unknown-linux-musl.tar.gz",
        ),
    ];
    for (env, expected) in cases {
        let installed = install(dir.path(), &releases, env);
        assert!(!installed.status.success(), "{env:?} installed");
        assert!(
            stderr(&installed).contains(expected),
            "{env:?}: {}",
            stderr(&installed)
        );
    }
    assert!(!dir.path().join("bin/rcaudit").exists());
}
