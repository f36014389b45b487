//! Did-you-mean: the known name closest to a misspelt one, for the help of
//! every "unknown ..." problem (keys, variables, facts, parameters, fields,
//! targets, functions, rule ids).

/// The closest known name, if close enough to be a likely typo.
pub fn suggest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = name.to_lowercase();
    known
        .into_iter()
        .map(|k| (edit_distance(&lower, &k.to_lowercase()), k))
        .filter(|(d, k)| *d <= (k.len().max(name.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Edit distance counting a swap of two neighbours as one edit (optimal
/// string alignment), so `itme` is one edit from `item`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    // (a.len() + 1) x (b.len() + 1) table, row-major.
    let mut d: Vec<usize> = vec![0; (a.len() + 1) * width];
    let at = |i: usize, j: usize| i * width + j;
    for (i, cell) in d.iter_mut().step_by(width).enumerate() {
        *cell = i;
    }
    for (j, cell) in d.iter_mut().take(width).enumerate() {
        *cell = j;
    }
    for (i, ca) in a.iter().enumerate() {
        for (j, cb) in b.iter().enumerate() {
            let get = |i, j| d.get(at(i, j)).copied().unwrap_or(usize::MAX / 2);
            let cost = usize::from(ca != cb);
            let mut best = (get(i, j) + cost)
                .min(get(i, j + 1) + 1)
                .min(get(i + 1, j) + 1);
            if i > 0 && j > 0 && a.get(i - 1) == Some(cb) && b.get(j - 1) == Some(ca) {
                best = best.min(get(i - 1, j - 1) + 1);
            }
            if let Some(cell) = d.get_mut(at(i + 1, j + 1)) {
                *cell = best;
            }
        }
    }
    d.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE_KEYS: [&str; 6] = ["id", "severity", "title", "target", "assert", "message"];

    #[test]
    fn suggests_close_names() {
        assert_eq!(suggest("asert", RULE_KEYS), Some("assert"));
        assert_eq!(suggest("severty", RULE_KEYS), Some("severity"));
        assert_eq!(suggest("zzzzzz", RULE_KEYS), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("itme", "item"), 1);
        assert_eq!(
            suggest(
                "itme",
                ["snapshot", "account", "extensions", "item", "index"]
            ),
            Some("item")
        );
    }
}
