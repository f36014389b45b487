//! `rcaudit`: the command line. The only crate that reads files, prints, or
//! exits; everything else takes text and returns values.

mod baseline_cmd;
mod check;
mod cli;
mod completions;
mod diff_cmd;
mod failure;
mod fetch_cmd;
mod fetch_data;
mod fleet;
mod init;
mod output;
mod outputs;
mod redact_cmd;
mod render;
mod rules_cmd;
mod setup;
mod sources;
mod test_cmd;
mod version;
mod waive;

use std::process::ExitCode;

/// Parsing a snapshot makes millions of small allocations; mimalloc makes
/// them (and evaluation's) markedly cheaper than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit codes, as documented in `--help` and the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Nothing at or above `--fail-on`.
    Clean = 0,
    /// Findings at or above `--fail-on`.
    Findings = 1,
    /// The run itself failed: bad arguments, unreadable or invalid input,
    /// an output that could not be written, a rule that failed while it ran.
    Failed = 2,
    /// `fetch` or `audit` stopped by SIGINT (Ctrl-C): 128 + 2, as shells do.
    Interrupted = 130,
    /// `fetch` or `audit` stopped by SIGTERM: 128 + 15.
    Terminated = 143,
}

fn main() -> ExitCode {
    let cli = match cli::parse() {
        Ok(cli) => cli,
        Err(error) => {
            // Help and version are successes; usage errors exit 2 (clap's own code).
            let _ = error.print();
            return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2));
        }
    };
    if let Some(bytes) = cli.global.max_file_size {
        sources::set_max_file_size(bytes);
    }
    // A panic is a bug, and the run did not complete: it must never end in
    // a verdict's exit code (the panic's own message is already on stderr).
    let result = std::panic::catch_unwind(|| match &cli.command {
        cli::Command::Check(args) => check::run(args, &cli.global),
        cli::Command::Rules(args) => rules_cmd::list(args, &cli.global),
        cli::Command::Explain(args) => rules_cmd::explain(args, &cli.global),
        cli::Command::Test(args) => test_cmd::run(args, &cli.global),
        cli::Command::Diff(args) => diff_cmd::run(args, &cli.global),
        cli::Command::Fetch(args) => fetch_cmd::run(args, &cli.global),
        cli::Command::Audit(args) => fetch_cmd::audit(args, &cli.global),
        cli::Command::Fleet(args) => fleet::run(args, &cli.global),
        cli::Command::Init(args) => init::run(args, &cli.global),
        cli::Command::Baseline(args) => baseline_cmd::run(args, &cli.global),
        cli::Command::Waive(args) => waive::run(args, &cli.global),
        cli::Command::Redact(args) => redact_cmd::run(args),
        cli::Command::Completions(args) => Ok(completions::completions(args)),
        cli::Command::Man => completions::man(),
    });
    // Every failure is shown here, once.
    let exit = match result {
        Ok(Ok(exit)) => exit,
        Ok(Err(failure)) => {
            failure.render(&output::Style::stderr(cli.global.color));
            failure.exit()
        }
        Err(_) => {
            output::eprint(
                "rcaudit: internal error (a bug, please report it): the run did not complete\n",
            );
            Exit::Failed
        }
    };
    if let Some(error) = output::stdout_error() {
        output::eprint(&format!(
            "rcaudit: error: the output could not be written to stdout: {error}\n"
        ));
        return ExitCode::from(Exit::Failed as u8);
    }
    ExitCode::from(exit as u8)
}
