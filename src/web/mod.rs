//! The browser side of the engine. [`session`] is the page's training run (the driver
//! and what the views read), compiled on every target so that native tests drive the
//! page's own code; `bindings` is the `wasm-bindgen` layer over it, for `wasm32`.

pub mod session;

#[cfg(target_arch = "wasm32")]
mod bindings;
#[cfg(target_arch = "wasm32")]
pub use bindings::*;
