//! A run in the page: the driver ([`Trainer`]) over the engine ([`Engine`]), plus what
//! the page needs while the driver is away in an asynchronous GPU readback — a host copy
//! of the network for the views and a copy of the driver's progress.
//!
//! Training follows the driver exactly, so a configuration trained here and with
//! `infomorph train --config` on the CPU engine gives the same numbers: the page only
//! decides how much work each call does (one CPU step at a time within a time budget;
//! on the GPU a number of queued steps that grows while readbacks are quick).

use crate::engine::{Engine, EngineKind, EnginePreference, Notice};
use crate::network::code::{self, Code};
use crate::network::layer::Activation;
use crate::network::model::Network;
use crate::network::run::{RunError, Trainer};
use crate::network::train::EpochMetrics;
use crate::network::RunConfig;
use crate::tasks::TaskData;
use ndarray::Array2;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

/// GPU engine: the host copy the views read is refreshed at most this often (ms).
const REFRESH_MS: f64 = 400.0;
/// GPU engine: at most this many steps are queued before a terms readback.
const MAX_QUEUED: usize = 64;
/// GPU engine: a call quicker than the first value (ms) doubles the steps per call, one
/// slower than the second halves them.
const JOB_MS: (f64, f64) = (120.0, 400.0);
/// The code read-out (method §9) is measured again at most this often (ms).
const CODE_MS: f64 = 1000.0;
/// Samples in a neuron's histogram.
pub(super) const HISTOGRAM_SAMPLES: usize = 1024;

pub(super) fn now_ms() -> f64 {
    crate::network::run::now() * 1000.0
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

/// Sets the hidden layer's activation parameters.
pub(super) fn set_activation(net: &mut Network, a: &ActivationParams) {
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

/// The driver's progress, copied after every piece of work so that the page can read
/// it while the driver awaits a readback.
#[derive(Clone, Debug, Default)]
pub struct Progress {
    pub step: u32,
    pub epoch: usize,
    pub epoch_progress: f64,
    pub evaluating: bool,
    pub finished: bool,
    pub error: Option<String>,
    pub last_hidden: Vec<f64>,
    pub last_output: Vec<f64>,
    pub confusion: Vec<u32>,
    pub inverted: Vec<bool>,
    pub metrics: Vec<EpochMetrics>,
}

/// The page's words for a run that stopped.
fn error_text(e: &RunError) -> String {
    match e {
        RunError::NonFiniteGoal(m) | RunError::NonFiniteWeights(m) => {
            format!("{m}: lower the learning rates or change γ, then reset")
        }
        other => other.to_string(),
    }
}

/// A training run in the page.
pub struct State {
    /// `None` while a call awaits a GPU readback (the driver is moved into the future).
    pub trainer: Option<Trainer<Engine>>,
    /// GPU engine: the host copy of the network that the views read.
    pub view: Option<Network>,
    refreshed: f64,
    pub config: RunConfig,
    pub activation: ActivationParams,
    pub task: Arc<TaskData>,
    /// Evenly spaced training samples (classes interleaved) for the neuron histogram.
    pub histogram_x: Vec<f32>,
    pub histogram_y: Vec<u8>,
    pub progress: Progress,
    pub engine: EngineKind,
    /// A γ set while the driver was away, applied when it returns.
    pending_goal: Option<Vec<f64>>,
    /// The activation changed while on the GPU: the engine is rebuilt before the next step.
    rebuild: bool,
    /// GPU engine: steps queued per call.
    chunk: usize,
    preference: EnginePreference,
    rate_steps: usize,
    rate_ms: f64,
    pub steps_per_second: f64,
    pub adapter: String,
    /// Engine choice and fallback messages, oldest first.
    pub notices: Vec<Notice>,
    /// The code read-out at initialisation and its latest measurement (tasks with
    /// known causes), with the step it was measured at and when.
    pub code_init: Option<Code>,
    pub code: Option<Code>,
    pub code_step: u32,
    code_ms: f64,
}

impl State {
    pub fn build(config: RunConfig, task: TaskData) -> Result<State, String> {
        if task.train_len() == 0 {
            return Err("the task has no training samples".into());
        }
        let task = Arc::new(task);
        let net = Network::new(&config, task.dim, task.classes)?;
        let engine = Engine::choose(net, task.clone(), EnginePreference::Cpu, None)?;
        let (histogram_x, histogram_y) = histogram_samples(&task, config.data_seed);
        let mut state = State {
            trainer: Some(Trainer::new(engine, task.clone())),
            view: None,
            refreshed: 0.0,
            config,
            activation: ActivationParams::default(),
            task,
            histogram_x,
            histogram_y,
            progress: Progress::default(),
            engine: EngineKind::Cpu,
            pending_goal: None,
            rebuild: false,
            chunk: 1,
            preference: EnginePreference::Cpu,
            rate_steps: 0,
            rate_ms: 0.0,
            steps_per_second: 0.0,
            adapter: String::new(),
            notices: Vec::new(),
            code_init: None,
            code: None,
            code_step: 0,
            code_ms: 0.0,
        };
        state.capture();
        state.code_init = code::readout(state.network(), &state.task);
        state.code = state.code_init.clone();
        state.code_ms = now_ms();
        Ok(state)
    }

    /// Copies the driver's progress (and on the GPU the last per-neuron terms into the
    /// host copy).
    fn capture(&mut self) {
        let Some(t) = &self.trainer else { return };
        let p = &mut self.progress;
        p.step = t.steps();
        p.epoch = t.epochs_done();
        p.epoch_progress = t.epoch_progress();
        p.evaluating = t.evaluating();
        p.finished = t.finished();
        p.error = t.error().map(error_text);
        let (h, o) = t.last_terms();
        p.last_hidden = h.to_vec();
        p.last_output = o.to_vec();
        p.confusion = t.confusion().to_vec();
        p.inverted = t.inverted().to_vec();
        if p.metrics.len() != t.metrics().len()
            || p.metrics.last().map(|m| m.epoch) != t.metrics().last().map(|m| m.epoch)
        {
            p.metrics = t.metrics().to_vec();
        }
        let engine = t.backend();
        self.engine = engine.kind();
        for n in engine.notices() {
            if !self.notices.contains(n) {
                self.notices.push(n.clone());
            }
        }
        if let (Some(terms), Some(view)) = (engine.hidden_neurons(), self.view.as_mut()) {
            if let Some(h) = view.hidden.as_mut() {
                if terms.nrows() == h.neurons() {
                    h.last_terms = terms.clone();
                }
            }
        }
        if self.engine == EngineKind::Cpu {
            self.view = None;
        }
        self.measure_code();
    }

    /// Measures the code read-out again when training moved on, at most every
    /// [`CODE_MS`] (and when the run has finished).
    fn measure_code(&mut self) {
        let step = self.progress.step;
        let due = now_ms() - self.code_ms >= CODE_MS || self.progress.finished;
        if self.code_init.is_none() || step == self.code_step || !due {
            return;
        }
        let cpu = self
            .trainer
            .as_ref()
            .and_then(|t| t.backend().cpu_network());
        let Some(net) = cpu.or(self.view.as_ref()) else {
            return;
        };
        self.code = code::readout(net, &self.task);
        self.code_step = step;
        self.code_ms = now_ms();
    }

    /// The network the views read: the CPU engine's own, or the host copy of the GPU's.
    pub fn network(&self) -> &Network {
        if let Some(net) = self
            .trainer
            .as_ref()
            .and_then(|t| t.backend().cpu_network())
        {
            return net;
        }
        self.view
            .as_ref()
            .expect("a host copy of the network while the GPU engine runs")
    }

    pub fn network_mut(&mut self) -> &mut Network {
        let on_cpu = self
            .trainer
            .as_ref()
            .is_some_and(|t| t.backend().cpu_network().is_some());
        if on_cpu {
            let t = self.trainer.as_mut().expect("checked above");
            return t.backend_mut().cpu_network_mut().expect("checked above");
        }
        self.view
            .as_mut()
            .expect("a host copy of the network while the GPU engine runs")
    }

    pub fn finished(&self) -> bool {
        self.progress.finished
    }

    /// Replaces the hidden layer's γ (term order) while training runs.
    pub fn set_goal(&mut self, gamma: Vec<f64>) -> Result<(), String> {
        let hidden = self.network_mut().hidden.as_mut();
        let layer = hidden.ok_or("this model has no hidden layer with a goal")?;
        layer.set_goal(&gamma)?;
        match self.trainer.as_mut() {
            Some(t) if t.backend().cpu_network().is_none() => t.set_goal(&gamma)?,
            Some(_) => {}
            None => self.pending_goal = Some(gamma.clone()),
        }
        self.config.gamma = Some(gamma);
        Ok(())
    }

    /// Sets the hidden layer's activation parameters while training runs (on the GPU
    /// the engine is rebuilt from a snapshot before the next step).
    pub fn set_activation(&mut self, a: ActivationParams) {
        set_activation(self.network_mut(), &a);
        if self.engine == EngineKind::Gpu {
            self.rebuild = true;
        }
        self.activation = a;
    }

    fn count_rate(&mut self, steps: usize, ms: f64) {
        self.rate_steps += steps;
        self.rate_ms += ms;
        if self.rate_ms >= 500.0 || self.rate_steps >= 200 {
            self.steps_per_second = self.rate_steps as f64 * 1000.0 / self.rate_ms.max(1e-3);
            self.rate_steps = 0;
            self.rate_ms = 0.0;
        }
    }
}

/// Up to [`HISTOGRAM_SAMPLES`] training samples, evenly spaced, then shuffled so that
/// any prefix mixes the classes.
fn histogram_samples(task: &TaskData, data_seed: u64) -> (Vec<f32>, Vec<u8>) {
    let n = task.train_len();
    let stride = n.div_ceil(HISTOGRAM_SAMPLES).max(1);
    let mut picked: Vec<usize> = (0..n).step_by(stride).collect();
    crate::rng::Stream::new(data_seed ^ 0x4849_5354).shuffle(&mut picked);
    let mut x = Vec::with_capacity(picked.len() * task.dim);
    let mut y = Vec::with_capacity(picked.len());
    for i in picked {
        x.extend_from_slice(&task.train_x[i * task.dim..(i + 1) * task.dim]);
        y.push(task.train_y[i]);
    }
    (x, y)
}

/// `Session.tick`: works for about `budget_ms` or until `max_steps` training steps are
/// taken (and the evaluation of an epoch that ended, when it is due); resolves to the
/// steps taken. The driver leaves the
/// shared state for every piece of work, so the page can read the views meanwhile.
pub async fn tick(state: Rc<RefCell<State>>, budget_ms: f64, max_steps: u32) -> u32 {
    let start = now_ms();
    let mut steps = 0u32;
    loop {
        let (mut trainer, n, rebuild) = {
            let mut s = state.borrow_mut();
            if s.finished() {
                break;
            }
            // After `max_steps` steps only the evaluation goes on (`max_steps` = 0: only
            // the evaluation of an epoch that has ended).
            let evaluating = s.trainer.as_ref().is_some_and(|t| t.evaluating());
            if steps >= max_steps && !evaluating {
                break;
            }
            let Some(trainer) = s.trainer.take() else {
                break; // another call is working
            };
            let gpu = s.engine == EngineKind::Gpu;
            let n =
                if gpu { s.chunk } else { 1 }.min(max_steps.saturating_sub(steps).max(1) as usize);
            let rebuild = std::mem::take(&mut s.rebuild).then_some(s.activation);
            (trainer, n, rebuild)
        };
        if let Some(a) = rebuild {
            rebuild_engine(&mut trainer, &a).await;
        }
        let t0 = now_ms();
        let worked = trainer.work(n).await;
        let dt = now_ms() - t0;
        let due = {
            let s = state.borrow();
            s.engine == EngineKind::Gpu
                && (worked.epoch_done || trainer.evaluating() || t0 - s.refreshed >= REFRESH_MS)
        };
        let copy = if due && trainer.backend().kind() == EngineKind::Gpu {
            trainer.backend_mut().snapshot().await.ok()
        } else {
            None
        };
        let mut s = state.borrow_mut();
        if let Some(gamma) = s.pending_goal.take() {
            if let Err(e) = trainer.set_goal(&gamma) {
                s.notices.push(Notice {
                    kind: crate::engine::NoticeKind::EngineChoice,
                    text: format!("the goal was refused: {e}"),
                });
            }
        }
        if let Some(mut net) = copy {
            let activation = s.activation;
            set_activation(&mut net, &activation);
            if let Some(gamma) = &s.config.gamma {
                if let Some(h) = net.hidden.as_mut() {
                    // A γ set during the readback is already in the engine; the copy
                    // may predate it.
                    let _ = h.set_goal(gamma);
                }
            }
            s.view = Some(net);
            s.refreshed = now_ms();
        }
        s.trainer = Some(trainer);
        s.capture();
        steps += worked.steps as u32;
        s.count_rate(worked.steps, dt);
        if s.engine == EngineKind::Gpu && worked.steps > 0 {
            // A readback has a fixed latency (tens of ms in a browser): queue more steps
            // per call while calls are quick, fewer when they are slow.
            if dt < JOB_MS.0 && worked.steps == s.chunk {
                s.chunk = (s.chunk * 2).min(MAX_QUEUED);
            } else if dt > JOB_MS.1 {
                s.chunk = (s.chunk / 2).max(1);
            }
        }
        if s.finished() || now_ms() - start >= budget_ms {
            break;
        }
    }
    steps
}

/// After an activation change on the GPU: the engine is rebuilt from a snapshot with
/// the new parameters (the driver keeps its place).
async fn rebuild_engine(trainer: &mut Trainer<Engine>, a: &ActivationParams) {
    let Ok(mut net) = trainer.backend_mut().snapshot().await else {
        return;
    };
    set_activation(&mut net, a);
    let task = trainer.backend().shared_task();
    if let Ok(engine) = Engine::from_network(net, task, EnginePreference::Gpu).await {
        trainer.replace_backend(engine);
    }
}

/// `Session.useGpu`: moves the run to the WebGPU engine if `preference` allows.
pub async fn use_gpu(state: Rc<RefCell<State>>, preference: String) -> Result<(), String> {
    let preference = EnginePreference::from_name(&preference)?;
    let (net, task) = {
        let mut s = state.borrow_mut();
        s.preference = preference;
        if s.engine != EngineKind::Cpu || s.trainer.is_none() {
            return Ok(());
        }
        let mut net = s.network().clone();
        set_activation(&mut net, &s.activation.clone());
        (net, s.task.clone())
    };
    let steps = net.steps();
    let engine = Engine::from_network(net, task, preference).await?;
    let mut s = state.borrow_mut();
    for n in engine.notices() {
        if !s.notices.contains(n) {
            s.notices.push(n.clone());
        }
    }
    if engine.kind() != EngineKind::Gpu || s.progress.step != steps {
        return Ok(());
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
    let view = s.network().clone();
    let Some(trainer) = s.trainer.as_mut() else {
        return Ok(());
    };
    trainer.replace_backend(engine);
    s.view = Some(view);
    s.refreshed = now_ms();
    s.chunk = 1;
    s.capture();
    Ok(())
}

impl State {
    /// Every hidden neuron's goal terms at the last step (neurons × terms) of the shown layer.
    pub fn shown_terms(&self) -> &Array2<f64> {
        &self.network().shown_layer().last_terms
    }
}
