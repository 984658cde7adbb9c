// Aggregates r, c, l: out = x · Wᵀ + b for a batch × dim input and neurons × dim weights
// (CPU twin: Source::aggregate / Layer::aggregates in src/network/layer.rs). Tiled 16 × 16,
// each output summed by one thread in a fixed order (deterministic). `bias_only` writes the
// bias alone: the aggregate of an all-zero input (CPU twin: Layer::bias_aggregate).
// The parameter buffer holds the weights row-major followed by the bias.

struct Params {
    m: u32,          // batch rows
    n: u32,          // neurons
    k: u32,          // input dim
    out_offset: u32, // where this source's block starts in the aggregate buffer
    bias_only: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

const TILE: u32 = 16u;
var<workgroup> xs: array<array<f32, 16>, 16>;
var<workgroup> ws: array<array<f32, 16>, 16>;

@compute @workgroup_size(16, 16)
fn aggregate(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let row = wg.y * TILE + lid.y; // sample
    let col = wg.x * TILE + lid.x; // neuron
    var acc = 0.0;
    if (p.bias_only == 0u) {
        let tiles = (p.k + TILE - 1u) / TILE;
        for (var t = 0u; t < tiles; t = t + 1u) {
            let k0 = t * TILE;
            let xr = row;
            let xk = k0 + lid.x;
            var xv = 0.0;
            if (xr < p.m && xk < p.k) {
                xv = x[xr * p.k + xk];
            }
            xs[lid.y][lid.x] = xv;
            let wn = wg.x * TILE + lid.y;
            var wv = 0.0;
            if (wn < p.n && xk < p.k) {
                wv = w[wn * p.k + xk];
            }
            ws[lid.y][lid.x] = wv;
            workgroupBarrier();
            let kmax = min(TILE, p.k - k0);
            for (var kk = 0u; kk < kmax; kk = kk + 1u) {
                acc = acc + xs[lid.y][kk] * ws[lid.x][kk];
            }
            workgroupBarrier();
        }
    }
    if (row < p.m && col < p.n) {
        out[p.out_offset + row * p.n + col] = acc + w[p.n * p.k + col];
    }
}

// The same product without workgroup memory or barriers, for CPU adapters such as
// llvmpipe (a barrier costs a coroutine switch per invocation there): each thread sums a
// 4 × 4 block of outputs, each output in the same order as above (same result), with
// 8 loads per 16 products. A flat grid of 64-wide groups over the blocks.
@compute @workgroup_size(64)
fn aggregate_direct(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let id = flat_id(gid, groups);
    let nb = (p.n + 3u) / 4u;
    let mb = (p.m + 3u) / 4u;
    if (id >= nb * mb) {
        return;
    }
    let row0 = (id / nb) * 4u;
    let col0 = (id % nb) * 4u;
    var acc = array<vec4<f32>, 4>(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
    if (p.bias_only == 0u) {
        let r = min(vec4<u32>(row0, row0 + 1u, row0 + 2u, row0 + 3u), vec4<u32>(p.m - 1u)) * p.k;
        let c = min(vec4<u32>(col0, col0 + 1u, col0 + 2u, col0 + 3u), vec4<u32>(p.n - 1u)) * p.k;
        for (var kk = 0u; kk < p.k; kk = kk + 1u) {
            let wv = vec4<f32>(w[c.x + kk], w[c.y + kk], w[c.z + kk], w[c.w + kk]);
            acc[0] = acc[0] + x[r.x + kk] * wv;
            acc[1] = acc[1] + x[r.y + kk] * wv;
            acc[2] = acc[2] + x[r.z + kk] * wv;
            acc[3] = acc[3] + x[r.w + kk] * wv;
        }
    }
    for (var i = 0u; i < 4u; i = i + 1u) {
        let row = row0 + i;
        for (var j = 0u; j < 4u; j = j + 1u) {
            let col = col0 + j;
            if (row < p.m && col < p.n) {
                out[p.out_offset + row * p.n + col] = acc[i][j] + w[p.n * p.k + col];
            }
        }
    }
}
