//! `rcaudit-sandbox --help` documents every option: no option or argument
//! has an empty help line.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_rcaudit-sandbox");

/// The options and arguments of clap's long help (`--help`) and whether
/// each has a description: the line under its name, indented further,
/// that is not only a default or a list of possible values.
fn options(help: &str) -> Vec<(String, bool)> {
    let lines: Vec<&str> = help.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let name = line.trim_start();
        let indent = line.len() - name.len();
        if !(indent == 2 || indent == 6) || !(name.starts_with('-') || name.starts_with('<')) {
            continue;
        }
        // Short help puts the text on the same line, after two spaces.
        let inline = name
            .split_once("  ")
            .is_some_and(|(_, text)| !text.trim().is_empty() && !text.trim().starts_with('['));
        let described = inline
            || lines.get(i + 1).is_some_and(|next| {
                let text = next.trim_start();
                next.len() - text.len() >= 10
                    && !text.is_empty()
                    && !text.starts_with("[default")
                    && !text.starts_with("Possible values")
            });
        found.push((name.trim_end().to_owned(), described));
    }
    found
}

#[test]
fn the_parser_finds_an_option_without_help() {
    let help = "Options:\n      --port <PORT>\n          Port on 127.0.0.1\n\n      --seed <S>\n\n      --quiet\n          [default: 0]\n\n  -h, --help\n          Print help\n      --x <X>     \n      --y <Y>     Why\n";
    let undocumented: Vec<String> = options(help)
        .into_iter()
        .filter(|(_, described)| !described)
        .map(|(name, _)| name)
        .collect();
    assert_eq!(undocumented, ["--seed <S>", "--quiet", "--x <X>"]);
}

#[test]
fn every_option_has_a_description() {
    let output = Command::new(BIN).arg("--help").output().expect("runs");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    let options = options(&help);
    assert!(
        options.len() >= 20,
        "the options are found: {options:?}\n{help}"
    );
    let undocumented: Vec<&str> = options
        .iter()
        .filter(|(_, described)| !described)
        .map(|(name, _)| name.as_str())
        .collect();
    assert!(undocumented.is_empty(), "no help for {undocumented:?}");
}
