//! Identifier syntax: what a rule id, a fact name, a field name and an
//! `at` location may look like.

/// A field path of an item or an absolute JSON pointer.
pub(crate) fn is_location(text: &str) -> bool {
    text.starts_with('/') || (!text.is_empty() && text.split('.').all(is_field_name))
}

pub(super) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub(super) fn is_field_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

pub(super) fn is_rule_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids() {
        assert!(is_rule_id("RC-PN-001"));
        assert!(is_rule_id("acme.fw_1"));
        assert!(!is_rule_id("1abc"));
        assert!(!is_rule_id("a b"));
        assert!(!is_rule_id(""));
    }
}
