//! Hostile and careless input, end to end: the verdict is never wrong in
//! silence, no input crashes the binary or steers the terminal, no output
//! destroys data. Each test names the case of RELIABILITY.md it covers.

#![expect(
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "tests fail by panicking"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

mod common;
use common::{json, rcaudit, rcaudit_in, repo, stderr, stdout};

/// Asserts that a run failed (exit 2) saying `words`.
fn fails_with(output: &Output, words: &str) {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        unwrapped(&err).contains(words),
        "expected {words:?} in:\n{err}"
    );
}

/// Diagnostics as one line: miette wraps long messages with `│` margins.
fn unwrapped(text: &str) -> String {
    text.replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn demo_text() -> String {
    std::fs::read_to_string(repo("examples/demo.snapshot.json")).expect("demo")
}

/// The demo with its first extension's name replaced.
fn demo_with_name(name: &str) -> String {
    let mut doc: serde_json::Value = serde_json::from_str(&demo_text()).expect("demo is JSON");
    doc["extensions"][0]["name"] = serde_json::Value::String(name.to_owned());
    serde_json::to_string_pretty(&doc).expect("serialises")
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}

fn arg(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// A rule that reports every extension with its name in the message.
const NAME_RULE: &str = r#"rules:
  - id: T-NAME-001
    title: names
    severity: warning
    target: extensions
    assert: "item.id == 0"
    message: "{{ item.name }} is named"
"#;

// ---------------------------------------------------------------------------
// 1. The verdict

/// A rule that fails at run time on every item (division by a computed
/// zero, which no load-time check can see).
const FAILING_RULE: &str = r#"rules:
  - id: T-FAIL-001
    title: fails at run time
    severity: error
    target: extensions
    assert: "size(item.name) / (size(item.name) - size(item.name)) > 0"
    message: never
"#;

#[test]
fn a_rule_error_fails_the_run_unless_warned() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rules = write(dir.path(), "fail.yaml", FAILING_RULE);
    let demo = repo("examples/demo.snapshot.json");
    let base = ["check", arg(&demo), "--no-builtin", "--rules", arg(&rules)];
    let output = rcaudit(&base);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("the audit is incomplete"),
        "{}",
        stderr(&output)
    );
    assert!(
        stdout(&output).contains("T-FAIL-001"),
        "{}",
        stdout(&output)
    );
    // The documented opt-out: reported, and the findings (none) decide.
    let warned = rcaudit(&[&base[..], &["--rule-errors", "warn"]].concat());
    assert_eq!(warned.status.code(), Some(0), "{}", stderr(&warned));
    assert!(
        stdout(&warned).contains("rule error"),
        "{}",
        stdout(&warned)
    );
    // --fail-on never is about findings: a rule error still fails.
    let never = rcaudit(&[&base[..], &["--fail-on", "never"]].concat());
    assert_eq!(never.status.code(), Some(2), "{}", stderr(&never));
}

#[test]
fn a_duplicated_key_is_an_error_naming_both_places() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = demo_text();
    let body = text.trim_end().strip_suffix('}').expect("an object");
    // Appending an empty `extensions` would make a failing snapshot pass
    // if the last copy won.
    let snapshot = write(
        dir.path(),
        "dup.json",
        format!("{},\n  \"extensions\": []\n}}\n", body.trim_end()),
    );
    let output = rcaudit(&["check", arg(&snapshot)]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let err = unwrapped(&stderr(&output));
    assert!(err.contains("has the key `extensions` twice"), "{err}");
    let first = text
        .lines()
        .position(|l| l.starts_with("  \"extensions\""))
        .expect("the demo has extensions")
        + 1;
    assert!(
        err.contains(&format!("line {first}, column 3, and again at line")),
        "{err}"
    );
    // Nested objects too, and names equal once decoded.
    let nested = demo_text().replacen("\"name\":", "\"n\\u0061me\": \"x\", \"name\":", 1);
    let snapshot = write(dir.path(), "nested.json", nested);
    let output = rcaudit(&["check", arg(&snapshot)]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("has the key `name` twice"),
        "{}",
        stderr(&output)
    );
}

// ---------------------------------------------------------------------------
// 3. Bounded resources, 6. messages that mislead

/// `(file name, bytes, expected exit, words stderr must hold)`.
fn unreadable_snapshots() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let text = demo_text();
    let utf16: Vec<u8> = std::iter::once(0xFEFF_u16)
        .chain(text.encode_utf16())
        .flat_map(u16::to_le_bytes)
        .collect();
    let utf16_no_bom: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    vec![
        (
            "utf16.json",
            utf16,
            "it is UTF-16LE text; rcaudit reads UTF-8",
        ),
        ("utf16be.json", utf16_no_bom, "it is UTF-16BE text"),
        ("nul.json", b"{\"a\": 1}\0".to_vec(), "NUL byte at offset 8"),
        (
            "version.json",
            text.replacen("\"snapshotVersion\": 1", "\"snapshotVersion\": 1.0", 1)
                .into_bytes(),
            "write the version as the integer 1",
        ),
    ]
}

#[test]
fn unreadable_snapshots_are_named_for_what_they_are() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, bytes, words) in unreadable_snapshots() {
        let path = write(dir.path(), name, &bytes);
        let output = rcaudit(&["check", arg(&path)]);
        fails_with(&output, words);
    }
}

/// A file of 8 MiB or more is read in halves by two threads, each a
/// chunk (1 MiB) at a time: a NUL byte is reported wherever it lies, at a
/// chunk's edges too, the first one when there are several (in one half
/// or in both).
#[test]
fn a_nul_byte_in_a_large_file_is_found_in_either_half() {
    let dir = tempfile::tempdir().expect("temp dir");
    let len = 9 << 20;
    for (at, also) in [
        (100, None),
        (len - 100, None),
        (len / 2, None),
        (1 << 20, None),
        ((1 << 20) - 1, None),
        (len / 2 + (1 << 20), None),
        (len - 1, None),
        (len - 5, Some(len / 2 - 1)),
        (3 << 20, Some((1 << 20) + 5)),
        (len - 5, Some(len / 2 + (1 << 20) + 3)),
    ] {
        let mut bytes = vec![b' '; len];
        bytes[at] = 0;
        if let Some(also) = also {
            bytes[also] = 0;
        }
        let path = write(dir.path(), "large.json", &bytes);
        let first = also.map_or(at, |also| also.min(at));
        let output = rcaudit(&["check", arg(&path)]);
        fails_with(&output, &format!("NUL byte at offset {first}"));
    }
}

#[test]
fn a_utf8_byte_order_mark_is_read_as_whitespace() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(
        dir.path(),
        "bom.json",
        [b"\xEF\xBB\xBF".as_slice(), demo_text().as_bytes()].concat(),
    );
    let plain = rcaudit(&["check", "examples/demo.snapshot.json", "--format", "json"]);
    let bom = rcaudit(&["check", arg(&path), "--format", "json"]);
    assert_eq!(bom.status.code(), Some(1), "{}", stderr(&bom));
    let findings = |o: &Output| json(o)["findings"].clone();
    assert_eq!(
        findings(&bom),
        findings(&plain),
        "same findings, same lines"
    );
}

#[test]
fn an_endless_or_oversized_input_stops_at_its_limit() {
    // /dev/zero is endless: it stops at the first NUL byte, at once.
    let output = rcaudit(&["check", "/dev/zero"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("NUL byte at offset 0"),
        "{}",
        stderr(&output)
    );
    // A file over the limit is refused by its size, and the message names
    // the limit and the option.
    let output = rcaudit(&[
        "check",
        "examples/demo.snapshot.json",
        "--max-file-size",
        "1K",
    ]);
    fails_with(
        &output,
        "larger than the 1 KiB limit for JSON documents; --max-file-size",
    );
    // Every reader: the rules, the config, the waivers, the baseline.
    for (flag, what) in [
        ("--rules", "rule file"),
        ("--config", "config"),
        ("--waivers", "waivers"),
        ("--baseline", "baseline"),
    ] {
        let output = rcaudit(&["check", "examples/demo.snapshot.json", flag, "/dev/zero"]);
        assert_eq!(output.status.code(), Some(2), "{flag}: {}", stderr(&output));
        assert!(
            stderr(&output).contains(&format!("cannot read {what} /dev/zero")),
            "{flag}: {}",
            stderr(&output)
        );
    }
    // A stream (standard input, a pipe) is read, within the limit.
    let mut child = Command::new(env!("CARGO_BIN_EXE_rcaudit"))
        .args(["check", "-", "--format", "json"])
        .current_dir(repo(""))
        .stdin(std::fs::File::open(repo("examples/demo.snapshot.json")).expect("demo"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let status = child.wait().expect("ends");
    assert_eq!(status.code(), Some(1));
}

#[test]
fn a_utf16_rule_file_is_named_as_such() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bytes: Vec<u8> = std::iter::once(0xFEFF_u16)
        .chain(NAME_RULE.encode_utf16())
        .flat_map(u16::to_le_bytes)
        .collect();
    let rules = write(dir.path(), "rules.yaml", bytes);
    let output = rcaudit(&[
        "check",
        "examples/demo.snapshot.json",
        "--rules",
        arg(&rules),
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("UTF-16LE text"),
        "{}",
        stderr(&output)
    );
}

// ---------------------------------------------------------------------------
// 4. Output never destroys data

#[test]
fn an_output_over_an_input_is_refused_and_the_input_kept() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = demo_text();
    let snapshot = write(dir.path(), "s.json", &text);
    let rules = write(dir.path(), "r.yaml", NAME_RULE);
    let waivers = write(dir.path(), "w.yaml", "waivers: []\n");
    for (output_path, extra) in [
        ("s.json", vec![]),
        ("./s.json", vec![]),
        ("r.yaml", vec!["--rules", "r.yaml"]),
        ("w.yaml", vec!["--waivers", "w.yaml"]),
    ] {
        let args = [
            &["check", "s.json", "--format", "json", "-o", output_path][..],
            &extra[..],
        ]
        .concat();
        let output = rcaudit_in(dir.path(), &args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{output_path}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains("refusing to write"),
            "{}",
            stderr(&output)
        );
    }
    assert_eq!(std::fs::read_to_string(&snapshot).expect("kept"), text);
    assert_eq!(std::fs::read_to_string(&rules).expect("kept"), NAME_RULE);
    assert_eq!(
        std::fs::read_to_string(&waivers).expect("kept"),
        "waivers: []\n"
    );
}

#[cfg(unix)]
#[test]
fn a_link_keeps_being_a_link_and_a_pipe_a_pipe() {
    use std::os::unix::fs::FileTypeExt as _;
    let dir = tempfile::tempdir().expect("temp dir");
    let target = write(dir.path(), "target.json", "old");
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(&target, &link).expect("symlink");
    let demo = repo("examples/demo.snapshot.json");
    let output = rcaudit(&["check", arg(&demo), "--format", "json", "-o", arg(&link)]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        std::fs::symlink_metadata(&link)
            .expect("link")
            .file_type()
            .is_symlink(),
        "the link was replaced by a file"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&target).expect("target")).expect("JSON");
    assert!(report["findings"].is_array());

    // A FIFO (like /dev/null or /dev/stdout, a node that is not a file):
    // written in place, never renamed over.
    let fifo = dir.path().join("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        return; // no mkfifo on this system: the link case above still ran
    }
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).expect("read the fifo"))
    };
    let output = rcaudit(&["check", arg(&demo), "--format", "sarif", "-o", arg(&fifo)]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let sent = reader.join().expect("reader");
    assert!(sent.contains("\"version\": \"2.1.0\""), "{sent}");
    let kind = std::fs::symlink_metadata(&fifo).expect("fifo").file_type();
    assert!(kind.is_fifo(), "the FIFO was replaced by a file");
}

/// In every format, the text for people, JSON (written to stdout as it
/// is rendered) and SARIF (rendered first).
#[cfg(target_os = "linux")]
#[test]
fn a_failed_write_to_stdout_fails_the_run() {
    for format in ["human", "json", "sarif"] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let output = Command::new(env!("CARGO_BIN_EXE_rcaudit"))
            .args(["check", "examples/demo.snapshot.json", "--format", format])
            .current_dir(repo(""))
            .env("NO_COLOR", "1")
            .stdout(full)
            .output()
            .expect("runs");
        fails_with(&output, "could not be written to stdout");
    }
}

// ---------------------------------------------------------------------------
// 5. Injection

/// Controls a terminal, a log viewer or a reader acts on.
const HOSTILE_NAME: &str = "Eve\u{1b}]0;owned\u{7}\u{1b}[2J\u{9b}31m\u{202e}txt.exe\r<img src=x onerror=alert(1)> [x](http://e) | *b*";

fn holds_raw_controls(text: &str) -> Option<char> {
    text.chars()
        .find(|&c| rcaudit_model::text::is_unsafe(c) || c == '\r')
}

#[test]
fn no_format_for_people_passes_a_control_through() {
    let dir = tempfile::tempdir().expect("temp dir");
    let snapshot = write(dir.path(), "s.json", demo_with_name(HOSTILE_NAME));
    let rules = write(dir.path(), "r.yaml", NAME_RULE);
    for format in ["human", "github", "markdown", "junit", "html"] {
        let out_file = dir.path().join(format!("out.{format}"));
        let output = rcaudit(&[
            "check",
            arg(&snapshot),
            "--no-builtin",
            "--rules",
            arg(&rules),
            "--format",
            format,
            "-o",
            arg(&out_file),
        ]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{format}: {}",
            stderr(&output)
        );
        let file = std::fs::read_to_string(&out_file).expect("written");
        // Markdown shows the escape through its own escaping.
        let shown = if format == "markdown" {
            "\\\\u\\{1b\\}\\]0;owned"
        } else {
            "\\u{1b}]0;owned"
        };
        assert_eq!(holds_raw_controls(&file), None, "{format}: {file}");
        assert!(file.contains(shown), "{format} shows the escape: {file}");
        let human = stdout(&output);
        assert_eq!(holds_raw_controls(&human), None, "{format}: {human}");
    }
    // The JSON report keeps the data exactly (its encoder escapes it).
    let output = rcaudit(&[
        "check",
        arg(&snapshot),
        "--no-builtin",
        "--rules",
        arg(&rules),
        "--format",
        "json",
    ]);
    let report = json(&output);
    assert_eq!(
        report["findings"][0]["message"],
        // (templates read a line break as a space)
        format!("{} is named", HOSTILE_NAME.replace('\r', " "))
    );
}

#[test]
fn markdown_in_data_never_becomes_markup() {
    let dir = tempfile::tempdir().expect("temp dir");
    let snapshot = write(dir.path(), "s.json", demo_with_name(HOSTILE_NAME));
    let rules = write(dir.path(), "r.yaml", NAME_RULE);
    let output = rcaudit(&[
        "check",
        arg(&snapshot),
        "--no-builtin",
        "--rules",
        arg(&rules),
        "--format",
        "markdown",
    ]);
    let text = stdout(&output);
    let row = text
        .lines()
        .find(|l| l.contains("is named") && l.contains("Eve"))
        .expect("the finding's row");
    assert!(row.contains("\\<img src=x onerror=alert(1)\\>"), "{row}");
    assert!(row.contains("\\[x\\](http\\://e)"), "{row}");
    assert!(row.contains("\\| \\*b\\*"), "{row}");
    // The row still has its four cell borders: the data's `|` did not add one.
    assert_eq!(row.matches(" | ").count(), 2, "{row}");
}

#[test]
fn file_names_in_messages_cannot_steer_the_terminal() {
    let output = rcaudit(&["check", "no-such-\u{1b}]0;owned\u{7}.json"]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert_eq!(holds_raw_controls(&err), None, "{err}");
    assert!(err.contains("no-such-\\u{1b}]0;owned\\u{7}.json"), "{err}");
}

#[test]
fn audit_never_saves_or_reports_over_what_it_reads_or_writes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rules = write(dir.path(), "r.yaml", NAME_RULE);
    // No server is asked: the outputs are refused before anything else.
    for args in [
        &["audit", "--save", "new.json", "-o", "new.json"][..],
        &["audit", "--save", "r.yaml", "--rules", "r.yaml"][..],
        &["audit", "-o", "./r.yaml", "--rules", "r.yaml"][..],
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_rcaudit"))
            .args(args)
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .env("RINGCENTRAL_TOKEN", "x")
            .env("RINGCENTRAL_SERVER_URL", "http://127.0.0.1:9")
            .output()
            .expect("runs");
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            unwrapped(&stderr(&output)).contains("refusing to write"),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    assert_eq!(std::fs::read_to_string(&rules).expect("kept"), NAME_RULE);
    assert!(!dir.path().join("new.json").exists());
}

#[test]
fn a_token_file_is_read_within_a_limit() {
    let output = Command::new(env!("CARGO_BIN_EXE_rcaudit"))
        .args(["fetch", "--token-file", "/dev/zero", "-o", "never.json"])
        .current_dir(std::env::temp_dir())
        .env("NO_COLOR", "1")
        .env("RINGCENTRAL_SERVER_URL", "http://127.0.0.1:9")
        .output()
        .expect("runs");
    fails_with(&output, "cannot read the token file /dev/zero");
}

// ---------------------------------------------------------------------------
// Variations found by a second attempt (RELIABILITY.md, "Variations")

/// Runs the binary in `dir` with standard input from `stdin`.
fn rcaudit_stdin(dir: &Path, args: &[&str], stdin: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rcaudit"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .stdin(std::fs::File::open(stdin).expect("stdin file"))
        .output()
        .expect("runs")
}

#[test]
fn no_file_the_run_read_is_written_however_it_was_found() {
    let dir = tempfile::tempdir().expect("temp dir");
    let snapshot = demo_text();
    write(dir.path(), "s.json", &snapshot);
    std::fs::create_dir(dir.path().join("rules")).expect("mkdir");
    write(dir.path(), "rules/r.yaml", NAME_RULE);
    let listed = NAME_RULE.replace("T-NAME-001", "T-NAME-002");
    write(dir.path(), "listed.yaml", &listed);
    write(dir.path(), "rcaudit.yaml", "rules: [listed.yaml]\n");
    write(dir.path(), "token.txt", "tok");
    let refused = |output: &Output, what: &str| {
        assert_eq!(output.status.code(), Some(2), "{what}: {}", stderr(output));
        assert!(
            unwrapped(&stderr(output)).contains("refusing to write"),
            "{what}: {}",
            stderr(output)
        );
    };
    // A rule file found in a --rules folder, and one the config lists.
    for (out, what) in [
        ("rules/r.yaml", "in a folder"),
        ("listed.yaml", "in the config"),
    ] {
        let output = rcaudit_in(
            dir.path(),
            &[
                "check", "s.json", "--rules", "rules", "--format", "junit", "-o", out,
            ],
        );
        refused(&output, what);
    }
    // The snapshot read from standard input.
    let output = rcaudit_stdin(
        dir.path(),
        &["check", "-", "--format", "json", "-o", "s.json"],
        &dir.path().join("s.json"),
    );
    refused(&output, "stdin");
    // The token file of a fetch: refused before any request.
    let output = Command::new(env!("CARGO_BIN_EXE_rcaudit"))
        .args(["fetch", "--token-file", "token.txt", "-o", "token.txt"])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .env("RINGCENTRAL_SERVER_URL", "http://127.0.0.1:9")
        .output()
        .expect("runs");
    refused(&output, "token file");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("s.json")).expect("kept"),
        snapshot
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("rules/r.yaml")).expect("kept"),
        NAME_RULE
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("listed.yaml")).expect("kept"),
        listed
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("token.txt")).expect("kept"),
        "tok"
    );
}

#[cfg(unix)]
#[test]
fn a_dangling_link_is_followed_and_a_linked_rules_folder_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let demo = repo("examples/demo.snapshot.json");
    let link = dir.path().join("dangling.json");
    std::os::unix::fs::symlink(dir.path().join("made.json"), &link).expect("symlink");
    let output = rcaudit(&["check", arg(&demo), "--format", "json", "-o", arg(&link)]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        std::fs::symlink_metadata(&link)
            .expect("link")
            .file_type()
            .is_symlink()
    );
    assert!(
        dir.path().join("made.json").is_file(),
        "the link's target was written"
    );

    // A folder of rules reached through a link is read, not skipped.
    std::fs::create_dir(dir.path().join("shared")).expect("mkdir");
    write(dir.path(), "shared/names.yaml", NAME_RULE);
    std::fs::create_dir(dir.path().join("rules")).expect("mkdir");
    std::os::unix::fs::symlink("../shared", dir.path().join("rules/shared")).expect("symlink");
    let rules = dir.path().join("rules");
    let output = rcaudit(&[
        "check",
        arg(&demo),
        "--no-builtin",
        "--rules",
        arg(&rules),
        "--format",
        "json",
    ]);
    assert_eq!(
        json(&output)["summary"]["rulesRun"],
        1,
        "{}",
        stdout(&output)
    );
}

#[test]
fn a_run_with_no_rule_is_no_pass() {
    let dir = tempfile::tempdir().expect("temp dir");
    let empty = write(dir.path(), "empty.yaml", "rules: []\n");
    for args in [
        &["check", "examples/demo.snapshot.json", "--no-builtin"][..],
        &[
            "check",
            "examples/demo.snapshot.json",
            "--no-builtin",
            "--rules",
            arg(&empty),
        ][..],
    ] {
        let output = rcaudit(args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            unwrapped(&stderr(&output)).contains("no rule is enabled"),
            "{}",
            stderr(&output)
        );
    }
}

#[test]
fn diff_fails_when_a_rule_could_not_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rules = write(dir.path(), "fail.yaml", FAILING_RULE);
    let demo = repo("examples/demo.snapshot.json");
    let output = rcaudit(&[
        "diff",
        arg(&demo),
        arg(&demo),
        "--no-builtin",
        "--rules",
        arg(&rules),
    ]);
    fails_with(&output, "rule error");
}

#[test]
fn colour_sequences_in_data_are_shown_when_colour_is_off() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rules = write(
        dir.path(),
        "esc.yaml",
        "rules:\n  - id: T-ESC-001\n    severity: warning\n    title: \"ok \\e[8mHIDDEN\\e[0m\"\n    target: account\n    assert: \"true\"\n    message: m\n",
    );
    let mut doc: serde_json::Value = serde_json::from_str(&demo_text()).expect("demo is JSON");
    let mut added = doc["extensions"][0].clone();
    added["id"] = serde_json::json!(5);
    added["extensionNumber"] = serde_json::json!("5\u{1b}[8mHIDDEN\u{1b}[0m");
    doc["extensions"]
        .as_array_mut()
        .expect("a list")
        .push(added);
    let snapshot = write(dir.path(), "s.json", doc.to_string());
    let demo = repo("examples/demo.snapshot.json");
    for args in [
        &[
            "rules",
            "--no-builtin",
            "--rules",
            arg(&rules),
            "--color",
            "never",
        ][..],
        &[
            "explain",
            "T-ESC-001",
            "--rules",
            arg(&rules),
            "--color",
            "never",
        ][..],
        &["diff", arg(&demo), arg(&snapshot), "--color", "never"][..],
    ] {
        let output = rcaudit(args);
        let text = stdout(&output);
        assert!(!text.contains('\u{1b}'), "{args:?}: {text}");
        assert!(text.contains("\\u{1b}[8mHIDDEN"), "{args:?}: {text}");
    }
}

#[test]
fn a_case_file_loses_no_expectation() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rule = "rules:\n    - {id: T-C-001, severity: error, title: t, target: extensions, assert: \"false\", message: m}\n";
    // `findings` as a map, not a list: its expectation would vanish.
    let map = write(
        dir.path(),
        "map.yaml",
        format!(
            "name: a map\nrules:\n  {rule}snapshot: {{snapshotVersion: 1, account: {{id: 1}}, extensions: []}}\nexpect:\n  findings: {{rule: T-C-001, pointer: /extensions/0}}\n"
        ),
    );
    let output = rcaudit(&["test", "--no-builtin", arg(&map)]);
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    assert!(
        unwrapped(&stderr(&output)).contains("`findings` is a list"),
        "{}",
        stderr(&output)
    );
    // No `ruleErrors` stated: none expected, so a failing rule fails the case.
    let failing = format!("  {}", FAILING_RULE.trim_end().replace('\n', "\n  ")) + "\n";
    let silent = write(
        dir.path(),
        "silent.yaml",
        format!(
            "name: silent\nrules:\n{failing}snapshot: {{snapshotVersion: 1, account: {{id: 1}}, extensions: [{{id: 1, extensionNumber: \"101\", name: x, type: User, status: Enabled}}]}}\nexpect:\n  findings: []\n"
        ),
    );
    let output = rcaudit(&["test", "--no-builtin", arg(&silent)]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
}

#[test]
fn diff_never_reads_unknown_as_removed_or_unchanged() {
    let dir = tempfile::tempdir().expect("temp dir");
    let demo = repo("examples/demo.snapshot.json");
    let doc: serde_json::Value = serde_json::from_str(&demo_text()).expect("demo is JSON");
    // The new snapshot could not read its extensions.
    let mut lost = doc.clone();
    lost.as_object_mut()
        .expect("an object")
        .remove("extensions");
    let lost = write(dir.path(), "lost.json", lost.to_string());
    // The new snapshot has an extension without an id.
    let mut ghost = doc.clone();
    let mut added = doc["extensions"][0].clone();
    added.as_object_mut().expect("an object").remove("id");
    ghost["extensions"]
        .as_array_mut()
        .expect("a list")
        .push(added);
    let ghost = write(dir.path(), "ghost.json", ghost.to_string());
    for (new, words) in [
        (&lost, "`extensions` is absent from the new snapshot"),
        (
            &ghost,
            "1 record(s) of `extensions` in the new snapshot have no `id`",
        ),
    ] {
        let output = rcaudit(&[
            "diff",
            arg(&demo),
            arg(new),
            "--no-builtin",
            "--rules",
            "tests/fixtures/rules/never-fires.yaml",
        ]);
        let text = unwrapped(&stdout(&output));
        assert_eq!(output.status.code(), Some(1), "{text}{}", stderr(&output));
        assert!(text.contains(words), "{text}");
        assert!(!text.contains("extensions removed"), "{text}");
    }
}
