// Weight and bias gradients of one source: gW = gradᵀ · x (neurons × dim) and
// gb = Σ_b grad[b] (CPU twin: `grad.t().dot(x)` and `grad.sum_axis(Axis(0))` in
// Layer::learn). A gather formulation: every output element is summed by one thread in
// a fixed order, so results are deterministic without atomics. The gradient buffer
// has the parameter layout: weights row-major, then the bias.

struct Params {
    batch: u32,
    neurons: u32,
    dim: u32,
    g_offset: u32, // this source's block in the aggregate-gradient buffer
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> grad: array<f32>;

const TILE: u32 = 16u;
var<workgroup> gs: array<array<f32, 16>, 16>;
var<workgroup> xs: array<array<f32, 16>, 16>;

@compute @workgroup_size(16, 16)
fn weight_grad(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let n = wg.y * TILE + lid.y;
    let k = wg.x * TILE + lid.x;
    var acc = 0.0;
    let tiles = (p.batch + TILE - 1u) / TILE;
    for (var t = 0u; t < tiles; t = t + 1u) {
        let b = t * TILE + lid.y;
        let gn = wg.y * TILE + lid.x;
        var gv = 0.0;
        if (b < p.batch && gn < p.neurons) {
            gv = g[p.g_offset + b * p.neurons + gn];
        }
        gs[lid.y][lid.x] = gv; // [sample][neuron]
        var xv = 0.0;
        if (b < p.batch && k < p.dim) {
            xv = x[b * p.dim + k];
        }
        xs[lid.y][lid.x] = xv; // [sample][input]
        workgroupBarrier();
        let bmax = min(TILE, p.batch - t * TILE);
        for (var bb = 0u; bb < bmax; bb = bb + 1u) {
            acc = acc + gs[bb][lid.y] * xs[bb][lid.x];
        }
        workgroupBarrier();
    }
    if (n < p.neurons && k < p.dim) {
        grad[n * p.dim + k] = acc;
    }
}

// The same without workgroup memory or barriers, for CPU adapters: each thread sums a
// 4 (neurons) × 4 (inputs) block, each output in the same order as above. A flat grid
// of 64-wide groups over the blocks.
@compute @workgroup_size(64)
fn weight_grad_direct(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let id = flat_id(gid, groups);
    let kb = (p.dim + 3u) / 4u;
    let nb = (p.neurons + 3u) / 4u;
    if (id >= nb * kb) {
        return;
    }
    let n0 = (id / kb) * 4u;
    let k0 = (id % kb) * 4u;
    let n = min(vec4<u32>(n0, n0 + 1u, n0 + 2u, n0 + 3u), vec4<u32>(p.neurons - 1u));
    let k = min(vec4<u32>(k0, k0 + 1u, k0 + 2u, k0 + 3u), vec4<u32>(p.dim - 1u));
    var acc = array<vec4<f32>, 4>(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
    for (var b = 0u; b < p.batch; b = b + 1u) {
        let gb = p.g_offset + b * p.neurons;
        let xb = b * p.dim;
        let xv = vec4<f32>(x[xb + k.x], x[xb + k.y], x[xb + k.z], x[xb + k.w]);
        acc[0] = acc[0] + g[gb + n.x] * xv;
        acc[1] = acc[1] + g[gb + n.y] * xv;
        acc[2] = acc[2] + g[gb + n.z] * xv;
        acc[3] = acc[3] + g[gb + n.w] * xv;
    }
    for (var i = 0u; i < 4u; i = i + 1u) {
        for (var j = 0u; j < 4u; j = j + 1u) {
            if (n0 + i < p.neurons && k0 + j < p.dim) {
                grad[(n0 + i) * p.dim + k0 + j] = acc[i][j];
            }
        }
    }
}

@compute @workgroup_size(64)
fn bias_grad(@builtin(global_invocation_id) gid: vec3<u32>) {
    let n = gid.x;
    if (n >= p.neurons) {
        return;
    }
    var acc = 0.0;
    for (var b = 0u; b < p.batch; b = b + 1u) {
        acc = acc + g[p.g_offset + b * p.neurons + n];
    }
    grad[p.neurons * p.dim + n] = acc;
}
