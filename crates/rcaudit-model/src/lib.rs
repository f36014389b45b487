//! The snapshot: one account's configuration as the `RingCentral` API returned
//! it (`schemas/snapshot.schema.json`), loaded into memory.
//!
//! The key decision is **one tree for everything**. A snapshot is parsed once
//! into [`Node`]s, a compact JSON tree with shared containers and interned
//! keys. `jsonschema` validates that tree through its custom-representation
//! traits ([`schema`]), and the CEL interpreter reads it through `cel`'s `Val`
//! trait ([`mod@cel`]), so neither makes a copy of a file that can be 160 MB.
//! Positions are not stored in the tree: [`locate()`] finds the handful that
//! findings need in one pass over the text, and [`SourceText`] turns byte
//! offsets into lines and columns without rescanning.
//!
//! This crate does no I/O: it takes bytes or text and returns values.
//!
//! ```
//! let bytes = br#"{"snapshotVersion": 1, "account": {"id": 7}, "extensions": [{"id": 62005541008}]}"#;
//! let snapshot = rcaudit_model::parse_bytes("acme.json", bytes.to_vec()).expect("a snapshot");
//! let root = snapshot.root();
//! let first = root.pointer("/extensions/0").expect("an extension");
//! assert_eq!(first.get("id").and_then(|id| id.id_string()).as_deref(), Some("62005541008"));
//!
//! // Where the value is in the text, for a finding.
//! let source = snapshot.source();
//! let span = source.locate(&["/extensions/0/id"])[0].expect("the pointer resolves");
//! let at = source.line_col(span.offset);
//! assert_eq!((at.line, at.column), (1, 68));
//! ```
//!
//! What is public: the loading entry points and the tree's types,
//! re-exported at the crate root, and as modules the helpers other crates
//! call by a qualified name, each used outside this crate: [`mod@cel`] (`as_node`, for the rule functions),
//! [`mod@pointer`] (building and reading JSON pointers), [`schema`] (the bundled
//! snapshot schema), [`value`] (conversions to and from `serde_json`, and
//! the record reader's check against the serial parse, for the fuzz target),
//! [`mod@locate`] (the indexed form, for the fuzz target) and [`text`]
//! (neutralising untrusted text, for the formats). The loader itself and
//! the line index stay private behind the re-exports below.

#![warn(missing_docs)]

pub mod cel;
mod halves;
pub mod locate;
pub mod ordered;
pub mod pointer;
mod scan;
pub mod schema;
mod snapshot;
mod source;
pub mod text;
pub mod value;

pub use locate::{Span, locate};
pub use snapshot::{
    LoadError, SNAPSHOT_VERSION, SchemaProblem, Snapshot, load, load_str, parse_bytes,
    parse_bytes_for_the_process, parse_str,
};
pub use source::{LineCol, SourceText};
pub use value::{Kind, Node, Object, parse};
