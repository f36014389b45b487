//! `rcaudit redact`: a copy of a snapshot without personal data, on which
//! `check` gives the same findings. The table and the pseudonyms are
//! `rcaudit-redact`'s; this reads the snapshot (checked as `check` checks
//! it: JSON syntax, duplicate keys, the schema), the key and the config's
//! `redact:` entries, and writes the result atomically.

use std::fmt::Write as _;
use std::path::Path;

use rcaudit_redact::{Json, KINDS, Key, Table, check_entry, redact};

use crate::Exit;
use crate::cli::RedactArgs;
use crate::failure::Failure;
use crate::output;
use crate::setup;
use crate::sources::{self, Kind};

/// The environment variable a key may come from.
const KEY_VARIABLE: &str = "RCAUDIT_REDACT_KEY";

/// The shortest key accepted: a guessable key would let anyone test a
/// guess of a name against its pseudonym.
const MIN_KEY: usize = 16;

pub fn run(args: &RedactArgs) -> Result<Exit, Failure> {
    let (config, _) = setup::config(args.config.as_deref())?;
    let extra = config
        .redact
        .iter()
        .map(|e| check_entry(&e.path, &e.kind))
        .collect::<Result<Vec<_>, String>>()?;
    let table = Table::with(extra);
    if args.explain {
        output::print_plain(&explain(&table));
        return Ok(Exit::Clean);
    }
    let (Some(snapshot), Some(out)) = (&args.snapshot, &args.output) else {
        return Err(Failure::Message(
            "rcaudit redact needs a snapshot and -o FILE".to_owned(),
        ));
    };
    let name = sources::shown(snapshot);
    let bytes = sources::snapshot(snapshot)?;
    // The checks `check` makes, so what is redacted is a snapshot it reads.
    let loaded = rcaudit_model::load(&name, bytes)?;
    // The checked tree is not needed any more: free it before the copy
    // that is rewritten is read.
    let text = loaded.source().text().to_owned();
    drop(loaded);
    let mut doc: Json = serde_json::from_str(&text)
        .map_err(|e| Failure::Message(format!("cannot read {name}: {e}")))?;
    drop(text);
    let (key, random) = key(args.key_file.as_deref())?;
    let tool = format!("rcaudit {}", env!("CARGO_PKG_VERSION"));
    let summary = redact(&mut doc, &key, &table, &tool);
    if args.strict && summary.class_changed > 0 {
        return Err(Failure::Message(format!(
            "{name}: {} phone number(s) could not keep their region and type by the \
             numbering plan, so the metadata rules may judge the redacted snapshot \
             differently (nothing was written)",
            summary.class_changed
        )));
    }
    if args.strict && !summary.unknown.is_empty() {
        return Err(Failure::Message(format!(
            "{name} has strings where the table does not say what they hold (nothing was \
             written): {}; add them to `redact:` in rcaudit.yaml, with their kind",
            places(&summary.unknown)
        )));
    }
    let mut text = serde_json::to_string_pretty(&doc)
        .map_err(|e| Failure::Message(format!("cannot write the redacted snapshot: {e}")))?;
    text.push('\n');
    if out.as_os_str() == "-" {
        output::print_document(&text);
    } else {
        sources::write_atomic(out, &text)?;
    }
    let mut note = format!(
        "rcaudit: redacted {} strings of {name} and kept {}",
        summary.redacted, summary.kept
    );
    if !summary.unknown.is_empty() {
        let _ = write!(
            note,
            "; {} at places the table does not know, redacted as text: {}",
            summary.unknown.values().sum::<usize>(),
            places(&summary.unknown)
        );
    }
    if summary.class_changed > 0 {
        let _ = write!(
            note,
            "; {} phone number(s) could not keep their region and type by the numbering \
             plan, so a rule that reads them may judge the redacted snapshot differently",
            summary.class_changed
        );
    }
    note.push('\n');
    if random {
        note.push_str(
            "rcaudit: no key was given, so a random one was used and not kept: another \
             redaction of this account will not match this one (--key-file or \
             RCAUDIT_REDACT_KEY to keep them comparable)\n",
        );
    }
    output::eprint(&note);
    Ok(Exit::Clean)
}

/// The places the table does not know, with counts.
fn places(unknown: &std::collections::BTreeMap<String, usize>) -> String {
    unknown
        .iter()
        .map(|(path, n)| format!("{path} ({n})"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The key: the file's, the variable's, or random (and then say so).
fn key(file: Option<&Path>) -> Result<(Key, bool), Failure> {
    let (secret, from) = if let Some(path) = file {
        let bytes = sources::read_bounded(path, "key file", Kind::Token)?;
        (bytes, format!("the key file {}", path.display()))
    } else if let Some(value) = std::env::var_os(KEY_VARIABLE) {
        (value.into_encoded_bytes(), KEY_VARIABLE.to_owned())
    } else {
        let mut bytes = vec![0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| {
            Failure::Message(format!("cannot make a random key ({e}); give --key-file"))
        })?;
        return Ok((Key::new(&bytes), true));
    };
    let secret = secret.strip_suffix(b"\n").unwrap_or(&secret);
    let secret = secret.strip_suffix(b"\r").unwrap_or(secret);
    if secret.len() < MIN_KEY {
        return Err(Failure::Message(format!(
            "{from} holds {} bytes; a redaction key has at least {MIN_KEY} (for instance \
             `head -c 32 /dev/urandom | base64 > redact.key`)",
            secret.len()
        )));
    }
    Ok((Key::new(secret), false))
}

/// The table, as `--explain` prints it.
fn explain(table: &Table) -> String {
    let mut out = format!(
        "What rcaudit redact does with each string of a snapshot (table version {}).\n\
         The first path that matches decides: * is any one member or list index, ** any\n\
         number of them. Strings no path matches are redacted as text (--strict refuses\n\
         them); numbers, booleans, null and the structure are always kept.\n\n",
        rcaudit_redact::TABLE_VERSION
    );
    let width = table
        .entries()
        .iter()
        .map(|e| e.path.len())
        .max()
        .unwrap_or(0);
    for entry in table.entries() {
        let _ = writeln!(out, "  {:width$}  {}", entry.path, entry.kind);
    }
    out.push_str("\nKinds:\n");
    for kind in KINDS {
        let _ = writeln!(out, "  {:8} {}", kind.name(), kind.description());
    }
    out.push_str(
        "\nPseudonyms are keyed (HMAC-SHA-256; --key-file or RCAUDIT_REDACT_KEY) and one-to-one:\n\
         equal values stay equal and different values stay different, so every rule gives\n\
         the same findings. Add entries with `redact:` in rcaudit.yaml, e.g.\n\
         \x20 redact:\n\
         \x20   - {path: /extensions/*/contact/nickname, kind: name}\n",
    );
    out
}
