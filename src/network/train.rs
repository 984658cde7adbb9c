//! The training loop shared by the command line and the page: epochs of shuffled
//! mini-batches (data seed), per-epoch accuracies and mean goal terms, and a stop with
//! a clear message when numbers stop being finite.

use super::model::{Network, RunConfig};
use crate::rng::Stream;
use crate::tasks::TaskData;
use ndarray::ArrayView2;
use serde::Serialize;

/// What one epoch measured.
#[derive(Clone, Debug, Serialize)]
pub struct EpochMetrics {
    pub epoch: usize,
    pub steps: u32,
    pub train_accuracy: f64,
    pub val_accuracy: f64,
    pub test_accuracy: f64,
    /// Mean goal terms over the hidden neurons and the epoch's steps (empty without a hidden layer).
    pub hidden_atoms: Vec<f64>,
    /// The same for the output layer.
    pub output_atoms: Vec<f64>,
    pub seconds: f64,
    pub steps_per_second: f64,
}

/// Why training stopped early.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainError(pub String);

/// Row-major samples as an ndarray view.
pub fn view<'a>(x: &'a [f32], dim: usize) -> ArrayView2<'a, f32> {
    ArrayView2::from_shape((x.len() / dim.max(1), dim), x).expect("rows of `dim` features")
}

/// Runs one epoch over the shuffled training set; returns the mean terms per layer.
pub fn train_epoch(
    net: &mut Network,
    task: &TaskData,
    epoch: usize,
) -> Result<(Vec<f64>, Vec<f64>), TrainError> {
    let n = task.train_len();
    let dim = task.dim;
    let mut order: Vec<usize> = (0..n).collect();
    Stream::new(net.config.data_seed ^ (epoch as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .shuffle(&mut order);
    let batch = net.config.batch.min(n.max(1));
    let mut xb = Vec::with_capacity(batch * dim);
    let mut yb = Vec::with_capacity(batch);
    let (mut hidden, mut output) = (Vec::<f64>::new(), Vec::<f64>::new());
    let mut steps = 0usize;
    for chunk in order.chunks(batch) {
        xb.clear();
        yb.clear();
        for &i in chunk {
            xb.extend_from_slice(&task.train_x[i * dim..(i + 1) * dim]);
            yb.push(task.train_y[i]);
        }
        let terms = net.train_batch(view(&xb, dim), &yb);
        check_goals(&terms.hidden, &terms.output, epoch, net.steps()).map_err(TrainError)?;
        accumulate(&mut hidden, &terms.hidden);
        accumulate(&mut output, &terms.output);
        steps += 1;
    }
    check_weights(net, epoch).map_err(TrainError)?;
    let scale = 1.0 / steps.max(1) as f64;
    hidden
        .iter_mut()
        .chain(output.iter_mut())
        .for_each(|v| *v *= scale);
    Ok((hidden, output))
}

/// The message that stops a run whose goal terms (per layer) are not finite.
pub fn check_goals(hidden: &[f64], output: &[f64], epoch: usize, step: u32) -> Result<(), String> {
    for (name, t) in [("hidden", hidden), ("output", output)] {
        if t.iter().any(|v| !v.is_finite()) {
            return Err(format!(
                "the {name} layer's goal is not finite at epoch {epoch}, step {step}"
            ));
        }
    }
    Ok(())
}

/// The message that stops a run whose weights or biases are not finite (checked once
/// per epoch).
pub fn check_weights(net: &Network, epoch: usize) -> Result<(), String> {
    let layers = net.hidden.iter().map(|l| ("hidden", l));
    for (name, layer) in layers.chain([("output", &net.output)]) {
        let bad = layer.sources.iter().any(|s| {
            s.weights
                .iter()
                .chain(s.bias.iter())
                .any(|w| !w.is_finite())
        });
        if bad {
            return Err(format!(
                "the {name} layer's weights are not finite at epoch {epoch}"
            ));
        }
    }
    Ok(())
}

fn accumulate(sum: &mut Vec<f64>, terms: &[f64]) {
    if sum.is_empty() {
        sum.resize(terms.len(), 0.0);
    }
    for (s, t) in sum.iter_mut().zip(terms) {
        *s += t;
    }
}

/// Accuracies of the network on the three parts of a task (label input at zero).
pub fn evaluate(net: &mut Network, task: &TaskData, epoch: usize) -> (f64, f64, f64) {
    let dim = task.dim;
    let step = epoch as u32;
    (
        net.accuracy(view(&task.train_x, dim), &task.train_y, step),
        net.accuracy(view(&task.val_x, dim), &task.val_y, step),
        net.accuracy(view(&task.test_x, dim), &task.test_y, step),
    )
}

/// A finished or stopped run: the network as it ended (none if it could not be built),
/// the metrics of every completed epoch, and why it stopped early, if it did.
pub struct Run {
    pub network: Option<Network>,
    pub metrics: Vec<EpochMetrics>,
    pub error: Option<String>,
}

/// Trains for `config.epochs` epochs, calling `on_epoch` after each; stops at the first
/// non-finite number, keeping the metrics gathered so far.
pub fn train(
    config: &RunConfig,
    task: &TaskData,
    mut on_epoch: impl FnMut(&EpochMetrics, &Network),
) -> Run {
    let mut net = match Network::new(config, task.dim, task.classes) {
        Ok(net) => net,
        Err(e) => {
            return Run {
                network: None,
                metrics: Vec::new(),
                error: Some(e),
            }
        }
    };
    let mut metrics = Vec::new();
    for epoch in 1..=config.epochs {
        let start = now();
        let before = net.steps();
        let (hidden_atoms, output_atoms) = match train_epoch(&mut net, task, epoch) {
            Ok(t) => t,
            Err(e) => {
                return Run {
                    network: Some(net),
                    metrics,
                    error: Some(e.0),
                }
            }
        };
        let seconds = now() - start;
        let steps = net.steps() - before;
        let (train_accuracy, val_accuracy, test_accuracy) = evaluate(&mut net, task, epoch);
        let m = EpochMetrics {
            epoch,
            steps: net.steps(),
            train_accuracy,
            val_accuracy,
            test_accuracy,
            hidden_atoms,
            output_atoms,
            seconds,
            steps_per_second: steps as f64 / seconds.max(1e-9),
        };
        on_epoch(&m, &net);
        metrics.push(m);
    }
    Run {
        network: Some(net),
        metrics,
        error: None,
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn now() -> f64 {
    use std::sync::OnceLock;
    static START: OnceLock<std::time::Instant> = OnceLock::new();
    START
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_secs_f64()
}

#[cfg(target_arch = "wasm32")]
fn now() -> f64 {
    0.0
}
