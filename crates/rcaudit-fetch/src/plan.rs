//! `fetch --plan`: before a long run, the requests a fetch will make per
//! usage-plan group and the least time the rate limits allow, from the
//! lists' `paging.totalElements` (one page of one record each).

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use crate::api::{Api, Endpoint, Failure};
use crate::data::{Data, ExtensionNumbers, NO_FORWARDING_TYPES};
use crate::limits::Group;
use crate::progress::Progress;
use crate::run::{FetchError, Options};

/// The documented window of every group (`docs/api-facts.md`, Rate limits).
pub const WINDOW: Duration = Duration::from_secs(60);

/// Records per page a fetch asks for (the lists' `perPage`).
const PER_PAGE: u64 = 1000;

/// What a fetch of an account will ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// `totalElements` of the extension list.
    pub extensions: u64,
    /// Of those, the extensions of types without call forwarding (their
    /// forwarding list is not asked for), when the server said.
    pub without_forwarding: Option<u64>,
    /// `totalElements` of the account's phone-number list; `None` when the
    /// viewer may not read it (then each extension's list is asked for).
    pub phone_numbers: Option<u64>,
    /// Requests per group (in [`Group::ALL`] order, Auth left out).
    pub requests: Vec<(Group, u64)>,
}

impl Plan {
    /// The requests of a fetch of `extensions` extensions and
    /// `phone_numbers` account numbers (`None`: that list is refused), as
    /// `data` asks. Every extension is counted as one that may have
    /// forwarding numbers (the totals do not say the types): an upper
    /// bound, as types without call forwarding are not asked about.
    pub fn new(
        extensions: u64,
        without_forwarding: Option<u64>,
        phone_numbers: Option<u64>,
        data: Data,
        per_page: u32,
    ) -> Plan {
        let per_page = u64::from(per_page.max(1)).min(PER_PAGE);
        let pages = |n: u64| n.div_ceil(per_page).max(1);
        let mut light = 2; // the account and the viewer's extension
        let mut medium = 0;
        let mut heavy = 0;
        if data.service_info {
            light += 1;
        }
        if data.permissions {
            medium += 1;
        }
        if data.phone_numbers {
            heavy += pages(phone_numbers.unwrap_or(0));
        }
        if data.extensions {
            medium += pages(extensions);
            let covered = data.phone_numbers && phone_numbers.is_some();
            let each_phone_list = match data.extension_phone_numbers {
                ExtensionNumbers::No => false,
                ExtensionNumbers::UnlessCovered => !covered,
                ExtensionNumbers::Yes => true,
            };
            if each_phone_list {
                light += extensions;
            }
            if data.forwarding_numbers {
                light += extensions.saturating_sub(without_forwarding.unwrap_or(0));
            }
        }
        Plan {
            extensions,
            without_forwarding,
            phone_numbers,
            requests: vec![
                (Group::Light, light),
                (Group::Medium, medium),
                (Group::Heavy, heavy),
            ],
        }
    }

    /// The least time the limits allow for `n` requests of `group`: in a
    /// sliding window the first `L` may all go at once, the next `L` a
    /// window later, so the last of `n` goes after `floor((n - 1) / L)`
    /// windows.
    pub fn least_for(group: Group, n: u64) -> Duration {
        let windows = n.saturating_sub(1) / u64::from(group.default_limit());
        WINDOW.saturating_mul(u32::try_from(windows).unwrap_or(u32::MAX))
    }

    /// The least time for the whole fetch, and the group that sets it.
    pub fn least(&self) -> (Duration, Group) {
        self.requests
            .iter()
            .map(|&(group, n)| (Plan::least_for(group, n), group))
            .max_by_key(|&(least, _)| least)
            .unwrap_or((Duration::ZERO, Group::Light))
    }

    /// What `fetch --plan` prints.
    pub fn describe(&self) -> String {
        use std::fmt::Write as _;
        let numbers = self.phone_numbers.map_or_else(
            || "the account's phone numbers cannot be read (each extension's list is asked for instead)".to_owned(),
            |n| format!("{n} account phone numbers"),
        );
        let types = self.without_forwarding.map_or_else(
            || "of types unknown".to_owned(),
            |n| format!("{n} of types without call forwarding"),
        );
        let mut text = format!(
            "plan: {} extensions ({types}), {numbers} (the lists' totalElements)\n",
            self.extensions
        );
        for &(group, n) in &self.requests {
            let _ = writeln!(
                text,
                "  {:<7} {n:>7} requests   {} a minute   at least {}",
                group.name(),
                group.default_limit(),
                duration(Plan::least_for(group, n))
            );
        }
        let (least, group) = self.least();
        let bound = if self.without_forwarding.is_some() {
            ""
        } else {
            "; every extension is counted as one that may have forwarding numbers, so this is an upper bound"
        };
        let _ = writeln!(
            text,
            "least time the limits allow: {} (set by {}){bound}",
            duration(least),
            group.name()
        );
        text
    }
}

/// `1 h 2 min 3 s`: how `fetch --plan` and `fleet --plan` write a least
/// time.
pub fn duration(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, s % 3600 / 60, s % 60) {
        (0, 0, s) => format!("{s} s"),
        (0, m, s) => format!("{m} min {s} s"),
        (h, m, s) => format!("{h} h {m} min {s} s"),
    }
}

/// A list's `paging.totalElements`, from its first page of one record
/// (with the `filter` query parameters).
async fn total(api: &Api, endpoint: &Endpoint, filter: &[(&str, String)]) -> Result<u64, Failure> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Paging {
        total_elements: Option<u64>,
    }
    #[derive(Deserialize)]
    struct Page {
        paging: Option<Paging>,
    }
    let mut query = vec![("page", "1".to_owned()), ("perPage", "1".to_owned())];
    query.extend(filter.iter().cloned());
    let body = api.get(endpoint, &query).await?;
    let page: Page = serde_json::from_slice(&body).map_err(|e| Failure::Refused {
        status: Some(200),
        message: format!("the answer to {} is not a page: {e}", endpoint.request()),
    })?;
    page.paging
        .and_then(|p| p.total_elements)
        .ok_or_else(|| Failure::Refused {
            status: Some(200),
            message: format!(
                "the answer to {} does not say paging.totalElements, so the fetch cannot be planned",
                endpoint.request()
            ),
        })
}

/// Asks the extension list and the account's phone-number list for their
/// totals, and the extension list for those of the types without call
/// forwarding (its `type` filter): two Medium and one Heavy request. Then
/// plans the fetch.
pub async fn plan(options: Options, progress: Arc<dyn Progress>) -> Result<Plan, FetchError> {
    let api = options.api(progress)?;
    let unauthorized = |failure: Failure| match failure {
        Failure::Unauthorized(message) => FetchError::Unauthorized(message),
        other => FetchError::Setup(format!(
            "cannot plan the fetch: {} failed: {}",
            Endpoint::Extensions.request(),
            other.message()
        )),
    };
    let extensions = total(&api, &Endpoint::Extensions, &[])
        .await
        .map_err(unauthorized)?;
    let by_type: Vec<(&str, String)> = NO_FORWARDING_TYPES
        .iter()
        .map(|t| ("type", (*t).to_owned()))
        .collect();
    // A server that ignores the filter answers the whole list's total: not
    // believed (that would plan no forwarding request at all).
    let without_forwarding = match total(&api, &Endpoint::Extensions, &by_type).await {
        Ok(n) if n < extensions || extensions == 0 => Some(n),
        Err(Failure::Unauthorized(message)) => return Err(FetchError::Unauthorized(message)),
        Ok(_) | Err(_) => None,
    };
    let phone_numbers = if options.data.phone_numbers {
        match total(&api, &Endpoint::AccountPhoneNumbers, &[]).await {
            Ok(n) => Some(n),
            Err(Failure::Unauthorized(message)) => {
                return Err(FetchError::Unauthorized(message));
            }
            Err(_) => None,
        }
    } else {
        None
    };
    Ok(Plan::new(
        extensions,
        without_forwarding,
        phone_numbers,
        options.data,
        options.tuning.per_page,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_least_times_follow_the_totals() {
        // 10,000 extensions and 12,345 numbers, read by an administrator.
        let plan = Plan::new(10_000, None, Some(12_345), Data::ALL, 1000);
        assert_eq!(
            plan.requests,
            vec![
                (Group::Light, 10_003),
                (Group::Medium, 11),
                (Group::Heavy, 13)
            ]
        );
        // Light: floor(10,002 / 50) = 200 windows of 60 s.
        assert_eq!(plan.least(), (Duration::from_secs(200 * 60), Group::Light));
        assert_eq!(Plan::least_for(Group::Heavy, 13), Duration::from_secs(60));
        assert_eq!(Plan::least_for(Group::Light, 50), Duration::ZERO);
        assert_eq!(Plan::least_for(Group::Light, 51), WINDOW);
        assert_eq!(Plan::least_for(Group::Light, 0), Duration::ZERO);
        // Without the account list, each extension's list is asked for.
        let plan = Plan::new(300, None, None, Data::ALL, 1000);
        assert_eq!(plan.requests[0], (Group::Light, 603));
        assert_eq!(plan.requests[2], (Group::Heavy, 1));
        // Nothing but the account.
        let plan = Plan::new(300, None, Some(10), Data::NONE, 1000);
        assert_eq!(
            plan.requests,
            vec![(Group::Light, 2), (Group::Medium, 0), (Group::Heavy, 0)]
        );
        let text = Plan::new(10_000, None, Some(12_345), Data::ALL, 1000).describe();
        assert!(text.contains("3 h 20 min 0 s (set by Light)"), "{text}");
        assert!(text.contains("an upper bound"), "{text}");
        // With the count of types without call forwarding: exact.
        let plan = Plan::new(10_000, Some(1_162), Some(12_345), Data::ALL, 1000);
        assert_eq!(plan.requests[0], (Group::Light, 3 + 10_000 - 1_162));
        assert!(!plan.describe().contains("upper bound"));
    }
}
