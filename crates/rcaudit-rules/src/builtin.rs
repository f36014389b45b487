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

/// A digest of a built-in pack's files (their paths and texts, in path
/// order): FNV-1a, 64 bits. It identifies the rules a binary carries
/// (`rcaudit --version`), so two builds with the same digest judge the
/// same; it is not a defence against tampering.
pub fn digest(pack: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let files = generated::FILES.iter().filter(|(p, _, _)| *p == pack);
    for (_, path, text) in files {
        for byte in path.bytes().chain([0]).chain(text.bytes()).chain([0]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pack_has_a_digest_of_its_own_files() {
        assert_ne!(digest("core"), digest("no-such-pack"));
        // FNV-1a of nothing is its offset basis.
        assert_eq!(digest("no-such-pack"), 0xcbf2_9ce4_8422_2325);
    }
}
