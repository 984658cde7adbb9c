// Stage 1: deduplicate each neuron's samples into its occupied joint source states.
// One workgroup per neuron. A state is identified by its first sample (the CPU's slot
// order), found by scanning earlier samples tile by tile; ids come from a prefix sum
// over "first occurrence" flags. Masses are gathered per state in sample order, so
// every sum has a fixed order and the result is deterministic without float atomics.
// CPU twin (the four stages together): Isx::goal_from_samples in src/pid/isx.rs.

@group(0) @binding(1) var<storage, read> bins: array<u32>;
@group(0) @binding(2) var<storage, read> theta: array<f32>;
@group(0) @binding(3) var<storage, read_write> state_of: array<u32>;
@group(0) @binding(4) var<storage, read_write> states: array<vec4<f32>>;

var<workgroup> tile_key: array<u32, 256>;
var<workgroup> tile_val: array<f32, 256>;
var<workgroup> scan: array<u32, 256>;
var<workgroup> red0: array<f32, 256>;
var<workgroup> red1: array<f32, 256>;
var<workgroup> occupied: u32;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) l: u32) {
    let neuron = neuron_index(wg);
    if (neuron >= P.dims.x) {
        return;
    }
    let batch = P.dims.y;
    let cap = P.dims3.x;
    let kmask = P.dims3.z;
    let base = neuron * batch;
    let sbase = neuron * cap;
    let rounds = (batch + WG - 1u) / WG;

    // A: each sample's representative, the first sample with the same key.
    for (var r = 0u; r < rounds; r++) {
        let b = r * WG + l;
        var key = NONE;
        if (b < batch) {
            key = bins[base + b] & kmask;
        }
        var rep = NONE;
        for (var t = 0u; t <= r; t++) {
            workgroupBarrier();
            let j = t * WG + l;
            if (j < batch) {
                tile_key[l] = bins[base + j] & kmask;
            } else {
                tile_key[l] = NONE;
            }
            workgroupBarrier();
            if (b < batch && rep == NONE) {
                let end = min(WG, b - t * WG + 1u);
                for (var i = 0u; i < end; i++) {
                    if (tile_key[i] == key) {
                        rep = t * WG + i;
                        break;
                    }
                }
            }
        }
        if (b < batch) {
            state_of[base + b] = rep;
        }
    }

    // B: state ids in first-occurrence order: each thread counts the first samples of
    // its contiguous block, one workgroup prefix sum, then ids along the block.
    storageBarrier();
    let per = (batch + WG - 1u) / WG;
    let lo = min(l * per, batch);
    let hi = min(lo + per, batch);
    var firsts = 0u;
    for (var b = lo; b < hi; b++) {
        if (state_of[base + b] == b) {
            firsts += 1u;
        }
    }
    scan[l] = firsts;
    workgroupBarrier();
    for (var off = 1u; off < WG; off = off << 1u) {
        var add = 0u;
        if (l >= off) {
            add = scan[l - off];
        }
        workgroupBarrier();
        scan[l] += add;
        workgroupBarrier();
    }
    var id = scan[l] - firsts;
    for (var b = lo; b < hi; b++) {
        if (state_of[base + b] == b) {
            state_of[base + b] = id | FINAL;
            if (id < cap) {
                states[sbase + id] = vec4<f32>(0.0, 0.0, 0.0, f32(bins[base + b] & kmask));
            }
            id += 1u;
        }
    }
    let running = scan[WG - 1u];
    if (l == 0u) {
        occupied = min(running, cap);
    }
    storageBarrier();

    // C: every other sample takes its representative's id (representatives are final).
    for (var r = 0u; r < rounds; r++) {
        let b = r * WG + l;
        if (b < batch) {
            let v = state_of[base + b];
            if ((v & FINAL) == 0u) {
                state_of[base + b] = state_of[base + v];
            }
        }
    }
    storageBarrier();
    let occ = workgroupUniformLoad(&occupied);

    // D: theta-weighted masses per state, gathered over sample tiles in sample order.
    let inv_b = P.scal.y;
    let chunks = (occ + WG - 1u) / WG;
    for (var q = 0u; q < chunks; q++) {
        let k = q * WG + l;
        var s0 = 0.0;
        var s1 = 0.0;
        var count = 0.0;
        for (var t = 0u; t < rounds; t++) {
            workgroupBarrier();
            let j = t * WG + l;
            if (j < batch) {
                tile_key[l] = state_of[base + j] & ~FINAL;
                tile_val[l] = theta[base + j];
            } else {
                tile_key[l] = NONE;
            }
            workgroupBarrier();
            if (k < occ) {
                for (var i = 0u; i < WG; i++) {
                    if (tile_key[i] == k) {
                        let th = tile_val[i];
                        s1 += th;
                        s0 += 1.0 - th;
                        count += 1.0;
                    }
                }
            }
        }
        if (k < occ) {
            let key = states[sbase + k].w;
            states[sbase + k] = vec4<f32>(s0 * inv_b, s1 * inv_b, count * inv_b, key);
        }
    }

    // P(T) from all samples, by a fixed-order tree reduction.
    var a0 = 0.0;
    var a1 = 0.0;
    for (var r = 0u; r < rounds; r++) {
        let b = r * WG + l;
        if (b < batch) {
            let th = theta[base + b];
            a1 += th;
            a0 += 1.0 - th;
        }
    }
    red0[l] = a0;
    red1[l] = a1;
    workgroupBarrier();
    for (var off = WG / 2u; off > 0u; off = off >> 1u) {
        if (l < off) {
            red0[l] += red0[l + off];
            red1[l] += red1[l + off];
        }
        workgroupBarrier();
    }
    if (l == 0u) {
        states[header_index(neuron)] = vec4<f32>(f32(occ), red0[0] * inv_b, red1[0] * inv_b, 0.0);
    }
}
