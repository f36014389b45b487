//! The metadata as tables: for each country calling code, its regions in
//! libphonenumber's order, each with its patterns compiled once (on the
//! first number with that code) and anchored at both ends, as
//! libphonenumber matches them.

use std::cell::OnceCell;
use std::sync::LazyLock;

use phonenumber::Type;
use phonenumber::metadata::{DATABASE, Descriptor, Metadata};
use regex::{Regex, RegexBuilder};

use crate::NumberType;

/// Country calling codes run from 1 to 999.
const CODES: usize = 1000;

/// The types libphonenumber tries, in its order (`getNumberTypeHelper`):
/// the first that matches wins; fixed line and mobile come last.
const ORDER: [(Type, NumberType); 8] = [
    (Type::PremiumRate, NumberType::PremiumRate),
    (Type::TollFree, NumberType::TollFree),
    (Type::SharedCost, NumberType::SharedCost),
    (Type::Voip, NumberType::Voip),
    (Type::PersonalNumber, NumberType::PersonalNumber),
    (Type::Pager, NumberType::Pager),
    (Type::Uan, NumberType::Uan),
    (Type::Voicemail, NumberType::Voicemail),
];

/// The metadata writes its patterns over several indented lines.
fn compile(pattern: &str) -> Option<Regex> {
    RegexBuilder::new(pattern)
        .ignore_whitespace(true)
        .build()
        .ok()
}

/// One number description: the national significant numbers it matches.
#[derive(Debug)]
struct Desc {
    /// Bit `n` set: `n` digits is a possible length; 0: any length.
    lengths: u32,
    pattern: Regex,
    /// The pattern as written, to tell identical patterns apart.
    source: String,
}

impl Desc {
    fn new(descriptor: &Descriptor) -> Option<Desc> {
        let source = descriptor.national_number().as_str().to_owned();
        let pattern = compile(&format!("^(?:{source})$"))?;
        let lengths = descriptor
            .possible_length()
            .iter()
            .filter(|&&n| n < 32)
            .fold(0u32, |bits, &n| bits | (1 << n));
        Some(Desc {
            lengths,
            pattern,
            source,
        })
    }

    /// `isNumberMatchingDesc`: a possible length, and the whole number
    /// matches.
    fn matches(&self, national: &str) -> bool {
        let fits = u32::try_from(national.len())
            .ok()
            .and_then(|n| 1u32.checked_shl(n))
            .is_some_and(|bit| self.lengths & bit != 0);
        (self.lengths == 0 || fits) && self.pattern.is_match(national)
    }
}

/// One region (or non-geographic entity, `001`) of a country calling code.
#[derive(Debug)]
pub(crate) struct Region {
    /// The metadata's own string, which lives as long as the program.
    id: &'static str,
    /// Leading digits that pick this region among those of its code,
    /// matched at the start of the number.
    leading: Option<Regex>,
    /// The national prefix (or what libphonenumber strips as one when
    /// parsing), matched at the start of the number.
    prefix: Option<Regex>,
    general: Option<Desc>,
    special: Vec<(NumberType, Desc)>,
    fixed_line: Option<Desc>,
    mobile: Option<Desc>,
}

impl Region {
    fn new(meta: &'static Metadata) -> Region {
        let descriptors = meta.descriptors();
        let desc = |kind: Type| descriptors.get(kind).and_then(Desc::new);
        Region {
            id: meta.id(),
            leading: meta
                .leading_digits()
                .and_then(|l| compile(&format!("^(?:{})", l.as_str()))),
            prefix: meta
                .national_prefix_for_parsing()
                .map(|p| p.as_str().to_owned())
                .or_else(|| meta.national_prefix().map(regex::escape))
                .and_then(|p| compile(&format!("^(?:{p})"))),
            general: Desc::new(descriptors.general()),
            special: ORDER
                .iter()
                .filter_map(|&(kind, ours)| desc(kind).map(|d| (ours, d)))
                .collect(),
            fixed_line: desc(Type::FixedLine),
            mobile: desc(Type::Mobile),
        }
    }

    /// `getNumberTypeHelper`: the type of a national significant number in
    /// this region, `Unknown` when it is not a valid number here.
    fn number_type(&self, national: &str) -> NumberType {
        if !self.general.as_ref().is_some_and(|g| g.matches(national)) {
            return NumberType::Unknown;
        }
        if let Some((kind, _)) = self.special.iter().find(|(_, d)| d.matches(national)) {
            return *kind;
        }
        let same = match (&self.fixed_line, &self.mobile) {
            (Some(f), Some(m)) => f.source == m.source,
            _ => false,
        };
        let mobile = || self.mobile.as_ref().is_some_and(|m| m.matches(national));
        if self
            .fixed_line
            .as_ref()
            .is_some_and(|f| f.matches(national))
        {
            if same || mobile() {
                return NumberType::FixedLineOrMobile;
            }
            return NumberType::FixedLine;
        }
        if !same && mobile() {
            return NumberType::Mobile;
        }
        NumberType::Unknown
    }
}

/// Whether each country calling code is assigned, known without compiling
/// anything.
static KNOWN: LazyLock<Vec<bool>> = LazyLock::new(|| {
    (0..CODES)
        .map(|code| {
            u16::try_from(code)
                .ok()
                .and_then(|code| DATABASE.region(&code))
                .is_some_and(|regions| !regions.is_empty())
        })
        .collect()
});

thread_local! {
    /// The regions of every country calling code, compiled on first use,
    /// per thread: a `Regex` shared between threads hands its search
    /// caches out of a pool, and the threads that do not own it pay for a
    /// lock on every match.
    static TABLES: Vec<OnceCell<Vec<Region>>> = (0..CODES).map(|_| OnceCell::new()).collect();
}

/// Whether `code` is an assigned country calling code.
pub(crate) fn is_code(code: u16) -> bool {
    KNOWN.get(usize::from(code)).copied().unwrap_or(false)
}

/// Runs `f` on the regions of a country calling code, in libphonenumber's
/// order (the main country first).
fn with_regions<T>(code: u16, f: impl FnOnce(&[Region]) -> T) -> T {
    TABLES.with(|tables| {
        let Some(slot) = tables.get(usize::from(code)) else {
            return f(&[]);
        };
        f(slot.get_or_init(|| {
            let ids = DATABASE.region(&code).unwrap_or_default();
            ids.iter()
                .filter_map(|id| {
                    if *id == "001" {
                        DATABASE
                            .by_code(&code)
                            .and_then(|metas| metas.into_iter().find(|m| m.id() == "001"))
                    } else {
                        DATABASE.by_id(*id)
                    }
                })
                .map(Region::new)
                .collect()
        }))
    })
}

/// The region (`getRegionCodeForNumberFromRegionList`) and type
/// (`getNumberType`) of a national significant number. A single region
/// is the answer whatever the number; among several, the first whose
/// leading digits start the number, else the first where it is valid.
pub(crate) fn classify(code: u16, national: &str) -> (Option<&'static str>, NumberType) {
    with_regions(code, |regions| {
        // A region without leading digits is found by typing the number,
        // and that type is the answer: it is not worked out twice (most
        // +1 numbers are the United States', which has none).
        let found = match regions {
            [only] => Some((only, only.number_type(national))),
            _ => regions.iter().find_map(|region| match &region.leading {
                Some(leading) => leading
                    .is_match(national)
                    .then(|| (region, region.number_type(national))),
                None => {
                    let kind = region.number_type(national);
                    (kind != NumberType::Unknown).then_some((region, kind))
                }
            }),
        };
        found.map_or((None, NumberType::Unknown), |(r, kind)| (Some(r.id), kind))
    })
}

/// Whether `national` may start with a national prefix of one of its
/// code's regions (`+44 0...`): only then can the parser find another
/// national number in it.
pub(crate) fn may_have_prefix(code: u16, national: &str) -> bool {
    with_regions(code, |regions| {
        regions
            .iter()
            .any(|region| region.prefix.as_ref().is_some_and(|p| p.is_match(national)))
    })
}
