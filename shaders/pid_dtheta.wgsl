// Stage 4: dG/dtheta_b for every sample, copied from its joint state (one thread per
// sample, a 2-D grid over neurons x batch).
// CPU twin (the four stages together): Isx::goal_from_samples in src/pid/isx.rs.

@group(0) @binding(1) var<storage, read> state_of: array<u32>;
@group(0) @binding(2) var<storage, read> diff: array<f32>;
@group(0) @binding(3) var<storage, read_write> dtheta: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.y * (P.dims3.y * WG) + gid.x;
    let batch = P.dims.y;
    if (i >= P.dims.x * batch) {
        return;
    }
    let neuron = i / batch;
    dtheta[i] = diff[neuron * P.dims3.x + (state_of[i] & ~FINAL)];
}
