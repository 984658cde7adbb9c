//! Published I^sx values (method §3) and an independent brute-force evaluation of the
//! redundancy that enumerates union events directly instead of by inclusion–exclusion.

use infomorph::pid::{Decomposition, Isx, JointShape};

fn decompose(dims: &[usize], p: &[f64]) -> (Isx, Decomposition) {
    let shape = JointShape::from_dims(dims).unwrap();
    let p = shape.validate(p, false).unwrap();
    let isx = Isx::new(shape);
    let mut ws = isx.workspace();
    let d = isx.decompose(&p, &mut ws);
    (isx, d)
}

/// Uniform distribution over the given rows (s_1, …, s_n, t) of binary variables.
fn uniform_rows(rows: &[&[usize]]) -> (Vec<usize>, Vec<f64>) {
    let n = rows[0].len();
    let dims = vec![2; n];
    let mut p = vec![0.0; 1 << n];
    for row in rows {
        let idx = row.iter().fold(0, |acc, &b| acc * 2 + b);
        p[idx] += 1.0 / rows.len() as f64;
    }
    (dims, p)
}

fn gate(f: fn(usize, usize) -> usize) -> (Vec<usize>, Vec<f64>) {
    let rows: Vec<Vec<usize>> = (0..4)
        .map(|i| vec![i / 2, i % 2, f(i / 2, i % 2)])
        .collect();
    let refs: Vec<&[usize]> = rows.iter().map(|r| r.as_slice()).collect();
    uniform_rows(&refs)
}

fn assert_close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol,
            "{what}: term {i} is {g}, expected {w}"
        );
    }
}

/// Bivariate order: unique 1, unique 2, shared, synergy.
fn check_gate(f: fn(usize, usize) -> usize, want: [f64; 4], tol: f64, what: &str) {
    let (dims, p) = gate(f);
    let (_, d) = decompose(&dims, &p);
    assert_close(&d.atoms, &want, tol, what);
    assert!(
        d.residual_entropy.abs() < 1e-9,
        "{what}: deterministic gate has no residual"
    );
}

#[test]
fn published_two_source_gates() {
    let l = f64::log2;
    check_gate(
        |a, b| a ^ b,
        [l(3.0 / 2.0), l(3.0 / 2.0), l(2.0 / 3.0), l(4.0 / 3.0)],
        1e-12,
        "XOR",
    );
    check_gate(|a, b| a & b, [0.1887, 0.1887, 0.1226, 0.3113], 1e-4, "AND");
    check_gate(|a, b| a | b, [0.1887, 0.1887, 0.1226, 0.3113], 1e-4, "OR");
    check_gate(|a, _| a, [0.5850, -0.4150, 0.4150, 0.4150], 1e-4, "UNQ");
    let (dims, p) = uniform_rows(&[&[0, 0, 0], &[1, 1, 1]]);
    let (_, d) = decompose(&dims, &p);
    assert_close(&d.atoms, &[0.0, 0.0, 1.0, 0.0], 1e-12, "RDN");
}

#[test]
fn three_input_parity_exact_fractions() {
    let rows: Vec<Vec<usize>> = (0..8)
        .map(|i| {
            vec![
                i >> 2,
                (i >> 1) & 1,
                i & 1,
                (i >> 2) ^ ((i >> 1) & 1) ^ (i & 1),
            ]
        })
        .collect();
    let refs: Vec<&[usize]> = rows.iter().map(|r| r.as_slice()).collect();
    let (dims, p) = uniform_rows(&refs);
    let (isx, d) = decompose(&dims, &p);
    let names = isx.lattice().term_names();
    let l = f64::log2;
    for (name, atom) in names.iter().zip(&d.atoms) {
        let pairs = name.matches('}').count();
        let width = name.len() - 2 * pairs;
        let want = match (pairs, width) {
            (3, 3) => l(8.0 / 7.0),      // {1}{2}{3}
            (2, 2) => l(7.0 / 8.0),      // {i}{j}
            (2, 3) => l(32.0 / 35.0),    // {i}{jk}
            (1, 1) => l(5.0 / 4.0),      // {i}
            (3, 6) => l(875.0 / 1024.0), // {12}{13}{23}
            (2, 4) => l(16.0 / 15.0),    // {ij}{ik}
            (1, 2) => l(9.0 / 8.0),      // {ij}
            (1, 3) => l(32.0 / 27.0),    // {123}
            _ => panic!("unexpected antichain {name}"),
        };
        assert!((atom - want).abs() < 1e-12, "{name}: {atom} vs {want}");
    }
    assert!((d.mutual_information - 1.0).abs() < 1e-12);
}

#[test]
fn three_identical_bits_are_pure_redundancy() {
    let (dims, p) = uniform_rows(&[&[0, 0, 0, 0], &[1, 1, 1, 1]]);
    let (isx, d) = decompose(&dims, &p);
    assert_eq!(isx.lattice().term_names()[0], "{1}{2}{3}");
    let mut want = vec![0.0; 18];
    want[0] = 1.0;
    assert_close(&d.atoms, &want, 1e-12, "three identical bits");
}

/// I_α straight from the definition: for every cell, sum the probability of every joint
/// state that agrees with it on at least one collection.
fn brute_force_redundancy(dims: &[usize], p: &[f64], collections: &[Vec<usize>]) -> f64 {
    let m = *dims.last().unwrap();
    let src_dims = &dims[..dims.len() - 1];
    let states: usize = src_dims.iter().product();
    let digits = |mut s: usize| -> Vec<usize> {
        let mut d = vec![0; src_dims.len()];
        for i in (0..src_dims.len()).rev() {
            d[i] = s % src_dims[i];
            s /= src_dims[i];
        }
        d
    };
    let pt: Vec<f64> = (0..m)
        .map(|t| (0..states).map(|s| p[s * m + t]).sum())
        .collect();
    let mut total = 0.0;
    for s in 0..states {
        let ds = digits(s);
        let mut pw = 0.0;
        let mut ptw = vec![0.0; m];
        for s2 in 0..states {
            let d2 = digits(s2);
            if collections
                .iter()
                .any(|c| c.iter().all(|&i| ds[i] == d2[i]))
            {
                for t in 0..m {
                    pw += p[s2 * m + t];
                    ptw[t] += p[s2 * m + t];
                }
            }
        }
        for t in 0..m {
            let pc = p[s * m + t];
            if pc > 0.0 {
                total += pc * (ptw[t] / (pw * pt[t])).log2();
            }
        }
    }
    total
}

fn pseudo_random_table(dims: &[usize], seed: u64, zero_share: f64) -> Vec<f64> {
    let cells: usize = dims.iter().product();
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut p: Vec<f64> = (0..cells)
        .map(|_| if next() < zero_share { 0.0 } else { next() })
        .collect();
    let sum: f64 = p.iter().sum();
    p.iter_mut().for_each(|v| *v /= sum);
    p
}

#[test]
fn matches_brute_force_on_random_tables_of_every_size() {
    let cases: &[&[usize]] = &[
        &[3, 2],
        &[2, 3, 2],
        &[3, 4, 3],
        &[2, 3, 2, 2],
        &[3, 2, 4, 3],
        &[2, 2, 3, 2, 2],
        &[2, 2, 2, 2, 3],
    ];
    for (k, dims) in cases.iter().enumerate() {
        for zero_share in [0.0, 0.5] {
            let p = pseudo_random_table(dims, 11 + k as u64, zero_share);
            let (isx, d) = decompose(dims, &p);
            for (a, antichain) in isx.lattice().antichains().iter().enumerate() {
                let collections: Vec<Vec<usize>> = antichain
                    .collections
                    .iter()
                    .map(|c| (0..4).filter(|i| c & (1 << i) != 0).collect())
                    .collect();
                let want = brute_force_redundancy(dims, &p, &collections);
                assert!(
                    (d.redundancy[a] - want).abs() < 1e-12,
                    "{dims:?} {}: {} vs {want}",
                    antichain.name(),
                    d.redundancy[a]
                );
            }
        }
    }
}
