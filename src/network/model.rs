//! The paper's networks (method §5): a hidden layer of infomorphic neurons and an output
//! layer of bivariate neurons whose context is the label, trained with local goals only.

pub use super::config::{HiddenBinning, ModelKind, RunConfig, MEMORY_LIMIT_BYTES};
use super::layer::{
    self, Activation, Binning, Layer, LayerConfig, SourceConfig, SourceKind, Wiring,
};
use super::par;
use crate::goals;
use crate::rng::counter_key;
use ndarray::{s, Array2, ArrayView2, Axis};

/// Counter streams, so that every stochastic draw has its own sequence (method §7).
pub(crate) const STREAM_HIDDEN_FIRST: u32 = 1;
pub(crate) const STREAM_HIDDEN: u32 = 2;
pub(crate) const STREAM_EVAL_FIRST: u32 = 11;
pub(crate) const STREAM_EVAL: u32 = 12;
/// The feedback model's sampled output of its first round.
const STREAM_FEEDBACK: u32 = 33;
const STREAM_EVAL_FEEDBACK: u32 = 43;
/// The page's views (the neuron histogram): a forward pass as in training, no learning.
const STREAM_VIEW_FIRST: u32 = 51;
const STREAM_VIEW: u32 = 52;
const STREAM_VIEW_FEEDBACK: u32 = 55;
/// The code read-out (`network::code`): the first recurrent step and the feedback round
/// (its sampled outputs draw from stream 62, `code::STREAM_CODE_OUTPUT`).
const STREAM_CODE_FIRST: u32 = 61;
const STREAM_CODE_FEEDBACK: u32 = 63;

/// The streams of one kind of pass: the hidden layer's first and main samples, and the
/// feedback model's first-round output sample.
#[derive(Clone, Copy)]
struct Streams {
    first: u32,
    main: u32,
    feedback: u32,
}

const TRAINING: Streams = Streams {
    first: STREAM_HIDDEN_FIRST,
    main: STREAM_HIDDEN,
    feedback: STREAM_FEEDBACK,
};
const EVALUATION: Streams = Streams {
    first: STREAM_EVAL_FIRST,
    main: STREAM_EVAL,
    feedback: STREAM_EVAL_FEEDBACK,
};
const VIEW: Streams = Streams {
    first: STREAM_VIEW_FIRST,
    main: STREAM_VIEW,
    feedback: STREAM_VIEW_FEEDBACK,
};

const CODE: Streams = Streams {
    first: STREAM_CODE_FIRST,
    main: super::code::STREAM_CODE_OUTPUT,
    feedback: STREAM_CODE_FEEDBACK,
};

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
    /// Rows of the batch the output layer classified right during the step, with the
    /// label as context (the paper's training accuracy; the read-out rule of
    /// [`super::accuracy`] over the batch).
    pub correct: usize,
}

/// The fixed range of the trivariate layers' bins (method §2).
const FIXED_RANGE: Binning = Binning::Fixed {
    lo: -20.0,
    hi: 20.0,
};

/// The hidden layer's binning: the config's choice, else the model's own (method §2:
/// fixed [−20, 20] for trivariate layers, max-abs for bivariate ones).
fn hidden_binning(choice: Option<HiddenBinning>, trivariate: bool) -> Binning {
    match choice {
        Some(HiddenBinning::Fixed) => FIXED_RANGE,
        Some(HiddenBinning::MaxAbs) => Binning::MaxAbs,
        None if trivariate => FIXED_RANGE,
        None => Binning::MaxAbs,
    }
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
                    let sparse = matches!(kind, ModelKind::TrivariateSparse | ModelKind::Feedback);
                    let k = sparse.then_some(config.sparse_k);
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
                        binning: hidden_binning(config.hidden_binning, trivariate),
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

    /// The hidden layer's pass that learns, on a batch (method §5, "Recurrence"): its
    /// forward pass and its inputs besides the image (context, lateral). `label` is
    /// the label input of the round (one-hot in training, zeros in evaluation).
    /// Models with lateral input run two steps, the second with the first's sampled
    /// outputs; the feedback model runs hidden(C = 0, L = 0) → output (sampled) →
    /// hidden(C = that output, L = the first pass's samples). `offset` is the index of
    /// the batch's first sample, so draws do not depend on how a set is cut.
    fn hidden_pass(
        &self,
        x: ArrayView2<f32>,
        label: ArrayView2<f32>,
        streams: Streams,
        step: u32,
        offset: u32,
    ) -> (layer::Forward, Vec<Array2<f32>>) {
        let kind = self.config.model;
        let seed = self.config.sample_seed;
        let low = self.hidden_low();
        let layer = self.hidden.as_ref().expect("model has a hidden layer");
        let sample = |theta: &Array2<f32>, stream: u32| {
            layer::sample(theta, counter_key(seed, stream, step), offset, low)
        };
        if kind == ModelKind::Feedback {
            let batch = x.nrows();
            let mut aggregates = vec![
                layer.aggregate(0, x),
                layer.bias_aggregate(1, batch),
                layer.bias_aggregate(2, batch),
            ];
            let y1 = sample(&layer.theta_from(&aggregates), streams.first);
            let round_one = self.output.forward(&[y1.view(), label]).theta;
            let key = counter_key(seed, streams.feedback, step);
            let feedback = layer::sample(&round_one, key, offset, -1.0);
            aggregates[1] = layer.aggregate(1, feedback.view());
            aggregates[2] = layer.aggregate(2, y1.view());
            return (layer.forward_from(aggregates), vec![feedback, y1]);
        }
        let mut inputs = vec![x];
        if kind.has_label_context() {
            inputs.push(label);
        }
        let extra = |inputs: &[ArrayView2<f32>]| -> Vec<Array2<f32>> {
            inputs[1..].iter().map(|a| a.to_owned()).collect()
        };
        if kind.has_lateral() {
            let (fwd, y1) = layer.forward_recurrent(&inputs, |theta| sample(theta, streams.first));
            let mut rest = extra(&inputs);
            rest.push(y1);
            return (fwd, rest);
        }
        (layer.forward(&inputs), extra(&inputs))
    }

    /// The backprop baseline's units output {0, 1}; infomorphic units ±1.
    fn hidden_low(&self) -> f32 {
        if self.config.model == ModelKind::Backprop {
            0.0
        } else {
            -1.0
        }
    }

    /// The hidden layer's outputs for a batch (sampled, or thresholds {0, 1} for the
    /// random projection) and, when `learn` is set, the mean goal terms of its learning
    /// step.
    fn hidden_outputs(
        &mut self,
        x: ArrayView2<f32>,
        label: ArrayView2<f32>,
        learn: bool,
        streams: Streams,
        step: u32,
        offset: u32,
    ) -> (Array2<f32>, Option<Vec<f64>>) {
        let (fwd, rest) = self.hidden_pass(x, label, streams, step, offset);
        if self.config.model == ModelKind::RandomProjection {
            return (
                fwd.activation.mapv(|a| if a > 0.0 { 1.0 } else { 0.0 }),
                None,
            );
        }
        let layer = self.hidden.as_mut().expect("model has a hidden layer");
        let terms = learn.then(|| {
            let mut inputs = vec![x];
            inputs.extend(rest.iter().map(|a| a.view()));
            mean_rows(&layer.learn(&inputs, &fwd))
        });
        let key = counter_key(self.config.sample_seed, streams.main, step);
        (
            layer::sample(&fwd.theta, key, offset, self.hidden_low()),
            terms,
        )
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

    /// The shown layer's forward pass on a batch as in a training step (label input,
    /// recurrent steps, feedback round), without learning: what the page's neuron
    /// histogram bins. Draws from the view streams of the current step.
    pub fn shown_forward(&mut self, x: ArrayView2<f32>, labels: &[u8]) -> layer::Forward {
        let label = one_hot(labels, self.classes);
        let step = self.step;
        if self.shows_hidden() {
            return self.hidden_pass(x, label.view(), VIEW, step, 0).0;
        }
        let features = if self.hidden.is_some() {
            self.hidden_outputs(x, label.view(), false, VIEW, step, 0).0
        } else {
            x.to_owned()
        };
        self.output.forward(&[features.view(), label.view()])
    }

    /// One training step on a batch; returns the mean goal terms of each layer. The
    /// whole step runs on one of the thread pool's workers ([`par::on_pool`]).
    pub fn train_batch(&mut self, x: ArrayView2<f32>, labels: &[u8]) -> StepTerms {
        par::on_pool(|| self.train_batch_here(x, labels))
    }

    fn train_batch_here(&mut self, x: ArrayView2<f32>, labels: &[u8]) -> StepTerms {
        if self.config.model == ModelKind::Backprop {
            return self.backprop_step(x, labels);
        }
        let label = one_hot(labels, self.classes);
        let step = self.step;
        let (features, hidden_terms) = if self.hidden.is_some() {
            let (y, t) = self.hidden_outputs(x, label.view(), true, TRAINING, step, 0);
            (y, t.unwrap_or_default())
        } else {
            (x.to_owned(), Vec::new())
        };
        let inputs = [features.view(), label.view()];
        let fwd = self.output.forward(&inputs);
        let correct = super::accuracy::score(fwd.theta.clone(), labels, true)
            .0
            .correct;
        let output_terms = mean_rows(&self.output.learn(&inputs, &fwd));
        self.step += 1;
        StepTerms {
            hidden: hidden_terms,
            output: output_terms,
            correct,
        }
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
        par::on_pool(|| self.predict_theta_here(x, offset, eval_step))
    }

    fn predict_theta_here(
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
            let at = (offset + start) as u32;
            let features = if self.hidden.is_some() {
                self.hidden_outputs(xb, zeros.view(), false, EVALUATION, eval_step, at)
                    .0
            } else {
                xb.to_owned()
            };
            let fwd = self.output.forward(&[features.view(), zeros.view()]);
            theta.slice_mut(s![start..end, ..]).assign(&fwd.theta);
        }
        theta
    }

    /// The hidden layer's θ on rows `x` as in evaluation (label input at zero), draw
    /// `draw` of the code read-out's streams (method §9): the probabilities of the
    /// outputs a reader downstream sees, given the draw's first recurrent step. The
    /// random projection's thresholds give θ ∈ {0, 1}. `None` without a hidden layer.
    pub fn code_theta(&self, x: ArrayView2<f32>, draw: u32) -> Option<Array2<f32>> {
        self.hidden.as_ref()?;
        let zeros = Array2::zeros((x.nrows(), self.classes));
        let fwd = self.hidden_pass(x, zeros.view(), CODE, draw, 0).0;
        Some(if self.config.model == ModelKind::RandomProjection {
            fwd.activation.mapv(|a| if a > 0.0 { 1.0 } else { 0.0 })
        } else {
            fwd.theta
        })
    }

    /// Classification accuracy with the read-out rule of [`super::accuracy`].
    pub fn accuracy(&mut self, x: ArrayView2<f32>, labels: &[u8], eval_step: u32) -> f64 {
        if labels.is_empty() {
            return f64::NAN;
        }
        let theta = self.predict_theta(x, eval_step);
        let local = self.config.model != ModelKind::Backprop;
        super::accuracy::score(theta, labels, local).0.accuracy()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binning(model: ModelKind, choice: Option<HiddenBinning>) -> (Binning, Binning) {
        let config = RunConfig {
            model,
            hidden: 4,
            hidden_binning: choice,
            ..RunConfig::default()
        };
        let net = Network::new(&config, 6, 3).unwrap();
        (
            net.hidden.expect("a hidden layer").config.binning,
            net.output.config.binning,
        )
    }

    #[test]
    fn hidden_binning_is_the_models_own_unless_chosen() {
        for model in [ModelKind::Context, ModelKind::Lateral] {
            assert_eq!(binning(model, None), (Binning::MaxAbs, Binning::MaxAbs));
            assert_eq!(
                binning(model, Some(HiddenBinning::Fixed)),
                (FIXED_RANGE, Binning::MaxAbs)
            );
        }
        for model in [
            ModelKind::Trivariate,
            ModelKind::TrivariateSparse,
            ModelKind::Feedback,
        ] {
            assert_eq!(binning(model, None), (FIXED_RANGE, Binning::MaxAbs));
            assert_eq!(
                binning(model, Some(HiddenBinning::MaxAbs)),
                (Binning::MaxAbs, Binning::MaxAbs)
            );
        }
        assert_eq!(
            FIXED_RANGE,
            Binning::Fixed {
                lo: -20.0,
                hi: 20.0
            }
        );
    }
}
