//! A loaded snapshot: the parsed tree, the text it came from, and loading
//! errors that point into that text.

use miette::{Diagnostic, SourceSpan};
use thiserror::Error;

use crate::locate::locate;
use crate::source::SourceText;
use crate::value::{self, Kind, Node};

/// The snapshot format this reader understands (`docs/snapshot-format.md`).
pub const SNAPSHOT_VERSION: i64 = 1;

/// How many schema violations an error carries for display; the count is
/// always exact.
const MAX_SHOWN_VIOLATIONS: usize = 50;

/// A snapshot loaded and validated against the snapshot schema.
#[derive(Debug, Clone)]
pub struct Snapshot {
    source: SourceText,
    root: Node,
}

impl Snapshot {
    /// The parsed document.
    pub fn root(&self) -> &Node {
        &self.root
    }

    /// The text it was parsed from, for diagnostics.
    pub fn source(&self) -> &SourceText {
        &self.source
    }

    /// `account.id` as a string, when present.
    pub fn account_id(&self) -> Option<String> {
        self.root.get("account")?.get("id")?.id_string()
    }

    /// `capturedAt`, when present.
    pub fn captured_at(&self) -> Option<&str> {
        self.root.get("capturedAt")?.as_str()
    }
}

/// Why a snapshot could not be loaded.
#[derive(Debug, Error, Diagnostic)]
pub enum LoadError {
    /// The bytes are not UTF-8.
    #[error("{name} is not UTF-8 text (invalid byte at line {line}, column {column})")]
    #[diagnostic(
        code(rcaudit::snapshot::encoding),
        help("a snapshot is a JSON file in UTF-8, as `rcaudit fetch` writes it")
    )]
    Encoding {
        /// The snapshot's name, as given (usually its path).
        name: String,
        /// 1-based line of the first invalid byte.
        line: usize,
        /// 1-based column (in characters) of the first invalid byte.
        column: usize,
        /// The valid text before the invalid byte.
        #[source_code]
        src: SourceText,
        /// Where the invalid byte is (empty, at the end of `src`).
        #[label("not valid UTF-8 here")]
        span: SourceSpan,
    },

    /// The text is not JSON.
    #[error("{name} is not valid JSON: {message} at line {line}, column {column}")]
    #[diagnostic(code(rcaudit::snapshot::syntax), help("{help}"))]
    Syntax {
        /// The snapshot's name, as given (usually its path).
        name: String,
        /// The parser's message, without its position.
        message: String,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column (in characters) of the error.
        column: usize,
        /// What to do about it.
        help: String,
        /// The snapshot text.
        #[source_code]
        src: SourceText,
        /// Where the error is.
        #[label("{message}")]
        span: SourceSpan,
    },

    /// An object has the same name twice.
    #[error(
        "{name} has the key `{key}` twice in one object (line {first_line}, column {first_column}, and again at line {line}, column {column})"
    )]
    #[diagnostic(
        code(rcaudit::snapshot::duplicate_key),
        help(
            "JSON readers disagree on which copy wins, so rcaudit refuses to guess: keep one, or fetch the snapshot again"
        )
    )]
    DuplicateKey {
        /// The snapshot's name, as given (usually its path).
        name: String,
        /// The name, decoded and neutralised for display.
        key: String,
        /// 1-based line of the second occurrence.
        line: usize,
        /// 1-based column (in characters) of the second occurrence.
        column: usize,
        /// 1-based line of the first occurrence.
        first_line: usize,
        /// 1-based column (in characters) of the first occurrence.
        first_column: usize,
        /// The snapshot text.
        #[source_code]
        src: SourceText,
        /// The first key.
        #[label("first here")]
        first: SourceSpan,
        /// The second key.
        #[label(primary, "and again here")]
        second: SourceSpan,
    },

    /// The document is JSON, but not an object.
    #[error("{name} holds a JSON {found}, not a snapshot")]
    #[diagnostic(
        code(rcaudit::snapshot::not_an_object),
        help(
            "a snapshot is one JSON object with `snapshotVersion`, `account`, `phoneNumbers`, `extensions`, ...; `rcaudit fetch` writes one"
        )
    )]
    NotAnObject {
        /// The snapshot's name, as given (usually its path).
        name: String,
        /// The JSON type it is instead ([`Kind::name`]).
        found: &'static str,
        /// The snapshot text.
        #[source_code]
        src: SourceText,
        /// The start of the document (on its first line).
        #[label("expected an object")]
        span: SourceSpan,
    },

    /// `snapshotVersion` is a number other than the integer [`SNAPSHOT_VERSION`].
    #[error(
        "{name} is snapshot version {found}; this rcaudit reads version {SNAPSHOT_VERSION}, written as the integer {SNAPSHOT_VERSION}"
    )]
    #[diagnostic(code(rcaudit::snapshot::version), help("{help}"))]
    Version {
        /// The snapshot's name, as given (usually its path).
        name: String,
        /// The version as written in the file (neutralised).
        found: String,
        /// What to do about it.
        help: String,
        /// The snapshot text.
        #[source_code]
        src: SourceText,
        /// The version's value.
        #[label("unsupported version")]
        span: SourceSpan,
    },

    /// The document does not match the snapshot schema.
    #[error("{name} does not match the snapshot schema: {count} problem{s}", s = if *.count == 1 { "" } else { "s" })]
    #[diagnostic(
        code(rcaudit::snapshot::schema),
        help("{}", schema_help(*.count, .related.len()))
    )]
    Schema {
        /// The snapshot's name, as given (usually its path).
        name: String,
        /// How many violations there are in all.
        count: usize,
        /// The first violations (at most 50), in document order.
        #[related]
        related: Vec<SchemaProblem>,
    },

    /// The schema built into rcaudit does not compile: a bug, not a problem with
    /// the snapshot.
    #[error("the bundled snapshot schema does not compile: {0}")]
    #[diagnostic(code(rcaudit::bug))]
    BrokenSchema(String),
}

fn schema_help(count: usize, shown: usize) -> String {
    let more = if count > shown {
        format!("{} more not shown; ", count - shown)
    } else {
        String::new()
    };
    format!("{more}the schema is schemas/snapshot.schema.json")
}

/// A pointer in words: the empty pointer is the whole document.
fn place(pointer: &str) -> &str {
    if pointer.is_empty() {
        "the document"
    } else {
        pointer
    }
}

/// One schema violation, pointing at the value.
#[derive(Debug, Error, Diagnostic)]
#[error("{}: {message}", place(.pointer))]
#[diagnostic(code(rcaudit::snapshot::schema))]
pub struct SchemaProblem {
    /// JSON pointer of the offending value (`""` for the whole document).
    pub pointer: String,
    /// What is wrong, in the validator's words.
    pub message: String,
    /// 1-based line of the value.
    pub line: usize,
    /// 1-based column (in characters) of the value.
    pub column: usize,
    /// The snapshot text.
    #[source_code]
    pub src: SourceText,
    /// The offending value.
    #[label("{message}")]
    pub span: SourceSpan,
}

/// Loads a snapshot from raw bytes: decodes, parses, checks the version and
/// validates against the schema, reporting every violation.
pub fn load(name: &str, bytes: Vec<u8>) -> Result<Snapshot, LoadError> {
    let snapshot = parse_bytes(name, bytes)?;
    snapshot.validate()?;
    Ok(snapshot)
}

/// Loads a snapshot from text; see [`load`].
pub fn load_str(name: &str, text: impl Into<String>) -> Result<Snapshot, LoadError> {
    let snapshot = parse_str(name, text)?;
    snapshot.validate()?;
    Ok(snapshot)
}

impl Snapshot {
    /// Validates against the snapshot schema, reporting every violation.
    /// (Separate from parsing so a caller can run it alongside other work.)
    pub fn validate(&self) -> Result<(), LoadError> {
        let violations =
            crate::schema::validate_snapshot(&self.root).map_err(LoadError::BrokenSchema)?;
        if violations.is_empty() {
            Ok(())
        } else {
            Err(schema_error(self.source.name(), &self.source, &violations))
        }
    }
}

/// Decodes and parses a snapshot and checks its version, without the
/// schema check ([`Snapshot::validate`]).
pub fn parse_bytes(name: &str, bytes: Vec<u8>) -> Result<Snapshot, LoadError> {
    parse_source(name, SourceText::new(name, utf8(name, bytes)?))
}

/// [`parse_bytes`] for a process that reads one snapshot and then ends:
/// the text is never freed, and the tree borrows its strings from it
/// instead of copying each (about 3 million at 100,000 extensions: less
/// memory, a faster parse). Each call leaks the text it is given.
pub fn parse_bytes_for_the_process(name: &str, bytes: Vec<u8>) -> Result<Snapshot, LoadError> {
    parse_source(name, SourceText::for_the_process(name, utf8(name, bytes)?))
}

/// The bytes as text, or where they stop being UTF-8.
fn utf8(name: &str, bytes: Vec<u8>) -> Result<String, LoadError> {
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(error) => {
            let valid = error.utf8_error().valid_up_to();
            let bytes = error.into_bytes();
            // Show the valid prefix; the bad byte is where it ends.
            let shown =
                String::from_utf8_lossy(bytes.get(..valid).unwrap_or_default()).into_owned();
            let src = SourceText::new(name, shown);
            let at = src.line_col(valid);
            Err(LoadError::Encoding {
                name: name.to_owned(),
                line: at.line,
                column: at.column,
                span: SourceSpan::new(valid.into(), 0),
                src,
            })
        }
    }
}

/// Parses a snapshot from text and checks its version; see [`parse_bytes`].
pub fn parse_str(name: &str, text: impl Into<String>) -> Result<Snapshot, LoadError> {
    parse_source(name, SourceText::new(name, text))
}

fn parse_source(name: &str, source: SourceText) -> Result<Snapshot, LoadError> {
    let root = match value::parse_indexed(source.text(), source.static_text()) {
        Ok((root, index)) => {
            if let Some(index) = index {
                source.set_elements(index);
            }
            root
        }
        Err(error) => return Err(syntax_error(name, &source, &error)),
    };
    let kind = root.kind();
    if kind != Kind::Object {
        let span = whole_document(&source);
        return Err(LoadError::NotAnObject {
            name: name.to_owned(),
            found: kind.name(),
            span: source.first_line_span(span.offset, span.len),
            src: source,
        });
    }
    if let Some(version) = root.get("snapshotVersion")
        && version.as_i64() != Some(SNAPSHOT_VERSION)
        && matches!(version.kind(), Kind::Number)
    {
        let span = span_of(&source, "/snapshotVersion");
        // The literal as written: `1.0` and `1e0` are not the version 1.
        let found = source
            .text()
            .get(span.offset()..span.offset() + span.len())
            .map_or_else(|| format!("{version:?}"), str::to_owned);
        let help = if version == &Node::Int(SNAPSHOT_VERSION.into()) {
            format!(
                "write the version as the integer {SNAPSHOT_VERSION}, without a fraction or an exponent"
            )
        } else {
            "upgrade rcaudit, or re-fetch the snapshot with this version".to_owned()
        };
        return Err(LoadError::Version {
            name: name.to_owned(),
            found: crate::text::neutralize(&found).into_owned(),
            help,
            span,
            src: source,
        });
    }
    Ok(Snapshot { source, root })
}

fn whole_document(source: &SourceText) -> crate::locate::Span {
    locate(source.text(), &[""])
        .first()
        .copied()
        .flatten()
        .unwrap_or(crate::locate::Span { offset: 0, len: 0 })
}

fn span_of(source: &SourceText, pointer: &str) -> SourceSpan {
    let span = locate(source.text(), &[pointer])
        .first()
        .copied()
        .flatten()
        .unwrap_or(crate::locate::Span { offset: 0, len: 0 });
    source.first_line_span(span.offset, span.len)
}

fn syntax_error(name: &str, source: &SourceText, error: &serde_json::Error) -> LoadError {
    if error.to_string().starts_with(value::DUPLICATE_KEY)
        && let Some(duplicate) = crate::locate::find_duplicate_key(source.text())
    {
        let first = source.line_col(duplicate.first.offset);
        let second = source.line_col(duplicate.second.offset);
        return LoadError::DuplicateKey {
            name: name.to_owned(),
            key: crate::text::neutralize(&duplicate.key).into_owned(),
            line: second.line,
            column: second.column,
            first_line: first.line,
            first_column: first.column,
            first: source.first_line_span(duplicate.first.offset, duplicate.first.len),
            second: source.first_line_span(duplicate.second.offset, duplicate.second.len),
            src: source.clone(),
        };
    }
    let offset = source.offset_of_line_byte_column(error.line(), error.column());
    let at = source.line_col(offset);
    // serde_json's message ends with " at line L column C"; keep the words.
    let full = error.to_string();
    let message = full
        .rfind(" at line ")
        .map_or(full.as_str(), |i| &full[..i])
        .to_owned();
    let help = syntax_help(&message, source, offset);
    let len = usize::from(offset < source.text().len());
    LoadError::Syntax {
        name: name.to_owned(),
        message,
        line: at.line,
        column: at.column,
        help,
        span: SourceSpan::new(offset.into(), len),
        src: source.clone(),
    }
}

fn syntax_help(message: &str, source: &SourceText, offset: usize) -> String {
    let rest = source.text().get(offset..).unwrap_or_default();
    if source.text().trim().is_empty() {
        "the file is empty; a snapshot is a JSON object written by `rcaudit fetch`".to_owned()
    } else if message.contains("recursion limit") {
        "the document nests deeper than 128 levels; no RingCentral record does".to_owned()
    } else if rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
        "a bare word is not JSON: strings need double quotes (documentation examples such as `[ CallerId ]` are not valid JSON)".to_owned()
    } else if message.contains("expected `,`") {
        "a comma is missing between two values or members".to_owned()
    } else if message.contains("trailing comma") {
        "JSON allows no comma after the last element".to_owned()
    } else {
        "a snapshot must be valid JSON (RFC 8259)".to_owned()
    }
}

fn schema_error(
    name: &str,
    source: &SourceText,
    violations: &[crate::schema::Violation],
) -> LoadError {
    let shown: Vec<_> = violations.iter().take(MAX_SHOWN_VIOLATIONS).collect();
    let spans = locate(
        source.text(),
        &shown.iter().map(|v| v.pointer.as_str()).collect::<Vec<_>>(),
    );
    let related = shown
        .iter()
        .zip(spans)
        .map(|(violation, span)| {
            let span = span.unwrap_or(crate::locate::Span { offset: 0, len: 0 });
            let at = source.line_col(span.offset);
            SchemaProblem {
                pointer: violation.pointer.clone(),
                message: violation.message.clone(),
                line: at.line,
                column: at.column,
                span: source.first_line_span(span.offset, span.len),
                src: source.clone(),
            }
        })
        .collect();
    LoadError::Schema {
        name: name.to_owned(),
        count: violations.len(),
        related,
    }
}
