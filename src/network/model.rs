//! The paper's networks (method §5): a hidden layer of infomorphic neurons and an output
//! layer of bivariate neurons whose context is the label, trained with local goals only.

use super::layer::{
    self, Activation, Binning, Layer, LayerConfig, SourceConfig, SourceKind, Wiring,
};
use crate::goals::{self, GoalFamily};
use crate::rng::counter_key;
use ndarray::{s, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

/// Counter streams, so that every stochastic draw has its own sequence.
pub(crate) const STREAM_HIDDEN_FIRST: u32 = 1;
pub(crate) const STREAM_HIDDEN: u32 = 2;
pub(crate) const STREAM_EVAL_FIRST: u32 = 11;
pub(crate) const STREAM_EVAL: u32 = 12;
const STREAM_ROUND_ONE_FIRST: u32 = 31;
const STREAM_ROUND_ONE: u32 = 32;
const STREAM_FEEDBACK: u32 = 33;
const STREAM_EVAL_ROUND_ONE_FIRST: u32 = 41;
const STREAM_EVAL_ROUND_ONE: u32 = 42;
const STREAM_EVAL_FEEDBACK: u32 = 43;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelKind {
    /// F = image, C = label.
    Context,
    /// F = image, L = the other hidden neurons (two steps).
    Lateral,
    /// F = image, C = label, L = other hidden neurons (two steps).
    Trivariate,
    /// As trivariate, `sparse_k` random lateral inputs per neuron.
    TrivariateSparse,
    /// A frozen random context layer with threshold units; only the output learns.
    RandomProjection,
    /// No hidden layer.
    Readout,
    /// Trivariate with C = the output layer's sampled outputs of a first round instead
    /// of the label; only the second round learns.
    Feedback,
    /// The trivariate architecture trained end to end by backpropagation (baseline):
    /// {0, 1} outputs with a surrogate gradient, softmax cross-entropy on the output θ.
    Backprop,
}

impl ModelKind {
    pub const ALL: [ModelKind; 8] = [
        ModelKind::Context,
        ModelKind::Lateral,
        ModelKind::Trivariate,
        ModelKind::TrivariateSparse,
        ModelKind::RandomProjection,
        ModelKind::Feedback,
        ModelKind::Readout,
        ModelKind::Backprop,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Context => "context",
            ModelKind::Lateral => "lateral",
            ModelKind::Trivariate => "trivariate",
            ModelKind::TrivariateSparse => "trivariate-sparse",
            ModelKind::RandomProjection => "random-projection",
            ModelKind::Feedback => "feedback",
            ModelKind::Readout => "readout",
            ModelKind::Backprop => "backprop",
        }
    }

    pub fn from_name(name: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|m| m.name() == name)
            .ok_or_else(|| {
                let known: Vec<&str> = Self::ALL.iter().map(|m| m.name()).collect();
                format!("unknown model '{name}' (known: {})", known.join(", "))
            })
    }

    /// The goal family of the hidden layer, if the model has a learning one.
    pub fn goal_family(self) -> Option<GoalFamily> {
        match self {
            ModelKind::Context | ModelKind::RandomProjection => Some(GoalFamily::Context),
            ModelKind::Lateral => Some(GoalFamily::Lateral),
            ModelKind::Trivariate | ModelKind::TrivariateSparse | ModelKind::Feedback => {
                Some(GoalFamily::Trivariate)
            }
            ModelKind::Readout | ModelKind::Backprop => None,
        }
    }

    pub(crate) fn has_lateral(self) -> bool {
        matches!(
            self,
            ModelKind::Lateral
                | ModelKind::Trivariate
                | ModelKind::TrivariateSparse
                | ModelKind::Feedback
                | ModelKind::Backprop
        )
    }

    fn has_label_context(self) -> bool {
        !matches!(self, ModelKind::Lateral | ModelKind::Readout)
    }
}

/// Everything that defines a run. The same JSON schema is used by `infomorph train
/// --config`, run files and the page's URLs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunConfig {
    pub task: String,
    pub model: ModelKind,
    /// A preset name (`heuristic`, `optimized`, …) for the hidden goal.
    pub goal: String,
    /// A custom hidden γ; overrides `goal` when present.
    pub gamma: Option<Vec<f64>>,
    pub hidden: usize,
    pub bins: usize,
    pub batch: usize,
    pub epochs: usize,
    pub lr_hidden: f64,
    pub weight_decay_hidden: f64,
    pub lr_output: f64,
    pub weight_decay_output: f64,
    /// Lateral inputs per neuron of the sparse model.
    pub sparse_k: usize,
    /// Learning rate of the backprop baseline (one Adam over all parameters).
    pub lr_backprop: f64,
    pub data_seed: u64,
    pub init_seed: u64,
    pub sample_seed: u64,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            task: "mnist10k".into(),
            model: ModelKind::Trivariate,
            goal: "optimized".into(),
            gamma: None,
            hidden: 100,
            bins: 20,
            batch: 1024,
            epochs: 100,
            lr_hidden: 0.002,
            weight_decay_hidden: 3.5e-4,
            lr_output: 0.003,
            weight_decay_output: 1.5e-4,
            sparse_k: 100,
            lr_backprop: 0.001,
            data_seed: 0,
            init_seed: 0,
            sample_seed: 0,
        }
    }
}

/// Largest estimated footprint a network may have: most of this machine kind's 24 GiB
/// natively, what a browser tab can address on wasm32.
#[cfg(not(target_arch = "wasm32"))]
pub const MEMORY_LIMIT_BYTES: f64 = 16.0 * (1u64 << 30) as f64;
#[cfg(target_arch = "wasm32")]
pub const MEMORY_LIMIT_BYTES: f64 = 2.0 * (1u64 << 30) as f64;

impl RunConfig {
    /// Rough peak memory of the network and one training step: parameters with their
    /// gradients and Adam moments, the per-batch arrays of the hidden layer, and the
    /// lateral masks.
    pub fn estimated_bytes(&self, input_dim: usize, classes: usize) -> f64 {
        let n = if self.model == ModelKind::Readout {
            0.0
        } else {
            self.hidden as f64
        };
        let lateral = if self.model.has_lateral() { n * n } else { 0.0 };
        let out_in = if n > 0.0 { n } else { input_dim as f64 };
        let params =
            n * (input_dim + classes) as f64 + lateral + classes as f64 * (out_in + classes as f64);
        let per_sample = n.max(classes as f64) * (16.0 * 4.0 + 3.0 * 8.0);
        (params + lateral) * 4.0 * 4.0 + self.batch as f64 * per_sample
    }

    /// Refuses sizes whose estimated footprint exceeds [`MEMORY_LIMIT_BYTES`].
    pub fn check_memory(&self, input_dim: usize, classes: usize) -> Result<(), String> {
        let bytes = self.estimated_bytes(input_dim, classes);
        if bytes > MEMORY_LIMIT_BYTES {
            return Err(format!(
                "hidden {} with batch {} needs about {:.1} GB, more than the {:.0} GB this engine allows",
                self.hidden,
                self.batch,
                bytes / 1e9,
                MEMORY_LIMIT_BYTES / 1e9
            ));
        }
        Ok(())
    }

    /// The hidden layer's γ: the custom vector, or the named preset.
    pub fn hidden_gamma(&self) -> Result<Option<Vec<f64>>, String> {
        let Some(family) = self.model.goal_family() else {
            return Ok(None);
        };
        let gamma = match &self.gamma {
            Some(g) => g.clone(),
            None => goals::preset(family, &self.goal)?,
        };
        let want = if family == GoalFamily::Trivariate {
            19
        } else {
            5
        };
        if gamma.len() != want {
            return Err(format!(
                "γ for the {} model needs {want} entries, got {}",
                self.model.name(),
                gamma.len()
            ));
        }
        if let Some(i) = gamma.iter().position(|g| !g.is_finite()) {
            return Err(format!("γ[{i}] is not a finite number"));
        }
        Ok(Some(gamma))
    }

    /// Checks sizes and numbers before anything is allocated.
    pub fn validate(&self) -> Result<(), String> {
        if self.model != ModelKind::Readout && self.hidden == 0 {
            return Err("hidden size must be at least 1".into());
        }
        if self.batch == 0 {
            return Err("batch size must be at least 1".into());
        }
        if !(2..=1000).contains(&self.bins) {
            return Err(format!("bins must be 2 to 1000, got {}", self.bins));
        }
        for (name, v) in [
            ("lr_hidden", self.lr_hidden),
            ("weight_decay_hidden", self.weight_decay_hidden),
            ("lr_output", self.lr_output),
            ("weight_decay_output", self.weight_decay_output),
        ] {
            if !v.is_finite() || v < 0.0 {
                return Err(format!("{name} must be a finite number ≥ 0, got {v}"));
            }
        }
        if self.model == ModelKind::TrivariateSparse && self.sparse_k == 0 {
            return Err("sparse_k must be at least 1".into());
        }
        self.hidden_gamma().map(|_| ())
    }
}

/// A hidden layer (if any) and the output layer.
pub struct Network {
    pub config: RunConfig,
    pub hidden: Option<Layer>,
    pub output: Layer,
    pub classes: usize,
    pub(crate) step: u32,
}

/// Mean goal terms over the neurons of each layer for one step.
#[derive(Clone, Debug, Default)]
pub struct StepTerms {
    pub hidden: Vec<f64>,
    pub output: Vec<f64>,
}

fn mean_rows(terms: &Array2<f64>) -> Vec<f64> {
    terms
        .mean_axis(Axis(0))
        .map(|m| m.to_vec())
        .unwrap_or_default()
}

pub(crate) fn one_hot(labels: &[u8], classes: usize) -> Array2<f32> {
    let mut out = Array2::zeros((labels.len(), classes));
    for (b, &y) in labels.iter().enumerate() {
        out[[b, y as usize]] = 1.0;
    }
    out
}

impl Network {
    pub fn new(config: &RunConfig, input_dim: usize, classes: usize) -> Result<Self, String> {
        config.validate()?;
        config.check_memory(input_dim, classes)?;
        let n = config.hidden;
        let kind = config.model;
        let backprop = kind == ModelKind::Backprop;
        let hidden_goal = match config.hidden_gamma()? {
            Some(goal) => Some(goal),
            // The baseline has the trivariate architecture but no local goal.
            None if backprop => Some(vec![0.0; 19]),
            None => None,
        };
        let (lr_hidden, wd_hidden, lr_output, wd_output) = if backprop {
            (config.lr_backprop, 0.0, config.lr_backprop, 0.0)
        } else {
            (
                config.lr_hidden,
                config.weight_decay_hidden,
                config.lr_output,
                config.weight_decay_output,
            )
        };
        let hidden = match hidden_goal {
            None => None,
            Some(goal) => {
                let mut sources = vec![SourceConfig {
                    kind: SourceKind::Feedforward,
                    dim: input_dim,
                    wiring: Wiring::Dense,
                }];
                if kind.has_label_context() {
                    sources.push(SourceConfig {
                        kind: SourceKind::Context,
                        dim: classes,
                        wiring: Wiring::Dense,
                    });
                }
                if kind.has_lateral() {
                    let k = (kind == ModelKind::TrivariateSparse).then_some(config.sparse_k);
                    sources.push(SourceConfig {
                        kind: SourceKind::Lateral,
                        dim: n,
                        wiring: Wiring::Lateral(k),
                    });
                }
                let trivariate = sources.len() == 3;
                let frozen = kind == ModelKind::RandomProjection;
                Some(Layer::new(
                    LayerConfig {
                        neurons: n,
                        sources,
                        activation: if trivariate {
                            Activation::TRIVARIATE
                        } else {
                            Activation::HIDDEN
                        },
                        binning: if trivariate {
                            Binning::Fixed {
                                lo: -20.0,
                                hi: 20.0,
                            }
                        } else {
                            Binning::MaxAbs
                        },
                        bins: config.bins,
                        goal,
                        lr: if frozen { 0.0 } else { lr_hidden },
                        weight_decay: wd_hidden,
                    },
                    config.init_seed,
                )?)
            }
        };
        let out_in = if hidden.is_some() { n } else { input_dim };
        let output = Layer::new(
            LayerConfig {
                neurons: classes,
                sources: vec![
                    SourceConfig {
                        kind: SourceKind::Feedforward,
                        dim: out_in,
                        wiring: Wiring::Dense,
                    },
                    SourceConfig {
                        kind: SourceKind::Context,
                        dim: classes,
                        wiring: Wiring::Identity,
                    },
                ],
                activation: Activation::OUTPUT,
                binning: Binning::MaxAbs,
                bins: config.bins,
                goal: goals::OUTPUT.to_vec(),
                lr: lr_output,
                weight_decay: wd_output,
            },
            config.init_seed.wrapping_add(0x9E37_79B9_7F4A_7C15),
        )?;
        Ok(Network {
            config: config.clone(),
            hidden,
            output,
            classes,
            step: 0,
        })
    }

    pub fn steps(&self) -> u32 {
        self.step
    }

    /// The hidden layer's outputs for a batch (sampled ±1, or thresholds {0, 1} for the
    /// random projection), learning on the way when `learn` is set. `first` and `main`
    /// are the counter streams of the two recurrent steps; `offset` is the index of the
    /// batch's first sample, so draws do not depend on how a set is cut into batches.
    fn hidden_outputs(
        &mut self,
        x: ArrayView2<f32>,
        context: ArrayView2<f32>,
        learn: bool,
        streams: (u32, u32),
        step: u32,
        offset: u32,
    ) -> (Array2<f32>, Option<Vec<f64>>) {
        let kind = self.config.model;
        let seed = self.config.sample_seed;
        // The backprop baseline's units output {0, 1}; infomorphic units ±1.
        let low = if kind == ModelKind::Backprop {
            0.0
        } else {
            -1.0
        };
        let layer = self.hidden.as_mut().expect("model has a hidden layer");
        let mut inputs: Vec<ArrayView2<f32>> = vec![x];
        if kind.has_label_context() {
            inputs.push(context);
        }
        let sample = |theta: &Array2<f32>, stream: u32| {
            layer::sample(theta, counter_key(seed, stream, step), offset, low)
        };
        let fwd = if kind.has_lateral() {
            let (fwd, y1) = layer.forward_recurrent(&inputs, |theta| sample(theta, streams.0));
            let terms = learn.then(|| {
                let mut second = inputs.clone();
                second.push(y1.view());
                mean_rows(&layer.learn(&second, &fwd))
            });
            return (sample(&fwd.theta, streams.1), terms);
        } else {
            layer.forward(&inputs)
        };
        if kind == ModelKind::RandomProjection {
            return (
                fwd.activation.mapv(|a| if a > 0.0 { 1.0 } else { 0.0 }),
                None,
            );
        }
        let terms = learn.then(|| mean_rows(&layer.learn(&inputs, &fwd)));
        (sample(&fwd.theta, streams.1), terms)
    }

    /// One training step on a batch; returns the mean goal terms of each layer.
    pub fn train_batch(&mut self, x: ArrayView2<f32>, labels: &[u8]) -> StepTerms {
        if self.config.model == ModelKind::Backprop {
            return self.backprop_step(x, labels);
        }
        let context = one_hot(labels, self.classes);
        let step = self.step;
        let hidden_context = if self.config.model == ModelKind::Feedback {
            let zeros = Array2::zeros(context.dim());
            self.feedback(
                x,
                zeros.view(),
                context.view(),
                (STREAM_ROUND_ONE_FIRST, STREAM_ROUND_ONE, STREAM_FEEDBACK),
                step,
                0,
            )
        } else {
            context.clone()
        };
        let (features, hidden_terms) = if self.hidden.is_some() {
            let (y, t) = self.hidden_outputs(
                x,
                hidden_context.view(),
                true,
                (STREAM_HIDDEN_FIRST, STREAM_HIDDEN),
                step,
                0,
            );
            (y, t.unwrap_or_default())
        } else {
            (x.to_owned(), Vec::new())
        };
        let inputs = [features.view(), context.view()];
        let fwd = self.output.forward(&inputs);
        let output_terms = mean_rows(&self.output.learn(&inputs, &fwd));
        self.step += 1;
        StepTerms {
            hidden: hidden_terms,
            output: output_terms,
        }
    }

    /// The feedback model's first round: the hidden layer with C = 0, then the output
    /// layer (context `label`), whose sampled ±1 outputs become the hidden layer's context.
    fn feedback(
        &mut self,
        x: ArrayView2<f32>,
        zeros: ArrayView2<f32>,
        label: ArrayView2<f32>,
        streams: (u32, u32, u32),
        step: u32,
        offset: u32,
    ) -> Array2<f32> {
        let (y, _) = self.hidden_outputs(x, zeros, false, (streams.0, streams.1), step, offset);
        let theta = self.output.forward(&[y.view(), label]).theta;
        let key = counter_key(self.config.sample_seed, streams.2, step);
        layer::sample(&theta, key, offset, -1.0)
    }

    /// Output θ for a whole set with the label input at zero (evaluation), in batches.
    pub fn predict_theta(&mut self, x: ArrayView2<f32>, eval_step: u32) -> Array2<f32> {
        let rows = x.nrows();
        let mut theta = Array2::zeros((rows, self.classes));
        let chunk = self.config.batch.max(1);
        for start in (0..rows).step_by(chunk) {
            let end = (start + chunk).min(rows);
            let xb = x.slice(s![start..end, ..]);
            let zeros = Array2::zeros((end - start, self.classes));
            let hidden_context = if self.config.model == ModelKind::Feedback {
                let streams = (
                    STREAM_EVAL_ROUND_ONE_FIRST,
                    STREAM_EVAL_ROUND_ONE,
                    STREAM_EVAL_FEEDBACK,
                );
                self.feedback(
                    xb,
                    zeros.view(),
                    zeros.view(),
                    streams,
                    eval_step,
                    start as u32,
                )
            } else {
                zeros.clone()
            };
            let features = if self.hidden.is_some() {
                self.hidden_outputs(
                    xb,
                    hidden_context.view(),
                    false,
                    (STREAM_EVAL_FIRST, STREAM_EVAL),
                    eval_step,
                    start as u32,
                )
                .0
            } else {
                xb.to_owned()
            };
            let fwd = self.output.forward(&[features.view(), zeros.view()]);
            theta.slice_mut(s![start..end, ..]).assign(&fwd.theta);
        }
        theta
    }

    /// Classification accuracy: output neurons whose mean θ is ≥ 0.5 are read inverted
    /// (a goal is unchanged when a neuron flips its output), then argmax.
    pub fn accuracy(&mut self, x: ArrayView2<f32>, labels: &[u8], eval_step: u32) -> f64 {
        if labels.is_empty() {
            return f64::NAN;
        }
        let mut theta = self.predict_theta(x, eval_step);
        let means = theta.mean_axis(Axis(0)).expect("non-empty");
        let local = self.config.model != ModelKind::Backprop;
        for (j, &m) in means.iter().enumerate() {
            if local && m >= 0.5 {
                theta.column_mut(j).mapv_inplace(|t| 1.0 - t);
            }
        }
        let correct = theta
            .rows()
            .into_iter()
            .zip(labels)
            .filter(|(row, &y)| {
                let best = row.iter().enumerate().fold((0, f32::MIN), |acc, (j, &v)| {
                    if v > acc.1 {
                        (j, v)
                    } else {
                        acc
                    }
                });
                best.0 == y as usize
            })
            .count();
        correct as f64 / labels.len() as f64
    }
}
