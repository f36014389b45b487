//! Parsing a large snapshot on two threads.
//!
//! A snapshot is one object whose few members hold long arrays of records.
//! While this thread parses the document from its start, a second thread
//! parses the second half of the longest array: it starts at an element
//! boundary it guesses from the indentation, and this thread uses its work
//! only if its own parse lands on exactly that boundary. The guess is
//! cheap and exact for pretty-printed JSON (`rcaudit fetch`'s output, jq's,
//! Python's): a raw line feed cannot be inside a string, so a line holding
//! only the indentation of the root's members twice and `{`, after a `,`,
//! starts an element of an array that is a member of the root.
//!
//! **The serial parse stays the reference.** Both threads read each value
//! with [`crate::scan`], which builds the tree with the same calls as the
//! serial parse's serde visitor ([`crate::value::serial`]) and leaves
//! escapes and unusual numbers to `serde_json`, and the grammar between
//! values (`{`, `"name"`, `:`, `,`, `[`, `]`, `}`, whitespace) is checked
//! here. Anything unexpected (a syntax error, a repeated name, nesting
//! deeper than [`DEEPEST`], a compact file) gives `None`, and the caller
//! parses the document again on one thread, which then gives the result
//! or the error, message and all. A test compares
//! the trees of both parses, member order and all.

use crate::locate::{Index, Member};
use crate::scan::skip_space;
use crate::value::{Key, Node, Object, Parsing};

/// Documents smaller than this are parsed on one thread: starting a thread
/// costs more than it saves.
pub(crate) const LARGE: usize = 8 << 20;

/// How deeply a value parsed on its own may nest. A value parsed on its own
/// starts at depth 0, where in the document it is nested one or two levels
/// deeper, so `serde_json`'s limit (128) would let through what the serial
/// parse refuses; anything deeper than this goes to the serial parse.
const DEEPEST: usize = 100;

/// A parse for one thread of the two.
fn parsing(lend: Option<&'static str>) -> Parsing {
    Parsing::nested_at_most(DEEPEST).lending(lend)
}

/// Parses `text` on two threads, if it is at least `large` bytes and
/// pretty-printed; `None` otherwise, or if anything is not as expected
/// (see the module's documentation). The parse passes every root member
/// and element boundary, so it gives the text's element [`Index`] too,
/// which locating findings would otherwise build in a scan of its own.
/// With `lend`, strings are borrowed from the text (see
/// [`crate::value::parse_indexed`]).
pub(crate) fn parse(text: &str, large: usize, lend: Option<&'static str>) -> Option<(Node, Index)> {
    halves(text, large, lend).map(|(node, index, _)| (node, index))
}

/// [`parse`], and whether the second thread's elements were used.
fn halves(text: &str, large: usize, lend: Option<&'static str>) -> Option<(Node, Index, bool)> {
    if text.len() < large {
        return None;
    }
    let split = boundary(text)?;
    std::thread::scope(|scope| {
        let tail = std::thread::Builder::new()
            .name("rcaudit-parse".to_owned())
            .spawn_scoped(scope, move || elements(text, split, &mut parsing(lend)))
            .ok()?;
        let mut root = Root {
            text,
            split,
            tail: Some(tail),
            cx: parsing(lend),
        };
        let (node, index) = root.parse()?;
        Some((node, index, root.tail.is_none()))
    })
}

/// Where the second thread starts: an element boundary of a root member's
/// array, at or after the middle of the text, guessed from the indentation.
fn boundary(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let open = skip_space(bytes, 0);
    if bytes.get(open) != Some(&b'{') {
        return None;
    }
    // `{`, a line feed, the indentation of the root's members, `"`.
    let rest = bytes.get(open + 1..)?;
    let line = rest
        .strip_prefix(b"\r\n")
        .or_else(|| rest.strip_prefix(b"\n"))?;
    let unit = line.first().filter(|&&c| c == b' ' || c == b'\t')?;
    let width = line.iter().take_while(|&c| c == unit).count();
    if line.get(width) != Some(&b'"') {
        return None;
    }
    let mut needle = vec![b'\n'];
    needle.extend(std::iter::repeat_n(*unit, 2 * width));
    needle.push(b'{');
    let middle = text.len() / 2;
    let found = middle + memchr::memmem::find(bytes.get(middle..)?, &needle)?;
    // The line before ends with `,` (and perhaps `\r`).
    let before = bytes.get(..found)?;
    let comma = before
        .iter()
        .rposition(|c| !matches!(c, b' ' | b'\t' | b'\r'))?;
    (before.get(comma) == Some(&b',')).then_some(found + needle.len() - 1)
}

/// The elements of an array from `at` (an element's start) to its `]`,
/// where each starts, and where the array ends.
fn elements(text: &str, mut at: usize, cx: &mut Parsing) -> Option<(Vec<Node>, Vec<usize>, usize)> {
    let bytes = text.as_bytes();
    let mut items = Vec::new();
    let mut starts = Vec::new();
    loop {
        starts.push(at);
        let (node, end) = crate::scan::value(text, at, cx, items.last())?;
        items.push(node);
        at = skip_space(bytes, end);
        match bytes.get(at)? {
            b',' => at = skip_space(bytes, at + 1),
            b']' => return Some((items, starts, at + 1)),
            _ => return None,
        }
    }
}

type Tail<'s> = std::thread::ScopedJoinHandle<'s, Option<(Vec<Node>, Vec<usize>, usize)>>;

/// This thread's part: the root object, member by member, and the arrays
/// among them element by element, so it knows when it reaches the second
/// thread's start.
struct Root<'t, 's> {
    text: &'t str,
    split: usize,
    tail: Option<Tail<'s>>,
    cx: Parsing,
}

impl Root<'_, '_> {
    fn parse(&mut self) -> Option<(Node, Index)> {
        let bytes = self.text.as_bytes();
        let mut at = skip_space(bytes, 0);
        if bytes.get(at) != Some(&b'{') {
            return None;
        }
        at = skip_space(bytes, at + 1);
        let mut members: Vec<(Key, Node)> = Vec::new();
        let mut index: Vec<Member> = Vec::new();
        if bytes.get(at) == Some(&b'}') {
            at += 1;
        } else {
            loop {
                if bytes.get(at) != Some(&b'"') {
                    return None;
                }
                let (key, end) = crate::scan::key(self.text, at, &mut self.cx)?;
                at = skip_space(bytes, end);
                if bytes.get(at) != Some(&b':') {
                    return None;
                }
                at = skip_space(bytes, at + 1);
                let (value, starts, end) = if bytes.get(at) == Some(&b'[') {
                    let (value, starts, end) = self.array(at)?;
                    (value, Some(starts), end)
                } else {
                    let (value, end) = crate::scan::value(self.text, at, &mut self.cx, None)?;
                    (value, None, end)
                };
                if members.iter().any(|(k, _)| k.inner() == key.inner()) {
                    return None;
                }
                index.push(Member {
                    name: key.inner().to_string(),
                    start: at,
                    end,
                    elements: starts,
                });
                members.push((key, value));
                at = skip_space(bytes, end);
                match bytes.get(at)? {
                    b',' => at = skip_space(bytes, at + 1),
                    b'}' => {
                        at += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        (skip_space(bytes, at) == bytes.len())
            .then(|| (Node::Object(Object::new(members)), Index::new(index)))
    }

    /// The array that starts at `at` (its `[`), where its elements start,
    /// and where it ends; from the second thread's start, its elements are
    /// the second thread's.
    fn array(&mut self, at: usize) -> Option<(Node, Vec<usize>, usize)> {
        let bytes = self.text.as_bytes();
        let mut at = skip_space(bytes, at + 1);
        let mut items = Vec::new();
        let mut starts = Vec::new();
        if bytes.get(at) == Some(&b']') {
            return Some((Node::Array(items.into()), starts, at + 1));
        }
        loop {
            if at == self.split
                && let Some(tail) = self.tail.take()
            {
                let (rest, more, end) = tail.join().ok()??;
                items.extend(rest);
                starts.extend(more);
                return Some((Node::Array(items.into()), starts, end));
            }
            starts.push(at);
            let (node, end) = crate::scan::value(self.text, at, &mut self.cx, items.last())?;
            items.push(node);
            at = skip_space(bytes, end);
            match bytes.get(at)? {
                b',' => at = skip_space(bytes, at + 1),
                b']' => return Some((Node::Array(items.into()), starts, at + 1)),
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::same;

    fn records(count: usize) -> serde_json::Value {
        let records: Vec<serde_json::Value> = (0..count)
            .map(|i| {
                serde_json::json!({
                    "id": i,
                    "uri": format!("https://x/{i}"),
                    "name": format!("é \"{i}\"\n,\n    {{"),
                    "n": [1.5, -2, 18_446_744_073_709_551_615_u64, null, true],
                    "nested": [{"a": {"b": [i % 3]}}, {}],
                })
            })
            .collect();
        serde_json::json!({
            "snapshotVersion": 1,
            "phoneNumbers": records.get(..count / 4).unwrap_or_default(),
            "extensions": records,
            "errors": [],
            "empty": {},
        })
    }

    /// Pretty-printed documents: the two-thread parse is used and gives
    /// the serial parse's tree, and the element index a scan of the text
    /// builds.
    #[test]
    fn two_threads_give_the_serial_tree() {
        for count in [2, 3, 50, 333] {
            let value = records(count);
            for text in [
                serde_json::to_string_pretty(&value).expect("json"),
                serde_json::to_string_pretty(&value)
                    .expect("json")
                    .replace('\n', "\r\n"),
                {
                    let mut out = Vec::new();
                    let style = serde_json::ser::PrettyFormatter::with_indent(b"\t");
                    let mut ser = serde_json::Serializer::with_formatter(&mut out, style);
                    serde::Serialize::serialize(&value, &mut ser).expect("json");
                    String::from_utf8(out).expect("utf-8")
                },
            ] {
                let serial = crate::value::serial(&text, None).expect("valid");
                assert!(boundary(&text).is_some(), "{count}: no boundary");
                let (two, index, used) = halves(&text, 0, None).expect("parsed on two threads");
                assert!(used, "{count}: the second thread's part was not used");
                assert!(same(&serial, &two), "{count}");
                assert_eq!(index, Index::build(&text), "{count}");
                let lent: &'static str = text.leak();
                let (borrowed, _, _) = halves(lent, 0, Some(lent)).expect("parsed");
                assert!(same(&serial, &borrowed), "{count}, lending");
            }
        }
    }

    /// Records are read as like the one before (their names compared with
    /// the text, not read): records that differ from the one before in
    /// any way (order, an escaped or missing or extra name, a name that
    /// begins another, a quote in a name) give the serial parse's tree,
    /// records alike share one shape, and a name repeated after the
    /// expected ones is still an error.
    #[test]
    fn records_read_as_like_the_one_before_give_the_serial_tree() {
        let records = [
            r#"{"id": 1, "name": "a", "more": {"x": 1, "y": [{"p": 1}, {"p": 2}]}}"#,
            r#"{"id": 2, "name": "b", "more": {"x": 2, "y": [{"p": 3}, {"q": 4}, {"p": 5}]}}"#,
            r#"{"id": 3, "name": "c", "more": {"x": 3, "y": [{"p": 1}, {"p": 2}]}}"#,
            r#"{"name": "d", "id": 4, "more": {"y": [], "x": 4}}"#,
            r#"{"\u0069d": 5, "name": "e", "more": {"x": 5, "y": [{"p": 6}]}}"#,
            r#"{"id": 6, "name": "f", "more": {"x": 6, "y": [{"p": 7}]}, "extra": true}"#,
            r#"{"id": 7, "name": "g"}"#,
            r#"{"i": 8, "nam": "h", "more": {"x": 8, "y": [{"p": 9}]}}"#,
            r#"{"id": 9, "name": "i", "more": 1}"#,
            r#"{"a\"b": 10, "id": 10}"#,
            r#"{"a\"b": 11, "id": 11}"#,
            r#"{"id": 12, "name": "j", "more": {"x": 12, "y": [{"p": 13}, {"p": 14}]}}"#,
            r#"{"id": 13, "name": "k", "more": {"x": 13, "y": [{"p": 15}, {"p": 16}]}}"#,
        ];
        let body = |records: &[&str]| records.join(",\n    ");
        let text = format!(
            "{{\n  \"extensions\": [\n    {},\n    {}\n  ],\n  \"errors\": []\n}}",
            body(&records),
            body(&records)
        );
        let serial = crate::value::serial(&text, None).expect("valid");
        let (two, _, used) = halves(&text, 0, None).expect("parsed on two threads");
        assert!(used);
        assert!(same(&serial, &two));
        let Some(Node::Array(records)) = two.get("extensions") else {
            panic!("extensions");
        };
        let names = |at: usize| {
            records
                .get(at)
                .and_then(Node::as_object)
                .map(|o| o.names().as_ptr())
        };
        assert_eq!(names(0), names(2), "records alike share a shape");
        assert_eq!(names(11), names(12), "records alike share a shape");
        assert_ne!(names(0), names(3), "another order is another shape");

        let repeated = text.replacen(
            r#""id": 3, "name": "c", "more": {"x": 3, "y": [{"p": 1}, {"p": 2}]}"#,
            r#""id": 3, "name": "c", "more": {"x": 3, "y": []}, "id": 3"#,
            1,
        );
        assert!(halves(&repeated, 0, None).is_none());
        let error = crate::value::parse(&repeated).expect_err("a repeated name");
        assert!(
            error.to_string().starts_with(crate::value::DUPLICATE_KEY),
            "{error}"
        );

        // A longer name that begins with the expected one is not it.
        let longer = text.replacen(r#"{"id": 3, "name": "c""#, r#"{"idx": 3, "names": "c""#, 1);
        let serial = crate::value::serial(&longer, None).expect("valid");
        let (two, _, _) = halves(&longer, 0, None).expect("parsed on two threads");
        assert!(same(&serial, &two));
        // A name with a quote in it is never expected: its bytes would
        // read as a name and more in a record that is not valid JSON.
        let quoted = text
            .replacen(r#"{"a\"b": 10, "id": 10}"#, r#"{"a\", \"b": 10}"#, 1)
            .replacen(r#"{"a\"b": 11, "id": 11}"#, r#"{"a", "b": 11}"#, 1);
        assert!(crate::value::serial(&quoted, None).is_err());
        assert!(halves(&quoted, 0, None).is_none());
    }

    /// Whatever is not a pretty-printed, valid, shallow document is left to
    /// the serial parse, which gives the error or the tree.
    #[test]
    fn anything_unexpected_is_left_to_the_serial_parse() {
        let pretty = serde_json::to_string_pretty(&records(40)).expect("json");
        let compact = serde_json::to_string(&records(40)).expect("json");
        let mid = pretty.len() * 3 / 4;
        let broken = [
            compact.clone(),
            format!("{pretty} x"),
            format!(
                "{}]{}",
                pretty.get(..mid).expect("cut"),
                pretty.get(mid..).expect("cut")
            ),
            pretty.replacen("\"errors\": []", "\"errors\": [], \"extensions\": 1", 1),
            pretty.replacen("\"snapshotVersion\": 1", "\"snapshotVersion\": 1,", 1),
            pretty.replacen(
                "\"empty\": {}",
                &format!("\"empty\": {}{}", "[".repeat(110), "]".repeat(110)),
                1,
            ),
            "[1, 2]".to_owned(),
            String::new(),
        ];
        for text in &broken {
            assert!(
                parse(text, 0, None).is_none(),
                "{}",
                text.get(..80).unwrap_or(text)
            );
        }
        // The deep document is valid: the serial parse reads it.
        let deep = broken.get(5).expect("deep");
        assert!(crate::value::serial(deep, None).is_ok());
        assert!(crate::value::parse(deep).is_ok());
        // Small documents are not split at all.
        assert!(parse(&pretty, pretty.len() + 1, None).is_none());
    }
}
