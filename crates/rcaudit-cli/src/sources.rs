//! Reading input files: snapshots and rule files.

use std::path::{Path, PathBuf};

use rcaudit_rules::RuleFile;

/// A file that could not be read, in words.
#[derive(Debug)]
pub struct ReadError {
    pub message: String,
}

fn describe(path: &Path, what: &str, error: &std::io::Error) -> ReadError {
    let reason = match error.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => error.to_string(),
    };
    ReadError {
        message: format!("cannot read {what} {}: {reason}", path.display()),
    }
}

/// Reads a snapshot file's bytes.
pub fn snapshot(path: &Path) -> Result<Vec<u8>, ReadError> {
    if path.is_dir() {
        return Err(ReadError {
            message: format!("cannot read snapshot {}: it is a folder", path.display()),
        });
    }
    std::fs::read(path).map_err(|e| describe(path, "snapshot", &e))
}

/// Reads a UTF-8 text file (a config).
pub fn text(path: &Path, what: &str) -> Result<String, ReadError> {
    let bytes = std::fs::read(path).map_err(|e| describe(path, what, &e))?;
    String::from_utf8(bytes).map_err(|_| ReadError {
        message: format!(
            "cannot read {what} {}: it is not UTF-8 text",
            path.display()
        ),
    })
}

/// Reads rule files from a file or a folder (recursively, `*.yaml` and
/// `*.yml`, in path order).
pub fn rule_files(path: &Path) -> Result<Vec<RuleFile>, ReadError> {
    let metadata = std::fs::metadata(path).map_err(|e| describe(path, "rules", &e))?;
    let mut paths = Vec::new();
    if metadata.is_dir() {
        collect(path, &mut paths)?;
        paths.sort();
        if paths.is_empty() {
            return Err(ReadError {
                message: format!("no rule files (*.yaml, *.yml) in {}", path.display()),
            });
        }
    } else {
        paths.push(path.to_path_buf());
    }
    let pack = if metadata.is_dir() {
        path.file_name()
            .map_or_else(|| "rules".to_owned(), |n| n.to_string_lossy().into_owned())
    } else {
        "rules".to_owned()
    };
    paths
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).map_err(|e| describe(&p, "rule file", &e))?;
            let text = String::from_utf8(bytes).map_err(|_| ReadError {
                message: format!(
                    "cannot read rule file {}: it is not UTF-8 text",
                    p.display()
                ),
            })?;
            Ok(RuleFile {
                name: p.display().to_string(),
                text,
                pack: pack.clone(),
            })
        })
        .collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ReadError> {
    let entries = std::fs::read_dir(dir).map_err(|e| describe(dir, "rules folder", &e))?;
    for entry in entries {
        let entry = entry.map_err(|e| describe(dir, "rules folder", &e))?;
        let path = entry.path();
        let kind = entry
            .file_type()
            .map_err(|e| describe(&path, "rules", &e))?;
        if kind.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
    Ok(())
}

/// Checks, before long work, that [`write_atomic`] can write `path`: not a
/// folder, in a folder that exists and takes new files (a probe file is
/// created and removed).
pub fn check_writable(path: &Path) -> Result<(), ReadError> {
    let fail = |reason: &str| ReadError {
        message: format!("cannot write {}: {reason}", path.display()),
    };
    if path.is_dir() {
        return Err(fail("it is a folder"));
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(fail("no such folder"));
    }
    let name = path
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    let probe = dir.join(format!(".{name}.{}.probe", std::process::id()));
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            Err(fail("permission denied"))
        }
        Err(e) => Err(fail(&e.to_string())),
    }
}

/// Writes `text` to `path` atomically: a temporary file beside it, then a
/// rename, so readers never see a partial file and a failure leaves none.
pub fn write_atomic(path: &Path, text: &str) -> Result<(), ReadError> {
    use std::io::Write as _;
    let fail = |e: &std::io::Error| ReadError {
        message: format!(
            "cannot write {}: {}",
            path.display(),
            match e.kind() {
                std::io::ErrorKind::NotFound => "no such folder".to_owned(),
                std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
                _ => e.to_string(),
            }
        ),
    };
    if path.is_dir() {
        return Err(ReadError {
            message: format!("cannot write {}: it is a folder", path.display()),
        });
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        fail(&e)
    })
}
