// Activation, θ and stochastic ±1 outputs (CPU twins: Layer::forward_from for the Graetz
// and trivariate activations with the θ clamp, and layer::sample with the counter RNG of
// src/rng.rs). Writes θ batch-major (for the gradient), θ neuron-major (for the PID stage)
// and the samples y (1 with probability θ, else `low`); `activation_theta` writes θ alone
// (the output layer, whose samples nothing reads).

struct Params {
    batch: u32,
    neurons: u32,
    stride: u32,    // elements per source block in the aggregate buffer
    trivariate: u32,
    k1: f32,        // Graetz k1 (or trivariate c1)
    k2: f32,        // Graetz k2 (or trivariate c2)
    w1: f32,
    w2: f32,
    eps: f32,
    one_minus_eps: f32,
    low: f32,
    key_slot: u32,  // 0: key_first, 1: key_main
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> st: Step;
@group(0) @binding(2) var<storage, read> agg: array<f32>;
@group(0) @binding(3) var<storage, read_write> theta: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read_write> theta_nm: array<f32>;

fn activation(r: f32, c: f32, l: f32) -> f32 {
    if (p.trivariate == 1u) {
        let c1 = p.k1;
        let c2 = p.k2;
        return r * ((1.0 - c1 - c2) + c1 * sigmoid(p.w1 * r * c) + c2 * sigmoid(p.w2 * r * l));
    }
    return r * (p.k1 + (1.0 - p.k1) * 2.0 * sigmoid(p.k2 * r * c));
}

// θ of element `id` (batch-major) from its aggregates, written batch- and neuron-major.
fn write_theta(id: u32) -> f32 {
    let b = id / p.neurons;
    let n = id - b * p.neurons;
    let r = agg[id];
    let c = agg[p.stride + id];
    var l = 0.0;
    if (p.trivariate == 1u) {
        l = agg[2u * p.stride + id];
    }
    let a = activation(r, c, l);
    var th = clamp(sigmoid(a), p.eps, p.one_minus_eps);
    if ((bitcast<u32>(a) & 0x7fffffffu) > 0x7f800000u) {
        th = a; // NaN stays NaN, as the CPU's clamp leaves it (a blow-up must show)
    }
    theta[id] = th;
    theta_nm[n * p.batch + b] = th;
    return th;
}

@compute @workgroup_size(64)
fn activation_sample(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let id = flat_id(gid, groups);
    if (id >= p.batch * p.neurons) {
        return;
    }
    let th = write_theta(id);
    let b = id / p.neurons;
    let n = id - b * p.neurons;
    var key = st.key_main;
    if (p.key_slot == 0u) {
        key = st.key_first;
    }
    var out = p.low;
    if (counter_uniform(key, st.sample_offset + b, n) < th) {
        out = 1.0;
    }
    y[id] = out;
}

@compute @workgroup_size(64)
fn activation_theta(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let id = flat_id(gid, groups);
    if (id < p.batch * p.neurons) {
        write_theta(id);
    }
}
