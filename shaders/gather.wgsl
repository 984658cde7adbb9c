// Batch selection (CPU twin: the row gathering of network::run::CpuBackend::train, rows
// of the epoch's permutation, and the one-hot label context of network::model::one_hot;
// evaluation rows contiguous with the label input at zero, as Network::predict_theta_at).
// The dataset buffer holds every row as dim pixels followed by the label as an f32.

struct Params {
    batch: u32,
    dim: u32,
    classes: u32,
    pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> st: Step;
@group(0) @binding(2) var<storage, read> data: array<f32>;
@group(0) @binding(3) var<storage, read> perm: array<u32>;
@group(0) @binding(4) var<storage, read_write> xb: array<f32>;
@group(0) @binding(5) var<storage, read_write> ctx: array<f32>;

fn row_of(b: u32) -> u32 {
    if (st.mode == 0u) {
        return perm[st.data_offset + b];
    }
    return st.data_base + st.data_offset + b;
}

@compute @workgroup_size(64)
fn gather(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let id = flat_id(gid, groups);
    let stride = p.dim + 1u;
    if (id < p.batch * p.dim) {
        let b = id / p.dim;
        let k = id - b * p.dim;
        xb[id] = data[row_of(b) * stride + k];
    }
    if (id < p.batch * p.classes) {
        let b = id / p.classes;
        let j = id - b * p.classes;
        var v = 0.0;
        // Evaluation runs with the label input at zero.
        if (st.mode == 0u && u32(data[row_of(b) * stride + p.dim]) == j) {
            v = 1.0;
        }
        ctx[id] = v;
    }
}
