//! The redundancy lattice of 1 to 4 sources, generated rather than tabulated so that
//! every table (order, Möbius function, inclusion–exclusion coefficients) can be checked.
//!
//! A *collection* is a non-empty set of sources, stored as a bit mask (bit i = source i+1).
//! An *antichain* is a set of collections none of which contains another.

use std::cmp::Ordering;

/// Largest number of sources the lattice supports (n = 4 already has 166 antichains).
pub const MAX_SOURCES: usize = 4;

/// A source subset as a bit mask: bit `i` set means source `i + 1` belongs to it.
pub type SourceSet = u8;

/// One node of the redundancy lattice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Antichain {
    /// Collections sorted by (size, members), e.g. `{1}{23}` = `[0b001, 0b110]`.
    pub collections: Vec<SourceSet>,
    /// Union of all collections: the sources whose values the redundancy depends on.
    pub union: SourceSet,
    /// Inclusion–exclusion coefficients of the union event W_α:
    /// P(W_α(s)) = Σ (coef · P(S_V = s_V)) over these `(V, coef)` pairs, coef ≠ 0.
    pub union_terms: Vec<(SourceSet, i32)>,
}

/// The lattice for `n` sources with its order relation and Möbius inversion.
#[derive(Clone, Debug)]
pub struct Lattice {
    n: usize,
    antichains: Vec<Antichain>,
    /// `below[a][b]` is true iff antichain b ≼ antichain a.
    below: Vec<Vec<bool>>,
    /// Atoms from redundancies: Π_a = Σ_b mobius[a][b] · I_b.
    mobius: Vec<Vec<f64>>,
    /// Index of the top antichain {12..n}, whose redundancy is I(T; S).
    top: usize,
}

fn members(set: SourceSet) -> Vec<usize> {
    (0..MAX_SOURCES).filter(|i| set & (1 << i) != 0).collect()
}

fn is_subset(a: SourceSet, b: SourceSet) -> bool {
    a & !b == 0
}

/// Collection order used inside an antichain and for the term order: size, then members.
fn cmp_collection(a: SourceSet, b: SourceSet) -> Ordering {
    a.count_ones()
        .cmp(&b.count_ones())
        .then_with(|| members(a).cmp(&members(b)))
}

/// Lexicographic comparison where a sequence that extends another comes *first*,
/// which is how the paper lists {1}{2}{3} before {1}{2} before {1}.
fn cmp_longer_prefix_first<T: Ord + Copy>(a: &[T], b: &[T]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        match x.cmp(y) {
            Ordering::Equal => continue,
            other => return other,
        }
    }
    b.len().cmp(&a.len())
}

/// The paper's term order (for n ≥ 3; n = 2 is listed explicitly by the paper):
/// first by the sequence of collection sizes, then by the collections themselves.
fn cmp_paper_order(a: &Antichain, b: &Antichain) -> Ordering {
    let sizes =
        |x: &Antichain| -> Vec<u32> { x.collections.iter().map(|c| c.count_ones()).collect() };
    cmp_longer_prefix_first(&sizes(a), &sizes(b)).then_with(|| {
        for (x, y) in a.collections.iter().zip(&b.collections) {
            match cmp_collection(*x, *y) {
                Ordering::Equal => continue,
                other => return other,
            }
        }
        b.collections.len().cmp(&a.collections.len())
    })
}

fn union_terms(collections: &[SourceSet]) -> Vec<(SourceSet, i32)> {
    let mut coef = [0i32; 1 << MAX_SOURCES];
    for pick in 1u32..(1 << collections.len()) {
        let mut union = 0;
        for (i, c) in collections.iter().enumerate() {
            if pick & (1 << i) != 0 {
                union |= c;
            }
        }
        coef[union as usize] += if pick.count_ones() % 2 == 1 { 1 } else { -1 };
    }
    (1..coef.len())
        .filter(|&v| coef[v] != 0)
        .map(|v| (v as SourceSet, coef[v]))
        .collect()
}

impl Antichain {
    fn new(mut collections: Vec<SourceSet>) -> Self {
        crate::order::sort_by(&mut collections, |a, b| cmp_collection(*a, *b));
        let union = collections.iter().fold(0, |u, c| u | c);
        let union_terms = union_terms(&collections);
        Antichain {
            collections,
            union,
            union_terms,
        }
    }

    /// Machine name such as `{1}{23}`.
    pub fn name(&self) -> String {
        self.collections
            .iter()
            .map(|c| {
                let digits: String = members(*c)
                    .iter()
                    .map(|i| char::from(b'1' + *i as u8))
                    .collect();
                format!("{{{digits}}}")
            })
            .collect()
    }

    /// Display name with the given source labels, such as `(F)(CL)`.
    pub fn display_name(&self, labels: &[&str]) -> String {
        self.collections
            .iter()
            .map(|c| {
                let inner: String = members(*c).iter().map(|i| labels[*i]).collect();
                format!("({inner})")
            })
            .collect()
    }

    /// True iff `self ≼ other`: every collection of `other` contains one of `self`.
    pub fn precedes(&self, other: &Antichain) -> bool {
        other
            .collections
            .iter()
            .all(|a| self.collections.iter().any(|b| is_subset(*b, *a)))
    }
}

impl Lattice {
    /// Builds the lattice for `n` sources (1 ≤ n ≤ 4), antichains in the paper's term order.
    pub fn new(n: usize) -> Self {
        assert!(
            (1..=MAX_SOURCES).contains(&n),
            "lattice supports 1 to 4 sources"
        );
        let collections: Vec<SourceSet> = (1..(1u32 << n)).map(|c| c as SourceSet).collect();
        let mut antichains = Vec::new();
        for pick in 1u32..(1 << collections.len()) {
            let chosen: Vec<SourceSet> = (0..collections.len())
                .filter(|i| pick & (1 << i) != 0)
                .map(|i| collections[i])
                .collect();
            let independent = chosen
                .iter()
                .all(|a| chosen.iter().all(|b| a == b || !is_subset(*a, *b)));
            if independent {
                antichains.push(Antichain::new(chosen));
            }
        }
        crate::order::sort_by(&mut antichains, cmp_paper_order);
        if n == 2 {
            // The paper lists the bivariate terms as unique 1, unique 2, shared, synergy.
            let order = ["{1}", "{2}", "{1}{2}", "{12}"];
            crate::order::sort_by_key(&mut antichains, |a| {
                order.iter().position(|o| *o == a.name())
            });
        }
        let size = antichains.len();
        let below: Vec<Vec<bool>> = antichains
            .iter()
            .map(|a| antichains.iter().map(|b| b.precedes(a)).collect())
            .collect();
        // Möbius inversion in an order where every antichain comes after all below it.
        let mut by_height: Vec<usize> = (0..size).collect();
        crate::order::sort_by_key(&mut by_height, |&a| below[a].iter().filter(|x| **x).count());
        let mut mobius = vec![vec![0.0; size]; size];
        for &a in &by_height {
            let mut row = vec![0.0; size];
            row[a] = 1.0;
            for b in 0..size {
                if b != a && below[a][b] {
                    for (r, m) in row.iter_mut().zip(&mobius[b]) {
                        *r -= m;
                    }
                }
            }
            mobius[a] = row;
        }
        let full = ((1u32 << n) - 1) as SourceSet;
        let top = antichains
            .iter()
            .position(|a| a.collections == [full])
            .expect("the top antichain exists");
        Lattice {
            n,
            antichains,
            below,
            mobius,
            top,
        }
    }

    pub fn sources(&self) -> usize {
        self.n
    }

    /// Antichains in term order (the goal vector γ is this order followed by H_res).
    pub fn antichains(&self) -> &[Antichain] {
        &self.antichains
    }

    pub fn len(&self) -> usize {
        self.antichains.len()
    }

    pub fn is_empty(&self) -> bool {
        self.antichains.is_empty()
    }

    /// Number of goal terms: one per atom plus H_res.
    pub fn term_count(&self) -> usize {
        self.antichains.len() + 1
    }

    /// Index of {12..n}: its redundancy is the full mutual information I(T; S).
    pub fn top(&self) -> usize {
        self.top
    }

    /// `b ≼ a`.
    pub fn is_below(&self, b: usize, a: usize) -> bool {
        self.below[a][b]
    }

    /// Row `a` of the Möbius inversion: Π_a = Σ_b row[b] · I_b.
    pub fn mobius_row(&self, a: usize) -> &[f64] {
        &self.mobius[a]
    }

    /// Atoms Π from redundancies I (both in term order).
    pub fn atoms_from_redundancies(&self, redundancy: &[f64], atoms: &mut [f64]) {
        for (a, out) in atoms.iter_mut().enumerate() {
            *out = self.mobius[a]
                .iter()
                .zip(redundancy)
                .map(|(m, r)| m * r)
                .sum();
        }
    }

    /// Source labels used in display names: F, C, L for the paper's neurons.
    pub fn source_labels(&self) -> &'static [&'static str] {
        match self.n {
            1 => &["F"],
            2 => &["F", "C"],
            3 => &["F", "C", "L"],
            _ => &["1", "2", "3", "4"],
        }
    }

    /// Machine names of all goal terms: the antichains, then `H_res`.
    pub fn term_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.antichains.iter().map(Antichain::name).collect();
        names.push("H_res".into());
        names
    }

    /// Display names of all goal terms, e.g. `(F)(C)`, …, `H_res`.
    pub fn term_display_names(&self) -> Vec<String> {
        self.term_display_names_with(self.source_labels())
    }

    /// Display names of all goal terms with the given source letters (`F`, `L` for a
    /// lateral neuron's two sources).
    pub fn term_display_names_with(&self, labels: &[&str]) -> Vec<String> {
        let mut names: Vec<String> = self
            .antichains
            .iter()
            .map(|a| a.display_name(labels))
            .collect();
        names.push("H_res".into());
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lattice_sizes_are_dedekind_numbers_minus_two() {
        let sizes: Vec<usize> = (1..=4).map(|n| Lattice::new(n).len()).collect();
        assert_eq!(sizes, vec![1, 4, 18, 166]);
    }

    #[test]
    fn term_order_matches_the_paper() {
        assert_eq!(
            Lattice::new(2).term_names(),
            ["{1}", "{2}", "{1}{2}", "{12}", "H_res"]
        );
        let three = "{1}{2}{3} {1}{2} {1}{3} {2}{3} {1}{23} {2}{13} {3}{12} {1} {2} {3} \
                     {12}{13}{23} {12}{13} {12}{23} {13}{23} {12} {13} {23} {123} H_res";
        assert_eq!(Lattice::new(3).term_names().join(" "), three);
        assert_eq!(Lattice::new(3).term_display_names()[4], "(F)(CL)");
    }

    #[test]
    fn union_terms_are_inclusion_exclusion() {
        let l = Lattice::new(3);
        let a = &l.antichains()[0]; // {1}{2}{3}
        assert_eq!(
            a.union_terms,
            vec![(1, 1), (2, 1), (3, -1), (4, 1), (5, -1), (6, -1), (7, 1)]
        );
        let pairs = l
            .antichains()
            .iter()
            .find(|a| a.name() == "{12}{13}{23}")
            .unwrap();
        assert_eq!(pairs.union_terms, vec![(3, 1), (5, 1), (6, 1), (7, -2)]);
    }

    #[test]
    fn mobius_inverts_the_sum_over_the_down_set() {
        for n in 1..=4 {
            let l = Lattice::new(n);
            // Random-ish atoms, summed up to redundancies, then inverted back.
            let atoms: Vec<f64> = (0..l.len())
                .map(|i| ((i * 7919) % 23) as f64 - 11.0)
                .collect();
            let red: Vec<f64> = (0..l.len())
                .map(|a| {
                    (0..l.len())
                        .filter(|&b| l.is_below(b, a))
                        .map(|b| atoms[b])
                        .sum()
                })
                .collect();
            let mut back = vec![0.0; l.len()];
            l.atoms_from_redundancies(&red, &mut back);
            for (x, y) in atoms.iter().zip(&back) {
                assert!((x - y).abs() < 1e-9, "n={n}");
            }
        }
    }
}
