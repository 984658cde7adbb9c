// Adam with PyTorch semantics (CPU twin: Adam::step in src/network/adam.rs, with the
// masking of Source::mask_gradient in src/network/layer.rs): weight decay added to the
// gradient, bias-corrected moments, ε outside the root. Masked weights get a zero
// gradient and so stay exactly zero. The step size lr/(1 − β1^t) and √(1 − β2^t) are
// computed once per step on the host in f64, as the CPU does.

struct Params {
    len: u32,        // weights + bias
    w_len: u32,      // neurons × dim (0 when the weights are fixed)
    dim: u32,
    mask_kind: u32,  // 0 none, 1 zero diagonal (lateral), 2 mask buffer (sparse lateral)
    skip: u32,       // elements to skip at the start (fixed identity weights)
    output_layer: u32,
    weight_decay: f32,
    beta1: f32,
    beta2: f32,
    eps: f32,
    pad0: u32,
    pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> st: Step;
@group(0) @binding(2) var<storage, read_write> params: array<f32>;
@group(0) @binding(3) var<storage, read> grad: array<f32>;
@group(0) @binding(4) var<storage, read_write> moments: array<f32>; // m then v
@group(0) @binding(5) var<storage, read> mask: array<f32>;

@compute @workgroup_size(64)
fn adam(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = flat_id(gid, groups) + p.skip;
    if (i >= p.len) {
        return;
    }
    var step_size = st.hidden_step_size;
    var root_correction = st.hidden_root_correction;
    if (p.output_layer == 1u) {
        step_size = st.output_step_size;
        root_correction = st.output_root_correction;
    }
    var g = grad[i];
    if (i < p.w_len) {
        if (p.mask_kind == 1u && i / p.dim == i % p.dim) {
            g = 0.0;
        } else if (p.mask_kind == 2u) {
            g = g * mask[i];
        }
    }
    let w = params[i];
    g = g + p.weight_decay * w;
    let m = p.beta1 * moments[i] + (1.0 - p.beta1) * g;
    let v = p.beta2 * moments[p.len + i] + (1.0 - p.beta2) * g * g;
    moments[i] = m;
    moments[p.len + i] = v;
    params[i] = w - step_size * m / (sqrt(v) / root_correction + p.eps);
}
