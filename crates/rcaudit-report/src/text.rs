//! Untrusted text made safe for the formats people read.
//!
//! Everything a report shows comes from a snapshot, a rule file, a waiver
//! file or a server: none of it may steer a terminal (escape sequences set
//! the window title, clear the screen, hide lines), reorder what is read
//! (bidirectional overrides, "Trojan Source"), or become markup. The JSON
//! and SARIF formats keep text exactly (their encoders escape it); every
//! other format passes its text through [`neutralize`], and Markdown
//! through [`markdown`] and [`markdown_code`] as well.

pub use rcaudit_model::text::neutralize;

/// Text for Markdown: neutralised, on one line, with every character that
/// could start markup mid-line escaped with a backslash (`CommonMark` lets
/// any ASCII punctuation be escaped): no link, image, emphasis, code, HTML
/// tag or entity, no GFM autolink (`http://`, `www.`, `a@b.c`), and `|`
/// never ends a table cell. Data goes only mid-line (after `| ` or `- `),
/// so line-start markers (`#`, `-`, `1.`) need nothing.
pub fn markdown(text: &str) -> String {
    let text = neutralize(text);
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' | '\t' => out.push(' '),
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '<' | '>' | '!' | '|' | '~' | '&'
            | ':' | '@' => {
                out.push('\\');
                out.push(c);
            }
            '.' if out
                .get(out.len().saturating_sub(3)..)
                .is_some_and(|t| t.eq_ignore_ascii_case("www")) =>
            {
                out.push_str("\\.");
            }
            c => out.push(c),
        }
    }
    out
}

/// Text as a Markdown code span in a table cell: the fence is longer than
/// any run of backticks inside, and `|` is escaped (tables are split
/// before code spans are read).
pub fn markdown_code(text: &str) -> String {
    let text = neutralize(text)
        .replace(['\n', '\t'], " ")
        .replace('|', "\\|");
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') || longest > 0 {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_data_never_becomes_markup() {
        assert_eq!(
            markdown("<img src=x onerror=alert(1)> [a](http://e) **b** | c &amp; www.x.com"),
            "\\<img src=x onerror=alert(1)\\> \\[a\\](http\\://e) \\*\\*b\\*\\* \\| c \\&amp; www\\.x.com"
        );
        assert_eq!(markdown("call-flip (2 of 10)."), "call-flip (2 of 10).");
        assert_eq!(markdown_code("a`b|c"), "`` a`b\\|c ``");
        assert_eq!(markdown_code("/extensions/0"), "`/extensions/0`");
    }
}
