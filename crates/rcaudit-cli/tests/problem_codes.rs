//! `rcaudit explain CODE`: a loader problem's code, as printed with every
//! diagnostic, explains itself, in full or by its last segment.

mod common;

use common::{rcaudit, stderr, stdout};
use rcaudit_rules::ProblemCode;

#[test]
fn explain_shows_every_problem_code() {
    for code in ProblemCode::ALL {
        let output = rcaudit(&["explain", code.as_str()]);
        assert_eq!(output.status.code(), Some(0), "{code}: {}", stderr(&output));
        let text = stdout(&output);
        assert!(text.starts_with(&format!("{code}\n\n")), "{text}");
        let words: Vec<&str> = text
            .lines()
            .skip(2)
            .flat_map(str::split_whitespace)
            .collect();
        assert_eq!(
            words.join(" "),
            code.description(),
            "the description, wrapped"
        );
    }
}

#[test]
fn explain_takes_a_codes_last_segment_when_unambiguous() {
    let output = rcaudit(&["explain", "fact-cycle"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).starts_with("rcaudit::rules::fact-cycle\n"),
        "{}",
        stdout(&output)
    );
    // Two codes end in `unknown-param`: the full code is needed.
    let output = rcaudit(&["explain", "unknown-param"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no rule or function is named `unknown-param`"));
}

/// The code a load error prints can be pasted into `rcaudit explain`.
#[test]
fn a_load_errors_code_is_explained() {
    let dir = std::env::temp_dir().join(format!("rcaudit-problem-codes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let rules = dir.join("rules.yaml");
    std::fs::write(&rules, "facts:\n  a: facts.b\n  b: facts.a\nrules: []\n").expect("write rules");
    let check = rcaudit(&[
        "check",
        "examples/demo.snapshot.json",
        "--rules",
        &rules.to_string_lossy(),
    ]);
    assert_eq!(check.status.code(), Some(2));
    let err = stderr(&check);
    assert!(err.contains("rcaudit::rules::fact-cycle"), "{err}");
    let explain = rcaudit(&["explain", "rcaudit::rules::fact-cycle"]);
    assert!(stdout(&explain).contains("cycle"), "{}", stdout(&explain));
    let _ = std::fs::remove_dir_all(&dir);
}
