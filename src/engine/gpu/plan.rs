//! Recorded plans: a training step or an evaluation chunk as a fixed list of dispatches
//! (bind groups and static uniforms built once, when the network is uploaded), recorded
//! into a command encoder every step. [`PlanBuilder`] appends the dispatches of one
//! layer's stages; `GpuNetwork::plan` (network.rs) wires the layers together.

use super::buffers::{group, uniform};
use super::kernels::{grid, Kernel, Kernels};
use super::layer::GpuLayer;
use super::pid::{PidBindings, PidKernel};
use super::uniforms::{
    ActivationGradParams, ActivationSampleParams, AdamParams, AggregateParams, BinningParams,
    MetricsParams, WeightGradParams,
};
use crate::network::layer::Wiring;

/// Which kernel a dispatch runs.
#[derive(Clone, Copy, Debug)]
pub(super) enum K {
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

/// Which layer a PID op is for.
#[derive(Clone, Copy, Debug)]
pub(super) enum LayerId {
    Hidden,
    Output,
}

/// One recorded op: a kernel dispatch with its bind group, or a layer's PID stages.
pub(super) enum Op {
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
pub(super) struct Plan {
    pub(super) batch: usize,
    pub(super) ops: Vec<Op>,
}

/// Counter streams of the activation kernel (`key_slot` in
/// shaders/activation_sample.wgsl): the hidden layer's first recurrent step, its main step.
pub(super) const STREAM_SLOT_FIRST: u32 = 0;
pub(super) const STREAM_SLOT_HIDDEN: u32 = 1;

/// Appends the dispatches of one plan: what every dispatch of it shares (device,
/// kernels, the per-step uniform, batch sizes) and the list itself.
pub(super) struct PlanBuilder<'a> {
    pub(super) device: &'a wgpu::Device,
    pub(super) kernels: &'a Kernels,
    pub(super) step: &'a wgpu::Buffer,
    pub(super) max_groups: u32,
    /// This plan's batch size.
    pub(super) b: usize,
    /// The largest batch: layer buffers are laid out for it.
    pub(super) max_batch: usize,
    pub(super) ops: Vec<Op>,
}

impl PlanBuilder<'_> {
    pub(super) fn uniform<T: bytemuck::Pod>(&self, value: &T) -> wgpu::Buffer {
        uniform(self.device, value)
    }

    pub(super) fn dispatch(&mut self, k: K, buffers: &[&wgpu::Buffer], size: [u32; 3]) {
        let group = group(self.device, kernel_of(self.kernels, k), buffers);
        self.ops.push(Op::Dispatch { k, group, size });
    }

    /// x·Wᵀ + b of source `s` into the layer's aggregate buffer (only the bias when
    /// `bias_only`: the first recurrent step's lateral input is 0).
    pub(super) fn aggregate(&mut self, l: &GpuLayer, s: usize, x: &wgpu::Buffer, bias_only: bool) {
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
    pub(super) fn activation_sample(&mut self, l: &GpuLayer, slot: u32, y: &wgpu::Buffer) {
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
    pub(super) fn activation_theta(&mut self, l: &GpuLayer) {
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
    pub(super) fn learn(&mut self, l: &GpuLayer, id: LayerId, inputs: &[&wgpu::Buffer]) {
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

impl Plan {
    /// Records the plan into `enc`: compute passes of dispatches around each layer's
    /// PID stages (which open their own pass). `layers`: hidden, output.
    pub(super) fn record(
        &self,
        enc: &mut wgpu::CommandEncoder,
        kernels: &Kernels,
        layers: [&GpuLayer; 2],
    ) {
        let mut i = 0;
        while i < self.ops.len() {
            {
                let mut pass = enc.begin_compute_pass(&Default::default());
                while let Some(Op::Dispatch { k, group, size }) = self.ops.get(i) {
                    dispatch(&mut pass, kernels, *k, group, *size);
                    i += 1;
                }
            }
            if let Some(Op::Pid { layer, batch }) = self.ops.get(i) {
                let (pid, bindings) = pid_of(layers, *layer, *batch);
                pid.record(enc, bindings);
                i += 1;
            }
        }
    }
}

impl Op {
    /// Records this op alone into `enc` (profiling) and returns its name.
    #[cfg(not(target_arch = "wasm32"))]
    pub(super) fn record_alone(
        &self,
        enc: &mut wgpu::CommandEncoder,
        kernels: &Kernels,
        layers: [&GpuLayer; 2],
    ) -> String {
        match self {
            Op::Dispatch { k, group, size } => {
                dispatch(
                    &mut enc.begin_compute_pass(&Default::default()),
                    kernels,
                    *k,
                    group,
                    *size,
                );
                format!("{k:?}")
            }
            Op::Pid { layer, batch } => {
                let (pid, bindings) = pid_of(layers, *layer, *batch);
                pid.record(enc, bindings);
                format!("Pid({layer:?})")
            }
        }
    }
}

fn dispatch(
    pass: &mut wgpu::ComputePass,
    kernels: &Kernels,
    k: K,
    group: &wgpu::BindGroup,
    size: [u32; 3],
) {
    pass.set_pipeline(&kernel_of(kernels, k).pipeline);
    pass.set_bind_group(0, group, &[]);
    pass.dispatch_workgroups(size[0], size[1], size[2]);
}

/// A layer's PID kernel for a training batch size.
fn pid_of(layers: [&GpuLayer; 2], layer: LayerId, batch: usize) -> (&PidKernel, &PidBindings) {
    let l = match layer {
        LayerId::Hidden => layers[0],
        LayerId::Output => layers[1],
    };
    let (_, pid, bindings) = l
        .pids
        .iter()
        .find(|p| p.0 == batch)
        .expect("a PID kernel per training batch size");
    (pid, bindings)
}
