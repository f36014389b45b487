//! Spans inside scalars: an expression's byte range mapped to the rule
//! file, through quoting, block scalars and template holes.

use std::ops::Range;

use miette::SourceSpan;
use rcaudit_model::SourceText;

use crate::yaml::Yaml;

/// An expression inside a YAML scalar (or inside a template inside one).
pub(super) struct Shifted<'a> {
    pub(super) value: &'a Yaml,
    pub(super) text: &'a str,
    pub(super) base: usize,
}

impl Shifted<'_> {
    pub(super) fn span(&self, src: &SourceText, range: Range<usize>) -> SourceSpan {
        span_in_scalar(
            src,
            self.value.span,
            self.text,
            self.base + range.start..self.base + range.end,
        )
    }
}

/// Maps a byte range of a scalar's value to the file. A plain or quoted
/// scalar on one line maps exactly; for block scalars the value's line is
/// searched for in the scalar's source; failing that, the whole scalar.
pub(super) fn span_in_scalar(
    src: &SourceText,
    scalar: SourceSpan,
    value: &str,
    range: Range<usize>,
) -> SourceSpan {
    let file = src.text();
    let raw = file
        .get(scalar.offset()..scalar.offset() + scalar.len())
        .unwrap_or_default();
    let len = range.end.saturating_sub(range.start).max(1);
    // Exact: the raw text is the value, possibly quoted.
    for skip in [0usize, 1] {
        if raw.get(skip..skip + value.len()) == Some(value) {
            let start = scalar.offset() + skip + range.start.min(value.len());
            return SourceSpan::new(start.into(), len.min(file.len().saturating_sub(start)));
        }
    }
    // Block scalar: find the line of the value that holds the range.
    let line_start = value
        .get(..range.start)
        .and_then(|v| v.rfind('\n'))
        .map_or(0, |i| i + 1);
    let line_end = value
        .get(line_start..)
        .and_then(|v| v.find('\n'))
        .map_or(value.len(), |i| line_start + i);
    let line = value.get(line_start..line_end).unwrap_or_default();
    if !line.is_empty()
        && let Some(found) = file
            .get(scalar.offset()..)
            .and_then(|f| f.find(line))
            .filter(|&f| f <= scalar.len() + 1)
    {
        let start = scalar.offset() + found + (range.start - line_start);
        return SourceSpan::new(start.into(), len.min(line.len()));
    }
    scalar
}
