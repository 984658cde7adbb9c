//! Invariants of the decomposition on random tables, and the exact gradient against
//! central finite differences.

use infomorph::pid::{Digits, Isx, JointShape, NeuronBatch};
use proptest::prelude::*;
use proptest::strategy::ValueTree;

fn isx(dims: &[usize]) -> Isx {
    Isx::new(JointShape::from_dims(dims).unwrap())
}

fn normalized(mut p: Vec<f64>) -> Vec<f64> {
    let s: f64 = p.iter().sum();
    p.iter_mut().for_each(|v| *v /= s);
    p
}

/// Random table for `dims`, with roughly `zeros` of the cells empty.
fn table(dims: Vec<usize>, zeros: bool) -> impl Strategy<Value = (Vec<usize>, Vec<f64>)> {
    let cells: usize = dims.iter().product();
    let cell = if zeros {
        prop_oneof![Just(0.0), 0.01f64..1.0].boxed()
    } else {
        (0.01f64..1.0).boxed()
    };
    proptest::collection::vec(cell, cells)
        .prop_filter("some mass", |p| p.iter().sum::<f64>() > 0.0)
        .prop_map(move |p| (dims.clone(), normalized(p)))
}

fn any_table() -> impl Strategy<Value = (Vec<usize>, Vec<f64>)> {
    let dims = prop_oneof![
        (2usize..4, 2usize..4, 2usize..4).prop_map(|(a, b, m)| vec![a, b, m]),
        (2usize..4, 2usize..3, 2usize..4, 2usize..3).prop_map(|(a, b, c, m)| vec![a, b, c, m]),
    ];
    (dims, any::<bool>()).prop_flat_map(|(d, z)| table(d, z))
}

/// Entropy-style helpers computed straight from the table.
fn marginal(dims: &[usize], p: &[f64], keep: &[usize]) -> Vec<f64> {
    let strides: Vec<usize> = (0..dims.len())
        .map(|i| dims[i + 1..].iter().product())
        .collect();
    let out_dims: Vec<usize> = keep.iter().map(|&i| dims[i]).collect();
    let mut out = vec![0.0; out_dims.iter().product()];
    for (idx, v) in p.iter().enumerate() {
        let o = keep
            .iter()
            .fold(0, |acc, &i| acc * dims[i] + (idx / strides[i]) % dims[i]);
        out[o] += v;
    }
    out
}

fn entropy(p: &[f64]) -> f64 {
    p.iter().filter(|v| **v > 0.0).map(|v| -v * v.log2()).sum()
}

fn permute_axis(dims: &[usize], p: &[f64], axis: usize, perm: &[usize]) -> Vec<f64> {
    let stride: usize = dims[axis + 1..].iter().product();
    let mut out = vec![0.0; p.len()];
    for (idx, v) in p.iter().enumerate() {
        let k = (idx / stride) % dims[axis];
        out[idx - k * stride + perm[k] * stride] = *v;
    }
    out
}

fn swap_sources(dims: &[usize], p: &[f64], a: usize, b: usize) -> (Vec<usize>, Vec<f64>) {
    let mut nd = dims.to_vec();
    nd.swap(a, b);
    let strides: Vec<usize> = (0..dims.len())
        .map(|i| dims[i + 1..].iter().product())
        .collect();
    let nstrides: Vec<usize> = (0..nd.len())
        .map(|i| nd[i + 1..].iter().product())
        .collect();
    let mut out = vec![0.0; p.len()];
    for (idx, v) in p.iter().enumerate() {
        let mut digits: Vec<usize> = (0..dims.len())
            .map(|i| (idx / strides[i]) % dims[i])
            .collect();
        digits.swap(a, b);
        let j: usize = digits.iter().zip(&nstrides).map(|(d, s)| d * s).sum();
        out[j] = *v;
    }
    (nd, out)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn atoms_add_up_to_the_mutual_informations((dims, p) in any_table()) {
        let isx = isx(&dims);
        let d = isx.decompose(&p, &mut isx.workspace());
        let n = dims.len() - 1;
        let all: Vec<usize> = (0..n).collect();
        let h_t = entropy(&marginal(&dims, &p, &[n]));
        let h_s = entropy(&marginal(&dims, &p, &all));
        let h_st = entropy(&p);
        let mi = h_s + h_t - h_st;
        prop_assert!((d.atoms.iter().sum::<f64>() - mi).abs() < 1e-10);
        prop_assert!((d.mutual_information - mi).abs() < 1e-10);
        prop_assert!((d.target_entropy - h_t).abs() < 1e-10);
        // H_res = H(T|S) ≥ 0.
        prop_assert!((d.residual_entropy - (h_st - h_s)).abs() < 1e-10);
        prop_assert!(d.residual_entropy >= -1e-12);
        // Shared + unique_i = I(T; S_i): the atoms below {i} sum to the single-source MI.
        let lattice = isx.lattice();
        for i in 0..n {
            let h_si = entropy(&marginal(&dims, &p, &[i]));
            let h_sit = entropy(&marginal(&dims, &p, &[i, n]));
            let mi_i = h_si + h_t - h_sit;
            let single = lattice.antichains().iter().position(|a| a.collections == [1u8 << i]).unwrap();
            let below: f64 = (0..lattice.len()).filter(|&b| lattice.is_below(b, single)).map(|b| d.atoms[b]).sum();
            prop_assert!((below - mi_i).abs() < 1e-10, "source {}", i + 1);
            prop_assert!((d.redundancy[single] - mi_i).abs() < 1e-10);
        }
    }

    #[test]
    fn relabelling_states_changes_nothing((dims, p) in any_table(), axis_pick in 0usize..8, rot in 1usize..3) {
        let isx = isx(&dims);
        let mut ws = isx.workspace();
        let d = isx.decompose(&p, &mut ws);
        let axis = axis_pick % dims.len();
        let perm: Vec<usize> = (0..dims[axis]).map(|k| (k + rot) % dims[axis]).collect();
        let q = permute_axis(&dims, &p, axis, &perm);
        let e = isx.decompose(&q, &mut ws);
        for (a, b) in d.terms().iter().zip(e.terms()) {
            prop_assert!((a - b).abs() < 1e-10);
        }
    }

    #[test]
    fn swapping_sources_permutes_the_atoms((dims, p) in any_table()) {
        let n = dims.len() - 1;
        let (nd, q) = swap_sources(&dims, &p, 0, n - 1);
        let a = isx(&dims);
        let b = isx(&nd);
        let da = a.decompose(&p, &mut a.workspace());
        let db = b.decompose(&q, &mut b.workspace());
        // Rename source 1 ↔ source n in every antichain of a, then find it in b.
        let swap = |c: u8| {
            let lo = c & 1;
            let hi = (c >> (n - 1)) & 1;
            (c & !(1 | (1 << (n - 1)))) | (lo << (n - 1)) | hi
        };
        for (i, ac) in a.lattice().antichains().iter().enumerate() {
            let mut renamed: Vec<u8> = ac.collections.iter().map(|&c| swap(c)).collect();
            renamed.sort();
            let j = b.lattice().antichains().iter().position(|x| {
                let mut cs = x.collections.clone();
                cs.sort();
                cs == renamed
            }).unwrap();
            prop_assert!((da.atoms[i] - db.atoms[j]).abs() < 1e-10, "{}", ac.name());
        }
    }
}

fn goal_value(isx: &Isx, p: &[f64], gamma: &[f64]) -> f64 {
    isx.decompose(p, &mut isx.workspace()).goal(gamma)
}

fn pseudo_gamma(len: usize, seed: usize) -> Vec<f64> {
    (0..len)
        .map(|i| (((i + 3) * (seed + 7) * 2654435761) % 2001) as f64 / 1000.0 - 1.0)
        .collect()
}

/// Largest relative deviation of the exact gradient from central differences over all
/// cells with p > 0 (empty cells cannot be perturbed both ways).
fn max_fd_error(dims: &[usize], p: &[f64], gamma: &[f64]) -> f64 {
    let isx = isx(dims);
    let goal = isx.goal_weights(gamma).unwrap();
    let mut grad = vec![0.0; p.len()];
    isx.goal_gradient(p, &goal, &mut isx.workspace(), &mut grad);
    let mut worst: f64 = 0.0;
    for i in 0..p.len() {
        if p[i] == 0.0 {
            continue;
        }
        let h = 1e-6 * p[i];
        let mut q = p.to_vec();
        q[i] = p[i] + h;
        let up = goal_value(&isx, &q, gamma);
        q[i] = p[i] - h;
        let down = goal_value(&isx, &q, gamma);
        let fd = (up - down) / (2.0 * h);
        let err = (fd - grad[i]).abs() / (1.0 + grad[i].abs());
        worst = worst.max(err);
    }
    worst
}

#[test]
fn gradient_matches_finite_differences() {
    let mut worst: f64 = 0.0;
    let cases: &[(&[usize], bool)] = &[
        (&[3, 4, 2], false),
        (&[3, 4, 2], true),
        (&[4, 3, 3], true),
        (&[3, 3, 3, 2], false),
        (&[4, 3, 3, 2], true),
        (&[2, 3, 2, 3], true),
        (&[2, 2, 2, 2, 2], false),
    ];
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    for (k, (dims, zeros)) in cases.iter().enumerate() {
        let (_, p) = table(dims.to_vec(), *zeros)
            .new_tree(&mut runner)
            .unwrap()
            .current();
        let terms = isx(dims).lattice().term_count();
        let err = max_fd_error(dims, &p, &pseudo_gamma(terms, k));
        assert!(err < 1e-6, "{dims:?} zeros={zeros}: relative error {err}");
        worst = worst.max(err);
    }
    eprintln!("largest relative finite-difference error of ∂G/∂p: {worst:.2e}");
}

/// A 20×20×20 training-like table from B samples with θ-weighted target.
fn samples(b: usize, seed: u64) -> (Vec<Digits>, Vec<f64>) {
    let mut x = seed;
    let mut next = move || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) as f64 / (1u64 << 31) as f64
    };
    (0..b)
        .map(|_| {
            let r = next();
            let bin = |v: f64| (v * 20.0).min(19.0) as u16;
            let c = (0.6 * r + 0.4 * next()).min(0.999);
            let l = next() * next();
            ([bin(r), bin(c), bin(l), 0], 0.05 + 0.9 * next())
        })
        .unzip()
}

#[test]
fn sample_gradient_matches_finite_differences_in_theta() {
    let isx = isx(&[20, 20, 20, 2]);
    let gamma = pseudo_gamma(19, 3);
    let goal = isx.goal_weights(&gamma).unwrap();
    let (bins, theta) = samples(256, 5);
    let mut ws = isx.workspace();
    let mut terms = vec![0.0; 19];
    let mut dtheta = vec![0.0; bins.len()];
    isx.goal_from_samples(&bins, &theta, &goal, &mut ws, &mut terms, &mut dtheta);
    let g = |th: &[f64], ws: &mut infomorph::pid::Workspace| {
        let mut t = vec![0.0; 19];
        let mut d = vec![0.0; th.len()];
        isx.goal_from_samples(&bins, th, &goal, ws, &mut t, &mut d);
        t.iter().zip(&gamma).map(|(a, b)| a * b).sum::<f64>()
    };
    let mut worst: f64 = 0.0;
    for b in (0..bins.len()).step_by(7) {
        let h = 1e-6;
        let mut th = theta.clone();
        th[b] += h;
        let up = g(&th, &mut ws);
        th[b] -= 2.0 * h;
        let down = g(&th, &mut ws);
        let fd = (up - down) / (2.0 * h);
        worst = worst.max((fd - dtheta[b]).abs() / (1e-3 + dtheta[b].abs()));
    }
    assert!(worst < 1e-5, "relative error {worst}");
    eprintln!("largest relative finite-difference error of ∂G/∂θ: {worst:.2e}");
}

#[test]
fn sample_path_agrees_with_dense_table_path_and_batches() {
    let dims = [20, 20, 20, 2];
    let isx = isx(&dims);
    let gamma = pseudo_gamma(19, 9);
    let goal = isx.goal_weights(&gamma).unwrap();
    let neurons = 5;
    let b = 300;
    let mut bins = Vec::new();
    let mut theta = Vec::new();
    for k in 0..neurons {
        let (bb, tt) = samples(b, 100 + k as u64);
        bins.extend(bb);
        theta.extend(tt);
    }
    let mut batch = NeuronBatch::with_workers(isx.clone(), 2);
    let mut terms = vec![0.0; neurons * 19];
    let mut dtheta = vec![0.0; neurons * b];
    batch.goal_from_samples(&bins, &theta, &goal, &mut terms, &mut dtheta);
    // Dense tables of the same samples.
    let cells = 16000;
    let mut tables = vec![0.0; neurons * cells];
    for (i, (d, th)) in bins.iter().zip(&theta).enumerate() {
        let s = (d[0] as usize * 20 + d[1] as usize) * 20 + d[2] as usize;
        let base = (i / b) * cells + 2 * s;
        tables[base] += (1.0 - th) / b as f64;
        tables[base + 1] += th / b as f64;
    }
    let mut dense_terms = vec![0.0; neurons * 19];
    let mut grad = vec![0.0; tables.len()];
    batch.goal_gradient_tables(&tables, &goal, &mut dense_terms, &mut grad);
    for (x, y) in terms.iter().zip(&dense_terms) {
        assert!((x - y).abs() < 1e-12);
    }
    for (i, d) in bins.iter().enumerate() {
        let s = (d[0] as usize * 20 + d[1] as usize) * 20 + d[2] as usize;
        let base = (i / b) * cells + 2 * s;
        let want = (grad[base + 1] - grad[base]) / b as f64;
        assert!(
            (dtheta[i] - want).abs() < 1e-9 * (1.0 + want.abs()),
            "{} vs {want}",
            dtheta[i]
        );
    }
    // The same neuron alone gives the same numbers as inside the batch.
    let mut single_terms = vec![0.0; 19];
    let mut single_d = vec![0.0; b];
    isx.goal_from_samples(
        &bins[2 * b..3 * b],
        &theta[2 * b..3 * b],
        &goal,
        &mut isx.workspace(),
        &mut single_terms,
        &mut single_d,
    );
    assert_eq!(&single_terms[..], &terms[38..57]);
    assert_eq!(&single_d[..], &dtheta[2 * b..3 * b]);
}

#[test]
fn pointwise_values_average_to_the_redundancies() {
    let dims = [3, 2, 3, 2];
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (_, p) = table(dims.to_vec(), true)
        .new_tree(&mut runner)
        .unwrap()
        .current();
    let isx = isx(&dims);
    let mut ws = isx.workspace();
    let d = isx.decompose(&p, &mut ws);
    let cells = isx.pointwise(&p, &mut ws);
    assert_eq!(cells.len(), p.iter().filter(|v| **v > 0.0).count());
    for a in 0..isx.lattice().len() {
        let avg: f64 = cells
            .iter()
            .map(|c| c.probability * (c.informative[a] - c.misinformative[a]))
            .sum();
        assert!((avg - d.redundancy[a]).abs() < 1e-12);
        let atom: f64 = cells
            .iter()
            .map(|c| c.probability * (c.informative_atoms[a] - c.misinformative_atoms[a]))
            .sum();
        assert!((atom - d.atoms[a]).abs() < 1e-12);
    }
    assert!(cells
        .iter()
        .all(|c| c.informative.iter().all(|v| *v >= -1e-12)));
}
