//! Runs one kernel at a time on given inputs and reads the result back (blocking,
//! native only): the kernel-vs-CPU-twin tests in tests/gpu_engine.rs use this.

use super::buffers::{group, read_staging, staging, storage, storage_init, uniform};
use super::context::GpuContext;
use super::kernels::{grid, Kernel, Kernels};
use super::uniforms::{
    ActivationGradParams, ActivationSampleParams, AdamParams, AggregateParams, BinningParams,
    GatherParams, MetricsParams, StepUniform, WeightGradParams,
};
use crate::network::adam::bias_corrections;
use crate::network::layer::{Activation, Binning};

pub struct KernelCheck {
    ctx: GpuContext,
    kernels: Kernels,
}

impl KernelCheck {
    /// `direct`: the barrier-free matrix products instead of the tiled ones.
    pub fn new(ctx: GpuContext, direct: bool) -> Self {
        let kernels = Kernels::new(&ctx.device, direct);
        KernelCheck { ctx, kernels }
    }

    pub fn context(&self) -> &GpuContext {
        &self.ctx
    }

    fn f32s(&self, v: &[f32]) -> wgpu::Buffer {
        storage_init(&self.ctx.device, "input", bytemuck::cast_slice(v))
    }

    fn run(&self, k: &Kernel, bufs: &[&wgpu::Buffer], size: [u32; 3]) {
        let g = group(&self.ctx.device, k, bufs);
        let mut enc = self.ctx.device.create_command_encoder(&Default::default());
        {
            let mut pass = enc.begin_compute_pass(&Default::default());
            pass.set_pipeline(&k.pipeline);
            pass.set_bind_group(0, &g, &[]);
            pass.dispatch_workgroups(size[0], size[1], size[2]);
        }
        self.ctx.queue.submit([enc.finish()]);
    }

    fn read(&self, buf: &wgpu::Buffer, len: usize) -> Vec<u32> {
        let st = staging(&self.ctx.device, "check", len * 4);
        let mut enc = self.ctx.device.create_command_encoder(&Default::default());
        enc.copy_buffer_to_buffer(buf, 0, &st, 0, (len * 4) as u64);
        self.ctx.queue.submit([enc.finish()]);
        let bytes = pollster::block_on(read_staging(&self.ctx, &st, len * 4)).expect("readback");
        bytemuck::pod_collect_to_vec(&bytes)
    }

    fn read_f32(&self, buf: &wgpu::Buffer, len: usize) -> Vec<f32> {
        self.read(buf, len)
            .into_iter()
            .map(f32::from_bits)
            .collect()
    }

    fn max_groups(&self) -> u32 {
        self.ctx.limits.max_compute_workgroups_per_dimension
    }

    /// gather.wgsl: a batch of `batch` rows from a dataset of rows `rows` (row-major,
    /// `dim` each) with `labels`: with `perm`, rows perm[offset..offset + batch] with their
    /// one-hot labels (training); without, rows base + offset.. with the label input at
    /// zero (evaluation). Returns the inputs (batch × dim) and the context (batch ×
    /// classes).
    #[allow(clippy::too_many_arguments)]
    pub fn gather(
        &self,
        rows: &[f32],
        labels: &[u8],
        dim: usize,
        classes: usize,
        perm: Option<&[u32]>,
        base: usize,
        offset: usize,
        batch: usize,
    ) -> (Vec<f32>, Vec<f32>) {
        let d = &self.ctx.device;
        let mut data = Vec::with_capacity(labels.len() * (dim + 1));
        for (row, &y) in rows.chunks_exact(dim).zip(labels) {
            data.extend_from_slice(row);
            data.push(y as f32);
        }
        let u = uniform(
            d,
            &GatherParams {
                batch: batch as u32,
                dim: dim as u32,
                classes: classes as u32,
                ..Default::default()
            },
        );
        let st = uniform(
            d,
            &StepUniform {
                data_offset: offset as u32,
                data_base: base as u32,
                mode: perm.is_none() as u32,
                ..Default::default()
            },
        );
        let db = self.f32s(&data);
        let pb = storage_init(d, "perm", bytemuck::cast_slice(perm.unwrap_or(&[0])));
        let (xb, cb) = (
            storage(d, "xb", batch * dim * 4),
            storage(d, "ctx", batch * classes * 4),
        );
        self.run(
            &self.kernels.gather,
            &[&u, &st, &db, &pb, &xb, &cb],
            grid(batch * dim.max(classes), self.max_groups()),
        );
        (
            self.read_f32(&xb, batch * dim),
            self.read_f32(&cb, batch * classes),
        )
    }

    /// metrics.wgsl `accumulate`: `acc` + each of `terms` in turn (one dispatch each).
    pub fn accumulate(&self, acc: &[f32], terms: &[Vec<f32>]) -> Vec<f32> {
        let d = &self.ctx.device;
        let u = uniform(
            d,
            &MetricsParams {
                len: acc.len() as u32,
                ..Default::default()
            },
        );
        let ab = self.f32s(acc);
        for t in terms {
            let tb = self.f32s(t);
            self.run(
                &self.kernels.accumulate,
                &[&u, &tb, &ab],
                grid(acc.len(), self.max_groups()),
            );
        }
        self.read_f32(&ab, acc.len())
    }

    /// metrics.wgsl `count`: correct predictions of θ (rows × classes) against `labels`,
    /// read in batches of `chunk` rows (0: the whole set), each inverted by its own means.
    pub fn count(&self, theta: &[f32], labels: &[u8], classes: usize, chunk: usize) -> u32 {
        let d = &self.ctx.device;
        let rows = labels.len();
        // A dataset of label columns alone (dim 0), the set starting at row 1.
        let mut data = vec![0.0f32];
        data.extend(labels.iter().map(|&y| y as f32));
        let u = uniform(
            d,
            &MetricsParams {
                len: rows as u32,
                classes: classes as u32,
                dim: 0,
                base: 1,
                slot: 2,
                chunk: chunk as u32,
                ..Default::default()
            },
        );
        let (tb, db) = (self.f32s(theta), self.f32s(&data));
        let counts = storage(d, "counts", 16);
        self.run(&self.kernels.count, &[&u, &tb, &db, &counts], [1, 1, 1]);
        self.read(&counts, 4)[2]
    }

    /// aggregate.wgsl: x (m × k) · Wᵀ (W: n × k) + bias, m × n.
    pub fn aggregate(
        &self,
        x: &[f32],
        w: &[f32],
        bias: &[f32],
        m: usize,
        n: usize,
        k: usize,
    ) -> Vec<f32> {
        let mut params = w.to_vec();
        params.extend_from_slice(bias);
        let (xb, pb) = (self.f32s(x), self.f32s(&params));
        let out = storage(&self.ctx.device, "out", m * n * 4);
        let u = uniform(
            &self.ctx.device,
            &AggregateParams {
                m: m as u32,
                n: n as u32,
                k: k as u32,
                ..Default::default()
            },
        );
        let size = self.kernels.aggregate_size(m, n, self.max_groups());
        self.run(&self.kernels.aggregate, &[&u, &xb, &pb, &out], size);
        self.read_f32(&out, m * n)
    }

    /// activation_sample.wgsl: aggregates (sources blocks of batch × neurons) → θ
    /// (batch-major), samples y (±1 with `key`, `offset`), θ neuron-major.
    pub fn activation_sample(
        &self,
        agg: &[f32],
        activation: Activation,
        batch: usize,
        neurons: usize,
        key: u32,
        offset: u32,
    ) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let d = &self.ctx.device;
        let bn = batch * neurons;
        let u = uniform(
            d,
            &ActivationSampleParams::new(batch, neurons, bn, activation, -1.0, 1),
        );
        let st = uniform(
            d,
            &StepUniform {
                key_main: key,
                sample_offset: offset,
                ..Default::default()
            },
        );
        let ab = self.f32s(agg);
        let (th, y, tn) = (
            storage(d, "t", bn * 4),
            storage(d, "y", bn * 4),
            storage(d, "tn", bn * 4),
        );
        self.run(
            &self.kernels.activation_sample,
            &[&u, &st, &ab, &th, &y, &tn],
            grid(bn, self.max_groups()),
        );
        (
            self.read_f32(&th, bn),
            self.read_f32(&y, bn),
            self.read_f32(&tn, bn),
        )
    }

    /// activation_sample.wgsl `activation_theta`: θ batch-major and neuron-major, no
    /// samples.
    pub fn activation_theta(
        &self,
        agg: &[f32],
        activation: Activation,
        batch: usize,
        neurons: usize,
    ) -> (Vec<f32>, Vec<f32>) {
        let d = &self.ctx.device;
        let bn = batch * neurons;
        let u = uniform(
            d,
            &ActivationSampleParams::new(batch, neurons, bn, activation, -1.0, 0),
        );
        let ab = self.f32s(agg);
        let (th, tn) = (storage(d, "t", bn * 4), storage(d, "tn", bn * 4));
        self.run(
            &self.kernels.activation_theta,
            &[&u, &ab, &th, &tn],
            grid(bn, self.max_groups()),
        );
        (self.read_f32(&th, bn), self.read_f32(&tn, bn))
    }

    /// binning.wgsl: packed bin indices, neuron-major.
    pub fn binning(
        &self,
        agg: &[f32],
        sources: usize,
        binning: Binning,
        bins: usize,
        batch: usize,
        neurons: usize,
    ) -> Vec<u32> {
        let d = &self.ctx.device;
        let bn = batch * neurons;
        let u = uniform(
            d,
            &BinningParams::new(batch, neurons, bn, sources, binning, bins),
        );
        let ab = self.f32s(agg);
        let out = storage(d, "bins", bn * 4);
        self.run(
            &self.kernels.binning,
            &[&u, &ab, &out],
            grid(neurons * 64, self.max_groups()),
        );
        self.read(&out, bn)
    }

    /// activation_grad.wgsl: dLoss/d(aggregate) blocks from ∂G/∂θ (neuron-major).
    pub fn activation_grad(
        &self,
        dtheta: &[f32],
        theta: &[f32],
        agg: &[f32],
        activation: Activation,
        batch: usize,
        neurons: usize,
    ) -> Vec<f32> {
        let d = &self.ctx.device;
        let bn = batch * neurons;
        let u = uniform(
            d,
            &ActivationGradParams::new(batch, neurons, bn, activation),
        );
        let (db, tb, ab) = (self.f32s(dtheta), self.f32s(theta), self.f32s(agg));
        let out = storage(d, "dagg", agg.len() * 4);
        self.run(
            &self.kernels.activation_grad,
            &[&u, &db, &tb, &ab, &out],
            grid(bn, self.max_groups()),
        );
        self.read_f32(&out, agg.len())
    }

    /// weight_grad.wgsl: gᵀ · x (neurons × dim) followed by the bias sums.
    pub fn weight_grad(
        &self,
        g: &[f32],
        x: &[f32],
        batch: usize,
        neurons: usize,
        dim: usize,
    ) -> Vec<f32> {
        let d = &self.ctx.device;
        let u = uniform(
            d,
            &WeightGradParams {
                batch: batch as u32,
                neurons: neurons as u32,
                dim: dim as u32,
                g_offset: 0,
            },
        );
        let (gb, xb) = (self.f32s(g), self.f32s(x));
        let out = storage(d, "grad", (neurons * dim + neurons) * 4);
        self.run(
            &self.kernels.weight_grad,
            &[&u, &gb, &xb, &out],
            self.kernels
                .weight_grad_size(neurons, dim, self.max_groups()),
        );
        self.run(
            &self.kernels.bias_grad,
            &[&u, &gb, &out],
            grid(neurons, self.max_groups()),
        );
        self.read_f32(&out, neurons * dim + neurons)
    }

    /// adam.wgsl: `steps` Adam steps on [weights | bias] with the given gradients (one per
    /// step); mask_kind 0 none, 1 zero diagonal, 2 `mask`. Returns params, m, v.
    #[allow(clippy::too_many_arguments)]
    pub fn adam(
        &self,
        params: &[f32],
        grads: &[Vec<f32>],
        neurons: usize,
        dim: usize,
        mask_kind: u32,
        mask: Option<&[f32]>,
        lr: f64,
        weight_decay: f64,
    ) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let d = &self.ctx.device;
        let len = params.len();
        let pb = self.f32s(params);
        let mom = storage(d, "moments", 2 * len * 4);
        let mb = self.f32s(mask.unwrap_or(&[0.0]));
        let u = uniform(
            d,
            &AdamParams {
                len: len as u32,
                w_len: (neurons * dim) as u32,
                dim: dim as u32,
                mask_kind,
                ..AdamParams::new(weight_decay)
            },
        );
        for (t, g) in grads.iter().enumerate() {
            let (s, r) = bias_corrections(lr, t as i32 + 1);
            let st = uniform(
                d,
                &StepUniform {
                    hidden_step_size: s,
                    hidden_root_correction: r,
                    ..Default::default()
                },
            );
            let gb = self.f32s(g);
            self.run(
                &self.kernels.adam,
                &[&u, &st, &pb, &gb, &mom, &mb],
                grid(len, self.max_groups()),
            );
        }
        let m = self.read_f32(&mom, 2 * len);
        (
            self.read_f32(&pb, len),
            m[..len].to_vec(),
            m[len..].to_vec(),
        )
    }
}
