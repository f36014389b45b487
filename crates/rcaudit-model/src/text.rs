//! Text that readers act on made inert: terminal escape sequences, C1
//! controls, bidirectional overrides. The report formats people read (see
//! `rcaudit-report`'s `text` module) and the source snippets of
//! diagnostics ([`crate::SourceText`]) pass untrusted text through here.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether a character is a control that some reader acts on: C0 controls
/// other than tab and line feed, DEL, C1 controls (8-bit CSI and the
/// like), and the Unicode bidirectional and invisible formatting controls.
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{61c}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// Replaces each unsafe character with a visible escape, `\u{1b}`, so the
/// reader sees that the data held one and nothing acts on it.
pub fn neutralize(text: &str) -> Cow<'_, str> {
    // Most text is printable ASCII, where no unsafe character can be:
    // bytes are quicker to check than characters.
    let printable = |b: &u8| matches!(b, b' '..=b'~' | b'\t' | b'\n');
    if text.as_bytes().iter().all(printable) || !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Replaces each unsafe character with one of the same length in UTF-8
/// (`?`, `¿` or U+FFFD), so byte offsets into the text stay right: for the
/// snippets of a source file that diagnostics show.
pub fn neutralize_in_place(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| is_unsafe(c) && c != '\r') {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| match c {
                '\r' => '\r',
                c if is_unsafe(c) => match c.len_utf8() {
                    1 => '?',
                    2 => '¿',
                    _ => '\u{fffd}',
                },
                c => c,
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_become_visible_escapes() {
        assert_eq!(neutralize("plain"), "plain");
        assert_eq!(neutralize("a\u{1b}]0;x\u{7}b"), "a\\u{1b}]0;x\\u{7}b");
        assert_eq!(neutralize("\u{9b}2J\u{202e}\r"), "\\u{9b}2J\\u{202e}\\u{d}");
        assert_eq!(neutralize("tab\tand\nline"), "tab\tand\nline");
    }

    #[test]
    fn in_place_keeps_every_byte_offset() {
        for text in ["a\u{9b}b", "x\u{202e}y\u{7f}", "\u{1b}[2J"] {
            let safe = neutralize_in_place(text);
            assert_eq!(safe.len(), text.len(), "{text:?}");
            assert!(!safe.chars().any(|c| is_unsafe(c) && c != '\r'));
        }
    }
}
