//! Where a run's rules come from: the config file, the built-in packs,
//! `--rules` paths. Reads the files and loads the rules, reporting problems.

use std::path::{Path, PathBuf};

use rcaudit_rules::config::{self, Config};
use rcaudit_rules::{RuleSet, builtin};

use crate::cli::RuleSource;
use crate::failure::Failure;
use crate::output::{self, Style};
use crate::sources;

/// The config file name looked for in the current folder and above.
pub const CONFIG_FILE: &str = "rcaudit.yaml";

/// The config file a run uses without `--config`: the first
/// `rcaudit.yaml` from the current folder up to the repository's root (the
/// first folder with a `.git` entry, file or folder) or the file system's
/// root. Found above the current folder, it is named relatively
/// (`../../rcaudit.yaml`), so its paths and messages stay short.
pub fn find_config() -> Option<PathBuf> {
    let here = std::env::current_dir().ok()?;
    let mut relative = PathBuf::new();
    for dir in here.ancestors() {
        let candidate = dir.join(CONFIG_FILE);
        // A folder named rcaudit.yaml is not a config: reading it says so.
        if std::fs::symlink_metadata(&candidate).is_ok() {
            return Some(relative.join(CONFIG_FILE));
        }
        if std::fs::symlink_metadata(dir.join(".git")).is_ok() {
            return None;
        }
        relative.push("..");
    }
    None
}

/// A loaded rule set and the config it came with.
pub struct Setup {
    pub rules: RuleSet,
    pub config: Config,
}

/// Reads and checks the config: `--config`, else the one [`find_config`]
/// finds, if any.
pub fn config(path: Option<&Path>) -> Result<(Config, Option<PathBuf>), Failure> {
    let path = match path {
        Some(p) => p.to_path_buf(),
        None => match find_config() {
            Some(found) => found,
            None => return Ok((Config::default(), None)),
        },
    };
    let text = sources::text(&path, "config")?;
    match config::parse(&path.display().to_string(), &text) {
        Ok(config) => Ok((config, Some(path))),
        Err(errors) => Err(Failure::problems(errors, "the config")),
    }
}

/// Loads the rules a run uses. Warnings about the rules go to `style`'s
/// stream as they are found; problems are the failure.
pub fn load(source: &RuleSource, style: &Style) -> Result<Setup, Failure> {
    let (config, config_path) = config(source.config.as_deref())?;
    let mut files = Vec::new();
    if !source.no_builtin {
        let wanted: Option<Vec<&str>> = config
            .packs
            .as_ref()
            .map(|packs| packs.iter().map(|(p, _)| p.as_str()).collect());
        files.extend(
            builtin::files()
                .into_iter()
                .filter(|f| wanted.as_ref().is_none_or(|w| w.contains(&f.pack.as_str()))),
        );
    }
    // Paths in the config are relative to the config file.
    let base = config_path
        .as_deref()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let paths = config
        .rules
        .iter()
        .map(|(p, _)| base.join(p))
        .chain(source.rules.iter().cloned());
    for path in paths {
        files.extend(sources::rule_files(&path)?);
    }
    let rules = match rcaudit_rules::load(&files, &config.load_options()) {
        Ok((rules, warnings)) => {
            for warning in &warnings {
                output::eprint(&style.render(warning));
                output::eprint("\n");
            }
            rules
        }
        Err(errors) => return Err(Failure::problems(errors, "the rules")),
    };
    let problems = config.check_names(&rules, &builtin::packs());
    if !problems.is_empty() {
        return Err(Failure::problems(
            rcaudit_rules::LoadErrors { problems },
            "the config",
        ));
    }
    Ok(Setup { rules, config })
}
