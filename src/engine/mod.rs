//! Engine choice: the wgpu engine when an adapter with compute shaders exists (and the
//! model is one it runs), else the CPU engine; forceable either way. Callers see which
//! engine and adapter run, and every fallback is reported in [`Engine::notices`]. If
//! the GPU device is lost mid-run, the run continues on the CPU engine from the last
//! checkpoint's weights, Adam state and step, and says so.
//!
//! The same API serves the native command line (blocking with `pollster::block_on`) and
//! the page (await the `async fn`s; `queue_steps` only records and submits on the GPU).

pub mod gpu;

use crate::network::model::{Network, RunConfig, StepTerms};
use crate::network::train::view;
use crate::rng::Stream;
use crate::tasks::TaskData;
use gpu::{GpuContext, GpuNetwork, Split};

/// The shuffled training order of an epoch (1-based), exactly as
/// `network::train::train_epoch` draws it.
pub fn epoch_order(data_seed: u64, epoch: usize, n: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    Stream::new(data_seed ^ (epoch as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .shuffle(&mut order);
    order
}

/// Which engine the caller wants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnginePreference {
    /// GPU when an adapter exists and the model runs there, else CPU.
    Auto,
    /// The CPU engine.
    Cpu,
    /// The GPU engine or an error.
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
    /// Every hidden neuron's terms at the last step (neurons × terms).
    pub hidden_neurons: Vec<Vec<f64>>,
}

enum Inner {
    Cpu(Box<Network>),
    Gpu(Box<GpuNetwork>),
}

pub struct Engine {
    inner: Inner,
    task: TaskData,
    /// GPU runs: the last host copy of the whole state (the device-loss fallback).
    checkpoint: Option<Network>,
    adapter: Option<String>,
    notices: Vec<String>,
    order: (usize, Vec<usize>),
    /// CPU runs: the last step's terms and the sums since the last metrics call.
    last: StepTerms,
    sums: (Vec<f64>, Vec<f64>, u32),
}

fn add(sum: &mut Vec<f64>, t: &[f64]) {
    if sum.len() != t.len() {
        *sum = vec![0.0; t.len()];
    }
    for (s, v) in sum.iter_mut().zip(t) {
        *s += v;
    }
}

impl Engine {
    /// A fresh network for `config` on the preferred engine.
    pub async fn new(
        config: &RunConfig,
        task: TaskData,
        preference: EnginePreference,
    ) -> Result<Engine, String> {
        let net = Network::new(config, task.dim, task.classes)?;
        Self::from_network(net, task, preference).await
    }

    /// Continues `net` (weights, Adam state, step) on the preferred engine.
    pub async fn from_network(
        net: Network,
        task: TaskData,
        preference: EnginePreference,
    ) -> Result<Engine, String> {
        let wants_gpu =
            preference != EnginePreference::Cpu && gpu::network::supports(net.config.model);
        let ctx = if wants_gpu {
            Some(GpuContext::new().await)
        } else {
            None
        };
        Self::choose(net, task, preference, ctx)
    }

    /// The engine choice given the outcome of the adapter request (`None`: not asked
    /// for). Tests pass `Some(Err(..))` to force the CPU fallback.
    pub fn choose(
        net: Network,
        task: TaskData,
        preference: EnginePreference,
        ctx: Option<Result<GpuContext, String>>,
    ) -> Result<Engine, String> {
        let mut engine = Engine {
            inner: Inner::Cpu(Box::new(Network::new(&net.config, task.dim, task.classes)?)),
            task,
            checkpoint: None,
            adapter: None,
            notices: Vec::new(),
            order: (0, Vec::new()),
            last: StepTerms::default(),
            sums: (Vec::new(), Vec::new(), 0),
        };
        if preference == EnginePreference::Cpu {
            engine.notices.push("CPU engine (requested)".to_string());
            engine.inner = Inner::Cpu(Box::new(net));
            return Ok(engine);
        }
        let attempt = match ctx {
            _ if !gpu::network::supports(net.config.model) => Err(format!(
                "the {} model runs on the CPU engine only",
                net.config.model.name()
            )),
            None => Err("no GPU adapter was requested".to_string()),
            Some(Err(e)) => Err(e),
            Some(Ok(ctx)) => {
                let adapter = ctx.adapter_description();
                GpuNetwork::new(ctx, &net, &engine.task)
                    .map(|g| (g, adapter.clone()))
                    .map_err(|e| format!("the GPU engine on {adapter} refused this run: {e}"))
            }
        };
        match attempt {
            Ok((g, adapter)) => {
                engine.notices.push(format!("GPU engine on {adapter}"));
                engine.adapter = Some(adapter);
                engine.inner = Inner::Gpu(Box::new(g));
                engine.checkpoint = Some(net);
            }
            Err(e) if preference == EnginePreference::Gpu => return Err(e),
            Err(e) => {
                engine.notices.push(format!("CPU engine: {e}"));
                engine.inner = Inner::Cpu(Box::new(net));
            }
        }
        Ok(engine)
    }

    /// "gpu" or "cpu".
    pub fn engine_name(&self) -> &'static str {
        match self.inner {
            Inner::Cpu(_) => "cpu",
            Inner::Gpu(_) => "gpu",
        }
    }

    /// The adapter the GPU engine runs on (name, backend, device type), if any.
    pub fn adapter_info(&self) -> Option<&str> {
        self.adapter.as_deref()
    }

    /// Messages about the engine choice and any fallback, oldest first.
    pub fn notices(&self) -> &[String] {
        &self.notices
    }

    pub fn steps(&self) -> u32 {
        match &self.inner {
            Inner::Cpu(n) => n.steps(),
            Inner::Gpu(g) => g.steps(),
        }
    }

    pub fn config(&self) -> &RunConfig {
        match &self.inner {
            Inner::Cpu(n) => &n.config,
            Inner::Gpu(g) => g.config(),
        }
    }

    pub fn task(&self) -> &TaskData {
        &self.task
    }

    /// Training steps per epoch (the last batch of an epoch may be smaller).
    pub fn steps_per_epoch(&self) -> usize {
        let n = self.task.train_len();
        n.div_ceil(self.config().batch.min(n).max(1))
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

    /// Runs `n` training steps: on the GPU they are recorded and submitted, not waited
    /// for; on the CPU they run now. A lost device switches to the CPU engine first.
    pub fn queue_steps(&mut self, n: usize) -> Result<(), String> {
        let mut done = 0;
        while done < n {
            match &mut self.inner {
                Inner::Gpu(g) => {
                    if g.context().is_lost() {
                        self.fall_back();
                        continue;
                    }
                    match g.queue_step() {
                        Ok(()) => done += 1,
                        Err(_) if g.context().is_lost() => self.fall_back(),
                        Err(e) => return Err(e),
                    }
                }
                Inner::Cpu(_) => {
                    self.cpu_step()?;
                    done += 1;
                }
            }
        }
        Ok(())
    }

    /// Waits for queued GPU work (native only; a no-op on the CPU engine).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn wait(&mut self) -> Result<(), String> {
        if let Inner::Gpu(g) = &self.inner {
            if g.wait().is_err() && g.context().is_lost() {
                self.fall_back();
            }
        }
        Ok(())
    }

    fn cpu_step(&mut self) -> Result<(), String> {
        let Inner::Cpu(net) = &mut self.inner else {
            unreachable!("cpu_step on the CPU engine")
        };
        let n = self.task.train_len();
        let batch = net.config.batch.min(n.max(1));
        let spe = n.div_ceil(batch);
        let step = net.steps() as usize;
        let epoch = step / spe + 1;
        if self.order.0 != epoch {
            self.order = (epoch, epoch_order(net.config.data_seed, epoch, n));
        }
        let j = step % spe;
        let chunk = &self.order.1[j * batch..((j + 1) * batch).min(n)];
        let dim = self.task.dim;
        let mut xb = Vec::with_capacity(chunk.len() * dim);
        let mut yb = Vec::with_capacity(chunk.len());
        for &i in chunk {
            xb.extend_from_slice(&self.task.train_x[i * dim..(i + 1) * dim]);
            yb.push(self.task.train_y[i]);
        }
        let terms = net.train_batch(view(&xb, dim), &yb);
        add(&mut self.sums.0, &terms.hidden);
        add(&mut self.sums.1, &terms.output);
        self.sums.2 += 1;
        self.last = terms;
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
        self.notices.push(format!(
            "GPU device lost ({reason}) at step {lost_at}; continuing on the CPU engine \
             from the checkpoint at step {}",
            net.steps()
        ));
        self.adapter = None;
        self.inner = Inner::Cpu(Box::new(net));
        self.sums = (Vec::new(), Vec::new(), 0);
    }

    /// Simulates a device loss (destroys the device); the next step falls back.
    pub fn simulate_device_loss(&mut self) {
        if let Inner::Gpu(g) = &self.inner {
            g.context().simulate_loss();
        }
    }

    /// GPU runs: copies the whole state to the host, the point a device loss resumes from.
    pub async fn checkpoint(&mut self) -> Result<(), String> {
        if let Inner::Gpu(g) = &self.inner {
            match g.to_network().await {
                Ok(net) => self.checkpoint = Some(net),
                Err(_) if g.context().is_lost() => self.fall_back(),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Replaces the hidden layer's γ (term order) from the next step on, on either
    /// engine (and in the device-loss checkpoint).
    pub fn set_goal(&mut self, gamma: &[f64]) -> Result<(), String> {
        let no_hidden = || "this model has no hidden layer with a goal".to_string();
        match &mut self.inner {
            Inner::Cpu(net) => net.hidden.as_mut().ok_or_else(no_hidden)?.set_goal(gamma),
            Inner::Gpu(g) => {
                if let Some(h) = self.checkpoint.as_mut().and_then(|c| c.hidden.as_mut()) {
                    h.set_goal(gamma)?;
                }
                g.set_goal(gamma)
            }
        }
    }

    /// The whole state as a CPU network, also kept as the device-loss checkpoint on
    /// the GPU engine (one readback for both).
    pub async fn snapshot(&mut self) -> Result<Network, String> {
        let net = match self.network().await {
            Ok(net) => net,
            Err(_) if self.gpu().is_some_and(|g| g.context().is_lost()) => {
                self.fall_back();
                return self.network().await;
            }
            Err(e) => return Err(e),
        };
        if self.gpu().is_some() {
            let mut copy = Network::new(&net.config, self.task.dim, self.task.classes)?;
            copy_state(&net, &mut copy);
            self.checkpoint = Some(copy);
        }
        Ok(net)
    }

    /// The step, the last step's terms and the means since the previous call (a small
    /// asynchronous readback on the GPU).
    pub async fn metrics(&mut self) -> Result<EngineMetrics, String> {
        let engine = self.engine_name();
        if let Inner::Gpu(g) = &mut self.inner {
            match g.metrics(true).await {
                Ok(m) => {
                    let steps = m.accumulated_steps.max(1) as f64;
                    let mean = |s: &[f32], n: usize| {
                        GpuMetrics::mean_terms(s, n)
                            .into_iter()
                            .map(|v| v / steps)
                            .collect::<Vec<_>>()
                    };
                    let t = m
                        .hidden_terms
                        .len()
                        .checked_div(m.hidden_neurons)
                        .unwrap_or(0);
                    return Ok(EngineMetrics {
                        step: m.step,
                        engine,
                        hidden: GpuMetrics::mean_terms(&m.hidden_terms, m.hidden_neurons),
                        output: GpuMetrics::mean_terms(&m.output_terms, m.output_neurons),
                        hidden_mean: mean(&m.hidden_sum, m.hidden_neurons),
                        output_mean: mean(&m.output_sum, m.output_neurons),
                        steps_in_mean: m.accumulated_steps,
                        hidden_neurons: m
                            .hidden_terms
                            .chunks(t.max(1))
                            .map(|r| r.iter().map(|&v| v as f64).collect())
                            .collect(),
                    });
                }
                Err(_) if g.context().is_lost() => self.fall_back(),
                Err(e) => return Err(e),
            }
        }
        let Inner::Cpu(net) = &self.inner else {
            unreachable!()
        };
        let steps = self.sums.2.max(1) as f64;
        let scale = |v: &[f64]| v.iter().map(|x| x / steps).collect::<Vec<_>>();
        let m = EngineMetrics {
            step: net.steps(),
            engine: self.engine_name(),
            hidden: self.last.hidden.clone(),
            output: self.last.output.clone(),
            hidden_mean: scale(&self.sums.0),
            output_mean: scale(&self.sums.1),
            steps_in_mean: self.sums.2,
            hidden_neurons: net
                .hidden
                .as_ref()
                .map(|h| {
                    h.last_terms
                        .rows()
                        .into_iter()
                        .map(|r| r.to_vec())
                        .collect()
                })
                .unwrap_or_default(),
        };
        self.sums = (Vec::new(), Vec::new(), 0);
        Ok(m)
    }

    /// Accuracy on a split with the label input at zero (`eval_step` picks the
    /// sampling streams, as `network::train::evaluate` uses the epoch).
    pub async fn accuracy(&mut self, split: Split, eval_step: u32) -> Result<f64, String> {
        if let Inner::Gpu(g) = &mut self.inner {
            match g.accuracy(split, eval_step).await {
                Ok(a) => return Ok(a),
                Err(_) if g.context().is_lost() => self.fall_back(),
                Err(e) => return Err(e),
            }
        }
        let Inner::Cpu(net) = &mut self.inner else {
            unreachable!()
        };
        let t = &self.task;
        let (x, y) = match split {
            Split::Train => (&t.train_x, &t.train_y),
            Split::Val => (&t.val_x, &t.val_y),
            Split::Test => (&t.test_x, &t.test_y),
        };
        Ok(net.accuracy(view(x, t.dim), y, eval_step))
    }

    /// The whole state as a CPU network (a readback of every weight on the GPU).
    pub async fn network(&mut self) -> Result<Network, String> {
        match &self.inner {
            Inner::Gpu(g) => g.to_network().await,
            Inner::Cpu(net) => {
                // A copy through the same path the GPU uses: rebuild and overwrite.
                let mut copy = Network::new(&net.config, self.task.dim, self.task.classes)?;
                copy_state(net, &mut copy);
                Ok(copy)
            }
        }
    }

    /// The CPU network itself, when the CPU engine runs.
    pub fn cpu_network(&self) -> Option<&Network> {
        match &self.inner {
            Inner::Cpu(n) => Some(n),
            Inner::Gpu(_) => None,
        }
    }
}

use gpu::GpuMetrics;

/// Copies weights, biases, Adam states, terms and the step from one network to another
/// of the same configuration.
pub(crate) fn copy_state(from: &Network, to: &mut Network) {
    let pairs = from
        .hidden
        .iter()
        .zip(to.hidden.iter_mut())
        .chain(std::iter::once((&from.output, &mut to.output)));
    for (a, b) in pairs {
        for (sa, sb) in a.sources.iter().zip(b.sources.iter_mut()) {
            sb.weights.assign(&sa.weights);
            sb.bias.assign(&sa.bias);
            let (aw, ab) = sa.adam();
            let (bw, bb) = sb.adam_mut();
            let (s, m, v) = aw.state();
            bw.set_state(s, m, v);
            let (s, m, v) = ab.state();
            bb.set_state(s, m, v);
        }
        b.last_terms = a.last_terms.clone();
    }
    to.step = from.step;
}
