//! Parity of the GPU PID stages (src/engine/gpu/pid.rs) with the CPU twin
//! `Isx::goal_from_samples` on the same bins and θ, plus published gate values.
//!
//! Runs on any wgpu adapter (Mesa llvmpipe here) with `Limits::downlevel_defaults()`.
//! Without an adapter the tests fail when INFOMORPH_REQUIRE_GPU=1 (CI) and otherwise
//! print "SKIPPED: no wgpu adapter" to stderr, uncaptured.

use infomorph::engine::gpu::pid::PidKernel;
use infomorph::goals::GoalFamily;
use infomorph::pid::{Digits, Isx, JointShape, NeuronBatch};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashSet;
use std::io::Write;
use std::sync::OnceLock;
use wgpu::util::DeviceExt;

/// The paper's goals (method §5), from the presets the engine uses.
fn goal(family: GoalFamily, name: &str) -> Vec<f64> {
    infomorph::goals::preset(family, name).expect("preset")
}
fn gamma2() -> Vec<f64> {
    goal(GoalFamily::Context, "optimized")
}
fn gamma2_b() -> Vec<f64> {
    goal(GoalFamily::Lateral, "optimized")
}
fn gamma3() -> Vec<f64> {
    goal(GoalFamily::Trivariate, "optimized")
}
fn gamma3_four_term() -> Vec<f64> {
    goal(GoalFamily::Trivariate, "four-term")
}

struct Gpu {
    device: wgpu::Device,
    queue: wgpu::Queue,
}

/// The shared test device, or None (after the SKIPPED line) when there is no adapter.
fn gpu() -> Option<&'static Gpu> {
    static GPU: OnceLock<Option<Gpu>> = OnceLock::new();
    let gpu = GPU.get_or_init(|| {
        infomorph::engine::gpu::context::quiet_mesa_runtime_dir();
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let adapter = match pollster::block_on(instance.request_adapter(&Default::default())) {
            Ok(a) => a,
            Err(e) => {
                if std::env::var("INFOMORPH_REQUIRE_GPU").as_deref() == Ok("1") {
                    panic!("INFOMORPH_REQUIRE_GPU=1 but there is no wgpu adapter: {e}");
                }
                return None;
            }
        };
        let info = adapter.get_info();
        let _ = writeln!(
            std::io::stderr(),
            "wgpu adapter: {} ({:?})",
            info.name,
            info.backend
        );
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("gpu_pid tests"),
            required_limits: wgpu::Limits::downlevel_defaults(),
            ..Default::default()
        }))
        .expect("the adapter gives a device with downlevel_defaults limits");
        Some(Gpu { device, queue })
    });
    if gpu.is_none() {
        let _ = writeln!(std::io::stderr(), "SKIPPED: no wgpu adapter");
    }
    gpu.as_ref()
}

/// One layer's PID input: packed bins and θ, neuron-major.
struct Batch {
    sources: usize,
    bins: usize,
    neurons: usize,
    batch: usize,
    keys: Vec<u32>,
    theta: Vec<f32>,
}

fn pack(digits: &[usize]) -> u32 {
    digits
        .iter()
        .enumerate()
        .map(|(i, &d)| (d as u32) << (8 * i))
        .sum()
}

fn random_key(rng: &mut ChaCha8Rng, sources: usize, bins: usize) -> u32 {
    let d: Vec<usize> = (0..sources).map(|_| rng.random_range(0..bins)).collect();
    pack(&d)
}

fn clamp_theta(x: f64) -> f32 {
    (x as f32).clamp(1e-6, 1.0 - 1e-6)
}

/// Training-like: each neuron has `states` occupied joint states, visited with skewed
/// frequencies, and θ depends on the state plus noise.
fn sparse(sources: usize, bins: usize, neurons: usize, batch: usize, states: usize) -> Batch {
    let mut rng = ChaCha8Rng::seed_from_u64((sources * 1000 + neurons * 7 + batch) as u64);
    let mut keys = Vec::with_capacity(neurons * batch);
    let mut theta = Vec::with_capacity(neurons * batch);
    for _ in 0..neurons {
        let pool: Vec<u32> = (0..states)
            .map(|_| random_key(&mut rng, sources, bins))
            .collect();
        let bias: Vec<f64> = (0..states).map(|_| rng.random_range(-4.0..4.0)).collect();
        for _ in 0..batch {
            let u: f64 = rng.random();
            let k = ((u * u) * states as f64) as usize;
            keys.push(pool[k]);
            let a = bias[k] + rng.random_range(-1.0..1.0);
            theta.push(clamp_theta(1.0 / (1.0 + (-a).exp())));
        }
    }
    Batch {
        sources,
        bins,
        neurons,
        batch,
        keys,
        theta,
    }
}

/// The worst case: every sample of a neuron in its own joint state.
fn distinct(sources: usize, bins: usize, neurons: usize, batch: usize) -> Batch {
    let mut rng = ChaCha8Rng::seed_from_u64((sources * 31 + neurons * 3 + batch) as u64);
    let mut keys = Vec::with_capacity(neurons * batch);
    let mut theta = Vec::with_capacity(neurons * batch);
    for _ in 0..neurons {
        let mut seen = HashSet::new();
        while seen.len() < batch {
            let k = random_key(&mut rng, sources, bins);
            if seen.insert(k) {
                keys.push(k);
                theta.push(clamp_theta(rng.random_range(0.0..1.0)));
            }
        }
    }
    Batch {
        sources,
        bins,
        neurons,
        batch,
        keys,
        theta,
    }
}

/// The CPU twin: terms (neurons × terms) and ∂G/∂θ (neurons × batch).
fn cpu(b: &Batch, gamma: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let isx = Isx::new(JointShape::new(&vec![b.bins; b.sources], 2).unwrap());
    let goal = isx.goal_weights(gamma).unwrap();
    let terms_per = isx.lattice().term_count();
    let digits: Vec<Digits> = b
        .keys
        .iter()
        .map(|&k| {
            let mut d = [0u16; 4];
            for (i, x) in d.iter_mut().enumerate().take(b.sources) {
                *x = ((k >> (8 * i)) & 0xff) as u16;
            }
            d
        })
        .collect();
    let theta: Vec<f64> = b.theta.iter().map(|&t| t as f64).collect();
    let mut terms = vec![0.0; b.neurons * terms_per];
    let mut dtheta = vec![0.0; b.neurons * b.batch];
    NeuronBatch::new(isx).goal_from_samples(&digits, &theta, &goal, &mut terms, &mut dtheta);
    (terms, dtheta)
}

/// Device buffers of one layer plus the kernel's bindings.
struct Setup {
    kernel: PidKernel,
    bindings: infomorph::engine::gpu::pid::PidBindings,
    dtheta: wgpu::Buffer,
    terms: wgpu::Buffer,
}

fn storage_with(g: &Gpu, label: &str, bytes: &[u8]) -> wgpu::Buffer {
    g.device
        .create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some(label),
            contents: bytes,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
        })
}

fn setup(g: &Gpu, b: &Batch, gamma: &[f64]) -> Setup {
    let kernel = PidKernel::new(&g.device, b.sources, b.neurons, b.batch, b.bins, gamma)
        .expect("kernel for the test shape");
    let bins = storage_with(g, "bins", bytemuck::cast_slice(&b.keys));
    let theta = storage_with(g, "theta", bytemuck::cast_slice(&b.theta));
    let dtheta = storage_with(g, "dtheta", &vec![0u8; b.keys.len() * 4]);
    let terms = storage_with(g, "terms", &vec![0u8; b.neurons * kernel.term_count() * 4]);
    let bindings = kernel.bind(&g.device, &bins, &theta, &dtheta, &terms);
    Setup {
        kernel,
        bindings,
        dtheta,
        terms,
    }
}

fn read(g: &Gpu, buffer: &wgpu::Buffer) -> Vec<f32> {
    let staging = g.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("readback"),
        size: buffer.size(),
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut encoder = g.device.create_command_encoder(&Default::default());
    encoder.copy_buffer_to_buffer(buffer, 0, &staging, 0, buffer.size());
    g.queue.submit([encoder.finish()]);
    staging
        .slice(..)
        .map_async(wgpu::MapMode::Read, |r| r.unwrap());
    g.device
        .poll(wgpu::PollType::wait_indefinitely())
        .expect("poll");
    let data = bytemuck::cast_slice(&staging.slice(..).get_mapped_range().unwrap()).to_vec();
    data
}

/// One step on the GPU: terms and dtheta.
fn step(g: &Gpu, s: &Setup) -> (Vec<f32>, Vec<f32>) {
    let mut encoder = g.device.create_command_encoder(&Default::default());
    s.kernel.record(&mut encoder, &s.bindings);
    g.queue.submit([encoder.finish()]);
    (read(g, &s.terms), read(g, &s.dtheta))
}

/// Max |Δterms| and max over neurons of max|Δdθ| / max|dθ_cpu|.
fn compare(what: &str, b: &Batch, gpu: &(Vec<f32>, Vec<f32>), cpu: &(Vec<f64>, Vec<f64>)) {
    let terms_err = gpu
        .0
        .iter()
        .zip(&cpu.0)
        .map(|(g, c)| (*g as f64 - c).abs())
        .fold(0.0, f64::max);
    let (mut abs_err, mut rel_err, mut scale) = (0.0f64, 0.0f64, 0.0f64);
    for (g, c) in gpu.1.chunks(b.batch).zip(cpu.1.chunks(b.batch)) {
        let s = c.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        let e = g
            .iter()
            .zip(c)
            .map(|(g, c)| (*g as f64 - c).abs())
            .fold(0.0, f64::max);
        abs_err = abs_err.max(e);
        scale = scale.max(s);
        rel_err = rel_err.max(e / s.max(1e-30));
    }
    eprintln!(
        "{what}: max |Δterms| = {terms_err:.2e}, max |Δdθ| = {abs_err:.2e} \
         (max |dθ| = {scale:.2e}, worst neuron relative {rel_err:.2e})"
    );
    assert!(
        gpu.0.iter().chain(&gpu.1).all(|x| x.is_finite()),
        "{what}: non-finite output"
    );
    assert!(terms_err <= 1e-4, "{what}: terms differ by {terms_err}");
    assert!(rel_err <= 1e-3, "{what}: dθ differs by {rel_err} relative");
}

fn parity(what: &str, b: &Batch, gamma: &[f64]) {
    let Some(g) = gpu() else { return };
    let s = setup(g, b, gamma);
    let got = step(g, &s);
    compare(what, b, &got, &cpu(b, gamma));
}

#[test]
fn three_sources_sparse() {
    parity(
        "3 sources, 7 × 1024, ~30 states",
        &sparse(3, 20, 7, 1024, 30),
        &gamma3(),
    );
    parity(
        "3 sources, 100 × 1000, ~60 states",
        &sparse(3, 20, 100, 1000, 60),
        &gamma3(),
    );
}

#[test]
fn three_sources_all_distinct() {
    parity(
        "3 sources, 7 × 1024, all distinct",
        &distinct(3, 20, 7, 1024),
        &gamma3(),
    );
    parity(
        "3 sources, 3 × 1000, all distinct, 256 bins",
        &distinct(3, 256, 3, 1000),
        &gamma3_four_term(),
    );
}

#[test]
fn two_sources_sparse() {
    parity(
        "2 sources, 7 × 1024, ~20 states",
        &sparse(2, 20, 7, 1024, 20),
        &gamma2(),
    );
    parity(
        "2 sources, 100 × 1000, ~40 states",
        &sparse(2, 20, 100, 1000, 40),
        &gamma2_b(),
    );
}

#[test]
fn small_and_degenerate_batches() {
    parity(
        "2 sources, 3 × 100, one state",
        &sparse(2, 20, 3, 100, 1),
        &gamma2(),
    );
    parity(
        "3 sources, 5 × 37, ~5 states",
        &sparse(3, 20, 5, 37, 5),
        &gamma3(),
    );
    parity(
        "3 sources, 2 × 1, one sample",
        &sparse(3, 20, 2, 1, 1),
        &gamma3(),
    );
}

#[test]
fn two_sources_all_distinct() {
    parity(
        "2 sources, 7 × 1024, all distinct, 256 bins",
        &distinct(2, 256, 7, 1024),
        &gamma2(),
    );
    parity(
        "2 sources, 5 × 300, all distinct, 20 bins",
        &distinct(2, 20, 5, 300),
        &gamma2_b(),
    );
}

#[test]
fn goal_changes_with_set_goal() {
    let Some(g) = gpu() else { return };
    for (b, first, second) in [
        (sparse(3, 20, 7, 1024, 30), gamma3(), gamma3_four_term()),
        (sparse(2, 20, 7, 1000, 20), gamma2(), gamma2_b()),
    ] {
        let s = setup(g, &b, &first);
        compare("before set_goal", &b, &step(g, &s), &cpu(&b, &first));
        s.kernel.set_goal(&g.queue, &second).unwrap();
        compare("after set_goal", &b, &step(g, &s), &cpu(&b, &second));
        assert!(s.kernel.set_goal(&g.queue, &[1.0]).is_err());
    }
}

#[test]
fn results_are_deterministic() {
    let Some(g) = gpu() else { return };
    let b = sparse(3, 20, 7, 1000, 40);
    let s = setup(g, &b, &gamma3());
    let first = step(g, &s);
    for _ in 0..3 {
        assert_eq!(step(g, &s), first);
    }
}

/// Binary sources repeated `copies` times with θ ∈ {0, 1} given by the target column.
fn gate_batch(rows: &[Vec<usize>], copies: usize) -> Batch {
    let sources = rows[0].len() - 1;
    let mut keys = Vec::new();
    let mut theta = Vec::new();
    for _ in 0..copies {
        for r in rows {
            keys.push(pack(&r[..sources]));
            theta.push(r[sources] as f32);
        }
    }
    Batch {
        sources,
        bins: 2,
        neurons: 1,
        batch: keys.len(),
        keys,
        theta,
    }
}

fn gate_terms(b: &Batch, gamma: &[f64]) -> Vec<f32> {
    let Some(g) = gpu() else { return Vec::new() };
    let s = setup(g, b, gamma);
    let got = step(g, &s);
    compare("gate", b, &got, &cpu(b, gamma));
    got.0
}

#[test]
fn published_gates() {
    let l = f64::log2;
    // XOR: unique 1, unique 2, shared, synergy, H_res (method §3 table).
    let xor: Vec<Vec<usize>> = (0..4)
        .map(|i| vec![i / 2, i % 2, (i / 2) ^ (i % 2)])
        .collect();
    let got = gate_terms(&gate_batch(&xor, 250), &gamma2());
    let want = [l(3.0 / 2.0), l(3.0 / 2.0), l(2.0 / 3.0), l(4.0 / 3.0), 0.0];
    for (g, w) in got.iter().zip(want) {
        assert!((*g as f64 - w).abs() < 1e-4, "XOR: {got:?} vs {want:?}");
    }
    // Three-input parity.
    let parity: Vec<Vec<usize>> = (0..8)
        .map(|i| {
            vec![
                i & 1,
                (i >> 1) & 1,
                i >> 2,
                (i & 1) ^ ((i >> 1) & 1) ^ (i >> 2),
            ]
        })
        .collect();
    let got = gate_terms(&gate_batch(&parity, 125), &gamma3());
    if got.is_empty() {
        return;
    }
    let want = [
        l(8.0 / 7.0),
        l(7.0 / 8.0),
        l(7.0 / 8.0),
        l(7.0 / 8.0),
        l(32.0 / 35.0),
        l(32.0 / 35.0),
        l(32.0 / 35.0),
        l(5.0 / 4.0),
        l(5.0 / 4.0),
        l(5.0 / 4.0),
        l(875.0 / 1024.0),
        l(16.0 / 15.0),
        l(16.0 / 15.0),
        l(16.0 / 15.0),
        l(9.0 / 8.0),
        l(9.0 / 8.0),
        l(9.0 / 8.0),
        l(32.0 / 27.0),
        0.0,
    ];
    for (g, w) in got.iter().zip(want) {
        assert!((*g as f64 - w).abs() < 1e-4, "parity: {got:?} vs {want:?}");
    }
}

#[test]
fn refuses_what_it_cannot_run() {
    let Some(g) = gpu() else { return };
    let err = |r: Result<PidKernel, String>| r.err().expect("refused");
    assert!(err(PidKernel::new(&g.device, 4, 10, 64, 20, &[0.0; 167])).contains("sources"));
    assert!(err(PidKernel::new(&g.device, 3, 10, 64, 300, &gamma3())).contains("bins"));
    assert!(err(PidKernel::new(&g.device, 2, 10, 64, 20, &gamma3())).contains("γ"));
    let big = err(PidKernel::new(&g.device, 3, 2000, 1 << 16, 20, &gamma3()));
    assert!(big.contains("max_storage_buffer_binding_size"), "{big}");
    // The largest shape the brief asks for fits downlevel_defaults.
    let b = PidKernel::new(&g.device, 2, 2000, 4096, 20, &gamma2());
    assert!(b.is_ok(), "{:?}", b.err());
}

/// The largest shape the engine promises (about 8 s on llvmpipe).
#[test]
fn largest_shape_2000_neurons_4096_batch() {
    parity(
        "3 sources, 2000 × 4096, ~60 states",
        &sparse(3, 20, 2000, 4096, 60),
        &gamma3(),
    );
}
