// Shared by every PID stage (prepended by src/engine/gpu/pid.rs). CPU twin of the four
// stages together: Isx::goal_from_samples in src/pid/isx.rs.
//
// Per neuron n the kernel keeps `capacity` joint-state slots (states, grad_a, grad_b,
// diff at n*capacity + k) and one header vec4 at states[neurons*capacity + n]:
// (occupied state count J, P(T=-1), P(T=+1), base gradient).

struct Params {
    // neurons, batch, sources, antichains
    dims: vec4<u32>,
    // full source mask (2^n - 1), index of the top antichain, term count, neuron grid x
    dims2: vec4<u32>,
    // capacity (state slots per neuron), sample grid x, key mask, unused
    dims3: vec4<u32>,
    // weight of H(T) in G, 1/B, unused, unused
    scal: vec4<f32>,
    // per antichain: union mask, first union term, number of union terms, unused
    ac: array<vec4<u32>, 18>,
    // per antichain: weight w of I_a in G, w / ln 2, unused, unused
    acw: array<vec4<f32>, 18>,
    // inclusion-exclusion terms (subset mask V, coefficient): P(W_a) = sum coef * P_V
    uterms: array<vec4<i32>, 64>,
    // Moebius rows: atom a = sum_b mobius[a][b] * I_b, row a at 5a .. 5a+4 (20 columns)
    mobius: array<vec4<f32>, 90>,
}

@group(0) @binding(0) var<uniform> P: Params;

const WG: u32 = 256u;
const NONE: u32 = 0xffffffffu;
// Marks a sample's entry in state_of as final (a state id, not a representative sample).
const FINAL: u32 = 0x80000000u;
// Ratios P(t,W)/(P(W)P(t)) below this count as 1: no information and no gradient (paper).
const RATIO_FLOOR: f32 = 1e-7;

fn neuron_index(wg: vec3<u32>) -> u32 {
    return wg.y * P.dims2.w + wg.x;
}

fn header_index(neuron: u32) -> u32 {
    return P.dims.x * P.dims3.x + neuron;
}

// Bit i set iff source i of the two packed keys agrees (one byte per source).
fn agree(a: u32, b: u32) -> u32 {
    let x = a ^ b;
    return select(0u, 1u, (x & 0xffu) == 0u)
        | select(0u, 2u, (x & 0xff00u) == 0u)
        | select(0u, 4u, (x & 0xff0000u) == 0u);
}
