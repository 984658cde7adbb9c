//! The uniform blocks of the shaders as `#[repr(C)]` [`bytemuck::Pod`] structs, one per
//! WGSL struct, with the same field names in the same order. Every struct is declared
//! through [`uniform_struct!`], which also records where its WGSL twin lives and the
//! byte offset of every field: tests/gpu_kernels.rs parses the shaders with naga (the
//! WGSL front end wgpu compiles them with) and checks that each struct's size and every
//! field's offset equal the WGSL layout's. Fields named `pad*` only fill the struct to
//! the size WGSL gives it.

use crate::network::adam;
use crate::network::layer::{Activation, Binning, THETA_EPS};
use bytemuck::{Pod, Zeroable};

/// Where a uniform struct's WGSL twin is and how the Rust struct is laid out.
#[derive(Clone, Debug)]
pub struct UniformLayout {
    /// The Rust type.
    pub rust: &'static str,
    /// The shader file under `shaders/` that declares the WGSL struct.
    pub shader: &'static str,
    /// The WGSL struct's name.
    pub wgsl: &'static str,
    /// `size_of` the Rust struct.
    pub size: usize,
    /// Every field: name, byte offset, byte size.
    pub fields: Vec<(&'static str, usize, usize)>,
}

/// Declares a `#[repr(C)]` Pod struct and its [`UniformLayout`].
macro_rules! uniform_struct {
    (
        $(#[$meta:meta])*
        $name:ident = $shader:literal :: $wgsl:literal {
            $($(#[$fmeta:meta])* $field:ident : $ty:ty,)*
        }
    ) => {
        $(#[$meta])*
        #[repr(C)]
        #[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
        }

        impl Default for $name {
            /// All zero.
            fn default() -> Self {
                Zeroable::zeroed()
            }
        }

        impl $name {
            /// Where the WGSL twin is and this struct's layout.
            pub fn layout() -> UniformLayout {
                UniformLayout {
                    rust: stringify!($name),
                    shader: $shader,
                    wgsl: $wgsl,
                    size: std::mem::size_of::<$name>(),
                    fields: vec![$((
                        stringify!($field),
                        std::mem::offset_of!($name, $field),
                        std::mem::size_of::<$ty>(),
                    ),)*],
                }
            }
        }
    };
}

uniform_struct! {
    /// Per-step values written once before each submitted step (training steps and
    /// evaluation chunks).
    StepUniform = "common.wgsl"::"Step" {
        /// First index into the permutation (train) or row offset (eval).
        data_offset: u32,
        /// First row of the evaluated set in the dataset buffer.
        data_base: u32,
        /// 0: a training batch through the permutation, 1: contiguous evaluation rows.
        mode: u32,
        /// Counter key of the hidden layer's first recurrent step.
        key_first: u32,
        /// Counter key of the hidden layer's second (or only) step.
        key_main: u32,
        hidden_step_size: f32,
        hidden_root_correction: f32,
        output_step_size: f32,
        output_root_correction: f32,
        /// Sample index of the batch's first row (counter RNG).
        sample_offset: u32,
        pad0: u32,
        pad1: u32,
        pad2: u32,
        pad3: u32,
        pad4: u32,
        pad5: u32,
    }
}

uniform_struct! {
    /// gather.wgsl.
    GatherParams = "gather.wgsl"::"Params" {
        batch: u32,
        dim: u32,
        classes: u32,
        pad: u32,
    }
}

uniform_struct! {
    /// aggregate.wgsl: out = x · Wᵀ + b.
    AggregateParams = "aggregate.wgsl"::"Params" {
        /// Batch rows.
        m: u32,
        /// Neurons.
        n: u32,
        /// Input dim.
        k: u32,
        /// Where this source's block starts in the aggregate buffer.
        out_offset: u32,
        /// 1: the bias alone (the aggregate of an all-zero input).
        bias_only: u32,
        pad0: u32,
        pad1: u32,
        pad2: u32,
    }
}

uniform_struct! {
    /// activation_sample.wgsl: the activation's parameters, the θ clamp, the low sample
    /// value and which counter key of [`StepUniform`] draws the samples.
    ActivationSampleParams = "activation_sample.wgsl"::"Params" {
        batch: u32,
        neurons: u32,
        /// Elements per source block in the aggregate buffer.
        stride: u32,
        trivariate: u32,
        /// Graetz k1 (or trivariate c1).
        k1: f32,
        /// Graetz k2 (or trivariate c2).
        k2: f32,
        w1: f32,
        w2: f32,
        eps: f32,
        one_minus_eps: f32,
        low: f32,
        /// 0: key_first, 1: key_main.
        key_slot: u32,
    }
}

uniform_struct! {
    /// activation_grad.wgsl: the activation's parameters and the θ clamp.
    ActivationGradParams = "activation_grad.wgsl"::"Params" {
        batch: u32,
        neurons: u32,
        stride: u32,
        trivariate: u32,
        k1: f32,
        k2: f32,
        w1: f32,
        w2: f32,
        eps: f32,
        one_minus_eps: f32,
        pad0: u32,
        pad1: u32,
    }
}

uniform_struct! {
    /// binning.wgsl: fixed range (lo, bins per unit) or max-abs scaling into [−1, 1].
    BinningParams = "binning.wgsl"::"Params" {
        batch: u32,
        neurons: u32,
        stride: u32,
        sources: u32,
        max_abs: u32,
        lo: f32,
        per_unit: f32,
        /// bins − 1.
        top: f32,
    }
}

uniform_struct! {
    /// weight_grad.wgsl (weight_grad, weight_grad_direct, bias_grad).
    WeightGradParams = "weight_grad.wgsl"::"Params" {
        batch: u32,
        neurons: u32,
        dim: u32,
        /// This source's block in the aggregate-gradient buffer.
        g_offset: u32,
    }
}

uniform_struct! {
    /// adam.wgsl.
    AdamParams = "adam.wgsl"::"Params" {
        /// Weights + bias.
        len: u32,
        /// neurons × dim.
        w_len: u32,
        dim: u32,
        /// 0 none, 1 zero diagonal (lateral), 2 mask buffer (sparse lateral).
        mask_kind: u32,
        /// Elements to skip at the start (fixed identity weights).
        skip: u32,
        /// 1: use the output layer's step size and root correction.
        output_layer: u32,
        weight_decay: f32,
        beta1: f32,
        beta2: f32,
        eps: f32,
        pad0: u32,
        pad1: u32,
    }
}

uniform_struct! {
    /// metrics.wgsl (accumulate, count).
    MetricsParams = "metrics.wgsl"::"Params" {
        /// accumulate: elements; count: rows.
        len: u32,
        classes: u32,
        /// Dataset row length − 1 (the label column).
        dim: u32,
        /// First row of the set in the dataset.
        base: u32,
        /// Which counter the accuracy count goes to.
        slot: u32,
        /// count: rows per batch read with its own inversion; 0: the whole set.
        chunk: u32,
        pad1: u32,
        pad2: u32,
    }
}

/// Antichains of the largest lattice the PID kernel takes (3 sources).
pub const MAX_ANTICHAINS: usize = 18;
/// Inclusion–exclusion terms of all antichains of that lattice.
pub const MAX_UNION_TERMS: usize = 64;
/// Columns of a Möbius row (atoms + H_res of 3 sources, padded to vec4s).
pub const MOBIUS_COLUMNS: usize = 20;

uniform_struct! {
    /// pid_common.wgsl: the PID kernel's shape, lattice tables and goal weights.
    PidParams = "pid_common.wgsl"::"Params" {
        /// Neurons, batch, sources, antichains.
        dims: [u32; 4],
        /// Full source mask (2^n − 1), index of the top antichain, term count, neuron
        /// grid x.
        dims2: [u32; 4],
        /// Capacity (state slots per neuron), sample grid x, key mask, unused.
        dims3: [u32; 4],
        /// Weight of H(T) in G, 1/B, unused, unused.
        scal: [f32; 4],
        /// Per antichain: union mask, first union term, number of union terms, unused.
        ac: [[u32; 4]; MAX_ANTICHAINS],
        /// Per antichain: weight w of I_a in G, w / ln 2, unused, unused.
        acw: [[f32; 4]; MAX_ANTICHAINS],
        /// Inclusion–exclusion terms (subset mask V, coefficient, unused, unused).
        uterms: [[i32; 4]; MAX_UNION_TERMS],
        /// Möbius rows: atom a = Σ_b mobius[a][b] · I_b, row a at columns 20a..20a+19.
        mobius: [[f32; 4]; MAX_ANTICHAINS * MOBIUS_COLUMNS / 4],
    }
}

/// Every uniform struct's layout (the test ties each to its WGSL struct).
pub fn layouts() -> Vec<UniformLayout> {
    vec![
        StepUniform::layout(),
        GatherParams::layout(),
        AggregateParams::layout(),
        ActivationSampleParams::layout(),
        ActivationGradParams::layout(),
        BinningParams::layout(),
        WeightGradParams::layout(),
        AdamParams::layout(),
        MetricsParams::layout(),
        PidParams::layout(),
    ]
}

/// The activation's parameters: (trivariate flag, k1/c1, k2/c2, w1, w2).
fn activation_fields(activation: Activation) -> (u32, f32, f32, f32, f32) {
    match activation {
        Activation::Graetz { k1, k2 } => (0, k1, k2, 0.0, 0.0),
        Activation::Trivariate { c1, c2, w1, w2 } => (1, c1, c2, w1, w2),
    }
}

impl ActivationGradParams {
    pub fn new(batch: usize, neurons: usize, stride: usize, activation: Activation) -> Self {
        let (trivariate, k1, k2, w1, w2) = activation_fields(activation);
        ActivationGradParams {
            batch: batch as u32,
            neurons: neurons as u32,
            stride: stride as u32,
            trivariate,
            k1,
            k2,
            w1,
            w2,
            eps: THETA_EPS,
            one_minus_eps: 1.0 - THETA_EPS,
            ..Default::default()
        }
    }
}

impl ActivationSampleParams {
    /// As [`ActivationGradParams::new`], samples `low` or 1 drawn with the key in
    /// `key_slot`.
    pub fn new(
        batch: usize,
        neurons: usize,
        stride: usize,
        activation: Activation,
        low: f32,
        key_slot: u32,
    ) -> Self {
        let (trivariate, k1, k2, w1, w2) = activation_fields(activation);
        ActivationSampleParams {
            batch: batch as u32,
            neurons: neurons as u32,
            stride: stride as u32,
            trivariate,
            k1,
            k2,
            w1,
            w2,
            eps: THETA_EPS,
            one_minus_eps: 1.0 - THETA_EPS,
            low,
            key_slot,
        }
    }
}

impl AdamParams {
    /// Adam's constants and the weight decay; the shape fields are zero.
    pub fn new(weight_decay: f64) -> Self {
        AdamParams {
            weight_decay: weight_decay as f32,
            beta1: adam::BETA1 as f32,
            beta2: adam::BETA2 as f32,
            eps: adam::EPS as f32,
            ..Default::default()
        }
    }
}

impl BinningParams {
    pub fn new(
        batch: usize,
        neurons: usize,
        stride: usize,
        sources: usize,
        binning: Binning,
        bins: usize,
    ) -> Self {
        let (max_abs, lo, hi) = match binning {
            Binning::Fixed { lo, hi } => (0, lo, hi),
            Binning::MaxAbs => (1, -1.0f32, 1.0f32),
        };
        BinningParams {
            batch: batch as u32,
            neurons: neurons as u32,
            stride: stride as u32,
            sources: sources as u32,
            max_abs,
            lo,
            per_unit: bins as f32 / (hi - lo),
            top: (bins - 1) as f32,
        }
    }
}
