//! One neuron's joint distribution p(sources…, y) on a batch (docs/method.md §2), binned
//! exactly as a learning step bins it ([`Layer::bin_and_theta`]): what the page's
//! neuron inspector decomposes.

use super::layer::{Forward, Layer};
use serde::Serialize;

/// A joint table in the form `infomorph pid` reads: `shape` lists the bins of each
/// source and then 2 for the output (index 0 = −1, 1 = +1); `p` is flattened in C order
/// with the output last; `sources` names the sources (F, C, L).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JointTable {
    pub shape: Vec<usize>,
    pub p: Vec<f64>,
    pub sources: Vec<&'static str>,
}

/// The joint table of neuron `neuron` of `layer` from the forward pass `fwd` of a batch:
/// each sample adds 1 − θ to its cell's output −1 and θ to its output +1.
pub fn joint_table(layer: &Layer, fwd: &Forward, neuron: usize) -> JointTable {
    let (batch, _) = fwd.theta.dim();
    let k = layer.config.bins;
    let n_src = fwd.aggregates.len();
    let (mut bins, mut theta) = (Vec::new(), Vec::new());
    layer.bin_and_theta(fwd, &mut bins, &mut theta);
    let rows = neuron * batch..(neuron + 1) * batch;
    let mut p = vec![0f64; k.pow(n_src as u32) * 2];
    let scale = 1.0 / batch.max(1) as f64;
    for (digits, &th) in bins[rows.clone()].iter().zip(&theta[rows]) {
        let cell = digits[..n_src]
            .iter()
            .fold(0usize, |c, &d| c * k + d as usize);
        p[cell * 2] += (1.0 - th) * scale;
        p[cell * 2 + 1] += th * scale;
    }
    let total: f64 = p.iter().sum();
    if total > 0.0 {
        p.iter_mut().for_each(|v| *v /= total);
    }
    let mut shape = vec![k; n_src];
    shape.push(2);
    JointTable {
        shape,
        p,
        sources: layer
            .sources
            .iter()
            .map(|s| s.config.kind.letter())
            .collect(),
    }
}
