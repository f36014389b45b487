//! Paged list responses (`docs/api-facts.md`, Paging): `page`/`perPage` in, `records`,
//! `paging` and `navigation` out.

use serde::Serialize;

use crate::error::ApiError;

/// Largest page size; larger requests are clamped to it.
pub const MAX_PER_PAGE: u64 = 1000;
/// Page size when the request names none.
pub const DEFAULT_PER_PAGE: u64 = 100;

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// 1-based page number.
    pub page: u64,
    /// Records per page, 1..=1000.
    pub per_page: u64,
}

/// Reads `page` and `perPage` from a raw query string. Other parameters are
/// ignored. The first occurrence of a repeated parameter wins.
pub fn parse_query(query: Option<&str>) -> Result<PageRequest, ApiError> {
    let mut page = None;
    let mut per_page = None;
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "page" if page.is_none() => page = Some(value),
            "perPage" if per_page.is_none() => per_page = Some(value),
            _ => {}
        }
    }
    let positive = |v: &str, name: &str| -> Result<u64, ApiError> {
        match v.trim().parse::<i64>() {
            Ok(n) if n >= 1 => Ok(n.unsigned_abs()),
            // Out-of-range positive integers (all digits) are clamped below.
            Err(_) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => Ok(u64::MAX),
            _ => Err(ApiError::invalid_parameter(name)),
        }
    };
    let page = page.map_or(Ok(1), |v| positive(v, "page"))?;
    let per_page = per_page
        .map_or(Ok(DEFAULT_PER_PAGE), |v| positive(v, "perPage"))?
        .min(MAX_PER_PAGE);
    Ok(PageRequest { page, per_page })
}

/// `paging` of a list response.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Paging {
    page: u64,
    total_pages: u64,
    per_page: u64,
    total_elements: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    page_start: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    page_end: Option<u64>,
}

/// `{ "uri": ... }` of a navigation link.
#[derive(Debug, Serialize)]
pub struct Link {
    uri: String,
}

/// `navigation` of a list response.
#[expect(clippy::struct_field_names, reason = "the API's field names")]
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Navigation {
    first_page: Link,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_page: Option<Link>,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_page: Option<Link>,
    last_page: Link,
}

/// A list response.
#[derive(Debug, Serialize)]
pub struct PageBody<'a, T> {
    uri: String,
    records: &'a [T],
    paging: Paging,
    #[serde(skip_serializing_if = "Option::is_none")]
    navigation: Option<Navigation>,
}

impl<T> PageBody<'_, T> {
    /// The same answer without `navigation` (optional on most lists).
    #[must_use]
    pub fn without_navigation(mut self) -> Self {
        self.navigation = None;
        self
    }
}

/// One page of `records`. `url` is the absolute URL of the list, without a
/// query; links add `?page=N&perPage=M` to it.
pub fn page<'a, T>(url: &str, records: &'a [T], req: PageRequest) -> PageBody<'a, T> {
    let total = records.len() as u64;
    let per = req.per_page;
    let total_pages = total.div_ceil(per).max(1);
    let start = (req.page - 1).saturating_mul(per);
    let end = start.saturating_add(per).min(total);
    let slice = usize::try_from(start)
        .ok()
        .zip(usize::try_from(end).ok())
        .and_then(|(s, e)| records.get(s..e))
        .unwrap_or(&[]);
    let (page_start, page_end) = if slice.is_empty() {
        (None, None)
    } else {
        (Some(start), Some(end - 1))
    };
    let link = |n: u64| Link {
        uri: format!("{url}?page={n}&perPage={per}"),
    };
    PageBody {
        uri: link(req.page).uri,
        records: slice,
        paging: Paging {
            page: req.page,
            total_pages,
            per_page: per,
            total_elements: total,
            page_start,
            page_end,
        },
        navigation: Some(Navigation {
            first_page: link(1),
            next_page: (req.page < total_pages).then(|| link(req.page + 1)),
            previous_page: (req.page > 1).then(|| link(req.page - 1)),
            last_page: link(total_pages),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Json;

    fn q(s: &str) -> Result<PageRequest, String> {
        parse_query(Some(s)).map_err(|e| format!("{} {}", e.status, e.code))
    }

    #[test]
    fn query_parsing() {
        let ok = |page, per_page| Ok(PageRequest { page, per_page });
        let cases: &[(&str, Result<PageRequest, String>)] = &[
            ("", ok(1, 100)),
            ("page=2", ok(2, 100)),
            ("perPage=7&page=3", ok(3, 7)),
            ("perPage=1000", ok(1, 1000)),
            ("perPage=1001", ok(1, 1000)),
            ("perPage=99999999999999999999999", ok(1, 1000)),
            ("perPage=0", Err("400 CMN-101".into())),
            ("perPage=-5", Err("400 CMN-101".into())),
            ("perPage=abc", Err("400 CMN-101".into())),
            ("perPage=", Err("400 CMN-101".into())),
            ("page=0", Err("400 CMN-101".into())),
            ("status=Enabled&perPage=2&status=Disabled", ok(1, 2)),
            ("perPage=5&perPage=6", ok(1, 5)),
        ];
        for (query, want) in cases {
            assert_eq!(&q(query), want, "query {query:?}");
        }
    }

    #[test]
    fn paging_edges() {
        let records: Vec<Json> = (0..5u64).map(Json::from).collect();
        let p = |page, per_page| {
            let body = super::page("http://h/l", &records, PageRequest { page, per_page });
            serde_json::to_value(&body).unwrap()
        };
        let v = p(1, 4);
        assert_eq!(
            v["paging"],
            serde_json::json!({"page":1,"totalPages":2,"perPage":4,"totalElements":5,"pageStart":0,"pageEnd":3})
        );
        assert_eq!(
            v["navigation"]["nextPage"]["uri"],
            "http://h/l?page=2&perPage=4"
        );
        assert!(v["navigation"].get("previousPage").is_none());
        let v = p(2, 4);
        assert_eq!(v["records"], serde_json::json!([4]));
        assert!(v["navigation"].get("nextPage").is_none());
        assert_eq!(
            v["navigation"]["previousPage"]["uri"],
            "http://h/l?page=1&perPage=4"
        );
        let v = p(3, 4);
        assert_eq!(v["records"], serde_json::json!([]));
        assert!(v["paging"].get("pageStart").is_none());
        assert!(v["paging"].get("pageEnd").is_none());
        let req = PageRequest {
            page: 1,
            per_page: 4,
        };
        let bare = super::page("http://h/l", &records, req).without_navigation();
        let v = serde_json::to_value(&bare).unwrap();
        assert!(v.get("navigation").is_none());
        assert_eq!(v["paging"]["totalPages"], 2);
        assert_eq!(v["records"], serde_json::json!([0, 1, 2, 3]));
    }
}
