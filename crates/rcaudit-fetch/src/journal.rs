//! The journal of a fetch in progress, for `--resume`.
//!
//! Beside the output file, `FILE.partial` is a JSON Lines file: a header,
//! then one line per finished piece (`{"put": "extensions", "value": [...]}`)
//! written and flushed as soon as the piece is complete. A fetch that is
//! killed loses at most the line being written, which resuming ignores; a
//! finished fetch removes its journal after the snapshot is in place.
//! Failures are not journalled: a resumed fetch tries them again.
//!
//! A fetch holds an exclusive lock on its journal while it runs, so a
//! second fetch of the same file is told that one is running (not that one
//! was interrupted) and never appends to the same journal.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// The first line of a journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Header {
    /// Always `rcaudit-fetch`.
    pub journal: String,
    /// The journal format's version (1).
    pub version: u32,
    /// The server fetched from: a journal resumes only against it.
    pub server: String,
    /// When the interrupted fetch started (the snapshot's `capturedAt`).
    pub captured_at: String,
}

impl Header {
    /// The header of a new journal of a fetch from `server`.
    pub fn new(server: &str, captured_at: &str) -> Header {
        Header {
            journal: "rcaudit-fetch".to_owned(),
            version: 1,
            server: server.to_owned(),
            captured_at: captured_at.to_owned(),
        }
    }
}

#[derive(Deserialize)]
struct EntryIn {
    put: String,
    value: Box<RawValue>,
}

/// A journal reopened by [`Journal::resume`].
#[derive(Debug)]
pub struct Resumed {
    /// The journal, open for appending.
    pub journal: Journal,
    /// Its first line.
    pub header: Header,
    /// The pieces, in the order they were written: (key, value).
    pub entries: Vec<(String, Box<RawValue>)>,
}

/// A journal open for appending.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: Mutex<File>,
}

/// Why a journal could not be used.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// An operation on the file failed; `action` says which (`read`,
    /// `write`, `create`, `open`, `lock`, `remove`).
    #[error("cannot {action} the journal {path}: {source}")]
    Io {
        /// What failed: `read`, `write`, `create`, `open`, `lock`, `remove`.
        action: &'static str,
        /// The journal's path.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// Another fetch holds the journal's lock: it is running now.
    #[error(
        "another fetch is writing {path} right now (it holds the journal's lock): wait for it to finish, or write to another file"
    )]
    Busy {
        /// The journal's path.
        path: String,
    },
    /// A line of the journal is not what a fetch writes.
    #[error("{path} line {line} is not a journal entry: {message}")]
    Corrupt {
        /// The journal's path.
        path: String,
        /// The line, from 1.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl Fn(std::io::Error) -> JournalError + 'a {
    move |source| JournalError::Io {
        action,
        path: path.display().to_string(),
        source,
    }
}

impl JournalError {
    /// Whether the journal can be continued with `--resume` as it is: not
    /// when it cannot be read or is corrupt (resuming fails the same way),
    /// nor when another fetch is using it.
    pub fn resumable(&self) -> bool {
        match self {
            JournalError::Io { action, .. } => matches!(*action, "write" | "remove"),
            JournalError::Busy { .. } | JournalError::Corrupt { .. } => false,
        }
    }
}

/// Takes the journal's lock, or says that another fetch holds it. A file
/// system without locks is used without.
fn lock(file: &File, path: &Path) -> Result<(), JournalError> {
    match file.try_lock() {
        Ok(()) => Ok(()),
        Err(std::fs::TryLockError::WouldBlock) => Err(JournalError::Busy {
            path: path.display().to_string(),
        }),
        Err(std::fs::TryLockError::Error(error))
            if error.kind() == std::io::ErrorKind::Unsupported =>
        {
            Ok(())
        }
        Err(std::fs::TryLockError::Error(error)) => Err(io("lock", path)(error)),
    }
}

/// Whether another fetch holds the lock of the journal at `path` (false
/// when it cannot be opened: then it is nobody's).
pub fn busy(path: &Path) -> bool {
    OpenOptions::new()
        .read(true)
        .open(path)
        .is_ok_and(|file| matches!(lock(&file, path), Err(JournalError::Busy { .. })))
}

/// The journal path of an output file: `FILE.partial`.
pub fn path_for(output: &Path) -> PathBuf {
    let mut name = output.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

impl Journal {
    /// Starts a new journal (replacing none: the caller checks).
    pub fn create(path: &Path, header: &Header) -> Result<Journal, JournalError> {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(io("create", path))?;
        lock(&file, path)?;
        let mut line = serde_json::to_string(header).unwrap_or_default();
        line.push('\n');
        file.write_all(line.as_bytes()).map_err(io("write", path))?;
        Ok(Journal {
            path: path.to_owned(),
            file: Mutex::new(file),
        })
    }

    /// Opens an existing journal: its header and the pieces it holds. A
    /// last line cut short by a kill is dropped from the file.
    pub fn resume(path: &Path) -> Result<Resumed, JournalError> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(io("open", path))?;
        lock(&file, path)?;
        let corrupt = |line: usize, message: String| JournalError::Corrupt {
            path: path.display().to_string(),
            line,
            message,
        };
        let mut reader = BufReader::new(&mut file);
        let mut header: Option<Header> = None;
        let mut entries = Vec::new();
        let mut kept: u64 = 0;
        let mut line = String::new();
        for number in 1.. {
            line.clear();
            let read = match reader.read_line(&mut line) {
                Ok(read) => read,
                Err(error) if error.kind() == std::io::ErrorKind::InvalidData => {
                    return Err(corrupt(number, "not UTF-8 text".to_owned()));
                }
                Err(error) => return Err(io("read", path)(error)),
            };
            if read == 0 || !line.ends_with('\n') {
                // The end, or a line the kill cut short.
                break;
            }
            if number == 1 {
                let parsed: Header =
                    serde_json::from_str(&line).map_err(|e| corrupt(number, e.to_string()))?;
                if parsed.journal != "rcaudit-fetch" || parsed.version != 1 {
                    return Err(corrupt(
                        number,
                        "not an rcaudit-fetch journal, version 1".to_owned(),
                    ));
                }
                header = Some(parsed);
            } else {
                let entry: EntryIn =
                    serde_json::from_str(&line).map_err(|e| corrupt(number, e.to_string()))?;
                entries.push((entry.put, entry.value));
            }
            kept += read as u64;
        }
        drop(reader);
        let header = header.ok_or_else(|| corrupt(1, "the header is missing".to_owned()))?;
        file.set_len(kept).map_err(io("write", path))?;
        file.seek(SeekFrom::End(0)).map_err(io("write", path))?;
        Ok(Resumed {
            journal: Journal {
                path: path.to_owned(),
                file: Mutex::new(file),
            },
            header,
            entries,
        })
    }

    /// Appends a finished piece (`value`: JSON text, on one line) and
    /// hands it to the operating system.
    pub fn put(&self, key: &str, value: &str) -> Result<(), JournalError> {
        let key = serde_json::to_string(key).unwrap_or_default();
        // Raw line breaks in JSON are only ever whitespace between tokens
        // (inside strings they are escaped), so they can become spaces.
        let value = value.trim().replace(['\n', '\r'], " ");
        let line = format!("{{\"put\":{key},\"value\":{value}}}\n");
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        file.write_all(line.as_bytes())
            .map_err(io("write", &self.path))
    }

    /// Removes the journal once the snapshot is written.
    pub fn remove(self) -> Result<(), JournalError> {
        let path = self.path.clone();
        drop(self);
        std::fs::remove_file(&path).map_err(io("remove", &path))
    }

    /// Where the journal is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_drops_a_cut_line() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("s.json.partial");
        let header = Header::new("http://127.0.0.1:1", "2026-11-28T10:00:00Z");
        let journal = Journal::create(&path, &header).expect("create");
        journal.put("account", r#"{"id": 1}"#).expect("put");
        journal.put("extensions", "[1,2]").expect("put");
        drop(journal);
        // A kill in the middle of a line.
        let mut file = OpenOptions::new().append(true).open(&path).expect("open");
        file.write_all(br#"{"put":"phoneNumbers","val"#)
            .expect("write");
        drop(file);
        let Resumed {
            journal,
            header: read_header,
            entries,
        } = Journal::resume(&path).expect("resume");
        assert_eq!(read_header, header);
        let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["account", "extensions"]);
        assert_eq!(entries[1].1.get(), "[1,2]");
        // Appending continues after the last whole line.
        journal.put("phoneNumbers", "[]").expect("put");
        drop(journal);
        let resumed = Journal::resume(&path).expect("resume");
        assert_eq!(resumed.entries.len(), 3);
        assert!(
            Journal::create(&path, &header).is_err(),
            "never replaces a journal"
        );
    }

    #[test]
    fn a_journal_in_use_is_busy_and_an_unreadable_one_says_so() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("s.json.partial");
        let header = Header::new("http://127.0.0.1:1", "2026-11-28T10:00:00Z");
        let journal = Journal::create(&path, &header).expect("create");
        assert!(busy(&path));
        let error = Journal::resume(&path).expect_err("busy");
        assert!(matches!(error, JournalError::Busy { .. }), "{error}");
        assert!(error.to_string().contains("right now"), "{error}");
        assert!(!error.resumable());
        drop(journal);
        assert!(!busy(&path));
        let resumed = Journal::resume(&path).expect("free again");
        assert!(busy(&path));
        drop(resumed);
        // Bytes that are not text: unreadable, and never "cannot write".
        std::fs::write(&path, b"\xff\xfe\n").expect("write");
        let error = Journal::resume(&path).expect_err("unreadable");
        let message = error.to_string();
        assert!(!message.contains("write"), "{message}");
        assert!(message.contains("not UTF-8"), "{message}");
        assert!(!error.resumable());
        // A folder where the journal should be: cannot open it.
        let folder = dir.path().join("folder.partial");
        std::fs::create_dir(&folder).expect("dir");
        let error = Journal::resume(&folder).expect_err("a folder");
        assert!(error.to_string().starts_with("cannot open"), "{error}");
        assert!(!error.resumable());
    }

    #[test]
    fn a_corrupt_journal_is_an_error_with_its_line() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("x.partial");
        std::fs::write(&path, "{\"journal\":\"rcaudit-fetch\",\"version\":1,\"server\":\"s\",\"capturedAt\":\"t\"}\nnot json\n{}\n")
            .expect("write");
        let error = Journal::resume(&path).expect_err("corrupt");
        assert!(error.to_string().contains("line 2"), "{error}");
    }
}
