//! The metadata as tables: for each country calling code, its regions in
//! libphonenumber's order, each with its patterns anchored at both ends, as
//! libphonenumber matches them.
//!
//! Compiling is most of the cost of a short run (the NANP's 25 regions hold
//! hundreds of patterns, the United States' fixed-line one alone lists
//! every area code), so the tables are built once for all threads, and
//! lazily: a code's table on the first number with that code, a region's
//! number patterns on the first number typed in that region (a `+1` number
//! compiles the United States' and at most the region its leading digits
//! pick, not all 25). A region's patterns are one multi-pattern regex: one
//! search tells which of them match, where libphonenumber tries them one
//! after the other.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, OnceLock};

use regex_automata::meta::{Cache, Regex};
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, MatchKind, PatternSet};

use crate::NumberType;

// `CODES` and `REGIONS`, written by build.rs.
include!(concat!(env!("OUT_DIR"), "/metadata.rs"));

/// A region's metadata (or a non-geographic entity's, `001`).
pub(crate) struct RegionData {
    /// The CLDR region.
    pub(crate) id: &'static str,
    /// Leading digits that pick this region among those of its code.
    leading: Option<&'static str>,
    /// The national prefix, or what libphonenumber strips as one when
    /// parsing, as a pattern.
    prefix: Option<&'static str>,
    general: DescData,
    /// The types libphonenumber tries first, in its order
    /// (`getNumberTypeHelper`): the first that matches wins.
    special: &'static [(NumberType, DescData)],
    fixed_line: Option<DescData>,
    mobile: Option<DescData>,
}

/// A number description of the metadata.
#[derive(Clone, Copy)]
struct DescData {
    /// As written: over several lines, with whitespace to ignore.
    pattern: &'static str,
    /// Bit `n` set: `n` digits is a possible length; 0: any length.
    lengths: u32,
}

/// Patterns matched together: the metadata writes them over several
/// indented lines; every one that matches is reported. A pattern that does
/// not compile (none does today) is left out, as if its description were
/// absent: the others still compile. `None` when no pattern is left.
struct Set {
    regex: Regex,
    /// For each pattern given, its index in `regex`, if it compiled.
    ids: Vec<Option<usize>>,
    /// Which set this is, among all the process makes ([`SEARCHES`]).
    serial: u64,
}

static SERIALS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// This thread's search state for each set it searched, by the set's
    /// serial. A regex keeps one for the first thread that searches with
    /// it, and the other threads take theirs from a shared stack under a
    /// lock, once per search: rules classify numbers on every evaluation
    /// thread. Sets are few (those of the codes and regions met) and live
    /// as long as the process.
    static SEARCHES: RefCell<Vec<(u64, Box<Cache>, PatternSet)>> = const { RefCell::new(Vec::new()) };
}

impl Set {
    fn new(patterns: &[String]) -> Option<Set> {
        let build = |patterns: &[&String]| {
            Regex::builder()
                .syntax(syntax::Config::new().ignore_whitespace(true).unicode(false))
                .configure(Regex::config().match_kind(MatchKind::All))
                .build_many(patterns)
                .ok()
        };
        let all: Vec<&String> = patterns.iter().collect();
        let serial = SERIALS.fetch_add(1, Ordering::Relaxed);
        if let Some(regex) = build(&all) {
            return Some(Set {
                regex,
                ids: (0..patterns.len()).map(Some).collect(),
                serial,
            });
        }
        let mut ids = Vec::with_capacity(patterns.len());
        let mut good = Vec::new();
        for pattern in patterns {
            if build(&[pattern]).is_some() {
                ids.push(Some(good.len()));
                good.push(pattern);
            } else {
                ids.push(None);
            }
        }
        if good.is_empty() {
            return None;
        }
        let regex = build(&good)?;
        Some(Set { regex, ids, serial })
    }

    /// Which patterns match `text` from its start (to its end, for patterns
    /// anchored there), with this thread's search state for the set, taken
    /// for the search and given back when the result is dropped (a search
    /// made meanwhile, with another set, takes its own).
    fn matches(&self, text: &str) -> Matched<'_> {
        let taken = SEARCHES
            .try_with(|searches| {
                let mut searches = searches.try_borrow_mut().ok()?;
                let at = searches
                    .iter()
                    .position(|(serial, _, _)| *serial == self.serial)?;
                Some(searches.swap_remove(at))
            })
            .ok()
            .flatten();
        let (mut cache, mut found) = match taken {
            Some((_, cache, found)) => (cache, found),
            None => (
                Box::new(self.regex.create_cache()),
                PatternSet::new(self.regex.pattern_len()),
            ),
        };
        found.clear();
        self.regex.which_overlapping_matches_with(
            &mut cache,
            &Input::new(text).anchored(Anchored::Yes),
            &mut found,
        );
        Matched {
            set: self,
            found,
            cache: Some(cache),
        }
    }
}

/// The patterns of a [`Set`] that matched.
struct Matched<'s> {
    set: &'s Set,
    found: PatternSet,
    /// The search state, given back to this thread's [`SEARCHES`] (boxed:
    /// it is large, and moves at each search).
    cache: Option<Box<Cache>>,
}

impl Drop for Matched<'_> {
    fn drop(&mut self) {
        let Some(cache) = self.cache.take() else {
            return;
        };
        let found = std::mem::replace(&mut self.found, PatternSet::new(0));
        let serial = self.set.serial;
        // Nothing to give back to when the thread's state is going away.
        let _ = SEARCHES.try_with(|searches| {
            if let Ok(mut searches) = searches.try_borrow_mut() {
                searches.push((serial, cache, found));
            }
        });
    }
}

impl Matched<'_> {
    /// Whether the `i`th pattern given to [`Set::new`] matched.
    fn has(&self, i: usize) -> bool {
        self.set
            .ids
            .get(i)
            .copied()
            .flatten()
            .and_then(|id| regex_automata::PatternID::new(id).ok())
            .is_some_and(|id| self.found.contains(id))
    }
}

/// One number description: the national significant numbers it matches.
#[derive(Debug, Clone, Copy)]
struct Desc {
    /// Bit `n` set: `n` digits is a possible length; 0: any length.
    lengths: u32,
    /// Its pattern, by its place among the region's patterns.
    pattern: usize,
}

impl Desc {
    /// `isNumberMatchingDesc`: a possible length, and the whole number
    /// matches.
    fn matches(self, national: &str, matched: &Matched<'_>) -> bool {
        let fits = u32::try_from(national.len())
            .ok()
            .and_then(|n| 1u32.checked_shl(n))
            .is_some_and(|bit| self.lengths & bit != 0);
        (self.lengths == 0 || fits) && matched.has(self.pattern)
    }
}

/// A region's number descriptions, compiled as one [`Set`].
struct Types {
    set: Option<Set>,
    general: Desc,
    special: Vec<(NumberType, Desc)>,
    fixed_line: Option<Desc>,
    mobile: Option<Desc>,
    /// Fixed-line and mobile numbers share one pattern (the NANP).
    same: bool,
}

impl Types {
    fn new(data: &RegionData) -> Types {
        // Identical patterns are compiled once: the United States'
        // fixed-line and mobile patterns are the same long list.
        let mut patterns: Vec<String> = Vec::new();
        let mut desc = |data: &DescData| {
            let source = format!("^(?:{})$", data.pattern);
            let pattern = patterns
                .iter()
                .position(|p| *p == source)
                .unwrap_or_else(|| {
                    patterns.push(source);
                    patterns.len() - 1
                });
            Desc {
                lengths: data.lengths,
                pattern,
            }
        };
        let general = desc(&data.general);
        let special = data
            .special
            .iter()
            .map(|(kind, d)| (*kind, desc(d)))
            .collect();
        let fixed_line = data.fixed_line.as_ref().map(&mut desc);
        let mobile = data.mobile.as_ref().map(&mut desc);
        let same = matches!((fixed_line, mobile), (Some(f), Some(m)) if f.pattern == m.pattern);
        Types {
            set: Set::new(&patterns),
            general,
            special,
            fixed_line,
            mobile,
            same,
        }
    }

    /// `getNumberTypeHelper`: the type of a national significant number in
    /// this region, `Unknown` when it is not a valid number here.
    fn number_type(&self, national: &str) -> NumberType {
        let Some(set) = &self.set else {
            return NumberType::Unknown;
        };
        let matched = set.matches(national);
        let fits = |desc: Option<Desc>| desc.is_some_and(|d| d.matches(national, &matched));
        if !self.general.matches(national, &matched) {
            return NumberType::Unknown;
        }
        if let Some((kind, _)) = self.special.iter().find(|(_, d)| fits(Some(*d))) {
            return *kind;
        }
        if fits(self.fixed_line) {
            if self.same || fits(self.mobile) {
                return NumberType::FixedLineOrMobile;
            }
            return NumberType::FixedLine;
        }
        if !self.same && fits(self.mobile) {
            return NumberType::Mobile;
        }
        NumberType::Unknown
    }
}

/// One region (or non-geographic entity, `001`) of a country calling code.
struct Region {
    data: &'static RegionData,
    /// Compiled on the first number typed here.
    types: OnceLock<Types>,
}

impl Region {
    fn number_type(&self, national: &str) -> NumberType {
        self.types
            .get_or_init(|| Types::new(self.data))
            .number_type(national)
    }
}

/// A country calling code's regions, in libphonenumber's order (the main
/// country first).
struct Code {
    regions: Vec<Region>,
    /// Each region's leading digits (which pick it among the code's
    /// regions), by region: the pattern's place in `leading_set`, matched
    /// at the start of the number.
    leading: Vec<Option<usize>>,
    leading_set: Option<Set>,
    /// The regions' national prefixes (or what libphonenumber strips as one
    /// when parsing), matched at the start of the number; compiled on the
    /// first number that needs them.
    prefixes: OnceLock<Option<Set>>,
}

impl Code {
    fn new(regions: &'static [RegionData]) -> Code {
        let regions: Vec<Region> = regions
            .iter()
            .map(|data| Region {
                data,
                types: OnceLock::new(),
            })
            .collect();
        // A single region is the answer whatever the number: its leading
        // digits are never read.
        let mut patterns = Vec::new();
        let leading = regions
            .iter()
            .map(|region| {
                let l = region.data.leading.filter(|_| regions.len() > 1)?;
                patterns.push(format!("^(?:{l})"));
                Some(patterns.len() - 1)
            })
            .collect();
        let leading_set = if patterns.is_empty() {
            None
        } else {
            Set::new(&patterns)
        };
        Code {
            regions,
            leading,
            leading_set,
            prefixes: OnceLock::new(),
        }
    }

    fn prefixes(&self) -> Option<&Set> {
        self.prefixes
            .get_or_init(|| {
                let patterns: Vec<String> = self
                    .regions
                    .iter()
                    .filter_map(|region| region.data.prefix)
                    .map(|p| format!("^(?:{p})"))
                    .collect();
                Set::new(&patterns)
            })
            .as_ref()
    }
}

/// Every code's table, by the code's place in [`CODES`], built on the
/// first number with that code.
static TABLES: LazyLock<Vec<OnceLock<Code>>> =
    LazyLock::new(|| CODES.iter().map(|_| OnceLock::new()).collect());

/// The code's place in [`CODES`] (sorted by code).
fn place(code: u16) -> Option<usize> {
    CODES.binary_search_by_key(&code, |(c, _)| *c).ok()
}

/// Whether `code` is an assigned country calling code.
pub(crate) fn is_code(code: u16) -> bool {
    place(code).is_some()
}

fn table(code: u16) -> Option<&'static Code> {
    let at = place(code)?;
    let (_, regions) = CODES.get(at)?;
    Some(TABLES.get(at)?.get_or_init(|| Code::new(regions)))
}

/// The region (`getRegionCodeForNumberFromRegionList`) and type
/// (`getNumberType`) of a national significant number. A single region
/// is the answer whatever the number; among several, the first whose
/// leading digits start the number, else the first where it is valid.
pub(crate) fn classify(code: u16, national: &str) -> (Option<&'static str>, NumberType) {
    let Some(table) = table(code) else {
        return (None, NumberType::Unknown);
    };
    let found = match table.regions.as_slice() {
        [only] => Some((only, only.number_type(national))),
        regions => {
            // The leading digits are matched when a region that has them is
            // reached: a number the first region (without them) types, as
            // most +1 numbers are the United States', needs one search,
            // not two.
            let mut leading: Option<Option<Matched<'_>>> = None;
            regions
                .iter()
                .zip(&table.leading)
                .find_map(|(region, pattern)| match pattern {
                    // A region without leading digits is found by typing
                    // the number, and that type is the answer: it is not
                    // worked out twice.
                    None => {
                        let kind = region.number_type(national);
                        (kind != NumberType::Unknown).then_some((region, kind))
                    }
                    Some(i) => leading
                        .get_or_insert_with(|| {
                            table.leading_set.as_ref().map(|set| set.matches(national))
                        })
                        .as_ref()
                        .is_some_and(|m| m.has(*i))
                        .then(|| (region, region.number_type(national))),
                })
        }
    };
    found.map_or((None, NumberType::Unknown), |(r, kind)| {
        (Some(r.data.id), kind)
    })
}

/// Whether `national` may start with a national prefix of one of its
/// code's regions (`+44 0...`): only then can the parser find another
/// national number in it.
pub(crate) fn may_have_prefix(code: u16, national: &str) -> bool {
    table(code)
        .and_then(Code::prefixes)
        .is_some_and(|set| !set.matches(national).found.is_empty())
}

#[cfg(test)]
mod tests {
    use super::Set;

    /// A pattern that does not compile is left out, as if absent; the
    /// others of its set still match, each under its own place.
    #[test]
    fn a_pattern_that_does_not_compile_leaves_the_others() {
        let patterns = ["^(?:1\\d)$", "^(?:(2$", "^(?:3\\d)$"].map(str::to_owned);
        let set = Set::new(&patterns).expect("two patterns compile");
        assert_eq!(set.ids, [Some(0), None, Some(1)]);
        let matched = set.matches("31");
        assert_eq!([0, 1, 2].map(|i| matched.has(i)), [false, false, true]);
        let matched = set.matches("12");
        assert_eq!([0, 1, 2].map(|i| matched.has(i)), [true, false, false]);
        assert!(Set::new(&["(".to_owned()]).is_none());
    }

    /// Every table of the metadata compiles, and each region's number
    /// patterns compile whole (no pattern is left out).
    #[test]
    fn every_pattern_of_the_metadata_compiles() {
        for (code, regions) in super::CODES {
            let table = super::Code::new(regions);
            for region in &table.regions {
                let types = super::Types::new(region.data);
                let set = types.set.as_ref().expect("a region's patterns compile");
                assert!(
                    set.ids.iter().all(Option::is_some),
                    "+{code} {}: a pattern does not compile",
                    region.data.id
                );
            }
            if let Some(set) = &table.leading_set {
                assert!(
                    set.ids.iter().all(Option::is_some),
                    "+{code}: leading digits"
                );
            }
            if let Some(set) = table.prefixes() {
                assert!(set.ids.iter().all(Option::is_some), "+{code}: prefixes");
            }
        }
    }
}
