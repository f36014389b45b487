//! The snapshot: one account's configuration as the `RingCentral` API returned
//! it (`schemas/snapshot.schema.json`), loaded into memory.
//!
//! The key decision is **one tree for everything**. A snapshot is parsed once
//! into [`Node`]s, a compact JSON tree with shared containers and interned
//! keys. `jsonschema` validates that tree through its custom-representation
//! traits ([`schema`]), and the CEL interpreter reads it through `cel`'s `Val`
//! trait ([`mod@cel`]), so neither makes a copy of a file that can be 160 MB.
//! Positions are not stored in the tree: [`locate`] finds the handful that
//! findings need in one pass over the text, and [`SourceText`] turns byte
//! offsets into lines and columns without rescanning.
//!
//! This crate does no I/O: it takes bytes or text and returns values.

pub mod cel;
pub mod locate;
pub mod pointer;
pub mod schema;
mod snapshot;
mod source;
pub mod text;
pub mod value;

pub use locate::{Span, locate};
pub use snapshot::{
    LoadError, SNAPSHOT_VERSION, SchemaProblem, Snapshot, load, load_str, parse_bytes, parse_str,
};
pub use source::{LineCol, SourceText};
pub use value::{Kind, Node, Object, parse};
