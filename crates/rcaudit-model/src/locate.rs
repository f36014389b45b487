//! Finding where JSON pointers are in the snapshot text.
//!
//! The tree keeps no positions (they would cost memory on every node of a
//! large snapshot, for the handful that findings point at). Instead, once the
//! findings are known, one pass over the text resolves all of their pointers
//! together: subtrees no pointer enters are skipped byte by byte without
//! being parsed.

use std::collections::BTreeMap;

/// A byte range in the source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub offset: usize,
    pub len: usize,
}

/// Requested pointers, as a trie over their tokens.
#[derive(Default)]
struct Trie {
    /// Indexes (into the caller's list) of pointers that end here.
    here: Vec<usize>,
    children: BTreeMap<String, Trie>,
}

/// Finds the spans of many pointers in one pass. The result has one entry
/// per pointer, `None` for a pointer that does not resolve.
pub fn locate<S: AsRef<str>>(text: &str, pointers: &[S]) -> Vec<Option<Span>> {
    let mut out = vec![None; pointers.len()];
    let mut root = Trie::default();
    for (i, pointer) in pointers.iter().enumerate() {
        let Some(tokens) = crate::pointer::tokens(pointer.as_ref()) else {
            continue;
        };
        let mut node = &mut root;
        for token in tokens {
            node = node.children.entry(token.into_owned()).or_default();
        }
        node.here.push(i);
    }
    let mut scanner = Scanner {
        bytes: text.as_bytes(),
        pos: 0,
    };
    scanner.skip_ws();
    scanner.value(&root, &mut out, 0);
    out
}

/// Deep enough for any snapshot (`serde_json` refuses more than 128 levels);
/// anything deeper is not descended into.
const MAX_DEPTH: usize = 256;

struct Scanner<'t> {
    bytes: &'t [u8],
    pos: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Resolves the value at `pos` for `trie`, leaving `pos` after it.
    fn value(&mut self, trie: &Trie, out: &mut [Option<Span>], depth: usize) {
        let start = self.pos;
        if trie.children.is_empty() || depth > MAX_DEPTH {
            self.skip_value();
        } else {
            match self.peek() {
                Some(b'{') => self.object(trie, out, depth),
                Some(b'[') => self.array(trie, out, depth),
                _ => self.skip_value(),
            }
        }
        let span = Span {
            offset: start,
            len: self.pos.saturating_sub(start),
        };
        for &i in &trie.here {
            if let Some(slot) = out.get_mut(i) {
                *slot = Some(span);
            }
        }
    }

    fn object(&mut self, trie: &Trie, out: &mut [Option<Span>], depth: usize) {
        self.pos += 1; // {
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b'"') => {}
                Some(b'}') => {
                    self.pos += 1;
                    return;
                }
                Some(b',') => {
                    self.pos += 1;
                    continue;
                }
                _ => return,
            }
            let key = self.string();
            self.skip_ws();
            if self.peek() != Some(b':') {
                return;
            }
            self.pos += 1;
            self.skip_ws();
            match key.and_then(|k| trie.children.get(&k)) {
                Some(child) => self.value(child, out, depth + 1),
                None => self.skip_value(),
            }
        }
    }

    fn array(&mut self, trie: &Trie, out: &mut [Option<Span>], depth: usize) {
        self.pos += 1; // [
        let mut index = 0usize;
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b']') => {
                    self.pos += 1;
                    return;
                }
                Some(b',') => {
                    self.pos += 1;
                    index += 1;
                    continue;
                }
                None => return,
                _ => {}
            }
            match trie.children.get(index.to_string().as_str()) {
                Some(child) => self.value(child, out, depth + 1),
                None => self.skip_value(),
            }
        }
    }

    /// Reads a string at `pos` and returns its unescaped text (`None` when it
    /// has escapes that do not decode).
    fn string(&mut self) -> Option<String> {
        let start = self.pos;
        self.skip_string();
        let raw = self.bytes.get(start..self.pos)?;
        serde_json::from_slice::<String>(raw).ok()
    }

    fn skip_string(&mut self) {
        self.pos += 1; // opening quote
        loop {
            if let Some(i) =
                memchr::memchr2(b'"', b'\\', self.bytes.get(self.pos..).unwrap_or_default())
            {
                self.pos += i;
                if self.peek() == Some(b'\\') {
                    self.pos += 2;
                } else {
                    self.pos += 1;
                    return;
                }
            } else {
                self.pos = self.bytes.len();
                return;
            }
        }
    }

    /// Skips one value of any kind.
    fn skip_value(&mut self) {
        match self.peek() {
            Some(b'"') => self.skip_string(),
            Some(open @ (b'{' | b'[')) => {
                // Only this bracket pair decides where the container ends (the
                // other pair is balanced inside it), so a vectorised search
                // for three bytes skips everything else.
                let close = if open == b'{' { b'}' } else { b']' };
                let mut depth = 0usize;
                loop {
                    let rest = self.bytes.get(self.pos..).unwrap_or_default();
                    let Some(i) = memchr::memchr3(b'"', open, close, rest) else {
                        self.pos = self.bytes.len();
                        return;
                    };
                    self.pos += i;
                    match self.peek() {
                        Some(b'"') => {
                            self.skip_string();
                            continue;
                        }
                        Some(b) if b == open => depth += 1,
                        _ => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                self.pos += 1;
                                return;
                            }
                        }
                    }
                    self.pos += 1;
                }
            }
            _ => {
                // A number, `true`, `false` or `null`.
                while let Some(b) = self.peek() {
                    if matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                        break;
                    }
                    self.pos += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_at(text: &str, span: Option<Span>) -> &str {
        let span = span.expect("resolves");
        &text[span.offset..span.offset + span.len]
    }

    #[test]
    fn resolves_many_pointers_in_one_pass() {
        let text = r#"{"a": {"b~c": [1, {"d/e": "x\"y"}, true]}, "n": -1.5e3, "s": "é", "a": 2}"#;
        let pointers = [
            "",
            "/a/b~0c",
            "/a/b~0c/0",
            "/a/b~0c/1/d~1e",
            "/a/b~0c/2",
            "/n",
            "/s",
            "/missing",
            "/a/b~0c/3",
            "no-slash",
        ];
        let spans = locate(text, &pointers);
        assert_eq!(text_at(text, spans[0]), text);
        assert_eq!(text_at(text, spans[1]), r#"[1, {"d/e": "x\"y"}, true]"#);
        assert_eq!(text_at(text, spans[2]), "1");
        assert_eq!(text_at(text, spans[3]), r#""x\"y""#);
        assert_eq!(text_at(text, spans[4]), "true");
        assert_eq!(text_at(text, spans[5]), "-1.5e3");
        assert_eq!(text_at(text, spans[6]), "\"é\"");
        assert_eq!(spans[7], None);
        assert_eq!(spans[8], None);
        assert_eq!(spans[9], None);
    }

    #[test]
    fn duplicate_keys_resolve_to_the_last() {
        let text = r#"{"a": 1, "a": 2}"#;
        assert_eq!(text_at(text, locate(text, &["/a"])[0]), "2");
    }

    #[test]
    fn truncated_text_does_not_panic() {
        for text in ["{\"a\": [1, 2", "{\"a", "[", "\"abc", "{\"a\": {\"b\": "] {
            let _ = locate(text, &["/a/1", "/a/b", "/0"]);
        }
    }
}
