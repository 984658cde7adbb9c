//! TEMPORARY BRIDGE, to be replaced by the real PID kernel (`pid.rs`, `shaders/pid_*.wgsl`,
//! written in parallel). It has the kernel's API (`PidKernel::new`, `set_goal`,
//! `term_count`, `bind`, `record`) and buffer layouts, but computes on the CPU: `record`
//! copies the bins and θ into a staging buffer, and [`pid_stage`] submits the encoder,
//! reads them back (blocking: native only), runs the CPU `NeuronBatch` and uploads ∂G/∂θ
//! and the terms. So a step with the bridge has one CPU round trip; with the real kernel
//! `pid_stage` becomes `pid.record(&mut encoder, bindings); encoder`.

use crate::pid::{GoalWeights, Isx, JointShape, NeuronBatch};
use std::cell::RefCell;

#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub struct PidKernel {
    sources: usize,
    neurons: usize,
    batch: usize,
    terms: usize,
    state: RefCell<(NeuronBatch, GoalWeights)>,
    staging: wgpu::Buffer,
}

/// The buffers one layer's PID stage reads and writes.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub struct PidBindings {
    bins: wgpu::Buffer,
    theta: wgpu::Buffer,
    dtheta: wgpu::Buffer,
    terms: wgpu::Buffer,
}

impl PidKernel {
    pub fn new(
        device: &wgpu::Device,
        sources: usize,
        neurons: usize,
        batch: usize,
        bins: usize,
        gamma: &[f64],
    ) -> Result<Self, String> {
        if !(2..=3).contains(&sources) || !(2..=256).contains(&bins) {
            return Err(format!(
                "the PID stage takes 2 or 3 sources and 2 to 256 bins, got {sources} and {bins}"
            ));
        }
        let isx = Isx::new(JointShape::new(&vec![bins; sources], 2).map_err(|e| e.0)?);
        let goal = isx.goal_weights(gamma).map_err(|e| e.0)?;
        let terms = isx.lattice().term_count();
        let staging = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("pid bridge staging"),
            size: (2 * neurons * batch * 4) as u64,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        Ok(PidKernel {
            sources,
            neurons,
            batch,
            terms,
            state: RefCell::new((NeuronBatch::new(isx), goal)),
            staging,
        })
    }

    pub fn set_goal(&self, _queue: &wgpu::Queue, gamma: &[f64]) -> Result<(), String> {
        let mut state = self.state.borrow_mut();
        state.1 = state.0.isx().goal_weights(gamma).map_err(|e| e.0)?;
        Ok(())
    }

    pub fn term_count(&self) -> usize {
        self.terms
    }

    pub fn bind(
        &self,
        _device: &wgpu::Device,
        bins: &wgpu::Buffer,
        theta: &wgpu::Buffer,
        dtheta: &wgpu::Buffer,
        terms: &wgpu::Buffer,
    ) -> PidBindings {
        PidBindings {
            bins: bins.clone(),
            theta: theta.clone(),
            dtheta: dtheta.clone(),
            terms: terms.clone(),
        }
    }

    pub fn record(&self, encoder: &mut wgpu::CommandEncoder, b: &PidBindings) {
        let len = (self.neurons * self.batch * 4) as u64;
        encoder.copy_buffer_to_buffer(&b.bins, 0, &self.staging, 0, len);
        encoder.copy_buffer_to_buffer(&b.theta, 0, &self.staging, len, len);
    }

    /// The host half: read back, decompose on the CPU, upload the results.
    #[cfg(not(target_arch = "wasm32"))]
    fn host_pass(&self, device: &wgpu::Device, queue: &wgpu::Queue, b: &PidBindings) {
        let nb = self.neurons * self.batch;
        let slice = self.staging.slice(..);
        slice.map_async(wgpu::MapMode::Read, |_| {});
        let _ = device.poll(wgpu::PollType::wait_indefinitely());
        let (bins, theta): (Vec<crate::pid::Digits>, Vec<f64>) = {
            let Ok(view) = slice.get_mapped_range() else {
                return; // device lost: the engine notices on its next step
            };
            let words: &[u32] = bytemuck::cast_slice(&view);
            let bins = words[..nb]
                .iter()
                .map(|&w| {
                    let mut d = [0u16; 4];
                    for (i, x) in d.iter_mut().enumerate().take(self.sources) {
                        *x = ((w >> (8 * i)) & 0xff) as u16;
                    }
                    d
                })
                .collect();
            let theta = words[nb..2 * nb]
                .iter()
                .map(|&w| f32::from_bits(w) as f64)
                .collect();
            (bins, theta)
        };
        self.staging.unmap();
        let mut terms = vec![0.0; self.neurons * self.terms];
        let mut dtheta = vec![0.0; nb];
        let mut state = self.state.borrow_mut();
        let (batch, goal) = &mut *state;
        batch.goal_from_samples(&bins, &theta, goal, &mut terms, &mut dtheta);
        let dtheta: Vec<f32> = dtheta.iter().map(|&v| v as f32).collect();
        let terms: Vec<f32> = terms.iter().map(|&v| v as f32).collect();
        queue.write_buffer(&b.dtheta, 0, bytemuck::cast_slice(&dtheta));
        queue.write_buffer(&b.terms, 0, bytemuck::cast_slice(&terms));
    }
}

/// Records one layer's PID stage into `encoder` and returns the encoder to go on with.
/// The bridge submits and computes on the host here (native only).
pub fn pid_stage(
    pid: &PidKernel,
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    mut encoder: wgpu::CommandEncoder,
    bindings: &PidBindings,
) -> wgpu::CommandEncoder {
    pid.record(&mut encoder, bindings);
    queue.submit([encoder.finish()]);
    #[cfg(not(target_arch = "wasm32"))]
    pid.host_pass(device, queue, bindings);
    device.create_command_encoder(&Default::default())
}

/// Whether the PID stage needs the host (the bridge) — false with the real kernel.
pub const PID_ON_HOST: bool = true;

/// Why training steps cannot run on this target's GPU engine, if they cannot: the
/// bridge blocks on a readback, which a browser does not allow.
pub fn training_unavailable() -> Option<&'static str> {
    (PID_ON_HOST && cfg!(target_arch = "wasm32")).then_some(
        "training on the GPU in the browser waits for the GPU PID kernel \
         (the temporary PID bridge needs a blocking readback)",
    )
}
