//! `rcaudit fleet FILE --plan`: each account's `fetch --plan`, side by
//! side, and the least time of the whole run.
//!
//! Accounts have rate limits of their own, so a fleet run takes at least
//! as long as its accounts' least times placed on `--jobs` lanes, the
//! longest first, each on the lane that is free first (a lower bound: the
//! checks and the network add to it).

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use rcaudit_fetch::{Data, Options, Plan, Silent, Tuning};
use rcaudit_report::fleet::{aligned, one_line};

use super::file::Account;
use crate::Exit;
use crate::failure::Failure;
use crate::fetch_cmd;
use crate::output;

/// Plans every account, `jobs` at a time, and prints the table.
pub(super) fn run(
    accounts: &[Account],
    data: Data,
    tuning: &Tuning,
    jobs: usize,
) -> Result<Exit, Failure> {
    let runtime = fetch_cmd::runtime()?;
    let plans = runtime.block_on(async {
        let gate = Arc::new(tokio::sync::Semaphore::new(jobs.max(1)));
        let mut set = tokio::task::JoinSet::new();
        for (index, account) in accounts.iter().cloned().enumerate() {
            let (gate, tuning) = (gate.clone(), tuning.clone());
            set.spawn(async move {
                let _permit = gate.acquire_owned().await;
                (index, plan(&account, data, tuning).await)
            });
        }
        let mut plans: Vec<Result<Plan, String>> = accounts
            .iter()
            .map(|_| Err("not planned: internal error (a bug, please report it)".to_owned()))
            .collect();
        while let Some(joined) = set.join_next().await {
            if let Ok((index, result)) = joined
                && let Some(slot) = plans.get_mut(index)
            {
                *slot = result;
            }
        }
        plans
    });
    output::print(&table(accounts, &plans, jobs));
    Ok(if plans.iter().all(Result::is_ok) {
        Exit::Clean
    } else {
        Exit::Failed
    })
}

/// One account's plan, or why there is none.
async fn plan(account: &Account, data: Data, tuning: Tuning) -> Result<Plan, String> {
    let options = Options {
        server: account.server.clone(),
        credentials: super::credentials(account)?,
        tuning,
        generator: fetch_cmd::GENERATOR.to_owned(),
        journal: None,
        data,
    };
    rcaudit_fetch::plan(options, Arc::new(Silent))
        .await
        .map_err(|e| e.to_string())
}

/// The least time of a run of accounts with these least times on `jobs`
/// lanes: the longest first, each on the lane free first.
fn lanes(mut least: Vec<Duration>, jobs: usize) -> Duration {
    least.sort_unstable_by(|a, b| b.cmp(a));
    let mut lanes = vec![Duration::ZERO; jobs.max(1)];
    for time in least {
        if let Some(lane) = lanes.iter_mut().min() {
            *lane += time;
        }
    }
    lanes.into_iter().max().unwrap_or_default()
}

/// The table: a row per account, the total, then why an account has no
/// plan.
fn table(accounts: &[Account], plans: &[Result<Plan, String>], jobs: usize) -> String {
    let mut rows = vec![
        [
            "account",
            "extensions",
            "phone numbers",
            "requests",
            "least time",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    let mut problems = String::new();
    let mut requests = 0;
    let mut least = Vec::new();
    for (account, plan) in accounts.iter().zip(plans) {
        match plan {
            Ok(plan) => {
                let n: u64 = plan.requests.iter().map(|(_, n)| n).sum();
                requests += n;
                let (time, _) = plan.least();
                least.push(time);
                rows.push(vec![
                    account.name.clone(),
                    plan.extensions.to_string(),
                    plan.phone_numbers
                        .map_or_else(|| "unreadable".to_owned(), |n| n.to_string()),
                    n.to_string(),
                    rcaudit_fetch::duration(time),
                ]);
            }
            Err(problem) => {
                rows.push(vec![
                    account.name.clone(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                ]);
                let _ = writeln!(problems, "  {}: {}", account.name, one_line(problem));
            }
        }
    }
    let mut out = aligned(&rows, 1);
    let planned = least.len();
    let _ = writeln!(
        out,
        "\n{planned} of {} account{} planned: {requests} requests; with --jobs {jobs}, at least {} \
         (each account's least time under its own rate limits, the longest first on {jobs} lane{})",
        accounts.len(),
        if accounts.len() == 1 { "" } else { "s" },
        rcaudit_fetch::duration(lanes(least, jobs)),
        if jobs == 1 { "" } else { "s" },
    );
    out.push_str(&problems);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_accounts_go_first_each_on_the_lane_free_first() {
        let min = |m: u64| Duration::from_secs(60 * m);
        assert_eq!(
            lanes(vec![min(5), min(3), min(3), min(2), min(1)], 2),
            min(7)
        );
        assert_eq!(lanes(vec![min(5), min(3)], 4), min(5));
        assert_eq!(lanes(vec![min(5), min(3)], 1), min(8));
        assert_eq!(lanes(Vec::new(), 3), Duration::ZERO);
    }
}
