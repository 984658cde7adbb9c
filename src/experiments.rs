//! Curated experiments: the page's gallery and `infomorph experiments`. Each is a run
//! configuration (the schema of `infomorph train --config` and the page's URLs), a few
//! sentences of what to do and what to look for, and one claim with a threshold, which
//! [`check`] evaluates on the finished run. The claims are measured: `tests/experiments.rs`
//! trains every experiment's configuration through the one driver and asserts its claim,
//! and the page evaluates the same claim with the same code on its own run
//! (`Session::claim`), so a configuration with the same seeds gives the same value in
//! both on the CPU engine.

use crate::network::train::EpochMetrics;
use crate::network::{Network, RunConfig};
use crate::tasks::TaskData;
use serde::Serialize;
use std::fmt;

/// What a claim measures on a finished run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Measure {
    /// The last epoch's test accuracy (label input at zero, `network::accuracy`).
    TestAccuracy,
    /// The last epoch's mean of a hidden goal term (term order, bits): the mean over
    /// the epoch's steps of the mean over neurons.
    HiddenTerm { term: usize },
    /// Mean |Pearson correlation| between pairs of hidden neurons' firing probabilities θ
    /// on the first [`CORRELATION_ROWS`] test samples, in the training pass (label as
    /// context, lateral steps; `Network::shown_forward`). Pairs with a constant neuron
    /// count as uncorrelated.
    HiddenCorrelation,
}

/// Test samples the correlation of [`Measure::HiddenCorrelation`] is taken over.
pub const CORRELATION_ROWS: usize = 512;

/// Whether the measured value must be at least or at most the threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Comparison {
    AtLeast,
    AtMost,
}

impl Comparison {
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::AtLeast => "≥",
            Comparison::AtMost => "≤",
        }
    }
}

/// One claim: a measure, a comparison and a threshold, and the claim in words.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Claim {
    pub text: &'static str,
    pub measure: Measure,
    pub comparison: Comparison,
    pub threshold: f64,
}

/// A curated experiment.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Experiment {
    /// URL-safe name (`#v=1&experiment=NAME`, `infomorph experiments --check NAME`).
    pub name: &'static str,
    pub title: &'static str,
    /// What to do and what to look for.
    pub text: &'static str,
    /// The config's keys that differ from `RunConfig::default()`, as a JSON object.
    pub config_json: &'static str,
    pub claim: Claim,
    /// How long its run takes natively, roughly, in seconds (the tests run the cheap ones
    /// in CI and the rest with `--ignored`).
    pub seconds: f64,
}

/// Why an experiment could not be found or run.
#[derive(Clone, Debug, PartialEq)]
pub enum ExperimentError {
    Unknown(String),
    /// Its configuration was refused (a bug: the unit tests parse every one).
    Config(String),
    /// Its task could not be loaded or its run stopped.
    Run(String),
}

impl fmt::Display for ExperimentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExperimentError::Unknown(name) => {
                let known: Vec<&str> = ALL.iter().map(|e| e.name).collect();
                write!(
                    f,
                    "unknown experiment '{name}' (known: {})",
                    known.join(", ")
                )
            }
            ExperimentError::Config(m) | ExperimentError::Run(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for ExperimentError {}

/// A claim evaluated on a run: the measured value, the threshold and whether it holds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ClaimOutcome {
    pub met: bool,
    pub value: f64,
    pub threshold: f64,
}

/// What a claim is evaluated on: a finished run's metrics, its network and its task.
pub struct RunResult<'a> {
    pub metrics: &'a [EpochMetrics],
    pub network: &'a Network,
    pub task: &'a TaskData,
}

impl Experiment {
    /// The full run configuration.
    pub fn config(&self) -> Result<RunConfig, ExperimentError> {
        RunConfig::from_json(self.config_json)
            .map_err(|e| ExperimentError::Config(format!("experiment {}: {e}", self.name)))
    }

    /// `#v=1&experiment=NAME`: the page's URL hash that opens it.
    pub fn hash(&self) -> String {
        format!("#v=1&experiment={}", self.name)
    }
}

/// Every experiment, in the gallery's order.
pub fn all() -> &'static [Experiment] {
    &ALL
}

/// An experiment by name.
pub fn by_name(name: &str) -> Result<&'static Experiment, ExperimentError> {
    ALL.iter()
        .find(|e| e.name == name)
        .ok_or_else(|| ExperimentError::Unknown(name.to_string()))
}

/// The value a measure takes on a run (NaN when the run has no epoch or no hidden layer).
pub fn measure(m: Measure, run: &RunResult) -> f64 {
    let last = run.metrics.last();
    match m {
        Measure::TestAccuracy => last.map_or(f64::NAN, |e| e.test_accuracy),
        Measure::HiddenTerm { term } => last
            .and_then(|e| e.hidden_atoms.get(term).copied())
            .unwrap_or(f64::NAN),
        Measure::HiddenCorrelation => hidden_correlation(run.network, run.task),
    }
}

/// Evaluates an experiment's claim on a run. A NaN value is never a met claim.
pub fn check(experiment: &Experiment, run: &RunResult) -> ClaimOutcome {
    let claim = &experiment.claim;
    let value = measure(claim.measure, run);
    let met = match claim.comparison {
        Comparison::AtLeast => value >= claim.threshold,
        Comparison::AtMost => value <= claim.threshold,
    };
    ClaimOutcome {
        met,
        value,
        threshold: claim.threshold,
    }
}

/// Mean |correlation| of the hidden neurons' θ over pairs (see [`Measure::HiddenCorrelation`]).
fn hidden_correlation(network: &Network, task: &TaskData) -> f64 {
    if !network.shows_hidden() {
        return f64::NAN;
    }
    let rows = task.test_len().min(CORRELATION_ROWS);
    if rows < 2 {
        return f64::NAN;
    }
    let mut net = network.clone();
    let x = crate::network::train::view(&task.test_x[..rows * task.dim], task.dim);
    let theta = net.shown_forward(x, &task.test_y[..rows]).theta;
    let n = theta.ncols();
    if n < 2 {
        return f64::NAN;
    }
    // Centred columns and their norms, in f64.
    let cols: Vec<Vec<f64>> = (0..n)
        .map(|j| {
            let c: Vec<f64> = theta.column(j).iter().map(|&v| v as f64).collect();
            let mean = c.iter().sum::<f64>() / rows as f64;
            c.into_iter().map(|v| v - mean).collect()
        })
        .collect();
    let norms: Vec<f64> = cols
        .iter()
        .map(|c| c.iter().map(|v| v * v).sum::<f64>().sqrt())
        .collect();
    let mut sum = 0.0;
    let mut pairs = 0usize;
    for i in 0..n {
        for j in i + 1..n {
            pairs += 1;
            if norms[i] > 1e-9 && norms[j] > 1e-9 {
                let dot: f64 = cols[i].iter().zip(&cols[j]).map(|(a, b)| a * b).sum();
                sum += (dot / (norms[i] * norms[j])).abs();
            }
        }
    }
    sum / pairs as f64
}

/// A finished experiment run: its outcome and the run.
#[cfg(not(target_arch = "wasm32"))]
pub struct Finished {
    pub outcome: ClaimOutcome,
    pub metrics: Vec<EpochMetrics>,
    pub seconds: f64,
}

/// Trains an experiment's configuration on the CPU engine with the one driver
/// (`network::train::train`) and checks its claim.
#[cfg(not(target_arch = "wasm32"))]
pub fn run(experiment: &Experiment) -> Result<Finished, ExperimentError> {
    let config = experiment.config()?;
    let task =
        crate::tasks::load(&config.task, None, config.data_seed).map_err(ExperimentError::Run)?;
    let start = std::time::Instant::now();
    let run = crate::network::train::train(&config, &task, |_, _| {});
    if let Some(e) = run.error {
        return Err(ExperimentError::Run(format!(
            "experiment {}: {e}",
            experiment.name
        )));
    }
    let network = run
        .network
        .ok_or_else(|| ExperimentError::Run("no network".into()))?;
    let outcome = check(
        experiment,
        &RunResult {
            metrics: &run.metrics,
            network: &network,
            task: &task,
        },
    );
    Ok(Finished {
        outcome,
        metrics: run.metrics,
        seconds: start.elapsed().as_secs_f64(),
    })
}

macro_rules! toy {
    ($fields:literal) => {
        concat!(
            "{",
            $fields,
            r#","batch":256,"epochs":100,"lr_hidden":0.02,"lr_output":0.02}"#
        )
    };
}

const fn at_least(text: &'static str, measure: Measure, threshold: f64) -> Claim {
    Claim {
        text,
        measure,
        comparison: Comparison::AtLeast,
        threshold,
    }
}

const fn at_most(text: &'static str, measure: Measure, threshold: f64) -> Claim {
    Claim {
        text,
        measure,
        comparison: Comparison::AtMost,
        threshold,
    }
}

const UNIQUE_F: Measure = Measure::HiddenTerm { term: 0 };
const SHARED: Measure = Measure::HiddenTerm { term: 2 };
const SYNERGY: Measure = Measure::HiddenTerm { term: 3 };

const ALL: [Experiment; 12] = [
    Experiment {
        name: "copy-unique",
        title: "A neuron told to keep unique F information",
        text: "One neuron of the context model on the copy task: F is the two input bits, C the label, which equals the first bit. Its goal is only (F), the information F has and C has not. Watch the atoms: the neuron ends up carrying the second bit, which only F knows, and its atoms take I^sx's values for a unique copy: (F) ≈ 0.585, (C) ≈ −0.415, (F)(C) ≈ 0.415, (FC) ≈ 0.415 bits (compare the UNQ preset of the gate lab).",
        config_json: toy!(r#""task":"copy","model":"context","hidden":1,"gamma":[1,0,0,0,0]"#),
        claim: at_least(
            "the neuron's unique information from F, (F), reaches at least 0.5 bits",
            UNIQUE_F,
            0.5,
        ),
        seconds: 2.0,
    },
    Experiment {
        name: "copy-shared",
        title: "A neuron told to keep what F and C share",
        text: "The same neuron and task as the unique copy, but the goal is only the shared information (F)(C). What F and C share is the first bit, the label, so the neuron copies it: the shared atom approaches 1 bit, the others vanish, and the network classifies the test set perfectly.",
        config_json: toy!(r#""task":"copy","model":"context","hidden":1,"gamma":[0,0,1,0,0]"#),
        claim: at_least(
            "the shared information (F)(C) of the neuron reaches at least 0.95 bits",
            SHARED,
            0.95,
        ),
        seconds: 2.0,
    },
    Experiment {
        name: "xor-no-synergy",
        title: "No goal makes one neuron compute XOR",
        text: "One neuron on XOR, told to maximise only the synergy (FC). Its output follows the sign of its feed-forward drive, a weighted sum of the two bits, and no threshold of a weighted sum is XOR: the neuron cannot become synergistic whatever its goal. Look at the atoms: synergy stays at zero and the neuron copies one bit instead (unique F), which tells nothing about the label.",
        config_json: toy!(r#""task":"xor","model":"context","hidden":1,"gamma":[0,0,0,1,0]"#),
        claim: at_most(
            "even with a goal of pure synergy, the neuron's synergy (FC) stays at most 0.05 bits",
            SYNERGY,
            0.05,
        ),
        seconds: 2.0,
    },
    Experiment {
        name: "noisy-copy",
        title: "Shared information survives noise",
        text: "The feature is the label flipped with probability 0.1. One neuron keeps what its noisy input F shares with the label C. Its output follows F, so the network is right as often as the input is: about 90 % of the test samples. The shared atom is 1 − H(0.1) ≈ 0.53 bits at most; watch it grow to about 0.78 in the binned training estimate.",
        config_json: toy!(r#""task":"noisy-copy","model":"context","hidden":1,"gamma":[0,0,1,0,0]"#),
        claim: at_least(
            "the test accuracy reaches at least 88 % (the input is right 90 % of the time)",
            Measure::TestAccuracy,
            0.88,
        ),
        seconds: 2.0,
    },
    Experiment {
        name: "gaussian-context",
        title: "Three overlapping classes on a line",
        text: "x is drawn around the class number with a spread of 0.3, so neighbouring classes overlap. Eight neurons with the heuristic goal (the shared information of input and label) tile the line: look at the decision map and at the shared atom, which dominates.",
        config_json: toy!(r#""task":"gaussian","model":"context","hidden":8,"goal":"heuristic""#),
        claim: at_least(
            "the test accuracy reaches at least 85 %",
            Measure::TestAccuracy,
            0.85,
        ),
        seconds: 3.0,
    },
    Experiment {
        name: "digits8-context",
        title: "Small digits with a local goal",
        text: "The 1797 UCI digits of 8×8 pixels, 50 neurons of the context model with the heuristic goal: each keeps what its image input shares with the label. Look at the receptive fields as they turn into strokes, and at the accuracy curves.",
        config_json: toy!(r#""task":"digits8","model":"context","hidden":50,"goal":"heuristic""#),
        claim: at_least(
            "the test accuracy reaches at least 83 %",
            Measure::TestAccuracy,
            0.83,
        ),
        seconds: 2.0,
    },
    Experiment {
        name: "mnist-trivariate",
        title: "Trivariate neurons on MNIST-10k",
        text: "The paper's trivariate model (F the image, C the label, L the other neurons) with its optimised goal, 100 neurons, 100 epochs on 10 000 real MNIST digits. Every neuron learns from its own local goal only; nothing is backpropagated. Watch the test accuracy pass 90 %.",
        config_json: r#"{"task":"mnist10k","model":"trivariate","goal":"optimized","hidden":100,"epochs":100}"#,
        claim: at_least(
            "the test accuracy reaches at least 90 %",
            Measure::TestAccuracy,
            0.90,
        ),
        seconds: 25.0,
    },
    Experiment {
        name: "mnist-four-term",
        title: "Four atoms are enough",
        text: "The paper's ablation: of the 19 atoms of the trivariate goal only four keep a weight, (F)(C)(L), (F)(C), (F)(L) and (FC)(FL). The accuracy stays close to the full optimised goal's (about 90 %). Compare the goal editor's sliders with the optimised preset.",
        config_json: r#"{"task":"mnist10k","model":"trivariate","goal":"four-term","hidden":100,"epochs":100}"#,
        claim: at_least(
            "the test accuracy reaches at least 89 %",
            Measure::TestAccuracy,
            0.89,
        ),
        seconds: 25.0,
    },
    Experiment {
        name: "mnist-without-shared",
        title: "Without (F)(C) learning collapses",
        text: "The four-term goal with the weight of (F)(C), the information the image shares with the label, set to 0. The three other terms alone do not make the neurons carry the label: the accuracy falls far below the four-term goal's 90 %.",
        config_json: r#"{"task":"mnist10k","model":"trivariate","gamma":[0.33,0,-1,0,0,0,0,0,0,0,0,-1,0,0,0,0,0,0,0],"hidden":100,"epochs":100}"#,
        claim: at_most(
            "the test accuracy stays at most 80 %",
            Measure::TestAccuracy,
            0.80,
        ),
        seconds: 25.0,
    },
    Experiment {
        name: "mnist-context",
        title: "Bivariate context neurons on MNIST-10k",
        text: "The simplest infomorphic layer: F the image, C the label, and the heuristic goal (F)(C). Each neuron keeps only what the image shares with the label. Look at the shared atom, which dominates every neuron, and at the receptive fields.",
        config_json: r#"{"task":"mnist10k","model":"context","goal":"heuristic","hidden":100,"epochs":100}"#,
        claim: at_least(
            "the test accuracy reaches at least 87 %",
            Measure::TestAccuracy,
            0.87,
        ),
        seconds: 20.0,
    },
    Experiment {
        name: "mnist-lateral",
        title: "No label in the hidden layer",
        text: "Lateral neurons see the image (F) and each other (L), never the label: the heuristic goal keeps the unique information of F. Only the output layer sees labels. The layer still learns features a read-out can use.",
        config_json: r#"{"task":"mnist10k","model":"lateral","goal":"heuristic","hidden":100,"epochs":100}"#,
        claim: at_least(
            "the test accuracy reaches at least 82 %",
            Measure::TestAccuracy,
            0.82,
        ),
        seconds: 25.0,
    },
    Experiment {
        name: "mnist-random-projection",
        title: "A random layer, for comparison",
        text: "The baseline: a frozen random hidden layer of threshold units and a learning output layer. Compare its accuracy with the trained infomorphic layers of the other MNIST experiments (87–90 %): learning the hidden layer matters.",
        config_json: r#"{"task":"mnist10k","model":"random-projection","hidden":100,"epochs":100}"#,
        claim: at_most(
            "the test accuracy stays at most 80 %, below every trained layer",
            Measure::TestAccuracy,
            0.80,
        ),
        seconds: 12.0,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_experiment_parses_and_fits_the_page() {
        use crate::web::catalog::{PAGE_MAX_BATCH, PAGE_MAX_BINS, PAGE_MAX_HIDDEN};
        let mut names = std::collections::HashSet::new();
        for e in all() {
            assert!(names.insert(e.name), "{} twice", e.name);
            assert!(
                e.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{} is URL-safe",
                e.name
            );
            let c = e.config().unwrap();
            assert!(c.hidden <= PAGE_MAX_HIDDEN && c.batch <= PAGE_MAX_BATCH);
            assert!(c.bins <= PAGE_MAX_BINS && c.epochs >= 1, "{}", e.name);
            assert!(c.data_seed <= u32::MAX as u64 && c.init_seed <= u32::MAX as u64);
            assert!(!e.title.is_empty() && e.text.len() > 80, "{}", e.name);
            assert!(e.claim.threshold.is_finite());
            assert_eq!(by_name(e.name).unwrap(), e);
        }
        assert!(matches!(by_name("nope"), Err(ExperimentError::Unknown(_))));
    }
}
