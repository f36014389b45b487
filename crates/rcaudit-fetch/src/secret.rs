//! Secrets (tokens, client secrets, JWT credentials) that never print.

use std::fmt;

/// A secret string. `Debug` and `Display` print a placeholder, so a secret
/// cannot reach a log, an error message or a snapshot by formatting.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn never_formats_its_value() {
        let secret = Secret::new("eyJhbGciOi-very-secret");
        assert_eq!(format!("{secret}"), "***");
        assert!(!format!("{secret:?}").contains("secret"));
        assert_eq!(secret.expose(), "eyJhbGciOi-very-secret");
    }
}
