//! The fleet file: the accounts `rcaudit fleet` audits, checked like a
//! config (every problem at once, each pointing into the file).
//!
//! ```yaml
//! accounts:
//!   - name: alpha
//!     server: https://platform.ringcentral.com   # the default
//!     tokenEnv: ALPHA_TOKEN     # or tokenFile, or clientIdEnv + clientSecretEnv + jwtEnv
//! ```
//!
//! Credentials are named, never written: an environment variable or a
//! file (relative to the fleet file) holds each secret.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use miette::SourceSpan;
use rcaudit_fetch::Server;
use rcaudit_model::SourceText;
use rcaudit_rules::yaml::{self, Yaml};
use rcaudit_rules::{LoadErrors, Problem, ProblemCode};

/// The keys of an account, with what each holds (for did-you-mean).
const ACCOUNT_KEYS: &[&str] = &[
    "name",
    "server",
    "tokenEnv",
    "tokenFile",
    "clientIdEnv",
    "clientSecretEnv",
    "jwtEnv",
];

/// Where an account's credentials come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// An access token in this environment variable.
    TokenEnv(String),
    /// An access token in this file.
    TokenFile(PathBuf),
    /// The JWT grant: the environment variables of the client id, the
    /// client secret and the JWT.
    Jwt {
        client_id: String,
        client_secret: String,
        jwt: String,
    },
}

/// One account of the file.
#[derive(Debug, Clone)]
pub struct Account {
    /// Its name (a folder's name: [`rcaudit_report::fleet::valid_name`]).
    pub name: String,
    /// The API server.
    pub server: Server,
    /// Where its credentials come from.
    pub credentials: Credentials,
}

/// A checked fleet file.
#[derive(Debug)]
pub struct FleetFile {
    /// Its accounts, in the file's order.
    pub accounts: Vec<Account>,
}

fn problem(src: &SourceText, span: SourceSpan, message: impl Into<String>) -> Problem {
    Problem::error(ProblemCode::Fleet, src, span, message)
}

/// The keys whose values name environment variables.
const ENV_KEYS: &[&str] = &["tokenEnv", "clientIdEnv", "clientSecretEnv", "jwtEnv"];

/// The file's text as problems show it: a value that should name an
/// environment variable but cannot is masked, one `*` per byte (so every
/// span still points where it did), since it may be a secret pasted in
/// its place, and a problem's snippet shows the lines around it too.
fn masked(text: &str, doc: &Yaml) -> String {
    let mut hide: Vec<std::ops::Range<usize>> = Vec::new();
    let accounts = doc
        .get("accounts")
        .and_then(Yaml::as_seq)
        .unwrap_or_default();
    for account in accounts {
        for key in ENV_KEYS {
            if let Some(value) = account.get(key)
                && value.as_str().is_some_and(|v| !env_name(v))
            {
                hide.push(value.span.offset()..value.span.offset() + value.span.len());
            }
        }
    }
    text.char_indices()
        .flat_map(|(at, c)| {
            let secret = hide.iter().any(|r| r.contains(&at));
            let shown = if secret { '*' } else { c };
            std::iter::repeat_n(shown, if secret { c.len_utf8() } else { 1 })
        })
        .collect()
}

/// Whether `name` may be an environment variable's name.
fn env_name(name: &str) -> bool {
    name.bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Parses and checks a fleet file's text (`name` is how messages name it;
/// `folder` is where a relative `tokenFile` is looked for).
pub fn parse(name: &str, text: &str, folder: &Path) -> Result<FleetFile, LoadErrors> {
    let fail = |problems: Vec<Problem>| LoadErrors { problems };
    let doc = yaml::parse(text).map_err(|e| {
        let src = SourceText::new(name, text);
        fail(vec![
            problem(&src, e.span, e.headline(name)).label(e.message),
        ])
    })?;
    let src = SourceText::new(name, masked(text, &doc));
    let whole = SourceSpan::from((0, text.len().min(1)));
    let Some(members) = doc.as_map() else {
        return Err(fail(vec![
            problem(
                &src,
                doc.span,
                format!(
                    "a fleet file is a mapping with `accounts:`, not {}",
                    doc.kind()
                ),
            )
            .help("accounts:\n  - name: alpha\n    tokenEnv: ALPHA_TOKEN"),
        ]));
    };
    let mut problems = Vec::new();
    let mut list = None;
    for (key, value) in members {
        match key.as_str().unwrap_or_default() {
            "accounts" => list = Some(value),
            other => {
                let mut p = problem(
                    &src,
                    key.span,
                    format!("unknown key `{other}` in the fleet file"),
                );
                p = match rcaudit_rules::suggest(other, ["accounts"]) {
                    Some(known) => p.help(format!("did you mean `{known}`?")),
                    None => p.help("the fleet file has one key, `accounts`"),
                };
                problems.push(p);
            }
        }
    }
    let mut accounts = Vec::new();
    match list.map(|l| (l, l.as_seq())) {
        None => problems.push(problem(
            &src,
            whole,
            "the fleet file has no `accounts:` list",
        )),
        Some((list, None)) => problems.push(problem(
            &src,
            list.span,
            format!("`accounts` is a list of accounts, not {}", list.kind()),
        )),
        Some((list, Some([]))) => problems.push(problem(
            &src,
            list.span,
            "`accounts` is empty: a fleet run with no account would audit nothing",
        )),
        Some((_, Some(items))) => {
            // Names decide folders: two that differ only in case would
            // share one on a case-insensitive file system.
            let mut names: BTreeMap<String, SourceSpan> = BTreeMap::new();
            for item in items {
                let (name, account) = account(&src, item, folder, &mut problems);
                let Some(name) = name else {
                    continue;
                };
                let key = name.to_ascii_lowercase();
                if let Some(first) = names.get(&key) {
                    let line = src.line_col(first.offset()).line;
                    problems.push(
                        problem(
                            &src,
                            item.get("name").map_or(item.span, |n| n.span),
                            format!(
                                "the name `{name}` is used twice (first on line {line}; names \
                                 differing only in case count as the same)"
                            ),
                        )
                        .help("each account writes to a folder of its name: give it another"),
                    );
                    continue;
                }
                names.insert(key, item.get("name").map_or(item.span, |n| n.span));
                accounts.extend(account);
            }
        }
    }
    if problems.is_empty() {
        Ok(FleetFile { accounts })
    } else {
        Err(fail(problems))
    }
}

/// A string member of an account, if present and a string.
fn string<'a>(
    src: &SourceText,
    item: &'a Yaml,
    key: &str,
    problems: &mut Vec<Problem>,
) -> Option<(&'a str, SourceSpan)> {
    let value = item.get(key)?;
    match value.as_str() {
        Some(text) => Some((text, value.span)),
        None => {
            problems.push(problem(
                &src.clone(),
                value.span,
                format!("`{key}` is a string, not {}", value.kind()),
            ));
            None
        }
    }
}

/// Where an account's credentials come from, or `None` after recording
/// its problems: exactly one kind, each variable's name a valid one.
fn credentials(
    src: &SourceText,
    item: &Yaml,
    folder: &Path,
    problems: &mut Vec<Problem>,
) -> Option<Credentials> {
    let mut env = |key: &str| -> Option<String> {
        let (text, span) = string(src, item, key, problems)?;
        if env_name(text) {
            Some(text.to_owned())
        } else {
            // It may be the secret itself, pasted: it is masked in the
            // text every problem shows ([`masked`]).
            problems.push(
                problem(
                    src,
                    span,
                    format!("`{key}` names an environment variable, and its value (masked) cannot be one"),
                )
                .help("if it is the secret itself, remove it from the file (and rotate it, if the file was shared): put it in a variable and name the variable here"),
            );
            None
        }
    };
    let token_env = env("tokenEnv");
    let client_id = env("clientIdEnv");
    let client_secret = env("clientSecretEnv");
    let jwt = env("jwtEnv");
    let token_file = string(src, item, "tokenFile", problems).map(|(path, _)| folder.join(path));
    let jwt_keys = ["clientIdEnv", "clientSecretEnv", "jwtEnv"];
    let has = |key: &str| item.get(key).is_some();
    let kinds = usize::from(has("tokenEnv"))
        + usize::from(has("tokenFile"))
        + usize::from(jwt_keys.iter().any(|k| has(k)));
    if kinds > 1 {
        problems.push(
            problem(src, item.span, "an account has credentials of more than one kind")
                .help("give one of `tokenEnv`, `tokenFile`, or `clientIdEnv` with `clientSecretEnv` and `jwtEnv`"),
        );
        None
    } else if kinds == 0 {
        problems.push(
            problem(src, item.span, "an account needs credentials")
                .help("`tokenEnv: VAR` (an access token in VAR), `tokenFile: PATH`, or `clientIdEnv`, `clientSecretEnv` and `jwtEnv` for the JWT grant"),
        );
        None
    } else if has("tokenEnv") {
        token_env.map(Credentials::TokenEnv)
    } else if has("tokenFile") {
        token_file.map(Credentials::TokenFile)
    } else {
        let missing: Vec<&str> = jwt_keys.iter().copied().filter(|k| !has(k)).collect();
        if !missing.is_empty() {
            problems.push(problem(
                src,
                item.span,
                format!(
                    "the JWT grant needs `clientIdEnv`, `clientSecretEnv` and `jwtEnv`; `{}` missing",
                    missing.join("`, `")
                ),
            ));
        }
        match (client_id, client_secret, jwt) {
            (Some(client_id), Some(client_secret), Some(jwt)) => Some(Credentials::Jwt {
                client_id,
                client_secret,
                jwt,
            }),
            _ => None,
        }
    }
}

/// One account's name (when it has a valid one), and the account, or
/// `None` after recording its problems.
fn account(
    src: &SourceText,
    item: &Yaml,
    folder: &Path,
    problems: &mut Vec<Problem>,
) -> (Option<String>, Option<Account>) {
    let Some(members) = item.as_map() else {
        problems.push(
            problem(
                src,
                item.span,
                format!("an account is a mapping, not {}", item.kind()),
            )
            .help("- name: alpha\n  tokenEnv: ALPHA_TOKEN"),
        );
        return (None, None);
    };
    let before = problems.len();
    for (key, _) in members {
        let text = key.as_str().unwrap_or_default();
        if !ACCOUNT_KEYS.contains(&text) {
            let p = problem(src, key.span, format!("unknown key `{text}` in an account"));
            problems.push(
                match rcaudit_rules::suggest(text, ACCOUNT_KEYS.iter().copied()) {
                    Some(known) => p.help(format!("did you mean `{known}`?")),
                    None => p.help(format!("an account's keys are {}", ACCOUNT_KEYS.join(", "))),
                },
            );
        }
    }
    let name = match string(src, item, "name", problems) {
        Some((name, span)) if !rcaudit_report::fleet::valid_name(name) => {
            problems.push(
                problem(src, span, format!("`{name}` cannot be an account's name"))
                    .help("it names the account's folder, on every system: letters, digits, `.`, `_` and `-`, starting with a letter or digit and not ending with `.`, at most 64, and neither a Windows device name (con, nul, com1, ...) nor `fleet.json` or `fleet.md`"),
            );
            None
        }
        Some((name, _)) => Some(name.to_owned()),
        None => {
            if item.get("name").is_none() {
                problems.push(problem(src, item.span, "an account needs a `name`"));
            }
            None
        }
    };
    let server = match string(src, item, "server", problems) {
        Some((text, span)) => match Server::parse(text) {
            Ok(server) => Some(server),
            Err(why) => {
                problems.push(problem(src, span, why));
                None
            }
        },
        None => Server::parse(rcaudit_fetch::PRODUCTION).ok(),
    };
    let credentials = credentials(src, item, folder, problems);
    let account = match (&name, server, credentials) {
        (Some(name), Some(server), Some(credentials)) if problems.len() == before => {
            Some(Account {
                name: name.clone(),
                server,
                credentials,
            })
        }
        _ => None,
    };
    (name, account)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(text: &str) -> Vec<(usize, String)> {
        match parse("fleet.yaml", text, Path::new("/etc/rcaudit")) {
            Ok(_) => Vec::new(),
            Err(errors) => errors
                .problems
                .iter()
                .map(|p| (p.line(), p.message.clone()))
                .collect(),
        }
    }

    #[test]
    fn accounts_read_with_each_kind_of_credentials() {
        let text = "accounts:\n\
                    - {name: alpha, tokenEnv: ALPHA_TOKEN}\n\
                    - {name: beta.eu, server: 'https://platform.ringcentral.biz', tokenFile: beta.token}\n\
                    - {name: gamma, clientIdEnv: G_ID, clientSecretEnv: G_SECRET, jwtEnv: G_JWT}\n";
        let file = parse("fleet.yaml", text, Path::new("/etc/rcaudit")).expect("valid");
        let names: Vec<&str> = file.accounts.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["alpha", "beta.eu", "gamma"]);
        assert_eq!(
            file.accounts[0].server.to_string(),
            rcaudit_fetch::PRODUCTION
        );
        assert_eq!(
            file.accounts[1].credentials,
            Credentials::TokenFile(PathBuf::from("/etc/rcaudit/beta.token"))
        );
        assert!(matches!(
            file.accounts[2].credentials,
            Credentials::Jwt { .. }
        ));
    }

    #[test]
    fn every_problem_is_reported_with_its_line() {
        let text = "acounts: []\naccounts:\n\
                    - {name: alpha, tokenEnv: ALPHA_TOKEN}\n\
                    - {name: ALPHA, tokenEnv: 'not a name'}\n\
                    - {name: ../x, tokenEnv: X}\n\
                    - {name: d, server: 'http://example.com', tokenEnv: D}\n\
                    - {name: e, tokenEnv: E, tokenFile: e.token}\n\
                    - {name: f}\n\
                    - {name: g, clientIdEnv: G_ID, jwtEnv: G_JWT}\n\
                    - {tokenEnv: H, tokn: 1}\n\
                    - plain\n";
        let found = messages(text);
        let expect = |line: usize, words: &str| {
            assert!(
                found.iter().any(|(l, m)| *l == line && m.contains(words)),
                "line {line}: {words}\n{found:#?}"
            );
        };
        expect(1, "unknown key `acounts`");
        expect(4, "its value (masked) cannot be one");
        assert!(
            !found.iter().any(|(_, m)| m.contains("not a name")),
            "{found:#?}"
        );
        expect(5, "`../x` cannot be an account's name");
        expect(6, "use https://");
        expect(7, "more than one kind");
        expect(8, "needs credentials");
        expect(9, "`clientSecretEnv` missing");
        expect(10, "unknown key `tokn`");
        expect(10, "needs a `name`");
        expect(11, "an account is a mapping");
        assert_eq!(found.len(), 11, "{found:#?}");
        expect(4, "`ALPHA` is used twice (first on line 3");
        let found = messages("accounts:\n- {name: a, tokenEnv: A}\n- {name: A, tokenEnv: B}\n");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, 3);
        assert!(
            found[0].1.contains("used twice (first on line 2"),
            "{found:?}"
        );
        assert!(
            messages("accounts: []")
                .iter()
                .any(|(_, m)| m.contains("empty"))
        );
        assert!(messages("[]").iter().any(|(_, m)| m.contains("a mapping")));
        assert!(
            messages("accounts: [\n")
                .iter()
                .any(|(_, m)| m.contains("not valid YAML"))
        );
    }
}
