//! Reading records: one record, or every page of a list, its paging
//! believed only as far as it is consistent, and a list whose paging does
//! not end an error, never a list cut short (`docs/api-facts.md`, Paging).

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{Api, Endpoint, Failure};

/// A list may hold this many times `max_body` in all (1 GiB by default).
const LIST_BODIES: u64 = 16;

/// One page of a list.
#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    records: Option<Vec<Box<RawValue>>>,
    paging: Option<Paging>,
    navigation: Option<Navigation>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Paging {
    per_page: Option<i64>,
    total_pages: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Navigation {
    next_page: Option<serde::de::IgnoredAny>,
}

impl Api {
    /// `GET` one record.
    pub async fn record(&self, endpoint: &Endpoint) -> Result<Box<RawValue>, Failure> {
        let body = self.get(endpoint, &[]).await?;
        crate::parts::readable(&body).map_err(|e| invalid(endpoint, &e))?;
        serde_json::from_slice::<Box<RawValue>>(&body).map_err(|e| invalid(endpoint, &e))
    }

    /// `GET` every page of a list, concatenating the records in API order.
    ///
    /// Paging ends at the first of: an empty page, a page shorter than the
    /// `perPage` the server answered with (or asked for, if less),
    /// `paging.totalPages` reached, or, when the server does not say
    /// `totalPages` (or says fewer pages than it sent), a `navigation`
    /// without `nextPage`. A response without `navigation` (optional on
    /// most lists) says nothing about a next page, so a full page is
    /// followed by the next. Mock servers announce a next page forever,
    /// with short pages; this still ends.
    ///
    /// A list whose paging does not end is an error, never a list cut
    /// short: a page identical to the previous one (the server's paging
    /// loops), or more than `max_pages` pages (1000, the paging model's
    /// maximum, by default).
    pub async fn list(&self, endpoint: &Endpoint) -> Result<Vec<Box<RawValue>>, Failure> {
        let mut records = Vec::new();
        let mut previous: Option<Vec<Box<RawValue>>> = None;
        let max_pages = self.tuning.max_pages.max(1);
        let max_bytes = self.tuning.max_body.saturating_mul(LIST_BODIES);
        let mut bytes: u64 = 0;
        for page in 1..=max_pages {
            let query = [
                ("page", page.to_string()),
                ("perPage", self.tuning.per_page.to_string()),
            ];
            let body = self.get(endpoint, &query).await?;
            bytes = bytes.saturating_add(body.len() as u64);
            if bytes > max_bytes {
                return Err(Failure::Refused {
                    status: Some(200),
                    message: format!(
                        "the list's pages hold more than {max_bytes} bytes in all ({LIST_BODIES} times the most one answer may have, --max-response-mib): it is left out rather than cut short"
                    ),
                });
            }
            crate::parts::readable(&body).map_err(|e| invalid(endpoint, &e))?;
            let parsed: Page = serde_json::from_slice(&body).map_err(|e| invalid(endpoint, &e))?;
            let batch = parsed.records.unwrap_or_default();
            let same = previous.as_ref().is_some_and(|p| {
                p.len() == batch.len() && p.iter().zip(&batch).all(|(a, b)| a.get() == b.get())
            });
            if same {
                return Err(Failure::Refused {
                    status: Some(200),
                    message: format!(
                        "page {page} repeats page {} though that page was full and not the last: the server's paging loops, so the list is left out rather than cut short",
                        page - 1
                    ),
                });
            }
            let asked = i64::from(self.tuning.per_page);
            let per_page = parsed
                .paging
                .as_ref()
                .and_then(|p| p.per_page)
                .filter(|&n| n > 0)
                .map_or(asked, |n| n.min(asked));
            // A total below the page just received is not believed.
            let last_page = parsed
                .paging
                .as_ref()
                .and_then(|p| p.total_pages)
                .filter(|&total| total >= i64::from(page));
            let no_next = parsed
                .navigation
                .as_ref()
                .is_some_and(|n| n.next_page.is_none());
            let short = i64::try_from(batch.len()).unwrap_or(i64::MAX) < per_page;
            let empty = batch.is_empty();
            records.extend(batch.iter().cloned());
            previous = Some(batch);
            let last = match last_page {
                Some(total) => i64::from(page) >= total,
                None => no_next,
            };
            if empty || short || last {
                return Ok(records);
            }
        }
        Err(Failure::Refused {
            status: Some(200),
            message: format!(
                "the list has more than {max_pages} pages, the most one list may have (the server keeps announcing more): it is left out rather than cut short"
            ),
        })
    }
}

fn invalid(endpoint: &Endpoint, error: &serde_json::Error) -> Failure {
    Failure::Transient {
        status: Some(200),
        message: format!(
            "the answer to {} is not what the specification describes: {error}",
            endpoint.request()
        ),
    }
}
