//! Forward + gradient of the I^sx goal for a layer of 100 trivariate neurons, each a
//! 20×20×20×2 table filled from 1024 samples as in training (method §2: aggregates on
//! the fixed range [−20, 20], θ-weighted histogram).

use criterion::{criterion_group, criterion_main, Criterion};
use infomorph::pid::{Digits, Isx, JointShape, NeuronBatch};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const NEURONS: usize = 100;
const SAMPLES: usize = 1024;
const BINS: usize = 20;

fn bin(x: f64) -> u16 {
    (((x + 20.0) / 40.0 * BINS as f64).floor()).clamp(0.0, (BINS - 1) as f64) as u16
}

/// Correlated Gaussian aggregates r, c, l of scale `spread`, binned, with θ = σ(r).
/// Spread 6 fills ≈ 1000 distinct joint states per neuron: the stress case. Spread 2
/// gives ≈ 100, still more than measured in training (11 after one epoch and 19 after
/// 100 epochs of the trivariate model on MNIST-10k).
fn layer_samples(seed: u64, spread: f64) -> (Vec<Digits>, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut gauss = || -> f64 { (0..12).map(|_| rng.random::<f64>()).sum::<f64>() - 6.0 };
    let mut bins = Vec::with_capacity(NEURONS * SAMPLES);
    let mut theta = Vec::with_capacity(NEURONS * SAMPLES);
    for _ in 0..NEURONS * SAMPLES {
        let r = spread * gauss();
        let c = 0.5 * r + 0.8 * spread * gauss();
        let l = 0.3 * r + 0.8 * spread * gauss();
        bins.push([bin(r), bin(c), bin(l), 0]);
        theta.push(1.0 / (1.0 + (-0.3 * r).exp()));
    }
    (bins, theta)
}

fn distinct_states(bins: &[Digits]) -> f64 {
    let per_neuron: usize = bins
        .chunks(SAMPLES)
        .map(|n| n.iter().collect::<std::collections::HashSet<_>>().len())
        .sum();
    per_neuron as f64 / NEURONS as f64
}

fn dense_tables(bins: &[Digits], theta: &[f64]) -> Vec<f64> {
    let cells = BINS * BINS * BINS * 2;
    let mut tables = vec![0.0; NEURONS * cells];
    for (k, (d, th)) in bins.iter().zip(theta).enumerate() {
        let neuron = k / SAMPLES;
        let s = (d[0] as usize * BINS + d[1] as usize) * BINS + d[2] as usize;
        let cell = neuron * cells + s * 2;
        tables[cell] += (1.0 - th) / SAMPLES as f64;
        tables[cell + 1] += th / SAMPLES as f64;
    }
    tables
}

fn bench(c: &mut Criterion) {
    let shape = JointShape::new(&[BINS, BINS, BINS], 2).unwrap();
    let isx = Isx::new(shape);
    let terms = isx.lattice().term_count();
    // The paper's optimised trivariate goal: every term weighted, the worst case.
    let gamma = [
        0.3307, 0.9781, -0.9935, 0.4017, 0.2428, 0.6255, 0.4713, 0.0212, 0.0605, -0.9470, -0.0199,
        -0.9677, -0.6924, 0.4270, 0.9736, 0.7370, -0.1218, -0.2151, 0.0350,
    ];
    let goal = isx.goal_weights(&gamma).unwrap();
    let mut batch = NeuronBatch::new(isx);
    let mut out_terms = vec![0.0; NEURONS * terms];
    let mut dtheta = vec![0.0; NEURONS * SAMPLES];
    let (typical_bins, typical_theta) = layer_samples(7, 2.0);
    eprintln!(
        "training-like tables: {:.0} distinct joint states per neuron",
        distinct_states(&typical_bins)
    );
    c.bench_function("layer100_training_like_terms_and_dtheta", |b| {
        b.iter(|| {
            batch.goal_from_samples(
                &typical_bins,
                &typical_theta,
                &goal,
                &mut out_terms,
                &mut dtheta,
            )
        })
    });
    let (bins, theta) = layer_samples(7, 6.0);
    eprintln!(
        "stress tables: {:.0} distinct joint states per neuron",
        distinct_states(&bins)
    );
    c.bench_function("layer100_stress_terms_and_dtheta", |b| {
        b.iter(|| batch.goal_from_samples(&bins, &theta, &goal, &mut out_terms, &mut dtheta))
    });
    let tables = dense_tables(&bins, &theta);
    let mut grad = vec![0.0; tables.len()];
    c.bench_function("layer100_dense_tables_terms_and_full_gradient", |b| {
        b.iter(|| batch.goal_gradient_tables(&tables, &goal, &mut out_terms, &mut grad))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench
}
criterion_main!(benches);
