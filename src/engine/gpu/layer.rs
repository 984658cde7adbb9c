//! A layer on the GPU ([`GpuLayer`]): uploaded from a CPU [`Layer`] once, with every
//! buffer of a training step, and downloaded back into one for snapshots.

use super::buffers::{storage, storage_init};
use super::context::GpuContext;
use super::pid::{PidBindings, PidKernel, PidStages};
use crate::network::layer::{Activation, Binning, Layer, Wiring};
use ndarray::Array2;

/// One source of a layer on the GPU: its parameters, gradient, Adam moments, mask.
pub(super) struct GpuSource {
    pub(super) dim: usize,
    pub(super) wiring: Wiring,
    /// Weights (neurons × dim, row-major) then the bias.
    pub(super) params: wgpu::Buffer,
    pub(super) grad: wgpu::Buffer,
    /// First moments then second moments, in the parameter layout.
    pub(super) moments: wgpu::Buffer,
    pub(super) mask: Option<wgpu::Buffer>,
}

/// A layer on the GPU: its sources and every per-batch buffer of a step, sized for the
/// largest batch; one PID kernel per training batch size.
pub(super) struct GpuLayer {
    pub(super) neurons: usize,
    pub(super) sources: Vec<GpuSource>,
    pub(super) activation: Activation,
    pub(super) binning: Binning,
    pub(super) bins: usize,
    pub(super) lr: f64,
    pub(super) weight_decay: f64,
    pub(super) terms: usize,
    /// Adam steps taken so far (the same for every source of the layer).
    pub(super) adam_steps: i32,
    pub(super) agg: wgpu::Buffer,
    pub(super) dagg: wgpu::Buffer,
    pub(super) theta: wgpu::Buffer,
    pub(super) theta_nm: wgpu::Buffer,
    /// Sampled outputs (of the second recurrent step) of the hidden layer; the output
    /// layer's samples are never read, so it has none.
    pub(super) y: Option<wgpu::Buffer>,
    pub(super) bin_buf: wgpu::Buffer,
    pub(super) dtheta: wgpu::Buffer,
    pub(super) term_buf: wgpu::Buffer,
    pub(super) term_sum: wgpu::Buffer,
    /// One PID kernel per training batch size (full batches and the epoch's remainder).
    pub(super) pids: Vec<(usize, PidKernel, PidBindings)>,
}

impl GpuLayer {
    /// Uploads a CPU layer (weights, biases, masks, Adam state) and allocates the step's
    /// buffers; `samples`: whether the layer's ±1 samples are kept (the hidden layer).
    pub(super) fn new(
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

    pub(super) fn stride(&self, max_batch: usize) -> usize {
        max_batch * self.neurons
    }

    /// The buffers a snapshot reads, in order, with their byte lengths: every source's
    /// parameters and moments, then the last goal terms.
    pub(super) fn snapshot_buffers(&self) -> Vec<(&wgpu::Buffer, usize)> {
        let n = self.neurons;
        let mut out = Vec::new();
        for s in &self.sources {
            let len = (n * s.dim + n) * 4;
            out.push((&s.params, len));
            out.push((&s.moments, 2 * len));
        }
        out.push((&self.term_buf, n * self.terms * 4));
        out
    }

    /// Writes a snapshot (the f32 values of [`GpuLayer::snapshot_buffers`], back to
    /// back) into a CPU layer: weights, biases, Adam state and step, last terms.
    pub(super) fn download(&self, v: &[f32], cl: &mut Layer) {
        let n = self.neurons;
        let mut at = 0usize;
        for (gs, cs) in self.sources.iter().zip(cl.sources.iter_mut()) {
            let w_len = n * gs.dim;
            let plen = w_len + n;
            let p = &v[at..at + plen];
            cs.weights
                .as_slice_mut()
                .expect("standard layout")
                .copy_from_slice(&p[..w_len]);
            cs.bias
                .as_slice_mut()
                .expect("standard layout")
                .copy_from_slice(&p[w_len..]);
            let m = &v[at + plen..at + 2 * plen];
            let vv = &v[at + 2 * plen..at + 3 * plen];
            at += 3 * plen;
            let learn_w = gs.wiring != Wiring::Identity;
            let (aw, ab) = cs.adam_mut();
            if learn_w {
                aw.set_state(self.adam_steps, &m[..w_len], &vv[..w_len]);
            }
            ab.set_state(self.adam_steps, &m[w_len..], &vv[w_len..]);
        }
        let t = &v[at..at + n * self.terms];
        cl.last_terms =
            Array2::from_shape_fn((n, self.terms), |(i, j)| t[i * self.terms + j] as f64);
    }
}
