//! What the page's views read from a run: the stats, receptive fields, a neuron's joint
//! table, the decision map of 2-D tasks, test points and the run file.

use super::state::{ActivationParams, State, HISTOGRAM_SAMPLES};
use crate::engine::EngineKind;
use crate::experiments::{self, ClaimOutcome, RunResult};
use crate::network::accuracy::apply_inversion;
use crate::network::export::LayerDump;
use crate::network::histogram::{joint_table, JointTable};
use crate::network::train::view;
use crate::pid::Lattice;
use serde_json::json;

/// A claim on a run so far ([`State::claim_so_far`]): whether the value `met` the
/// threshold at the last finished epoch, and whether the run has `finished` (then it is
/// the claim's verdict).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct LiveClaim {
    pub met: bool,
    pub value: f64,
    pub threshold: f64,
    pub finished: bool,
    /// The epochs finished so far.
    pub epoch: usize,
}

impl LiveClaim {
    /// The claim's outcome, as [`experiments::check`] gives it.
    pub fn outcome(&self) -> ClaimOutcome {
        ClaimOutcome {
            met: self.met,
            value: self.value,
            threshold: self.threshold,
        }
    }
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

impl State {
    /// An experiment's claim (`crate::experiments::check`) evaluated on this run, which
    /// must have finished with the experiment's configuration and the default
    /// activation parameters.
    pub fn claim(&self, name: &str) -> Result<ClaimOutcome, String> {
        let live = self.claim_so_far(name)?;
        if !live.finished {
            return Err(format!(
                "experiment {name}'s claim is checked when its run has finished"
            ));
        }
        Ok(live.outcome())
    }

    /// An experiment's claim on the run so far (its last finished epoch), for the page's
    /// live status: `met` says whether the value meets the threshold now, and on the
    /// finished run the outcome is [`State::claim`]'s. Refused when the run is not the
    /// experiment's configuration (with the default activation parameters) or stopped.
    pub fn claim_so_far(&self, name: &str) -> Result<LiveClaim, String> {
        let experiment = experiments::by_name(name).map_err(|e| e.to_string())?;
        let config = experiment.config().map_err(|e| e.to_string())?;
        if self.config != config || self.activation != ActivationParams::default() {
            return Err(format!(
                "this run's configuration is not experiment {name}'s; open the experiment again"
            ));
        }
        if let Some(error) = &self.progress.error {
            return Err(format!("experiment {name}'s run stopped: {error}"));
        }
        let outcome = experiments::check(
            experiment,
            &RunResult {
                metrics: &self.progress.metrics,
                network: self.network(),
                task: &self.task,
            },
        );
        Ok(LiveClaim {
            met: outcome.met,
            value: outcome.value,
            threshold: outcome.threshold,
            finished: self.progress.finished,
            epoch: self.progress.epoch,
        })
    }

    /// `"cpu"` or `"webgpu"`.
    pub fn engine_name(&self) -> &'static str {
        match self.engine {
            EngineKind::Cpu => "cpu",
            EngineKind::Gpu => "webgpu",
        }
    }

    /// Where training stands: step, epoch, accuracies, the atoms of every shown neuron,
    /// term names, the epoch history, the confusion matrix, the engine, its adapter and
    /// notices, …
    pub fn stats(&self) -> serde_json::Value {
        let net = self.network();
        let layer = net.shown_layer();
        let shows_hidden = net.shows_hidden();
        let lattice = Lattice::new(layer.sources.len());
        let atoms: Vec<Vec<Option<f64>>> = layer
            .last_terms
            .rows()
            .into_iter()
            .map(|r| r.iter().map(|v| finite(*v)).collect())
            .collect();
        let p = &self.progress;
        let gamma = layer.config.goal.clone();
        let mean_terms = if shows_hidden {
            &p.last_hidden
        } else {
            &p.last_output
        };
        let goal: f64 = gamma.iter().zip(mean_terms).map(|(g, t)| g * t).sum();
        let source_names: Vec<&str> = layer
            .sources
            .iter()
            .map(|s| s.config.kind.letter())
            .collect();
        let last = p.metrics.last();
        let task = &self.task;
        json!({
            "step": p.step,
            "epoch": p.epoch,
            "epoch_progress": p.epoch_progress,
            "evaluating": p.evaluating,
            "finished": p.finished,
            "error": p.error,
            "engine": self.engine_name(),
            "adapter": self.adapter,
            "notices": self.notices,
            "steps_per_second": self.steps_per_second,
            "accuracy": {
                "train": last.and_then(|m| finite(m.train_accuracy)),
                "val": last.and_then(|m| finite(m.val_accuracy)),
                "test": last.and_then(|m| finite(m.test_accuracy)),
            },
            "layer": if shows_hidden { "hidden" } else { "output" },
            "fields_layer": if net.hidden.is_some() { "hidden" } else { "output" },
            "sources": source_names,
            "names": lattice.term_names(),
            "display_names": lattice.term_display_names(),
            "gamma": gamma,
            "goal": finite(goal),
            "mean_atoms": mean_terms.iter().map(|v| finite(*v)).collect::<Vec<_>>(),
            "output_atoms": p.last_output.iter().map(|v| finite(*v)).collect::<Vec<_>>(),
            "atoms": atoms,
            "metrics": p.metrics,
            "confusion": p.confusion,
            "classes": task.classes,
            "dim": task.dim,
            "image": task.image,
            "sizes": [task.train_len(), task.val_len(), task.test_len()],
            "activation": self.activation,
            "code": self.code_stats(),
        })
    }

    /// The code read-out (method §9) for the stats: the latest measurement, the step it
    /// was measured at and the bits at initialisation; null for tasks without causes.
    fn code_stats(&self) -> serde_json::Value {
        let (Some(now), Some(init)) = (&self.code, &self.code_init) else {
            return serde_json::Value::Null;
        };
        let mut v = serde_json::to_value(now).unwrap_or_default();
        v["init_bits"] = finite(init.bits).into();
        v["step"] = self.code_step.into();
        v
    }

    /// Feed-forward weights of every neuron of the hidden layer (the output layer
    /// without one), neurons × input dim, row-major: the receptive fields.
    pub fn receptive_fields(&self) -> Vec<f32> {
        let net = self.network();
        let layer = net.hidden.as_ref().unwrap_or(&net.output);
        layer.sources[0].weights.iter().copied().collect()
    }

    /// The joint table of one shown neuron on up to [`HISTOGRAM_SAMPLES`] training
    /// samples, from the model's own forward pass and binning.
    pub fn histogram(&mut self, neuron: usize) -> Result<JointTable, String> {
        let rows = self.histogram_y.len().min(HISTOGRAM_SAMPLES);
        let dim = self.task.dim;
        let x = std::mem::take(&mut self.histogram_x);
        let y = std::mem::take(&mut self.histogram_y);
        let net = self.network_mut();
        let result = if neuron >= net.shown_layer().neurons() {
            Err(format!("no neuron {neuron}"))
        } else {
            let fwd = net.shown_forward(view(&x[..rows * dim], dim), &y[..rows]);
            Ok(joint_table(net.shown_layer(), &fwd, neuron))
        };
        self.histogram_x = x;
        self.histogram_y = y;
        result
    }

    /// For 2-D tasks: the class probabilities over a `res`×`res` grid covering the
    /// data (rows from the top, x1 decreasing), `res·res·classes` values, preceded by
    /// the bounds x0min, x0max, x1min, x1max, read with the test part's inversion of the
    /// last evaluation. Empty for other tasks.
    pub fn decision_map(&mut self, res: usize) -> Vec<f32> {
        if self.task.dim != 2 || res == 0 || res > 256 {
            return Vec::new();
        }
        let mut lo = [f32::MAX; 2];
        let mut hi = [f32::MIN; 2];
        for row in self.task.train_x.chunks_exact(2) {
            for d in 0..2 {
                lo[d] = lo[d].min(row[d]);
                hi[d] = hi[d].max(row[d]);
            }
        }
        for d in 0..2 {
            let pad = 0.08 * (hi[d] - lo[d]).max(1e-3);
            lo[d] -= pad;
            hi[d] += pad;
        }
        let mut grid = Vec::with_capacity(res * res * 2);
        for i in 0..res {
            let x1 = hi[1] - (i as f32 + 0.5) / res as f32 * (hi[1] - lo[1]);
            for j in 0..res {
                grid.push(lo[0] + (j as f32 + 0.5) / res as f32 * (hi[0] - lo[0]));
                grid.push(x1);
            }
        }
        let step = self.progress.epoch as u32;
        let inverted = self.progress.inverted.clone();
        let mut theta = self.network_mut().predict_theta(view(&grid, 2), step);
        apply_inversion(&mut theta, &inverted);
        let mut out = vec![lo[0], hi[0], lo[1], hi[1]];
        out.extend(theta.iter().copied());
        out
    }

    /// Up to `max` test samples of a 2-D task as (x0, x1, label) triples.
    pub fn points(&self, max: usize) -> Vec<f32> {
        if self.task.dim != 2 {
            return Vec::new();
        }
        let n = self.task.test_len().min(max);
        let mut out = Vec::with_capacity(n * 3);
        for i in 0..n {
            out.push(self.task.test_x[2 * i]);
            out.push(self.task.test_x[2 * i + 1]);
            out.push(self.task.test_y[i] as f32);
        }
        out
    }

    /// The run in the format of `infomorph train --out` (config, metrics, error,
    /// hidden and output layers with atoms and weights) plus the page's activation
    /// parameters.
    pub fn export(&self) -> serde_json::Value {
        let net = self.network();
        json!({
            "format": "infomorph-run",
            "version": 1,
            "config": self.config,
            "activation": self.activation,
            "metrics": self.progress.metrics,
            "error": self.progress.error,
            "hidden": net.hidden.as_ref().map(LayerDump::of),
            "output": LayerDump::of(&net.output),
        })
    }
}
