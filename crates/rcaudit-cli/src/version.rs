//! What `rcaudit --version` says: the crate's version, the git commit it
//! was built from (`build.rs`), and the built-in rules it carries: each
//! pack's name, rule count and digest, so two binaries can be told apart
//! by the rules they judge with, not only by their version.

use std::fmt::Write as _;
use std::sync::OnceLock;

use rcaudit_rules::{LoadOptions, builtin};

/// The commit the binary was built from (short hash), or "unknown".
pub const COMMIT: &str = env!("RCAUDIT_COMMIT");

/// The version text (after the program's name), computed once.
pub fn text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let mut out = format!("{} (commit {COMMIT})", env!("CARGO_PKG_VERSION"));
        let rules = rcaudit_rules::load(&builtin::files(), &LoadOptions::default())
            .ok()
            .map(|(rules, _)| rules);
        for pack in builtin::packs() {
            let count = rules.as_ref().map_or_else(
                || "rules that do not load".to_owned(),
                |rules| {
                    let n = rules.rules.iter().filter(|r| &*r.pack == pack).count();
                    format!("{n} rule{}", if n == 1 { "" } else { "s" })
                },
            );
            let _ = write!(
                out,
                "\nbuilt-in pack {pack}: {count}, digest fnv1a64:{:016x}",
                builtin::digest(pack)
            );
        }
        out
    })
}
