//! One training run in the browser: [`state::State`] (the driver and what the views
//! read while it is away), [`views`] (what the page reads) and [`loaders`] (tasks from
//! the page's data), compiled on every target; `bindings` is the page's `Session`
//! class over them (`wasm32`).

#[cfg(target_arch = "wasm32")]
pub(crate) mod bindings;
pub mod loaders;
pub mod state;
pub mod views;

pub use state::{tick, use_gpu, ActivationParams, State};
