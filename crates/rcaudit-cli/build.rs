//! Records the git commit the binary is built from, for `rcaudit --version`:
//! `git rev-parse --short HEAD`, or "unknown" without git or a repository
//! (a source archive). `RCAUDIT_COMMIT` set in the environment wins, for
//! packagers who build outside the repository. Never fails the build.

use std::path::{Path, PathBuf};
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=RCAUDIT_COMMIT");
    let commit = std::env::var("RCAUDIT_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .or_else(|| git(&["rev-parse", "--short", "HEAD"]))
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=RCAUDIT_COMMIT={commit}");
    // Run again when HEAD moves: HEAD itself (a checkout), the branch it
    // names (a commit), and packed refs (where a branch may live instead).
    let Some(git_dir) = git(&["rev-parse", "--absolute-git-dir"]).map(PathBuf::from) else {
        return;
    };
    let common = git(&["rev-parse", "--path-format=absolute", "--git-common-dir"])
        .map_or_else(|| git_dir.clone(), PathBuf::from);
    watch(&git_dir.join("HEAD"));
    watch(&common.join("packed-refs"));
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watch(&common.join(branch));
    }
}

fn watch(path: &Path) {
    // A path that does not exist would make cargo run the script every time.
    if path.exists() {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}
