//! Embeds the built-in rule packs (`rules/<pack>/*.yaml` at the workspace
//! root) into the crate, so the binary carries them.

use std::error::Error;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn Error>> {
    let manifest =
        PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").ok_or("no CARGO_MANIFEST_DIR")?);
    let root = manifest.join("../../rules");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    // Each folder under rules/ is a pack; files directly in rules/ are not rules.
    for entry in std::fs::read_dir(&root)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, &mut files)?;
        }
    }
    files.sort();
    let mut out = String::from(
        "/// Built-in rule files: (pack, path under rules/, text).\npub static FILES: &[(&str, &str, &str)] = &[\n",
    );
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let relative = file.strip_prefix(&root)?;
        let pack = relative
            .components()
            .next()
            .ok_or("a rule file outside a pack")?
            .as_os_str()
            .to_string_lossy()
            .into_owned();
        let shown = relative.to_string_lossy().replace('\\', "/");
        let absolute = file.canonicalize()?.display().to_string();
        writeln!(
            out,
            "    ({pack:?}, {shown:?}, include_str!({absolute:?})),"
        )?;
    }
    out.push_str("];\n");
    let dest =
        PathBuf::from(std::env::var_os("OUT_DIR").ok_or("no OUT_DIR")?).join("builtin_files.rs");
    std::fs::write(dest, out)?;
    Ok(())
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed={}", dir.display());
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, files)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            files.push(path);
        }
    }
    Ok(())
}
