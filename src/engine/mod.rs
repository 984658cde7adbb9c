//! Engine choice: the back end behind the training driver ([`crate::network::run`]).
//! The wgpu engine runs when an adapter with compute shaders exists, the model is one
//! it runs, and — unless the GPU is forced — the adapter is real hardware (a software
//! adapter such as llvmpipe, lavapipe or SwiftShader is always slower than the CPU
//! engine). Callers see which engine and adapter run, and every choice and fallback is
//! a [`Notice`]. If the GPU device is lost mid-run, the run continues on the CPU engine
//! from the last checkpoint's weights, Adam state and step, and says so; the driver
//! follows the step count back (a back-end swap inside the driver's back end).
//!
//! The same API serves the native command line (blocking with `pollster::block_on`) and
//! the page (await the `async fn`s; training steps on the GPU are only recorded and
//! submitted).

pub mod choice;
pub mod gpu;

pub use choice::Rates;

use crate::network::model::{Network, RunConfig};
use crate::network::run::{
    self, CpuBackend, EpochOrder, RunError, Schedule, StepBackend, TermSums,
};
use crate::tasks::{Split, TaskData};
use gpu::{GpuContext, GpuMetrics, GpuNetwork};
use ndarray::Array2;
use serde::Serialize;
use std::sync::Arc;

/// The shuffled training order of an epoch (1-based): [`EpochOrder`]'s permutation.
pub fn epoch_order(data_seed: u64, epoch: usize, n: usize) -> Vec<usize> {
    EpochOrder::new(data_seed, epoch, n).indices
}

/// Which engine the caller wants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnginePreference {
    /// The GPU engine on a hardware adapter that runs the model, else the CPU engine.
    Auto,
    /// The CPU engine.
    Cpu,
    /// The GPU engine (software adapters included) or an error.
    Gpu,
}

impl EnginePreference {
    pub fn from_name(name: &str) -> Result<Self, String> {
        match name {
            "auto" => Ok(EnginePreference::Auto),
            "cpu" => Ok(EnginePreference::Cpu),
            "gpu" => Ok(EnginePreference::Gpu),
            other => Err(format!("unknown engine '{other}' (known: gpu, cpu, auto)")),
        }
    }
}

/// The engine that runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EngineKind {
    Cpu,
    Gpu,
}

impl EngineKind {
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Cpu => "cpu",
            EngineKind::Gpu => "gpu",
        }
    }
}

/// What a notice is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoticeKind {
    /// Which engine was chosen and why.
    EngineChoice,
    /// The GPU was wanted but the CPU engine runs.
    Fallback,
    /// The GPU device was lost mid-run.
    DeviceLost,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 3] = [
        NoticeKind::EngineChoice,
        NoticeKind::Fallback,
        NoticeKind::DeviceLost,
    ];
}

/// A message about the engine for the user: `{kind, text}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Notice {
    pub kind: NoticeKind,
    pub text: String,
}

impl Notice {
    fn new(kind: NoticeKind, text: impl Into<String>) -> Notice {
        Notice {
            kind,
            text: text.into(),
        }
    }
}

impl std::ops::Deref for Notice {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text
    }
}

impl std::fmt::Display for Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// Why the engine could not do what was asked.
#[derive(Clone, Debug, PartialEq)]
pub enum EngineError {
    /// The configuration was refused before anything was built.
    Config(String),
    /// The GPU engine was required but cannot run this configuration here.
    Unavailable(String),
    /// The GPU engine failed (a device loss is not an error: the run falls back).
    Gpu(String),
    /// A step or an evaluation on the engine stopped (non-finite numbers, a refused γ).
    Run(RunError),
}

impl std::fmt::Display for EngineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EngineError::Config(m) | EngineError::Unavailable(m) | EngineError::Gpu(m) => {
                f.write_str(m)
            }
            EngineError::Run(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for EngineError {}

impl From<EngineError> for String {
    fn from(e: EngineError) -> String {
        e.to_string()
    }
}

impl From<RunError> for EngineError {
    fn from(e: RunError) -> EngineError {
        EngineError::Run(e)
    }
}

/// What the engine reports after some steps.
#[derive(Clone, Debug, Default)]
pub struct EngineMetrics {
    pub step: u32,
    pub engine: &'static str,
    /// Mean over neurons of the last step's goal terms, per layer (as `StepTerms`).
    pub hidden: Vec<f64>,
    pub output: Vec<f64>,
    /// Mean over neurons and over the steps since the previous `metrics` call.
    pub hidden_mean: Vec<f64>,
    pub output_mean: Vec<f64>,
    pub steps_in_mean: u32,
}

enum Inner {
    Cpu(Box<CpuBackend>),
    Gpu(Box<GpuNetwork>),
}

/// A network on the CPU or the GPU engine, with the task it trains on.
pub struct Engine {
    inner: Inner,
    task: Arc<TaskData>,
    /// GPU runs: the last host copy of the whole state (the device-loss fallback).
    checkpoint: Option<Network>,
    adapter: Option<String>,
    notices: Vec<Notice>,
    /// GPU runs: every hidden neuron's terms at the last read (neurons × terms).
    hidden_neurons: Option<Array2<f64>>,
}

fn backend_error(e: String) -> RunError {
    RunError::Backend(format!("the GPU engine failed: {e}"))
}

impl Engine {
    /// A fresh network for `config` on the preferred engine.
    pub async fn new(
        config: &RunConfig,
        task: impl Into<Arc<TaskData>>,
        preference: EnginePreference,
    ) -> Result<Engine, EngineError> {
        let task = task.into();
        let net = Network::new(config, task.dim, task.classes).map_err(EngineError::Config)?;
        Self::from_network(net, task, preference).await
    }

    /// Continues `net` (weights, Adam state, step) on the preferred engine.
    pub async fn from_network(
        net: Network,
        task: impl Into<Arc<TaskData>>,
        preference: EnginePreference,
    ) -> Result<Engine, EngineError> {
        let wants_gpu =
            preference != EnginePreference::Cpu && gpu::network::supports(net.config.model);
        let ctx = if wants_gpu {
            Some(GpuContext::new().await)
        } else {
            None
        };
        let task = task.into();
        let hardware = matches!(&ctx, Some(Ok(c)) if !c.is_software());
        let measured = if preference == EnginePreference::Auto && hardware {
            choice::rates(&net, &task).await.ok()
        } else {
            None
        };
        Self::choose_measured(net, task, preference, ctx, measured)
    }

    /// The engine choice given the outcome of the adapter request (`None`: not asked
    /// for). Tests pass `Some(Err(..))` to force the CPU fallback.
    pub fn choose(
        net: Network,
        task: impl Into<Arc<TaskData>>,
        preference: EnginePreference,
        ctx: Option<Result<GpuContext, String>>,
    ) -> Result<Engine, EngineError> {
        Self::choose_measured(net, task.into(), preference, ctx, None)
    }

    /// [`Engine::choose`] given, for `auto` on a hardware adapter, both engines'
    /// measured rates on this configuration: the faster runs, and the notice says so.
    pub fn choose_measured(
        net: Network,
        task: Arc<TaskData>,
        preference: EnginePreference,
        ctx: Option<Result<GpuContext, String>>,
        measured: Option<Rates>,
    ) -> Result<Engine, EngineError> {
        let rates = |r: Rates| {
            format!(
                "{:.1} steps/s on the GPU engine, {:.1} on the CPU engine (measured on this \
                 configuration)",
                r.gpu, r.cpu
            )
        };
        let attempt = match ctx {
            _ if preference == EnginePreference::Cpu => Err("requested".to_string()),
            _ if !gpu::network::supports(net.config.model) => Err(format!(
                "the {} model runs on the CPU engine only",
                net.config.model.name()
            )),
            None => Err("no GPU adapter was requested".to_string()),
            Some(Err(e)) => Err(e),
            Some(Ok(ctx))
                if preference == EnginePreference::Auto
                    && measured.is_none()
                    && ctx.is_software() =>
            {
                Err(format!(
                    "{} is a software adapter, slower than the CPU engine \
                     (--engine gpu / engine=gpu forces it)",
                    ctx.adapter_description()
                ))
            }
            Some(Ok(ctx)) if measured.is_some_and(|r| r.faster() == EngineKind::Cpu) => {
                let r = measured.expect("checked");
                Err(format!(
                    "faster than the GPU engine on {}: {}",
                    ctx.adapter_description(),
                    rates(r)
                ))
            }
            Some(Ok(ctx)) => {
                let adapter = ctx.adapter_description();
                GpuNetwork::new(ctx, &net, &task)
                    .map(|g| (g, adapter.clone()))
                    .map_err(|e| format!("the GPU engine on {adapter} refused this run: {e}"))
            }
        };
        let (inner, checkpoint, adapter, notice) = match attempt {
            Ok((g, adapter)) => {
                let text = match measured {
                    Some(r) => format!("GPU engine on {adapter}: {}", rates(r)),
                    None => format!("GPU engine on {adapter}"),
                };
                let notice = Notice::new(NoticeKind::EngineChoice, text);
                (Inner::Gpu(Box::new(g)), Some(net), Some(adapter), notice)
            }
            Err(e) if preference == EnginePreference::Gpu => {
                return Err(EngineError::Unavailable(e))
            }
            Err(e) => {
                let notice = if preference == EnginePreference::Cpu {
                    Notice::new(NoticeKind::EngineChoice, "CPU engine (requested)")
                } else {
                    Notice::new(NoticeKind::Fallback, format!("CPU engine: {e}"))
                };
                (
                    Inner::Cpu(Box::new(CpuBackend::new(net))),
                    None,
                    None,
                    notice,
                )
            }
        };
        Ok(Engine {
            inner,
            task,
            checkpoint,
            adapter,
            notices: vec![notice],
            hidden_neurons: None,
        })
    }

    fn notice(&mut self, kind: NoticeKind, text: impl Into<String>) {
        self.notices.push(Notice::new(kind, text));
    }

    pub fn kind(&self) -> EngineKind {
        match self.inner {
            Inner::Cpu(_) => EngineKind::Cpu,
            Inner::Gpu(_) => EngineKind::Gpu,
        }
    }

    /// "gpu" or "cpu".
    pub fn engine_name(&self) -> &'static str {
        self.kind().name()
    }

    /// The adapter the GPU engine runs on (name, backend, device type), if any.
    pub fn adapter_info(&self) -> Option<&str> {
        self.adapter.as_deref()
    }

    /// Messages about the engine choice and any fallback, oldest first.
    pub fn notices(&self) -> &[Notice] {
        &self.notices
    }

    pub fn steps(&self) -> u32 {
        match &self.inner {
            Inner::Cpu(c) => c.net.steps(),
            Inner::Gpu(g) => g.steps(),
        }
    }

    pub fn config(&self) -> &RunConfig {
        match &self.inner {
            Inner::Cpu(c) => &c.net.config,
            Inner::Gpu(g) => g.config(),
        }
    }

    pub fn task(&self) -> &TaskData {
        &self.task
    }

    /// The task, shared.
    pub fn shared_task(&self) -> Arc<TaskData> {
        self.task.clone()
    }

    /// Training steps per epoch (the last batch of an epoch may be smaller).
    pub fn steps_per_epoch(&self) -> usize {
        Schedule::new(self.config(), self.task.train_len()).steps_per_epoch
    }

    /// The GPU network, when the GPU engine runs.
    pub fn gpu(&self) -> Option<&GpuNetwork> {
        match &self.inner {
            Inner::Gpu(g) => Some(g),
            Inner::Cpu(_) => None,
        }
    }

    pub fn gpu_mut(&mut self) -> Option<&mut GpuNetwork> {
        match &mut self.inner {
            Inner::Gpu(g) => Some(g),
            Inner::Cpu(_) => None,
        }
    }

    /// The CPU network itself, when the CPU engine runs.
    pub fn cpu_network(&self) -> Option<&Network> {
        match &self.inner {
            Inner::Cpu(c) => Some(&c.net),
            Inner::Gpu(_) => None,
        }
    }

    pub fn cpu_network_mut(&mut self) -> Option<&mut Network> {
        match &mut self.inner {
            Inner::Cpu(c) => Some(&mut c.net),
            Inner::Gpu(_) => None,
        }
    }

    /// GPU runs: every hidden neuron's goal terms at the last terms read.
    pub fn hidden_neurons(&self) -> Option<&Array2<f64>> {
        self.hidden_neurons.as_ref()
    }

    fn lost(&self) -> bool {
        matches!(&self.inner, Inner::Gpu(g) if g.context().is_lost())
    }

    /// Runs `n` training steps outside the driver (tests, benchmarks): on the GPU they
    /// are recorded and submitted, not waited for; on the CPU they run now. A lost
    /// device switches to the CPU engine first.
    pub fn queue_steps(&mut self, n: usize) -> Result<(), EngineError> {
        let schedule = Schedule::new(self.config(), self.task.train_len());
        let mut done = 0;
        while done < n {
            let (epoch, j) = schedule.position(self.steps());
            let order = EpochOrder::new(self.config().data_seed, epoch, schedule.samples);
            let k = (n - done).min(schedule.steps_per_epoch - j);
            let task = self.task.clone();
            let before = self.steps();
            self.train(&task, &schedule, &order, k)?;
            if self.steps() == before + k as u32 {
                done += k;
            }
        }
        Ok(())
    }

    /// Waits for queued GPU work (native only; a no-op on the CPU engine). A lost
    /// device switches to the CPU engine; any other GPU error is returned.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn wait(&mut self) -> Result<(), EngineError> {
        if let Inner::Gpu(g) = &self.inner {
            if let Err(e) = g.wait() {
                if !g.context().is_lost() {
                    return Err(EngineError::Gpu(e));
                }
                self.fall_back();
            }
        }
        Ok(())
    }

    /// Switches to the CPU engine from the last checkpoint after a device loss.
    fn fall_back(&mut self) {
        let Inner::Gpu(g) = &self.inner else {
            return;
        };
        let reason = g
            .context()
            .lost_reason()
            .unwrap_or_else(|| "no reason given".into());
        let lost_at = g.steps();
        let net = match self.checkpoint.take() {
            Some(net) => net,
            None => Network::new(g.config(), self.task.dim, self.task.classes)
                .expect("the config was valid for the GPU run"),
        };
        self.notice(
            NoticeKind::DeviceLost,
            format!(
                "GPU device lost ({reason}) at step {lost_at}; continuing on the CPU engine \
                 from the checkpoint at step {}",
                net.steps()
            ),
        );
        self.adapter = None;
        self.hidden_neurons = None;
        self.inner = Inner::Cpu(Box::new(CpuBackend::new(net)));
    }

    /// Simulates a device loss (destroys the device); the next step falls back.
    pub fn simulate_device_loss(&mut self) {
        if let Inner::Gpu(g) = &self.inner {
            g.context().simulate_loss();
        }
    }

    /// GPU runs: copies the whole state to the host, the point a device loss resumes from.
    pub async fn checkpoint(&mut self) -> Result<(), EngineError> {
        if self.gpu().is_some() {
            self.snapshot().await?;
        }
        Ok(())
    }

    /// Replaces the hidden layer's γ (term order) from the next step on, on either
    /// engine (and in the device-loss checkpoint).
    pub fn set_goal(&mut self, gamma: &[f64]) -> Result<(), EngineError> {
        Ok(StepBackend::set_goal(self, gamma)?)
    }

    /// The whole state as a CPU network, also kept as the device-loss checkpoint on
    /// the GPU engine (one readback for both).
    pub async fn snapshot(&mut self) -> Result<Network, EngineError> {
        let Inner::Gpu(g) = &self.inner else {
            return self.network().await;
        };
        match g.to_network().await {
            Ok(net) => {
                self.checkpoint = Some(net.clone());
                Ok(net)
            }
            Err(_) if self.lost() => {
                self.fall_back();
                self.network().await
            }
            Err(e) => Err(EngineError::Gpu(e)),
        }
    }

    /// The whole state as a CPU network (a readback of every weight on the GPU).
    pub async fn network(&mut self) -> Result<Network, EngineError> {
        match &self.inner {
            Inner::Gpu(g) => g.to_network().await.map_err(EngineError::Gpu),
            Inner::Cpu(c) => Ok(c.net.clone()),
        }
    }

    /// The step, the last step's terms and the means since the previous call (a small
    /// asynchronous readback on the GPU).
    pub async fn metrics(&mut self) -> Result<EngineMetrics, EngineError> {
        let t = self.take_terms().await?;
        let (hidden_mean, output_mean) = t.means();
        Ok(EngineMetrics {
            step: self.steps(),
            engine: self.engine_name(),
            hidden: t.last_hidden,
            output: t.last_output,
            hidden_mean,
            output_mean,
            steps_in_mean: t.steps,
        })
    }

    /// Accuracy on a split with the label input at zero and the read-out rule of
    /// [`crate::network::accuracy`] (`eval_step` picks the
    /// sampling streams).
    pub async fn accuracy(&mut self, split: Split, eval_step: u32) -> Result<f64, EngineError> {
        let task = self.task.clone();
        let (_, labels) = task.part(split);
        if labels.is_empty() {
            return Ok(f64::NAN);
        }
        let chunk = self.config().batch.max(1);
        let mut theta = Vec::with_capacity(labels.len() * task.classes);
        for start in (0..labels.len()).step_by(chunk) {
            let len = chunk.min(labels.len() - start);
            let t = self.predict(&task, split, start, len, eval_step).await?;
            theta.extend(t.iter().copied());
        }
        let theta =
            Array2::from_shape_vec((labels.len(), task.classes), theta).expect("rows × classes");
        let local = self.config().model != crate::network::ModelKind::Backprop;
        Ok(crate::network::accuracy::score(theta, labels, local)
            .0
            .accuracy())
    }
}

impl StepBackend for Engine {
    fn config(&self) -> &RunConfig {
        Engine::config(self)
    }

    fn steps(&self) -> u32 {
        Engine::steps(self)
    }

    fn train(
        &mut self,
        task: &TaskData,
        schedule: &Schedule,
        order: &EpochOrder,
        n: usize,
    ) -> Result<(), RunError> {
        if self.lost() {
            // The step count moves back to the checkpoint's: the driver resynchronises.
            self.fall_back();
            return Ok(());
        }
        match &mut self.inner {
            Inner::Cpu(c) => c.train(task, schedule, order, n),
            Inner::Gpu(g) => {
                for _ in 0..n {
                    if let Err(e) = g.queue_step() {
                        if g.context().is_lost() {
                            self.fall_back();
                            return Ok(());
                        }
                        return Err(backend_error(e));
                    }
                }
                Ok(())
            }
        }
    }

    async fn take_terms(&mut self) -> Result<TermSums, RunError> {
        if let Inner::Gpu(g) = &mut self.inner {
            match g.metrics(true).await {
                Ok(m) => {
                    let t = m
                        .hidden_terms
                        .len()
                        .checked_div(m.hidden_neurons)
                        .unwrap_or(0);
                    self.hidden_neurons =
                        Array2::from_shape_vec((m.hidden_neurons, t), m.hidden_terms.clone())
                            .ok()
                            .map(|a| a.mapv(f64::from));
                    return Ok(TermSums {
                        hidden: GpuMetrics::mean_terms(&m.hidden_sum, m.hidden_neurons),
                        output: GpuMetrics::mean_terms(&m.output_sum, m.output_neurons),
                        steps: m.accumulated_steps,
                        last_hidden: GpuMetrics::mean_terms(&m.hidden_terms, m.hidden_neurons),
                        last_output: GpuMetrics::mean_terms(&m.output_terms, m.output_neurons),
                        // The GPU engine does not count training predictions.
                        ..TermSums::default()
                    });
                }
                Err(_) if g.context().is_lost() => self.fall_back(),
                Err(e) => return Err(backend_error(e)),
            }
        }
        let Inner::Cpu(c) = &mut self.inner else {
            unreachable!("the GPU case returned")
        };
        c.take_terms().await
    }

    async fn predict(
        &mut self,
        task: &TaskData,
        split: Split,
        start: usize,
        len: usize,
        eval_step: u32,
    ) -> Result<Array2<f32>, RunError> {
        if let Inner::Gpu(g) = &mut self.inner {
            match g.predict(split, start, eval_step).await {
                Ok(theta) => {
                    let classes = task.classes;
                    let rows = theta.len() / classes.max(1);
                    if rows != len {
                        return Err(backend_error(format!(
                            "{rows} rows of θ read back, {len} asked for"
                        )));
                    }
                    return Ok(
                        Array2::from_shape_vec((rows, classes), theta).expect("rows × classes")
                    );
                }
                Err(_) if g.context().is_lost() => self.fall_back(),
                Err(e) => return Err(backend_error(e)),
            }
        }
        let Inner::Cpu(c) = &mut self.inner else {
            unreachable!("the GPU case returned")
        };
        c.predict(task, split, start, len, eval_step).await
    }

    /// On the GPU this reads the whole network back and keeps it as the checkpoint
    /// (once per epoch).
    async fn non_finite_layer(&mut self) -> Result<Option<&'static str>, RunError> {
        if let Inner::Cpu(c) = &mut self.inner {
            return c.non_finite_layer().await;
        }
        let net = self.snapshot().await.map_err(|e| match e {
            EngineError::Run(e) => e,
            other => backend_error(other.to_string()),
        })?;
        Ok(run::non_finite_layer(&net))
    }

    fn set_goal(&mut self, gamma: &[f64]) -> Result<(), RunError> {
        match &mut self.inner {
            Inner::Cpu(c) => c.set_goal(gamma),
            Inner::Gpu(g) => {
                if let Some(h) = self.checkpoint.as_mut().and_then(|c| c.hidden.as_mut()) {
                    h.set_goal(gamma).map_err(RunError::Invalid)?;
                }
                g.set_goal(gamma).map_err(RunError::Invalid)
            }
        }
    }
}
