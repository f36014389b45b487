//! Baselines: a previous `--format json` report, whose findings (by
//! fingerprint) are "old" and do not count toward the exit code.

use std::collections::BTreeSet;
use std::fmt;

/// The fingerprints of a previous report.
#[derive(Debug, Clone)]
pub struct Baseline {
    /// The file it was read from, as given.
    pub path: String,
    /// The fingerprints of its findings.
    pub fingerprints: BTreeSet<String>,
}

/// Why a file is not a baseline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaselineError(pub String);

impl fmt::Display for BaselineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BaselineError {}

impl Baseline {
    /// Reads a report written by `rcaudit check --format json`.
    pub fn parse(path: &str, text: &str) -> Result<Baseline, BaselineError> {
        let not_a_report = |why: &str| {
            BaselineError(format!(
                "{path} is not an rcaudit report ({why}); a baseline is the output of `rcaudit check --format json`"
            ))
        };
        // rcaudit's own parser: a key that repeats is an error, not "the
        // last one wins" (a second `findings` list could pass off every
        // new finding as old).
        let document = rcaudit_model::parse(text)
            .map(|node| rcaudit_model::value::to_json(&node))
            .map_err(|e| {
                BaselineError(format!(
                    "{path} is not JSON: {e}; a baseline is the output of `rcaudit check --format json`"
                ))
            })?;
        if document
            .pointer("/tool/name")
            .and_then(serde_json::Value::as_str)
            != Some("rcaudit")
        {
            return Err(not_a_report("no `tool.name: rcaudit`"));
        }
        let findings = document
            .get("findings")
            .and_then(serde_json::Value::as_array)
            .ok_or_else(|| not_a_report("no `findings` list"))?;
        let mut fingerprints = BTreeSet::new();
        for (i, finding) in findings.iter().enumerate() {
            let fingerprint = finding
                .get("fingerprint")
                .and_then(serde_json::Value::as_str)
                .ok_or_else(|| not_a_report(&format!("finding {i} has no `fingerprint`")))?;
            fingerprints.insert(fingerprint.to_owned());
        }
        Ok(Baseline {
            path: path.to_owned(),
            fingerprints,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_report_and_rejects_anything_else() {
        let report = r#"{"tool": {"name": "rcaudit", "version": "0.1.0"}, "findings": [{"fingerprint": "RC-PN-003:phone:1"}, {"fingerprint": "RC-EX-001:ext:2"}]}"#;
        let baseline = Baseline::parse("old.json", report).expect("a report");
        assert_eq!(baseline.fingerprints.len(), 2);
        for bad in [
            "not json",
            "[]",
            r#"{"tool": {"name": "other"}, "findings": []}"#,
            r#"{"tool": {"name": "rcaudit"}}"#,
            r#"{"tool": {"name": "rcaudit"}, "findings": [{"ruleId": "X"}]}"#,
            // A second list must not replace the first in silence.
            r#"{"tool": {"name": "rcaudit"}, "findings": [], "findings": [{"fingerprint": "a"}]}"#,
        ] {
            let error = Baseline::parse("old.json", bad).expect_err(bad);
            assert!(error.0.contains("old.json"), "{error}");
        }
    }
}
