// Binning of the aggregates (CPU twin: Layer::bin_and_theta in src/network/layer.rs; the
// digits it writes, one per source, are the bins packed here): Fixed range
// or MaxAbs (each source divided by its largest |value| over the batch, per neuron, then
// [−1, 1]). One workgroup per neuron; the max is a reduction in workgroup memory (order
// independent, so deterministic). Output neuron-major, source i's bin in bits 8i..8i+7.

struct Params {
    batch: u32,
    neurons: u32,
    stride: u32,
    sources: u32,
    max_abs: u32,
    lo: f32,
    per_unit: f32,
    top: f32,      // bins − 1
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> agg: array<f32>;
@group(0) @binding(2) var<storage, read_write> bins: array<u32>;

var<workgroup> part: array<f32, 64>;
var<workgroup> scales: array<f32, 4>;

@compute @workgroup_size(64)
fn binning(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let n = wg.x + wg.y * groups.x;
    let live = n < p.neurons;
    for (var s = 0u; s < p.sources; s = s + 1u) {
        var m = 0.0;
        if (live && p.max_abs == 1u) {
            for (var b = lid; b < p.batch; b = b + 64u) {
                m = max(m, abs(agg[s * p.stride + b * p.neurons + n]));
            }
        }
        part[lid] = m;
        workgroupBarrier();
        for (var width = 32u; width > 0u; width = width >> 1u) {
            if (lid < width) {
                part[lid] = max(part[lid], part[lid + width]);
            }
            workgroupBarrier();
        }
        if (lid == 0u) {
            var scale = 1.0;
            if (p.max_abs == 1u) {
                scale = 0.0;
                if (part[0] > 0.0) {
                    scale = 1.0 / part[0];
                }
            }
            scales[s] = scale;
        }
        workgroupBarrier();
    }
    if (!live) {
        return;
    }
    for (var b = lid; b < p.batch; b = b + 64u) {
        var packed = 0u;
        for (var s = 0u; s < p.sources; s = s + 1u) {
            let v = agg[s * p.stride + b * p.neurons + n];
            let x = (v * scales[s] - p.lo) * p.per_unit;
            // NaN goes to bin 0, as the CPU's `as u16` conversion does.
            let i = select(0.0, clamp(x, 0.0, p.top), x == x);
            packed = packed | (min(u32(i), u32(p.top)) << (8u * s));
        }
        bins[n * p.batch + b] = packed;
    }
}
