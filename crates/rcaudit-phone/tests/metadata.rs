//! The classification checked against numbers whose region and type are
//! documented rather than computed here: the metadata's own example number
//! for every type of every region (as libphonenumber's `ExampleNumbersTest`
//! checks them), well-known numbering-plan ranges, and the `phonenumber`
//! crate's own answers, with every difference named and explained.

use proptest::prelude::*;
use rcaudit_phone::{Class, NumberType, class, classify, example, regions};

/// The types a region's example of `kind` may be classified as: fixed
/// line and mobile examples may share their ranges.
fn accepted(kind: NumberType) -> &'static [NumberType] {
    match kind {
        NumberType::FixedLine => &[NumberType::FixedLine, NumberType::FixedLineOrMobile],
        NumberType::Mobile => &[NumberType::Mobile, NumberType::FixedLineOrMobile],
        NumberType::TollFree => &[NumberType::TollFree],
        NumberType::PremiumRate => &[NumberType::PremiumRate],
        NumberType::SharedCost => &[NumberType::SharedCost],
        NumberType::Voip => &[NumberType::Voip],
        NumberType::PersonalNumber => &[NumberType::PersonalNumber],
        NumberType::Pager => &[NumberType::Pager],
        NumberType::Uan => &[NumberType::Uan],
        NumberType::Voicemail => &[NumberType::Voicemail],
        NumberType::FixedLineOrMobile | NumberType::Unknown => &[],
    }
}

/// Every example, as `(region, type, number)`.
fn examples() -> Vec<(&'static str, NumberType, String)> {
    let mut out = Vec::new();
    for region in regions() {
        for kind in NumberType::ALL {
            if let Some(number) = example(region, kind).filter(|_| !accepted(kind).is_empty()) {
                out.push((region, kind, number));
            }
        }
    }
    out
}

/// Regions that share their country calling code with a main country:
/// libphonenumber gives a number of such a region to the first region of
/// the code that claims it (the NANP's toll-free numbers are `US`, Jersey's
/// mobiles may be `GB`'s), so only the code is checked for them.
fn shares_code(region: &str) -> bool {
    phonenumber::metadata::DATABASE
        .by_id(region)
        .is_some_and(|meta| {
            !meta.is_main_country_for_code()
                && phonenumber::metadata::DATABASE
                    .region(&meta.country_code())
                    .is_some_and(|ids| ids.len() > 1)
        })
}

#[test]
fn every_example_number_is_valid_and_of_its_type() {
    let examples = examples();
    assert!(examples.len() > 1000, "{} examples", examples.len());
    let mut wrong = Vec::new();
    for (region, kind, number) in &examples {
        let Some(found) = classify(number) else {
            wrong.push(format!("{region} {kind} {number}: does not parse"));
            continue;
        };
        let code = phonenumber::metadata::DATABASE
            .by_id(*region)
            .map(phonenumber::Metadata::country_code);
        let right_region =
            found.region == Some(*region) || (shares_code(region) && found.region.is_some());
        if !found.is_valid()
            || !accepted(*kind).contains(&found.kind)
            || Some(found.code) != code
            || !right_region
        {
            wrong.push(format!("{region} {kind} {number}: {found:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Each thread searches with its own state: the metadata's examples
/// classified on four threads at once, each in its own order, give what
/// they give on this thread.
#[test]
fn every_thread_classifies_alike() {
    let examples = examples();
    let here: Vec<_> = examples.iter().map(|(_, _, n)| classify(n)).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let examples = &examples;
                scope.spawn(move || {
                    let mut order: Vec<usize> = (0..examples.len()).collect();
                    if t % 2 == 1 {
                        order.reverse();
                    }
                    let mut found = vec![None; examples.len()];
                    for i in order {
                        found[i] = classify(&examples[i].2);
                    }
                    found
                })
            })
            .collect();
        for handle in handles {
            assert!(handle.join().expect("no panic") == here);
        }
    });
}

/// Numbers whose region and type the numbering plans publish.
#[test]
fn numbering_plan_ranges() {
    let cases: &[(&str, Option<(&str, NumberType)>)] = &[
        // NANP: every toll-free area code in service, the 900 premium
        // range, geographic numbers (fixed line or mobile alike).
        ("+18005550100", Some(("US", NumberType::TollFree))),
        ("+18335550100", Some(("US", NumberType::TollFree))),
        ("+18445550100", Some(("US", NumberType::TollFree))),
        ("+18555440014", Some(("US", NumberType::TollFree))),
        ("+18665550100", Some(("US", NumberType::TollFree))),
        ("+18775550100", Some(("US", NumberType::TollFree))),
        ("+18885550100", Some(("US", NumberType::TollFree))),
        ("+19002345678", Some(("US", NumberType::PremiumRate))),
        ("+16505550100", Some(("US", NumberType::FixedLineOrMobile))),
        ("16505550100", Some(("US", NumberType::FixedLineOrMobile))),
        (
            "+1 (650) 555-0100",
            Some(("US", NumberType::FixedLineOrMobile)),
        ),
        ("+14165550100", Some(("CA", NumberType::FixedLineOrMobile))),
        // UK: 09 is premium rate, 0800 freephone, 07 mobile, 020 London.
        ("+449098790879", Some(("GB", NumberType::PremiumRate))),
        ("+448001111111", Some(("GB", NumberType::TollFree))),
        ("+447400123456", Some(("GB", NumberType::Mobile))),
        ("+442079460000", Some(("GB", NumberType::FixedLine))),
        // A national prefix written after the code is dropped.
        ("+44 07400 123456", Some(("GB", NumberType::Mobile))),
        // France: 089 premium, 01 Paris; Germany: 0900 premium.
        ("+33891123456", Some(("FR", NumberType::PremiumRate))),
        ("+33123456789", Some(("FR", NumberType::FixedLine))),
        ("+499001234567", Some(("DE", NumberType::PremiumRate))),
        // Italy keeps the leading 0 of its fixed lines.
        ("+390612345678", Some(("IT", NumberType::FixedLine))),
        // Universal freephone: a non-geographic entity.
        ("+80012345678", Some(("001", NumberType::TollFree))),
    ];
    for (text, expected) in cases {
        let found = classify(text).expect(text);
        let got = found.region.map(|r| (r, found.kind));
        assert_eq!(got, *expected, "{text}: {found:?}");
        assert!(found.is_valid(), "{text}");
    }
}

#[test]
fn invalid_and_unparsed_numbers() {
    // Parses, but cannot exist: an area code or an exchange starting 0 or 1.
    for text in ["+10005550100", "+16501550100", "+4411", "+3311"] {
        let found = classify(text).expect(text);
        assert!(!found.is_valid(), "{text}: {found:?}");
        assert_eq!(found.kind, NumberType::Unknown, "{text}");
    }
    // A region is still known when its code has one region.
    assert_eq!(classify("+3311").and_then(|n| n.region), Some("FR"));
    // Among several regions, none claims it.
    assert_eq!(classify("+4411").and_then(|n| n.region), None);
    // Not numbers: no digits, letters, a code nobody has, nothing after it,
    // two pluses, an extension.
    for text in [
        "",
        "+",
        "abc",
        "+999123456",
        "+1",
        "++16505550100",
        "+16505550100 x12",
    ] {
        assert_eq!(classify(text), None, "{text:?}");
    }
}

/// The `phonenumber` crate's own answers (parse, `is_valid`,
/// `number_type`, the region) agree on every example but where the crate
/// departs from libphonenumber and this crate follows it: its number type
/// and region read the national number without its leading zeros (so they
/// are compared only for numbers without one), it names no region for a non-geographic
/// entity (`001`), and it strips a national prefix from some numbers that
/// are valid as written (listed).
#[test]
fn the_phonenumber_crate_agrees_but_where_it_departs_from_libphonenumber() {
    // The crate strips the national prefix "8" (Russia, Kazakhstan,
    // Belarus, Lithuania) from numbers valid as written, which leaves a
    // number libphonenumber would not accept as the national number.
    let departures = [
        "+3758011234567",
        "+78001234567",
        "+78091234567",
        "+78081234567",
        "+37080012345",
        "+37080812345",
        "+37080123456",
    ];
    let mut differences = Vec::new();
    for (region, kind, number) in examples() {
        let ours = classify(&number).expect("parses");
        let theirs = phonenumber::parse(None, &number).expect("the crate parses its example");
        let their_kind = format!("{:?}", theirs.number_type(&phonenumber::metadata::DATABASE));
        let their_region = theirs.country().id().map(|id| format!("{id:?}"));
        let zero = ours.national.starts_with('0');
        let same = ours.is_valid() == theirs.is_valid()
            && (zero || ours.kind.as_str() == their_kind)
            && (zero
                || ours.region.map(str::to_owned) == their_region
                || (ours.region == Some("001") && their_region.is_none()));
        if !same && !departures.contains(&number.as_str()) {
            differences.push(format!(
                "{region} {kind} {number}: {ours:?} / {their_kind} {their_region:?}"
            ));
        }
        if same {
            assert!(
                !departures.contains(&number.as_str()),
                "{number} no longer differs"
            );
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

proptest! {
    /// Never a panic, and a valid number's E.164 form says the same.
    #[test]
    fn classifying_is_total_and_stable(text in "\\+?[0-9 ().-]{0,24}|\\PC{0,12}") {
        if let Some(found) = classify(&text) {
            let again = classify(&found.e164()).expect("the E.164 form parses");
            if found.is_valid() {
                prop_assert_eq!(&again, &found);
            }
            prop_assert!(found.national.bytes().all(|b| b.is_ascii_digit()));
        }
    }

    /// `class` says what `classify` says, without the digits.
    #[test]
    fn class_is_classify_without_the_digits(text in "\\+?[1-9][0-9]{0,16}|\\+?[0-9 ().-]{0,24}") {
        let expected = classify(&text).map(|n| Class { region: n.region, kind: n.kind });
        prop_assert_eq!(class(&text), expected);
    }
}
