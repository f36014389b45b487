//! `rcaudit completions SHELL` and `rcaudit man`: generated from the same
//! clap definition as `--help`, so they list exactly the options there are.

use std::fmt::Write as _;

use clap::CommandFactory as _;

use crate::Exit;
use crate::cli::{Cli, CompletionsArgs};
use crate::failure::Failure;
use crate::output;

pub fn completions(args: &CompletionsArgs) -> Exit {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "rcaudit", &mut script);
    output::print_document(&String::from_utf8_lossy(&script));
    Exit::Clean
}

/// The manual page: the program, its options and commands, then a section
/// per command with its synopsis, description and options.
fn page() -> std::io::Result<String> {
    // Short, on one line: the page's title line (`.TH`) and footer hold it
    // (`--version` names the built-in rules too).
    let version = format!(
        "{} (commit {})",
        env!("CARGO_PKG_VERSION"),
        crate::version::COMMIT
    );
    let command = Cli::command().version(version.leak() as &str);
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut page)?;
    let mut page = String::from_utf8_lossy(&page).into_owned();
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("rcaudit {}", sub.get_name());
        let man = clap_mangen::Man::new(sub.clone().bin_name(name.clone()));
        let mut section = Vec::new();
        man.render_synopsis_section(&mut section)?;
        man.render_description_section(&mut section)?;
        man.render_options_section(&mut section)?;
        man.render_extra_section(&mut section)?;
        // Each part is rendered as a section of a page of its own; here
        // they are the subsections of the command's section.
        let section = String::from_utf8_lossy(&section).replace(".SH ", ".SS ");
        let _ = writeln!(page, ".SH \"{}\"", name.to_uppercase());
        page.push_str(&section);
    }
    Ok(page)
}

/// `rcaudit man`: the page on stdout; a page that cannot be rendered is a
/// [`Failure`], shown once by `main`.
pub fn man() -> Result<Exit, Failure> {
    let page = page().map_err(|error| {
        Failure::Line(format!(
            "rcaudit: error: the manual page could not be written: {error}\n"
        ))
    })?;
    output::print_document(&page);
    Ok(Exit::Clean)
}
