//! One training run in the browser: the [`Session`] class the page's worker drives.
//!
//! Everything the page needs from a network goes through [`Backend`]: the CPU engine
//! ([`Network`]) or the WebGPU engine ([`Engine`], chosen by the asynchronous
//! `Session.useGpu` when the browser has an adapter and the model runs there). On the
//! GPU, `tick` queues several steps, then awaits one small metrics readback (per-neuron
//! goal terms); the views' weights, histograms, decision maps and exports come from a
//! CPU copy of the network refreshed at most every [`REFRESH_MS`] and at every epoch
//! end, which is also what the end-of-epoch evaluation runs on (as on the CPU engine).
//! A lost device continues on the CPU engine from the last copy, with a notice.
//!
//! Training follows `network::train` exactly (same shuffles from the data seed, same
//! batches), so a configuration trained here and with `infomorph train --config` sees
//! the same data in the same order. Evaluation is spread over several calls so that no
//! call runs long; its stochastic draws therefore differ from the command line's.

use crate::data::idx::{read_idx_images, read_idx_labels};
use crate::engine::{Engine, EnginePreference};
use crate::network::export::LayerDump;
use crate::network::layer::{self, Activation, Binning, Layer};
use crate::network::model::{one_hot, ModelKind, Network, RunConfig};
use crate::network::train::{check_goals, view, EpochMetrics};
use crate::pid::Lattice;
use crate::rng::{counter_key, Stream};
use crate::tasks::{self, TaskData};
use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// At most this many training samples are used for the train accuracy and the
/// neuron histograms (evenly spaced over the training set).
const TRAIN_EVAL_SAMPLES: usize = 2048;
/// Rows per evaluation call.
const EVAL_CHUNK: usize = 256;
/// Samples in a neuron's histogram.
const HISTOGRAM_SAMPLES: usize = 1024;
/// GPU engine: the CPU copy the views read is refreshed at most this often (ms).
const REFRESH_MS: f64 = 400.0;
/// GPU engine: at most this many steps are queued before a metrics readback.
const MAX_QUEUED: usize = 64;
/// GPU engine: a job (queued steps and their readback) quicker than the first value
/// (ms) doubles the steps per job, one slower than the second halves them.
const JOB_MS: (f64, f64) = (120.0, 400.0);

fn now_ms() -> f64 {
    js_sys::Date::now()
}

fn err(message: impl std::fmt::Display) -> JsError {
    JsError::new(&message.to_string())
}

/// Activation parameters the page can change (the paper's values by default).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ActivationParams {
    pub k1: f32,
    pub k2: f32,
    pub c1: f32,
    pub c2: f32,
    pub w1: f32,
    pub w2: f32,
}

impl Default for ActivationParams {
    fn default() -> Self {
        ActivationParams {
            k1: 0.9,
            k2: 2.0,
            c1: 0.1,
            c2: 0.1,
            w1: 2.0,
            w2: 2.0,
        }
    }
}

/// The engine behind a session.
enum Backend {
    Cpu(Box<Network>),
    Gpu(Box<GpuBackend>),
}

/// The WebGPU engine and the CPU copy of its network that the views read.
struct GpuBackend {
    /// `None` while a `tick` awaits a readback (the engine is moved into the future).
    engine: Option<Engine>,
    view: Box<Network>,
    /// Steps queued on the engine (the session's step count).
    steps: u32,
    /// When `view` was last refreshed (ms).
    refreshed: f64,
    /// A γ set while the engine was busy, applied when it returns.
    pending_goal: Option<Vec<f64>>,
    /// The activation changed: the GPU network is rebuilt at the next tick.
    rebuild: bool,
    /// Steps queued per readback: doubled while a job takes under the tick's budget.
    chunk: usize,
}

impl Backend {
    fn name(&self) -> &'static str {
        match self {
            Backend::Cpu(_) => "cpu",
            Backend::Gpu(_) => "webgpu",
        }
    }

    fn network(&self) -> &Network {
        match self {
            Backend::Cpu(net) => net,
            Backend::Gpu(g) => &g.view,
        }
    }

    fn network_mut(&mut self) -> &mut Network {
        match self {
            Backend::Cpu(net) => net,
            Backend::Gpu(g) => &mut g.view,
        }
    }

    fn steps(&self) -> u32 {
        match self {
            Backend::Cpu(net) => net.steps(),
            Backend::Gpu(g) => g.steps,
        }
    }

    fn train_batch(&mut self, x: ArrayView2<f32>, labels: &[u8]) -> (Vec<f64>, Vec<f64>) {
        let t = self.network_mut().train_batch(x, labels);
        (t.hidden, t.output)
    }

    fn predict_theta(&mut self, x: ArrayView2<f32>, eval_step: u32) -> Array2<f32> {
        self.network_mut().predict_theta(x, eval_step)
    }

    fn set_goal(&mut self, gamma: &[f64]) -> Result<(), String> {
        match self.network_mut().hidden.as_mut() {
            Some(layer) => layer.set_goal(gamma)?,
            None => return Err("this model has no hidden layer with a goal".into()),
        }
        if let Backend::Gpu(g) = self {
            match g.engine.as_mut() {
                Some(engine) => engine.set_goal(gamma)?,
                None => g.pending_goal = Some(gamma.to_vec()),
            }
        }
        Ok(())
    }

    fn set_activation(&mut self, a: &ActivationParams) {
        if let Backend::Gpu(g) = self {
            g.rebuild = true;
        }
        set_activation(self.network_mut(), a);
    }

    /// The layer whose atoms the page shows: the hidden layer when it learns with a
    /// local goal, else the output layer (`readout`, `random-projection`, `backprop`).
    fn shown_layer(&self) -> &Layer {
        let net = self.network();
        match (&net.hidden, net.config.model) {
            (Some(h), kind)
                if kind.goal_family().is_some() && kind != ModelKind::RandomProjection =>
            {
                h
            }
            _ => &net.output,
        }
    }

    /// The layer whose feed-forward weights are the receptive fields: the hidden layer
    /// if there is one.
    fn fields_layer(&self) -> &Layer {
        let net = self.network();
        net.hidden.as_ref().unwrap_or(&net.output)
    }
}

/// Sets the hidden layer's activation parameters.
fn set_activation(net: &mut Network, a: &ActivationParams) {
    if let Some(layer) = net.hidden.as_mut() {
        layer.config.activation = match layer.config.activation {
            Activation::Graetz { .. } => Activation::Graetz { k1: a.k1, k2: a.k2 },
            Activation::Trivariate { .. } => Activation::Trivariate {
                c1: a.c1,
                c2: a.c2,
                w1: a.w1,
                w2: a.w2,
            },
        };
    }
}

/// Evaluation in progress: part 0 = train subset, 1 = validation, 2 = test.
struct Eval {
    part: usize,
    pos: usize,
    theta: Vec<f32>,
}

/// A training run in the page: a task, a network, and where training stands.
struct State {
    backend: Backend,
    config: RunConfig,
    activation: ActivationParams,
    task: TaskData,
    train_eval_x: Vec<f32>,
    train_eval_y: Vec<u8>,
    /// Epochs completed (training and evaluation).
    epoch: usize,
    order: Vec<usize>,
    /// Position of the next batch in `order`; 0 starts a new epoch.
    pos: usize,
    epoch_hidden: Vec<f64>,
    epoch_output: Vec<f64>,
    epoch_steps: usize,
    epoch_ms: f64,
    eval: Option<Eval>,
    metrics: Vec<EpochMetrics>,
    accuracy: [Option<f64>; 3],
    confusion: Vec<u32>,
    flip: Vec<bool>,
    last_hidden: Vec<f64>,
    last_output: Vec<f64>,
    error: Option<String>,
    rate_steps: usize,
    rate_ms: f64,
    steps_per_second: f64,
    adapter: String,
    /// Engine choice and fallback messages, oldest first.
    notices: Vec<String>,
}

fn task_by_name(name: &str, seed: u64) -> Result<TaskData, String> {
    match name {
        "digits8" => Ok(tasks::mnist::digits8(seed)),
        "mnist10k" | "mnist" => Err(format!(
            "task '{name}' needs its image files: use Session.withIdx"
        )),
        _ => tasks::toy::by_name(name, seed).ok_or_else(|| {
            format!(
                "unknown task '{name}' (known: mnist10k, digits8, {})",
                tasks::toy::NAMES.join(", ")
            )
        }),
    }
}

fn parse_config(json: &str) -> Result<RunConfig, JsError> {
    serde_json::from_str(json).map_err(|e| err(format!("invalid config: {e}")))
}

impl State {
    /// A session on a built-in task (every toy task and `digits8`), from a config in
    /// the JSON schema of `infomorph train --config`.
    pub fn new(config_json: &str) -> Result<State, JsError> {
        let config = parse_config(config_json)?;
        let task = task_by_name(&config.task, config.data_seed).map_err(err)?;
        State::build(config, task)
    }

    /// A session on images in IDX files (MNIST-10k fetched from the page's origin, or
    /// the user's own): square images of any size and labels 0..=9. Without test files
    /// the first 80 % of each class form the training pool and the rest the test set
    /// (the MNIST-10k split); 20 % of the pool is held out for validation.
    pub fn with_idx(
        config_json: &str,
        images: &[u8],
        labels: &[u8],
        test_images: Option<Vec<u8>>,
        test_labels: Option<Vec<u8>>,
    ) -> Result<State, JsError> {
        let config = parse_config(config_json)?;
        let images = read_idx_images(images).map_err(|e| err(format!("images: {e}")))?;
        let labels = read_idx_labels(labels).map_err(|e| err(format!("labels: {e}")))?;
        if images.rows != images.cols || images.rows == 0 {
            return Err(err(format!(
                "images are {}×{}; square images are needed",
                images.rows, images.cols
            )));
        }
        if images.count != labels.len() {
            return Err(err(format!(
                "{} images but {} labels",
                images.count,
                labels.len()
            )));
        }
        let side = images.rows;
        let dim = side * side;
        let (train, train_labels, test, test_labels) = match (test_images, test_labels) {
            (Some(ti), Some(tl)) => {
                let ti = read_idx_images(&ti).map_err(|e| err(format!("test images: {e}")))?;
                let tl = read_idx_labels(&tl).map_err(|e| err(format!("test labels: {e}")))?;
                if (ti.rows, ti.cols) != (side, side) || ti.count != tl.len() {
                    return Err(err("test images and labels do not match the training set"));
                }
                (images.pixels, labels, ti.pixels, tl)
            }
            (None, None) => {
                let d = crate::data::mnist10k::split_images(&images.pixels, &labels, dim);
                (d.train_images, d.train_labels, d.test_images, d.test_labels)
            }
            _ => return Err(err("give both test images and test labels, or neither")),
        };
        if train_labels.len() < 5 {
            return Err(err("need at least 5 training images"));
        }
        let classes = 1 + *train_labels.iter().chain(&test_labels).max().unwrap_or(&0) as usize;
        let imgs = tasks::mnist::Images {
            train: &train,
            train_labels: &train_labels,
            test: &test,
            test_labels: &test_labels,
            side,
            max: 255.0,
        };
        let name = config.task.clone();
        let task = tasks::mnist::split_and_standardise(&name, &imgs, classes, config.data_seed);
        State::build(config, task)
    }

    /// A session on a table of numbers (the user's CSV): `x` holds `dim` features per
    /// row, `y` one class 0..=255 per row. Rows are shuffled by the data seed and split
    /// 60/20/20 into training, validation and test; features are standardised with the
    /// training part's mean and standard deviation.
    pub fn with_table(
        config_json: &str,
        x: Vec<f32>,
        y: Vec<u8>,
        dim: usize,
    ) -> Result<State, JsError> {
        let config = parse_config(config_json)?;
        let rows = y.len();
        if dim == 0 || x.len() != rows * dim {
            return Err(err(format!(
                "{} values do not make {rows} rows of {dim} features",
                x.len()
            )));
        }
        if rows < 5 {
            return Err(err("need at least 5 rows"));
        }
        if let Some(i) = x.iter().position(|v| !v.is_finite()) {
            return Err(err(format!(
                "row {}, column {}: not a finite number",
                i / dim + 1,
                i % dim + 1
            )));
        }
        let mut order: Vec<usize> = (0..rows).collect();
        Stream::new(config.data_seed).shuffle(&mut order);
        let n_test = rows / 5;
        let n_val = rows / 5;
        let n_train = rows - n_test - n_val;
        let mut mean = vec![0f64; dim];
        let mut var = vec![0f64; dim];
        for &i in &order[..n_train] {
            for (d, m) in mean.iter_mut().enumerate() {
                *m += x[i * dim + d] as f64;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n_train as f64);
        for &i in &order[..n_train] {
            for (d, v) in var.iter_mut().enumerate() {
                *v += (x[i * dim + d] as f64 - mean[d]).powi(2);
            }
        }
        let std: Vec<f64> = var
            .iter()
            .map(|v| (v / n_train as f64).sqrt().max(1e-12))
            .collect();
        let gather = |idx: &[usize]| {
            let mut xs = Vec::with_capacity(idx.len() * dim);
            let mut ys = Vec::with_capacity(idx.len());
            for &i in idx {
                xs.extend((0..dim).map(|d| ((x[i * dim + d] as f64 - mean[d]) / std[d]) as f32));
                ys.push(y[i]);
            }
            (xs, ys)
        };
        let (train_x, train_y) = gather(&order[..n_train]);
        let (val_x, val_y) = gather(&order[n_train..n_train + n_val]);
        let (test_x, test_y) = gather(&order[n_train + n_val..]);
        let side = (dim as f64).sqrt().round() as usize;
        let task = TaskData {
            name: config.task.clone(),
            dim,
            classes: 1 + *y.iter().max().unwrap_or(&0) as usize,
            train_x,
            train_y,
            val_x,
            val_y,
            test_x,
            test_y,
            image: (side >= 4 && side * side == dim).then_some((side, side)),
        };
        State::build(config, task)
    }

    /// Steps completed so far.
    pub fn step(&self) -> u32 {
        self.backend.steps()
    }

    /// Works for about `budget_ms` milliseconds (at least one unit of work): training
    /// steps, and at the end of each epoch the evaluation, in chunks. Stops early after
    /// `max_steps` training steps or when the run ends (epochs reached, or an error).
    /// Returns the number of training steps taken.
    pub fn tick_cpu(&mut self, budget_ms: f64, max_steps: u32) -> u32 {
        let start = now_ms();
        let mut steps = 0u32;
        loop {
            if self.finished() {
                break;
            }
            if self.eval.is_some() {
                self.eval_chunk();
            } else {
                if steps >= max_steps {
                    break;
                }
                let t0 = now_ms();
                self.train_one();
                let dt = now_ms() - t0;
                steps += 1;
                self.epoch_ms += dt;
                self.rate_steps += 1;
                self.rate_ms += dt;
                if self.rate_ms >= 500.0 || self.rate_steps >= 200 {
                    self.steps_per_second =
                        self.rate_steps as f64 * 1000.0 / self.rate_ms.max(1e-3);
                    self.rate_steps = 0;
                    self.rate_ms = 0.0;
                }
            }
            if now_ms() - start >= budget_ms {
                break;
            }
        }
        steps
    }

    /// Whether training has ended: `epochs` reached (0 = no limit) or an error.
    pub fn finished(&self) -> bool {
        self.error.is_some()
            || (self.config.epochs > 0 && self.epoch >= self.config.epochs && self.eval.is_none())
    }

    /// Replaces the hidden layer's γ (term order) while training runs.
    pub fn set_goal(&mut self, gamma: Vec<f64>) -> Result<(), JsError> {
        self.backend.set_goal(&gamma).map_err(err)?;
        self.config.gamma = Some(gamma);
        Ok(())
    }

    /// Sets the hidden layer's activation parameters (JSON `{k1,k2,c1,c2,w1,w2}`, any
    /// subset) while training runs.
    pub fn set_activation(&mut self, json: &str) -> Result<(), JsError> {
        let a: ActivationParams =
            serde_json::from_str(json).map_err(|e| err(format!("activation: {e}")))?;
        for (name, v) in [
            ("k1", a.k1),
            ("k2", a.k2),
            ("c1", a.c1),
            ("c2", a.c2),
            ("w1", a.w1),
            ("w2", a.w2),
        ] {
            if !v.is_finite() {
                return Err(err(format!("activation {name} is not a finite number")));
            }
        }
        self.backend.set_activation(&a);
        self.activation = a;
        Ok(())
    }

    /// Records the WebGPU adapter the page detected (shown with the engine).
    pub fn set_adapter(&mut self, adapter: String) {
        self.adapter = adapter;
    }

    /// The resolved config (the `infomorph train --config` schema) as JSON.
    pub fn config_json(&self) -> String {
        serde_json::to_string(&self.config).unwrap_or_default()
    }

    /// Where training stands, as JSON: step, epoch, accuracies, the atoms of every
    /// shown neuron, term names, the epoch history, the confusion matrix, …
    pub fn stats_json(&self) -> String {
        let layer = self.backend.shown_layer();
        let n_src = layer.sources.len();
        let lattice = Lattice::new(n_src);
        let atoms: Vec<Vec<Option<f64>>> = layer
            .last_terms
            .rows()
            .into_iter()
            .map(|r| r.iter().map(|v| finite(*v)).collect())
            .collect();
        let gamma = layer.config.goal.clone();
        let mean_terms = if !std::ptr::eq(layer, &self.backend.network().output) {
            &self.last_hidden
        } else {
            &self.last_output
        };
        let goal: f64 = gamma.iter().zip(mean_terms).map(|(g, t)| g * t).sum();
        let source_names: Vec<&str> = layer
            .sources
            .iter()
            .map(|s| s.config.kind.letter())
            .collect();
        let task = &self.task;
        json!({
            "step": self.step(),
            "epoch": self.epoch,
            "epoch_progress": if self.order.is_empty() { 0.0 } else { self.pos as f64 / self.order.len() as f64 },
            "evaluating": self.eval.is_some(),
            "finished": self.finished(),
            "error": self.error,
            "engine": self.backend.name(),
            "adapter": self.adapter,
            "notices": self.notices,
            "steps_per_second": self.steps_per_second,
            "accuracy": {"train": self.accuracy[0], "val": self.accuracy[1], "test": self.accuracy[2]},
            "layer": if std::ptr::eq(layer, &self.backend.network().output) { "output" } else { "hidden" },
            "fields_layer": if self.backend.network().hidden.is_some() { "hidden" } else { "output" },
            "sources": source_names,
            "names": lattice.term_names(),
            "display_names": lattice.term_display_names(),
            "gamma": gamma,
            "goal": finite(goal),
            "mean_atoms": mean_terms.iter().map(|v| finite(*v)).collect::<Vec<_>>(),
            "output_atoms": self.last_output.iter().map(|v| finite(*v)).collect::<Vec<_>>(),
            "atoms": atoms,
            "metrics": self.metrics,
            "confusion": self.confusion,
            "classes": task.classes,
            "dim": task.dim,
            "image": task.image,
            "sizes": [task.train_len(), task.val_len(), task.test_len()],
            "activation": self.activation,
        })
        .to_string()
    }

    /// Feed-forward weights of every shown neuron (neurons × input dim, row-major):
    /// the receptive fields.
    pub fn receptive_fields(&self) -> Vec<f32> {
        self.backend.fields_layer().sources[0]
            .weights
            .iter()
            .copied()
            .collect()
    }

    /// The binned joint pmf p(sources…, y) of one shown neuron on up to 1024 training
    /// samples, as the JSON `decompose` takes: `{"shape":[k,…,2],"p":[…]}` (target last,
    /// index 0 = output −1, 1 = output +1), plus `"sources"` with the source letters.
    pub fn histogram(&mut self, neuron: usize) -> Result<String, JsError> {
        let shown = self.backend.shown_layer();
        if neuron >= shown.neurons() {
            return Err(err(format!("no neuron {neuron}")));
        }
        let rows = self.train_eval_y.len().min(HISTOGRAM_SAMPLES);
        let dim = self.task.dim;
        let x = view(&self.train_eval_x[..rows * dim], dim);
        let labels = &self.train_eval_y[..rows];
        let kind = self.config.model;
        let net = self.backend.network();
        let label = one_hot(labels, net.classes);
        let shows_hidden = !std::ptr::eq(self.backend.shown_layer(), &net.output);
        let low = if kind == ModelKind::Backprop {
            0.0
        } else {
            -1.0
        };
        // The hidden layer's forward pass as in training (label context, two
        // recurrent steps with lateral input).
        let hidden_forward = |layer: &Layer| {
            let mut inputs = vec![x];
            if !matches!(kind, ModelKind::Lateral) {
                inputs.push(label.view());
            }
            if kind.has_lateral() {
                let key = counter_key(self.config.sample_seed, 77, net.steps());
                layer
                    .forward_recurrent(&inputs, |theta| layer::sample(theta, key, 0, low))
                    .0
            } else {
                layer.forward(&inputs)
            }
        };
        let fwd = match net.hidden.as_ref() {
            Some(layer) if shows_hidden => hidden_forward(layer),
            Some(layer) => {
                // A baseline's output neuron: its F input is the hidden layer's output
                // (thresholds for the random projection, samples for backprop).
                let h = hidden_forward(layer);
                let features = if kind == ModelKind::RandomProjection {
                    h.activation.mapv(|a| if a > 0.0 { 1.0 } else { 0.0 })
                } else {
                    let key = counter_key(self.config.sample_seed, 78, net.steps());
                    layer::sample(&h.theta, key, 0, low)
                };
                net.output.forward(&[features.view(), label.view()])
            }
            None => net.output.forward(&[x, label.view()]),
        };
        let layer = self.backend.shown_layer();
        let k = layer.config.bins;
        let n_src = fwd.aggregates.len();
        let mut p = vec![0f64; k.pow(n_src as u32) * 2];
        let mut cell = vec![0usize; rows];
        for agg in &fwd.aggregates {
            let column: Vec<f32> = agg.column(neuron).to_vec();
            let (lo, hi, scale) = match layer.config.binning {
                Binning::Fixed { lo, hi } => (lo, hi, 1.0),
                Binning::MaxAbs => {
                    let m = column.iter().fold(0f32, |m, v| m.max(v.abs()));
                    (-1.0, 1.0, if m > 0.0 { 1.0 / m } else { 0.0 })
                }
            };
            let per_unit = k as f32 / (hi - lo);
            for (c, &v) in cell.iter_mut().zip(&column) {
                let i = ((v * scale - lo) * per_unit).clamp(0.0, (k - 1) as f32) as usize;
                *c = *c * k + i;
            }
        }
        for (b, &c) in cell.iter().enumerate() {
            let th = fwd.theta[[b, neuron]] as f64;
            p[c * 2] += (1.0 - th) / rows as f64;
            p[c * 2 + 1] += th / rows as f64;
        }
        let total: f64 = p.iter().sum();
        p.iter_mut().for_each(|v| *v /= total);
        let mut shape = vec![k; n_src];
        shape.push(2);
        let letters: Vec<&str> = layer
            .sources
            .iter()
            .map(|s| s.config.kind.letter())
            .collect();
        Ok(json!({"shape": shape, "p": p, "sources": letters}).to_string())
    }

    /// For 2-D tasks: the class probabilities over a `res`×`res` grid covering the
    /// data (rows from the top, x1 decreasing), `res·res·classes` values, preceded by
    /// the bounds x0min, x0max, x1min, x1max. Empty for other tasks.
    pub fn decision_map(&mut self, res: usize) -> Vec<f32> {
        if self.task.dim != 2 || res == 0 || res > 256 {
            return Vec::new();
        }
        let mut lo = [f32::MAX; 2];
        let mut hi = [f32::MIN; 2];
        for row in self.task.train_x.chunks_exact(2) {
            for d in 0..2 {
                lo[d] = lo[d].min(row[d]);
                hi[d] = hi[d].max(row[d]);
            }
        }
        for d in 0..2 {
            let pad = 0.08 * (hi[d] - lo[d]).max(1e-3);
            lo[d] -= pad;
            hi[d] += pad;
        }
        let mut grid = Vec::with_capacity(res * res * 2);
        for i in 0..res {
            let x1 = hi[1] - (i as f32 + 0.5) / res as f32 * (hi[1] - lo[1]);
            for j in 0..res {
                grid.push(lo[0] + (j as f32 + 0.5) / res as f32 * (hi[0] - lo[0]));
                grid.push(x1);
            }
        }
        let step = self.epoch as u32;
        let mut theta = self.backend.predict_theta(view(&grid, 2), step);
        self.apply_flip(&mut theta);
        let mut out = vec![lo[0], hi[0], lo[1], hi[1]];
        out.extend(theta.iter().copied());
        out
    }

    /// Up to `max` test samples of a 2-D task as (x0, x1, label) triples.
    pub fn points(&self, max: usize) -> Vec<f32> {
        if self.task.dim != 2 {
            return Vec::new();
        }
        let n = self.task.test_len().min(max);
        let mut out = Vec::with_capacity(n * 3);
        for i in 0..n {
            out.push(self.task.test_x[2 * i]);
            out.push(self.task.test_x[2 * i + 1]);
            out.push(self.task.test_y[i] as f32);
        }
        out
    }

    /// The run as JSON, in the format of `infomorph train --out` (config, metrics,
    /// error, hidden and output layers with atoms and weights) plus the page's
    /// activation parameters.
    pub fn export_json(&self) -> String {
        let net = self.backend.network();
        json!({
            "format": "infomorph-run",
            "version": 1,
            "config": self.config,
            "activation": self.activation,
            "metrics": self.metrics,
            "error": self.error,
            "hidden": net.hidden.as_ref().map(LayerDump::of),
            "output": LayerDump::of(&net.output),
        })
        .to_string()
    }
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

impl State {
    fn build(config: RunConfig, task: TaskData) -> Result<State, JsError> {
        if task.train_len() == 0 {
            return Err(err("the task has no training samples"));
        }
        let net = Network::new(&config, task.dim, task.classes).map_err(err)?;
        let n = task.train_len();
        let stride = n.div_ceil(TRAIN_EVAL_SAMPLES).max(1);
        let mut train_eval_x = Vec::new();
        let mut train_eval_y = Vec::new();
        // Evenly spaced, then interleaved so that any prefix mixes the classes.
        let picked: Vec<usize> = (0..n).step_by(stride).collect();
        let mut order = picked.clone();
        Stream::new(config.data_seed ^ 0x4556_414c).shuffle(&mut order);
        for i in order {
            train_eval_x.extend_from_slice(&task.train_x[i * task.dim..(i + 1) * task.dim]);
            train_eval_y.push(task.train_y[i]);
        }
        Ok(State {
            backend: Backend::Cpu(Box::new(net)),
            activation: ActivationParams::default(),
            config,
            task,
            train_eval_x,
            train_eval_y,
            epoch: 0,
            order: Vec::new(),
            pos: 0,
            epoch_hidden: Vec::new(),
            epoch_output: Vec::new(),
            epoch_steps: 0,
            epoch_ms: 0.0,
            eval: None,
            metrics: Vec::new(),
            accuracy: [None; 3],
            confusion: Vec::new(),
            flip: Vec::new(),
            last_hidden: Vec::new(),
            last_output: Vec::new(),
            error: None,
            rate_steps: 0,
            rate_ms: 0.0,
            steps_per_second: 0.0,
            adapter: String::new(),
            notices: Vec::new(),
        })
    }

    /// One training step, shuffling first at the start of an epoch (as
    /// `network::train::train_epoch` does, epochs counted from 1).
    fn train_one(&mut self) {
        let n = self.task.train_len();
        let dim = self.task.dim;
        if self.pos == 0 {
            let epoch = self.epoch + 1;
            self.order = (0..n).collect();
            Stream::new(
                self.config.data_seed ^ (epoch as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            )
            .shuffle(&mut self.order);
            self.epoch_hidden.clear();
            self.epoch_output.clear();
            self.epoch_steps = 0;
            self.epoch_ms = 0.0;
        }
        let batch = self.config.batch.min(n.max(1));
        let end = (self.pos + batch).min(n);
        let mut xb = Vec::with_capacity((end - self.pos) * dim);
        let mut yb = Vec::with_capacity(end - self.pos);
        for &i in &self.order[self.pos..end] {
            xb.extend_from_slice(&self.task.train_x[i * dim..(i + 1) * dim]);
            yb.push(self.task.train_y[i]);
        }
        let (hidden, output) = self.backend.train_batch(view(&xb, dim), &yb);
        if let Err(e) = check_goals(&hidden, &output, self.epoch + 1, self.step()) {
            self.error = Some(format!(
                "{e}: lower the learning rates or change γ, then reset"
            ));
        }
        accumulate(&mut self.epoch_hidden, &hidden);
        accumulate(&mut self.epoch_output, &output);
        self.epoch_steps += 1;
        self.last_hidden = hidden;
        self.last_output = output;
        self.pos = end;
        if self.pos >= n {
            self.pos = 0;
            self.eval = Some(Eval {
                part: 0,
                pos: 0,
                theta: Vec::new(),
            });
        }
    }

    fn part(&self, part: usize) -> (&[f32], &[u8]) {
        match part {
            0 => (&self.train_eval_x, &self.train_eval_y),
            1 => (&self.task.val_x, &self.task.val_y),
            _ => (&self.task.test_x, &self.task.test_y),
        }
    }

    fn apply_flip(&self, theta: &mut Array2<f32>) {
        for (j, &f) in self.flip.iter().enumerate() {
            if f && j < theta.ncols() {
                theta.column_mut(j).mapv_inplace(|t| 1.0 - t);
            }
        }
    }

    /// One chunk of the end-of-epoch evaluation (label input at zero).
    fn eval_chunk(&mut self) {
        let Some(mut ev) = self.eval.take() else {
            return;
        };
        let dim = self.task.dim;
        let classes = self.task.classes;
        let (len, end) = {
            let (_, y) = self.part(ev.part);
            (y.len(), (ev.pos + EVAL_CHUNK).min(y.len()))
        };
        if ev.pos < end {
            let chunk: Vec<f32> = self.part(ev.part).0[ev.pos * dim..end * dim].to_vec();
            let theta = self
                .backend
                .predict_theta(view(&chunk, dim), self.epoch as u32 + 1);
            ev.theta.extend(theta.iter().copied());
            ev.pos = end;
        }
        if ev.pos < len {
            self.eval = Some(ev);
            return;
        }
        // The part is done: accuracy with the inversion rule of `Network::accuracy`.
        let labels = self.part(ev.part).1.to_vec();
        let accuracy = if labels.is_empty() {
            None
        } else {
            let mut theta =
                Array2::from_shape_vec((labels.len(), classes), std::mem::take(&mut ev.theta))
                    .expect("rows × classes");
            let local = self.config.model != ModelKind::Backprop;
            let means = theta.mean_axis(ndarray::Axis(0)).expect("non-empty");
            let flip: Vec<bool> = means.iter().map(|&m| local && m >= 0.5).collect();
            if ev.part == 2 {
                self.flip = flip.clone();
            }
            for (j, &f) in flip.iter().enumerate() {
                if f {
                    theta.column_mut(j).mapv_inplace(|t| 1.0 - t);
                }
            }
            let mut confusion = vec![0u32; classes * classes];
            let mut correct = 0usize;
            for (row, &y) in theta.rows().into_iter().zip(&labels) {
                let best = row
                    .iter()
                    .enumerate()
                    .fold((0, f32::MIN), |a, (j, &v)| if v > a.1 { (j, v) } else { a })
                    .0;
                correct += usize::from(best == y as usize);
                confusion[y as usize * classes + best] += 1;
            }
            if ev.part == 2 {
                self.confusion = confusion;
            }
            Some(correct as f64 / labels.len() as f64)
        };
        self.accuracy[ev.part] = accuracy;
        if ev.part < 2 {
            self.eval = Some(Eval {
                part: ev.part + 1,
                pos: 0,
                theta: Vec::new(),
            });
            return;
        }
        self.epoch += 1;
        let scale = 1.0 / self.epoch_steps.max(1) as f64;
        let seconds = self.epoch_ms / 1000.0;
        self.metrics.push(EpochMetrics {
            epoch: self.epoch,
            steps: self.step(),
            train_accuracy: self.accuracy[0].unwrap_or(f64::NAN),
            val_accuracy: self.accuracy[1].unwrap_or(f64::NAN),
            test_accuracy: self.accuracy[2].unwrap_or(f64::NAN),
            hidden_atoms: self.epoch_hidden.iter().map(|v| v * scale).collect(),
            output_atoms: self.epoch_output.iter().map(|v| v * scale).collect(),
            seconds,
            steps_per_second: self.epoch_steps as f64 / seconds.max(1e-9),
        });
    }
}

fn accumulate(sum: &mut Vec<f64>, terms: &[f64]) {
    if sum.is_empty() {
        sum.resize(terms.len(), 0.0);
    }
    for (s, t) in sum.iter_mut().zip(terms) {
        *s += t;
    }
}

/// A GPU tick's unit of work: steps queued (or a rebuild), awaiting their readback.
struct Job {
    queued: usize,
    t0: f64,
    snapshot: bool,
    rebuild: Option<ActivationParams>,
}

/// What a job's readback gave: the metrics (none for a rebuild) and maybe a copy of
/// the whole network.
type JobResult = (
    Result<Option<crate::engine::EngineMetrics>, String>,
    Option<Network>,
);

impl State {
    /// A copy of the current network with the session's activation parameters.
    fn copy_network(&self) -> Result<Network, String> {
        let net = self.backend.network();
        let mut copy = Network::new(&net.config, self.task.dim, self.task.classes)?;
        crate::engine::copy_state(net, &mut copy);
        set_activation(&mut copy, &self.activation);
        Ok(copy)
    }

    fn steps_per_epoch(&self) -> (usize, usize, usize) {
        let n = self.task.train_len();
        let batch = self.config.batch.min(n.max(1));
        (n, batch, n.div_ceil(batch))
    }

    /// Epoch bookkeeping for a network at `steps` (after a switch of engine).
    fn resync(&mut self, steps: u32) {
        let (n, batch, spe) = self.steps_per_epoch();
        let epoch = steps as usize / spe;
        self.epoch = epoch;
        self.pos = (steps as usize % spe) * batch;
        self.order = crate::engine::epoch_order(self.config.data_seed, epoch + 1, n);
        self.eval = None;
        self.metrics.retain(|m| m.epoch <= epoch);
        self.epoch_hidden.clear();
        self.epoch_output.clear();
        self.epoch_steps = 0;
        self.epoch_ms = 0.0;
    }

    /// Queues up to `left` GPU steps (`chunk` of them, never past the epoch's end)
    /// and hands the engine out for the readback.
    fn gpu_job(&mut self, left: u32) -> Option<(Engine, Job)> {
        let (n, _, spe) = self.steps_per_epoch();
        let activation = self.activation;
        let in_epoch = self.backend.steps() as usize % spe;
        if in_epoch == 0 && !matches!(&self.backend, Backend::Gpu(g) if g.rebuild) {
            self.order = crate::engine::epoch_order(self.config.data_seed, self.epoch + 1, n);
            self.epoch_hidden.clear();
            self.epoch_output.clear();
            self.epoch_steps = 0;
            self.epoch_ms = 0.0;
        }
        let Backend::Gpu(g) = &mut self.backend else {
            return None;
        };
        let mut engine = g.engine.take()?;
        let t0 = now_ms();
        if g.rebuild {
            g.rebuild = false;
            let job = Job {
                queued: 0,
                t0,
                snapshot: true,
                rebuild: Some(activation),
            };
            return Some((engine, job));
        }
        let k = g
            .chunk
            .clamp(1, MAX_QUEUED)
            .min(left.max(1) as usize)
            .min(spe - in_epoch);
        if let Err(e) = engine.queue_steps(k) {
            self.error = Some(format!("the GPU engine failed: {e}"));
            g.engine = Some(engine);
            return None;
        }
        g.steps += k as u32;
        let snapshot = in_epoch + k == spe || t0 - g.refreshed >= REFRESH_MS;
        let job = Job {
            queued: k,
            t0,
            snapshot,
            rebuild: None,
        };
        Some((engine, job))
    }

    /// Takes the engine back after a job's readback and updates the run; returns the
    /// steps the job took.
    fn finish_job(&mut self, mut engine: Engine, job: Job, result: JobResult) -> u32 {
        let (res, net) = result;
        for n in engine.notices() {
            if !self.notices.contains(n) {
                self.notices.push(n.clone());
            }
        }
        let (_, batch, spe) = self.steps_per_epoch();
        if engine.engine_name() == "cpu" {
            // The device was lost (the engine fell back to its checkpoint) or a rebuild
            // found no GPU: continue on the CPU engine from the engine's network.
            match net {
                Some(mut net) => {
                    set_activation(&mut net, &self.activation);
                    let steps = net.steps();
                    self.backend = Backend::Cpu(Box::new(net));
                    self.resync(steps);
                }
                None => self.error = Some("the GPU engine failed and no copy was read".into()),
            }
            return job.queued as u32;
        }
        let activation = self.activation;
        let Backend::Gpu(g) = &mut self.backend else {
            unreachable!("finish_job on the GPU backend")
        };
        let pending = g.pending_goal.take();
        if let Some(gamma) = &pending {
            if let Err(e) = engine.set_goal(gamma) {
                self.error = Some(e);
            }
        }
        if let Some(mut net) = net {
            set_activation(&mut net, &activation);
            if let (Some(gamma), Some(h)) = (&pending, net.hidden.as_mut()) {
                let _ = h.set_goal(gamma);
            }
            *g.view = net;
            g.refreshed = now_ms();
        }
        g.engine = Some(engine);
        let m = match res {
            Ok(Some(m)) => m,
            Ok(None) => return 0,
            Err(e) => {
                self.error = Some(format!("the GPU engine failed: {e}"));
                return 0;
            }
        };
        let dt = now_ms() - job.t0;
        // A readback has a fixed latency (tens of ms in a browser): queue more steps
        // per readback while a job is quick, fewer when it is slow.
        if dt < JOB_MS.0 && job.queued == g.chunk {
            g.chunk = (g.chunk * 2).min(MAX_QUEUED);
        } else if dt > JOB_MS.1 {
            g.chunk = (g.chunk / 2).max(1);
        }
        if let Some(h) = g.view.hidden.as_mut() {
            let rows = m.hidden_neurons.len();
            let cols = m.hidden_neurons.first().map_or(0, Vec::len);
            if rows == h.neurons() && cols > 0 {
                h.last_terms = Array2::from_shape_fn((rows, cols), |(i, j)| m.hidden_neurons[i][j]);
            }
        }
        let in_epoch = g.steps as usize % spe;
        let count = m.steps_in_mean as f64;
        let sum = |v: &[f64]| v.iter().map(|x| x * count).collect::<Vec<_>>();
        accumulate(&mut self.epoch_hidden, &sum(&m.hidden_mean));
        accumulate(&mut self.epoch_output, &sum(&m.output_mean));
        self.epoch_steps += m.steps_in_mean as usize;
        self.epoch_ms += dt;
        self.rate_steps += job.queued;
        self.rate_ms += dt;
        if self.rate_ms >= 500.0 || self.rate_steps >= 200 {
            self.steps_per_second = self.rate_steps as f64 * 1000.0 / self.rate_ms.max(1e-3);
            self.rate_steps = 0;
            self.rate_ms = 0.0;
        }
        if let Err(e) = check_goals(&m.hidden, &m.output, self.epoch + 1, m.step) {
            self.error = Some(format!(
                "{e}: lower the learning rates or change γ, then reset"
            ));
        }
        self.last_hidden = m.hidden;
        self.last_output = m.output;
        if in_epoch == 0 {
            self.pos = 0;
            self.eval = Some(Eval {
                part: 0,
                pos: 0,
                theta: Vec::new(),
            });
        } else {
            self.pos = in_epoch * batch;
        }
        job.queued as u32
    }
}

/// The asynchronous half of a GPU job: the metrics readback, a copy of the network
/// when due, or the rebuild after an activation change.
async fn run_job(engine: &mut Engine, job: &Job) -> JobResult {
    if let Some(a) = &job.rebuild {
        let mut net = match engine.snapshot().await {
            Ok(net) => net,
            Err(e) => return (Err(e), None),
        };
        set_activation(&mut net, a);
        let task = engine.task().clone();
        match Engine::from_network(net, task, EnginePreference::Auto).await {
            Ok(e) => *engine = e,
            Err(e) => return (Err(e), None),
        }
        return (Ok(None), engine.network().await.ok());
    }
    let m = engine.metrics().await;
    let net = if job.snapshot || engine.engine_name() == "cpu" {
        engine.snapshot().await.ok()
    } else {
        None
    };
    (m.map(Some), net)
}

/// `Session.tick` on either engine (see there).
async fn tick(state: Rc<RefCell<State>>, budget_ms: f64, max_steps: u32) -> u32 {
    let start = now_ms();
    let mut steps = 0u32;
    loop {
        let job = {
            let mut s = state.borrow_mut();
            if !matches!(s.backend, Backend::Gpu(_)) {
                if steps == 0 || (steps < max_steps && now_ms() - start < budget_ms) {
                    let rest = budget_ms - (now_ms() - start);
                    steps += s.tick_cpu(rest, max_steps - steps);
                }
                break;
            }
            if s.finished() {
                break;
            }
            if s.eval.is_some() {
                s.eval_chunk();
                if now_ms() - start >= budget_ms {
                    break;
                }
                continue;
            }
            if steps >= max_steps {
                break;
            }
            s.gpu_job(max_steps - steps)
        };
        let Some((mut engine, job)) = job else {
            break;
        };
        let result = run_job(&mut engine, &job).await;
        let mut s = state.borrow_mut();
        steps += s.finish_job(engine, job, result);
        if s.finished() || now_ms() - start >= budget_ms {
            break;
        }
    }
    steps
}

/// `Session.useGpu` (see there).
async fn use_gpu(state: Rc<RefCell<State>>, preference: String) -> Result<String, String> {
    let preference = EnginePreference::from_name(&preference)?;
    let (net, task) = {
        let s = state.borrow();
        if !matches!(s.backend, Backend::Cpu(_)) {
            return Ok(s.backend.name().into());
        }
        (s.copy_network()?, s.task.clone())
    };
    let steps = net.steps();
    let engine = Engine::from_network(net, task, preference).await?;
    let mut s = state.borrow_mut();
    for n in engine.notices() {
        s.notices.push(n.clone());
    }
    if engine.engine_name() != "gpu" || s.backend.steps() != steps {
        return Ok(s.backend.name().into());
    }
    // The browser's WebGPU gives wgpu no adapter name; the page's own description
    // (vendor, architecture, …) is better when there is one.
    if s.adapter.is_empty() {
        let described = engine.adapter_info().unwrap_or("").trim();
        s.adapter = if described.is_empty() {
            "WebGPU adapter".into()
        } else {
            described.to_string()
        };
    }
    let view = s.copy_network()?;
    s.backend = Backend::Gpu(Box::new(GpuBackend {
        engine: Some(engine),
        view: Box::new(view),
        steps,
        refreshed: now_ms(),
        pending_goal: None,
        rebuild: false,
        chunk: 1,
    }));
    Ok(s.backend.name().into())
}

fn js_err(e: String) -> JsValue {
    JsError::new(&e).into()
}

/// A training run in the page: a task, a network on the CPU or WebGPU engine, and
/// where training stands. A handle on shared state, so that the page can read the
/// views while a GPU `tick` awaits its readback.
#[wasm_bindgen]
pub struct Session {
    state: Rc<RefCell<State>>,
}

impl Session {
    fn wrap(state: State) -> Session {
        Session {
            state: Rc::new(RefCell::new(state)),
        }
    }
}

#[wasm_bindgen]
impl Session {
    /// A session on a built-in task (every toy task and `digits8`), from a config in
    /// the JSON schema of `infomorph train --config`. It starts on the CPU engine;
    /// `useGpu` moves it to the WebGPU engine.
    #[wasm_bindgen(constructor)]
    pub fn new(config_json: &str) -> Result<Session, JsError> {
        State::new(config_json).map(Session::wrap)
    }

    /// A session on images in IDX files (MNIST-10k fetched from the page's origin, or
    /// the user's own): square images of any size and labels 0..=9. Without test files
    /// the first 80 % of each class form the training pool and the rest the test set
    /// (the MNIST-10k split); 20 % of the pool is held out for validation.
    #[wasm_bindgen(js_name = withIdx)]
    pub fn with_idx(
        config_json: &str,
        images: &[u8],
        labels: &[u8],
        test_images: Option<Vec<u8>>,
        test_labels: Option<Vec<u8>>,
    ) -> Result<Session, JsError> {
        State::with_idx(config_json, images, labels, test_images, test_labels).map(Session::wrap)
    }

    /// A session on a table of numbers (the user's CSV): `x` holds `dim` features per
    /// row, `y` one class 0..=255 per row. Rows are shuffled by the data seed and split
    /// 60/20/20 into training, validation and test; features are standardised with the
    /// training part's mean and standard deviation.
    #[wasm_bindgen(js_name = withTable)]
    pub fn with_table(
        config_json: &str,
        x: Vec<f32>,
        y: Vec<u8>,
        dim: usize,
    ) -> Result<Session, JsError> {
        State::with_table(config_json, x, y, dim).map(Session::wrap)
    }

    /// Moves training to the WebGPU engine if `preference` allows: `"auto"` when an
    /// adapter exists and the model runs there, `"gpu"` or an error, `"cpu"` never.
    /// Resolves to the engine that runs (`"webgpu"` or `"cpu"`); why the CPU engine
    /// runs is in the stats' `notices`. Call before training.
    #[wasm_bindgen(js_name = useGpu)]
    pub fn use_gpu(&self, preference: String) -> js_sys::Promise {
        let state = self.state.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            use_gpu(state, preference)
                .await
                .map(JsValue::from)
                .map_err(js_err)
        })
    }

    /// `"cpu"` or `"webgpu"`.
    #[wasm_bindgen(getter)]
    pub fn engine(&self) -> String {
        self.state.borrow().backend.name().to_owned()
    }

    /// The GPU adapter's description (or the one the page detected); may be empty.
    #[wasm_bindgen(getter)]
    pub fn adapter(&self) -> String {
        self.state.borrow().adapter.clone()
    }

    /// Steps completed so far.
    #[wasm_bindgen(getter)]
    pub fn step(&self) -> u32 {
        self.state.borrow().step()
    }

    /// Works for about `budget_ms` milliseconds (at least one unit of work): training
    /// steps, and at the end of each epoch the evaluation, in chunks. Stops early after
    /// `max_steps` training steps or when the run ends (epochs reached, or an error).
    /// Resolves to the number of training steps taken. On the GPU several steps are
    /// queued, then their metrics read back asynchronously; other methods may be called
    /// meanwhile (they read the CPU copy).
    pub fn tick(&self, budget_ms: f64, max_steps: u32) -> js_sys::Promise {
        let state = self.state.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            Ok(JsValue::from(tick(state, budget_ms, max_steps).await))
        })
    }

    /// Whether training has ended: `epochs` reached (0 = no limit) or an error.
    pub fn finished(&self) -> bool {
        self.state.borrow().finished()
    }

    /// Replaces the hidden layer's γ (term order) while training runs.
    #[wasm_bindgen(js_name = setGoal)]
    pub fn set_goal(&self, gamma: Vec<f64>) -> Result<(), JsError> {
        self.state.borrow_mut().set_goal(gamma)
    }

    /// Sets the hidden layer's activation parameters (JSON `{k1,k2,c1,c2,w1,w2}`, any
    /// subset) while training runs (on the GPU: from the next tick, which rebuilds it).
    #[wasm_bindgen(js_name = setActivation)]
    pub fn set_activation(&self, json: &str) -> Result<(), JsError> {
        self.state.borrow_mut().set_activation(json)
    }

    /// Records the WebGPU adapter the page detected (shown with the engine).
    #[wasm_bindgen(js_name = setAdapter)]
    pub fn set_adapter(&self, adapter: String) {
        let mut s = self.state.borrow_mut();
        if !matches!(s.backend, Backend::Gpu(_)) {
            s.set_adapter(adapter);
        }
    }

    /// The resolved config (the `infomorph train --config` schema) as JSON.
    #[wasm_bindgen(js_name = configJson)]
    pub fn config_json(&self) -> String {
        self.state.borrow().config_json()
    }

    /// Where training stands, as JSON: step, epoch, accuracies, the atoms of every
    /// shown neuron, term names, the epoch history, the confusion matrix, the engine,
    /// its adapter and notices, …
    #[wasm_bindgen(js_name = statsJson)]
    pub fn stats_json(&self) -> String {
        self.state.borrow().stats_json()
    }

    /// Feed-forward weights of every shown neuron (neurons × input dim, row-major):
    /// the receptive fields.
    #[wasm_bindgen(js_name = receptiveFields)]
    pub fn receptive_fields(&self) -> Vec<f32> {
        self.state.borrow().receptive_fields()
    }

    /// The binned joint pmf p(sources…, y) of one shown neuron on up to 1024 training
    /// samples, as the JSON `decompose` takes: `{"shape":[k,…,2],"p":[…]}` (target last,
    /// index 0 = output −1, 1 = output +1), plus `"sources"` with the source letters.
    pub fn histogram(&self, neuron: usize) -> Result<String, JsError> {
        self.state.borrow_mut().histogram(neuron)
    }

    /// For 2-D tasks: the class probabilities over a `res`×`res` grid covering the
    /// data (rows from the top, x1 decreasing), `res·res·classes` values, preceded by
    /// the bounds x0min, x0max, x1min, x1max. Empty for other tasks.
    #[wasm_bindgen(js_name = decisionMap)]
    pub fn decision_map(&self, res: usize) -> Vec<f32> {
        self.state.borrow_mut().decision_map(res)
    }

    /// Up to `max` test samples of a 2-D task as (x0, x1, label) triples.
    pub fn points(&self, max: usize) -> Vec<f32> {
        self.state.borrow().points(max)
    }

    /// The run as JSON, in the format of `infomorph train --out` (config, metrics,
    /// error, hidden and output layers with atoms and weights) plus the page's
    /// activation parameters.
    #[wasm_bindgen(js_name = exportJson)]
    pub fn export_json(&self) -> String {
        self.state.borrow().export_json()
    }

    /// Test hook: destroys the GPU device as a real loss would; the run continues on
    /// the CPU engine and says so. Nothing on the CPU engine.
    #[wasm_bindgen(js_name = simulateDeviceLoss)]
    pub fn simulate_device_loss(&self) {
        if let Backend::Gpu(g) = &mut self.state.borrow_mut().backend {
            if let Some(e) = g.engine.as_mut() {
                e.simulate_device_loss();
            }
        }
    }
}
