// dLoss/dA from ∂G/∂θ (loss = −Σ G, the θ clamp passes no gradient) and dLoss/d(aggregate)
// for every source (CPU twins: the d_a loop of Layer::learn and Layer::activation_gradients
// in src/network/layer.rs).

struct Params {
    batch: u32,
    neurons: u32,
    stride: u32,
    trivariate: u32,
    k1: f32,
    k2: f32,
    w1: f32,
    w2: f32,
    eps: f32,
    one_minus_eps: f32,
    pad0: u32,
    pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dtheta: array<f32>;
@group(0) @binding(2) var<storage, read> theta: array<f32>;
@group(0) @binding(3) var<storage, read> agg: array<f32>;
@group(0) @binding(4) var<storage, read_write> dagg: array<f32>;

@compute @workgroup_size(64)
fn activation_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let id = flat_id(gid, groups);
    if (id >= p.batch * p.neurons) {
        return;
    }
    let b = id / p.neurons;
    let n = id - b * p.neurons;
    let th = theta[id];
    var g = 0.0;
    if (th > p.eps && th < p.one_minus_eps) {
        g = -dtheta[n * p.batch + b] * th * (1.0 - th);
    }
    let r = agg[id];
    let c = agg[p.stride + id];
    if (p.trivariate == 1u) {
        let l = agg[2u * p.stride + id];
        let c1 = p.k1;
        let c2 = p.k2;
        let s1 = sigmoid(p.w1 * r * c);
        let s2 = sigmoid(p.w2 * r * l);
        let d1 = c1 * s1 * (1.0 - s1) * p.w1;
        let d2 = c2 * s2 * (1.0 - s2) * p.w2;
        dagg[id] = g * ((1.0 - c1 - c2) + c1 * s1 + c2 * s2 + r * (d1 * c + d2 * l));
        dagg[p.stride + id] = g * r * d1 * r;
        dagg[2u * p.stride + id] = g * r * d2 * r;
    } else {
        let s = sigmoid(p.k2 * r * c);
        let ds = 2.0 * (1.0 - p.k1) * s * (1.0 - s) * p.k2;
        dagg[id] = g * (p.k1 + (1.0 - p.k1) * 2.0 * s + r * ds * c);
        dagg[p.stride + id] = g * r * ds * r;
    }
}
