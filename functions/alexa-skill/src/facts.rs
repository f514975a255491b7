//! Which fact to tell: one the user has not heard, this session or before.

use std::collections::BTreeSet;
use std::hash::{DefaultHasher, Hash, Hasher};

/// The index of the fact to tell out of `count`, avoiding `heard`; when every fact has been
/// heard the cycle starts again (`reset` is then true). `seed` (the request ID) makes the choice
/// random across requests and repeatable for one request.
pub(crate) fn pick(count: usize, heard: &BTreeSet<usize>, seed: &str) -> Option<(usize, bool)> {
    if count == 0 {
        return None;
    }
    let unheard: Vec<usize> = (0..count).filter(|i| !heard.contains(i)).collect();
    let (pool, reset) = if unheard.is_empty() {
        ((0..count).collect(), true)
    } else {
        (unheard, false)
    };
    let mut h = DefaultHasher::new();
    seed.hash(&mut h);
    Some((pool[(h.finish() % pool.len() as u64) as usize], reset))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_repeats_until_all_are_heard() {
        let mut heard = BTreeSet::new();
        for n in 0..5 {
            let (i, reset) = pick(5, &heard, &format!("req-{n}")).unwrap();
            assert!(!reset);
            assert!(heard.insert(i), "fact {i} repeated");
        }
        let (_, reset) = pick(5, &heard, "req-5").unwrap();
        assert!(reset, "after all five, the cycle restarts");
    }

    #[test]
    fn same_request_same_fact_and_no_facts_no_pick() {
        let heard = BTreeSet::new();
        assert_eq!(pick(10, &heard, "abc"), pick(10, &heard, "abc"));
        assert_eq!(pick(0, &heard, "abc"), None);
    }

    #[test]
    fn different_requests_spread_over_the_facts() {
        let heard = BTreeSet::new();
        let distinct: BTreeSet<usize> = (0..200)
            .map(|n| pick(11, &heard, &format!("r{n}")).unwrap().0)
            .collect();
        assert!(distinct.len() >= 9, "{distinct:?}");
    }
}
