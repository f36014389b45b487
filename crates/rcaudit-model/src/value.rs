//! The in-memory JSON tree every other part of rcaudit reads.
//!
//! One tree serves three readers without copies: the JSON Schema validator
//! (through [`crate::schema`]), the CEL interpreter (through the `Val`
//! implementation in [`crate::cel`]) and the Rust code of the rule engine.
//! Containers are reference-counted slices, so handing a record to a CEL
//! expression as `item` costs one reference count, not a deep copy, and the
//! object keys are interned: the hundred thousand `"extensionNumber"` keys of
//! a large account share one allocation.
//!
//! Leaves hold `cel`'s own scalar types, so the CEL standard library
//! (`startsWith`, `size`, `==` against literals, ...) treats them as its own
//! strings and numbers.

use std::fmt;
use std::sync::Arc;

use cel::common::types::{CelBool, CelDouble, CelInt, CelString, CelUInt};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

/// An interned object key. Thin (one pointer), shared by every object that
/// uses the same name.
pub type Key = Arc<CelString<'static>>;

/// A JSON value.
#[derive(Clone)]
pub enum Node {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(CelBool),
    /// An integer that fits `i64`.
    Int(CelInt),
    /// An integer above `i64::MAX`.
    UInt(CelUInt),
    /// A number written with a fraction or an exponent.
    Double(CelDouble),
    /// A string, unescaped.
    String(CelString<'static>),
    /// An array.
    Array(Array),
    /// An object.
    Object(Object),
}

// A node is three words, and a member of an object costs only its node: the
// tree of a 160 MB snapshot is most of the memory a check uses.
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<Node>() == 24 && std::mem::size_of::<Object>() == 16);

/// A JSON array: a shared, immutable slice of nodes.
pub type Array = triomphe::Arc<[Node]>;

/// A JSON object: members in document order. Lookups scan from the end, so
/// a duplicated name resolves to its last value, as in `serde_json`.
///
/// The names are kept once per [`Shape`], which the values share an
/// allocation with: a snapshot's records repeat a few dozen shapes, so a
/// member costs its value alone (24 bytes, not 32 with its name).
#[derive(Clone)]
pub struct Object(triomphe::Arc<triomphe::HeaderSlice<Shape, [Node]>>);

/// The names of an object's members, in document order: one allocation
/// shared by every object of a parse that has the same names in the same
/// order (the parse keeps a table of them, [`Shapes`]).
///
/// Its header says whether every name is written the same in JSON text
/// (no `"`, backslash or control character): the reader then expects an
/// object like the one before to have the same names, and compares each
/// with the text instead of reading and interning it.
#[derive(Clone)]
pub(crate) struct Shape(triomphe::ThinArc<bool, Key>);

impl Shape {
    fn new(names: &[Key]) -> Shape {
        let plain = names.iter().all(|name| {
            !name
                .inner()
                .bytes()
                .any(|b| b == b'"' || b == b'\\' || b < 0x20)
        });
        Shape(triomphe::ThinArc::from_header_and_iter(
            plain,
            names.iter().cloned(),
        ))
    }

    pub(crate) fn names(&self) -> &[Key] {
        &self.0.slice
    }

    /// Whether each name is its own JSON text between quotes.
    pub(crate) fn plain(&self) -> bool {
        self.0.header.header
    }
}

/// The JSON type of a node, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool,
    /// Any number, integer or not.
    Number,
    /// A string.
    String,
    /// An array.
    Array,
    /// An object.
    Object,
}

impl Kind {
    /// The type's name as JSON Schema spells it (`boolean`, not `bool`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool => "boolean",
            Kind::Number => "number",
            Kind::String => "string",
            Kind::Array => "array",
            Kind::Object => "object",
        }
    }
}

impl Node {
    /// The node's JSON type.
    pub fn kind(&self) -> Kind {
        match self {
            Node::Null => Kind::Null,
            Node::Bool(_) => Kind::Bool,
            Node::Int(_) | Node::UInt(_) | Node::Double(_) => Kind::Number,
            Node::String(_) => Kind::String,
            Node::Array(_) => Kind::Array,
            Node::Object(_) => Kind::Object,
        }
    }

    /// An unsigned integer as the parse keeps it: `Int` when it fits `i64`.
    pub(crate) fn unsigned(v: u64) -> Node {
        match i64::try_from(v) {
            Ok(i) => Node::Int(CelInt::from(i)),
            Err(_) => Node::UInt(CelUInt::from(v)),
        }
    }

    /// A string node.
    pub fn string(value: impl Into<String>) -> Node {
        Node::String(CelString::from(value.into()))
    }

    /// The text, if the node is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::String(s) => Some(s.inner()),
            _ => None,
        }
    }

    /// The value, if the node is a boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Node::Bool(b) => Some(*b.inner()),
            _ => None,
        }
    }

    /// The value, if the node is an integer that fits `i64` (a number with a
    /// fraction, even `1.0`, is not one).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Node::Int(i) => Some(*i.inner()),
            Node::UInt(u) => i64::try_from(*u.inner()).ok(),
            _ => None,
        }
    }

    /// The elements, if the node is an array.
    pub fn as_array(&self) -> Option<&[Node]> {
        match self {
            Node::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The members, if the node is an object.
    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Node::Object(o) => Some(o),
            _ => None,
        }
    }

    /// Whether the node is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Node::Null)
    }

    /// The member `name` of an object; `None` for anything else.
    pub fn get(&self, name: &str) -> Option<&Node> {
        self.as_object().and_then(|o| o.get(name))
    }

    /// Follows a JSON pointer (RFC 6901) from this node.
    pub fn pointer(&self, pointer: &str) -> Option<&Node> {
        if pointer.is_empty() {
            return Some(self);
        }
        let rest = pointer.strip_prefix('/')?;
        let mut node = self;
        for token in rest.split('/') {
            let token = crate::pointer::unescape(token);
            node = match node {
                Node::Object(o) => o.get(&token)?,
                Node::Array(a) => a.get(crate::pointer::parse_index(&token)?)?,
                _ => return None,
            };
        }
        Some(node)
    }

    /// A string value that is borrowed, not owned by the tree: a slice of
    /// the text it was parsed from (a parse for the process,
    /// [`crate::parse_bytes_for_the_process`]), or of the parse's table of
    /// shared strings. A slice of the text says where the string was
    /// written ([`crate::SourceText::span_of_lent`]).
    pub fn lent_str(&self) -> Option<&'static str> {
        match self {
            Node::String(s) => s.as_borrowed(),
            _ => None,
        }
    }

    /// An id as a string, whether the API sent it as a number or a string.
    pub fn id_string(&self) -> Option<String> {
        match self {
            Node::String(s) => Some(s.inner().to_owned()),
            Node::Int(i) => Some(i.inner().to_string()),
            Node::UInt(u) => Some(u.inner().to_string()),
            Node::Double(d) if d.inner().fract() == 0.0 && d.inner().is_finite() => {
                Some(format!("{:.0}", d.inner()))
            }
            _ => None,
        }
    }
}

impl Object {
    /// An object of these members, in document order. Names may repeat; lookups
    /// find the last.
    pub fn new(members: Vec<(Key, Node)>) -> Object {
        let names: Vec<Key> = members.iter().map(|(name, _)| Arc::clone(name)).collect();
        Object::shaped(
            Shape::new(&names),
            members.into_iter().map(|(_, value)| value),
        )
    }

    fn shaped(shape: Shape, values: impl ExactSizeIterator<Item = Node>) -> Object {
        debug_assert_eq!(shape.names().len(), values.len());
        Object(triomphe::Arc::from_header_and_iter(shape, values))
    }

    /// The number of members, repeated names counted.
    pub fn len(&self) -> usize {
        self.0.slice.len()
    }

    /// Whether the object has no members.
    pub fn is_empty(&self) -> bool {
        self.0.slice.is_empty()
    }

    /// The value of member `name`; the last one when the name repeats.
    pub fn get(&self, name: &str) -> Option<&Node> {
        // Most keys differ in length or first byte: test those before
        // comparing the bytes.
        let first = name.as_bytes().first();
        let at = self.names().iter().rposition(|key| {
            let key = key.inner();
            key.len() == name.len()
                && key.as_bytes().first() == first
                && same_text(key.as_bytes(), name.as_bytes())
        })?;
        self.values().get(at)
    }

    /// Members in document order (duplicates included).
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &Node)> + DoubleEndedIterator {
        self.names()
            .iter()
            .map(|key| key.inner())
            .zip(self.values())
    }

    /// The member names, in document order.
    pub(crate) fn names(&self) -> &[Key] {
        self.0.header.names()
    }

    pub(crate) fn shape(&self) -> &Shape {
        &self.0.header
    }

    /// The member values, in document order.
    pub(crate) fn values(&self) -> &[Node] {
        &self.0.slice
    }

    pub(crate) fn ptr_eq(&self, other: &Object) -> bool {
        triomphe::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Null => f.write_str("null"),
            Node::Bool(b) => write!(f, "{}", b.inner()),
            Node::Int(i) => write!(f, "{}", i.inner()),
            Node::UInt(u) => write!(f, "{}", u.inner()),
            Node::Double(d) => write!(f, "{}", d.inner()),
            Node::String(s) => write!(f, "{:?}", s.inner()),
            Node::Array(a) => f.debug_list().entries(a.iter()).finish(),
            Node::Object(o) => o.fmt(f),
        }
    }
}

impl fmt::Debug for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl PartialEq for Node {
    /// JSON equality: numbers compare by value, objects as sets of members.
    fn eq(&self, other: &Node) -> bool {
        match (self, other) {
            (Node::Null, Node::Null) => true,
            (Node::Bool(a), Node::Bool(b)) => a.inner() == b.inner(),
            (Node::String(a), Node::String(b)) => a.inner() == b.inner(),
            (Node::Array(a), Node::Array(b)) => triomphe::Arc::ptr_eq(a, b) || a[..] == b[..],
            (Node::Object(a), Node::Object(b)) => {
                a.ptr_eq(b)
                    || (a.len() == b.len()
                        && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| v == w)))
            }
            (a, b) => match (number(a), number(b)) {
                (Some(x), Some(y)) => x == y,
                _ => false,
            },
        }
    }
}

/// A number in a form two JSON numbers can be compared in.
#[derive(PartialEq)]
enum Number {
    Int(i128),
    Float(f64),
}

fn number(node: &Node) -> Option<Number> {
    match node {
        Node::Int(i) => Some(Number::Int(i128::from(*i.inner()))),
        Node::UInt(u) => Some(Number::Int(i128::from(*u.inner()))),
        Node::Double(d) => {
            let d = *d.inner();
            #[expect(
                clippy::cast_possible_truncation,
                reason = "only whole numbers well inside the i128 range are converted"
            )]
            if d.fract() == 0.0 && d.abs() < 1e30 {
                Some(Number::Int(d as i128))
            } else {
                Some(Number::Float(d))
            }
        }
        _ => None,
    }
}

// ----------------------------------------------------------------------------
// Parsing

/// Interns object keys for one parse: a key's text maps to the shared key.
/// A small direct-mapped cache in front of the map catches the few dozen
/// names a snapshot repeats millions of times without hashing them.
struct Keys {
    map: rustc_hash::FxHashMap<Box<str>, Key>,
    cache: Vec<Option<Key>>,
}

impl Default for Keys {
    fn default() -> Keys {
        Keys {
            map: rustc_hash::FxHashMap::default(),
            cache: vec![None; 1024],
        }
    }
}

/// A cheap slot for a name: its length and a few of its bytes.
fn slot(name: &[u8]) -> usize {
    let len = name.len();
    let first = usize::from(name.first().copied().unwrap_or(0));
    let last = usize::from(name.last().copied().unwrap_or(0));
    let mid = usize::from(name.get(len / 2).copied().unwrap_or(0));
    (len.wrapping_mul(31) ^ first.wrapping_mul(7) ^ last.wrapping_mul(131) ^ mid.wrapping_mul(17))
        & 1023
}

/// Whether two byte strings are equal, compared in place when they are
/// short. Names and the values rules compare them with are mostly under
/// 17 bytes, where `==` on slices is a call to `memcmp` through the
/// dynamic linker that costs more than the comparison (it was 4-6% of the
/// full pack's CPU, in member lookups, fact names and the number memo).
#[inline]
pub fn same_text(a: &[u8], b: &[u8]) -> bool {
    let len = a.len();
    if len != b.len() {
        return false;
    }
    // Two loads from each end that together cover every byte (they
    // overlap when the length is not twice the load's size).
    let ends8 = |x: &[u8]| {
        let head = x.first_chunk::<8>().copied().unwrap_or_default();
        let tail = x.last_chunk::<8>().copied().unwrap_or_default();
        (u64::from_ne_bytes(head), u64::from_ne_bytes(tail))
    };
    let ends4 = |x: &[u8]| {
        let head = x.first_chunk::<4>().copied().unwrap_or_default();
        let tail = x.last_chunk::<4>().copied().unwrap_or_default();
        (u32::from_ne_bytes(head), u32::from_ne_bytes(tail))
    };
    match len {
        0 => true,
        1..4 => a.iter().zip(b).all(|(x, y)| x == y),
        4..8 => ends4(a) == ends4(b),
        8..=16 => ends8(a) == ends8(b),
        _ => a == b,
    }
}

/// Reads a little of each of `nodes`: the length of each member's name and
/// the first byte of each string value. A large tree is spread over
/// hundreds of megabytes, so the first read of each record is a cache miss;
/// made here, one record after the other with nothing waiting on the
/// result, the processor overlaps them, where code that needs each value
/// before it goes on takes them one at a time. Callers warm a block of a
/// few dozen records, then work on it while it is in the cache.
/// (Measured: a pass over 100,000 extensions counting their types takes
/// half the time with each block of 64 warmed first; BENCHMARKS.md.)
pub fn warm(nodes: &[Node]) {
    let sum = nodes.iter().map(touch).fold(0, usize::wrapping_add);
    std::hint::black_box(sum);
}

/// [`warm`], reading only the strings of members named `fields` (what the
/// code about to run reads): the rest of each record's text stays where it
/// is.
pub fn warm_fields(nodes: &[Node], fields: &[&str]) {
    let sum = nodes
        .iter()
        .filter_map(Node::as_object)
        .map(|object| {
            fields
                .iter()
                .filter_map(|field| object.get(field))
                .map(touch_value)
                .fold(object.len(), usize::wrapping_add)
        })
        .fold(0, usize::wrapping_add);
    std::hint::black_box(sum);
}

/// What [`warm`] reads of one node.
fn touch(node: &Node) -> usize {
    let Some(object) = node.as_object() else {
        return 0;
    };
    object
        .iter()
        .map(|(name, value)| name.len() ^ touch_value(value))
        .fold(0, usize::wrapping_add)
}

/// What warming reads of a member's value: a string's first byte (in the
/// text or its own allocation), an object's length.
fn touch_value(value: &Node) -> usize {
    match value {
        Node::String(s) => usize::from(s.as_bytes().first().copied().unwrap_or(0)),
        Node::Object(o) => o.len(),
        _ => 0,
    }
}

/// The start of the error message for a name that repeats in one object;
/// the name follows. A duplicate is an error, not "the last one wins": a
/// second `"extensions": []` must not hide the first list from the rules.
pub const DUPLICATE_KEY: &str = "duplicate object key: ";

/// Parses JSON text into a [`Node`] tree. Nesting deeper than 128 levels is
/// an error (from `serde_json`), so no input can exhaust the stack; so is a
/// name that repeats in one object ([`DUPLICATE_KEY`]).
pub fn parse(text: &str) -> Result<Node, serde_json::Error> {
    parse_indexed(text, None).map(|(node, _)| node)
}

/// [`parse`], and the text's element index when the parse built it on the
/// way (a large pretty-printed document). With `lend`, the text itself as
/// it lives for the whole process, strings written without escapes are
/// borrowed from it instead of copied.
pub(crate) fn parse_indexed(
    text: &str,
    lend: Option<&'static str>,
) -> Result<(Node, Option<crate::locate::Index>), serde_json::Error> {
    if let Some((node, index)) = crate::halves::parse(text, crate::halves::LARGE, lend) {
        return Ok((node, Some(index)));
    }
    serial(text, lend).map(|node| (node, None))
}

/// [`parse`] on this thread alone: the reference the two-thread parse must
/// equal, and what gives every error message.
pub(crate) fn serial(text: &str, lend: Option<&'static str>) -> Result<Node, serde_json::Error> {
    let mut cx = Parsing::default().lending(lend);
    let mut de = serde_json::Deserializer::from_str(text);
    let node = NodeSeed { cx: &mut cx }.deserialize(&mut de)?;
    de.end()?;
    Ok(node)
}

/// Where an object's members begin on the parse's two stacks (names and
/// values), as [`Parsing::open_object`] found them.
#[derive(Clone, Copy)]
pub(crate) struct Open {
    names: usize,
    values: usize,
}

/// What one parse shares: the key interner, and the stacks that elements
/// and members are collected on before each container is allocated once,
/// at its exact size (a vector per container would grow, copy and be freed).
pub(crate) struct Parsing {
    keys: Keys,
    shapes: Shapes,
    nodes: Vec<Node>,
    /// The names and the values of the members read so far, on two
    /// stacks: an object's names are one slice when its shape is looked
    /// up, and its values one run to move into the object.
    names: Vec<Key>,
    values: Vec<Node>,
    strings: Strings,
    /// The text being parsed, when it lives as long as the process: strings
    /// in it are borrowed, not copied.
    lend: Option<&'static str>,
    /// How deep the containers being parsed are nested, and how deep they
    /// may be (`serde_json`'s own limit applies too).
    depth: usize,
    deepest: usize,
}

impl Default for Parsing {
    fn default() -> Parsing {
        Parsing::nested_at_most(usize::MAX)
    }
}

impl Parsing {
    /// A parse in which containers nested deeper than `deepest` are an
    /// error.
    pub(crate) fn nested_at_most(deepest: usize) -> Parsing {
        Parsing {
            keys: Keys::default(),
            shapes: Shapes::default(),
            nodes: Vec::new(),
            names: Vec::new(),
            values: Vec::new(),
            strings: Strings::default(),
            lend: None,
            depth: 0,
            deepest,
        }
    }

    /// This parse borrows its strings from `text` (see [`Parsing::lend`])
    /// when they lie in it.
    pub(crate) fn lending(self, text: Option<&'static str>) -> Parsing {
        Parsing { lend: text, ..self }
    }

    /// `part` as a slice of the text that lives as long as the process, if
    /// it is one (found by its address: `serde_json` hands out slices of
    /// the text it reads for strings without escapes).
    fn lend(&self, part: &str) -> Option<&'static str> {
        let text = self.lend?;
        let from = part.as_ptr().addr().checked_sub(text.as_ptr().addr())?;
        text.get(from..from.checked_add(part.len())?)
    }

    fn enter<E: de::Error>(&mut self) -> Result<(), E> {
        self.depth += 1;
        if self.depth > self.deepest {
            return Err(E::custom("nested too deeply for this parse"));
        }
        Ok(())
    }

    /// Starts an array: where its elements begin on the stack; an error if
    /// it nests too deeply.
    pub(crate) fn open_array<E: de::Error>(&mut self) -> Result<usize, E> {
        self.enter()?;
        Ok(self.nodes.len())
    }

    /// Starts an object: where its members begin on the two stacks.
    pub(crate) fn open_object<E: de::Error>(&mut self) -> Result<Open, E> {
        self.enter()?;
        Ok(Open {
            names: self.names.len(),
            values: self.values.len(),
        })
    }

    pub(crate) fn push_element(&mut self, node: Node) {
        self.nodes.push(node);
    }

    /// The last element read of the array whose elements begin at
    /// `start`, if it is an object.
    pub(crate) fn last_object(&self, start: usize) -> Option<Object> {
        self.nodes.get(start..)?.last()?.as_object().cloned()
    }

    /// Checks that `key` is not yet a name of the object whose members
    /// begin at `start`. Names are interned, so a repeated name is the same
    /// pointer, and `seen` (a 64-bit filter of the object's name pointers,
    /// zero at its start) makes the check nearly free.
    pub(crate) fn new_name<E: de::Error>(
        &self,
        start: Open,
        seen: &mut u64,
        key: &Key,
    ) -> Result<(), E> {
        let bit = 1u64 << ((Arc::as_ptr(key).addr() >> 4) & 63);
        if *seen & bit != 0
            && self
                .names
                .get(start.names..)
                .unwrap_or_default()
                .iter()
                .any(|k| Arc::ptr_eq(k, key))
        {
            return Err(E::custom(format_args!("{DUPLICATE_KEY}{}", key.inner())));
        }
        *seen |= bit;
        Ok(())
    }

    pub(crate) fn push_member(&mut self, key: Key, value: Node) {
        self.names.push(key);
        self.values.push(value);
    }

    /// A member's name alone, checked first with [`Parsing::new_name`].
    pub(crate) fn push_name(&mut self, key: Key) {
        self.names.push(key);
    }

    /// A member's value alone: the reader pushes no names while an
    /// object's names are those of the shape it expects (see
    /// [`Parsing::close_object_shaped`]).
    pub(crate) fn push_value(&mut self, value: Node) {
        self.values.push(value);
    }

    /// The array whose elements begin at `start`, allocated once at its size.
    pub(crate) fn close_array(&mut self, start: usize) -> Node {
        self.depth -= 1;
        Node::Array(self.nodes.drain(start..).collect())
    }

    /// The object whose members begin at `start`.
    pub(crate) fn close_object(&mut self, start: Open) -> Node {
        self.close_object_shaped(start, None)
    }

    /// The object whose members begin at `start`: of `shape` if given (the
    /// reader found the names of an object of that shape, in its order,
    /// and pushed its values alone), else of the names pushed with them.
    pub(crate) fn close_object_shaped(&mut self, start: Open, shape: Option<&Shape>) -> Node {
        self.depth -= 1;
        let shape = match shape {
            Some(shape) => shape.clone(),
            None => self
                .shapes
                .of(self.names.get(start.names..).unwrap_or_default()),
        };
        self.names.truncate(start.names);
        Node::Object(Object::shaped(shape, self.values.drain(start.values..)))
    }

    /// A string read without escapes from the text being parsed: borrowed
    /// from it when it lives as long as the process, else shared or copied.
    pub(crate) fn text(&mut self, part: &str) -> Node {
        match self.lend(part) {
            Some(lent) => Node::String(CelString::from(lent)),
            None => self.strings.node(part),
        }
    }

    /// A string that is not a slice of the text (it had escapes).
    pub(crate) fn unescaped(&mut self, text: &str) -> Node {
        self.strings.node(text)
    }

    /// An object key, interned.
    pub(crate) fn intern(&mut self, name: &str) -> Key {
        self.keys.intern(name)
    }
}

/// The short strings a snapshot repeats (`"Enabled"`, `"User"`,
/// `"VoiceFax"`, ...) shared instead of allocated each time.
///
/// Each distinct string is allocated once for the life of the process and
/// never freed, so the table is bounded: at most [`Strings::MOST`] strings
/// of at most [`Strings::LONGEST`] bytes (about 170 KB in all), the first
/// ones met; any other string is allocated as usual. A per-parse set in
/// front of the shared table keeps the lock off the common path.
#[derive(Default)]
struct Strings {
    seen: rustc_hash::FxHashSet<&'static str>,
    /// The shared table was full when last asked.
    full: bool,
}

static SHARED_STRINGS: std::sync::Mutex<Option<rustc_hash::FxHashSet<&'static str>>> =
    std::sync::Mutex::new(None);

impl Strings {
    const LONGEST: usize = 16;
    const MOST: usize = 4096;

    fn node(&mut self, text: &str) -> Node {
        if text.len() <= Self::LONGEST {
            if let Some(&shared) = self.seen.get(text) {
                return Node::String(CelString::from(shared));
            }
            if !self.full
                && let Some(shared) = self.share(text)
            {
                self.seen.insert(shared);
                return Node::String(CelString::from(shared));
            }
        }
        Node::string(text)
    }

    fn share(&mut self, text: &str) -> Option<&'static str> {
        let mut table = SHARED_STRINGS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let table = table.get_or_insert_with(Default::default);
        if let Some(&shared) = table.get(text) {
            return Some(shared);
        }
        if table.len() >= Self::MOST {
            self.full = true;
            return None;
        }
        let shared: &'static str = Box::leak(Box::from(text));
        table.insert(shared);
        Some(shared)
    }
}

/// Converts a `serde_json::Value` (e.g. parameters read from YAML) into a tree.
pub fn from_json(value: &serde_json::Value) -> Node {
    fn convert(value: &serde_json::Value, keys: &mut Keys) -> Node {
        match value {
            serde_json::Value::Null => Node::Null,
            serde_json::Value::Bool(b) => Node::Bool(CelBool::from(*b)),
            serde_json::Value::Number(n) => number_node(n),
            serde_json::Value::String(s) => Node::string(s.as_str()),
            serde_json::Value::Array(a) => {
                Node::Array(a.iter().map(|v| convert(v, keys)).collect())
            }
            serde_json::Value::Object(o) => Node::Object(Object::new(
                o.iter()
                    .map(|(k, v)| (keys.intern(k), convert(v, keys)))
                    .collect(),
            )),
        }
    }
    convert(value, &mut Keys::default())
}

fn number_node(n: &serde_json::Number) -> Node {
    if let Some(i) = n.as_i64() {
        Node::Int(CelInt::from(i))
    } else if let Some(u) = n.as_u64() {
        Node::UInt(CelUInt::from(u))
    } else {
        Node::Double(CelDouble::from(n.as_f64().unwrap_or(f64::NAN)))
    }
}

/// Converts a tree back into a `serde_json::Value` (cold paths: messages,
/// test output).
pub fn to_json(node: &Node) -> serde_json::Value {
    match node {
        Node::Null => serde_json::Value::Null,
        Node::Bool(b) => serde_json::Value::Bool(*b.inner()),
        Node::Int(i) => serde_json::Value::from(*i.inner()),
        Node::UInt(u) => serde_json::Value::from(*u.inner()),
        Node::Double(d) => serde_json::Number::from_f64(*d.inner())
            .map_or(serde_json::Value::Null, serde_json::Value::Number),
        Node::String(s) => serde_json::Value::String(s.inner().to_owned()),
        Node::Array(a) => serde_json::Value::Array(a.iter().map(to_json).collect()),
        Node::Object(o) => {
            serde_json::Value::Object(o.iter().map(|(k, v)| (k.to_owned(), to_json(v))).collect())
        }
    }
}

impl Keys {
    fn intern(&mut self, name: &str) -> Key {
        let slot = slot(name.as_bytes());
        if let Some(Some(key)) = self.cache.get(slot)
            && key.inner() == name
        {
            return Arc::clone(key);
        }
        let key = if let Some(key) = self.map.get(name) {
            Arc::clone(key)
        } else {
            let key: Key = Arc::new(CelString::from(name.to_owned()));
            self.map.insert(Box::from(name), Arc::clone(&key));
            key
        };
        if let Some(entry) = self.cache.get_mut(slot) {
            *entry = Some(Arc::clone(&key));
        }
        key
    }
}

/// The shapes of one parse's objects. Names are interned, so a shape is
/// found by its names' addresses; a snapshot has a few dozen, and input
/// with a new name order in every object makes one per object, which costs
/// what the names would have cost inside the objects.
#[derive(Default)]
struct Shapes {
    table: hashbrown::HashTable<Shape>,
}

impl Shapes {
    /// The shared shape of an object with these names.
    fn of(&mut self, names: &[Key]) -> Shape {
        let hash = names_hash(names.iter());
        let same = |shape: &Shape| {
            shape.names().len() == names.len()
                && shape
                    .names()
                    .iter()
                    .zip(names)
                    .all(|(a, b)| Arc::ptr_eq(a, b))
        };
        if let Some(shape) = self.table.find(hash, same) {
            return shape.clone();
        }
        let shape = Shape::new(names);
        self.table.insert_unique(hash, shape.clone(), |shape| {
            names_hash(shape.names().iter())
        });
        shape
    }
}

fn names_hash<'a>(names: impl Iterator<Item = &'a Key>) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = rustc_hash::FxBuildHasher.build_hasher();
    for name in names {
        hasher.write_usize(Arc::as_ptr(name).addr());
    }
    hasher.finish()
}

pub(crate) struct NodeSeed<'a> {
    pub(crate) cx: &'a mut Parsing,
}

impl<'de> DeserializeSeed<'de> for NodeSeed<'_> {
    type Value = Node;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NodeSeed<'_> {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(CelBool::from(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Int(CelInt::from(v)))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::unsigned(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Double(CelDouble::from(v)))
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Node, E> {
        Ok(self.cx.text(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(self.cx.unescaped(v))
    }

    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(self.cx.unescaped(&v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let start = self.cx.open_array()?;
        while let Some(item) = seq.next_element_seed(NodeSeed { cx: &mut *self.cx })? {
            self.cx.push_element(item);
        }
        Ok(self.cx.close_array(start))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let start = self.cx.open_object()?;
        let mut seen = 0u64;
        while let Some(key) = map.next_key_seed(KeySeed {
            keys: &mut self.cx.keys,
        })? {
            self.cx.new_name(start, &mut seen, &key)?;
            let value = map.next_value_seed(NodeSeed { cx: &mut *self.cx })?;
            self.cx.push_member(key, value);
        }
        Ok(self.cx.close_object(start))
    }
}

struct KeySeed<'a> {
    keys: &'a mut Keys,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Key;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for KeySeed<'_> {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E>(self, v: &str) -> Result<Key, E> {
        Ok(self.keys.intern(v))
    }
}

/// Whether the two-thread parse's record reader gives the serial parse's
/// tree for `text`, one JSON value: `None` when it leaves the text to the
/// serial parse (as it must for anything invalid), `Some(false)` when it
/// reads a different tree, which would be a bug. For the fuzz target.
#[doc(hidden)]
pub fn record_reader_agrees(text: &str) -> Option<bool> {
    let bytes = text.as_bytes();
    let mut cx = Parsing::nested_at_most(100);
    let (node, end) = crate::scan::value(text, crate::scan::skip_space(bytes, 0), &mut cx, None)?;
    if crate::scan::skip_space(bytes, end) != text.len() {
        return None;
    }
    Some(serial(text, None).is_ok_and(|tree| same(&node, &tree)))
}

/// The same tree: same variants, same numbers (bit for bit), members in the
/// same order (`Node`'s `==` is JSON equality, which ignores member order).
pub(crate) fn same(a: &Node, b: &Node) -> bool {
    match (a, b) {
        (Node::Array(x), Node::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(x, y)| same(x, y))
        }
        (Node::Object(x), Node::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y.iter())
                    .all(|((k, v), (l, w))| k == l && same(v, w))
        }
        (Node::Int(x), Node::Int(y)) => x.inner() == y.inner(),
        (Node::UInt(x), Node::UInt(y)) => x.inner() == y.inner(),
        (Node::Double(x), Node::Double(y)) => x.inner().to_bits() == y.inner().to_bits(),
        (Node::Null, Node::Null) => true,
        (Node::Bool(x), Node::Bool(y)) => x.inner() == y.inner(),
        (Node::String(x), Node::String(y)) => x.inner() == y.inner(),
        _ => false,
    }
}
