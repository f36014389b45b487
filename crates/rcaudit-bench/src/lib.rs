//! The parsing floor: what it costs to read a snapshot and parse it with
//! plain `serde_json` into a `Value`, before any rule runs. `bench/run.py`
//! times `rcaudit check` against it, whole process against whole process.
//!
//! ```text
//! floor value   FILE   parse into serde_json::Value (a full tree)
//! floor ignored FILE   parse into serde::de::IgnoredAny (validate only)
//! floor read    FILE   only read the bytes
//! ```
//!
//! Prints one line so the work cannot be optimised away. The tree is
//! leaked, not freed, as rcaudit leaves its tree to the operating system at
//! exit: freeing millions of nodes is not part of either measurement.
//! (`bench/run.py` runs it beside `rcaudit check` on the same snapshots,
//! so the two times compare.)
//!
//! Two binaries run it: `floor` with the system allocator (plain `serde_json`,
//! the baseline), and `floor-mimalloc` with the allocator rcaudit uses, to
//! show how much of the difference is the allocator.

#![warn(missing_docs)]

use std::io::Write as _;
use std::process::ExitCode;

/// The floor program; `main` of both binaries.
pub fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(mode), Some(path), None) = (args.get(1), args.get(2), args.get(3)) else {
        let _ = writeln!(std::io::stderr(), "usage: floor value|ignored|read FILE");
        return ExitCode::from(2);
    };
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "floor: {path}: {error}");
            return ExitCode::from(2);
        }
    };
    let line = match mode.as_str() {
        "value" => match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(value) => {
                let keys = value.as_object().map_or(0, serde_json::Map::len);
                std::mem::forget(value);
                format!("value: {} bytes, {keys} top-level keys", bytes.len())
            }
            Err(error) => {
                let _ = writeln!(std::io::stderr(), "floor: {path}: {error}");
                return ExitCode::FAILURE;
            }
        },
        "ignored" => match serde_json::from_slice::<serde::de::IgnoredAny>(&bytes) {
            Ok(_) => format!("ignored: {} bytes, valid JSON", bytes.len()),
            Err(error) => {
                let _ = writeln!(std::io::stderr(), "floor: {path}: {error}");
                return ExitCode::FAILURE;
            }
        },
        "read" => format!("read: {} bytes", bytes.len()),
        other => {
            let _ = writeln!(
                std::io::stderr(),
                "floor: unknown mode {other:?} (value|ignored|read)"
            );
            return ExitCode::from(2);
        }
    };
    let _ = writeln!(std::io::stdout(), "{line}");
    ExitCode::SUCCESS
}
