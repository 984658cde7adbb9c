//! The wgpu engine: the CPU engine's training step with every stage as a WGSL compute
//! kernel (`shaders/`), data resident on the GPU, and small asynchronous readbacks.
//!
//! - [`context`]: adapter and device, limits, device-loss flag.
//! - [`network`]: [`GpuNetwork`]: upload, the step and evaluation, readbacks.
//! - `layer`: a layer's buffers, uploaded from and downloaded into a CPU layer.
//! - `plan`: the recorded dispatch lists of a step and of an evaluation chunk.
//! - [`buffers`]: storage/staging/uniform buffers, bind groups, the readback future.
//! - [`check`]: runs single kernels on given inputs (the kernel-vs-CPU-twin tests).
//! - [`twins`]: every shader ↔ its CPU twin ↔ the test comparing them.
//! - [`uniforms`]: the shaders' uniform blocks as `#[repr(C)]` Pod structs.
//! - [`pid`]: the PID stages (θ-weighted histogram, I^sx, atoms, H_res, ∂G/∂θ).

pub(crate) mod buffers;
#[cfg(not(target_arch = "wasm32"))]
pub mod check;
pub mod context;
pub(crate) mod kernels;
mod layer;
pub mod network;
pub mod pid;
mod plan;
pub mod twins;
pub mod uniforms;

pub use context::{AdapterKind, GpuContext};
pub use kernels::shader_module;
pub use network::{needs, supports, GpuMetrics, GpuNetwork, Split};
