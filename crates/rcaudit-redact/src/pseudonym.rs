//! Keyed pseudonyms that keep a value's shape and are one-to-one.
//!
//! A value's *shape* is where its letters (upper or lower case) and digits
//! are; everything else (spaces, `@`, `.`, `-`, `+`, brackets, letters
//! outside ASCII) stays where it is. A pseudonym is the value's letters and
//! digits run through a keyed **permutation** of all values of that shape:
//! the same key and value give the same pseudonym, two different values
//! never give the same one (so duplicates stay duplicates and distinct
//! values stay distinct, which the rules that compare need), and without
//! the key nothing can be reversed or a guess tested.
//!
//! The permutation is a Feistel network over the value's symbols with
//! HMAC-SHA-256 as its round function, in the unbalanced form that needs no
//! swap: each round adds, position by position and modulo that position's
//! alphabet, a keyed stream derived from the other half to one half. Every
//! round can be undone given the other half, so the whole is a bijection;
//! ten rounds mix every symbol into every other.

use hmac::{Hmac, Mac as _};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Rounds of the network.
const ROUNDS: u8 = 10;

/// The secret pseudonyms are keyed with (held as HMAC's keyed state, so
/// each round starts from it instead of hashing the key again).
#[derive(Clone)]
pub struct Key(HmacSha256);

impl Key {
    /// A key from secret bytes (a key file's contents, an environment
    /// variable, or random bytes).
    pub fn new(secret: &[u8]) -> Key {
        Key(HmacSha256::new_from_slice(secret).unwrap_or_else(|_| unreachable_mac()))
    }
}

/// HMAC-SHA-256 accepts every key length; this is never called.
#[expect(clippy::panic, reason = "HMAC accepts keys of any length")]
fn unreachable_mac() -> HmacSha256 {
    panic!("HMAC-SHA-256 refused a key")
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key([secret])")
    }
}

/// A symbol of a shape: its alphabet's size and its index in it.
#[derive(Clone, Copy)]
struct Symbol {
    radix: u8,
    value: u8,
}

fn symbol(c: char) -> Option<Symbol> {
    let b = u8::try_from(u32::from(c)).ok()?;
    match b {
        b'a'..=b'z' => Some(Symbol {
            radix: 26,
            value: b - b'a',
        }),
        b'A'..=b'Z' => Some(Symbol {
            radix: 26,
            value: b - b'A',
        }),
        b'0'..=b'9' => Some(Symbol {
            radix: 10,
            value: b - b'0',
        }),
        _ => None,
    }
}

fn character(original: char, value: u8) -> char {
    let base = match original {
        'a'..='z' => b'a',
        'A'..='Z' => b'A',
        _ => b'0',
    };
    char::from(base + value)
}

/// The keyed stream for one round: HMAC(key, domain, round, radixes, the
/// other half's symbols), as long as `len` (counter mode).
fn stream(key: &Key, domain: &str, round: u8, shape: &[u8], other: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 32);
    // What the round depends on is hashed once; each block of the stream
    // then adds only its counter (so a long value costs linear time).
    let mut base = key.0.clone();
    base.update(domain.as_bytes());
    base.update(&[0, round]);
    base.update(&u32::try_from(shape.len()).unwrap_or(u32::MAX).to_be_bytes());
    base.update(shape);
    base.update(other);
    let mut block: u32 = 0;
    while out.len() < len {
        let mut mac = base.clone();
        mac.update(&block.to_be_bytes());
        out.extend_from_slice(&mac.finalize().into_bytes());
        block = block.wrapping_add(1);
    }
    out.truncate(len);
    out
}

/// Permutes symbol values in place (`forward`) or undoes it.
fn permute(key: &Key, domain: &str, radixes: &[u8], values: &mut [u8], forward: bool) {
    let half = values.len().div_ceil(2);
    let rounds: Vec<u8> = if forward {
        (0..ROUNDS).collect()
    } else {
        (0..ROUNDS).rev().collect()
    };
    for round in rounds {
        // Even rounds change the first half from the second; odd rounds
        // the second from the first.
        let (a, b) = values.split_at_mut(half);
        let (target, other, radix) = if round % 2 == 0 {
            (a, &*b, radixes.get(..half).unwrap_or_default())
        } else {
            (b, &*a, radixes.get(half..).unwrap_or_default())
        };
        let pad = stream(key, domain, round, radixes, other, target.len());
        for ((v, r), p) in target.iter_mut().zip(radix).zip(pad) {
            let shift = p % r;
            *v = if forward {
                (*v + shift) % r
            } else {
                (*v + r - shift) % r
            };
        }
    }
}

/// `text` with its letters and digits permuted (`forward`) or restored.
fn apply(key: &Key, domain: &str, text: &str, forward: bool) -> String {
    let symbols: Vec<(char, Symbol)> = text
        .chars()
        .filter_map(|c| symbol(c).map(|s| (c, s)))
        .collect();
    if symbols.is_empty() {
        return text.to_owned();
    }
    let radixes: Vec<u8> = symbols.iter().map(|(_, s)| s.radix).collect();
    let mut values: Vec<u8> = symbols.iter().map(|(_, s)| s.value).collect();
    permute(key, domain, &radixes, &mut values, forward);
    let mut next = values.into_iter();
    text.chars()
        .map(|c| match symbol(c) {
            Some(_) => character(c, next.next().unwrap_or(0)),
            None => c,
        })
        .collect()
}

/// The mark a pseudonym of a value with letters or digits outside ASCII
/// starts with: itself a letter outside ASCII, so no pseudonym of an
/// ASCII value (which has none) can equal one.
const WIDE: char = '\u{f8}';

/// Whether a value has letters or digits outside ASCII (`王伟`, `Zoë`,
/// full-width `１`), which the shape-keeping permutation cannot replace.
pub fn is_wide(value: &str) -> bool {
    value.chars().any(|c| !c.is_ascii() && c.is_alphanumeric())
}

/// The pseudonym of a value with letters or digits outside ASCII: its
/// UTF-8 bytes, as hex digits, permuted, written as letters `a`-`p` after
/// [`WIDE`]. The shape is lost, not the value's secrecy: nothing of it is
/// kept, and it stays one-to-one.
fn wide(key: &Key, domain: &str, value: &str) -> String {
    let mut values: Vec<u8> = value.bytes().flat_map(|b| [b >> 4, b & 15]).collect();
    let radixes = vec![16; values.len()];
    permute(key, &format!("{domain}/wide"), &radixes, &mut values, true);
    let mut out = String::with_capacity(values.len() + 2);
    out.push(WIDE);
    out.extend(values.iter().map(|v| char::from(b'a' + v)));
    out
}

/// The pseudonym of a text: same shape, one-to-one for a key and domain.
/// A value with letters or digits outside ASCII is replaced whole
/// ([`wide`]): those letters have no place in an ASCII alphabet.
pub fn text(key: &Key, domain: &str, value: &str) -> String {
    if is_wide(value) {
        wide(key, domain, value)
    } else {
        apply(key, domain, value, true)
    }
}

/// The pseudonym of a text that is none of `reserved` (which stay as they
/// are): the permutation is applied again while it lands on a reserved
/// value (cycle walking), which keeps it one-to-one on the other values.
pub fn text_avoiding(key: &Key, domain: &str, value: &str, reserved: &[&str]) -> String {
    if reserved.contains(&value) {
        return value.to_owned();
    }
    let mut out = text(key, domain, value);
    // A cycle of a permutation of a finite set returns to `value`, which
    // is not reserved, so this ends.
    while reserved.contains(&out.as_str()) {
        out = text(key, domain, &out);
    }
    out
}

/// Undoes [`text`] (for tests: the permutation is one).
#[cfg(test)]
pub fn reverse(key: &Key, domain: &str, value: &str) -> String {
    apply(key, domain, value, false)
}

/// Country calling codes of two digits (ITU-T E.164); `1` and `7` are
/// the one-digit codes, every other code has three digits.
const TWO_DIGIT_CODES: [&str; 44] = [
    "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47",
    "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65",
    "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
];

/// How many leading digits of a number stay: what the rules read (the
/// country calling code, then the area, toll-free or premium-rate
/// prefix). Worked out from the digits alone, so `+16505550101`,
/// `16505550101` and `+1 650-555-0101` keep the same prefix and get the
/// same pseudonym digits (the rules compare numbers without the `+`).
/// At least four digits are always replaced.
pub fn kept_digits(digits: &str) -> usize {
    let len = digits.len();
    let kept = if len == 11 && digits.starts_with('1') {
        // NANP with its country code: 1, the area code, the exchange's
        // first digit (which must be 2-9 for the number to exist).
        5
    } else if len == 10 && !digits.starts_with(['0', '1']) {
        // NANP without it.
        4
    } else if digits.starts_with(['1', '7']) {
        1 + 3
    } else if TWO_DIGIT_CODES.iter().any(|c| digits.starts_with(c)) {
        2 + 3
    } else {
        3 + 3
    };
    kept.min(len.saturating_sub(4))
}

/// What the rules read of a number beyond its digits' shape: its region
/// and type by the numbering plan (`phoneRegion`, `phoneType`), `None` when
/// it does not parse.
type PlanClass = Option<(Option<&'static str>, rcaudit_phone::NumberType)>;

fn plan_class(digits: &str) -> PlanClass {
    rcaudit_phone::class(digits).map(|c| (c.region, c.kind))
}

/// The classes a pseudonym keeps: the number's, read as international
/// digits as the rules read it; and, for a number that may be a NANP
/// number with or without its `1` (the two forms [`kept_digits`] keeps
/// alike), also the class with the `1`, so both forms walk alike.
fn classes(digits: &str) -> (PlanClass, PlanClass) {
    let national = if digits.len() == 11 && digits.starts_with('1') {
        digits.get(1..)
    } else if digits.len() == 10 && !digits.starts_with(['0', '1']) {
        Some(digits)
    } else {
        None
    };
    match national {
        Some(national) => (plan_class(national), plan_class(&format!("1{national}"))),
        None => (plan_class(digits), None),
    }
}

/// How many times the permutation is applied, at most, looking for a
/// pseudonym of the number's class. The classes are dense among the
/// numbers that share the kept prefix (a few steps are the rule); past
/// this, the plain pseudonym is given and the change counted.
const MAX_WALK: usize = 100_000;

/// The pseudonym of a phone number: the leading digits the rules read and
/// everything that is not a digit (the `+`, spaces, dashes, letters) stay
/// where they are; the other digits, the subscriber's, are permuted among
/// all digit strings of their length. Equal numbers (with or without `+`
/// or formatting) stay equal; different numbers stay different.
///
/// The pseudonym also keeps the number's region and type by the numbering
/// plan (premium-rate stays premium-rate, a number that cannot exist stays
/// one that cannot): the permutation is applied again while it lands on a
/// number of another class (cycle walking, one-to-one within each class).
/// The second value is false in the rare case no pseudonym of the class
/// was found within [`MAX_WALK`] steps.
pub fn phone(key: &Key, value: &str) -> (String, bool) {
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    let kept = kept_digits(&digits);
    let (Some(prefix), Some(rest)) = (digits.get(..kept), digits.get(kept..)) else {
        return (value.to_owned(), true);
    };
    // The domain names the length only: the same subscriber digits behind
    // the same kept prefix, however written, get the same pseudonym.
    let domain = format!("phone/{}", rest.len());
    let wanted = classes(&digits);
    let first = text(key, &domain, rest);
    let mut replaced = first.clone();
    let mut kept_class = false;
    for _ in 0..MAX_WALK {
        if classes(&format!("{prefix}{replaced}")) == wanted {
            kept_class = true;
            break;
        }
        replaced = text(key, &domain, &replaced);
    }
    if !kept_class {
        replaced = first;
    }
    let mut digit = 0usize;
    let mut fresh = replaced.chars();
    let out = value
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                digit += 1;
                if digit > kept {
                    return fresh.next().unwrap_or(c);
                }
            }
            c
        })
        .collect();
    (out, kept_class)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key() -> Key {
        Key::new(b"a test key")
    }

    #[test]
    fn a_pseudonym_keeps_the_shape() {
        let out = text(&key(), "text", "Maria Gonzalez-Ruiz <maria.g@vet.example>");
        assert_eq!(out.len(), "Maria Gonzalez-Ruiz <maria.g@vet.example>".len());
        let shape = |s: &str| -> String {
            s.chars()
                .map(|c| match c {
                    'a'..='z' => 'a',
                    'A'..='Z' => 'A',
                    '0'..='9' => '0',
                    c => c,
                })
                .collect()
        };
        assert_eq!(
            shape(&out),
            shape("Maria Gonzalez-Ruiz <maria.g@vet.example>")
        );
        assert_ne!(out, "Maria Gonzalez-Ruiz <maria.g@vet.example>");
        // Another key, another pseudonym.
        assert_ne!(
            text(&Key::new(b"other"), "text", "Maria Gonzalez"),
            text(&key(), "text", "Maria Gonzalez")
        );
    }

    #[test]
    fn numbers_keep_what_rules_read() {
        let k = key();
        let a = phone(&k, "+16505550101").0;
        assert!(a.starts_with("+16505") && a.len() == 12, "{a}");
        assert_ne!(a, "+16505550101");
        // With or without `+`, with formatting: the same digits.
        assert_eq!(phone(&k, "16505550101").0, a.trim_start_matches('+'));
        let formatted = phone(&k, "+1 650-555-0101").0;
        assert_eq!(formatted.replace([' ', '-'], ""), a);
        assert!(formatted.starts_with("+1 650-5") && formatted.chars().nth(10) == Some('-'));
        // NANP without the country code keeps the area and the exchange's
        // first digit, and matches the same subscriber digits.
        assert_eq!(phone(&k, "6505550101").0, a.get(2..).unwrap_or_default());
        // Toll-free and premium prefixes stay.
        assert!(phone(&k, "+18885550142").0.starts_with("+18885"));
        assert!(phone(&k, "+19005550199").0.starts_with("+19005"));
        // Elsewhere: the calling code and three more digits.
        assert!(phone(&k, "+442071234567").0.starts_with("+44207"));
        assert!(phone(&k, "+74951234567").0.starts_with("+7495"));
        assert!(phone(&k, "+3531234567890").0.starts_with("+353123"));
        // Short numbers keep nothing but their first digits, at least four
        // replaced; very short ones are unchanged only if nothing is left.
        assert_eq!(phone(&k, "123").0.len(), 3);
        assert!(phone(&k, "12345678").0.starts_with("1234"));
        assert_eq!(phone(&k, "not a number").0, "not a number");
    }

    #[test]
    fn reserved_values_are_neither_produced_nor_changed() {
        let k = key();
        let reserved = ["Home", "Mobile", "Work", "Office"];
        for label in reserved {
            assert_eq!(text_avoiding(&k, "label", label, &reserved), label);
        }
        // The value the permutation sends to `Home` walks on to another,
        // distinct from every other value's pseudonym.
        let onto_home = reverse(&k, "label", "Home");
        let walked = text_avoiding(&k, "label", &onto_home, &reserved);
        assert!(
            !reserved.contains(&walked.as_str()),
            "{onto_home} -> {walked}"
        );
        assert_ne!(walked, text_avoiding(&k, "label", "Cabn", &reserved));
        assert_eq!(text(&k, "label", &onto_home), "Home", "the walk was needed");
    }

    #[test]
    fn letters_outside_ascii_are_replaced_whole() {
        let k = key();
        for name in ["王伟", "Иван Петров", "Zoë", "＋１６５０５５５０１０１"]
        {
            let out = text(&k, "text", name);
            assert!(
                out.starts_with(WIDE) && out.chars().skip(1).all(|c| c.is_ascii_lowercase()),
                "{out}"
            );
            assert!(!out.contains(name));
        }
        assert_ne!(text(&k, "text", "Zoë"), text(&k, "text", "Zoe"));
    }

    proptest! {
        #[test]
        fn wide_pseudonyms_are_one_to_one(a in "\\PC{0,12}", b in "\\PC{0,12}") {
            let k = key();
            prop_assert_eq!(text(&k, "t", &a) == text(&k, "t", &b), a == b);
        }

        #[test]
        fn the_permutation_is_one_to_one(a in "[a-zA-Z0-9 @.+-]{0,24}", b in "[a-zA-Z0-9 @.+-]{0,24}") {
            let k = key();
            let (pa, pb) = (text(&k, "t", &a), text(&k, "t", &b));
            prop_assert_eq!(reverse(&k, "t", &pa), a.clone());
            prop_assert_eq!(pa == pb, a == b);
        }

        #[test]
        fn numbers_stay_equal_exactly_when_they_were(a in "\\+?[0-9]{6,15}", b in "\\+?[0-9]{6,15}") {
            let k = key();
            let same = |x: &str, y: &str| x.trim_start_matches('+') == y.trim_start_matches('+');
            let (pa, pb) = (phone(&k, &a).0, phone(&k, &b).0);
            prop_assert_eq!(same(&pa, &pb), same(&a, &b), "{} {} -> {} {}", a, b, pa, pb);
            prop_assert_eq!(pa.starts_with('+'), a.starts_with('+'));
            prop_assert_eq!(pa.len(), a.len());
        }

        /// Two numbers behind the same kept prefix: the walk is one-to-one.
        #[test]
        fn numbers_behind_one_prefix_stay_distinct(
            prefix in "\\+(1[2-9][0-9]{2}[2-9]|44[1-9][0-9]{2})",
            a in "[0-9]{6}",
            b in "[0-9]{6}",
        ) {
            let k = key();
            let (pa, pb) = (phone(&k, &format!("{prefix}{a}")).0, phone(&k, &format!("{prefix}{b}")).0);
            prop_assert_eq!(pa == pb, a == b);
        }

        /// Region and type by the numbering plan stay.
        #[test]
        fn numbers_keep_their_class(a in "\\+?[1-9][0-9]{7,14}") {
            let k = key();
            let (pa, kept) = phone(&k, &a);
            prop_assert!(kept, "{}", a);
            prop_assert_eq!(plan_class(&pa.replace('+', "")), plan_class(&a.replace('+', "")), "{} -> {}", a, pa);
        }
    }

    /// The metadata's example number of every type in every region keeps
    /// its region and type, and is replaced.
    #[test]
    fn example_numbers_keep_region_and_type() {
        let k = key();
        let mut checked = 0;
        for region in rcaudit_phone::regions() {
            for kind in rcaudit_phone::NumberType::ALL {
                let Some(number) = rcaudit_phone::example(region, kind) else {
                    continue;
                };
                let (out, kept) = phone(&k, &number);
                let digits = |s: &str| s.replace('+', "");
                assert!(kept, "{number}");
                assert_eq!(
                    plan_class(&digits(&out)),
                    plan_class(&digits(&number)),
                    "{number} -> {out}"
                );
                if number.len() > 9 {
                    assert_ne!(out, number);
                }
                checked += 1;
            }
        }
        assert!(checked > 1000, "{checked}");
    }
}
