//! `same_text` is `==` on byte strings: it compares short strings with
//! loads from both ends, which must between them see every byte.

use proptest::prelude::*;
use rcaudit_model::value::same_text;

/// Every length up to past the in-place range, a difference at every
/// position: each is seen.
#[test]
fn a_difference_at_any_place_of_any_length_is_seen() {
    for len in 0..=40usize {
        let a: Vec<u8> = (0..len)
            .map(|i| b'a' + u8::try_from(i % 26).unwrap_or(0))
            .collect();
        assert!(same_text(&a, &a.clone()), "length {len}, equal");
        for at in 0..len {
            let mut b = a.clone();
            b[at] ^= 0x20;
            assert!(!same_text(&a, &b), "length {len}, differing at {at}");
            assert!(
                !same_text(&b, &a),
                "length {len}, differing at {at}, swapped"
            );
        }
        let mut longer = a.clone();
        longer.push(b'x');
        assert!(!same_text(&a, &longer), "length {len} against {}", len + 1);
        // A zero byte added is not the same text (a padded compare would
        // say it is).
        let mut padded = a.clone();
        padded.push(0);
        assert!(
            !same_text(&a, &padded),
            "length {len} against itself and a NUL"
        );
    }
}

proptest! {
    #[test]
    fn agrees_with_eq(
        a in proptest::collection::vec(any::<u8>(), 0..40),
        b in proptest::collection::vec(any::<u8>(), 0..40),
        flip in any::<prop::sample::Index>(),
    ) {
        prop_assert_eq!(same_text(&a, &b), a == b);
        // Nearly equal pairs, which random pairs rarely are.
        let mut near = a.clone();
        if !near.is_empty() {
            let at = flip.index(near.len());
            near[at] = near[at].wrapping_add(1);
        }
        prop_assert_eq!(same_text(&a, &near), a == near);
    }
}
