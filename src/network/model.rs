//! The paper's networks (method §5): a hidden layer of infomorphic neurons and an output
//! layer of bivariate neurons whose context is the label, trained with local goals only.

pub use super::config::{ModelKind, RunConfig, MEMORY_LIMIT_BYTES};
use super::layer::{
    self, Activation, Binning, Layer, LayerConfig, SourceConfig, SourceKind, Wiring,
};
use crate::goals;
use crate::rng::counter_key;
use ndarray::{s, Array2, ArrayView2, Axis};

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
/// The page's views (the neuron histogram): a forward pass as in training, no learning.
const STREAM_VIEW_FIRST: u32 = 51;
const STREAM_VIEW: u32 = 52;
const STREAM_VIEW_ROUND_ONE_FIRST: u32 = 53;
const STREAM_VIEW_ROUND_ONE: u32 = 54;
const STREAM_VIEW_FEEDBACK: u32 = 55;

/// A hidden layer (if any) and the output layer.
#[derive(Clone)]
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

    /// The layer whose atoms the page shows: the hidden layer when it learns with a
    /// local goal, else the output layer (`readout`, `random-projection`, `backprop`).
    pub fn shown_layer(&self) -> &Layer {
        match (&self.hidden, self.config.model) {
            (Some(h), kind)
                if kind.goal_family().is_some() && kind != ModelKind::RandomProjection =>
            {
                h
            }
            _ => &self.output,
        }
    }

    /// Whether [`Network::shown_layer`] is the hidden layer.
    pub fn shows_hidden(&self) -> bool {
        !std::ptr::eq(self.shown_layer(), &self.output)
    }

    /// The shown layer's forward pass on a batch as in a training step (label context,
    /// recurrent steps, feedback round), without learning: what the page's neuron
    /// histogram bins. Draws from the view streams of the current step.
    pub fn shown_forward(&mut self, x: ArrayView2<f32>, labels: &[u8]) -> layer::Forward {
        let context = one_hot(labels, self.classes);
        let step = self.step;
        let kind = self.config.model;
        let hidden_context = if kind == ModelKind::Feedback {
            let zeros = Array2::zeros(context.dim());
            let streams = (
                STREAM_VIEW_ROUND_ONE_FIRST,
                STREAM_VIEW_ROUND_ONE,
                STREAM_VIEW_FEEDBACK,
            );
            self.feedback(x, zeros.view(), context.view(), streams, step, 0)
        } else {
            context.clone()
        };
        if self.shows_hidden() {
            let seed = self.config.sample_seed;
            let layer = self.hidden.as_ref().expect("a shown hidden layer");
            let mut inputs = vec![x];
            if kind.has_label_context() {
                inputs.push(hidden_context.view());
            }
            if kind.has_lateral() {
                let key = counter_key(seed, STREAM_VIEW_FIRST, step);
                return layer
                    .forward_recurrent(&inputs, |theta| layer::sample(theta, key, 0, -1.0))
                    .0;
            }
            return layer.forward(&inputs);
        }
        let features = if self.hidden.is_some() {
            let streams = (STREAM_VIEW_FIRST, STREAM_VIEW);
            self.hidden_outputs(x, hidden_context.view(), false, streams, step, 0)
                .0
        } else {
            x.to_owned()
        };
        self.output.forward(&[features.view(), context.view()])
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
        self.predict_theta_at(x, 0, eval_step)
    }

    /// Output θ for rows `offset..offset + x.nrows()` of a set: the draws depend on the
    /// row index in the set, not on how the set is cut, so chunks give the whole set's θ.
    pub fn predict_theta_at(
        &mut self,
        x: ArrayView2<f32>,
        offset: usize,
        eval_step: u32,
    ) -> Array2<f32> {
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
                    (offset + start) as u32,
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
                    (offset + start) as u32,
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

    /// Classification accuracy with the read-out rule of [`super::accuracy`] over the
    /// whole set.
    pub fn accuracy(&mut self, x: ArrayView2<f32>, labels: &[u8], eval_step: u32) -> f64 {
        if labels.is_empty() {
            return f64::NAN;
        }
        let theta = self.predict_theta(x, eval_step);
        let local = self.config.model != ModelKind::Backprop;
        super::accuracy::score(theta, labels, local).0.accuracy()
    }
}
