//! One infomorphic neuron on a two-bit task (method §6, logic gates): F and C are the
//! two input bits, the goal γ decides what the neuron's output carries, and the result
//! is the exact PID of the output with respect to the two inputs.

use super::layer::{Activation, Binning, Layer, LayerConfig, SourceConfig, SourceKind, Wiring};
use super::train::view;
use crate::pid::{Isx, JointShape};
use crate::tasks::TaskData;
use ndarray::s;
use serde::Serialize;

/// What a trained gate neuron does.
#[derive(Clone, Debug, Serialize)]
pub struct NeuronReport {
    /// Term names, bivariate order: unique F, unique C, shared, synergy, H_res.
    pub names: Vec<String>,
    /// PID of the output Y with respect to (F, C) over the four input combinations.
    pub atoms: Vec<f64>,
    /// P(Y = +1) for the inputs (−1,−1), (−1,+1), (+1,−1), (+1,+1).
    pub theta: [f64; 4],
    /// How often the output equals the task's label (or its negation, whichever is
    /// higher: a goal is unchanged when the neuron flips its output).
    pub agreement: f64,
    /// The goal terms of each epoch, averaged over its steps.
    pub history: Vec<Vec<f64>>,
}

/// Trains a single bivariate neuron (F = first bit, C = second bit) on a two-feature
/// task with goal `gamma`, then decomposes what its output carries.
pub fn train_gate_neuron(
    task: &TaskData,
    gamma: &[f64],
    epochs: usize,
    batch: usize,
    lr: f64,
    init_seed: u64,
) -> Result<NeuronReport, String> {
    if task.dim != 2 {
        return Err(format!(
            "a gate neuron needs a task with two input bits, '{}' has {}",
            task.name, task.dim
        ));
    }
    let bit = |kind| SourceConfig {
        kind,
        dim: 1,
        wiring: Wiring::Dense,
    };
    let mut layer = Layer::new(
        LayerConfig {
            neurons: 1,
            sources: vec![bit(SourceKind::Feedforward), bit(SourceKind::Context)],
            activation: Activation::HIDDEN,
            binning: Binning::MaxAbs,
            bins: 20,
            goal: gamma.to_vec(),
            lr,
            weight_decay: 0.0,
        },
        init_seed,
    )?;
    let x = view(&task.train_x, 2);
    let mut history = Vec::with_capacity(epochs);
    for _ in 0..epochs {
        let mut sum = vec![0.0; gamma.len()];
        let mut steps = 0.0;
        for start in (0..task.train_len()).step_by(batch.max(1)) {
            let end = (start + batch.max(1)).min(task.train_len());
            let inputs = [x.slice(s![start..end, 0..1]), x.slice(s![start..end, 1..2])];
            let fwd = layer.forward(&inputs);
            let terms = layer.learn(&inputs, &fwd);
            sum.iter_mut().zip(terms.row(0)).for_each(|(s, t)| *s += t);
            steps += 1.0;
        }
        history.push(sum.iter().map(|s| s / steps).collect());
    }
    // θ for each input combination, then the exact table P(f, c, y) under uniform inputs.
    let combos = [[-1.0f32, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]];
    let grid = ndarray::Array2::from_shape_fn((4, 2), |(i, j)| combos[i][j]);
    let theta_grid = layer
        .forward(&[grid.slice(s![.., 0..1]), grid.slice(s![.., 1..2])])
        .theta;
    let theta: [f64; 4] = std::array::from_fn(|i| theta_grid[[i, 0]] as f64);
    let table: Vec<f64> = theta
        .iter()
        .flat_map(|&t| [(1.0 - t) / 4.0, t / 4.0])
        .collect();
    let isx = Isx::new(JointShape::new(&[2, 2], 2).map_err(|e| e.0)?);
    let d = isx.decompose(&table, &mut isx.workspace());
    let index = |f: f32, c: f32| usize::from(f > 0.0) * 2 + usize::from(c > 0.0);
    let test = view(&task.test_x, 2);
    let agree: f64 = test
        .rows()
        .into_iter()
        .zip(&task.test_y)
        .map(|(row, &y)| {
            let t = theta[index(row[0], row[1])];
            if y == 1 {
                t
            } else {
                1.0 - t
            }
        })
        .sum::<f64>()
        / task.test_len().max(1) as f64;
    Ok(NeuronReport {
        names: isx.lattice().term_names(),
        atoms: d.terms(),
        theta,
        agreement: agree.max(1.0 - agree),
        history,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tasks::toy::{gate, Gate, Sizes};

    fn run(kind: Gate, gamma: [f64; 5]) -> NeuronReport {
        let task = gate(kind, Sizes::default(), 1);
        train_gate_neuron(&task, &gamma, 60, 256, 0.02, 3).unwrap()
    }

    #[test]
    fn unique_goal_copies_its_feedforward_bit() {
        let r = run(Gate::Copy, [1.0, 0.0, 0.0, 0.0, 0.0]);
        assert!(r.agreement > 0.95, "{r:?}");
        assert!(r.atoms[0] > 0.5, "unique F {:?}", r.atoms);
    }

    #[test]
    fn goal_grows_and_atoms_add_up() {
        let r = run(Gate::And, [1.0, 0.0, 0.0, 0.0, 0.0]);
        let first = &r.history[0];
        let last = r.history.last().unwrap();
        assert!(last[0] > first[0], "unique F grows: {first:?} → {last:?}");
        // Atoms plus H_res add up to H(Y) ≤ 1 bit.
        let total: f64 = r.atoms.iter().sum();
        assert!(total > 0.0 && total <= 1.0 + 1e-9, "{:?}", r.atoms);
    }
}
