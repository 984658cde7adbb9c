//! What a run reports (per-epoch metrics), the non-finite goal check, and `train`: a
//! whole run on the CPU engine through the one driver, [`super::run::Trainer`].

use super::model::{Network, RunConfig};
use super::run::{CpuBackend, Trainer};
use crate::tasks::TaskData;
use ndarray::ArrayView2;
use serde::Serialize;

/// What one epoch measured.
#[derive(Clone, Debug, Serialize)]
pub struct EpochMetrics {
    pub epoch: usize,
    pub steps: u32,
    /// Accuracy on the training part with the label input at zero, after the epoch.
    pub train_accuracy: f64,
    /// The paper's training accuracy: the output layer's read-out during the epoch's
    /// training steps, with the label as context (NaN where the engine does not count
    /// it: the GPU engine).
    pub train_accuracy_label_context: f64,
    pub val_accuracy: f64,
    pub test_accuracy: f64,
    /// Mean goal terms over the hidden neurons and the epoch's steps (empty without a hidden layer).
    pub hidden_atoms: Vec<f64>,
    /// The same for the output layer.
    pub output_atoms: Vec<f64>,
    pub seconds: f64,
    pub steps_per_second: f64,
}

/// Row-major samples as an ndarray view.
pub fn view<'a>(x: &'a [f32], dim: usize) -> ArrayView2<'a, f32> {
    ArrayView2::from_shape((x.len() / dim.max(1), dim), x).expect("rows of `dim` features")
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

/// A finished or stopped run: the network as it ended (none if it could not be built),
/// the metrics of every completed epoch, and why it stopped early, if it did.
pub struct Run {
    pub network: Option<Network>,
    pub metrics: Vec<EpochMetrics>,
    pub error: Option<String>,
}

/// Trains for `config.epochs` epochs on the CPU engine with the one driver
/// ([`super::run::Trainer`]), calling `on_epoch` after each; stops at the first
/// non-finite number, keeping the metrics gathered so far.
pub fn train(
    config: &RunConfig,
    task: &TaskData,
    mut on_epoch: impl FnMut(&EpochMetrics, &Network),
) -> Run {
    let net = match Network::new(config, task.dim, task.classes) {
        Ok(net) => net,
        Err(e) => {
            return Run {
                network: None,
                metrics: Vec::new(),
                error: Some(e),
            }
        }
    };
    let mut trainer = Trainer::new(CpuBackend::new(net), task.clone());
    let mut error = None;
    for _ in 0..config.epochs {
        match ready(trainer.run_epoch()) {
            Ok(m) => {
                let m = m.clone();
                on_epoch(&m, &trainer.backend().net)
            }
            Err(e) => {
                error = Some(e.to_string());
                break;
            }
        }
    }
    let metrics = trainer.metrics().to_vec();
    Run {
        network: Some(trainer.into_parts().0.net),
        metrics,
        error,
    }
}

/// The output of a future that is ready when first polled (the CPU engine's).
pub fn ready<F: std::future::Future>(future: F) -> F::Output {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match std::pin::pin!(future).poll(&mut cx) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => panic!("a CPU-engine future must be ready at once"),
    }
}
