//! The built-in rule packs, embedded at build time from `rules/`.

use crate::load::RuleFile;

mod generated {
    include!(concat!(env!("OUT_DIR"), "/builtin_files.rs"));
}

/// Every built-in rule file, named `builtin:<pack>/<file>`.
pub fn files() -> Vec<RuleFile> {
    generated::FILES
        .iter()
        .map(|(pack, path, text)| RuleFile {
            name: format!("builtin:{path}"),
            text: (*text).to_owned(),
            pack: (*pack).to_owned(),
        })
        .collect()
}

/// The names of the built-in packs.
pub fn packs() -> Vec<&'static str> {
    let mut packs: Vec<&str> = generated::FILES.iter().map(|(pack, _, _)| *pack).collect();
    packs.dedup();
    packs
}
