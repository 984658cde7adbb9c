//! Associative memory with infomorphic neurons (method §6): one neuron per bit, F = its
//! own bit, L = the other neurons, and a goal that rewards information shared by F and
//! L, so the lateral input learns to predict the bit. Recall reads that prediction from
//! a corrupted cue. (A neuron's output follows the sign of its F aggregate, so the
//! lateral input cannot flip a bit by itself; its prediction can.)

use super::layer::{
    sample, Activation, Binning, Layer, LayerConfig, SourceConfig, SourceKind, Wiring,
};
use crate::rng::counter_key;
use crate::tasks::toy::{recall_accuracy, PatternSet};
use ndarray::Array2;
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct MemoryReport {
    /// Mean agreement of the corrupted cues with their patterns.
    pub cue_accuracy: f64,
    /// Mean agreement of the recalled bits (sign of the lateral prediction) with the patterns.
    pub recall_accuracy: f64,
    /// Goal terms (bivariate order) averaged over the neurons at the last step.
    pub atoms: Vec<f64>,
}

/// Stores `set.patterns` for `epochs` steps (each step sees every pattern `repeat` times)
/// with the shared-information goal, then recalls from `set.cues`.
pub fn store_and_recall(
    set: &PatternSet,
    epochs: usize,
    repeat: usize,
    lr: f64,
    seed: u64,
) -> Result<MemoryReport, String> {
    let count = set.patterns.len();
    let bits = set.patterns.first().map_or(0, Vec::len);
    if count == 0 || bits < 2 {
        return Err("associative memory needs at least one pattern of at least 2 bits".into());
    }
    let mut layer = Layer::new(
        LayerConfig {
            neurons: bits,
            sources: vec![
                SourceConfig {
                    kind: SourceKind::Feedforward,
                    dim: bits,
                    wiring: Wiring::Identity,
                },
                SourceConfig {
                    kind: SourceKind::Lateral,
                    dim: bits,
                    wiring: Wiring::Lateral(None),
                },
            ],
            activation: Activation::HIDDEN,
            binning: Binning::MaxAbs,
            bins: 20,
            goal: vec![0.0, 0.0, 1.0, 0.0, 0.0],
            lr,
            weight_decay: 0.0,
        },
        seed,
    )?;
    let rows = count * repeat.max(1);
    let x = Array2::from_shape_fn((rows, bits), |(b, i)| set.patterns[b % count][i]);
    let mut atoms = Vec::new();
    for step in 0..epochs as u32 {
        let mut aggregates = layer.aggregates(&[x.view()]);
        aggregates.push(layer.bias_aggregate(1, rows));
        let y1 = sample(
            &layer.forward_from(aggregates.clone()).theta,
            counter_key(seed, 1, step),
            0,
            -1.0,
        );
        aggregates[1] = layer.aggregate(1, y1.view());
        let fwd = layer.forward_from(aggregates);
        let terms = layer.learn(&[x.view(), y1.view()], &fwd);
        atoms = terms
            .mean_axis(ndarray::Axis(0))
            .map(|m| m.to_vec())
            .unwrap_or_default();
    }
    let mut cue_acc = 0.0;
    let mut recall_acc = 0.0;
    for (pattern, cue) in set.patterns.iter().zip(&set.cues) {
        let cue_row = Array2::from_shape_vec((1, bits), cue.clone()).expect("one row");
        let prediction = layer.aggregate(1, cue_row.view());
        let recalled: Vec<f32> = prediction
            .iter()
            .map(|&l| if l >= 0.0 { 1.0 } else { -1.0 })
            .collect();
        cue_acc += recall_accuracy(cue, pattern);
        recall_acc += recall_accuracy(&recalled, pattern);
    }
    Ok(MemoryReport {
        cue_accuracy: cue_acc / count as f64,
        recall_accuracy: recall_acc / count as f64,
        atoms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tasks::toy::patterns;

    #[test]
    fn recall_beats_the_corrupted_cue() {
        let set = patterns(5, 64, 0.15, 2);
        let r = store_and_recall(&set, 200, 20, 0.01, 1).unwrap();
        eprintln!("{r:?}");
        assert!(r.recall_accuracy > r.cue_accuracy + 0.05, "{r:?}");
        assert!(r.atoms[2] > 0.1, "shared information was learned: {r:?}");
    }
}
