//! infomorph: infomorphic neurons that learn local goals built from the
//! shared-exclusion partial information decomposition (I^sx).
//!
//! The science is in `docs/method.md` ("method §N" in comments); the layers and where
//! each piece lives are in `docs/architecture.md`. Module names follow the method's concepts.

pub mod data;
pub mod engine;
pub mod experiments;
pub mod goals;
pub mod network;
pub mod order;
pub mod pid;
pub mod reproduce;
pub mod rng;
pub mod search;
pub mod tasks;

#[cfg(all(feature = "cli", not(target_arch = "wasm32")))]
pub mod cli;

pub mod web;
