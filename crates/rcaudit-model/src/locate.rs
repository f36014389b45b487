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
    /// Offset of the first byte.
    pub offset: usize,
    /// Length in bytes.
    pub len: usize,
}

/// Requested pointers, as a trie over their tokens. Small: a finding's
/// pointer makes a handful of nodes, and a report locates tens of thousands
/// of them (a tree of `BTreeMap`s took a kilobyte per node).
#[derive(Default)]
struct Trie {
    /// Indexes (into the caller's list) of pointers that end here.
    here: Vec<usize>,
    /// Children by member name (tokens that are not indexes), a few at each
    /// level, searched in order.
    children: Vec<(Box<str>, Trie)>,
    /// Children by index token, in increasing order: an array's elements,
    /// or an object's members named by the same digits. Walking an array
    /// needs no string per element, and stops after the last one.
    elements: Vec<(usize, Trie)>,
}

impl Trie {
    fn is_leaf(&self) -> bool {
        self.children.is_empty() && self.elements.is_empty()
    }

    /// The child for an index token, made if new. Pointers come in order
    /// ([`in_order`]), so a new index is nearly always the last.
    fn element(&mut self, index: usize) -> Option<&mut Trie> {
        let at = match self.elements.last() {
            Some((last, _)) if *last == index => self.elements.len() - 1,
            Some((last, _)) if *last > index => {
                match self.elements.binary_search_by_key(&index, |(i, _)| *i) {
                    Ok(at) => at,
                    Err(at) => {
                        self.elements.insert(at, (index, Trie::default()));
                        at
                    }
                }
            }
            _ => {
                self.elements.push((index, Trie::default()));
                self.elements.len() - 1
            }
        };
        self.elements.get_mut(at).map(|(_, child)| child)
    }

    /// The child for a member name, made if new.
    fn child(&mut self, name: &str) -> Option<&mut Trie> {
        let at = match self.children.iter().position(|(n, _)| **n == *name) {
            Some(at) => at,
            None => {
                self.children.push((Box::from(name), Trie::default()));
                self.children.len() - 1
            }
        };
        self.children.get_mut(at).map(|(_, child)| child)
    }

    /// The child for the member `name` of an object.
    fn member(&self, name: &str) -> Option<&Trie> {
        match crate::pointer::parse_index(name) {
            Some(index) => self
                .elements
                .binary_search_by_key(&index, |(i, _)| *i)
                .ok()
                .and_then(|at| self.elements.get(at))
                .map(|(_, child)| child),
            None => self
                .children
                .iter()
                .find(|(n, _)| **n == *name)
                .map(|(_, child)| child),
        }
    }
}

/// The order in which pointers are put in a trie: by their tokens, index
/// tokens by number and before names, so each node's elements arrive in
/// increasing order.
fn in_order(
    a: &[std::borrow::Cow<'_, str>],
    b: &[std::borrow::Cow<'_, str>],
) -> std::cmp::Ordering {
    // Indexes first, by number; then names.
    let key = |token: &str| match crate::pointer::parse_index(token) {
        Some(index) => (false, index),
        None => (true, 0),
    };
    for (x, y) in a.iter().zip(b) {
        let order = key(x).cmp(&key(y)).then_with(|| x.cmp(y));
        if order.is_ne() {
            return order;
        }
    }
    a.len().cmp(&b.len())
}

/// Each pointer's tokens with its index in the caller's list, in
/// [`in_order`]; pointers that are not pointers are left out.
fn tokenized<S: AsRef<str>>(pointers: &[S]) -> Vec<(Vec<std::borrow::Cow<'_, str>>, usize)> {
    let mut all: Vec<_> = pointers
        .iter()
        .enumerate()
        .filter_map(|(i, p)| crate::pointer::tokens(p.as_ref()).map(|t| (t, i)))
        .collect();
    all.sort_by(|(a, _), (b, _)| in_order(a, b));
    all
}

/// Finds the spans of many pointers in one pass. The result has one entry
/// per pointer, `None` for a pointer that does not resolve.
pub fn locate<S: AsRef<str>>(text: &str, pointers: &[S]) -> Vec<Option<Span>> {
    let mut out = vec![None; pointers.len()];
    let mut root = Trie::default();
    for (tokens, i) in tokenized(pointers) {
        insert(&mut root, &tokens, i);
    }
    let mut scanner = Scanner {
        bytes: text.as_bytes(),
        pos: 0,
    };
    scanner.skip_ws();
    scanner.value(&root, &mut out, 0);
    out
}

/// Puts pointer `i` in the trie. Whether an index token names an array's
/// element or an object's member is only known while scanning; it is kept
/// once, by number, and found both ways ([`Trie::member`]).
fn insert(node: &mut Trie, tokens: &[std::borrow::Cow<'_, str>], i: usize) {
    let Some((token, rest)) = tokens.split_first() else {
        node.here.push(i);
        return;
    };
    let child = match crate::pointer::parse_index(token) {
        Some(index) => node.element(index),
        None => node.child(token),
    };
    if let Some(child) = child {
        insert(child, rest, i);
    }
}

/// Where the top-level members of a document are, and where each element
/// of a top-level array starts: enough to start resolving any pointer close
/// to its value instead of at the start of the text. Built in one scan
/// (which can run while the rules evaluate).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Index {
    /// The root's members in document order; the last of a repeated name
    /// wins.
    members: Vec<Member>,
}

/// Where one member of the root is.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Member {
    /// Its name, unescaped.
    pub(crate) name: String,
    /// Where its value starts.
    pub(crate) start: usize,
    /// Where its value ends (one past its last byte).
    pub(crate) end: usize,
    /// Where each element starts, if the value is an array.
    pub(crate) elements: Option<Vec<usize>>,
}

impl Index {
    /// The index of a root with these members (as a parse that passed them
    /// found them).
    pub(crate) fn new(members: Vec<Member>) -> Index {
        Index { members }
    }

    /// Scans `text` (a JSON object; anything else gives an empty index).
    pub fn build(text: &str) -> Index {
        let mut scanner = Scanner {
            bytes: text.as_bytes(),
            pos: 0,
        };
        let mut members = Vec::new();
        scanner.skip_ws();
        if scanner.peek() != Some(b'{') {
            return Index::default();
        }
        scanner.pos += 1;
        loop {
            scanner.skip_ws();
            match scanner.peek() {
                Some(b'"') => {}
                Some(b',') => {
                    scanner.pos += 1;
                    continue;
                }
                _ => break,
            }
            let key_start = scanner.pos;
            scanner.skip_string();
            let key = scanner
                .bytes
                .get(key_start..scanner.pos)
                .and_then(|quoted| serde_json::from_slice::<String>(quoted).ok())
                .unwrap_or_default();
            scanner.skip_ws();
            if scanner.peek() != Some(b':') {
                break;
            }
            scanner.pos += 1;
            scanner.skip_ws();
            let start = scanner.pos;
            let elements = if scanner.peek() == Some(b'[') {
                Some(scanner.element_starts())
            } else {
                scanner.skip_value();
                None
            };
            members.push(Member {
                name: key,
                start,
                end: scanner.pos,
                elements,
            });
        }
        Index { members }
    }

    fn member(&self, name: &str) -> Option<&Member> {
        self.members.iter().rev().find(|member| member.name == name)
    }
}

/// [`locate`], starting each pointer's search at the nearest place `index`
/// knows: its top-level array element, or its top-level member.
pub fn locate_indexed<S: AsRef<str>>(
    text: &str,
    index: &Index,
    pointers: &[S],
) -> Vec<Option<Span>> {
    let mut out = vec![None; pointers.len()];
    // Each pointer with where its search starts and the tokens left there.
    let mut starts: Vec<Start<'_>> = Vec::new();
    let mut rest: Vec<usize> = Vec::new();
    for (tokens, i) in tokenized(pointers) {
        let Some((first, more)) = tokens.split_first() else {
            rest.push(i);
            continue;
        };
        let Some(Member {
            start: begin,
            end,
            elements,
            ..
        }) = index.member(first)
        else {
            rest.push(i);
            continue;
        };
        match (elements, more.split_first()) {
            // A whole member: the index knows where it ends.
            (_, None) => {
                if let Some(cell) = out.get_mut(i) {
                    *cell = Some(Span {
                        offset: *begin,
                        len: end - begin,
                    });
                }
            }
            (Some(starts_of), Some((element, _))) => {
                // No such element: the pointer does not resolve.
                if let Some(&at) =
                    crate::pointer::parse_index(element).and_then(|e| starts_of.get(e))
                {
                    starts.push(Start {
                        at,
                        tokens,
                        skip: 2,
                        i,
                    });
                }
            }
            (None, Some(_)) => starts.push(Start {
                at: *begin,
                tokens,
                skip: 1,
                i,
            }),
        }
    }
    scan_starts(text, starts, &mut out);
    if !rest.is_empty() {
        let unindexed: Vec<&str> = rest
            .iter()
            .map(|&i| pointers.get(i).map_or("", AsRef::as_ref))
            .collect();
        for (slot, span) in rest.iter().zip(locate(text, &unindexed)) {
            if let Some(cell) = out.get_mut(*slot) {
                *cell = span;
            }
        }
    }
    out
}

/// A pointer whose search starts at `at`, with the tokens it has left
/// there (after the first `skip`), and its index in the caller's list.
struct Start<'p> {
    at: usize,
    tokens: Vec<std::borrow::Cow<'p, str>>,
    skip: usize,
    i: usize,
}

/// Pointers at least this many are located on two threads.
const TWO_THREADS: usize = 1024;

/// Groups the pointers by where their search starts, as tries, and scans
/// the value at the start of each group for its pointers. With many
/// pointers (thousands of findings in a large snapshot: each group is a
/// record scanned from its start), two threads each take the pointers on
/// one side of the middle start and build, scan and drop their own
/// groups, into their own spans, which are then merged: a pointer is in
/// one group.
fn scan_starts(text: &str, starts: Vec<Start<'_>>, out: &mut [Option<Span>]) {
    // Groups are built from pointers in `tokenized`'s order, which a split
    // keeps on each side: each node's elements arrive in increasing order.
    let scan = |starts: &[Start<'_>], out: &mut [Option<Span>]| {
        let mut groups: BTreeMap<usize, Trie> = BTreeMap::new();
        for start in starts {
            let deeper = start.tokens.get(start.skip..).unwrap_or_default();
            insert(groups.entry(start.at).or_default(), deeper, start.i);
        }
        for (at, trie) in &groups {
            let mut scanner = Scanner {
                bytes: text.as_bytes(),
                pos: *at,
            };
            scanner.value(trie, out, 1);
        }
    };
    if starts.len() < TWO_THREADS {
        scan(&starts, out);
        return;
    }
    let mut ats: Vec<usize> = starts.iter().map(|s| s.at).collect();
    let half = ats.len() / 2;
    let middle = *ats.select_nth_unstable(half).1;
    let (mine, theirs): (Vec<Start<'_>>, Vec<Start<'_>>) =
        starts.into_iter().partition(|s| s.at < middle);
    let len = out.len();
    let spans = std::thread::scope(|scope| {
        let other = std::thread::Builder::new()
            .name("rcaudit-locate".to_owned())
            .spawn_scoped(scope, || {
                let mut spans = vec![None; len];
                scan(&theirs, &mut spans);
                spans
            });
        scan(&mine, out);
        other.ok().and_then(|handle| handle.join().ok())
    });
    match spans {
        Some(spans) => {
            for (slot, span) in out.iter_mut().zip(spans) {
                if span.is_some() {
                    *slot = span;
                }
            }
        }
        // No second thread (or it failed): this one scans their half too.
        None => scan(&theirs, out),
    }
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
        if trie.is_leaf() || depth > MAX_DEPTH {
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
            let key_start = self.pos;
            self.skip_string();
            let raw = self
                .bytes
                .get(key_start + 1..self.pos.saturating_sub(1))
                .unwrap_or_default();
            // Keys without escapes (nearly all) are looked up in place.
            let child = if raw.contains(&b'\\') {
                self.bytes
                    .get(key_start..self.pos)
                    .and_then(|quoted| serde_json::from_slice::<String>(quoted).ok())
                    .and_then(|key| trie.member(&key))
            } else {
                std::str::from_utf8(raw)
                    .ok()
                    .and_then(|key| trie.member(key))
            };
            self.skip_ws();
            if self.peek() != Some(b':') {
                return;
            }
            self.pos += 1;
            self.skip_ws();
            match child {
                Some(child) => self.value(child, out, depth + 1),
                None => self.skip_value(),
            }
        }
    }

    fn array(&mut self, trie: &Trie, out: &mut [Option<Span>], depth: usize) {
        let Some(&(last, _)) = trie.elements.last() else {
            self.skip_value();
            return;
        };
        self.pos += 1; // [
        let mut index = 0usize;
        // The next wanted element (elements are in increasing order).
        let mut wanted = trie.elements.iter().peekable();
        loop {
            if index > last {
                // Nothing more is wanted here: skip the rest of the array.
                self.skip_until_close(b'[', b']', 1);
                return;
            }
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
            match wanted.next_if(|(i, _)| *i == index) {
                Some((_, child)) => self.value(child, out, depth + 1),
                None => self.skip_value(),
            }
        }
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

    /// At a `[`: the start of each element, leaving `pos` after the array.
    fn element_starts(&mut self) -> Vec<usize> {
        let mut starts = Vec::new();
        self.pos += 1; // [
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b']') => {
                    self.pos += 1;
                    return starts;
                }
                Some(b',') => {
                    self.pos += 1;
                }
                None => return starts,
                _ => {
                    starts.push(self.pos);
                    self.skip_value();
                }
            }
        }
    }

    /// Skips one value of any kind.
    fn skip_value(&mut self) {
        match self.peek() {
            Some(b'"') => self.skip_string(),
            Some(open @ (b'{' | b'[')) => {
                let close = if open == b'{' { b'}' } else { b']' };
                self.skip_until_close(open, close, 0);
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

    /// Moves past the `close` that ends a container `depth` levels up
    /// (`0` when `pos` is at its `open`). Only this bracket pair decides
    /// where the container ends (the other pair is balanced inside it), so
    /// a vectorised search for three bytes skips everything else.
    fn skip_until_close(&mut self, open: u8, close: u8, depth: usize) {
        let mut depth = depth;
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
}

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::prelude::*;

    /// JSON without repeated names (`serde_json` keeps the last, as the
    /// locator does, but its `Map` forgets the order): objects whose names
    /// are digits too, so a pointer's index token may name an element or a
    /// member.
    fn json(depth: u32) -> BoxedStrategy<serde_json::Value> {
        use serde_json::Value as J;
        let leaf = prop_oneof![
            Just(J::Null),
            any::<i8>().prop_map(J::from),
            "[a-z]{0,3}".prop_map(J::from)
        ];
        if depth == 0 {
            return leaf.boxed();
        }
        let name = prop_oneof!["[0-3]", "0[0-9]", "[a-c]", Just("~/".to_owned())];
        prop_oneof![
            1 => leaf,
            2 => prop::collection::vec(json(depth - 1), 0..5).prop_map(J::Array),
            2 => prop::collection::btree_map(name, json(depth - 1), 0..5)
                .prop_map(|m| J::Object(m.into_iter().collect())),
        ]
        .boxed()
    }

    fn pointer() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof!["[0-4]", "0[0-9]", "[a-c]", Just("~0~1".to_owned())],
            0..4,
        )
        .prop_map(|tokens| tokens.iter().map(|t| ["/", t].concat()).collect())
    }

    proptest! {
        /// Whatever the pointers and their order, each resolves to the
        /// value `serde_json`'s `pointer` finds (as JSON text), or to nothing
        /// where it finds none; with and without the element index.
        #[test]
        fn spans_hold_what_the_pointers_name(
            doc in prop::collection::btree_map("[a-c0-2]", json(3), 0..4),
            pointers in prop::collection::vec(pointer(), 0..24),
        ) {
            let doc = serde_json::Value::Object(doc.into_iter().collect());
            let text = serde_json::to_string_pretty(&doc).expect("serializes");
            let index = Index::build(&text);
            for spans in [locate(&text, &pointers), locate_indexed(&text, &index, &pointers)] {
                for (pointer, span) in pointers.iter().zip(spans) {
                    let want = doc.pointer(pointer);
                    let got = span.map(|span| {
                        serde_json::from_str::<serde_json::Value>(&text[span.offset..span.offset + span.len])
                            .expect("a span is a value")
                    });
                    prop_assert_eq!(got.as_ref(), want, "{}", pointer);
                }
            }
        }
    }

    /// Enough findings to scan on two threads: each half of the records
    /// located, each pointer to what it names, as the scan without the
    /// index finds it.
    #[test]
    fn many_groups_are_scanned_on_two_threads_alike() {
        let records: Vec<serde_json::Value> = (0..3 * TWO_THREADS)
            .map(|i| serde_json::json!({"id": i, "name": format!("n{i}"), "list": [i, {"x": i}]}))
            .collect();
        let doc = serde_json::json!({"a": 1, "extensions": records, "z": [1]});
        let text = serde_json::to_string_pretty(&doc).expect("serializes");
        let index = Index::build(&text);
        let pointers: Vec<String> = (0..3 * TWO_THREADS + 2)
            .rev()
            .flat_map(|i| {
                [
                    format!("/extensions/{i}/name"),
                    format!("/extensions/{i}/list/1/x"),
                    format!("/extensions/{i}/missing"),
                ]
            })
            .chain(["/z/0".to_owned(), "/a".to_owned()])
            .collect();
        let indexed = locate_indexed(&text, &index, &pointers);
        assert_eq!(indexed, locate(&text, &pointers));
        for (pointer, span) in pointers.iter().zip(&indexed) {
            let want = doc.pointer(pointer);
            let got = span.map(|span| {
                serde_json::from_str::<serde_json::Value>(
                    &text[span.offset..span.offset + span.len],
                )
                .expect("a span is a value")
            });
            assert_eq!(got.as_ref(), want, "{pointer}");
        }
    }

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

#[cfg(test)]
mod more_tests {
    use super::*;

    #[test]
    fn the_index_gives_the_same_spans() {
        let text = r#"{"x": 1, "list": [{"a": [1, 2]}, {"a": [3, {"b": "c"}]}], "o": {"k": [true]}, "list": [9, {"a": 8}]}"#;
        let pointers = [
            "",
            "/x",
            "/list",
            "/list/0",
            "/list/1/a",
            "/o/k/0",
            "/missing",
            "/list/5",
            "/o",
            "/list/1",
        ];
        let index = Index::build(text);
        assert_eq!(
            locate_indexed(text, &index, &pointers),
            locate(text, &pointers)
        );
        let empty = Index::build("[1, 2]");
        assert_eq!(
            locate_indexed("[1, 2]", &empty, &["/0", "/1"]),
            locate("[1, 2]", &["/0", "/1"])
        );
    }

    #[test]
    fn arrays_stop_after_the_last_wanted_element() {
        let text = r#"{"a": [{"x": [1, [2, "]"]]}, 5, 6, [7, {"y": "["}]], "b": [0, 1, 2], "c": {"0": "member"}}"#;
        let spans = locate(text, &["/a/1", "/b/2", "/c/0", "/a/3/1/y"]);
        let at = |i: usize| {
            let s = spans[i].expect("resolves");
            &text[s.offset..s.offset + s.len]
        };
        assert_eq!(at(0), "5");
        assert_eq!(at(1), "2");
        assert_eq!(
            at(2),
            "\"member\"",
            "an index token can name an object member"
        );
        assert_eq!(at(3), "\"[\"");
    }
}

/// A name that repeats in one object: the name and the spans of its two
/// keys (the quotes included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateKey {
    /// The name, decoded.
    pub key: String,
    /// The first key.
    pub first: Span,
    /// The key that repeats it.
    pub second: Span,
}

/// Finds the first name that repeats in one object of a JSON text, by
/// document order of the second occurrence. The parser only reports that a
/// key repeats; this slower scan, run on that error alone, finds where
/// both are. Names compare decoded (`"a"` and `"\u0061"` are one name).
pub fn find_duplicate_key(text: &str) -> Option<DuplicateKey> {
    use std::collections::HashMap;
    let bytes = text.as_bytes();
    // One frame per open container: an object's names so far, or none for
    // an array.
    let mut frames: Vec<Option<HashMap<String, Span>>> = Vec::new();
    let mut expecting_key = false;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => {
                let end = string_end(bytes, i)?;
                if expecting_key && let Some(Some(names)) = frames.last_mut() {
                    let raw = text.get(i..end)?;
                    let name: String = serde_json::from_str(raw).ok()?;
                    let span = Span {
                        offset: i,
                        len: end - i,
                    };
                    if let Some(&first) = names.get(&name) {
                        return Some(DuplicateKey {
                            key: name,
                            first,
                            second: span,
                        });
                    }
                    names.insert(name, span);
                    expecting_key = false;
                }
                i = end;
                continue;
            }
            b'{' => {
                frames.push(Some(HashMap::new()));
                expecting_key = true;
            }
            b'[' => {
                frames.push(None);
                expecting_key = false;
            }
            b'}' | b']' => {
                frames.pop();
                expecting_key = false;
            }
            b',' => expecting_key = matches!(frames.last(), Some(Some(_))),
            _ => {}
        }
        i += 1;
    }
    None
}

/// The offset just past the string that starts at `start` (a `"`).
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    loop {
        match bytes.get(i)? {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
}

#[cfg(test)]
mod duplicate_tests {
    use super::*;

    #[test]
    fn finds_both_keys_of_a_repeated_name() {
        let text = r#"{"a": {"x": 1, "y": [{"x": 2}], "\u0078": 3}, "b": 1}"#;
        let dup = find_duplicate_key(text).expect("a duplicate");
        assert_eq!(dup.key, "x");
        assert_eq!(
            &text[dup.first.offset..dup.first.offset + dup.first.len],
            r#""x""#
        );
        assert_eq!(
            &text[dup.second.offset..dup.second.offset + dup.second.len],
            r#""\u0078""#
        );
        assert_eq!(
            find_duplicate_key(r#"{"a": {"a": 1}, "b": ["a", "a"]}"#),
            None
        );
    }
}
