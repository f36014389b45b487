//! cel's parse errors, in words a rule author reads, located in the
//! expression text.

use super::{CompileError, SPLIT_IT};
use crate::problem::ProblemCode;
use cel::ParseErrors;

/// cel's parse errors as messages for people: no parser internals, always
/// a position.
pub(super) fn errors(source: &str, errors: &ParseErrors) -> Vec<CompileError> {
    let mapped: Vec<CompileError> = errors
        .errors
        .iter()
        .map(|e| {
            let (mut line, mut column) = e.pos;
            let mut message = e.msg.clone();
            if message == "UNKNOWN" || message.contains("Error(") || message.contains("{ ") {
                // An error cel passes on from its parser without a message
                // of its own: the inner message and position, if any.
                let inner = e
                    .source
                    .as_ref()
                    .map(|s| format!("{s:?}"))
                    .unwrap_or_default();
                let text = if inner.is_empty() {
                    message.clone()
                } else {
                    inner
                };
                if let Some((l, c)) = field_pair(&text, "pos: (") {
                    line = l;
                    column = c;
                }
                message = field_text(&text, "msg: \"").map_or_else(
                    || "the expression cannot be parsed".to_owned(),
                    |m| {
                        m.replace("Recursion limit of", "nesting limit of").replace(
                            "exceeded",
                            "levels exceeded: the expression nests too deeply",
                        )
                    },
                );
            }
            CompileError::syntax(plain(&message), line_column_offset(source, line, column))
        })
        .collect();
    // Past the nesting limit the parser gives up: what follows is noise.
    if let Some(limit) = mapped
        .iter()
        .find(|e| e.message.contains("nests too deeply"))
    {
        return vec![CompileError {
            code: ProblemCode::TooDeep,
            help: Some(SPLIT_IT.to_owned()),
            ..limit.clone()
        }];
    }
    // The parser goes on after an error, and what it reports next is mostly
    // the same mistake seen again: the first error says it.
    // Internal messages (below) only when nothing better is said.
    let internal = |e: &CompileError| e.message == INCOMPLETE;
    let first = mapped
        .iter()
        .find(|e| !internal(e))
        .or_else(|| mapped.first())
        .cloned();
    first.into_iter().collect()
}

pub(super) const INCOMPLETE: &str = "the expression is incomplete here";

/// A parser message in words: no token lists, no parser internals.
pub(super) fn plain(message: &str) -> String {
    let text = message.strip_prefix("Syntax error: ").unwrap_or(message);
    let quoted = |after: &str| {
        text.split_once(after)
            .map(|(_, rest)| rest)
            .and_then(|rest| rest.strip_prefix('\''))
            .and_then(|rest| rest.rsplit_once('\'').map(|(inner, _)| inner))
            .map(|inner| {
                inner
                    .split("' expecting")
                    .next()
                    .unwrap_or(inner)
                    .to_owned()
            })
    };
    if text.contains("'<EOF>'") {
        "the expression ends too early (something is missing at its end)".to_owned()
    } else if let Some(token) = quoted("token recognition error at: ") {
        if token.starts_with(['\'', '"']) {
            format!("cannot read `{token}`: an unclosed string, or an invalid escape in one")
        } else {
            format!("unexpected character `{token}`")
        }
    } else if let Some(token) = quoted("extraneous input ") {
        format!("unexpected `{token}`")
    } else if let Some(token) = quoted("mismatched input ") {
        format!("unexpected `{token}`")
    } else if let Some(token) = quoted("no viable alternative at input ") {
        format!("cannot parse `{token}`")
    } else if text.starts_with("No `") || text.starts_with("Incomplete `") {
        // The parser's own internals (`Incomplete `IndexContext`!`).
        INCOMPLETE.to_owned()
    } else {
        text.to_owned()
    }
}

/// The string after `key` in a `Debug` text, up to its closing quote.
pub(super) fn field_text(text: &str, key: &str) -> Option<String> {
    let start = text.find(key)? + key.len();
    let rest = text.get(start..)?;
    let mut out = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            '"' => return Some(out),
            c => out.push(c),
        }
    }
    None
}

/// Two numbers after `key` in a `Debug` text: `pos: (1, 4)`.
pub(super) fn field_pair(text: &str, key: &str) -> Option<(isize, isize)> {
    let start = text.find(key)? + key.len();
    let rest = text.get(start..)?;
    let (pair, _) = rest.split_once(')')?;
    let (a, b) = pair.split_once(',')?;
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}

/// Byte offset of a 1-based line and 0-based character column.
pub(super) fn line_column_offset(source: &str, line: isize, column: isize) -> usize {
    let line = usize::try_from(line.max(1) - 1).unwrap_or(0);
    let column = usize::try_from(column.max(0)).unwrap_or(0);
    let mut start = 0;
    for (i, l) in source.split_inclusive('\n').enumerate() {
        if i == line {
            let within = l.char_indices().nth(column).map_or(l.len(), |(b, _)| b);
            return (start + within).min(source.len());
        }
        start += l.len();
    }
    source.len()
}
