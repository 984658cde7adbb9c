//! Partial information decomposition with the shared-exclusion redundancy I^sx
//! (Makkeh, Gutknecht & Wibral 2021), its exact gradient, and the goal G = γ·terms.

pub mod batch;
pub mod fastlog;
pub mod isx;
pub mod joint;
pub mod json;
pub mod lattice;

pub use batch::NeuronBatch;
pub use isx::{Decomposition, Digits, GoalWeights, Isx, Pointwise, Workspace};
pub use joint::{JointShape, PidError};
pub use lattice::{Antichain, Lattice};
