//! Sorting, written once for the whole crate.
//!
//! The standard library's sorts are generic over the element type *and* the comparator,
//! so every `sort_by(|a, b| …)` call site compiles its own copy of driftsort/ipnsort
//! (3–8 KB of wasm each; 14 copies were 97 KB of the page's wasm, docs/architecture.md
//! "The page's wasm"). Here one stable sort of indices under a `dyn` comparator serves
//! every caller: none of them sorts in a hot loop (set-up, reports, study parsing, the
//! data split), so the indirect call costs nothing measurable.

use std::cmp::Ordering;

/// The stable order of `0..n` under `cmp`: equal elements keep their index order.
/// Never inlined, so that the sort is compiled once.
#[inline(never)]
pub fn permutation(n: usize, cmp: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| cmp(a, b));
    order
}

/// Sorts `v` stably by `cmp` (the standard library's `sort_by`, one copy).
pub fn sort_by<T>(v: &mut Vec<T>, mut cmp: impl FnMut(&T, &T) -> Ordering) {
    let order = permutation(v.len(), &mut |a, b| cmp(&v[a], &v[b]));
    let mut slots: Vec<Option<T>> = v.drain(..).map(Some).collect();
    v.extend(
        order
            .into_iter()
            .map(|i| slots[i].take().expect("a permutation takes each slot once")),
    );
}

/// Sorts `v` stably by a key (the standard library's `sort_by_key`, one copy).
pub fn sort_by_key<T, K: Ord>(v: &mut Vec<T>, mut key: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `v` ascending (the standard library's `sort`; stable, so equal to `sort_unstable`
/// for plain values).
pub fn sort<T: Ord>(v: &mut Vec<T>) {
    sort_by(v, T::cmp);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Stream;

    #[test]
    fn sorts_like_the_standard_library_and_keeps_ties_in_order() {
        let mut rng = Stream::new(3);
        for n in [0, 1, 2, 7, 20, 33, 100, 1000] {
            let v: Vec<(u32, usize)> = (0..n).map(|i| (rng.below(5) as u32, i)).collect();
            let mut ours = v.clone();
            sort_by_key(&mut ours, |p| p.0);
            let mut std = v.clone();
            std.sort_by_key(|p| p.0);
            assert_eq!(ours, std, "n = {n}");
            let mut plain: Vec<u32> = v.iter().map(|p| p.0).collect();
            let mut want = plain.clone();
            sort(&mut plain);
            want.sort_unstable();
            assert_eq!(plain, want);
        }
    }
}
