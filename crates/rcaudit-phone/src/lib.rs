//! Phone numbers understood through Google's libphonenumber metadata (as
//! the `phonenumber` crate ships it): the country calling code, the region,
//! the type (toll-free, premium-rate, mobile, ...) and whether the number
//! can exist.
//!
//! The numbers rcaudit reads are international (`+` and digits, the
//! catalogue's E.164), so the country calling code is the leading digits
//! and the rest is the national significant number. The fast path matches
//! that against the metadata's patterns, compiled once per code and
//! anchored at both ends as libphonenumber matches them; only a number it
//! finds invalid and that starts with a national prefix of its code goes
//! through the `phonenumber` parser, which strips the prefix written after
//! the country code (`+44 07911 123456`), and the result is classified by
//! the same tables. Region and type follow
//! libphonenumber's `getRegionCodeForNumber` and `getNumberType`.
//!
//! No I/O: the metadata is compiled into the binary.

use std::fmt;

mod tables;

/// What a number is, as libphonenumber's metadata tells it
/// (`PhoneNumberType`, named the way the RingCentral API names enums).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NumberType {
    FixedLine,
    Mobile,
    /// Fixed line and mobile numbers share their ranges (as in the NANP).
    FixedLineOrMobile,
    TollFree,
    PremiumRate,
    /// The caller pays part of the cost.
    SharedCost,
    Voip,
    PersonalNumber,
    Pager,
    /// A universal access ("company") number.
    Uan,
    Voicemail,
    /// Not a valid number of its region.
    Unknown,
}

impl NumberType {
    /// Every type, in the order of [`NumberType::as_str`]'s documentation.
    pub const ALL: [NumberType; 12] = [
        NumberType::FixedLine,
        NumberType::Mobile,
        NumberType::FixedLineOrMobile,
        NumberType::TollFree,
        NumberType::PremiumRate,
        NumberType::SharedCost,
        NumberType::Voip,
        NumberType::PersonalNumber,
        NumberType::Pager,
        NumberType::Uan,
        NumberType::Voicemail,
        NumberType::Unknown,
    ];

    /// The name rules compare against: `FixedLine`, `Mobile`,
    /// `FixedLineOrMobile`, `TollFree`, `PremiumRate`, `SharedCost`, `Voip`,
    /// `PersonalNumber`, `Pager`, `Uan`, `Voicemail` or `Unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            NumberType::FixedLine => "FixedLine",
            NumberType::Mobile => "Mobile",
            NumberType::FixedLineOrMobile => "FixedLineOrMobile",
            NumberType::TollFree => "TollFree",
            NumberType::PremiumRate => "PremiumRate",
            NumberType::SharedCost => "SharedCost",
            NumberType::Voip => "Voip",
            NumberType::PersonalNumber => "PersonalNumber",
            NumberType::Pager => "Pager",
            NumberType::Uan => "Uan",
            NumberType::Voicemail => "Voicemail",
            NumberType::Unknown => "Unknown",
        }
    }
}

impl fmt::Display for NumberType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the metadata says of a number that parses.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Number {
    /// The country calling code (`1`, `44`, `800`).
    pub code: u16,
    /// The national significant number: the digits after the code, without
    /// a national prefix.
    pub national: String,
    /// The CLDR region (`US`, `GB`), `001` for a non-geographic entity
    /// (`+800` and the like); `None` when the code is shared by several
    /// regions and the number fits none of them.
    pub region: Option<&'static str>,
    /// Its type; `Unknown` when it is not valid for its region.
    pub kind: NumberType,
}

impl Number {
    /// Whether the number can exist: it has a region and is of a type
    /// there (`isValidNumber`).
    pub fn is_valid(&self) -> bool {
        Class {
            region: self.region,
            kind: self.kind,
        }
        .is_valid()
    }

    /// The number in E.164: `+`, the code, the national number.
    pub fn e164(&self) -> String {
        format!("+{}{}", self.code, self.national)
    }
}

/// The most digits a number has: a three-digit code and libphonenumber's
/// longest national number (17).
const MAX_DIGITS: usize = 20;

/// The digits of an international number: an optional leading `+`, then
/// digits, which spaces, `-`, `.`, `/` and parentheses may separate.
/// Anything else (a letter, a second `+`, an extension), no digit or too
/// many: `None`.
pub fn digits(text: &str) -> Option<String> {
    Digits::of(text).map(|d| d.as_str().to_owned())
}

/// [`digits`], on the stack.
struct Digits {
    bytes: [u8; MAX_DIGITS],
    len: usize,
}

impl Digits {
    fn of(text: &str) -> Option<Digits> {
        let body = text.strip_prefix('+').unwrap_or(text);
        let mut digits = Digits {
            bytes: [0; MAX_DIGITS],
            len: 0,
        };
        for b in body.bytes() {
            match b {
                b'0'..=b'9' => {
                    *digits.bytes.get_mut(digits.len)? = b;
                    digits.len += 1;
                }
                b' ' | b'-' | b'.' | b'/' | b'(' | b')' => {}
                _ => return None,
            }
        }
        (digits.len > 0).then_some(digits)
    }

    fn as_str(&self) -> &str {
        // Only ASCII digits are stored.
        std::str::from_utf8(self.bytes.get(..self.len).unwrap_or_default()).unwrap_or_default()
    }
}

/// A number's region and type: what [`classify`] says of it, without its
/// digits (and without allocating).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Class {
    /// As [`Number::region`].
    pub region: Option<&'static str>,
    /// As [`Number::kind`].
    pub kind: NumberType,
}

impl Class {
    /// As [`Number::is_valid`].
    pub fn is_valid(self) -> bool {
        self.region.is_some() && self.kind != NumberType::Unknown
    }
}

/// What the metadata says of `text`, read as an international number (with
/// or without its `+`); `None` when it does not parse: not a number by
/// [`digits`], or no assigned country calling code starts it, or nothing is
/// left after the code.
pub fn classify(text: &str) -> Option<Number> {
    let digits = Digits::of(text)?;
    let (code, national) = split_code(digits.as_str())?;
    let (class, stripped) = classify_parts(code, national, digits.as_str());
    Some(Number {
        code,
        national: stripped.unwrap_or_else(|| national.to_owned()),
        region: class.region,
        kind: class.kind,
    })
}

/// [`classify`]'s region and type alone.
pub fn class(text: &str) -> Option<Class> {
    let digits = Digits::of(text)?;
    let (code, national) = split_code(digits.as_str())?;
    Some(classify_parts(code, national, digits.as_str()).0)
}

/// The class of a national number, and the national number the parser
/// found instead when that one is valid.
fn classify_parts(code: u16, national: &str, digits: &str) -> (Class, Option<String>) {
    let fast = classify_national(code, national);
    if fast.is_valid() || !tables::may_have_prefix(code, national) {
        return (fast, None);
    }
    // The parser knows what the tables do not: a national prefix written
    // after the code. Its national number, if different, is classified by
    // the same tables.
    let parsed = phonenumber::parse(None, format!("+{digits}")).ok();
    let stripped = parsed
        .filter(|p| p.code().value() == code)
        .map(|p| p.national().to_string())
        .filter(|n| n != national && !n.is_empty());
    match stripped {
        Some(n) => {
            let again = classify_national(code, &n);
            if again.is_valid() {
                (again, Some(n))
            } else {
                (fast, None)
            }
        }
        None => (fast, None),
    }
}

/// The country calling code that starts `digits` (codes are prefix-free:
/// at most one of the first one, two or three digits is assigned) and the
/// rest, which must not be empty.
fn split_code(digits: &str) -> Option<(u16, &str)> {
    (1..=3).find_map(|len| {
        let code: u16 = digits.get(..len)?.parse().ok()?;
        let rest = digits.get(len..)?;
        (tables::is_code(code) && !rest.is_empty()).then_some((code, rest))
    })
}

fn classify_national(code: u16, national: &str) -> Class {
    let (region, kind) = tables::classify(code, national);
    Class { region, kind }
}

/// The metadata's example number of a type in a region, as international
/// digits (`+` and the code first), for tests and generators that need a
/// number whose type and region are documented rather than computed.
pub fn example(region: &str, kind: NumberType) -> Option<String> {
    use phonenumber::Type;
    let meta = phonenumber::metadata::DATABASE.by_id(region)?;
    let theirs = match kind {
        NumberType::FixedLine | NumberType::FixedLineOrMobile => Type::FixedLine,
        NumberType::Mobile => Type::Mobile,
        NumberType::TollFree => Type::TollFree,
        NumberType::PremiumRate => Type::PremiumRate,
        NumberType::SharedCost => Type::SharedCost,
        NumberType::Voip => Type::Voip,
        NumberType::PersonalNumber => Type::PersonalNumber,
        NumberType::Pager => Type::Pager,
        NumberType::Uan => Type::Uan,
        NumberType::Voicemail => Type::Voicemail,
        NumberType::Unknown => return None,
    };
    let example = meta.descriptors().get(theirs)?.example()?;
    Some(format!("+{}{example}", meta.country_code()))
}

/// Every region the metadata describes (CLDR codes and `001`), sorted.
pub fn regions() -> Vec<&'static str> {
    tables::REGIONS.to_vec()
}
