//! Forward + gradient of the I^sx goal for a layer of 100 trivariate neurons, each a
//! 20×20×20×2 table filled from 1024 samples as in training (method §2: aggregates on
//! the fixed range [−20, 20], θ-weighted histogram): the CPU engine, and the GPU
//! engine's PID kernel on the same samples when a wgpu adapter exists.

use criterion::{criterion_group, criterion_main, Criterion};
use infomorph::engine::gpu::pid::PidKernel;
use infomorph::pid::{Digits, Isx, JointShape, NeuronBatch};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use wgpu::util::DeviceExt;

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
    if let Some((device, queue)) = gpu() {
        let cases = [
            ("training_like", &typical_bins, &typical_theta),
            ("stress", &bins, &theta),
        ];
        // A software adapter takes seconds per stress step: the fewest samples criterion allows.
        let mut group = c.benchmark_group("gpu");
        group.sample_size(10);
        for (name, bins, theta) in cases {
            group.bench_function(format!("layer100_{name}_terms_and_dtheta"), |b| {
                gpu_pid(&device, &queue, bins, theta, &gamma, b)
            });
        }
        group.finish();
    }
    let tables = dense_tables(&bins, &theta);
    let mut grad = vec![0.0; tables.len()];
    c.bench_function("layer100_dense_tables_terms_and_full_gradient", |b| {
        b.iter(|| batch.goal_gradient_tables(&tables, &goal, &mut out_terms, &mut grad))
    });
}

/// A device from the default adapter (Mesa's llvmpipe where there is no GPU), or None.
fn gpu() -> Option<(wgpu::Device, wgpu::Queue)> {
    infomorph::engine::gpu::context::quiet_mesa_runtime_dir();
    let instance =
        wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let Ok(adapter) = pollster::block_on(instance.request_adapter(&Default::default())) else {
        eprintln!("no wgpu adapter: the GPU PID benchmarks are skipped");
        return None;
    };
    eprintln!("wgpu adapter: {}", adapter.get_info().name);
    pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        required_limits: wgpu::Limits::downlevel_defaults(),
        ..Default::default()
    }))
    .ok()
}

/// Times record + submit + wait of the PID kernel on a layer's samples (bins packed
/// one byte per source, θ as f32, as the engine's binning stage leaves them).
fn gpu_pid(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    bins: &[Digits],
    theta: &[f64],
    gamma: &[f64],
    b: &mut criterion::Bencher,
) {
    let kernel = PidKernel::new(device, 3, NEURONS, SAMPLES, BINS, gamma).expect("PID kernel");
    let keys: Vec<u32> = bins
        .iter()
        .map(|d| d[0] as u32 | (d[1] as u32) << 8 | (d[2] as u32) << 16)
        .collect();
    let theta: Vec<f32> = theta.iter().map(|&t| t as f32).collect();
    let buffer = |label: &str, bytes: &[u8]| {
        device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some(label),
            contents: bytes,
            usage: wgpu::BufferUsages::STORAGE,
        })
    };
    let bins_buf = buffer("bins", bytemuck::cast_slice(&keys));
    let theta_buf = buffer("theta", bytemuck::cast_slice(&theta));
    let dtheta = buffer("dtheta", &vec![0u8; keys.len() * 4]);
    let terms = buffer("terms", &vec![0u8; NEURONS * kernel.term_count() * 4]);
    let bindings = kernel.bind(device, &bins_buf, &theta_buf, &dtheta, &terms);
    b.iter(|| {
        let mut encoder = device.create_command_encoder(&Default::default());
        kernel.record(&mut encoder, &bindings);
        queue.submit([encoder.finish()]);
        device
            .poll(wgpu::PollType::wait_indefinitely())
            .expect("poll");
    })
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench
}
criterion_main!(benches);
