//! `auto` on a hardware adapter: a few training steps of the configuration on each
//! engine, on throwaway copies of the network, and the faster one runs. The outcome is
//! remembered per configuration shape (model, sizes, batch, bins, data dimensions), so
//! a process measures each shape once.

use super::gpu::{GpuContext, GpuNetwork};
use super::EngineKind;
use crate::network::model::Network;
use crate::network::run::{now, CpuBackend, EpochOrder, Schedule, StepBackend};
use crate::tasks::TaskData;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// Timed steps per engine (after one warm-up step that compiles and uploads).
const TIMED_STEPS: usize = 3;

/// Training steps per second of both engines on one configuration.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rates {
    pub cpu: f64,
    pub gpu: f64,
}

impl Rates {
    /// The faster engine (the CPU engine on a tie: it needs no device).
    pub fn faster(&self) -> EngineKind {
        if self.gpu > self.cpu {
            EngineKind::Gpu
        } else {
            EngineKind::Cpu
        }
    }
}

/// What makes two configurations run at the same speed.
type Shape = (String, usize, usize, usize, usize, usize, usize, usize);

fn shape(net: &Network, task: &TaskData) -> Shape {
    let c = &net.config;
    (
        c.model.name().to_string(),
        c.hidden,
        c.batch.min(task.train_len()),
        c.bins,
        c.sparse_k,
        task.dim,
        task.classes,
        task.train_len(),
    )
}

fn remembered() -> &'static Mutex<HashMap<Shape, Rates>> {
    static RATES: OnceLock<Mutex<HashMap<Shape, Rates>>> = OnceLock::new();
    RATES.get_or_init(Default::default)
}

/// The rates of `net`'s configuration on both engines: remembered, or measured on
/// copies (the GPU copy on its own device), so `net` itself takes no step.
pub async fn rates(net: &Network, task: &TaskData) -> Result<Rates, String> {
    let key = shape(net, task);
    if let Some(r) = remembered().lock().ok().and_then(|m| m.get(&key).copied()) {
        return Ok(r);
    }
    let r = Rates {
        cpu: cpu_rate(net, task),
        gpu: gpu_rate(net, task).await?,
    };
    if let Ok(mut m) = remembered().lock() {
        m.insert(key, r);
    }
    Ok(r)
}

fn cpu_rate(net: &Network, task: &TaskData) -> f64 {
    let schedule = Schedule::new(&net.config, task.train_len());
    let mut cpu = CpuBackend::new(net.clone());
    let (mut taken, mut seconds) = (0usize, 0.0);
    for i in 0..=TIMED_STEPS {
        let (epoch, _) = schedule.position(cpu.steps());
        let order = EpochOrder::new(net.config.data_seed, epoch, schedule.samples);
        let start = now();
        if cpu.train(task, &schedule, &order, 1).is_err() {
            break;
        }
        if i > 0 {
            seconds += now() - start;
            taken += 1;
        }
    }
    taken as f64 / seconds.max(1e-9)
}

async fn gpu_rate(net: &Network, task: &TaskData) -> Result<f64, String> {
    let mut g = GpuNetwork::new(GpuContext::new().await?, net, task)?;
    g.queue_step()?;
    g.metrics(true).await?;
    let start = now();
    for _ in 0..TIMED_STEPS {
        g.queue_step()?;
    }
    g.metrics(true).await?;
    Ok(TIMED_STEPS as f64 / (now() - start).max(1e-9))
}
