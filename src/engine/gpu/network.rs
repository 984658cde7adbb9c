//! The GPU network: every buffer of a training step allocated once (the layers in
//! layer.rs, the dataset, per-batch scratch), one full step recorded as a fixed list of
//! dispatches (plan.rs), and small asynchronous readbacks (metrics, accuracy counts,
//! predictions) and a full snapshot back into a CPU [`Network`].
//!
//! A step mirrors `Network::train_batch` (src/network/model.rs) stage by stage: gather
//! the batch through the epoch's permutation, aggregates, activation and sampling (two
//! recurrent steps with lateral input), binning, PID, activation gradient, weight
//! gradients, Adam, for the hidden and then the output layer (whose θ is computed
//! without samples: nothing reads them). Which shader mirrors which CPU function:
//! [`super::twins`].

use super::buffers::{group, read_staging, staging, storage, storage_init, uniform};
use super::context::{GpuContext, Need};
use super::kernels::{grid, prefer_direct, Kernels};
use super::layer::GpuLayer;
use super::pid::PidStages;
use super::plan::{LayerId, Plan, PlanBuilder, K, STREAM_SLOT_FIRST, STREAM_SLOT_HIDDEN};
use super::uniforms::{GatherParams, MetricsParams, StepUniform};
use crate::network::adam::bias_corrections;
use crate::network::model::{
    ModelKind, Network, RunConfig, STREAM_EVAL, STREAM_EVAL_FIRST, STREAM_HIDDEN,
    STREAM_HIDDEN_FIRST,
};
use crate::rng::counter_key;
use crate::tasks::TaskData;

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

impl GpuNetwork {
    /// Records a plan into a command encoder, to append to and submit.
    fn record(&self, plan: &Plan) -> wgpu::CommandEncoder {
        let mut enc = self.ctx.device.create_command_encoder(&Default::default());
        plan.record(&mut enc, &self.kernels, [&self.hidden, &self.output]);
        enc
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
            let name = op.record_alone(&mut enc, &self.kernels, [&self.hidden, &self.output]);
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
        let layers = [&self.hidden, &self.output];
        let buffers: Vec<Vec<(&wgpu::Buffer, usize)>> =
            layers.iter().map(|l| l.snapshot_buffers()).collect();
        let total: usize = buffers.iter().flatten().map(|b| b.1).sum();
        let st = staging(device, "snapshot", total);
        let mut enc = device.create_command_encoder(&Default::default());
        let mut off = 0u64;
        for &(buf, len) in buffers.iter().flatten() {
            enc.copy_buffer_to_buffer(buf, 0, &st, off, len as u64);
            off += len as u64;
        }
        self.ctx.queue.submit([enc.finish()]);
        let bytes = read_staging(&self.ctx, &st, total).await?;
        let v: Vec<f32> = bytemuck::pod_collect_to_vec(&bytes);
        let cpu_layers = [net.hidden.as_mut().expect("hidden layer"), &mut net.output];
        let mut at = 0usize;
        for ((gl, bufs), cl) in layers.into_iter().zip(&buffers).zip(cpu_layers) {
            let len: usize = bufs.iter().map(|b| b.1 / 4).sum();
            gl.download(&v[at..at + len], cl);
            at += len;
        }
        net.step = self.step;
        Ok(net)
    }
}
