//! Embeds the built-in rule packs (`rules/<pack>/*.yaml` at the workspace
//! root) into the crate, so the binary carries them.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest.join("../../rules");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    // Each folder under rules/ is a pack; files directly in rules/ are not rules.
    if let Ok(entries) = std::fs::read_dir(&root) {
        for entry in entries.flatten() {
            if entry.path().is_dir() {
                collect(&entry.path(), &mut files);
            }
        }
    }
    files.sort();
    let mut out = String::from(
        "/// Built-in rule files: (pack, path under rules/, text).\npub static FILES: &[(&str, &str, &str)] = &[\n",
    );
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let relative = file.strip_prefix(&root).expect("under rules/");
        let pack = relative
            .components()
            .next()
            .expect("a pack folder")
            .as_os_str()
            .to_string_lossy()
            .into_owned();
        let shown = relative.to_string_lossy().replace('\\', "/");
        let absolute = file.canonicalize().expect("exists");
        writeln!(
            out,
            "    ({pack:?}, {shown:?}, include_str!({:?})),",
            absolute.display().to_string()
        )
        .expect("write to string");
    }
    out.push_str("];\n");
    let dest =
        PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo")).join("builtin_files.rs");
    std::fs::write(dest, out).expect("write generated file");
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            files.push(path);
        }
    }
}
