//! Snapshot bytes -> `parse_bytes` -> `validate`; the two-thread parse's
//! record reader agrees with the serial parse; for a document that parses,
//! every pointer into the tree must be located at a span whose text parses
//! to the same value (plain and indexed `locate` alike).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rcaudit_model::locate::{Index, locate, locate_indexed};
use rcaudit_model::{Node, pointer, value};

/// Up to this many pointers per document (a pointer per node would make
/// large inputs quadratic).
const MAX_POINTERS: usize = 64;

fuzz_target!(|data: &[u8]| {
    // The loader: UTF-8, syntax, shape, version, schema; errors render.
    match rcaudit_model::parse_bytes("fuzz.json", data.to_vec()) {
        Ok(snapshot) => {
            let _ = snapshot.validate();
            let _ = snapshot.account_id();
            let _ = snapshot.captured_at();
        }
        Err(error) => {
            let _ = error.to_string();
        }
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The two-thread parse's record reader reads only what the serial
    // parse reads, to the same tree.
    assert_ne!(value::record_reader_agrees(text), Some(false), "{text:?}");
    let Ok(root) = value::parse(text) else {
        return;
    };
    // Pointers into the tree (and a few that resolve nowhere).
    let mut pointers = Vec::new();
    let mut unique = true;
    collect(&root, &mut String::new(), &mut pointers, &mut unique);
    for extra in [
        "/extensions/0/id",
        "/phoneNumbers/1",
        "/a~1b/~0",
        "/0",
        "/-",
        "//",
    ] {
        pointers.push(extra.to_owned());
    }
    let plain = locate(text, &pointers);
    let index = Index::build(text);
    let indexed = locate_indexed(text, &index, &pointers);
    assert_eq!(plain.len(), pointers.len());
    assert_eq!(indexed.len(), pointers.len());
    // With duplicate member names, which copy a pointer means is not
    // settled (duplicates are about to become a load error): check only
    // documents without them.
    if !unique {
        return;
    }
    for ((p, span), span2) in pointers.iter().zip(&plain).zip(&indexed) {
        let node = root.pointer(p);
        assert_eq!(node.is_some(), span.is_some(), "locate({p:?}) = {span:?}");
        assert_eq!(span, span2, "locate and locate_indexed differ on {p:?}");
        if let (Some(node), Some(span)) = (node, span) {
            let slice = text
                .get(span.offset..span.offset + span.len)
                .expect("span inside the text, on char boundaries");
            let again = value::parse(slice).expect("a located span is a JSON value");
            assert!(again == *node, "{p:?}: span {slice:?} is not {node:?}");
        }
    }
});

fn collect(node: &Node, path: &mut String, out: &mut Vec<String>, unique: &mut bool) {
    if out.len() >= MAX_POINTERS {
        return;
    }
    out.push(path.clone());
    let len = path.len();
    match node {
        Node::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                pointer::push_index(path, i);
                collect(item, path, out, unique);
                path.truncate(len);
            }
        }
        Node::Object(object) => {
            let mut seen = std::collections::HashSet::new();
            for (name, item) in object.iter() {
                if !seen.insert(name) {
                    *unique = false;
                }
                pointer::push(path, name);
                collect(item, path, out, unique);
                path.truncate(len);
            }
        }
        _ => {}
    }
}
