//! Source text with fast line lookups, for diagnostics that point into it.
//!
//! miette's own `SourceCode` for strings scans from the start of the text for
//! every report: on a 50 MB snapshot that is 150 ms a diagnostic. This one
//! counts lines once, in blocks, on first use, and then finds any line in a
//! few microseconds.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, OnceLock};

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// Bytes per checkpoint of the line index.
const BLOCK: usize = 1 << 10;

/// Offsets at least this many are turned into lines and columns on two
/// threads ([`SourceText::line_cols`]).
const TWO_THREADS: usize = 1024;

/// Lines longer than this are shown as a window around the span.
const LONG_LINE: usize = 240;

/// Bytes shown on each side of a span in a long line.
const WINDOW: usize = 60;

/// A named text (a snapshot file, a rule file, or a synthetic source) that
/// diagnostics can point into.
#[derive(Clone)]
pub struct SourceText {
    inner: Arc<Inner>,
}

struct Inner {
    name: String,
    /// Borrowed when the text lives as long as the process
    /// ([`SourceText::for_the_process`]).
    text: Cow<'static, str>,
    /// Lines that start before each `BLOCK` boundary, built on first use.
    checkpoints: OnceLock<Vec<u32>>,
    /// Where top-level members and array elements start, built on demand.
    elements: OnceLock<crate::locate::Index>,
    /// The text as snippets show it, when it holds characters a terminal
    /// would act on ([`crate::text::neutralize_in_place`]; same offsets).
    shown: OnceLock<Option<String>>,
}

/// A line and column, both 1-based; the column counts characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineCol {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl SourceText {
    /// The text of a source named `name` (its path, as diagnostics show it).
    /// The line index is built on first use.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> SourceText {
        SourceText::of(name.into(), Cow::Owned(text.into()))
    }

    /// A text that is never freed, so that what is parsed from it can
    /// borrow from it for as long as the process runs: for a process that
    /// reads one large snapshot and ends (the text would live that long
    /// anyway). Each call leaks its text.
    pub(crate) fn for_the_process(name: impl Into<String>, text: String) -> SourceText {
        SourceText::of(name.into(), Cow::Borrowed(text.leak()))
    }

    fn of(name: String, text: Cow<'static, str>) -> SourceText {
        SourceText {
            inner: Arc::new(Inner {
                name,
                text,
                checkpoints: OnceLock::new(),
                elements: OnceLock::new(),
                shown: OnceLock::new(),
            }),
        }
    }

    /// The name given to [`SourceText::new`].
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The bytes snippets show: the text, with every character a terminal
    /// would act on replaced by one of the same length.
    fn shown(&self) -> &[u8] {
        self.inner
            .shown
            .get_or_init(
                || match crate::text::neutralize_in_place(&self.inner.text) {
                    std::borrow::Cow::Borrowed(_) => None,
                    std::borrow::Cow::Owned(safe) => Some(safe),
                },
            )
            .as_deref()
            .unwrap_or(&self.inner.text)
            .as_bytes()
    }

    /// The whole text.
    pub fn text(&self) -> &str {
        &self.inner.text
    }

    /// The whole text, if it lives as long as the process.
    pub(crate) fn static_text(&self) -> Option<&'static str> {
        match self.inner.text {
            Cow::Borrowed(text) => Some(text),
            Cow::Owned(_) => None,
        }
    }

    /// Builds the line index now (it is otherwise built on first use), e.g.
    /// on a thread that would otherwise wait.
    pub fn index_lines(&self) {
        let _ = self.checkpoints();
    }

    /// Builds the element index [`SourceText::locate`] uses (otherwise it
    /// scans from the start), e.g. on a thread that would otherwise wait.
    pub fn index_elements(&self) {
        let _ = self
            .inner
            .elements
            .get_or_init(|| crate::locate::Index::build(&self.inner.text));
    }

    /// Gives the element index a parse built on the way (it must be this
    /// text's, as [`crate::locate::Index::build`] would build it).
    pub(crate) fn set_elements(&self, index: crate::locate::Index) {
        let _ = self.inner.elements.set(index);
    }

    /// The spans of JSON pointers in this text (see [`crate::locate()`]); uses
    /// the element index when it has been built.
    pub fn locate<S: AsRef<str>>(&self, pointers: &[S]) -> Vec<Option<crate::locate::Span>> {
        match self.inner.elements.get() {
            Some(index) => crate::locate::locate_indexed(&self.inner.text, index, pointers),
            None => crate::locate::locate(&self.inner.text, pointers),
        }
    }

    /// The span of the JSON string whose characters are `value`, found by
    /// address when `value` is a slice of this text: a string the tree
    /// borrowed from it ([`crate::Node::lent_str`]). It is the span
    /// [`SourceText::locate`] finds for the pointer to that string (the
    /// string and its quotes), without a search; `None` for a string held
    /// anywhere else.
    pub fn span_of_lent(&self, value: &str) -> Option<crate::locate::Span> {
        let text = self.inner.text.as_bytes();
        let from = value.as_ptr().addr().checked_sub(text.as_ptr().addr())?;
        let open = from.checked_sub(1)?;
        let close = from.checked_add(value.len())?;
        // `close < text.len()`, so all of `value` lies in the text.
        (text.get(open) == Some(&b'"') && text.get(close) == Some(&b'"')).then_some(
            crate::locate::Span {
                offset: open,
                len: value.len() + 2,
            },
        )
    }

    fn checkpoints(&self) -> &[u32] {
        self.inner.checkpoints.get_or_init(|| {
            let bytes = self.inner.text.as_bytes();
            let mut lines = 0u32;
            bytes
                .chunks(BLOCK)
                .map(|block| {
                    let before = lines;
                    let count = memchr::memchr_iter(b'\n', block).count();
                    lines = lines.saturating_add(u32::try_from(count).unwrap_or(u32::MAX));
                    before
                })
                .collect()
        })
    }

    /// The 0-based line an offset lies on.
    fn line_of(&self, offset: usize) -> usize {
        let bytes = self.inner.text.as_bytes();
        let offset = offset.min(bytes.len());
        let block = offset / BLOCK;
        let base = self.checkpoints().get(block).copied().unwrap_or(0) as usize;
        let from = block * BLOCK;
        base + bytes
            .get(from..offset)
            .map_or(0, |b| memchr::memchr_iter(b'\n', b).count())
    }

    /// Start of the line containing `offset`.
    fn line_start(&self, offset: usize) -> usize {
        let bytes = self.inner.text.as_bytes();
        let offset = offset.min(bytes.len());
        bytes
            .get(..offset)
            .and_then(|b| memchr::memrchr(b'\n', b))
            .map_or(0, |i| i + 1)
    }

    /// End of the line containing `offset` (the offset of its `\n`, or the end).
    fn line_end(&self, offset: usize) -> usize {
        let bytes = self.inner.text.as_bytes();
        let offset = offset.min(bytes.len());
        bytes
            .get(offset..)
            .and_then(|b| memchr::memchr(b'\n', b))
            .map_or(bytes.len(), |i| offset + i)
    }

    /// Line and column (1-based, in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> LineCol {
        let text = &self.inner.text;
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let start = self.line_start(offset);
        let column = text.get(start..offset).map_or(0, |s| s.chars().count());
        LineCol {
            line: self.line_of(offset) + 1,
            column: column + 1,
        }
    }

    /// [`SourceText::line_col`] of each of `offsets`, in their order. Many
    /// offsets (a large account's findings) are worked out in the text's
    /// order, each half of them on its own thread: each lookup reads the
    /// text around its offset, a cache miss in a large text, and in order
    /// the processor fetches the next lines ahead.
    pub fn line_cols(&self, offsets: &[usize]) -> Vec<LineCol> {
        let start = LineCol { line: 1, column: 1 };
        let mut out = vec![start; offsets.len()];
        let mut order: Vec<(usize, usize)> = offsets.iter().copied().zip(0..).collect();
        order.sort_unstable();
        let fill = |part: &[(usize, usize)]| -> Vec<LineCol> {
            part.iter()
                .map(|&(offset, _)| self.line_col(offset))
                .collect()
        };
        let (first, second) = order.split_at(if order.len() < TWO_THREADS {
            order.len()
        } else {
            order.len() / 2
        });
        // The line index is built once, before the threads share it.
        self.checkpoints();
        let (mine, theirs) = std::thread::scope(|scope| {
            let other = (!second.is_empty())
                .then(|| {
                    std::thread::Builder::new()
                        .name("rcaudit-lines".to_owned())
                        .spawn_scoped(scope, || fill(second))
                        .ok()
                })
                .flatten();
            let mine = fill(first);
            let theirs = other
                .and_then(|handle| handle.join().ok())
                .unwrap_or_else(|| fill(second));
            (mine, theirs)
        });
        for ((_, i), at) in order.iter().zip(mine.into_iter().chain(theirs)) {
            if let Some(slot) = out.get_mut(*i) {
                *slot = at;
            }
        }
        out
    }

    /// The byte offset of a 1-based line and a 1-based column counted in
    /// bytes, as `serde_json` reports them; clamped into the line.
    pub fn offset_of_line_byte_column(&self, line: usize, column: usize) -> usize {
        let start = self.start_of_line(line);
        (start + column.saturating_sub(1)).min(self.line_end(start))
    }

    /// The byte offset where a 1-based line starts (the end, past the last line).
    fn start_of_line(&self, line: usize) -> usize {
        let bytes = self.inner.text.as_bytes();
        if line <= 1 {
            return 0;
        }
        // The line starts after the `want`-th newline.
        let want = line - 1;
        let checkpoints = self.checkpoints();
        let block = checkpoints
            .partition_point(|&seen| (seen as usize) < want)
            .saturating_sub(1);
        let from = block * BLOCK;
        let mut seen = checkpoints.get(block).copied().unwrap_or(0) as usize;
        for i in memchr::memchr_iter(b'\n', bytes.get(from..).unwrap_or_default()) {
            seen += 1;
            if seen == want {
                return from + i + 1;
            }
        }
        bytes.len()
    }

    /// A span no longer than the first line of `offset..offset + len`: what a
    /// label under a multi-line value (a whole record) should underline.
    pub fn first_line_span(&self, offset: usize, len: usize) -> SourceSpan {
        let end = (offset + len).min(self.line_end(offset)).max(offset);
        SourceSpan::new(offset.into(), end - offset)
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

impl fmt::Debug for SourceText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SourceText")
            .field("name", &self.inner.name)
            .field("len", &self.inner.text.len())
            .finish()
    }
}

impl SourceCode for SourceText {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let text = &self.inner.text;
        let bytes = text.as_bytes();
        let start = span.offset();
        let end = start + span.len();
        if end > bytes.len() {
            return Err(MietteError::OutOfBounds);
        }
        let first_line = self.line_of(start);
        let line_start = self.line_start(start);
        if self.line_end(start) - line_start > LONG_LINE {
            // A minified document is one huge line: show a window of it.
            // Without context (how miette asks for the position it prints),
            // the window starts at the span, so its column is the span's.
            let before = if context_lines_before == 0 { 0 } else { WINDOW };
            let from = floor_char_boundary(text, start.saturating_sub(before).max(line_start));
            let to = floor_char_boundary(text, (end + WINDOW).min(self.line_end(start)));
            let to = to.max(end.min(bytes.len()));
            let data = self.shown().get(from..to).ok_or(MietteError::OutOfBounds)?;
            let column = text.get(line_start..from).map_or(0, |s| s.chars().count());
            return Ok(Box::new(MietteSpanContents::new_named(
                crate::text::neutralize(&self.inner.name).into_owned(),
                data,
                SourceSpan::new(from.into(), to - from),
                first_line,
                column,
                1,
            )));
        }
        let mut first = line_start;
        let mut lines_before = 0;
        while lines_before < context_lines_before && first > 0 {
            first = self.line_start(first - 1);
            lines_before += 1;
        }
        // The context ends after the line holding the span's last byte.
        let mut last = self.line_end(end.saturating_sub(1).max(start));
        let mut lines_after = 0;
        while lines_after < context_lines_after && last < bytes.len() {
            last = self.line_end(last + 1);
            lines_after += 1;
        }
        let (first, column) = if context_lines_before == 0 {
            (
                start,
                text.get(self.line_start(start)..start)
                    .map_or(0, |s| s.chars().count()),
            )
        } else {
            (first, 0)
        };
        let data = self
            .shown()
            .get(first..last)
            .ok_or(MietteError::OutOfBounds)?;
        let line_count = memchr::memchr_iter(b'\n', data).count() + 1;
        Ok(Box::new(MietteSpanContents::new_named(
            crate::text::neutralize(&self.inner.name).into_owned(),
            data,
            SourceSpan::new(first.into(), last - first),
            first_line - lines_before,
            column,
            line_count,
        )))
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    #[test]
    fn line_col_counts_lines_and_characters() {
        let src = SourceText::new("t", "ab\n\"é\": 1\nlast");
        assert_eq!(src.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(src.line_col(3), LineCol { line: 2, column: 1 });
        // after `"é"` (4 bytes, 3 characters)
        assert_eq!(src.line_col(7), LineCol { line: 2, column: 4 });
        assert_eq!(
            src.line_col(src.text().len()),
            LineCol { line: 3, column: 5 }
        );
    }

    #[test]
    fn offsets_from_serde_positions() {
        let src = SourceText::new("t", "{\n  \"a\": x\n}");
        assert_eq!(src.offset_of_line_byte_column(2, 8), 9);
        assert_eq!(&src.text()[9..10], "x");
        assert_eq!(src.offset_of_line_byte_column(1, 0), 0);
        assert_eq!(src.offset_of_line_byte_column(99, 1), src.text().len());
    }

    #[test]
    fn lines_across_blocks() {
        let mut text = String::new();
        for i in 0..50_000 {
            writeln!(text, "line {i}").unwrap();
        }
        let src = SourceText::new("big", text.clone());
        for line in [1usize, 2, 9_999, 10_000, 33_333, 50_000] {
            let offset = src.offset_of_line_byte_column(line, 1);
            assert_eq!(src.line_col(offset).line, line);
            assert!(text[offset..].starts_with(&format!("line {}\n", line - 1)));
        }
    }

    #[test]
    fn long_lines_are_windowed() {
        let text = format!("{}X{}", "a".repeat(10_000), "b".repeat(10_000));
        let src = SourceText::new("t", text);
        let contents = src
            .read_span(&SourceSpan::new(10_000.into(), 1), 1, 1)
            .expect("in bounds");
        assert!(contents.data().len() < 200, "{}", contents.data().len());
        assert!(contents.data().contains(&b'X'));
    }

    #[test]
    fn read_span_gives_context() {
        let src = SourceText::new("t", "1\n2\n3\n4\n5");
        let contents = src
            .read_span(&SourceSpan::new(4.into(), 1), 1, 1)
            .expect("in bounds");
        assert_eq!(contents.data(), b"2\n3\n4");
        assert_eq!(contents.line(), 1);
        assert!(src.read_span(&SourceSpan::new(9.into(), 5), 0, 0).is_err());
    }

    /// Every string a parse for the process lends from its text is found
    /// by address where the locator's scan finds its pointer: on one
    /// thread and on two (a pretty-printed document of records), with
    /// escapes (owned strings, which have no address in the text), empty
    /// strings and names that need escaping in a pointer.
    #[test]
    fn lent_strings_are_where_their_pointers_lead() {
        use proptest::prelude::*;
        let string = prop_oneof![
            "[a-c]{0,3}",
            Just("a\\\"b\n".to_owned()),
            Just(String::new())
        ];
        let record = prop::collection::btree_map("[a-c~/]{1,2}", string, 0..4);
        let doc = prop::collection::vec(record, 0..40);
        let mut runner = proptest::test_runner::TestRunner::default();
        runner
            .run(&(doc, any::<bool>()), |(records, pretty)| {
                let doc = serde_json::json!({"name": "x", "records": records, "tail": [""]});
                let text = if pretty {
                    serde_json::to_string_pretty(&doc)
                } else {
                    serde_json::to_string(&doc)
                }
                .expect("serializes");
                let source = SourceText::for_the_process("t", text);
                let lend = source.static_text();
                let mut parses = vec![crate::value::serial(source.text(), lend).expect("parses")];
                if let Some((root, _)) = crate::halves::parse(source.text(), 0, lend) {
                    parses.push(root);
                }
                for root in &parses {
                    let mut strings = Vec::new();
                    strings_of(root, &mut String::new(), &mut strings);
                    let pointers: Vec<&str> = strings.iter().map(|(p, _)| p.as_str()).collect();
                    let spans = source.locate(&pointers);
                    for ((pointer, node), span) in strings.iter().zip(spans) {
                        let written = node.as_str().is_some_and(|s| {
                            !s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20)
                        });
                        match node.lent_str().and_then(|v| source.span_of_lent(v)) {
                            Some(found) => prop_assert_eq!(Some(found), span, "{}", pointer),
                            // Only a string with escapes is not in the text as it is.
                            None => prop_assert!(!written, "{} is not found by address", pointer),
                        }
                    }
                }
                Ok(())
            })
            .expect("every lent string is where its pointer leads");
        // A string held elsewhere is not in the text.
        let source = SourceText::for_the_process("t", r#"{"a": "b"}"#.to_owned());
        assert_eq!(source.span_of_lent("b"), None);
        assert_eq!(source.span_of_lent(&String::from("b")), None);
    }

    /// Each string node of `node` with its pointer.
    fn strings_of<'n>(
        node: &'n crate::Node,
        pointer: &mut String,
        out: &mut Vec<(String, &'n crate::Node)>,
    ) {
        let len = pointer.len();
        match node {
            crate::Node::String(_) => out.push((pointer.clone(), node)),
            crate::Node::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    crate::pointer::push_index(pointer, i);
                    strings_of(item, pointer, out);
                    pointer.truncate(len);
                }
            }
            crate::Node::Object(object) => {
                for (name, value) in object.iter() {
                    crate::pointer::push(pointer, name);
                    strings_of(value, pointer, out);
                    pointer.truncate(len);
                }
            }
            _ => {}
        }
    }

    /// Lines and columns of many offsets, in any order, on two threads,
    /// are each offset's own.
    #[test]
    fn many_line_cols_are_each_offsets_own() {
        let mut text = String::new();
        for i in 0..5_000 {
            writeln!(text, "é{i}").expect("writes");
        }
        let src = SourceText::new("t", text.clone());
        let mut offsets: Vec<usize> = (0..text.len()).step_by(7).rev().collect();
        offsets.extend([0, text.len(), 3, 3]);
        assert!(offsets.len() > 2 * TWO_THREADS);
        let all = src.line_cols(&offsets);
        assert_eq!(all.len(), offsets.len());
        for (offset, at) in offsets.iter().zip(all) {
            assert_eq!(at, src.line_col(*offset), "{offset}");
        }
    }
}
