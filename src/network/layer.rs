//! A layer of infomorphic neurons (method §1–§4): per-source weights, the Graetz or
//! trivariate activation, stochastic ±1 outputs, binning, the θ-weighted histogram and
//! I^sx goal of every neuron, the local gradient through θ, and Adam.

use super::adam::Adam;
use super::sparse::{self, Fanin};
use super::{par, profile};
use crate::pid::{Digits, GoalWeights, Isx, JointShape, NeuronBatch};
use crate::rng::{counter_row_key, counter_uniform_in_row, Stream};
use ndarray::{Array1, Array2, ArrayView2, Axis};

/// θ is clamped to [ε, 1 − ε] (paper); the clamp passes no gradient.
pub const THETA_EPS: f32 = 1e-6;

/// How F (r) and the modulating sources (c, l) combine into the activation A.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activation {
    /// A = r · (k1 + (1 − k1) · 2σ(k2 · r · c)), c the second source.
    Graetz { k1: f32, k2: f32 },
    /// A = r · ((1 − c1 − c2) + c1 σ(w1 r c) + c2 σ(w2 r l)).
    Trivariate { c1: f32, c2: f32, w1: f32, w2: f32 },
}

impl Activation {
    pub const HIDDEN: Activation = Activation::Graetz { k1: 0.9, k2: 2.0 };
    pub const OUTPUT: Activation = Activation::Graetz { k1: 1.0, k2: 2.0 };
    pub const TRIVARIATE: Activation = Activation::Trivariate {
        c1: 0.1,
        c2: 0.1,
        w1: 2.0,
        w2: 2.0,
    };
}

/// How aggregates become histogram bins.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Binning {
    /// Equal bins on [lo, hi]; values outside go to the edge bins.
    Fixed { lo: f32, hi: f32 },
    /// Each source divided by its largest |value| in the batch (per neuron), then [−1, 1].
    MaxAbs,
}

/// The role of an input class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    Feedforward,
    Context,
    Lateral,
}

impl SourceKind {
    /// The letter the paper's term names use for this input class.
    pub fn letter(self) -> &'static str {
        match self {
            SourceKind::Feedforward => "F",
            SourceKind::Context => "C",
            SourceKind::Lateral => "L",
        }
    }
}

/// How a source's weights are set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wiring {
    /// All-to-all, learned.
    Dense,
    /// Fixed identity weights (the output layer's label context): only the bias learns.
    Identity,
    /// Lateral: no self-connection; with `Some(k)` only k random inputs per neuron.
    Lateral(Option<usize>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct SourceConfig {
    pub kind: SourceKind,
    pub dim: usize,
    pub wiring: Wiring,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LayerConfig {
    pub neurons: usize,
    /// In PID order: F first, then C and/or L.
    pub sources: Vec<SourceConfig>,
    pub activation: Activation,
    pub binning: Binning,
    pub bins: usize,
    pub goal: Vec<f64>,
    pub lr: f64,
    pub weight_decay: f64,
}

/// One input class of a layer: weights (neurons × dim), bias, optional mask.
#[derive(Clone, Debug)]
pub struct Source {
    pub config: SourceConfig,
    pub weights: Array2<f32>,
    pub bias: Array1<f32>,
    mask: Option<Array2<f32>>,
    /// The mask's inputs per neuron: the products skip the zeros (src/network/sparse.rs).
    fanin: Option<Fanin>,
    adam_w: Adam,
    adam_b: Adam,
}

/// What a forward pass produced for one batch.
#[derive(Clone, Debug)]
pub struct Forward {
    /// Aggregates per source, batch × neurons.
    pub aggregates: Vec<Array2<f32>>,
    /// Activation A and θ = P(Y = +1), batch × neurons.
    pub activation: Array2<f32>,
    pub theta: Array2<f32>,
}

/// Buffers for the learning step, kept between steps.
struct Scratch {
    bins: Vec<Digits>,
    theta: Vec<f64>,
    dtheta: Vec<f64>,
}

pub struct Layer {
    pub config: LayerConfig,
    pub sources: Vec<Source>,
    /// Goal terms of every neuron at the last learning step (neurons × terms).
    pub last_terms: Array2<f64>,
    batch: NeuronBatch,
    goal: GoalWeights,
    scratch: Scratch,
}

/// Neurons per block and samples per tile when converting between the layer's
/// batch-major and the PID's neuron-major layout.
const BLOCK: usize = 16;
const TILE: usize = 64;

/// Stochastic outputs: 1 with probability θ, else `low` (−1 for infomorphic units, 0 for
/// the backprop baseline), from the counter-based generator under a step's `key`.
/// `offset` is the batch's first sample index, so draws do not depend on batching.
pub fn sample(theta: &Array2<f32>, key: u32, offset: u32, low: f32) -> Array2<f32> {
    profile::stage("sample", || sample_now(theta, key, offset, low))
}

fn sample_now(theta: &Array2<f32>, key: u32, offset: u32, low: f32) -> Array2<f32> {
    let (batch, neurons) = theta.dim();
    let th = theta.as_slice().expect("standard layout");
    let mut out = vec![0.0f32; batch * neurons];
    par::for_rows(&mut out, neurons, |first, chunk| {
        sample_rows(first, chunk, th, neurons, (key, offset), low)
    });
    Array2::from_shape_vec((batch, neurons), out).expect("batch × neurons")
}

par::simd_kernel! {
fn sample_rows(
    first: usize,
    chunk: &mut [f32],
    th: &[f32],
    neurons: usize,
    key: (u32, u32),
    low: f32,
) {
    for (r, row) in chunk.chunks_exact_mut(neurons).enumerate() {
        let b = first + r;
        let row_key = counter_row_key(key.0, key.1 + b as u32);
        let th = &th[b * neurons..(b + 1) * neurons];
        for (n, (y, &t)) in row.iter_mut().zip(th).enumerate() {
            // Branch-free so that it vectorises: exactly 1 or `low`.
            let fire = (counter_uniform_in_row(row_key, n as u32) < t) as u32 as f32;
            *y = low + (1.0 - low) * fire;
        }
    }
}
}

par::simd_kernel! {
fn add_bias_rows(chunk: &mut [f32], bias: &[f32]) {
    for row in chunk.chunks_exact_mut(bias.len()) {
        row.iter_mut().zip(bias).for_each(|(v, b)| *v += b);
    }
}
}

par::simd_kernel! {
/// A and θ for the rows of `out` (activation, θ), starting at element `lo`.
fn activate_rows(activation: Activation, src: &[&[f32]], lo: usize, out: &mut [&mut [f32]]) {
    let hi = lo + out[0].len();
    let (r, c) = (&src[0][lo..hi], &src[1][lo..hi]);
    match activation {
        Activation::Graetz { k1, k2 } => {
            for ((a, &r), &c) in out[0].iter_mut().zip(r).zip(c) {
                *a = r * (k1 + (1.0 - k1) * 2.0 * sigmoid(k2 * r * c));
            }
        }
        Activation::Trivariate { c1, c2, w1, w2 } => {
            let l = &src[2][lo..hi];
            for (((a, &r), &c), &l) in out[0].iter_mut().zip(r).zip(c).zip(l) {
                *a = r * ((1.0 - c1 - c2) + c1 * sigmoid(w1 * r * c) + c2 * sigmoid(w2 * r * l));
            }
        }
    }
    let (a, t) = out.split_at_mut(1);
    for (t, &a) in t[0].iter_mut().zip(a[0].iter()) {
        *t = sigmoid(a).clamp(THETA_EPS, 1.0 - THETA_EPS);
    }
}
}

/// What [`bin_theta_rows`] needs to know about a layer and batch.
struct BinShape {
    batch: usize,
    neurons: usize,
    k: usize,
    binning: Binning,
}

par::simd_kernel! {
/// Bins and θ (as f64) of the `bins.len() / batch` neurons from `first` on,
/// neuron-major. This is a transpose of batch-major rows: the batch is walked in
/// tiles of TILE samples, each tile across all of the task's neurons, so that the
/// batch-major rows are read as contiguous runs once (reading one block of neurons
/// down the whole batch touched a new page per sample and re-read every cache line it
/// shared with the next block: at N = 500 that was most of the stage's time).
/// Neuron-major rows are `batch` apart, often a power of two of bytes: writing them
/// sample by sample hits one cache set, so blocks of BLOCK neurons × TILE samples are
/// built in local tiles and written out as contiguous runs.
fn bin_theta_rows(
    shape: &BinShape,
    src: &[&[f32]],
    theta: &[f32],
    first: usize,
    bins: &mut [Digits],
    theta64: &mut [f64],
) {
    let BinShape {
        batch,
        neurons,
        k,
        binning,
    } = *shape;
    let count = bins.len() / batch;
    let top = (k - 1) as f32;
    let (lo, hi) = match binning {
        Binning::Fixed { lo, hi } => (lo, hi),
        Binning::MaxAbs => (-1.0, 1.0),
    };
    let per_unit = k as f32 / (hi - lo);
    // 1 / max |value| over the batch per source and neuron of the task (MaxAbs), by
    // rows; 1 otherwise.
    let mut scales = vec![1.0f32; src.len() * count];
    if binning == Binning::MaxAbs {
        for (agg, scale) in src.iter().zip(scales.chunks_exact_mut(count)) {
            let mut m = vec![0.0f32; count];
            for b in 0..batch {
                let row = &agg[b * neurons + first..b * neurons + first + count];
                for (m, v) in m.iter_mut().zip(row) {
                    *m = m.max(v.abs());
                }
            }
            for (s, &m) in scale.iter_mut().zip(&m) {
                *s = if m > 0.0 { 1.0 / m } else { 0.0 };
            }
        }
    }
    // Bin indices per source, sample-major inside the tile so that a row of BLOCK
    // neurons is computed as one vector.
    let mut tile_bins = [[0u16; BLOCK * TILE]; 3];
    let mut tile_theta = [0.0f64; BLOCK * TILE];
    for b0 in (0..batch).step_by(TILE) {
        let tb = TILE.min(batch - b0);
        for j0 in (0..count).step_by(BLOCK) {
            let nb = BLOCK.min(count - j0);
            let n0 = first + j0;
            let sources = src.iter().zip(scales.chunks_exact(count));
            for ((agg, scale), tile) in sources.zip(tile_bins.iter_mut()) {
                let scale = &scale[j0..j0 + nb];
                for t in 0..tb {
                    let b = b0 + t;
                    let row = &agg[b * neurons + n0..b * neurons + n0 + nb];
                    let out = &mut tile[t * BLOCK..t * BLOCK + nb];
                    for ((o, &v), &scale) in out.iter_mut().zip(row).zip(scale) {
                        // Truncation is the floor here: negatives go to bin 0, as does
                        // NaN (`max` returns the other operand).
                        let x = ((v * scale - lo) * per_unit).max(0.0).min(top);
                        // SAFETY: x is finite and in [0, k − 1] ⊂ i32's range.
                        *o = unsafe { x.to_int_unchecked::<i32>() } as u16;
                    }
                }
            }
            for t in 0..tb {
                let b = b0 + t;
                let row = &theta[b * neurons + n0..b * neurons + n0 + nb];
                for (j, &th) in row.iter().enumerate() {
                    tile_theta[j * TILE + t] = th as f64;
                }
            }
            for j in 0..nb {
                let at = (j0 + j) * batch + b0;
                for (t, d) in bins[at..at + tb].iter_mut().enumerate() {
                    let i = t * BLOCK + j;
                    *d = [tile_bins[0][i], tile_bins[1][i], tile_bins[2][i], 0];
                }
                theta64[at..at + tb].copy_from_slice(&tile_theta[j * TILE..j * TILE + tb]);
            }
        }
    }
}
}

par::simd_kernel! {
/// dLoss/dA = −∂G/∂θ · θ(1 − θ) for the rows of `chunk` from `first` on (none where θ
/// is clamped). ∂G/∂θ is neuron-major: it is read in tiles (see [`bin_theta_rows`]).
fn loss_gradient_rows(
    theta: &[f32],
    dtheta: &[f64],
    (batch, neurons): (usize, usize),
    first: usize,
    chunk: &mut [f32],
) {
    let rows = chunk.len() / neurons;
    let mut tile = [0.0f32; BLOCK * TILE];
    for r0 in (0..rows).step_by(TILE) {
        let tr = TILE.min(rows - r0);
        for n0 in (0..neurons).step_by(BLOCK) {
            let nb = BLOCK.min(neurons - n0);
            for j in 0..nb {
                let at = (n0 + j) * batch + first + r0;
                for (t, &g) in dtheta[at..at + tr].iter().enumerate() {
                    tile[t * BLOCK + j] = g as f32;
                }
            }
            for t in 0..tr {
                let b = first + r0 + t;
                let th = &theta[b * neurons + n0..b * neurons + n0 + nb];
                let g = &tile[t * BLOCK..t * BLOCK + nb];
                let out = &mut chunk[(r0 + t) * neurons + n0..(r0 + t) * neurons + n0 + nb];
                for ((d, &th), &g) in out.iter_mut().zip(th).zip(g) {
                    let inside = th > THETA_EPS && th < 1.0 - THETA_EPS;
                    *d = if inside { -g * th * (1.0 - th) } else { 0.0 };
                }
            }
        }
    }
}
}

par::simd_kernel! {
/// dLoss/d(aggregate) per source (the rows of `d`) from dLoss/dA `g_all`, from
/// element `lo` on.
fn activation_gradient_rows(
    activation: Activation,
    src: &[&[f32]],
    g_all: &[f32],
    lo: usize,
    d: &mut [&mut [f32]],
) {
    let hi = lo + d[0].len();
    let (r, c, g) = (&src[0][lo..hi], &src[1][lo..hi], &g_all[lo..hi]);
    match activation {
        Activation::Graetz { k1, k2 } => {
            let (dr, dc) = d.split_at_mut(1);
            for ((((dr, dc), &r), &c), &g) in
                dr[0].iter_mut().zip(dc[0].iter_mut()).zip(r).zip(c).zip(g)
            {
                let s = sigmoid(k2 * r * c);
                let ds = 2.0 * (1.0 - k1) * s * (1.0 - s) * k2;
                *dr = g * (k1 + (1.0 - k1) * 2.0 * s + r * ds * c);
                *dc = g * r * ds * r;
            }
        }
        Activation::Trivariate { c1, c2, w1, w2 } => {
            let l = &src[2][lo..hi];
            let (dr, rest) = d.split_at_mut(1);
            let (dc, dl) = rest.split_at_mut(1);
            let outs = dr[0].iter_mut().zip(dc[0].iter_mut()).zip(dl[0].iter_mut());
            for (((dr, dc), dl), (((&rv, &cv), &lv), &g)) in outs.zip(r.iter().zip(c).zip(l).zip(g))
            {
                let s1 = sigmoid(w1 * rv * cv);
                let s2 = sigmoid(w2 * rv * lv);
                let d1 = c1 * s1 * (1.0 - s1) * w1;
                let d2 = c2 * s2 * (1.0 - s2) * w2;
                *dr = g * ((1.0 - c1 - c2) + c1 * s1 + c2 * s2 + rv * (d1 * cv + d2 * lv));
                *dc = g * rv * d1 * rv;
                *dl = g * rv * d2 * rv;
            }
        }
    }
}
}

/// σ(x) = 1 / (1 + e^(−x)), with an exp that compilers vectorise (libm's is a call per
/// element and was a tenth of a training step). Absolute error below 2e-7.
#[inline(always)]
fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

/// e^x as 2^k · 2^f, k = round(x·log2 e), |f| ≤ ½, 2^f by its Taylor series.
#[inline(always)]
fn exp(x: f32) -> f32 {
    const ROUND: f32 = 12_582_912.0; // 1.5·2^23: adding it rounds to an integer
    let t = x.clamp(-87.0, 87.0) * std::f32::consts::LOG2_E; // 2^k stays a normal float
    let big = t + ROUND;
    let k = big - ROUND;
    let f = (t - k) * std::f32::consts::LN_2;
    let mut p = 1.0 / 5040.0;
    p = p * f + 1.0 / 720.0;
    p = p * f + 1.0 / 120.0;
    p = p * f + 1.0 / 24.0;
    p = p * f + 1.0 / 6.0;
    p = p * f + 0.5;
    p = p * f + 1.0;
    p = p * f + 1.0;
    // k sits in the low mantissa bits of `big` (= 1.5·2^23 + k): 2^k without a
    // float → int conversion, whose saturating semantics do not vectorise.
    let k_bits = big.to_bits().wrapping_sub(ROUND.to_bits());
    p * f32::from_bits(k_bits.wrapping_add(127) << 23)
}

impl Source {
    fn new(config: &SourceConfig, neurons: usize, lr: f64, wd: f64, rng: &mut Stream) -> Self {
        let dim = config.dim;
        let bound = 1.0 / (dim.max(1) as f64).sqrt();
        let mut weights =
            Array2::from_shape_fn((neurons, dim), |_| rng.uniform(-bound, bound) as f32);
        let bias = Array1::from_shape_fn(neurons, |_| rng.uniform(-bound, bound) as f32);
        let mask = match config.wiring {
            Wiring::Dense => None,
            Wiring::Identity => {
                weights =
                    Array2::from_shape_fn((neurons, dim), |(i, j)| if i == j { 1.0 } else { 0.0 });
                None
            }
            Wiring::Lateral(k) => {
                weights.diag_mut().fill(0.0);
                // Only a sparse layer needs a stored mask; all-to-all lateral weights just
                // keep a zero diagonal.
                k.filter(|&k| k + 1 < dim).map(|k| {
                    let mask = sparse::lateral_mask(neurons, dim, k, rng);
                    weights *= &mask;
                    mask
                })
            }
        };
        let learn_w = config.wiring != Wiring::Identity;
        let fanin = mask.as_ref().map(Fanin::from_mask);
        Source {
            config: config.clone(),
            adam_w: Adam::new(if learn_w { neurons * dim } else { 0 }, lr, wd),
            adam_b: Adam::new(neurons, lr, wd),
            weights,
            bias,
            mask,
            fanin,
        }
    }

    /// The sparse lateral mask, if any (the GPU engine uploads it).
    pub(crate) fn mask(&self) -> Option<&Array2<f32>> {
        self.mask.as_ref()
    }

    /// The Adam states of the weights and of the bias.
    pub(crate) fn adam(&self) -> (&Adam, &Adam) {
        (&self.adam_w, &self.adam_b)
    }

    pub(crate) fn adam_mut(&mut self) -> (&mut Adam, &mut Adam) {
        (&mut self.adam_w, &mut self.adam_b)
    }

    /// Keeps masked weights at exactly zero: no gradient on the lateral diagonal or
    /// outside a sparse mask.
    fn mask_gradient(&self, gw: &mut Array2<f32>) {
        if let Some(mask) = &self.mask {
            *gw *= mask;
        } else if matches!(self.config.wiring, Wiring::Lateral(_)) {
            gw.diag_mut().fill(0.0);
        }
    }

    /// gᵀ · x, the loss gradient of the weights for the aggregates' gradient g (batch ×
    /// neurons) and the input x (batch × dim); computed at the mask's entries only.
    fn weight_gradient(&self, g: &Array2<f32>, x: ArrayView2<f32>) -> Array2<f32> {
        match &self.fanin {
            Some(fanin) => profile::stage("sparse gᵀ·x", || fanin.weight_gradient(g.view(), x)),
            None => profile::stage("matmul gᵀ·x", || par::matmul(g.t(), x)),
        }
    }

    /// One Adam step along the loss gradient of the weights (masked; none for fixed
    /// weights) and of the bias.
    pub(crate) fn step(&mut self, grad_w: Option<Array2<f32>>, grad_b: Array1<f32>) {
        if let Some(mut gw) = grad_w {
            self.mask_gradient(&mut gw);
            self.adam_w
                .step(self.weights.as_slice_mut().unwrap(), gw.as_slice().unwrap());
        }
        self.adam_b.step(
            self.bias.as_slice_mut().unwrap(),
            grad_b.as_slice().unwrap(),
        );
    }

    /// x · Wᵀ + b for a batch × dim input.
    fn aggregate(&self, x: ArrayView2<f32>) -> Array2<f32> {
        // Standard layout: the rest of the layer indexes rows.
        let mut a = match &self.fanin {
            Some(fanin) => profile::stage("sparse x·Wᵀ", || fanin.product(x, &self.weights)),
            None => profile::stage("matmul x·Wᵀ", || par::matmul(x, self.weights.t())),
        };
        let bias = self.bias.as_slice().expect("standard layout");
        let width = bias.len();
        profile::stage("bias add", || {
            par::for_rows(
                a.as_slice_mut().expect("standard layout"),
                width,
                |_, chunk| add_bias_rows(chunk, bias),
            )
        });
        a
    }
}

/// A copy of the parameters, Adam states, goal and last terms; the step buffers are
/// per copy (they hold nothing between steps).
impl Clone for Layer {
    fn clone(&self) -> Self {
        Layer {
            config: self.config.clone(),
            sources: self.sources.clone(),
            last_terms: self.last_terms.clone(),
            batch: NeuronBatch::new(self.batch.isx().clone()),
            goal: self.goal.clone(),
            scratch: Scratch {
                bins: Vec::new(),
                theta: Vec::new(),
                dtheta: Vec::new(),
            },
        }
    }
}

impl Layer {
    pub fn new(config: LayerConfig, init_seed: u64) -> Result<Self, String> {
        let n_src = config.sources.len();
        let expected = match config.activation {
            Activation::Graetz { .. } => 2,
            Activation::Trivariate { .. } => 3,
        };
        if n_src != expected {
            return Err(format!(
                "this activation needs {expected} sources, got {n_src}"
            ));
        }
        if config.neurons == 0 {
            return Err("a layer needs at least one neuron".into());
        }
        if !(2..=1000).contains(&config.bins) {
            return Err(format!("bins must be 2 to 1000, got {}", config.bins));
        }
        let isx = Isx::new(JointShape::new(&vec![config.bins; n_src], 2).map_err(|e| e.0)?);
        let goal = isx.goal_weights(&config.goal).map_err(|e| e.0)?;
        let mut rng = Stream::new(init_seed);
        let sources = config
            .sources
            .iter()
            .map(|s| Source::new(s, config.neurons, config.lr, config.weight_decay, &mut rng))
            .collect();
        Ok(Layer {
            sources,
            last_terms: Array2::zeros((0, 0)),
            batch: NeuronBatch::new(isx),
            goal,
            scratch: Scratch {
                bins: Vec::new(),
                theta: Vec::new(),
                dtheta: Vec::new(),
            },
            config,
        })
    }

    pub fn neurons(&self) -> usize {
        self.config.neurons
    }

    /// Replaces the goal γ (term order) while training runs; the page's goal editor
    /// uses it. Refuses a γ of the wrong length or with non-finite entries.
    pub fn set_goal(&mut self, gamma: &[f64]) -> Result<(), String> {
        if let Some(i) = gamma.iter().position(|g| !g.is_finite()) {
            return Err(format!("γ[{i}] is not a finite number"));
        }
        self.goal = self.batch.isx().goal_weights(gamma).map_err(|e| e.0)?;
        self.config.goal = gamma.to_vec();
        Ok(())
    }

    pub fn term_count(&self) -> usize {
        self.goal.gamma().len()
    }

    /// Aggregates, activation and θ for inputs given per source (batch × dim each).
    pub fn forward(&self, inputs: &[ArrayView2<f32>]) -> Forward {
        self.forward_from(self.aggregates(inputs))
    }

    /// x_s · W_sᵀ + b_s for every source.
    pub fn aggregates(&self, inputs: &[ArrayView2<f32>]) -> Vec<Array2<f32>> {
        self.sources
            .iter()
            .zip(inputs)
            .map(|(s, x)| s.aggregate(*x))
            .collect()
    }

    /// The aggregate of one source only (the lateral one changes between recurrent
    /// steps while F and C stay the same).
    pub fn aggregate(&self, source: usize, x: ArrayView2<f32>) -> Array2<f32> {
        self.sources[source].aggregate(x)
    }

    /// The bias of a source broadcast over a batch: its aggregate for an all-zero input.
    pub fn bias_aggregate(&self, source: usize, batch: usize) -> Array2<f32> {
        let b = &self.sources[source].bias;
        b.broadcast((batch, b.len()))
            .expect("bias broadcasts")
            .to_owned()
    }

    /// Activation and θ from given aggregates.
    pub fn forward_from(&self, aggregates: Vec<Array2<f32>>) -> Forward {
        let (activation, theta) = self.activate(&aggregates);
        Forward {
            aggregates,
            activation,
            theta,
        }
    }

    /// θ alone from given aggregates (the first recurrent step keeps its aggregates).
    pub fn theta_from(&self, aggregates: &[Array2<f32>]) -> Array2<f32> {
        self.activate(aggregates).1
    }

    /// The two recurrent steps of a layer whose last source is lateral, given the other
    /// sources' inputs: step 1 with lateral input 0 (the lateral aggregate is its bias),
    /// step 2 with step 1's outputs `sample(θ₁)`. The other aggregates serve both steps.
    /// Returns step 2's forward pass and step 1's outputs (step 2's lateral input).
    pub fn forward_recurrent(
        &self,
        inputs: &[ArrayView2<f32>],
        sample: impl FnOnce(&Array2<f32>) -> Array2<f32>,
    ) -> (Forward, Array2<f32>) {
        let lateral = inputs.len();
        let batch = inputs[0].nrows();
        let mut aggregates = self.aggregates(inputs);
        aggregates.push(self.bias_aggregate(lateral, batch));
        let y1 = sample(&self.theta_from(&aggregates));
        aggregates[lateral] = self.aggregate(lateral, y1.view());
        (self.forward_from(aggregates), y1)
    }

    /// Activation A and θ = σ(A) clamped to [ε, 1 − ε], batch × neurons each.
    fn activate(&self, aggregates: &[Array2<f32>]) -> (Array2<f32>, Array2<f32>) {
        profile::stage("activation, θ", || self.activate_now(aggregates))
    }

    fn activate_now(&self, aggregates: &[Array2<f32>]) -> (Array2<f32>, Array2<f32>) {
        let dim = aggregates[0].dim();
        let neurons = dim.1;
        let src: Vec<&[f32]> = aggregates
            .iter()
            .map(|a| a.as_slice().expect("standard layout"))
            .collect();
        let (mut act, mut theta) = (vec![0.0f32; dim.0 * dim.1], vec![0.0f32; dim.0 * dim.1]);
        let activation = self.config.activation;
        par::for_rows_many(&mut [&mut act, &mut theta], neurons, |first, out| {
            activate_rows(activation, &src, first * neurons, out)
        });
        (
            Array2::from_shape_vec(dim, act).expect("batch × neurons"),
            Array2::from_shape_vec(dim, theta).expect("batch × neurons"),
        )
    }

    /// Bins every neuron's sources and converts θ for the PID, both neuron-major
    /// (`bins[n·B + b]`, `theta[n·B + b]`), reading the batch-major aggregates in
    /// blocks of neurons that share cache lines.
    pub fn bin_and_theta(&self, fwd: &Forward, bins: &mut Vec<Digits>, theta64: &mut Vec<f64>) {
        let (batch, neurons) = fwd.theta.dim();
        let k = self.config.bins;
        let binning = self.config.binning;
        let src: Vec<&[f32]> = fwd
            .aggregates
            .iter()
            .map(|a| a.as_slice().expect("standard layout"))
            .collect();
        let theta = fwd.theta.as_slice().expect("standard layout");
        bins.clear();
        bins.resize(batch * neurons, [0; 4]);
        theta64.clear();
        theta64.resize(batch * neurons, 0.0);
        let shape = BinShape {
            batch,
            neurons,
            k,
            binning,
        };
        // Whole tiles of 64 neurons per task: a task reads its neurons' part of every
        // batch-major row, so fewer, wider tasks read each cache line once.
        par::for_rows2(
            bins,
            batch,
            theta64,
            batch,
            4 * BLOCK,
            |first, bins, theta64| bin_theta_rows(&shape, &src, theta, first, bins, theta64),
        );
    }

    /// One local learning step on a batch: the goal of every neuron, its gradient
    /// through θ to weights and biases, and an Adam update. Returns the goal terms,
    /// neurons × terms.
    pub fn learn(&mut self, inputs: &[ArrayView2<f32>], fwd: &Forward) -> Array2<f64> {
        let (batch, neurons) = fwd.theta.dim();
        let terms = self.term_count();
        let mut bins = std::mem::take(&mut self.scratch.bins);
        let mut theta64 = std::mem::take(&mut self.scratch.theta);
        profile::stage("bin, θ to f64", || {
            self.bin_and_theta(fwd, &mut bins, &mut theta64)
        });
        let sc = &mut self.scratch;
        sc.dtheta.clear();
        sc.dtheta.resize(batch * neurons, 0.0);
        let mut out = Array2::zeros((neurons, terms));
        profile::stage("pid", || {
            self.batch.goal_from_samples(
                &bins,
                &theta64,
                &self.goal,
                out.as_slice_mut().expect("standard layout"),
                &mut sc.dtheta,
            )
        });
        self.scratch.bins = bins;
        self.scratch.theta = theta64;
        // dLoss/dA with loss = −Σ G; the clamp passes no gradient.
        let theta = fwd.theta.as_slice().expect("standard layout");
        let dtheta = &self.scratch.dtheta;
        let mut d_a = vec![0.0f32; batch * neurons];
        profile::stage("dA", || {
            par::for_rows(&mut d_a, neurons, |first, chunk| {
                loss_gradient_rows(theta, dtheta, (batch, neurons), first, chunk)
            })
        });
        let d_a = Array2::from_shape_vec((batch, neurons), d_a).expect("batch × neurons");
        let grads = profile::stage("activation grads", || {
            self.activation_gradients(&fwd.aggregates, &d_a)
        });
        for ((source, grad), x) in self.sources.iter_mut().zip(&grads).zip(inputs) {
            let gw = (source.config.wiring != Wiring::Identity)
                .then(|| source.weight_gradient(grad, *x));
            let gb = profile::stage("bias grad", || grad.sum_axis(Axis(0)));
            profile::stage("adam", || source.step(gw, gb));
        }
        self.last_terms.clone_from(&out);
        out
    }

    /// dLoss/d(aggregate) per source from dLoss/dA.
    pub fn activation_gradients(&self, agg: &[Array2<f32>], d_a: &Array2<f32>) -> Vec<Array2<f32>> {
        let shape = agg[0].dim();
        let neurons = shape.1;
        let src: Vec<&[f32]> = agg
            .iter()
            .map(|a| a.as_slice().expect("standard layout"))
            .collect();
        let g_all = d_a.as_slice().expect("standard layout");
        let mut out: Vec<Vec<f32>> = vec![vec![0.0; agg[0].len()]; src.len()];
        let activation = self.config.activation;
        let mut views: Vec<&mut [f32]> = out.iter_mut().map(|v| v.as_mut_slice()).collect();
        par::for_rows_many(&mut views, neurons, |first, d| {
            activation_gradient_rows(activation, &src, g_all, first * neurons, d)
        });
        out.into_iter()
            .map(|v| Array2::from_shape_vec(shape, v).expect("same shape"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn layer(activation: Activation, sources: usize) -> Layer {
        let src = |kind| SourceConfig {
            kind,
            dim: 3,
            wiring: Wiring::Dense,
        };
        let kinds = [
            SourceKind::Feedforward,
            SourceKind::Context,
            SourceKind::Lateral,
        ];
        Layer::new(
            LayerConfig {
                neurons: 2,
                sources: kinds[..sources].iter().map(|&k| src(k)).collect(),
                activation,
                binning: Binning::MaxAbs,
                bins: 5,
                goal: vec![0.0; if sources == 3 { 19 } else { 5 }],
                lr: 0.0,
                weight_decay: 0.0,
            },
            1,
        )
        .unwrap()
    }

    /// dA/d(aggregate) against central differences of the activation itself.
    #[test]
    fn activation_gradients_match_finite_differences() {
        for (activation, n_src) in [
            (Activation::HIDDEN, 2),
            (Activation::Graetz { k1: 0.5, k2: 3.0 }, 2),
            (Activation::TRIVARIATE, 3),
            (
                Activation::Trivariate {
                    c1: 0.3,
                    c2: 0.2,
                    w1: 1.5,
                    w2: 0.7,
                },
                3,
            ),
        ] {
            let l = layer(activation, n_src);
            let values = [-1.7f32, -0.4, 0.3, 1.1, 2.2];
            for (i, &r) in values.iter().enumerate() {
                let agg: Vec<Array2<f32>> = (0..n_src)
                    .map(|s| {
                        let v = if s == 0 {
                            r
                        } else {
                            values[(i + s * 2) % values.len()]
                        };
                        Array2::from_elem((1, 1), v)
                    })
                    .collect();
                let grads = l.activation_gradients(&agg, &Array2::from_elem((1, 1), 1.0));
                for s in 0..n_src {
                    let h = 1e-2f32;
                    let mut up = agg.clone();
                    up[s][[0, 0]] += h;
                    let mut down = agg.clone();
                    down[s][[0, 0]] -= h;
                    let fd = (l.forward_from(up).activation[[0, 0]]
                        - l.forward_from(down).activation[[0, 0]])
                        / (2.0 * h);
                    let got = grads[s][[0, 0]];
                    assert!(
                        (fd - got).abs() < 2e-3 * (1.0 + got.abs()),
                        "{activation:?} source {s} at r={r}: {got} vs {fd}"
                    );
                }
            }
        }
    }

    #[test]
    fn fast_exp_and_sigmoid_are_accurate() {
        let mut worst: f32 = 0.0;
        for i in -2000..=2000 {
            let x = i as f32 * 0.02;
            worst = worst.max((exp(x) - x.exp()).abs() / x.exp());
            let s = 1.0 / (1.0 + (-x as f64).exp());
            assert!((sigmoid(x) as f64 - s).abs() < 2e-7, "σ({x})");
        }
        // f32 rounding of x·log2(e) dominates for large |x|.
        assert!(worst < 4e-6, "{worst}");
        assert!(sigmoid(200.0) == 1.0 && sigmoid(-200.0) < 1e-37);
        assert!(exp(1000.0).is_finite() && exp(-1000.0) >= 0.0);
    }

    #[test]
    fn lateral_mask_has_no_self_connection_and_k_inputs() {
        let config = SourceConfig {
            kind: SourceKind::Lateral,
            dim: 10,
            wiring: Wiring::Lateral(Some(3)),
        };
        let s = Source::new(&config, 10, 0.1, 0.0, &mut Stream::new(4));
        let dense = Source::new(
            &SourceConfig {
                wiring: Wiring::Lateral(None),
                ..config.clone()
            },
            10,
            0.1,
            0.0,
            &mut Stream::new(4),
        );
        assert!(dense.mask.is_none());
        let mut g = Array2::ones((10, 10));
        dense.mask_gradient(&mut g);
        assert_eq!(g.sum(), 90.0);
        assert!((0..10).all(|i| dense.weights[[i, i]] == 0.0 && g[[i, i]] == 0.0));
        let mask = s.mask.as_ref().unwrap();
        for i in 0..10 {
            assert_eq!(mask[[i, i]], 0.0);
            assert_eq!(mask.row(i).sum(), 3.0);
            for j in 0..10 {
                if mask[[i, j]] == 0.0 {
                    assert_eq!(s.weights[[i, j]], 0.0);
                }
            }
        }
    }

    #[test]
    fn binning_edges() {
        let mut l = layer(Activation::HIDDEN, 2);
        l.config.binning = Binning::Fixed {
            lo: -20.0,
            hi: 20.0,
        };
        l.config.bins = 20;
        let agg = vec![
            Array2::from_shape_vec((4, 1), vec![-25.0, -20.0, 0.0, 19.999]).unwrap(),
            Array2::from_shape_vec((4, 1), vec![20.0, 1.9, 2.0, 100.0]).unwrap(),
        ];
        let mut bins = Vec::new();
        let mut theta = Vec::new();
        let fwd = l.forward_from(agg.clone());
        l.bin_and_theta(&fwd, &mut bins, &mut theta);
        let f: Vec<u16> = bins.iter().map(|d| d[0]).collect();
        let c: Vec<u16> = bins.iter().map(|d| d[1]).collect();
        assert_eq!(f, [0, 0, 10, 19]);
        assert_eq!(c, [19, 10, 11, 19]);
        l.config.binning = Binning::MaxAbs;
        l.bin_and_theta(&fwd, &mut bins, &mut theta);
        let f: Vec<u16> = bins.iter().map(|d| d[0]).collect();
        assert_eq!(f, [0, 2, 10, 17]);
    }

    /// The blocked, parallel binning against a direct per-neuron loop, for neuron
    /// counts that are not multiples of the block.
    #[test]
    fn blocked_binning_matches_direct() {
        let mut rng = Stream::new(3);
        for (neurons, batch) in [(1, 5), (17, 33), (37, 50), (70, 9)] {
            let mut l = layer(Activation::TRIVARIATE, 3);
            l.config.neurons = neurons;
            l.config.bins = 7;
            let agg: Vec<Array2<f32>> = (0..3)
                .map(|_| Array2::from_shape_fn((batch, neurons), |_| rng.uniform(-3.0, 3.0) as f32))
                .collect();
            let fwd = l.forward_from(agg.clone());
            for binning in [Binning::MaxAbs, Binning::Fixed { lo: -2.0, hi: 2.5 }] {
                l.config.binning = binning;
                let (mut bins, mut theta) = (Vec::new(), Vec::new());
                l.bin_and_theta(&fwd, &mut bins, &mut theta);
                for n in 0..neurons {
                    for b in 0..batch {
                        assert_eq!(theta[n * batch + b], fwd.theta[[b, n]] as f64);
                        for (s, a) in agg.iter().enumerate() {
                            let (lo, hi, scale) = match binning {
                                Binning::Fixed { lo, hi } => (lo, hi, 1.0),
                                Binning::MaxAbs => {
                                    let m = a.column(n).fold(0.0f32, |m, v| m.max(v.abs()));
                                    (-1.0, 1.0, 1.0 / m)
                                }
                            };
                            let want = ((a[[b, n]] * scale - lo) * 7.0 / (hi - lo)).clamp(0.0, 6.0);
                            assert_eq!(bins[n * batch + b][s], want as u16);
                        }
                    }
                }
            }
        }
    }
}
