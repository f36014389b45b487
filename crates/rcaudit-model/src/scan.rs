//! One JSON value read straight into a [`Node`], without serde: the loop
//! the two-thread parse ([`crate::halves`]) runs for each record of a large
//! snapshot.
//!
//! `serde_json` stays the reference. This reader builds the tree with the
//! same [`Parsing`] calls as the serde visitor ([`crate::value::NodeSeed`]),
//! and reads only the common forms itself: literals, strings without
//! escapes, integers of at most 18 digits, arrays and objects. A string
//! with an escape and any other number are read by `serde_json` itself.
//! Anything it does not expect (a syntax error, a control character in a
//! string, a repeated name, nesting too deep) gives `None`, and the caller
//! leaves the whole document to the serial parse, which gives the tree or
//! the error, message and all. A property test requires the serial
//! parse's tree whenever this reader gives one.

use std::borrow::Cow;
use std::fmt;

use cel::common::types::{CelBool, CelDouble, CelInt};
use serde::de::{Deserialize, Deserializer, Visitor};

use crate::value::{Key, Node, Object, Open, Parsing};

/// The value that starts at `at` in `text` (not at whitespace), and where
/// it ends; `None` for anything the serial parse must decide.
///
/// `like` is a value this parse read before that this one is likely to
/// resemble (the array element before it): objects in it, at the same
/// places, give the names to expect (see [`Scan::expected`]).
pub(crate) fn value(
    text: &str,
    at: usize,
    cx: &mut Parsing,
    like: Option<&Node>,
) -> Option<(Node, usize)> {
    Scan {
        text,
        bytes: text.as_bytes(),
        cx,
    }
    .value(at, like)
}

/// The object key that starts at `at` (its `"`), interned, and where it
/// ends.
pub(crate) fn key(text: &str, at: usize, cx: &mut Parsing) -> Option<(Key, usize)> {
    Scan {
        text,
        bytes: text.as_bytes(),
        cx,
    }
    .key(at)
}

struct Scan<'t, 'c> {
    text: &'t str,
    bytes: &'t [u8],
    cx: &'c mut Parsing,
}

/// The first byte at or after `at` that is not JSON whitespace.
pub(crate) fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = bytes.get(at) {
        at += 1;
    }
    at
}

/// What [`Scan::string`] found.
enum Str {
    /// No escape: the closing quote is here.
    Plain(usize),
    /// An escape: `serde_json` reads the string.
    Escaped,
}

/// Where a container's reading goes on.
enum Then {
    /// At the next element or member, here.
    Next(usize),
    /// Past the closing bracket, here.
    Closed(usize),
}

impl Scan<'_, '_> {
    fn value(&mut self, at: usize, like: Option<&Node>) -> Option<(Node, usize)> {
        match *self.bytes.get(at)? {
            b'"' => match self.string(at)? {
                Str::Plain(end) => Some((self.cx.text(self.text.get(at + 1..end)?), end + 1)),
                Str::Escaped => {
                    let (Text(text), end) = serde_one::<Text>(self.text, at)?;
                    Some((self.cx.unescaped(&text), end))
                }
            },
            b'[' => self.array(at, like.and_then(Node::as_array)),
            b'{' => self.object(at, like.and_then(Node::as_object)),
            b't' => self.literal(at, b"true", Node::Bool(CelBool::from(true))),
            b'f' => self.literal(at, b"false", Node::Bool(CelBool::from(false))),
            b'n' => self.literal(at, b"null", Node::Null),
            b'-' | b'0'..=b'9' => self.number(at),
            _ => None,
        }
    }

    fn literal(&self, at: usize, word: &[u8], node: Node) -> Option<(Node, usize)> {
        let end = at + word.len();
        crate::value::same_text(self.bytes.get(at..end)?, word).then_some((node, end))
    }

    /// The string that starts at `at` (its `"`); `None` for an
    /// unterminated string or a raw control character, which JSON forbids.
    fn string(&self, at: usize) -> Option<Str> {
        let mut i = at + 1;
        loop {
            match *self.bytes.get(i)? {
                b'"' => return Some(Str::Plain(i)),
                b'\\' => return Some(Str::Escaped),
                0..=0x1f => return None,
                _ => i += 1,
            }
        }
    }

    fn number(&self, at: usize) -> Option<(Node, usize)> {
        let negative = self.bytes.get(at) == Some(&b'-');
        let first = at + usize::from(negative);
        let mut end = first;
        let mut significand: u64 = 0;
        while let Some(&digit @ b'0'..=b'9') = self.bytes.get(end) {
            // Wrapping: a number of more than 18 digits is read by
            // `serde_json` below, and this value is not used.
            significand = significand
                .wrapping_mul(10)
                .wrapping_add(u64::from(digit - b'0'));
            end += 1;
        }
        let digits = end - first;
        let fraction = matches!(self.bytes.get(end), Some(b'.' | b'e' | b'E'));
        if digits == 0 || (digits > 1 && self.bytes.get(first) == Some(&b'0')) {
            return None;
        }
        if fraction || digits > 18 {
            let (Number(node), end) = serde_one::<Number>(self.text, at)?;
            return Some((node, end));
        }
        let value = i64::try_from(significand).ok()?;
        // As `serde_json` reads them: `-0` is a float.
        let node = match (negative, value) {
            (false, value) => Node::Int(CelInt::from(value)),
            (true, 0) => Node::Double(CelDouble::from(-0.0)),
            (true, value) => Node::Int(CelInt::from(-value)),
        };
        Some((node, end))
    }

    /// The array at `at`; its `n`th element is expected to be like the
    /// `n`th of `like` (or its last), else like the element before it.
    fn array(&mut self, at: usize, like: Option<&[Node]>) -> Option<(Node, usize)> {
        let start = self.cx.open_array::<serde_json::Error>().ok()?;
        let mut next = self.first(at, b']');
        let mut n = 0;
        while let Then::Next(i) = next {
            let before = match like {
                Some(_) => None,
                None => self.cx.last_object(start).map(Node::Object),
            };
            let model = like
                .and_then(|items| items.get(n).or_else(|| items.last()))
                .or(before.as_ref());
            n += 1;
            let (node, end) = self.value(i, model)?;
            self.cx.push_element(node);
            next = self.then(end, b']')?;
        }
        let Then::Closed(end) = next else {
            return None;
        };
        Some((self.cx.close_array(start), end))
    }

    /// What follows the `[` or `{` at `at`: its first element or member,
    /// or at once its `close`.
    fn first(&self, at: usize, close: u8) -> Then {
        let i = skip_space(self.bytes, at + 1);
        if self.bytes.get(i) == Some(&close) {
            Then::Closed(i + 1)
        } else {
            Then::Next(i)
        }
    }

    /// What follows an element or member that ends at `end`: `,` and the
    /// next one, or the container's `close`; `None` for anything else.
    fn then(&self, end: usize, close: u8) -> Option<Then> {
        let i = skip_space(self.bytes, end);
        match *self.bytes.get(i)? {
            b',' => Some(Then::Next(skip_space(self.bytes, i + 1))),
            b if b == close => Some(Then::Closed(i + 1)),
            _ => None,
        }
    }

    /// The object at `at`. While its names are those of `like`, in order,
    /// each is compared with the text rather than read and interned, and
    /// each value is read as like `like`'s; an object with all of them
    /// and no more takes `like`'s shape.
    ///
    /// Names that match are not pushed (no reference count to raise and
    /// lower for each member): `like`'s names are distinct, its parse
    /// checked them, so a prefix of them needs no check for repeats. At the
    /// first name that differs, or an end before all of them, the prefix is
    /// pushed and checked as if it had been read.
    fn object(&mut self, at: usize, like: Option<&Object>) -> Option<(Node, usize)> {
        let start = self.cx.open_object::<serde_json::Error>().ok()?;
        let mut like = like.filter(|model| model.shape().plain());
        let mut seen = 0u64;
        let mut n = 0;
        let mut next = self.first(at, b'}');
        while let Then::Next(i) = next {
            let matched = like.and_then(|model| {
                let end = self.expected(i, model.names().get(n)?)?;
                Some((end, model.values().get(n)))
            });
            let (end, model) = match matched {
                Some(found) => found,
                None => {
                    self.give_up_shape(start, &mut seen, &mut like, n)?;
                    let (key, end) = self.key(i)?;
                    self.cx
                        .new_name::<serde_json::Error>(start, &mut seen, &key)
                        .ok()?;
                    self.cx.push_name(key);
                    (end, None)
                }
            };
            n += 1;
            let colon = skip_space(self.bytes, end);
            if self.bytes.get(colon) != Some(&b':') {
                return None;
            }
            let (node, end) = self.value(skip_space(self.bytes, colon + 1), model)?;
            self.cx.push_value(node);
            next = self.then(end, b'}')?;
        }
        let Then::Closed(end) = next else {
            return None;
        };
        if like.is_some_and(|model| model.len() != n) {
            self.give_up_shape(start, &mut seen, &mut like, n)?;
        }
        let shape = like.map(Object::shape);
        Some((self.cx.close_object_shaped(start, shape), end))
    }

    /// The object being read stops following `like`: the names of its
    /// first `n` members, `like`'s, are pushed, each checked as new.
    fn give_up_shape(
        &mut self,
        start: Open,
        seen: &mut u64,
        like: &mut Option<&Object>,
        n: usize,
    ) -> Option<()> {
        if let Some(model) = like.take() {
            for name in model.names().get(..n)? {
                self.cx
                    .new_name::<serde_json::Error>(start, seen, name)
                    .ok()?;
                self.cx.push_name(Key::clone(name));
            }
        }
        Some(())
    }

    /// Where the key at `at` ends if it is `name` written plainly (`"`
    /// `name` `"`). Only names of a plain shape are expected
    /// ([`crate::value::Shape::plain`]), so equal bytes are the same name,
    /// and the quote after them ends the key.
    fn expected(&self, at: usize, name: &Key) -> Option<usize> {
        let text = name.inner().as_bytes();
        let end = at + 1 + text.len();
        (self.bytes.get(at) == Some(&b'"')
            && self
                .bytes
                .get(at + 1..end)
                .is_some_and(|read| crate::value::same_text(read, text))
            && self.bytes.get(end) == Some(&b'"'))
        .then_some(end + 1)
    }

    fn key(&mut self, at: usize) -> Option<(Key, usize)> {
        if self.bytes.get(at) != Some(&b'"') {
            return None;
        }
        match self.string(at)? {
            Str::Plain(end) => Some((self.cx.intern(self.text.get(at + 1..end)?), end + 1)),
            Str::Escaped => {
                let (Text(text), end) = serde_one::<Text>(self.text, at)?;
                Some((self.cx.intern(&text), end))
            }
        }
    }
}

/// The value of type `T` that starts at `at`, read by `serde_json`, and
/// where it ends.
fn serde_one<'t, T: Deserialize<'t>>(text: &'t str, at: usize) -> Option<(T, usize)> {
    let mut stream = serde_json::Deserializer::from_str(text.get(at..)?).into_iter::<T>();
    let value = stream.next()?.ok()?;
    Some((value, at + stream.byte_offset()))
}

/// A string as `serde_json` reads it, escapes and all.
struct Text<'t>(Cow<'t, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Text<'de>, D::Error> {
        struct Strings;
        impl<'de> Visitor<'de> for Strings {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(Strings)
    }
}

/// A number as `serde_json` reads it, converted as the serde visitor
/// converts it.
struct Number(Node);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Number, D::Error> {
        struct Numbers;
        impl Visitor<'_> for Numbers {
            type Value = Number;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_i64<E>(self, v: i64) -> Result<Number, E> {
                Ok(Number(Node::Int(CelInt::from(v))))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Number, E> {
                Ok(Number(Node::unsigned(v)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Number, E> {
                Ok(Number(Node::Double(CelDouble::from(v))))
            }
        }
        deserializer.deserialize_any(Numbers)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::value::{same, serial};

    /// Number literals: every notation, the i64/u64 edges; with `mistakes`,
    /// leading zeros, a lone sign, a bare point too.
    fn number(mistakes: bool) -> impl Strategy<Value = String> {
        let mut odd = vec![
            "0",
            "-0",
            "-0.0",
            "999999999999999999",
            "-999999999999999999",
            "1000000000000000000",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "18446744073709551615",
            "18446744073709551616",
            "1e308",
            "1e309",
            "4.9e-324",
            "1E5",
            "-1.5e-3",
        ];
        if mistakes {
            odd.extend([
                "00", "-00", "01", "-", "1.", ".5", "1e", "1e+", "+1", "0x1", "NaN", "Infinity",
            ]);
        }
        prop_oneof![
            any::<i64>().prop_map(|i| i.to_string()),
            any::<u64>().prop_map(|u| u.to_string()),
            prop::sample::select(odd).prop_map(str::to_owned),
            "-?(0|[1-9][0-9]{0,22})(\\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?",
        ]
    }

    /// String literals as written: plain, with escapes of every kind
    /// (surrogate pairs too); with `mistakes`, lone surrogates, unknown
    /// escapes, raw control characters, unterminated strings.
    fn string(mistakes: bool) -> impl Strategy<Value = String> {
        let mut odd = vec![
            "\\\"",
            "\\\\",
            "\\/",
            "\\b",
            "\\f",
            "\\n",
            "\\r",
            "\\t",
            "\\u00e9",
            "\\ud83d\\ude00",
            "\u{7f}",
        ];
        if mistakes {
            odd.extend(["\\ud83d", "\\ude00x", "\\x", "\\u12", "\t", "\n", "\u{1}"]);
        }
        let piece = prop_oneof![
            4 => "[a-zA-Z0-9 ~/é€😀]{0,6}",
            2 => prop::sample::select(odd).prop_map(str::to_owned),
        ];
        let closed = if mistakes { 0.97 } else { 1.0 };
        (
            prop::collection::vec(piece, 0..4),
            prop::bool::weighted(closed),
        )
            .prop_map(|(pieces, closed)| {
                format!("\"{}{}", pieces.concat(), if closed { "\"" } else { "" })
            })
    }

    fn space() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec!["", "", " ", "\n  ", "\t", "\r\n"])
    }

    /// JSON text; with `mistakes`, also those the leaves and the separators
    /// can make (a trailing comma, a missing colon, a repeated name, a
    /// misspelt literal, a space JSON does not allow).
    fn text(mistakes: bool) -> impl Strategy<Value = String> {
        let mut words = vec!["null", "true", "false"];
        if mistakes {
            words.extend(["nul", "truex", "True"]);
        }
        let leaf = prop_oneof![
            prop::sample::select(words).prop_map(str::to_owned),
            number(mistakes),
            string(mistakes),
        ];
        let quirks = if mistakes { 0..=u8::MAX } else { 12..=u8::MAX };
        let space = move || {
            prop_oneof![
                9 => space(),
                u32::from(mistakes) => Just("\u{a0}"),
            ]
        };
        leaf.prop_recursive(6, 64, 6, move |inner| {
            prop_oneof![
                (
                    prop::collection::vec((space(), inner.clone()), 0..5),
                    space(),
                    quirks.clone()
                )
                    .prop_map(|(items, end, quirk)| {
                        let body: Vec<String> =
                            items.iter().map(|(s, v)| format!("{s}{v}")).collect();
                        let comma = if quirk < 8 { "," } else { "" };
                        format!("[{}{comma}{end}]", body.join(","))
                    }),
                (
                    prop::collection::vec((string(mistakes), space(), inner), 0..5),
                    quirks.clone()
                )
                    .prop_map(|(members, quirk)| {
                        let mut names = std::collections::HashSet::new();
                        let mut body: Vec<String> = members
                            .iter()
                            .filter(|(k, _, _)| quirk < 12 || names.insert(k.clone()))
                            .map(|(k, s, v)| format!("{k}{s}:{s}{v}"))
                            .collect();
                        if quirk < 8
                            && let Some(first) = body.first().cloned()
                        {
                            body.push(first);
                        }
                        if (8..12).contains(&quirk)
                            && let Some(last) = body.last_mut()
                        {
                            *last = last.replacen(':', "", 1);
                        }
                        format!("{{{}}}", body.join(","))
                    }),
            ]
        })
    }

    /// Whenever the reader gives a value, the serial parse gives the same
    /// tree, and the value ends where the text's value does.
    fn agrees(text: &str) -> Result<bool, TestCaseError> {
        let doc = format!("[{text} , {text}]");
        let scanned = value(&doc, 0, &mut Parsing::nested_at_most(100), None);
        let reference = serial(&doc, None);
        match (scanned, reference) {
            (Some((node, end)), Ok(tree)) => {
                prop_assert!(same(&node, &tree), "{doc}\n{node:?}\n{tree:?}");
                prop_assert_eq!(end, doc.len(), "{}", doc);
                Ok(true)
            }
            (Some((node, _)), Err(error)) => Err(TestCaseError::fail(format!(
                "{doc}: read {node:?}, serde_json: {error}"
            ))),
            (None, _) => Ok(false),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn what_it_reads_serde_json_reads_alike(text in text(true)) {
            agrees(&text)?;
        }

        /// And what the serial parse reads, this reader reads too, not
        /// leaving it to the slow path.
        #[test]
        fn valid_json_is_read(text in text(false)) {
            let valid = serial(&format!("[{text} , {text}]"), None).is_ok();
            prop_assert!(agrees(&text)? || !valid, "{}", text);
        }
    }

    /// It reads what a snapshot is made of, not only what is easy: valid
    /// documents of every kind are read, not left to the serial parse.
    #[test]
    fn valid_documents_are_read() {
        for text in [
            r#"{"a": [1, -2, 0, -0, 1.5, 1e3, 18446744073709551615, -9223372036854775809]}"#,
            r#"{"s": "plain", "e": "\"quoted\" \u00e9 \ud83d\ude00", "\u0041": null}"#,
            "[true, false, null, {}, [], [[]], {\"k\": {\"k\": {}}}]",
            "\"é😀\"",
            // Records like the one before, but for fewer names, more, others,
            // or the same in another order.
            r#"[{"a": 1, "b": 2}, {"a": 1}, {"a": 1, "b": 2, "c": 3}, {"b": 1, "a": 2}, {"a": 1, "c": 2}, {}]"#,
        ] {
            assert!(matches!(agrees(text), Ok(true)), "{text}");
        }
    }

    /// Mistakes the reader must leave to the serial parse, whose errors
    /// carry the messages.
    #[test]
    fn mistakes_are_left_to_the_serial_parse() {
        for text in [
            "[1,]",
            "{\"a\" 1}",
            "{\"a\": 1, \"a\": 2}",
            "[01]",
            "[-]",
            "[1.]",
            "\"a\u{1}\"",
            "\"open",
            "[1 2]",
            "{\"a\": 1,}",
            "tru",
            "nulll",
            "[\"\\x\"]",
            "{1: 2}",
            // A name repeated after names like those of the record before.
            r#"[{"a": 1, "b": 2}, {"a": 1, "a": 2}]"#,
            r#"[{"a": 1, "b": 2, "c": 3}, {"a": 1, "b": 2, "b": 3}]"#,
            r#"[{"a": 1, "b": 2}, {"a": 1, "b": 2, "a": 3}]"#,
        ] {
            let mut cx = Parsing::nested_at_most(100);
            let read = value(text, 0, &mut cx, None).filter(|(_, end)| *end == text.len());
            assert!(read.is_none(), "{text}");
            assert!(serial(text, None).is_err(), "{text}");
        }
    }

    /// Nesting is bounded as the two-thread parse asks.
    #[test]
    fn nesting_is_bounded() {
        let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let mut cx = Parsing::nested_at_most(100);
        assert!(value(&nested(100), 0, &mut cx, None).is_some());
        let mut cx = Parsing::nested_at_most(100);
        assert!(value(&nested(101), 0, &mut cx, None).is_none());
    }
}
