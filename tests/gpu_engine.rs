//! The wgpu engine against the CPU engine: every kernel against its CPU twin on the same
//! inputs, and 20 full training steps of the trivariate and the context model from the
//! same seeds. Natively these run on whatever adapter wgpu finds (Mesa's llvmpipe on the
//! CI machines). Without an adapter each test prints "SKIPPED: no wgpu adapter" and
//! returns — or fails, when INFOMORPH_REQUIRE_GPU=1 (CI sets it).
#![cfg(not(target_arch = "wasm32"))]

use infomorph::engine::gpu::check::KernelCheck;
use infomorph::engine::gpu::{GpuContext, Split};
use infomorph::engine::{Engine, EngineError, EnginePreference};
use infomorph::network::adam::Adam;
use infomorph::network::layer::{
    self, Activation, Binning, Layer, LayerConfig, SourceConfig, SourceKind, Wiring,
};
use infomorph::network::model::{HiddenBinning, ModelKind, Network, RunConfig};
use infomorph::rng::Stream;
use infomorph::tasks::mnist::mnist10k;
use ndarray::{Array2, Axis};

fn context() -> Option<GpuContext> {
    infomorph::engine::gpu::context::quiet_mesa_runtime_dir();
    match pollster::block_on(GpuContext::new()) {
        Ok(ctx) => {
            eprintln!("adapter: {}", ctx.adapter_description());
            Some(ctx)
        }
        Err(e) => {
            if std::env::var("INFOMORPH_REQUIRE_GPU").as_deref() == Ok("1") {
                panic!("INFOMORPH_REQUIRE_GPU=1 but there is no usable wgpu adapter: {e}");
            }
            eprintln!("SKIPPED: no wgpu adapter ({e})");
            None
        }
    }
}

fn check() -> Option<KernelCheck> {
    context().map(|c| KernelCheck::new(c, false))
}

/// The barrier-free matrix products (used on CPU adapters).
fn check_direct() -> Option<KernelCheck> {
    context().map(|c| KernelCheck::new(c, true))
}

fn random(rng: &mut Stream, n: usize, scale: f64) -> Vec<f32> {
    (0..n).map(|_| (rng.normal() * scale) as f32).collect()
}

fn max_abs(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn test_layer(
    activation: Activation,
    sources: usize,
    neurons: usize,
    dims: &[usize],
    binning: Binning,
    bins: usize,
) -> Layer {
    let kinds = [
        SourceKind::Feedforward,
        SourceKind::Context,
        SourceKind::Lateral,
    ];
    Layer::new(
        LayerConfig {
            neurons,
            sources: (0..sources)
                .map(|s| SourceConfig {
                    kind: kinds[s],
                    dim: dims[s],
                    wiring: Wiring::Dense,
                })
                .collect(),
            activation,
            binning,
            bins,
            goal: vec![0.0; if sources == 3 { 19 } else { 5 }],
            lr: 0.01,
            weight_decay: 0.0,
        },
        7,
    )
    .unwrap()
}

/// aggregate.wgsl vs Layer::aggregate (x·Wᵀ + b).
#[test]
fn aggregate_matches_cpu() {
    let (Some(tiled), Some(direct)) = (check(), check_direct()) else {
        return;
    };
    let mut rng = Stream::new(1);
    for (k, &(m, n, d)) in [&tiled, &direct].into_iter().flat_map(|k| {
        [(37, 23, 50), (256, 24, 784), (5, 3, 1)]
            .iter()
            .map(move |s| (k, s))
    }) {
        let l = test_layer(Activation::HIDDEN, 2, n, &[d, 10], Binning::MaxAbs, 20);
        let x = random(&mut rng, m * d, 1.0);
        let cpu = l.aggregate(0, Array2::from_shape_vec((m, d), x.clone()).unwrap().view());
        let w: Vec<f32> = l.sources[0].weights.iter().copied().collect();
        let bias: Vec<f32> = l.sources[0].bias.to_vec();
        let gpu = k.aggregate(&x, &w, &bias, m, n, d);
        let cpu: Vec<f32> = cpu.iter().copied().collect();
        let err = max_abs(&gpu, &cpu);
        eprintln!("aggregate {m}×{d}·({n}×{d})ᵀ: max |gpu − cpu| = {err:e}");
        assert!(err < 1e-5 * (d as f32).sqrt().max(1.0), "{err}");
    }
}

/// The read-out rule of network::accuracy (inversion by the means of the rows read
/// together, then the first maximum) applied to batches of `chunk` rows (0: the whole
/// set as one): the correct predictions.
fn correct_in_batches(theta: &[f32], labels: &[u8], classes: usize, chunk: usize) -> usize {
    use infomorph::network::accuracy::{apply_inversion, inverted_by_labels, Score};
    let rows = labels.len();
    let chunk = if chunk == 0 { rows } else { chunk };
    let mut s = Score::new(classes);
    for start in (0..rows).step_by(chunk) {
        let end = (start + chunk).min(rows);
        let mut t = Array2::from_shape_vec(
            (end - start, classes),
            theta[start * classes..end * classes].to_vec(),
        )
        .unwrap();
        let flip = inverted_by_labels(&t, &labels[start..end], true);
        apply_inversion(&mut t, &flip);
        s.add(&t, &labels[start..end]);
    }
    s.correct
}

/// gather.wgsl alone vs its CPU twin: a training batch is the rows of the epoch's
/// permutation (EpochOrder, as CpuBackend::train takes them) with one-hot labels, an
/// evaluation chunk contiguous rows with the label input at zero. Bit-identical (copies).
#[test]
fn gather_matches_cpu() {
    let Some(k) = check() else { return };
    let task = mnist10k(1);
    let (dim, classes) = (task.dim, task.classes);
    let mut rows = task.train_x.clone();
    rows.extend_from_slice(&task.val_x);
    let mut labels = task.train_y.clone();
    labels.extend_from_slice(&task.val_y);
    let n = task.train_len();
    let order = infomorph::engine::epoch_order(7, 2, n);
    let perm: Vec<u32> = order.iter().map(|&i| i as u32).collect();
    let (batch, offset) = (n.min(37), n / 3);
    let (x, c) = k.gather(&rows, &labels, dim, classes, Some(&perm), 0, offset, batch);
    for b in 0..batch {
        let i = order[offset + b];
        assert_eq!(
            &x[b * dim..(b + 1) * dim],
            &rows[i * dim..(i + 1) * dim],
            "row {b}"
        );
        for j in 0..classes {
            let one = (labels[i] as usize == j) as u8 as f32;
            assert_eq!(c[b * classes + j], one, "label of row {b}");
        }
    }
    // Evaluation: validation rows 3.., label input zero.
    let vb = task.val_len().min(11);
    let (x, c) = k.gather(&rows, &labels, dim, classes, None, n, 3, vb);
    assert_eq!(x, rows[(n + 3) * dim..(n + 3 + vb) * dim].to_vec());
    assert!(c.iter().all(|&v| v == 0.0));
    eprintln!(
        "gather: {batch} training rows of {dim} (+{classes} one-hot), {vb} evaluation rows: equal"
    );
}

/// metrics.wgsl alone vs its CPU twins: `accumulate` sums every neuron's terms over steps
/// as TermSums sums them (f32 here, exact for these values' order: one add per step);
/// `count` is network::accuracy::score's correct count (inversion by the means of the
/// rows read together: the whole set, or batches of `chunk` rows; first maximum wins),
/// on θ with ties and neurons that must be read inverted.
#[test]
fn metrics_match_cpu() {
    let Some(k) = check() else { return };
    let mut rng = Stream::new(8);
    let len = 3 * 19 + 5;
    let acc = random(&mut rng, len, 1.0);
    let steps: Vec<Vec<f32>> = (0..4).map(|_| random(&mut rng, len, 1.0)).collect();
    let mut cpu = acc.clone();
    for s in &steps {
        for (a, t) in cpu.iter_mut().zip(s) {
            *a += t;
        }
    }
    assert_eq!(k.accumulate(&acc, &steps), cpu);
    let (rows, classes) = (700, 10);
    let mut theta: Vec<f32> = (0..rows * classes)
        .map(|_| ((rng.next_f64() * 8.0).floor() / 8.0) as f32)
        .collect();
    // Class 3 fires for the first 256 rows only: read inverted in that batch of 256,
    // not when the whole set is one batch.
    for r in 0..rows {
        theta[r * classes + 3] = if r < 256 { 0.9 } else { 0.0 };
    }
    let labels: Vec<u8> = (0..rows)
        .map(|_| (rng.next_f64() * 10.0) as u8 % 10)
        .collect();
    let mut correct = Vec::new();
    for chunk in [0, 256, 700, 1024, 1] {
        let cpu = correct_in_batches(&theta, &labels, classes, chunk);
        let gpu = k.count(&theta, &labels, classes, chunk);
        eprintln!("count, batches of {chunk} (0: the whole set): gpu {gpu} cpu {cpu} of {rows}");
        assert_eq!(gpu as usize, cpu, "batches of {chunk}");
        correct.push(gpu);
    }
    let t = Array2::from_shape_vec((rows, classes), theta.clone()).unwrap();
    let (whole, _) = infomorph::network::accuracy::score(t, &labels, true);
    assert_eq!(correct[0] as usize, whole.correct);
    assert_ne!(
        correct[1], correct[2],
        "the batches' inversions matter here"
    );
    // Two classes, balanced: neuron 0 is high on its own class's rows but its mean over
    // the set is ≥ 0.5; neuron 1 is low on its class's rows (read inverted) with a mean
    // below 0.5. The labels decide, in every batch that holds both classes (a batch of
    // one row falls back to the means).
    let (rows, classes) = (700, 2);
    let labels: Vec<u8> = (0..rows)
        .map(|_| (rng.next_f64() * 2.0) as u8 % 2)
        .collect();
    let theta: Vec<f32> = labels
        .iter()
        .flat_map(|&y| {
            let noise = ((rng.next_f64() * 8.0).floor() / 40.0) as f32;
            let n0 = if y == 0 { 0.75 } else { 0.35 } + noise;
            let n1 = if y == 1 { 0.25 } else { 0.45 } + noise;
            [n0, n1]
        })
        .collect();
    let t = Array2::from_shape_vec((rows, classes), theta.clone()).unwrap();
    assert_eq!(
        infomorph::network::accuracy::inverted(&t, true),
        vec![true, false],
        "the means alone would read both neurons the other way"
    );
    for chunk in [0, 256, 700, 1] {
        let cpu = correct_in_batches(&theta, &labels, classes, chunk);
        let gpu = k.count(&theta, &labels, classes, chunk);
        eprintln!("count, two classes, batches of {chunk}: gpu {gpu} cpu {cpu} of {rows}");
        assert_eq!(gpu as usize, cpu, "two classes, batches of {chunk}");
        if chunk != 1 {
            assert_eq!(cpu, rows, "read by the labels, every row is right");
        }
    }
}

/// activation_sample.wgsl (both entry points) vs Layer::forward_from + layer::sample: θ to float rounding,
/// samples bit-identical wherever θ is.
#[test]
fn activation_and_sampling_match_cpu() {
    let Some(k) = check() else { return };
    let mut rng = Stream::new(2);
    let (b, n) = (300, 17);
    for (activation, sources) in [
        (Activation::HIDDEN, 2),
        (Activation::OUTPUT, 2),
        (Activation::TRIVARIATE, 3),
    ] {
        let l = test_layer(activation, sources, n, &[4, 4, 4], Binning::MaxAbs, 20);
        let aggs: Vec<Array2<f32>> = (0..sources)
            .map(|_| Array2::from_shape_vec((b, n), random(&mut rng, b * n, 3.0)).unwrap())
            .collect();
        let flat: Vec<f32> = aggs.iter().flat_map(|a| a.iter().copied()).collect();
        let fwd = l.forward_from(aggs);
        let key = infomorph::rng::counter_key(42, 2, 5);
        let y_cpu = layer::sample(&fwd.theta, key, 1000, -1.0);
        let (theta, y, theta_nm) = k.activation_sample(&flat, activation, b, n, key, 1000);
        // θ without samples (the output layer's entry point): the same θ, bit for bit.
        assert_eq!(
            k.activation_theta(&flat, activation, b, n),
            (theta.clone(), theta_nm.clone())
        );
        let th_cpu = fwd.theta.as_slice().unwrap();
        let err = max_abs(&theta, th_cpu);
        let mut same_theta = 0;
        for i in 0..b * n {
            assert_eq!(theta_nm[(i % n) * b + i / n], theta[i]);
            if theta[i] == th_cpu[i] {
                same_theta += 1;
                assert_eq!(
                    y[i],
                    y_cpu.as_slice().unwrap()[i],
                    "sample {i} differs with equal θ"
                );
            }
        }
        eprintln!(
            "activation {activation:?}: max |Δθ| = {err:e}, θ bit-equal {same_theta}/{}, samples equal where θ is",
            b * n
        );
        assert!(err < 2e-6, "{err}");
    }
}

/// binning.wgsl vs Layer::bin_and_theta (Fixed and MaxAbs).
#[test]
fn binning_matches_cpu() {
    let Some(k) = check() else { return };
    let mut rng = Stream::new(3);
    let (b, n) = (500, 9);
    for (binning, bins, sources, scale) in [
        (
            Binning::Fixed {
                lo: -20.0,
                hi: 20.0,
            },
            20,
            3,
            15.0,
        ),
        (Binning::MaxAbs, 20, 2, 2.0),
        (Binning::MaxAbs, 7, 3, 1.0),
    ] {
        let act = if sources == 3 {
            Activation::TRIVARIATE
        } else {
            Activation::HIDDEN
        };
        let l = test_layer(act, sources, n, &[2, 2, 2], binning, bins);
        let aggs: Vec<Array2<f32>> = (0..sources)
            .map(|_| Array2::from_shape_vec((b, n), random(&mut rng, b * n, scale)).unwrap())
            .collect();
        let flat: Vec<f32> = aggs.iter().flat_map(|a| a.iter().copied()).collect();
        let mut digits = Vec::new();
        let mut theta64 = Vec::new();
        l.bin_and_theta(&l.forward_from(aggs), &mut digits, &mut theta64);
        let gpu = k.binning(&flat, sources, binning, bins, b, n);
        let mut differ = 0;
        for (i, d) in digits.iter().enumerate() {
            let packed = (0..sources).fold(0u32, |p, s| p | (d[s] as u32) << (8 * s));
            if packed != gpu[i] {
                differ += 1;
            }
        }
        eprintln!(
            "binning {binning:?} {bins} bins: {differ} of {} samples differ",
            b * n
        );
        assert_eq!(differ, 0);
    }
}

/// activation_grad.wgsl vs the d_a loop of Layer::learn + Layer::activation_gradients.
#[test]
fn activation_gradient_matches_cpu() {
    let Some(k) = check() else { return };
    let mut rng = Stream::new(4);
    let (b, n) = (200, 11);
    for (activation, sources) in [(Activation::HIDDEN, 2), (Activation::TRIVARIATE, 3)] {
        let l = test_layer(activation, sources, n, &[3, 3, 3], Binning::MaxAbs, 20);
        let aggs: Vec<Array2<f32>> = (0..sources)
            .map(|_| Array2::from_shape_vec((b, n), random(&mut rng, b * n, 2.0)).unwrap())
            .collect();
        let flat: Vec<f32> = aggs.iter().flat_map(|a| a.iter().copied()).collect();
        let theta = l.forward_from(aggs.clone()).theta;
        let dtheta_nm = random(&mut rng, b * n, 1e-3);
        let mut d_a = Array2::zeros((b, n));
        for bb in 0..b {
            for nn in 0..n {
                let th = theta[[bb, nn]];
                if th > layer::THETA_EPS && th < 1.0 - layer::THETA_EPS {
                    d_a[[bb, nn]] = -dtheta_nm[nn * b + bb] * th * (1.0 - th);
                }
            }
        }
        let cpu: Vec<f32> = l
            .activation_gradients(&aggs, &d_a)
            .iter()
            .flat_map(|a| a.iter().copied().collect::<Vec<_>>())
            .collect();
        let gpu = k.activation_grad(
            &dtheta_nm,
            theta.as_slice().unwrap(),
            &flat,
            activation,
            b,
            n,
        );
        let scale = cpu.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let err = max_abs(&gpu, &cpu);
        eprintln!("activation gradient {activation:?}: max |Δ| = {err:e} (max |grad| {scale:e})");
        assert!(err <= 1e-5 * scale, "{err}");
    }
}

/// weight_grad.wgsl vs gradᵀ·x and Σ_b grad.
#[test]
fn weight_gradient_matches_cpu() {
    let (Some(tiled), Some(direct)) = (check(), check_direct()) else {
        return;
    };
    let mut rng = Stream::new(5);
    for (k, &(b, n, d)) in [&tiled, &direct].into_iter().flat_map(|k| {
        [(256, 24, 784), (64, 10, 24), (33, 5, 7)]
            .iter()
            .map(move |s| (k, s))
    }) {
        let g = random(&mut rng, b * n, 1e-3);
        let x = random(&mut rng, b * d, 1.0);
        let ga = Array2::from_shape_vec((b, n), g.clone()).unwrap();
        let xa = Array2::from_shape_vec((b, d), x.clone()).unwrap();
        let mut cpu: Vec<f32> = ga.t().dot(&xa).iter().copied().collect();
        cpu.extend(ga.sum_axis(Axis(0)).iter());
        let gpu = k.weight_grad(&g, &x, b, n, d);
        let err = max_abs(&gpu, &cpu);
        eprintln!("weight gradient batch {b}, {n} × {d}: max |Δ| = {err:e}");
        assert!(err < 1e-7 * (b as f32), "{err}");
    }
}

/// adam.wgsl vs Adam::step (PyTorch semantics), with the lateral diagonal and a sparse
/// mask keeping weights at exactly zero.
#[test]
fn adam_matches_cpu() {
    let Some(k) = check() else { return };
    let mut rng = Stream::new(6);
    let (n, d) = (6, 6);
    let len = n * d + n;
    for mask_kind in [0u32, 1, 2] {
        let mask: Vec<f32> = (0..n * d)
            .map(|i| ((i * 7) % 3 != 0 && i / d != i % d) as u8 as f32)
            .collect();
        let mut params = random(&mut rng, len, 0.3);
        for i in 0..n * d {
            if (mask_kind == 1 && i / d == i % d) || (mask_kind == 2 && mask[i] == 0.0) {
                params[i] = 0.0;
            }
        }
        let grads: Vec<Vec<f32>> = (0..4).map(|_| random(&mut rng, len, 0.1)).collect();
        let (lr, wd) = (0.01, 3.5e-4);
        let (gpu, gm, gv) = k.adam(&params, &grads, n, d, mask_kind, Some(&mask), lr, wd);
        let mut cpu = params.clone();
        let mut adam = Adam::new(len, lr, wd);
        for g in &grads {
            let mut g = g.clone();
            for i in 0..n * d {
                if mask_kind == 1 && i / d == i % d {
                    g[i] = 0.0;
                } else if mask_kind == 2 {
                    g[i] *= mask[i];
                }
            }
            adam.step(&mut cpu, &g);
        }
        let err = max_abs(&gpu, &cpu);
        eprintln!("adam mask {mask_kind}: max |Δparam| = {err:e}");
        assert!(err < 1e-6, "{err}");
        assert!(gm.iter().chain(&gv).all(|v| v.is_finite()));
        for i in 0..n * d {
            if (mask_kind == 1 && i / d == i % d) || (mask_kind == 2 && mask[i] == 0.0) {
                assert_eq!(gpu[i], 0.0, "masked weight {i} moved");
            }
        }
    }
}

struct Diff {
    weights: f32,
    /// Fraction of all weights and biases that differ by more than 2e-4.
    far: f64,
    weight_scale: f32,
    terms: f64,
    accuracy: (f64, f64),
}

/// 20 steps of a model on both engines from the same seeds.
fn twenty_steps(model: ModelKind, goal: &str) -> Option<Diff> {
    twenty_steps_with(RunConfig {
        model,
        goal: goal.into(),
        hidden: 24,
        batch: 256,
        epochs: 1,
        ..RunConfig::default()
    })
}

fn twenty_steps_with(config: RunConfig) -> Option<Diff> {
    steps_with(config, 20)
}

fn steps_with(config: RunConfig, steps: usize) -> Option<Diff> {
    let model = config.model;
    let ctx = context()?;
    let task = mnist10k(1);
    let net = Network::new(&config, task.dim, task.classes).unwrap();
    let mut gpu = Engine::choose(net, task.clone(), EnginePreference::Gpu, Some(Ok(ctx))).unwrap();
    let mut cpu = pollster::block_on(Engine::new(&config, task, EnginePreference::Cpu)).unwrap();
    assert_eq!((gpu.engine_name(), cpu.engine_name()), ("gpu", "cpu"));
    gpu.queue_steps(steps).unwrap();
    cpu.queue_steps(steps).unwrap();
    let g = pollster::block_on(gpu.network()).unwrap();
    let c = pollster::block_on(cpu.network()).unwrap();
    let n = steps as u32;
    assert_eq!((g.steps(), c.steps()), (n, n));
    let mut diff = Diff {
        weights: 0.0,
        far: 0.0,
        weight_scale: 0.0,
        terms: 0.0,
        accuracy: (0.0, 0.0),
    };
    let (mut far, mut total) = (0usize, 0usize);
    for (lg, lc) in [
        (g.hidden.as_ref().unwrap(), c.hidden.as_ref().unwrap()),
        (&g.output, &c.output),
    ] {
        for (sg, sc) in lg.sources.iter().zip(&lc.sources) {
            let a: Vec<f32> = sg.weights.iter().chain(sg.bias.iter()).copied().collect();
            let b: Vec<f32> = sc.weights.iter().chain(sc.bias.iter()).copied().collect();
            let e = max_abs(&a, &b);
            far += a
                .iter()
                .zip(&b)
                .filter(|(x, y)| (*x - *y).abs() > 2e-4)
                .count();
            total += a.len();
            if e > 1e-4 {
                let i = (0..a.len())
                    .max_by(|&i, &j| (a[i] - b[i]).abs().total_cmp(&(a[j] - b[j]).abs()))
                    .unwrap();
                let big = a
                    .iter()
                    .zip(&b)
                    .filter(|(x, y)| (*x - *y).abs() > 1e-4)
                    .count();
                eprintln!(
                    "  {:?}: max at {i} (row {}, col {}) gpu {} cpu {}; {big} of {} over 1e-4",
                    sg.config.kind,
                    i / sg.config.dim.max(1),
                    i % sg.config.dim.max(1),
                    a[i],
                    b[i],
                    a.len()
                );
            }
            diff.weights = diff.weights.max(e);
            diff.weight_scale = b.iter().fold(diff.weight_scale, |m, v| m.max(v.abs()));
        }
        let t = (&lg.last_terms - &lc.last_terms).mapv(f64::abs);
        diff.terms = diff.terms.max(t.iter().copied().fold(0.0, f64::max));
    }
    diff.far = far as f64 / total as f64;
    let ag = pollster::block_on(gpu.accuracy(Split::Test, 1)).unwrap();
    let ac = pollster::block_on(cpu.accuracy(Split::Test, 1)).unwrap();
    diff.accuracy = (ag, ac);
    eprintln!(
        "{} {steps} steps: max |Δweight| = {:e} (max |w| {}, {:.3}% over 2e-4), max |Δterm| = {:e} bit, test accuracy gpu {ag:.4} cpu {ac:.4}",
        model.name(),
        diff.weights,
        diff.weight_scale,
        100.0 * diff.far,
        diff.terms
    );
    Some(diff)
}

/// Tolerances. Sampling, binning, activation and Adam are bit-identical given equal
/// inputs (see the kernel tests); what differs is the summation order of the matrix
/// products (aggregates, weight gradients: ~1e-6 relative) and the f32 PID stage
/// (terms and ∂G/∂θ, against the CPU's f64). Measured on llvmpipe after 20 steps:
/// weights 3.2e-5 (trivariate), 1.3e-5 (context), 6.7e-6 (lateral); terms ≤ 1.4e-6 bit;
/// test accuracy identical. But θ that differ in the last bits can, rarely, fall on
/// opposite sides of a sample's uniform draw (or of a bin edge): that sample's ±1 output
/// then differs, and Adam (which normalises the gradient) can move the weights it feeds
/// by up to about one learning rate (0.002–0.003) per step. This happened once in the
/// sparse-trivariate run (30 of the 210 output weights, max 1.3e-3). So: 99% of weights
/// within 2e-4, every weight within 5e-3 (two learning-rate steps), terms within 1e-4
/// bit (the PID tolerance), test accuracy within 1%.
fn assert_within_tolerance(d: &Diff) {
    assert!(
        d.far <= 0.01,
        "{:.3}% of weights differ by more than 2e-4",
        100.0 * d.far
    );
    assert!(d.weights < 5e-3, "weights differ by {}", d.weights);
    assert!(d.terms < 1e-4, "terms differ by {} bit", d.terms);
    assert!(
        (d.accuracy.0 - d.accuracy.1).abs() <= 0.01,
        "accuracy {:?}",
        d.accuracy
    );
}

#[test]
fn trivariate_twenty_steps_match_cpu() {
    let Some(d) = twenty_steps(ModelKind::Trivariate, "optimized") else {
        return;
    };
    assert_within_tolerance(&d);
}

#[test]
fn context_twenty_steps_match_cpu() {
    let Some(d) = twenty_steps(ModelKind::Context, "heuristic") else {
        return;
    };
    assert_within_tolerance(&d);
}

/// A bivariate hidden layer binned on the fixed range (`hidden_binning`), and a
/// trivariate one binned max-abs: the GPU engine follows the config's choice. (Not the
/// context model on the fixed range: at initialisation its label aggregates w_j + b lie
/// within ±0.6, so a neuron whose ten values share a sign has one context bin and a
/// shared-information goal that is 0 around it; its gradient is rounding noise on both
/// engines, which Adam's first step turns into a full step of lr: measured 1.2e-3 on
/// 0.05 % of the weights after one step.)
#[test]
fn chosen_hidden_binning_twenty_steps_match_cpu() {
    for (model, goal, binning) in [
        (ModelKind::Lateral, "heuristic", HiddenBinning::Fixed),
        (ModelKind::Trivariate, "optimized", HiddenBinning::MaxAbs),
    ] {
        let Some(d) = twenty_steps_with(RunConfig {
            model,
            goal: goal.into(),
            hidden: 24,
            batch: 256,
            epochs: 1,
            hidden_binning: Some(binning),
            ..RunConfig::default()
        }) else {
            return;
        };
        assert_within_tolerance(&d);
    }
}

/// The other models the GPU engine runs: lateral (F + L, two steps) and trivariate
/// with a sparse lateral mask.
#[test]
fn lateral_and_sparse_twenty_steps_match_cpu() {
    for (model, goal) in [
        (ModelKind::Lateral, "heuristic"),
        (ModelKind::TrivariateSparse, "optimized"),
    ] {
        let config = RunConfig {
            model,
            goal: goal.into(),
            hidden: 20,
            batch: 300,
            sparse_k: 5,
            epochs: 1,
            ..RunConfig::default()
        };
        let Some(d) = twenty_steps_with(config) else {
            return;
        };
        assert_within_tolerance(&d);
    }
}

/// The batch schedule across an epoch boundary (the smaller last batch of epoch 1, then
/// epoch 2's new permutation), without learning (lr 0), so that the weights stay equal
/// and every step's goal terms must agree to float rounding: 6400 training samples in
/// batches of 300 are 21 steps and one of 100 per epoch. With learning on, the runs drift apart after a few
/// dozen steps: Adam's first steps move a weight by ±lr whatever the size of its
/// gradient, so a gradient that cancels to almost zero (e.g. a pixel that is constant
/// over the batch) takes the sign of its rounding error, and that difference grows.
#[test]
fn epoch_boundary_batches_match_cpu() {
    let Some(ctx) = context() else { return };
    let task = mnist10k(1);
    let config = RunConfig {
        model: ModelKind::Trivariate,
        goal: "heuristic".into(),
        hidden: 12,
        batch: 300,
        lr_hidden: 0.0,
        lr_output: 0.0,
        ..RunConfig::default()
    };
    let net = Network::new(&config, task.dim, task.classes).unwrap();
    let mut gpu = Engine::choose(net, task.clone(), EnginePreference::Gpu, Some(Ok(ctx))).unwrap();
    let mut cpu = Engine::choose(
        Network::new(&config, task.dim, task.classes).unwrap(),
        task,
        EnginePreference::Cpu,
        None,
    )
    .unwrap();
    assert_eq!(gpu.steps_per_epoch(), 22);
    let mut worst = 0.0f64;
    for step in 1..=24 {
        gpu.queue_steps(1).unwrap();
        cpu.queue_steps(1).unwrap();
        let (mg, mc) = (
            pollster::block_on(gpu.metrics()).unwrap(),
            pollster::block_on(cpu.metrics()).unwrap(),
        );
        for (a, b) in mg
            .hidden
            .iter()
            .chain(&mg.output)
            .zip(mc.hidden.iter().chain(&mc.output))
        {
            worst = worst.max((a - b).abs());
        }
        assert!(worst < 1e-4, "step {step}: terms differ by {worst}");
    }
    eprintln!(
        "24 steps without learning across an epoch boundary: max |Δ mean term| = {worst:e} bit"
    );
}

/// GpuNetwork::predict, chunk by chunk over the MNIST-10k validation rows, against
/// Network::predict_theta of the GPU's own snapshot on the whole set (the same weights;
/// the draws depend on the row index, not on how the set is cut). After 5 training steps,
/// the trivariate model (two recurrent hidden steps) and the context model. Tolerances as
/// the 20-step tests: θ differs by the matrix products' summation order, and where a
/// hidden θ falls on the other side of its sample's uniform draw, that row's output θ
/// differs more; so 99% of θ within 2e-4, all within 0.25, classes chosen alike within 1%.
#[test]
fn predict_chunks_match_cpu_predict_theta() {
    use infomorph::engine::gpu::GpuNetwork;
    let Some(ctx) = context() else { return };
    let task = mnist10k(1);
    let rows = task.val_len();
    let mut ctx = Some(ctx);
    for model in [ModelKind::Trivariate, ModelKind::Context] {
        let config = RunConfig {
            model,
            goal: "heuristic".into(),
            hidden: 24,
            batch: 256,
            epochs: 1,
            ..RunConfig::default()
        };
        let c = ctx
            .take()
            .map(Ok)
            .unwrap_or_else(|| pollster::block_on(GpuContext::new()));
        let net = Network::new(&config, task.dim, task.classes).unwrap();
        let mut gpu = GpuNetwork::new(c.unwrap(), &net, &task).unwrap();
        gpu.queue_steps(5).unwrap();
        let eval_step = 3;
        let mut theta = Vec::new();
        for start in (0..rows).step_by(config.batch) {
            let chunk = pollster::block_on(gpu.predict(Split::Val, start, eval_step)).unwrap();
            assert_eq!(chunk.len(), config.batch.min(rows - start) * task.classes);
            theta.extend(chunk);
        }
        assert!(pollster::block_on(gpu.predict(Split::Val, rows, eval_step)).is_err());
        // The counter streams matter: another evaluation step draws other hidden samples.
        let other = pollster::block_on(gpu.predict(Split::Val, 0, eval_step + 1)).unwrap();
        assert!(max_abs(&other, &theta[..other.len()]) > 1e-3);
        // GpuNetwork::accuracy (θ and the count stay on the GPU) reads the same θ with
        // the rule of network::accuracy (the whole set's means).
        let correct = correct_in_batches(&theta, &task.val_y, task.classes, 0);
        let on_gpu = pollster::block_on(gpu.accuracy(Split::Val, eval_step)).unwrap();
        assert_eq!(on_gpu, correct as f64 / rows as f64);
        let mut snapshot = pollster::block_on(gpu.to_network()).unwrap();
        let x = Array2::from_shape_vec((rows, task.dim), task.val_x.clone()).unwrap();
        let cpu = snapshot.predict_theta(x.view(), eval_step);
        let cpu: Vec<f32> = cpu.iter().copied().collect();
        let err = max_abs(&theta, &cpu);
        let far = theta
            .iter()
            .zip(&cpu)
            .filter(|(a, b)| (*a - *b).abs() > 2e-4)
            .count();
        let argmax = |v: &[f32]| {
            v.iter()
                .enumerate()
                .fold((0, f32::MIN), |m, (j, &t)| if t > m.1 { (j, t) } else { m })
                .0
        };
        let k = task.classes;
        let same = (0..rows)
            .filter(|r| argmax(&theta[r * k..(r + 1) * k]) == argmax(&cpu[r * k..(r + 1) * k]))
            .count();
        eprintln!(
            "{} predict, {rows} validation rows in chunks of {}: max |Δθ| = {err:e}, {far} of {} over 2e-4, argmax equal in {same} rows",
            model.name(),
            config.batch,
            theta.len()
        );
        assert!(
            far as f64 <= 0.01 * theta.len() as f64,
            "{far} θ differ by > 2e-4"
        );
        assert!(err < 0.25, "max |Δθ| {err}");
        assert!(
            same as f64 >= 0.99 * rows as f64,
            "argmax equal in {same} of {rows}"
        );
    }
}

/// AdapterKind: Mesa's software Vulkan and GL drivers, SwiftShader and a browser's
/// fallback adapter (wgpu reports DeviceType::Cpu for it) are software.
#[test]
fn software_adapters_are_recognised() {
    use infomorph::engine::gpu::AdapterKind;
    let info = |name: &str, device_type| wgpu::AdapterInfo {
        name: name.into(),
        ..wgpu::AdapterInfo::new(device_type, wgpu::Backend::Vulkan)
    };
    use wgpu::DeviceType::*;
    for (name, t, kind) in [
        (
            "llvmpipe (LLVM 15.0.6, 256 bits)",
            Cpu,
            AdapterKind::Software,
        ),
        (
            "llvmpipe (LLVM 15.0.6, 256 bits)",
            Other,
            AdapterKind::Software,
        ),
        ("SwiftShader Device (Subzero)", Cpu, AdapterKind::Software),
        ("", Cpu, AdapterKind::Software),
        (
            "NVIDIA GeForce RTX 4090",
            DiscreteGpu,
            AdapterKind::Discrete,
        ),
        (
            "AMD Radeon Graphics (RADV GFX1103_R1)",
            IntegratedGpu,
            AdapterKind::Integrated,
        ),
        ("", Other, AdapterKind::Other),
    ] {
        assert_eq!(AdapterKind::of(&info(name, t)), kind, "{name} {t:?}");
    }
    if let Some(ctx) = context() {
        let kind = ctx.adapter_kind();
        eprintln!(
            "this adapter: {} ({})",
            ctx.adapter_description(),
            kind.name()
        );
        assert_eq!(ctx.is_software(), kind == AdapterKind::Software);
        if ctx.info.device_type == wgpu::DeviceType::Cpu {
            assert!(ctx.is_software());
        }
    }
}

fn small_config(model: ModelKind) -> RunConfig {
    RunConfig {
        model,
        goal: "heuristic".into(),
        hidden: 8,
        batch: 64,
        epochs: 1,
        ..RunConfig::default()
    }
}

/// No adapter (forced): Auto falls back to the CPU engine and says why; a required GPU
/// is an error; models the GPU engine does not run stay on the CPU with a message.
#[test]
fn forced_cpu_fallback() {
    let task = infomorph::tasks::toy::by_name("xor", 0).unwrap();
    let config = small_config(ModelKind::Context);
    let net = || Network::new(&config, task.dim, task.classes).unwrap();
    let none = || Some(Err("no wgpu adapter (forced by the test)".to_string()));
    let mut e = Engine::choose(net(), task.clone(), EnginePreference::Auto, none()).unwrap();
    assert_eq!(e.engine_name(), "cpu");
    assert!(e.adapter_info().is_none());
    assert!(
        e.notices()[0].contains("no wgpu adapter"),
        "{:?}",
        e.notices()
    );
    e.queue_steps(3).unwrap();
    assert_eq!(e.steps(), 3);
    let m = pollster::block_on(e.metrics()).unwrap();
    assert_eq!((m.engine, m.step, m.steps_in_mean), ("cpu", 3, 3));
    let err = Engine::choose(net(), task.clone(), EnginePreference::Gpu, none())
        .err()
        .unwrap();
    assert!(matches!(err, EngineError::Unavailable(_)), "{err:?}");
    assert!(err.to_string().contains("no wgpu adapter"), "{err}");
    let rp = small_config(ModelKind::RandomProjection);
    let rp_net = Network::new(&rp, task.dim, task.classes).unwrap();
    let e = Engine::choose(rp_net, task, EnginePreference::Auto, None).unwrap();
    assert_eq!(e.engine_name(), "cpu");
    assert!(e.notices()[0].contains("random-projection model runs on the CPU engine only"));
}

/// The device is lost mid-run: the run continues on the CPU engine from the last
/// checkpoint's weights, Adam state and step, and says so.
#[test]
fn device_loss_continues_on_the_cpu() {
    let Some(ctx) = context() else { return };
    let task = mnist10k(2);
    let config = small_config(ModelKind::Trivariate);
    let net = Network::new(&config, task.dim, task.classes).unwrap();
    let mut e = Engine::choose(net, task, EnginePreference::Gpu, Some(Ok(ctx))).unwrap();
    assert_eq!(e.engine_name(), "gpu");
    assert!(e.adapter_info().is_some());
    e.queue_steps(3).unwrap();
    pollster::block_on(e.checkpoint()).unwrap();
    let snapshot = pollster::block_on(e.network()).unwrap();
    e.queue_steps(2).unwrap();
    e.simulate_device_loss();
    // The next step notices, switches, and runs on the CPU from step 3.
    e.queue_steps(1).unwrap();
    assert_eq!(e.engine_name(), "cpu");
    assert!(e.adapter_info().is_none());
    assert_eq!(e.steps(), 4);
    let last = e.notices().last().unwrap();
    assert!(last.contains("lost") && last.contains("step 3"), "{last}");
    // The CPU network started from the checkpoint: replay the one step from the
    // snapshot on a CPU engine and compare exactly.
    let task = mnist10k(2);
    let mut replay = Engine::choose(snapshot, task, EnginePreference::Cpu, None).unwrap();
    replay.queue_steps(1).unwrap();
    let a = pollster::block_on(e.network()).unwrap();
    let b = pollster::block_on(replay.network()).unwrap();
    for (la, lb) in [
        (a.hidden.as_ref().unwrap(), b.hidden.as_ref().unwrap()),
        (&a.output, &b.output),
    ] {
        for (sa, sb) in la.sources.iter().zip(&lb.sources) {
            assert_eq!(sa.weights, sb.weights);
            assert_eq!(sa.bias, sb.bias);
        }
    }
    let m = pollster::block_on(e.metrics()).unwrap();
    assert_eq!((m.engine, m.step), ("cpu", 4));
}

/// Sizes are checked against the adapter's limits before allocation; the refusal
/// names the limit.
#[test]
fn oversized_network_is_refused_naming_the_limit() {
    use infomorph::engine::gpu::context::check_limits;
    use infomorph::engine::gpu::network::needs;
    let limits = wgpu::Limits::downlevel_defaults();
    let big = RunConfig {
        hidden: 50_000,
        ..small_config(ModelKind::Context)
    };
    let err = check_limits(&limits, &needs(&big, 784, 10, 10_000)).unwrap_err();
    assert!(err.contains("max_storage_buffer_binding_size"), "{err}");
    assert!(err.contains("hidden feedforward weights"), "{err}");
    assert!(check_limits(
        &limits,
        &needs(&small_config(ModelKind::Trivariate), 784, 10, 10_000)
    )
    .is_ok());
}

/// A live goal change (the page's goal sliders) reaches the GPU's PID kernels: after 5
/// steps γ changes on both engines; 5 steps later the two engines are far closer to
/// each other than to a CPU run that kept the old γ, and the GPU's snapshot carries the
/// new γ. (Absolute tolerances as in the 20-step test do not fit here: a pure-synergy
/// goal gives tiny gradients that Adam normalises, so the engines' rounding differences
/// grow: measured on llvmpipe, 7e-4 in weights after the change, and 3e-4 after 10 steps
/// when both start with this γ.)
#[test]
fn goal_change_reaches_the_gpu() {
    let Some(ctx) = context() else { return };
    let task = mnist10k(3);
    let config = RunConfig {
        hidden: 16,
        batch: 128,
        ..small_config(ModelKind::Context)
    };
    let net = Network::new(&config, task.dim, task.classes).unwrap();
    let mut gpu = Engine::choose(net, task.clone(), EnginePreference::Gpu, Some(Ok(ctx))).unwrap();
    let cpu_engine =
        || pollster::block_on(Engine::new(&config, task.clone(), EnginePreference::Cpu)).unwrap();
    let (mut cpu, mut kept) = (cpu_engine(), cpu_engine());
    for e in [&mut gpu, &mut cpu, &mut kept] {
        e.queue_steps(5).unwrap();
    }
    let gamma = [0.0, 0.0, 0.0, 1.0, 0.0];
    assert!(gpu.set_goal(&[1.0]).is_err());
    gpu.set_goal(&gamma).unwrap();
    cpu.set_goal(&gamma).unwrap();
    for e in [&mut gpu, &mut cpu, &mut kept] {
        e.queue_steps(5).unwrap();
    }
    let g = pollster::block_on(gpu.snapshot()).unwrap();
    let c = pollster::block_on(cpu.network()).unwrap();
    let k = pollster::block_on(kept.network()).unwrap();
    assert_eq!(g.hidden.as_ref().unwrap().config.goal, gamma.to_vec());
    let diff = |x: &Network, y: &Network| {
        let (mut dw, mut dt) = (0f32, 0f64);
        for (lx, ly) in [
            (x.hidden.as_ref().unwrap(), y.hidden.as_ref().unwrap()),
            (&x.output, &y.output),
        ] {
            for (sx, sy) in lx.sources.iter().zip(&ly.sources) {
                let a: Vec<f32> = sx.weights.iter().chain(sx.bias.iter()).copied().collect();
                let b: Vec<f32> = sy.weights.iter().chain(sy.bias.iter()).copied().collect();
                dw = dw.max(max_abs(&a, &b));
            }
            let t = (&lx.last_terms - &ly.last_terms).mapv(f64::abs);
            dt = dt.max(t.iter().copied().fold(0.0, f64::max));
        }
        (dw, dt)
    };
    let (dw, dt) = diff(&g, &c);
    let (gw, gt) = diff(&c, &k);
    eprintln!(
        "goal change, 10 steps: GPU vs CPU max |Δweight| {dw:e}, |Δterm| {dt:e} bit; \
         new vs old γ on the CPU {gw:e}, {gt:e} bit"
    );
    assert!(
        dw * 10.0 < gw,
        "weights: GPU vs CPU {dw}, new vs old γ {gw}"
    );
    assert!(dt * 10.0 < gt, "terms: GPU vs CPU {dt}, new vs old γ {gt}");
}
