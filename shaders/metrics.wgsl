// Metrics that stay on the GPU until read back. `accumulate`: the running sum of every
// neuron's goal terms over steps (CPU twin: the sums of network::run::TermSums, which the
// CPU back end keeps per layer of the per-neuron means). `count`: the correct predictions
// of an evaluated set (CPU twin: network::accuracy::score — output neurons whose mean θ
// over the set, or over each batch of `chunk` rows when chunk > 0, is ≥ 0.5 are read
// inverted, then argmax, first maximum wins; with two classes a neuron is read inverted
// when its mean θ over its class's rows is below its mean over the other rows, the mean
// rule where the batch lacks one of the classes: network::accuracy::inverted_by_labels).

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
            // Two classes: the sums over the neuron's own class's rows and their count.
            var own = 0.0;
            var own_n = 0u;
            for (var r = 0u; r < rows; r = r + 1u) {
                let v = src[(c0 + r) * p.classes + lid];
                s = s + v;
                if (p.classes == 2u && u32(data[(p.base + c0 + r) * (p.dim + 1u) + p.dim]) == lid) {
                    own = own + v;
                    own_n = own_n + 1u;
                }
            }
            // Holds 1 for "read inverted", 0 otherwise, where the labels decide.
            means[lid] = s / f32(rows);
            if (p.classes == 2u && own_n > 0u && own_n < rows) {
                let other = (s - own) / f32(rows - own_n);
                means[lid] = select(0.0, 1.0, own / f32(own_n) < other);
            }
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
