//! The PID stages of the GPU engine: goal terms and exact ∂G/∂θ of every neuron of a
//! layer from its binned samples, as four WGSL compute passes (method §2–4). The CPU
//! twin is [`crate::pid::Isx::goal_from_samples`]; this computes the same in f32.
//!
//! Stages (one dispatch each, covering all neurons; the first three use one
//! workgroup of 256 per neuron, on a 2-D grid past 65535 neurons):
//! 1. `pid_states`: samples → occupied joint states with their θ-weighted masses;
//! 2. `pid_isx`: marginals, I^sx of every antichain, atoms, H_res, per-state gradient parts;
//! 3. `pid_gradient`: ∂G/∂θ per joint state (inclusion–exclusion sums gathered);
//! 4. `pid_dtheta`: ∂G/∂θ per sample (one thread per sample).
//!
//! Caller buffers (STORAGE), neuron-major, sample b of neuron n at `n·batch + b`:
//! `bins` u32 with the bin of source i (0 = F, 1 = C, 2 = L) in bits 8i..8i+7, each
//! below `bins`; `theta` f32, θ = P(Y = +1); `dtheta` f32, written: ∂G/∂θ_b including
//! the 1/B; `terms` f32, neurons × [`PidKernel::term_count`], written: the atoms in the
//! paper's order, then H_res.
//!
//! Every sum runs in a fixed order (gathers over tiles, tree reductions), so the
//! results are deterministic for a given input; no float atomics are needed. The work
//! per neuron grows with (occupied states)², which is small in training (10–100 states
//! per 1024 samples) and correct, but slower, when every sample is distinct.
//!
//! Limits: 4 storage buffers per stage, 9220 bytes of workgroup memory, 256
//! invocations, a 3104-byte uniform block; scratch of 36 (2 sources) or 52 (3 sources)
//! bytes per joint-state slot (min(batch, bins^sources) slots per neuron) plus 4 per
//! sample, in buffers
//! that must each fit max_storage_buffer_binding_size (2000 × 4096 × 3 sources fits
//! `Limits::downlevel_defaults()`).

use super::kernels::{pipeline, shader_module, Kernel, Slot};
use super::uniforms::{PidParams, MAX_ANTICHAINS, MAX_UNION_TERMS, MOBIUS_COLUMNS};
use crate::pid::{GoalWeights, Lattice};
use std::f64::consts::LN_2;

const WORKGROUP: u64 = 256;
/// Workgroup memory of the largest stages (pid_isx: 256 × 16 + 1280 × 4 + 4 bytes;
/// pid_gradient: 256 × (4 + 16 + 16) + 4 bytes).
const WORKGROUP_BYTES: u32 = 9220;

/// The uniform block's size (`Params` in pid_common.wgsl).
const PARAM_BYTES: usize = std::mem::size_of::<PidParams>();

/// The stages: name (the shader file without `.wgsl`) and storage bindings.
const STAGES: [(&str, usize); 4] = [
    ("pid_states", 4),
    ("pid_isx", 4),
    ("pid_gradient", 4),
    ("pid_dtheta", 3),
];
/// Which storage bindings each stage only reads (binding 1 onward).
const READ_ONLY: [&[bool]; 4] = [
    &[true, true, false, false],
    &[false, false, false, false],
    &[true, true, true, false],
    &[true, true, false],
];

/// The bind groups of one set of caller buffers, created once and reused every step.
pub struct PidBindings {
    groups: Vec<wgpu::BindGroup>,
}

/// The PID stages for one layer shape, with their per-neuron scratch buffers.
pub struct PidKernel {
    sources: usize,
    neurons: usize,
    batch: usize,
    capacity: usize,
    lattice: Lattice,
    params: wgpu::Buffer,
    state_of: wgpu::Buffer,
    states: wgpu::Buffer,
    grad_a: wgpu::Buffer,
    grad_b: wgpu::Buffer,
    diff: wgpu::Buffer,
    stages: Vec<Kernel>,
    neuron_grid: (u32, u32),
    sample_grid: (u32, u32),
}

/// A 2-D grid of `count` workgroups within `max` per dimension.
fn grid(count: u64, max: u32) -> Result<(u32, u32), String> {
    let x = count.clamp(1, max as u64);
    let y = count.div_ceil(x);
    if y > max as u64 {
        return Err(format!(
            "{count} workgroups exceed max_compute_workgroups_per_dimension² ({max}²)"
        ));
    }
    Ok((x as u32, y as u32))
}

fn check_buffer(limits: &wgpu::Limits, what: &str, bytes: u64) -> Result<(), String> {
    if bytes > limits.max_storage_buffer_binding_size {
        return Err(format!(
            "{what} needs {bytes} bytes, over max_storage_buffer_binding_size ({})",
            limits.max_storage_buffer_binding_size
        ));
    }
    if bytes > limits.max_buffer_size {
        return Err(format!(
            "{what} needs {bytes} bytes, over max_buffer_size ({})",
            limits.max_buffer_size
        ));
    }
    Ok(())
}

fn check_limit(name: &str, have: u32, need: u32) -> Result<(), String> {
    if have < need {
        return Err(format!(
            "the PID kernel needs {name} ≥ {need}, the device has {have}"
        ));
    }
    Ok(())
}

/// The four compiled PID stages (pipelines and layouts); shape-independent, so one
/// set serves every [`PidKernel`] on a device.
#[derive(Clone)]
pub(crate) struct PidStages(Vec<Kernel>);

impl PidStages {
    pub(crate) fn new(device: &wgpu::Device) -> Self {
        PidStages(
            STAGES
                .iter()
                .zip(READ_ONLY)
                .map(|(&(name, count), read_only)| {
                    debug_assert_eq!(count, read_only.len());
                    Self::stage(device, name, read_only)
                })
                .collect(),
        )
    }

    fn stage(device: &wgpu::Device, name: &str, read_only: &[bool]) -> Kernel {
        let mut slots = vec![(0, Slot::Uniform)];
        for (i, &read_only) in read_only.iter().enumerate() {
            let slot = if read_only { Slot::Read } else { Slot::Write };
            slots.push((i as u32 + 1, slot));
        }
        let code = shader_module(&format!("{name}.wgsl")).expect("a PID stage's shader");
        pipeline(device, name, code, "main", &slots)
    }
}

impl PidKernel {
    /// Compiles the stages and allocates scratch for `neurons` neurons of `sources`
    /// sources (2 or 3) with `batch` samples and `bins` bins per source (≤ 256).
    pub fn new(
        device: &wgpu::Device,
        sources: usize,
        neurons: usize,
        batch: usize,
        bins: usize,
        gamma: &[f64],
    ) -> Result<Self, String> {
        let stages = PidStages::new(device);
        Self::with_stages(device, &stages, sources, neurons, batch, bins, gamma)
    }

    /// As [`PidKernel::new`] with stages compiled once for several kernels (the
    /// engine's layers and batch sizes share them: the shaders do not depend on shape).
    pub(crate) fn with_stages(
        device: &wgpu::Device,
        stages: &PidStages,
        sources: usize,
        neurons: usize,
        batch: usize,
        bins: usize,
        gamma: &[f64],
    ) -> Result<Self, String> {
        if !(2..=3).contains(&sources) {
            return Err(format!("the GPU PID takes 2 or 3 sources, got {sources}"));
        }
        if !(2..=256).contains(&bins) {
            return Err(format!("the GPU PID takes 2 to 256 bins, got {bins}"));
        }
        if neurons == 0 || batch == 0 {
            return Err("the GPU PID needs at least one neuron and one sample".into());
        }
        let limits = device.limits();
        check_limit(
            "max_storage_buffers_per_shader_stage",
            limits.max_storage_buffers_per_shader_stage,
            4,
        )?;
        check_limit(
            "max_compute_invocations_per_workgroup",
            limits.max_compute_invocations_per_workgroup,
            WORKGROUP as u32,
        )?;
        check_limit(
            "max_compute_workgroup_size_x",
            limits.max_compute_workgroup_size_x,
            WORKGROUP as u32,
        )?;
        check_limit(
            "max_compute_workgroup_storage_size",
            limits.max_compute_workgroup_storage_size,
            WORKGROUP_BYTES,
        )?;
        check_limit(
            "max_uniform_buffer_binding_size",
            limits.max_uniform_buffer_binding_size.min(u32::MAX as u64) as u32,
            PARAM_BYTES as u32,
        )?;
        // Distinct joint states per neuron: at most the batch and at most the table.
        let capacity = bins
            .checked_pow(sources as u32)
            .unwrap_or(usize::MAX)
            .min(batch);
        let (n, b, c) = (neurons as u64, batch as u64, capacity as u64);
        let samples = n * b;
        for (what, bytes) in [
            ("bins, theta and dtheta (neurons × batch × 4)", samples * 4),
            ("the joint states (neurons × states × 16)", (n * c + n) * 16),
        ] {
            check_buffer(&limits, what, bytes)?;
        }
        let max_dim = limits.max_compute_workgroups_per_dimension;
        let neuron_grid = grid(n, max_dim)?;
        let sample_grid = grid(samples.div_ceil(WORKGROUP), max_dim)?;
        let lattice = Lattice::new(sources);
        let union_terms: usize = lattice
            .antichains()
            .iter()
            .map(|a| a.union_terms.len())
            .sum();
        assert!(lattice.len() <= MAX_ANTICHAINS && union_terms <= MAX_UNION_TERMS);

        let storage = |label: &str, bytes: u64| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: bytes.max(16),
                usage: wgpu::BufferUsages::STORAGE,
                mapped_at_creation: false,
            })
        };
        let kernel = PidKernel {
            sources,
            neurons,
            batch,
            capacity,
            params: device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("pid params"),
                size: PARAM_BYTES as u64,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: true,
            }),
            state_of: storage("pid state_of", samples * 4),
            states: storage("pid states", (n * c + n) * 16),
            grad_a: storage("pid grad_a", n * c * 16),
            grad_b: storage("pid grad_b", if sources == 3 { n * c * 16 } else { 16 }),
            diff: storage("pid diff", n * c * 4),
            lattice,
            stages: stages.0.clone(),
            neuron_grid,
            sample_grid,
        };
        let params = kernel.params(gamma)?;
        kernel
            .params
            .slice(..)
            .get_mapped_range_mut()
            .expect("the params buffer is mapped at creation")
            .copy_from_slice(bytemuck::bytes_of(&params));
        kernel.params.unmap();
        Ok(kernel)
    }

    /// The uniform block: shape, lattice tables and the goal weights from γ.
    fn params(&self, gamma: &[f64]) -> Result<PidParams, String> {
        let lattice = &self.lattice;
        let atoms = lattice.len();
        let goal = GoalWeights::new(lattice, gamma).map_err(|e| e.0)?;
        let (weight, entropy) = (goal.redundancy(), goal.entropy());

        let full = (1u32 << self.sources) - 1;
        let mut p = PidParams {
            dims: [
                self.neurons as u32,
                self.batch as u32,
                self.sources as u32,
                atoms as u32,
            ],
            dims2: [
                full,
                lattice.top() as u32,
                lattice.term_count() as u32,
                self.neuron_grid.0,
            ],
            dims3: [
                self.capacity as u32,
                self.sample_grid.0,
                (1u32 << (8 * self.sources)) - 1,
                0,
            ],
            scal: [entropy as f32, 1.0 / self.batch as f32, 0.0, 0.0],
            ..Default::default()
        };
        let mut next = 0usize;
        for (a, ac) in lattice.antichains().iter().enumerate() {
            let start = next;
            for &(v, coef) in &ac.union_terms {
                p.uterms[next] = [v as i32, coef, 0, 0];
                next += 1;
            }
            p.ac[a] = [ac.union as u32, start as u32, (next - start) as u32, 0];
            p.acw[a] = [weight[a] as f32, (weight[a] / LN_2) as f32, 0.0, 0.0];
            for (b, m) in lattice.mobius_row(a).iter().enumerate() {
                let c = MOBIUS_COLUMNS * a + b;
                p.mobius[c / 4][c % 4] = *m as f32;
            }
        }
        Ok(p)
    }

    /// Replaces γ; takes effect for steps submitted after this write.
    pub fn set_goal(&self, queue: &wgpu::Queue, gamma: &[f64]) -> Result<(), String> {
        let params = self.params(gamma)?;
        queue.write_buffer(&self.params, 0, bytemuck::bytes_of(&params));
        Ok(())
    }

    /// Goal terms per neuron: atoms in the paper's order, then H_res.
    pub fn term_count(&self) -> usize {
        self.lattice.term_count()
    }

    /// Bind groups for the caller's buffers (all with STORAGE usage):
    /// `bins` (u32) and `theta` (f32), neurons × batch, neuron-major, the bin of source i
    /// in bits 8i..8i+7; `dtheta` (f32, same layout) receives ∂G/∂θ; `terms` (f32,
    /// neurons × term_count) receives the goal terms.
    pub fn bind(
        &self,
        device: &wgpu::Device,
        bins: &wgpu::Buffer,
        theta: &wgpu::Buffer,
        dtheta: &wgpu::Buffer,
        terms: &wgpu::Buffer,
    ) -> PidBindings {
        let samples = (self.neurons * self.batch * 4) as u64;
        for (name, buffer, need) in [
            ("bins", bins, samples),
            ("theta", theta, samples),
            ("dtheta", dtheta, samples),
            (
                "terms",
                terms,
                (self.neurons * self.term_count() * 4) as u64,
            ),
        ] {
            assert!(
                buffer.size() >= need,
                "PID {name} buffer has {} bytes, needs {need}",
                buffer.size()
            );
        }
        let buffers: [&[&wgpu::Buffer]; 4] = [
            &[bins, theta, &self.state_of, &self.states],
            &[&self.states, &self.grad_a, &self.grad_b, terms],
            &[&self.states, &self.grad_a, &self.grad_b, &self.diff],
            &[&self.state_of, &self.diff, dtheta],
        ];
        let groups = self
            .stages
            .iter()
            .zip(buffers)
            .zip(STAGES)
            .map(|((stage, buffers), (name, _))| {
                let mut entries = vec![wgpu::BindGroupEntry {
                    binding: 0,
                    resource: self.params.as_entire_binding(),
                }];
                entries.extend(
                    buffers
                        .iter()
                        .enumerate()
                        .map(|(i, b)| wgpu::BindGroupEntry {
                            binding: i as u32 + 1,
                            resource: b.as_entire_binding(),
                        }),
                );
                device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some(name),
                    layout: &stage.layout,
                    entries: &entries,
                })
            })
            .collect();
        PidBindings { groups }
    }

    /// Records the four stages into the caller's encoder (no submit, no allocation).
    pub fn record(&self, encoder: &mut wgpu::CommandEncoder, bindings: &PidBindings) {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("pid"),
            timestamp_writes: None,
        });
        for (i, (stage, group)) in self.stages.iter().zip(&bindings.groups).enumerate() {
            let (x, y) = if i == 3 {
                self.sample_grid
            } else {
                self.neuron_grid
            };
            pass.set_pipeline(&stage.pipeline);
            pass.set_bind_group(0, group, &[]);
            pass.dispatch_workgroups(x, y, 1);
        }
    }
}
