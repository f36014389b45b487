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
}
