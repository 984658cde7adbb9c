// Stage 3: dG/dtheta per occupied joint state s, divided by B:
//   (base + own(s) + sum_V sum_{s' : s'_V = s_V} g_V(s')) / B,
// the inclusion-exclusion sums gathered over state tiles in a fixed order.
// One workgroup per neuron, one thread per state.
// CPU twin (the four stages together): Isx::goal_from_samples in src/pid/isx.rs.

@group(0) @binding(1) var<storage, read> states: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> grad_a: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> grad_b: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> diff: array<f32>;

var<workgroup> tile_key: array<u32, 256>;
var<workgroup> tile_a: array<vec4<f32>, 256>;
var<workgroup> tile_b: array<vec4<f32>, 256>;
var<workgroup> occupied: u32;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) l: u32) {
    let neuron = neuron_index(wg);
    if (neuron >= P.dims.x) {
        return;
    }
    let cap = P.dims3.x;
    let sbase = neuron * cap;
    let full = P.dims2.x;
    let header = states[header_index(neuron)];
    if (l == 0u) {
        occupied = u32(header.x);
    }
    let occ = workgroupUniformLoad(&occupied);
    let three = full > 3u;

    let chunks = (occ + WG - 1u) / WG;
    for (var q = 0u; q < chunks; q++) {
        let k = q * WG + l;
        let valid = k < occ;
        var key = 0u;
        var total = header.w;
        if (valid) {
            key = u32(states[sbase + k].w);
            if (three) {
                total += grad_b[sbase + k].w;
            } else {
                total += grad_a[sbase + k].w;
            }
        }
        for (var t = 0u; t < chunks; t++) {
            workgroupBarrier();
            let j = t * WG + l;
            if (j < occ) {
                tile_key[l] = u32(states[sbase + j].w);
                tile_a[l] = grad_a[sbase + j];
                if (three) {
                    tile_b[l] = grad_b[sbase + j];
                }
            }
            workgroupBarrier();
            if (valid) {
                let n_in = min(WG, occ - t * WG);
                for (var i = 0u; i < n_in; i++) {
                    let m = agree(tile_key[i], key);
                    let ga = tile_a[i];
                    let gb = tile_b[i];
                    for (var v = 1u; v <= full; v++) {
                        if ((v & ~m) == 0u) {
                            let c = v - 1u;
                            if (c < 4u) {
                                total += ga[c];
                            } else {
                                total += gb[c - 4u];
                            }
                        }
                    }
                }
            }
        }
        if (valid) {
            diff[sbase + k] = total * P.scal.y;
        }
    }
}
