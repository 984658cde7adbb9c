//! infomorph: infomorphic neurons that learn local goals built from the
//! shared-exclusion partial information decomposition (I^sx).
//!
//! The science is in `shared/spec/method.md`; module names follow its concepts.

pub mod data;
pub mod engine;
pub mod goals;
pub mod network;
pub mod pid;
pub mod rng;
pub mod tasks;

#[cfg(all(feature = "cli", not(target_arch = "wasm32")))]
pub mod cli;

pub mod web;
