// Shared helpers, prepended to the kernels that need them (see src/engine/gpu/kernels.rs).
// CPU twins: src/rng.rs (hash32, counter_row_key, counter_uniform_in_row) and
// src/network/layer.rs (exp, sigmoid). Constants are the f32 bit patterns Rust uses.

// Wellons' lowbias32, bit-identical to rng::hash32 (u32 multiplication wraps in WGSL).
fn hash32(x0: u32) -> u32 {
    var x = x0;
    x = x ^ (x >> 16u);
    x = x * 0x7feb352du;
    x = x ^ (x >> 15u);
    x = x * 0x846ca68bu;
    x = x ^ (x >> 16u);
    return x;
}

// rng::counter_uniform_in_row(counter_row_key(key, sample), neuron): 24 bits in [0, 1).
fn counter_uniform(key: u32, sample: u32, neuron: u32) -> f32 {
    let row_key = hash32(key ^ sample);
    let h = hash32(row_key ^ (neuron * 0x9e3779b9u));
    return f32(h >> 8u) * (1.0 / 16777216.0);
}

// layer::exp: e^x as 2^k · 2^f, k = round(x·log2 e) (round-half-even, as the CPU's
// add-and-subtract 1.5·2^23 trick), 2^f by its Taylor series.
fn fast_exp(x: f32) -> f32 {
    let t = clamp(x, -87.0, 87.0) * bitcast<f32>(0x3fb8aa3bu);
    let k = round(t);
    let f = (t - k) * bitcast<f32>(0x3f317218u);
    var p = bitcast<f32>(0x39500d01u);
    p = p * f + bitcast<f32>(0x3ab60b61u);
    p = p * f + bitcast<f32>(0x3c088889u);
    p = p * f + bitcast<f32>(0x3d2aaaabu);
    p = p * f + bitcast<f32>(0x3e2aaaabu);
    p = p * f + 0.5;
    p = p * f + 1.0;
    p = p * f + 1.0;
    return p * bitcast<f32>(u32(i32(k) + 127) << 23u);
}

// layer::sigmoid.
fn sigmoid(x: f32) -> f32 {
    return 1.0 / (1.0 + fast_exp(-x));
}

// The flat index of a thread in a 1-D job dispatched as a 2-D grid of 64-wide groups.
fn flat_id(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
    return gid.x + gid.y * groups.x * 64u;
}

// Per-step values written once before each submitted step (engine::gpu::network::StepUniform).
struct Step {
    data_offset: u32,   // first index into the permutation (train) or row offset (eval)
    data_base: u32,     // first row of the evaluated set in the dataset buffer
    mode: u32,          // 0 = training batch through the permutation, 1 = contiguous eval rows
    key_first: u32,     // counter key of the first recurrent step
    key_main: u32,      // counter key of the second (or only) step
    hidden_step_size: f32,
    hidden_root_correction: f32,
    output_step_size: f32,
    output_root_correction: f32,
    sample_offset: u32, // sample index of the batch's first row (counter RNG)
    pad0: u32,
    pad1: u32,
    pad2: u32,
    pad3: u32,
    pad4: u32,
    pad5: u32,
}
