// Metrics that stay on the GPU until read back. `accumulate`: the running sum of every
// neuron's goal terms over steps (CPU twin: the sums of network::run::TermSums, which the
// CPU back end keeps per layer of the per-neuron means). `count`: the correct predictions
// of an evaluated set (CPU twin: network::accuracy::score — output neurons whose mean θ
// over the set, or over each batch of `chunk` rows when chunk > 0, is ≥ 0.5 are read
// inverted, then argmax, first maximum wins).

struct Params {
    len: u32,     // accumulate: elements; count: rows
    classes: u32,
    dim: u32,     // dataset row length − 1 (the label column)
    base: u32,    // first row of the set in the dataset
    slot: u32,    // which counter the accuracy count goes to
    chunk: u32,   // count: rows per batch with its own inversion; 0: the whole set
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> data: array<f32>;
@group(0) @binding(3) var<storage, read_write> acc: array<f32>;
@group(0) @binding(4) var<storage, read_write> counts: array<atomic<u32>>;

@compute @workgroup_size(64)
fn accumulate(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = flat_id(gid, groups);
    if (i < p.len) {
        acc[i] = acc[i] + src[i];
    }
}

var<workgroup> means: array<f32, 64>;
var<workgroup> correct: atomic<u32>;

// One workgroup: `src` holds θ of the whole set (rows × classes, classes ≤ 64), read as
// one batch or in batches of `chunk` rows, each inverted by its own means.
@compute @workgroup_size(64)
fn count(@builtin(local_invocation_index) lid: u32) {
    if (lid == 0u) {
        atomicStore(&correct, 0u);
    }
    let chunk = select(p.chunk, max(p.len, 1u), p.chunk == 0u);
    var mine = 0u;
    for (var c0 = 0u; c0 < p.len; c0 = c0 + chunk) {
        let rows = min(chunk, p.len - c0);
        // The previous batch's rows are read before its means are replaced.
        workgroupBarrier();
        if (lid < p.classes) {
            var s = 0.0;
            for (var r = 0u; r < rows; r = r + 1u) {
                s = s + src[(c0 + r) * p.classes + lid];
            }
            means[lid] = s / f32(rows);
        }
        workgroupBarrier();
        for (var r = c0 + lid; r < c0 + rows; r = r + 64u) {
            var best = 0u;
            var best_v = bitcast<f32>(0xff7fffffu); // f32::MIN
            for (var j = 0u; j < p.classes; j = j + 1u) {
                var v = src[r * p.classes + j];
                if (means[j] >= 0.5) {
                    v = 1.0 - v;
                }
                if (v > best_v) {
                    best = j;
                    best_v = v;
                }
            }
            let label = u32(data[(p.base + r) * (p.dim + 1u) + p.dim]);
            if (best == label) {
                mine = mine + 1u;
            }
        }
    }
    atomicAdd(&correct, mine);
    workgroupBarrier();
    if (lid == 0u) {
        atomicStore(&counts[p.slot], atomicLoad(&correct));
    }
}
