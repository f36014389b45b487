//! `rcaudit waive`: adds a waiver to the config the run would use, editing
//! its text (`rcaudit_rules::waivers::add_to_config`) so that its comments
//! and layout stay; the result is read back before it is written.

use std::path::PathBuf;

use rcaudit_rules::config;
use rcaudit_rules::waivers::{Date, NewWaiver, add_to_config};

use crate::Exit;
use crate::cli::{Global, WaiveArgs};
use crate::failure::Failure;
use crate::output::{self, Style};
use crate::{check, setup, sources};

/// The waiver the arguments describe, or why they do not describe one.
fn new_waiver(args: &WaiveArgs, today: Date) -> Result<NewWaiver, String> {
    let fingerprint = args.fingerprint.trim();
    let (rule, item) = fingerprint
        .split_once(':')
        .map(|(rule, item)| (rule.trim(), item.trim()))
        .filter(|(rule, item)| !rule.is_empty() && !item.is_empty())
        .ok_or_else(|| {
            format!(
                "`{fingerprint}` is not a fingerprint: it is RULE:key, like \
                 RC-PN-003:phone:246715009 (`--format json` and the other reports show it)"
            )
        })?;
    let text = |value: &str, what: &str| {
        let value = value.trim();
        if value.is_empty() {
            Err(format!("--{what} is empty: a waiver needs one"))
        } else {
            Ok(value.to_owned())
        }
    };
    let expires = Date::parse(&args.expires).ok_or_else(|| {
        format!(
            "--expires {} is not a date: write the last day the waiver applies as YYYY-MM-DD",
            args.expires
        )
    })?;
    if expires <= today {
        return Err(format!(
            "--expires {expires} is not in the future (today is {today}): a waiver applies \
             through its date, so it must be a later day"
        ));
    }
    Ok(NewWaiver {
        rule: rule.to_owned(),
        item: item.to_owned(),
        reason: text(&args.reason, "reason")?,
        owner: text(&args.owner, "owner")?,
        expires,
    })
}

pub fn run(args: &WaiveArgs, global: &Global) -> Result<Exit, Failure> {
    let today = check::today()?;
    let waiver = new_waiver(args, today)?;
    // The config the run would use; `--config FILE` that does not exist
    // yet is created (the rules are then those without a config).
    let mut source = args.source.clone();
    let missing = source
        .config
        .as_ref()
        .filter(|path| std::fs::symlink_metadata(path).is_err())
        .cloned();
    if missing.is_some() {
        source.config = None;
    }
    let (current, found) = match &missing {
        Some(_) => (config::Config::default(), None),
        None => setup::config(source.config.as_deref())?,
    };
    let loaded = setup::load(&source, &Style::stderr(global.color))?;
    if loaded.rules.rule(&waiver.rule).is_none() {
        let hint = rcaudit_rules::suggest(
            &waiver.rule,
            loaded.rules.rules.iter().map(|r| r.id.as_str()),
        )
        .map_or_else(String::new, |s| format!(" (did you mean {s}?)"));
        return Err(Failure::Message(format!(
            "no rule has the id `{}`{hint}; `rcaudit rules` lists them",
            waiver.rule
        )));
    }
    let fingerprint = format!("{}:{}", waiver.rule, waiver.item);
    if let Some(existing) = current
        .waivers
        .iter()
        .find(|w| w.covers(&waiver.rule, &fingerprint) || w.item == fingerprint)
    {
        let state = match existing.expires {
            Some(date) if existing.expired(today) => format!(" by a waiver that expired on {date}"),
            _ => String::new(),
        };
        return Err(Failure::Message(format!(
            "{fingerprint} is already waived{state} at {}; edit that waiver instead",
            existing.location()
        )));
    }
    let path = missing
        .or(found)
        .unwrap_or_else(|| PathBuf::from(setup::CONFIG_FILE));
    let name = path.display().to_string();
    let text = current
        .src
        .as_ref()
        .map_or_else(String::new, |src| src.text().to_owned());
    let edited = match add_to_config(&text, &waiver) {
        Ok(edited) => edited,
        Err(reason) => return Err(refused(&name, &reason, &waiver)),
    };
    // Read back: the file must load and hold the waiver, or it is not written.
    let line = match config::parse(&name, &edited) {
        Ok(after)
            if after.waivers.len() == current.waivers.len() + 1
                && after.waivers.iter().any(|w| waiver.is(w)) =>
        {
            after
                .waivers
                .iter()
                .find(|w| waiver.is(w))
                .map(rcaudit_rules::waivers::Waiver::location)
                .unwrap_or_default()
        }
        Ok(_) => return Err(refused(&name, "the waiver did not read back", &waiver)),
        Err(errors) => {
            let reason = errors
                .problems
                .first()
                .map_or_else(|| errors.to_string(), |p| p.message.clone());
            return Err(refused(&name, &reason, &waiver));
        }
    };
    sources::rewrite_atomic(&path, &edited)?;
    output::print(&format!(
        "waived {fingerprint} at {line}: owner {}, until {} (inclusive)\n",
        waiver.owner, waiver.expires
    ));
    Ok(Exit::Clean)
}

/// The file's layout is one the edit cannot handle: say so, and give the
/// waiver to paste.
fn refused(name: &str, reason: &str, waiver: &NewWaiver) -> Failure {
    Failure::Message(format!(
        "cannot add the waiver to {name} without changing its layout ({reason}); \
         nothing was written. Add it under `waivers:` by hand:\n\n{}",
        add_to_config("", waiver)
            .unwrap_or_default()
            .trim_start_matches("waivers:\n")
    ))
}
