// Stage 2: I^sx of every antichain, the atoms, H_res and the per-state parts of dG/dtheta.
// One workgroup per neuron, one thread per occupied joint state s (in chunks of 256).
// Each thread gathers the marginals P_V(t, s_V) of every source subset V over all
// occupied states (tiles in workgroup memory, fixed order), then for every antichain a
// forms P(t, W_a(s)), P(W_a(s)) by inclusion-exclusion and adds
//   P(t, s) * log2[P(t, W) / (P(W) P(t))]            to I_a (guarded, paper),
// and for the gradient (method section 4) keeps
//   own(s) = sum_a w_a (l_a(+1, s) - l_a(-1, s))      (the cells' own log-ratios) and
//   g_V(s) = sum_a sum_{(V,c) in W_a} c w_a/ln2 (P(+1,s)/P(+1,W) - P(-1,s)/P(-1,W)),
// whose sums over states sharing s_V stage 3 gathers. The P(W) parts are equal for both
// target states and cancel in dG/dtheta; the P(t) parts become the per-neuron `base`.
// CPU twin (the four stages together): Isx::goal_from_samples in src/pid/isx.rs.

@group(0) @binding(1) var<storage, read_write> states: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> grad_a: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> grad_b: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> terms: array<f32>;

var<workgroup> tile: array<vec4<f32>, 256>;
var<workgroup> part: array<f32, 1280>;
var<workgroup> occupied: u32;

// log2 of P(t,W) / (P(W) P(t)) and whether the guard keeps it, without forming
// infinities: the inputs are masses, P(W) > 0 on occupied states.
fn guarded(ptw: f32, pw: f32, pt: f32) -> vec2<f32> {
    let den = pw * pt;
    let on = pt > 0.0 && ptw > 0.0 && ptw >= RATIO_FLOOR * den;
    if (on) {
        return vec2<f32>(log2(ptw / den), 1.0);
    }
    return vec2<f32>(0.0, 0.0);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) l: u32) {
    let neuron = neuron_index(wg);
    if (neuron >= P.dims.x) {
        return;
    }
    let cap = P.dims3.x;
    let sbase = neuron * cap;
    let full = P.dims2.x;
    let na = P.dims.w;
    let header = states[header_index(neuron)];
    if (l == 0u) {
        occupied = u32(header.x);
    }
    let occ = workgroupUniformLoad(&occupied);
    let pt = header.yz;

    var redundancy: array<f32, 18>;
    var kept = vec2<f32>(0.0, 0.0);
    let chunks = (occ + WG - 1u) / WG;
    for (var q = 0u; q < chunks; q++) {
        let k = q * WG + l;
        let valid = k < occ;
        var s = vec4<f32>(0.0);
        if (valid) {
            s = states[sbase + k];
        }
        let key = u32(s.w);
        // marg[V] = (P_V(-1, s_V), P_V(+1, s_V), P_V(s_V)), V a proper subset.
        var marg: array<vec3<f32>, 8>;
        for (var t = 0u; t < chunks; t++) {
            workgroupBarrier();
            let j = t * WG + l;
            if (j < occ) {
                tile[l] = states[sbase + j];
            }
            workgroupBarrier();
            if (valid) {
                let n_in = min(WG, occ - t * WG);
                for (var i = 0u; i < n_in; i++) {
                    let e = tile[i];
                    let m = agree(u32(e.w), key);
                    for (var v = 1u; v < full; v++) {
                        if ((v & ~m) == 0u) {
                            marg[v] += e.xyz;
                        }
                    }
                }
            }
        }
        if (valid) {
            marg[full] = s.xyz;
            // g[V - 1] for V = 1 .. full, own at g[full].
            var g: array<f32, 8>;
            var own = 0.0;
            for (var a = 0u; a < na; a++) {
                let info = P.ac[a];
                let w = P.acw[a];
                var row = vec3<f32>(0.0);
                for (var u = info.y; u < info.y + info.z; u++) {
                    let term = P.uterms[u];
                    row += f32(term.y) * marg[u32(term.x)];
                }
                let l0 = guarded(row.x, row.z, pt.x);
                let l1 = guarded(row.y, row.z, pt.y);
                redundancy[a] += s.x * l0.x + s.y * l1.x;
                kept += w.x * vec2<f32>(s.x * l0.y, s.y * l1.y);
                own += w.x * (l1.x - l0.x);
                if (w.y != 0.0) {
                    var inv = vec2<f32>(0.0);
                    if (l0.y > 0.0) {
                        inv.x = 1.0 / row.x;
                    }
                    if (l1.y > 0.0) {
                        inv.y = 1.0 / row.y;
                    }
                    let h = w.y * (s.y * inv.y - s.x * inv.x);
                    for (var u = info.y; u < info.y + info.z; u++) {
                        let term = P.uterms[u];
                        g[u32(term.x) - 1u] += f32(term.y) * h;
                    }
                }
            }
            g[full] = own;
            grad_a[sbase + k] = vec4<f32>(g[0], g[1], g[2], g[3]);
            if (full > 3u) {
                grad_b[sbase + k] = vec4<f32>(g[4], g[5], g[6], g[7]);
            }
        }
    }

    // Redundancies and the weighted kept masses, reduced in a fixed order: the 256
    // threads fold into 64 slots per value in four turns, then a tree over the slots.
    let nv = na + 2u;
    for (var turn = 0u; turn < 4u; turn++) {
        if (l / 64u == turn) {
            for (var a = 0u; a < nv; a++) {
                var x = kept.y;
                if (a < na) {
                    x = redundancy[a];
                } else if (a == na) {
                    x = kept.x;
                }
                let i = a * 64u + l % 64u;
                if (turn == 0u) {
                    part[i] = x;
                } else {
                    part[i] += x;
                }
            }
        }
        workgroupBarrier();
    }
    for (var off = 32u; off > 0u; off = off >> 1u) {
        for (var idx = l; idx < nv * off; idx += WG) {
            let i = (idx / off) * 64u + idx % off;
            part[i] += part[i + off];
        }
        workgroupBarrier();
    }

    let tc = P.dims2.z;
    if (l < na) {
        // Atoms by Moebius inversion; the matrix is integer, so only the sum rounds.
        var atom = 0.0;
        for (var b = 0u; b < na; b++) {
            atom += P.mobius[5u * l + b / 4u][b % 4u] * part[64u * b];
        }
        terms[neuron * tc + l] = atom;
    }
    if (l == na) {
        var h = 0.0;
        if (pt.x > 0.0) {
            h -= pt.x * log2(pt.x);
        }
        if (pt.y > 0.0) {
            h -= pt.y * log2(pt.y);
        }
        terms[neuron * tc + na] = h - part[64u * P.dims2.y];
        // dG/dP(t) parts, the same for every state: -sum_a w_a kept_a(t) / (P(t) ln 2),
        // and the H(T) term with the paper's 1e-10 inside the logarithm.
        let ln2 = 0.6931471805599453;
        let ew = P.scal.x;
        var gc = vec2<f32>(0.0);
        if (pt.x > 0.0) {
            gc.x = -part[64u * na] / (pt.x * ln2);
        }
        if (pt.y > 0.0) {
            gc.y = -part[64u * (na + 1u)] / (pt.y * ln2);
        }
        let pe = pt + vec2<f32>(1e-10);
        gc += ew * (-log2(pe) - pt / (pe * ln2));
        states[header_index(neuron)] = vec4<f32>(header.xyz, gc.y - gc.x);
    }
}
