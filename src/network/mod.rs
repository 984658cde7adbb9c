//! Infomorphic networks on the CPU: layers, the paper's models, Adam, and training.

pub mod accuracy;
pub mod adam;
pub mod backprop;
pub mod code;
pub mod config;
pub mod export;
pub mod histogram;
pub mod layer;
pub mod memory;
pub mod model;
pub mod neuron;
pub(crate) mod par;
pub mod profile;
pub mod run;
pub(crate) mod sparse;
pub mod train;

pub use layer::{Activation, Binning, Layer, LayerConfig};
pub use model::{ModelKind, Network, RunConfig};
