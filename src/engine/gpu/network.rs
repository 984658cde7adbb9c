//! The GPU network: every buffer of a training step allocated once (weights, biases,
//! masks, Adam moments, the dataset, per-batch scratch), one full step recorded as a
//! fixed list of dispatches, and small asynchronous readbacks (metrics, accuracy
//! counts) and a full snapshot back into a CPU [`Network`].
//!
//! A step mirrors `Network::train_batch` (src/network/model.rs) stage by stage: gather
//! the batch through the epoch's permutation, aggregates, activation and sampling (two
//! recurrent steps with lateral input), binning, PID, activation gradient, weight
//! gradients, Adam, for the hidden and then the output layer.

use super::context::{GpuContext, Need};
use super::kernels::{grid, prefer_direct, Kernel, Kernels};
use super::pid::{PidBindings, PidKernel, PidStages};
use super::uniforms::{
    ActivationGradParams, ActivationSampleParams, AdamParams, AggregateParams, BinningParams,
    GatherParams, MetricsParams, StepUniform, WeightGradParams,
};
use crate::network::adam::bias_corrections;
use crate::network::layer::{Activation, Binning, Layer, Wiring};
use crate::network::model::{
    ModelKind, Network, RunConfig, STREAM_EVAL, STREAM_EVAL_FIRST, STREAM_HIDDEN,
    STREAM_HIDDEN_FIRST,
};
use crate::rng::counter_key;
use crate::tasks::TaskData;
use ndarray::Array2;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use wgpu::util::DeviceExt;

/// The models the GPU engine runs; the others stay on the CPU engine.
pub fn supports(model: ModelKind) -> bool {
    matches!(
        model,
        ModelKind::Context
            | ModelKind::Lateral
            | ModelKind::Trivariate
            | ModelKind::TrivariateSparse
    )
}

/// Which part of a task (one type for the driver and the GPU engine).
pub use crate::tasks::Split;

/// What a metrics readback returns.
#[derive(Clone, Debug, Default)]
pub struct GpuMetrics {
    /// Training steps completed when the readback was recorded.
    pub step: u32,
    /// Goal terms of every hidden neuron at the last step (neurons × terms, row-major).
    pub hidden_terms: Vec<f32>,
    /// The same for the output layer.
    pub output_terms: Vec<f32>,
    /// Sums of the per-neuron terms over `accumulated_steps` steps (since the last reset).
    pub hidden_sum: Vec<f32>,
    pub output_sum: Vec<f32>,
    pub accumulated_steps: u32,
    pub hidden_neurons: usize,
    pub output_neurons: usize,
}

impl GpuMetrics {
    /// Mean over neurons of the last step's terms, per term (as `StepTerms`).
    pub fn mean_terms(terms: &[f32], neurons: usize) -> Vec<f64> {
        if neurons == 0 || terms.is_empty() {
            return Vec::new();
        }
        let t = terms.len() / neurons;
        (0..t)
            .map(|j| (0..neurons).map(|n| terms[n * t + j] as f64).sum::<f64>() / neurons as f64)
            .collect()
    }
}

struct GpuSource {
    dim: usize,
    wiring: Wiring,
    /// Weights (neurons × dim, row-major) then the bias.
    params: wgpu::Buffer,
    grad: wgpu::Buffer,
    /// First moments then second moments, in the parameter layout.
    moments: wgpu::Buffer,
    mask: Option<wgpu::Buffer>,
}

struct GpuLayer {
    neurons: usize,
    sources: Vec<GpuSource>,
    activation: Activation,
    binning: Binning,
    bins: usize,
    lr: f64,
    weight_decay: f64,
    terms: usize,
    /// Adam steps taken so far (the same for every source of the layer).
    adam_steps: i32,
    agg: wgpu::Buffer,
    dagg: wgpu::Buffer,
    theta: wgpu::Buffer,
    theta_nm: wgpu::Buffer,
    /// Sampled outputs (of the second recurrent step) of the hidden layer; the output
    /// layer's samples are never read, so it has none.
    y: Option<wgpu::Buffer>,
    bin_buf: wgpu::Buffer,
    dtheta: wgpu::Buffer,
    term_buf: wgpu::Buffer,
    term_sum: wgpu::Buffer,
    /// One PID kernel per training batch size (full batches and the epoch's remainder).
    pids: Vec<(usize, PidKernel, PidBindings)>,
}

#[derive(Clone, Copy, Debug)]
enum K {
    Gather,
    Aggregate,
    ActivationSample,
    ActivationTheta,
    Binning,
    ActivationGrad,
    WeightGrad,
    BiasGrad,
    Adam,
    Accumulate,
}

#[derive(Clone, Copy, Debug)]
enum LayerId {
    Hidden,
    Output,
}

enum Op {
    Dispatch {
        k: K,
        group: wgpu::BindGroup,
        size: [u32; 3],
    },
    Pid {
        layer: LayerId,
        batch: usize,
    },
}

/// A recorded sequence of dispatches for one batch size; static uniforms and bind
/// groups are built once.
struct Plan {
    batch: usize,
    ops: Vec<Op>,
}

pub struct GpuNetwork {
    ctx: GpuContext,
    kernels: Kernels,
    config: RunConfig,
    dim: usize,
    classes: usize,
    train_len: usize,
    /// (first row, rows) of train, val and test in the dataset buffer.
    sets: [(usize, usize); 3],
    step_uniform: wgpu::Buffer,
    perm: wgpu::Buffer,
    /// Hidden outputs of the first recurrent step (input of the lateral weights).
    y_first: Option<wgpu::Buffer>,
    xb: wgpu::Buffer,
    ctx_buf: wgpu::Buffer,
    hidden: GpuLayer,
    output: GpuLayer,
    train_plans: Vec<Plan>,
    eval_plans: Vec<Plan>,
    count_groups: [wgpu::BindGroup; 3],
    eval_theta: wgpu::Buffer,
    counts: wgpu::Buffer,
    counts_staging: wgpu::Buffer,
    /// θ of one `predict` chunk (config.batch rows at most).
    predict_staging: wgpu::Buffer,
    metrics_staging: wgpu::Buffer,
    step: u32,
    epoch_uploaded: usize,
    accumulated: u32,
    batch: usize,
    steps_per_epoch: usize,
}

pub(crate) fn storage(device: &wgpu::Device, label: &str, bytes: usize) -> wgpu::Buffer {
    device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size: (bytes.max(16) as u64).next_multiple_of(4),
        usage: wgpu::BufferUsages::STORAGE
            | wgpu::BufferUsages::COPY_SRC
            | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    })
}

pub(crate) fn storage_init(device: &wgpu::Device, label: &str, data: &[u8]) -> wgpu::Buffer {
    if data.len() < 16 {
        let mut padded = data.to_vec();
        padded.resize(16, 0);
        return storage_init(device, label, &padded);
    }
    device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some(label),
        contents: data,
        usage: wgpu::BufferUsages::STORAGE
            | wgpu::BufferUsages::COPY_SRC
            | wgpu::BufferUsages::COPY_DST,
    })
}

pub(crate) fn staging(device: &wgpu::Device, label: &str, bytes: usize) -> wgpu::Buffer {
    device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size: (bytes.max(16) as u64).next_multiple_of(4),
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    })
}

/// A uniform buffer holding one parameter struct (see [`super::uniforms`]).
pub(crate) fn uniform<T: bytemuck::Pod>(device: &wgpu::Device, value: &T) -> wgpu::Buffer {
    device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some("params"),
        contents: bytemuck::bytes_of(value),
        usage: wgpu::BufferUsages::UNIFORM,
    })
}

pub(crate) fn group(
    device: &wgpu::Device,
    k: &Kernel,
    buffers: &[&wgpu::Buffer],
) -> wgpu::BindGroup {
    assert_eq!(k.bindings.len(), buffers.len(), "bindings of a kernel");
    let entries: Vec<wgpu::BindGroupEntry> = k
        .bindings
        .iter()
        .zip(buffers)
        .map(|(&binding, b)| wgpu::BindGroupEntry {
            binding,
            resource: b.as_entire_binding(),
        })
        .collect();
    device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout: &k.layout,
        entries: &entries,
    })
}

/// A one-shot future for `map_async`: ready when wgpu calls back (after `device.poll`
/// natively, when the browser resolves the mapping on the web).
struct MapFuture {
    state: Arc<Mutex<MapState>>,
}

/// The mapping's outcome once known, and who to wake.
type MapState = (Option<Result<(), String>>, Option<Waker>);

impl Future for MapFuture {
    type Output = Result<(), String>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut s = self.state.lock().expect("map state");
        match s.0.take() {
            Some(r) => Poll::Ready(r),
            None => {
                s.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// Maps a staging buffer and copies its bytes out, without blocking a browser thread.
pub(crate) async fn read_staging(
    ctx: &GpuContext,
    buffer: &wgpu::Buffer,
    bytes: usize,
) -> Result<Vec<u8>, String> {
    let state: Arc<Mutex<MapState>> = Arc::new(Mutex::new((None, None)));
    let s2 = state.clone();
    let slice = buffer.slice(..(bytes as u64).next_multiple_of(4).max(4));
    slice.map_async(wgpu::MapMode::Read, move |r| {
        let mut s = s2.lock().expect("map state");
        s.0 = Some(r.map_err(|e| format!("GPU readback failed: {e}")));
        if let Some(w) = s.1.take() {
            w.wake();
        }
    });
    #[cfg(not(target_arch = "wasm32"))]
    ctx.device
        .poll(wgpu::PollType::wait_indefinitely())
        .map_err(|e| format!("GPU readback failed: {e}"))?;
    #[cfg(target_arch = "wasm32")]
    let _ = ctx;
    MapFuture { state }.await?;
    let out = {
        let view = slice
            .get_mapped_range()
            .map_err(|e| format!("GPU readback failed: {e:?}"))?;
        view[..bytes].to_vec()
    };
    buffer.unmap();
    Ok(out)
}

impl GpuLayer {
    fn new(
        ctx: &GpuContext,
        layer: &Layer,
        max_batch: usize,
        batches: &[usize],
        pid_stages: &PidStages,
        samples: bool,
    ) -> Result<Self, String> {
        let device = &ctx.device;
        let n = layer.neurons();
        let n_src = layer.sources.len();
        let mut sources = Vec::new();
        for s in &layer.sources {
            let dim = s.config.dim;
            let mut params: Vec<f32> = s.weights.iter().copied().collect();
            params.extend(s.bias.iter());
            let (aw, ab) = s.adam();
            let (_, mw, vw) = aw.state();
            let (_, mb, vb) = ab.state();
            let len = n * dim + n;
            let mut moments = vec![0.0f32; 2 * len];
            if !mw.is_empty() {
                moments[..n * dim].copy_from_slice(mw);
                moments[len..len + n * dim].copy_from_slice(vw);
            }
            moments[n * dim..len].copy_from_slice(mb);
            moments[len + n * dim..].copy_from_slice(vb);
            sources.push(GpuSource {
                dim,
                wiring: s.config.wiring,
                params: storage_init(device, "params", bytemuck::cast_slice(&params)),
                grad: storage(device, "grad", len * 4),
                moments: storage_init(device, "moments", bytemuck::cast_slice(&moments)),
                mask: s.mask().map(|m| {
                    let v: Vec<f32> = m.iter().copied().collect();
                    storage_init(device, "mask", bytemuck::cast_slice(&v))
                }),
            });
        }
        let terms = layer.term_count();
        let bn = max_batch * n;
        let mut pids = Vec::new();
        let (bin_buf, theta_nm, dtheta, term_buf) = (
            storage(device, "bins", bn * 4),
            storage(device, "theta_nm", bn * 4),
            storage(device, "dtheta", bn * 4),
            storage(device, "terms", n * terms * 4),
        );
        for &b in batches {
            let (bins, goal) = (layer.config.bins, &layer.config.goal);
            let pid = PidKernel::with_stages(device, pid_stages, n_src, n, b, bins, goal)?;
            let bindings = pid.bind(device, &bin_buf, &theta_nm, &dtheta, &term_buf);
            pids.push((b, pid, bindings));
        }
        let steps = layer.sources[0].adam().1.state().0;
        Ok(GpuLayer {
            neurons: n,
            sources,
            activation: layer.config.activation,
            binning: layer.config.binning,
            bins: layer.config.bins,
            lr: layer.config.lr,
            weight_decay: layer.config.weight_decay,
            terms,
            adam_steps: steps,
            agg: storage(device, "agg", n_src * bn * 4),
            dagg: storage(device, "dagg", n_src * bn * 4),
            theta: storage(device, "theta", bn * 4),
            theta_nm,
            y: samples.then(|| storage(device, "y", bn * 4)),
            bin_buf,
            dtheta,
            term_buf,
            term_sum: storage(device, "term_sum", n * terms * 4),
            pids,
        })
    }

    fn stride(&self, max_batch: usize) -> usize {
        max_batch * self.neurons
    }
}

/// Buffer sizes of a network, for the limit check before any allocation.
pub fn needs(config: &RunConfig, dim: usize, classes: usize, rows: usize) -> Vec<Need> {
    let n = config.hidden;
    let b = config.batch.min(rows.max(1));
    let n_src =
        if config.model == ModelKind::Trivariate || config.model == ModelKind::TrivariateSparse {
            3
        } else {
            2
        };
    let mut v = vec![
        Need {
            what: format!("the dataset ({rows} rows of {dim} inputs)"),
            bytes: (rows * (dim + 1) * 4) as u64,
        },
        Need {
            what: format!("the hidden feedforward weights ({n} × {dim})"),
            bytes: (2 * (n * dim + n) * 4) as u64,
        },
        Need {
            what: format!("the hidden aggregates (batch {b} × {n} neurons × {n_src} sources)"),
            bytes: (n_src * b * n * 4) as u64,
        },
        Need {
            what: format!("the batch of inputs ({b} × {dim})"),
            bytes: (b * dim * 4) as u64,
        },
    ];
    if config.model.has_lateral() {
        v.push(Need {
            what: format!("the lateral weights ({n} × {n})"),
            bytes: (2 * (n * n + n) * 4) as u64,
        });
    }
    v.push(Need {
        what: format!("the output layer's inputs (batch {b} × {classes})"),
        bytes: (b * classes * 4) as u64,
    });
    v
}

impl GpuNetwork {
    /// Uploads a CPU network (weights, biases, masks, Adam state, step counter) and the
    /// task's data, and records the step and evaluation plans. Nothing is allocated
    /// after this.
    pub fn new(ctx: GpuContext, net: &Network, task: &TaskData) -> Result<Self, String> {
        let config = net.config.clone();
        if !supports(config.model) {
            return Err(format!(
                "the {} model runs on the CPU engine only",
                config.model.name()
            ));
        }
        let hidden_layer = net.hidden.as_ref().ok_or("the model has no hidden layer")?;
        if config.bins > 256 {
            return Err(format!(
                "the GPU engine packs bin indices into 8 bits: bins must be at most 256, got {}",
                config.bins
            ));
        }
        if task.classes > 64 {
            return Err("the GPU engine handles at most 64 classes".into());
        }
        let (dim, classes) = (task.dim, task.classes);
        let train_len = task.train_len();
        if train_len == 0 {
            return Err("the task has no training samples".into());
        }
        let rows = train_len + task.val_len() + task.test_len();
        ctx.check(&needs(&config, dim, classes, rows))?;
        let max_groups = ctx.limits.max_compute_workgroups_per_dimension;
        if (config.hidden.max(dim).div_ceil(16)) as u64 > max_groups as u64 {
            return Err(format!(
                "hidden {} or input dim {dim} needs more than the adapter's \
                 max_compute_workgroups_per_dimension ({max_groups}) workgroups",
                config.hidden
            ));
        }
        let device = &ctx.device;
        let kernels = Kernels::new(device, prefer_direct(&ctx.info));
        // The dataset once: every row as dim inputs then the label.
        let mut data = Vec::with_capacity(rows * (dim + 1));
        for (x, y) in [
            (&task.train_x, &task.train_y),
            (&task.val_x, &task.val_y),
            (&task.test_x, &task.test_y),
        ] {
            for (row, &label) in x.chunks_exact(dim).zip(y.iter()) {
                data.extend_from_slice(row);
                data.push(label as f32);
            }
        }
        let sets = [
            (0, train_len),
            (train_len, task.val_len()),
            (train_len + task.val_len(), task.test_len()),
        ];
        let batch = config.batch.min(train_len);
        let steps_per_epoch = train_len.div_ceil(batch);
        let mut train_batches = vec![batch];
        let rem = train_len - (steps_per_epoch - 1) * batch;
        if rem != batch {
            train_batches.push(rem);
        }
        let pid_stages = PidStages::new(&ctx.device);
        let hidden = GpuLayer::new(&ctx, hidden_layer, batch, &train_batches, &pid_stages, true)?;
        let output = GpuLayer::new(&ctx, &net.output, batch, &train_batches, &pid_stages, false)?;
        let data_buf = storage_init(device, "dataset", bytemuck::cast_slice(&data));
        let max_set = sets.iter().map(|s| s.1).max().unwrap_or(0).max(1);
        let counts = storage(device, "counts", 16);
        let eval_theta = storage(device, "eval_theta", max_set * classes * 4);
        let count_groups = std::array::from_fn(|i| {
            let (base, len) = sets[i];
            let u = uniform(
                device,
                &MetricsParams {
                    len: len as u32,
                    classes: classes as u32,
                    dim: dim as u32,
                    base: base as u32,
                    slot: i as u32,
                    // The whole set's means (network::accuracy).
                    chunk: 0,
                    ..Default::default()
                },
            );
            group(
                device,
                &kernels.count,
                &[&u, &eval_theta, &data_buf, &counts],
            )
        });
        let mut gpu = GpuNetwork {
            step_uniform: device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("step"),
                size: std::mem::size_of::<StepUniform>() as u64,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            }),
            perm: storage(device, "perm", train_len * 4),
            y_first: config
                .model
                .has_lateral()
                .then(|| storage(device, "y_first", batch * config.hidden * 4)),
            xb: storage(device, "xb", batch * dim * 4),
            ctx_buf: storage(device, "context", batch * classes * 4),
            counts_staging: staging(device, "counts staging", 16),
            predict_staging: staging(
                device,
                "predict staging",
                config.batch.max(1).min(max_set) * classes * 4,
            ),
            metrics_staging: staging(
                device,
                "metrics staging",
                2 * (hidden.neurons * hidden.terms + output.neurons * output.terms) * 4,
            ),
            hidden,
            output,
            train_plans: Vec::new(),
            eval_plans: Vec::new(),
            count_groups,
            eval_theta,
            counts,
            kernels,
            config,
            dim,
            classes,
            train_len,
            sets,
            step: net.steps(),
            epoch_uploaded: 0,
            accumulated: 0,
            batch,
            steps_per_epoch,
            ctx,
        };
        gpu.train_plans = train_batches
            .iter()
            .map(|&b| gpu.plan(b, true, &data_buf))
            .collect();
        // Chunk sizes of `accuracy` (chunks of `batch` from row 0) and of `predict`
        // (chunks of config.batch, each cut into chunks of `batch`: they differ when the
        // training set is smaller than config.batch).
        let mut eval_batches = vec![batch];
        for &(_, len) in &sets {
            let ends = (0..len).step_by(gpu.config.batch.max(1)).map(|s| {
                let end = (s + gpu.config.batch.max(1)).min(len);
                (end - s) % batch
            });
            for r in ends.chain([len % batch]) {
                if r != 0 && !eval_batches.contains(&r) {
                    eval_batches.push(r);
                }
            }
        }
        gpu.eval_plans = eval_batches
            .iter()
            .map(|&b| gpu.plan(b, false, &data_buf))
            .collect();
        Ok(gpu)
    }

    pub fn context(&self) -> &GpuContext {
        &self.ctx
    }

    pub fn steps(&self) -> u32 {
        self.step
    }

    pub fn config(&self) -> &RunConfig {
        &self.config
    }

    pub fn steps_per_epoch(&self) -> usize {
        self.steps_per_epoch
    }

    /// Builds the dispatch list of a training step (`train`) or of an evaluation chunk
    /// for batch size `b`.
    fn plan(&self, b: usize, train: bool, data: &wgpu::Buffer) -> Plan {
        let mut p = PlanBuilder {
            device: &self.ctx.device,
            kernels: &self.kernels,
            step: &self.step_uniform,
            max_groups: self.ctx.limits.max_compute_workgroups_per_dimension,
            b,
            max_batch: self.batch,
            ops: Vec::new(),
        };
        let (dim, classes) = (self.dim, self.classes);
        let u = p.uniform(&GatherParams {
            batch: b as u32,
            dim: dim as u32,
            classes: classes as u32,
            ..Default::default()
        });
        p.dispatch(
            K::Gather,
            &[&u, p.step, data, &self.perm, &self.xb, &self.ctx_buf],
            grid(b * dim.max(classes), p.max_groups),
        );
        // Hidden layer: aggregates of F (and C).
        let h = &self.hidden;
        let mut inputs: Vec<&wgpu::Buffer> = vec![&self.xb];
        if self.config.model != ModelKind::Lateral {
            inputs.push(&self.ctx_buf);
        }
        for (s, x) in inputs.iter().enumerate() {
            p.aggregate(h, s, x, false);
        }
        if self.config.model.has_lateral() {
            let li = h.sources.len() - 1;
            let y1 = self.y_first.as_ref().expect("lateral model");
            // Step 1: lateral input 0, i.e. the lateral aggregate is the bias; step 2:
            // the lateral input is step 1's samples.
            p.aggregate(h, li, y1, true);
            p.activation_sample(h, STREAM_SLOT_FIRST, y1);
            p.aggregate(h, li, y1, false);
            inputs.push(y1);
        }
        let hy = h.y.as_ref().expect("the hidden layer's samples");
        p.activation_sample(h, STREAM_SLOT_HIDDEN, hy);
        if train {
            p.learn(h, LayerId::Hidden, &inputs);
        }
        // Output layer: F = hidden samples, C = label (identity weights).
        let o = &self.output;
        let o_inputs: [&wgpu::Buffer; 2] = [hy, &self.ctx_buf];
        for (s, x) in o_inputs.iter().enumerate() {
            p.aggregate(o, s, x, false);
        }
        p.activation_theta(o);
        if train {
            p.learn(o, LayerId::Output, &o_inputs);
        }
        Plan {
            batch: b,
            ops: p.ops,
        }
    }
}

/// Counter streams of the activation kernel (`key_slot` in
/// shaders/activation_sample.wgsl): the hidden layer's first recurrent step, its main step.
const STREAM_SLOT_FIRST: u32 = 0;
const STREAM_SLOT_HIDDEN: u32 = 1;

/// Appends the dispatches of one plan: what every dispatch of it shares (device,
/// kernels, the per-step uniform, batch sizes) and the list itself.
struct PlanBuilder<'a> {
    device: &'a wgpu::Device,
    kernels: &'a Kernels,
    step: &'a wgpu::Buffer,
    max_groups: u32,
    /// This plan's batch size.
    b: usize,
    /// The largest batch: layer buffers are laid out for it.
    max_batch: usize,
    ops: Vec<Op>,
}

impl PlanBuilder<'_> {
    fn uniform<T: bytemuck::Pod>(&self, value: &T) -> wgpu::Buffer {
        uniform(self.device, value)
    }

    fn dispatch(&mut self, k: K, buffers: &[&wgpu::Buffer], size: [u32; 3]) {
        let group = group(self.device, kernel_of(self.kernels, k), buffers);
        self.ops.push(Op::Dispatch { k, group, size });
    }

    /// x·Wᵀ + b of source `s` into the layer's aggregate buffer (only the bias when
    /// `bias_only`: the first recurrent step's lateral input is 0).
    fn aggregate(&mut self, l: &GpuLayer, s: usize, x: &wgpu::Buffer, bias_only: bool) {
        let (b, n) = (self.b, l.neurons);
        let src = &l.sources[s];
        let offset = s * l.stride(self.max_batch);
        let u = self.uniform(&AggregateParams {
            m: b as u32,
            n: n as u32,
            k: src.dim as u32,
            out_offset: offset as u32,
            bias_only: bias_only as u32,
            ..Default::default()
        });
        let size = self.kernels.aggregate_size(b, n, self.max_groups);
        self.dispatch(K::Aggregate, &[&u, x, &src.params, &l.agg], size);
    }

    /// θ and the sampled ±1 outputs `y` of a layer from its aggregates, drawn from the
    /// counter stream `slot`.
    fn activation_sample(&mut self, l: &GpuLayer, slot: u32, y: &wgpu::Buffer) {
        let (b, n) = (self.b, l.neurons);
        let stride = l.stride(self.max_batch);
        let u = self.uniform(&ActivationSampleParams::new(
            b,
            n,
            stride,
            l.activation,
            -1.0,
            slot,
        ));
        let size = grid(b * n, self.max_groups);
        self.dispatch(
            K::ActivationSample,
            &[&u, self.step, &l.agg, &l.theta, y, &l.theta_nm],
            size,
        );
    }

    /// θ of a layer from its aggregates, without samples (the output layer).
    fn activation_theta(&mut self, l: &GpuLayer) {
        let (b, n) = (self.b, l.neurons);
        let stride = l.stride(self.max_batch);
        // `low` and `key_slot` are not read without samples.
        let u = self.uniform(&ActivationSampleParams::new(
            b,
            n,
            stride,
            l.activation,
            -1.0,
            0,
        ));
        self.dispatch(
            K::ActivationTheta,
            &[&u, &l.agg, &l.theta, &l.theta_nm],
            grid(b * n, self.max_groups),
        );
    }

    /// Binning, PID, activation gradient, weight gradients, Adam and the term sums of
    /// one layer.
    fn learn(&mut self, l: &GpuLayer, id: LayerId, inputs: &[&wgpu::Buffer]) {
        let (b, n, max_groups) = (self.b, l.neurons, self.max_groups);
        let stride = l.stride(self.max_batch);
        let u = self.uniform(&BinningParams::new(
            b,
            n,
            stride,
            l.sources.len(),
            l.binning,
            l.bins,
        ));
        self.dispatch(
            K::Binning,
            &[&u, &l.agg, &l.bin_buf],
            grid(n * 64, max_groups),
        );
        self.ops.push(Op::Pid {
            layer: id,
            batch: b,
        });
        let u = self.uniform(&ActivationGradParams::new(b, n, stride, l.activation));
        self.dispatch(
            K::ActivationGrad,
            &[&u, &l.dtheta, &l.theta, &l.agg, &l.dagg],
            grid(b * n, max_groups),
        );
        for (s, (src, x)) in l.sources.iter().zip(inputs).enumerate() {
            let u = self.uniform(&WeightGradParams {
                batch: b as u32,
                neurons: n as u32,
                dim: src.dim as u32,
                g_offset: (s * stride) as u32,
            });
            let learn_w = src.wiring != Wiring::Identity;
            if learn_w {
                let size = self.kernels.weight_grad_size(n, src.dim, max_groups);
                self.dispatch(K::WeightGrad, &[&u, &l.dagg, x, &src.grad], size);
            }
            self.dispatch(K::BiasGrad, &[&u, &l.dagg, &src.grad], grid(n, max_groups));
            if l.lr == 0.0 {
                continue;
            }
            let w_len = n * src.dim;
            let len = w_len + n;
            let mask_kind = match (&src.mask, src.wiring) {
                (Some(_), _) => 2,
                (None, Wiring::Lateral(_)) => 1,
                _ => 0,
            };
            let skip = if learn_w { 0 } else { w_len };
            let u = self.uniform(&AdamParams {
                len: len as u32,
                w_len: w_len as u32,
                dim: src.dim as u32,
                mask_kind,
                skip: skip as u32,
                output_layer: matches!(id, LayerId::Output) as u32,
                ..AdamParams::new(l.weight_decay)
            });
            let mask = src.mask.as_ref().unwrap_or(&src.grad);
            // `mask` is read only when mask_kind is 2; the gradient stands in otherwise
            // (a read-only binding of it, which the same dispatch also reads).
            self.dispatch(
                K::Adam,
                &[&u, self.step, &src.params, &src.grad, &src.moments, mask],
                grid(len - skip, max_groups),
            );
        }
        let len = n * l.terms;
        let u = self.uniform(&MetricsParams {
            len: len as u32,
            ..Default::default()
        });
        self.dispatch(
            K::Accumulate,
            &[&u, &l.term_buf, &l.term_sum],
            grid(len, max_groups),
        );
    }
}

/// The kernel that runs an op of kind `k`.
fn kernel_of(ks: &Kernels, k: K) -> &Kernel {
    match k {
        K::Gather => &ks.gather,
        K::Aggregate => &ks.aggregate,
        K::ActivationSample => &ks.activation_sample,
        K::ActivationTheta => &ks.activation_theta,
        K::Binning => &ks.binning,
        K::ActivationGrad => &ks.activation_grad,
        K::WeightGrad => &ks.weight_grad,
        K::BiasGrad => &ks.bias_grad,
        K::Adam => &ks.adam,
        K::Accumulate => &ks.accumulate,
    }
}

impl GpuNetwork {
    fn kernel(&self, k: K) -> &Kernel {
        kernel_of(&self.kernels, k)
    }

    /// Records a plan into a command encoder (compute passes around the PID kernel's
    /// own pass) and returns it to append to and submit.
    fn record(&self, plan: &Plan) -> wgpu::CommandEncoder {
        let device = &self.ctx.device;
        let mut enc = device.create_command_encoder(&Default::default());
        let mut i = 0;
        while i < plan.ops.len() {
            {
                let mut pass = enc.begin_compute_pass(&Default::default());
                while let Some(Op::Dispatch { k, group, size }) = plan.ops.get(i) {
                    self.dispatch(&mut pass, *k, group, *size);
                    i += 1;
                }
            }
            if let Some(Op::Pid { layer, batch }) = plan.ops.get(i) {
                let (pid, bindings) = self.pid_of(*layer, *batch);
                pid.record(&mut enc, bindings);
                i += 1;
            }
        }
        enc
    }

    fn dispatch(
        &self,
        pass: &mut wgpu::ComputePass,
        k: K,
        group: &wgpu::BindGroup,
        size: [u32; 3],
    ) {
        pass.set_pipeline(&self.kernel(k).pipeline);
        pass.set_bind_group(0, group, &[]);
        pass.dispatch_workgroups(size[0], size[1], size[2]);
    }

    /// A layer's PID kernel for a training batch size.
    fn pid_of(&self, layer: LayerId, batch: usize) -> (&PidKernel, &PidBindings) {
        let l = match layer {
            LayerId::Hidden => &self.hidden,
            LayerId::Output => &self.output,
        };
        let (_, pid, bindings) = l
            .pids
            .iter()
            .find(|p| p.0 == batch)
            .expect("a PID kernel per training batch size");
        (pid, bindings)
    }

    fn lost_error(&self) -> String {
        format!(
            "the GPU device was lost ({})",
            self.ctx
                .lost_reason()
                .unwrap_or_else(|| "no reason given".into())
        )
    }

    /// Records and submits one training step: every stage on the GPU, no readback.
    pub fn queue_step(&mut self) -> Result<(), String> {
        let b = self.prepare_step()?;
        let enc = self.record(self.train_plan(b));
        self.ctx.queue.submit([enc.finish()]);
        self.advance();
        Ok(())
    }

    /// Writes the next step's uniform (and the epoch's permutation when a new epoch
    /// starts); returns the step's batch size.
    fn prepare_step(&mut self) -> Result<usize, String> {
        if self.ctx.is_lost() {
            return Err(self.lost_error());
        }
        let spe = self.steps_per_epoch;
        let epoch = self.step as usize / spe + 1;
        let j = self.step as usize % spe;
        if self.epoch_uploaded != epoch {
            let order: Vec<u32> =
                crate::engine::epoch_order(self.config.data_seed, epoch, self.train_len)
                    .into_iter()
                    .map(|i| i as u32)
                    .collect();
            self.ctx
                .queue
                .write_buffer(&self.perm, 0, bytemuck::cast_slice(&order));
            self.epoch_uploaded = epoch;
        }
        let seed = self.config.sample_seed;
        let (hs, hr) = bias_corrections(self.hidden.lr, self.hidden.adam_steps + 1);
        let (os, or) = bias_corrections(self.output.lr, self.output.adam_steps + 1);
        let u = StepUniform {
            data_offset: (j * self.batch) as u32,
            key_first: counter_key(seed, STREAM_HIDDEN_FIRST, self.step),
            key_main: counter_key(seed, STREAM_HIDDEN, self.step),
            hidden_step_size: hs,
            hidden_root_correction: hr,
            output_step_size: os,
            output_root_correction: or,
            ..Default::default()
        };
        self.ctx
            .queue
            .write_buffer(&self.step_uniform, 0, bytemuck::bytes_of(&u));
        Ok(self.batch.min(self.train_len - j * self.batch))
    }

    fn train_plan(&self, b: usize) -> &Plan {
        self.train_plans
            .iter()
            .find(|p| p.batch == b)
            .expect("a plan per training batch size")
    }

    /// Counts a submitted step (step, accumulated terms, Adam steps of learning layers).
    fn advance(&mut self) {
        self.step += 1;
        self.accumulated += 1;
        for l in [&mut self.hidden, &mut self.output] {
            if l.lr != 0.0 {
                l.adam_steps += 1;
            }
        }
    }

    /// Runs one training step dispatch by dispatch, waiting after each, and returns the
    /// wall time of every stage in milliseconds (native only; for profiling). The step
    /// counts like any other.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn profile_step(&mut self) -> Result<Vec<(String, f64)>, String> {
        let b = self.prepare_step()?;
        let device = &self.ctx.device;
        let mut out = Vec::new();
        for op in &self.train_plan(b).ops {
            let start = std::time::Instant::now();
            let mut enc = device.create_command_encoder(&Default::default());
            let name = match op {
                Op::Dispatch { k, group, size } => {
                    self.dispatch(
                        &mut enc.begin_compute_pass(&Default::default()),
                        *k,
                        group,
                        *size,
                    );
                    format!("{k:?}")
                }
                Op::Pid { layer, batch } => {
                    let (pid, bindings) = self.pid_of(*layer, *batch);
                    pid.record(&mut enc, bindings);
                    format!("Pid({layer:?})")
                }
            };
            self.ctx.queue.submit([enc.finish()]);
            self.wait()?;
            out.push((name, start.elapsed().as_secs_f64() * 1e3));
        }
        self.advance();
        Ok(out)
    }

    /// Replaces the hidden layer's γ (term order) for the steps submitted after this;
    /// snapshots (`to_network`) carry the new goal.
    pub fn set_goal(&mut self, gamma: &[f64]) -> Result<(), String> {
        for (_, pid, _) in &self.hidden.pids {
            pid.set_goal(&self.ctx.queue, gamma)?;
        }
        self.config.gamma = Some(gamma.to_vec());
        Ok(())
    }

    /// Queues `n` steps (e.g. several per animation frame).
    pub fn queue_steps(&mut self, n: usize) -> Result<(), String> {
        for _ in 0..n {
            self.queue_step()?;
        }
        Ok(())
    }

    /// Blocks until the queue is idle (native only: benchmarks and tests).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn wait(&self) -> Result<(), String> {
        self.ctx
            .device
            .poll(wgpu::PollType::wait_indefinitely())
            .map(|_| ())
            .map_err(|e| format!("GPU wait failed: {e}"))?;
        if self.ctx.is_lost() {
            return Err(self.lost_error());
        }
        Ok(())
    }

    /// Reads the metrics buffer back: the last step's terms of every neuron and the
    /// sums since the last reset (`reset` starts a new sum after this read).
    pub async fn metrics(&mut self, reset: bool) -> Result<GpuMetrics, String> {
        if self.ctx.is_lost() {
            return Err(self.lost_error());
        }
        let (h, o) = (&self.hidden, &self.output);
        let (hl, ol) = (h.neurons * h.terms * 4, o.neurons * o.terms * 4);
        let mut enc = self.ctx.device.create_command_encoder(&Default::default());
        let st = &self.metrics_staging;
        enc.copy_buffer_to_buffer(&h.term_buf, 0, st, 0, hl as u64);
        enc.copy_buffer_to_buffer(&o.term_buf, 0, st, hl as u64, ol as u64);
        enc.copy_buffer_to_buffer(&h.term_sum, 0, st, (hl + ol) as u64, hl as u64);
        enc.copy_buffer_to_buffer(&o.term_sum, 0, st, (2 * hl + ol) as u64, ol as u64);
        if reset {
            enc.clear_buffer(&h.term_sum, 0, None);
            enc.clear_buffer(&o.term_sum, 0, None);
        }
        self.ctx.queue.submit([enc.finish()]);
        let step = self.step;
        let accumulated = self.accumulated;
        if reset {
            self.accumulated = 0;
        }
        let bytes = read_staging(&self.ctx, st, 2 * (hl + ol)).await?;
        let v: Vec<f32> = bytemuck::pod_collect_to_vec(&bytes);
        let (hl, ol) = (hl / 4, ol / 4);
        Ok(GpuMetrics {
            step,
            hidden_terms: v[..hl].to_vec(),
            output_terms: v[hl..hl + ol].to_vec(),
            hidden_sum: v[hl + ol..2 * hl + ol].to_vec(),
            output_sum: v[2 * hl + ol..].to_vec(),
            accumulated_steps: accumulated,
            hidden_neurons: self.hidden.neurons,
            output_neurons: self.output.neurons,
        })
    }

    /// Classification accuracy on a split with the label input at zero, as
    /// `Network::accuracy` (same counter streams with `eval_step`, the read-out rule of
    /// `network::accuracy::score` over the whole set). Everything but the final count
    /// (4 bytes) stays on the GPU.
    pub async fn accuracy(&mut self, split: Split, eval_step: u32) -> Result<f64, String> {
        if self.ctx.is_lost() {
            return Err(self.lost_error());
        }
        let len = self.sets[split as usize].1;
        if len == 0 {
            return Ok(f64::NAN);
        }
        for start in (0..len).step_by(self.batch) {
            self.queue_eval_chunk(split, start, eval_step);
        }
        let mut enc = self.ctx.device.create_command_encoder(&Default::default());
        {
            let mut pass = enc.begin_compute_pass(&Default::default());
            pass.set_pipeline(&self.kernels.count.pipeline);
            pass.set_bind_group(0, &self.count_groups[split as usize], &[]);
            pass.dispatch_workgroups(1, 1, 1);
        }
        enc.copy_buffer_to_buffer(&self.counts, 0, &self.counts_staging, 0, 16);
        self.ctx.queue.submit([enc.finish()]);
        let bytes = read_staging(&self.ctx, &self.counts_staging, 16).await?;
        let counts: Vec<u32> = bytemuck::pod_collect_to_vec(&bytes);
        Ok(counts[split as usize] as f64 / len as f64)
    }

    /// The output layer's θ (rows × classes, row-major) for rows `start..start + b` of a
    /// split, b = min(config.batch, rows − start), with the label input at zero: the
    /// chunks of [`GpuNetwork::accuracy`] for those rows (same dispatches, same counter
    /// streams with `eval_step`), read back. Equals `Network::predict_theta_at` on the
    /// same rows to float rounding. `start` must be below the split's row count.
    pub async fn predict(
        &mut self,
        split: Split,
        start: usize,
        eval_step: u32,
    ) -> Result<Vec<f32>, String> {
        if self.ctx.is_lost() {
            return Err(self.lost_error());
        }
        let len = self.sets[split as usize].1;
        if start >= len {
            return Err(format!(
                "predict: row {start} is past the end of the {split:?} set ({len} rows)"
            ));
        }
        let end = start + self.config.batch.max(1).min(len - start);
        for s in (start..end).step_by(self.batch) {
            self.queue_eval_chunk_to(split, s, end, eval_step)?;
        }
        let classes = self.classes;
        let bytes = (end - start) * classes * 4;
        let mut enc = self.ctx.device.create_command_encoder(&Default::default());
        enc.copy_buffer_to_buffer(
            &self.eval_theta,
            (start * classes * 4) as u64,
            &self.predict_staging,
            0,
            bytes as u64,
        );
        self.ctx.queue.submit([enc.finish()]);
        let out = read_staging(&self.ctx, &self.predict_staging, bytes).await?;
        Ok(bytemuck::pod_collect_to_vec(&out))
    }

    /// Queues the evaluation of rows `start..min(start + batch, rows)` of a split: the
    /// forward pass with the label input at zero, θ copied into `eval_theta` at the rows'
    /// place.
    fn queue_eval_chunk(&self, split: Split, start: usize, eval_step: u32) {
        let len = self.sets[split as usize].1;
        self.queue_eval_chunk_to(split, start, len, eval_step)
            .expect("a plan per evaluation chunk size");
    }

    /// As [`GpuNetwork::queue_eval_chunk`], the chunk ending at `end` at the latest.
    fn queue_eval_chunk_to(
        &self,
        split: Split,
        start: usize,
        end: usize,
        eval_step: u32,
    ) -> Result<(), String> {
        let base = self.sets[split as usize].0;
        let b = self.batch.min(end - start);
        let plan = self
            .eval_plans
            .iter()
            .find(|p| p.batch == b)
            .ok_or_else(|| format!("no evaluation plan for chunks of {b} rows"))?;
        let seed = self.config.sample_seed;
        let u = StepUniform {
            data_offset: start as u32,
            data_base: base as u32,
            mode: 1,
            key_first: counter_key(seed, STREAM_EVAL_FIRST, eval_step),
            key_main: counter_key(seed, STREAM_EVAL, eval_step),
            sample_offset: start as u32,
            ..Default::default()
        };
        self.ctx
            .queue
            .write_buffer(&self.step_uniform, 0, bytemuck::bytes_of(&u));
        let mut enc = self.record(plan);
        let classes = self.classes;
        enc.copy_buffer_to_buffer(
            &self.output.theta,
            0,
            &self.eval_theta,
            (start * classes * 4) as u64,
            (b * classes * 4) as u64,
        );
        self.ctx.queue.submit([enc.finish()]);
        Ok(())
    }

    /// The whole state back in a CPU network: weights, biases, Adam moments and step
    /// counters, the step, and the last per-neuron goal terms. Used for device-loss
    /// checkpoints, run files and the parity tests.
    pub async fn to_network(&self) -> Result<Network, String> {
        if self.ctx.is_lost() {
            return Err(self.lost_error());
        }
        let mut net = Network::new(&self.config, self.dim, self.classes)?;
        let device = &self.ctx.device;
        // One staging buffer for everything (a snapshot, not a step: allocating is fine).
        let mut regions = Vec::new();
        let mut total = 0usize;
        for l in [&self.hidden, &self.output] {
            for s in &l.sources {
                let len = (l.neurons * s.dim + l.neurons) * 4;
                regions.push((s.params.clone(), total, len));
                total += len;
                regions.push((s.moments.clone(), total, 2 * len));
                total += 2 * len;
            }
            let tl = l.neurons * l.terms * 4;
            regions.push((l.term_buf.clone(), total, tl));
            total += tl;
        }
        let st = staging(device, "snapshot", total);
        let mut enc = device.create_command_encoder(&Default::default());
        for (buf, off, len) in &regions {
            enc.copy_buffer_to_buffer(buf, 0, &st, *off as u64, *len as u64);
        }
        self.ctx.queue.submit([enc.finish()]);
        let bytes = read_staging(&self.ctx, &st, total).await?;
        let v: Vec<f32> = bytemuck::pod_collect_to_vec(&bytes);
        let mut r = regions.iter();
        let cpu_layers = [net.hidden.as_mut().expect("hidden layer"), &mut net.output];
        for (gl, cl) in [&self.hidden, &self.output].into_iter().zip(cpu_layers) {
            let n = gl.neurons;
            for (gs, cs) in gl.sources.iter().zip(cl.sources.iter_mut()) {
                let (_, off, len) = r.next().expect("params region");
                let p = &v[off / 4..(off + len) / 4];
                let w_len = n * gs.dim;
                cs.weights
                    .as_slice_mut()
                    .expect("standard layout")
                    .copy_from_slice(&p[..w_len]);
                cs.bias
                    .as_slice_mut()
                    .expect("standard layout")
                    .copy_from_slice(&p[w_len..]);
                let (_, off, _) = r.next().expect("moments region");
                let plen = w_len + n;
                let m = &v[off / 4..off / 4 + plen];
                let vv = &v[off / 4 + plen..off / 4 + 2 * plen];
                let learn_w = gs.wiring != Wiring::Identity;
                let steps = gl.adam_steps;
                let (aw, ab) = cs.adam_mut();
                if learn_w {
                    aw.set_state(steps, &m[..w_len], &vv[..w_len]);
                }
                ab.set_state(steps, &m[w_len..], &vv[w_len..]);
            }
            let (_, off, len) = r.next().expect("terms region");
            let t = &v[off / 4..(off + len) / 4];
            cl.last_terms =
                Array2::from_shape_fn((n, gl.terms), |(i, j)| t[i * gl.terms + j] as f64);
        }
        net.step = self.step;
        Ok(net)
    }
}
