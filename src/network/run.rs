//! The training driver: the one place where training is driven. The command line
//! (`train`, `bench`), the page's session and everything later (search, reproduction)
//! are front ends of [`Trainer`]; the CPU network ([`CpuBackend`]) and the GPU network
//! (`engine::Engine`) are back ends behind the small [`StepBackend`] interface.
//!
//! A run is a sequence of epochs (method §4–§5; the shuffle and the streams: §7): the
//! training set in the order drawn from the data seed for that epoch ([`EpochOrder`]), cut into batches of
//! `config.batch` (the last one smaller); after the last batch, the end-of-epoch
//! evaluation of the three parts of the task with the label input at zero, in chunks
//! of `config.batch` rows whose stochastic draws depend only on the row's index in its
//! part (`Network::predict_theta_at`), so a run cut into small pieces of work (the
//! page) measures what a run done in one go (the command line) measures.
//!
//! The driver is resumable: it can be asked for any number of steps or one chunk of
//! evaluation at a time, and it follows its back end when the step count moves under
//! it (a GPU device lost mid-run resumes on the CPU from the last checkpoint).

use super::accuracy::{self, Score};
use super::model::{ModelKind, Network, RunConfig};
use super::train::{check_goals, view, EpochMetrics};
use crate::rng::Stream;
use crate::tasks::{Split, TaskData};
use ndarray::Array2;
use std::fmt;
use std::sync::Arc;

/// Why a run stopped, or why a back end refused a call.
#[derive(Clone, Debug, PartialEq)]
pub enum RunError {
    /// A goal (or a term of it) stopped being a finite number.
    NonFiniteGoal(String),
    /// Weights or biases stopped being finite numbers.
    NonFiniteWeights(String),
    /// The configuration or a goal was refused.
    Invalid(String),
    /// The GPU engine failed in a way other than a device loss.
    Backend(String),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::NonFiniteGoal(m)
            | RunError::NonFiniteWeights(m)
            | RunError::Invalid(m)
            | RunError::Backend(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for RunError {}

impl From<RunError> for String {
    fn from(e: RunError) -> String {
        e.to_string()
    }
}

/// The training order of one epoch (1-based): a permutation of the training set drawn
/// from the data seed and the epoch. Every back end uses this one shuffle.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EpochOrder {
    pub epoch: usize,
    pub indices: Vec<usize>,
}

impl EpochOrder {
    pub fn new(data_seed: u64, epoch: usize, n: usize) -> EpochOrder {
        let mut indices: Vec<usize> = (0..n).collect();
        Stream::new(data_seed ^ (epoch as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .shuffle(&mut indices);
        EpochOrder { epoch, indices }
    }
}

/// How a training set is cut into batches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// Training samples.
    pub samples: usize,
    /// Rows per batch (the last batch of an epoch may be smaller).
    pub batch: usize,
    pub steps_per_epoch: usize,
}

impl Schedule {
    pub fn new(config: &RunConfig, samples: usize) -> Schedule {
        let batch = config.batch.min(samples).max(1);
        Schedule {
            samples,
            batch,
            steps_per_epoch: samples.div_ceil(batch).max(1),
        }
    }

    /// The epoch (1-based) that step `step` (0-based) belongs to, and its batch index.
    pub fn position(&self, step: u32) -> (usize, usize) {
        let s = step as usize;
        (s / self.steps_per_epoch + 1, s % self.steps_per_epoch)
    }

    /// The rows of `order` that batch `j` of the epoch trains on.
    pub fn batch_rows<'a>(&self, order: &'a EpochOrder, j: usize) -> &'a [usize] {
        let start = (j * self.batch).min(self.samples);
        &order.indices[start..(start + self.batch).min(self.samples)]
    }
}

/// Goal terms since the last [`StepBackend::take_terms`]: the sum over steps of each
/// step's mean over neurons, per layer, and the last step's.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TermSums {
    pub hidden: Vec<f64>,
    pub output: Vec<f64>,
    pub steps: u32,
    /// Training rows classified right during the steps (label as context) and rows
    /// seen; back ends that do not count leave both 0.
    pub correct: u64,
    pub rows: u64,
    pub last_hidden: Vec<f64>,
    pub last_output: Vec<f64>,
}

impl TermSums {
    /// Adds one step's mean terms.
    pub fn add_step(&mut self, hidden: &[f64], output: &[f64]) {
        add(&mut self.hidden, hidden, 1.0);
        add(&mut self.output, output, 1.0);
        self.steps += 1;
        self.last_hidden = hidden.to_vec();
        self.last_output = output.to_vec();
    }

    /// Adds the sums of several steps.
    pub fn merge(&mut self, other: &TermSums) {
        if other.steps == 0 {
            return;
        }
        add(&mut self.hidden, &other.hidden, 1.0);
        add(&mut self.output, &other.output, 1.0);
        self.steps += other.steps;
        self.correct += other.correct;
        self.rows += other.rows;
        self.last_hidden.clone_from(&other.last_hidden);
        self.last_output.clone_from(&other.last_output);
    }

    /// The mean terms per layer over the summed steps.
    pub fn means(&self) -> (Vec<f64>, Vec<f64>) {
        let scale = 1.0 / self.steps.max(1) as f64;
        let mean = |v: &[f64]| v.iter().map(|x| x * scale).collect();
        (mean(&self.hidden), mean(&self.output))
    }
}

fn add(sum: &mut Vec<f64>, terms: &[f64], scale: f64) {
    if sum.len() != terms.len() {
        *sum = vec![0.0; terms.len()];
    }
    for (s, t) in sum.iter_mut().zip(terms) {
        *s += t * scale;
    }
}

/// What the driver needs from an engine. The `async fn`s complete at once on the CPU;
/// on the GPU they wait for a readback (blocking natively, awaited in the page).
#[allow(async_fn_in_trait)] // the driver runs on one thread on every target: no Send bound
pub trait StepBackend {
    fn config(&self) -> &RunConfig;

    /// Training steps taken (or queued) so far.
    fn steps(&self) -> u32;

    /// Runs or queues `n` training steps of the epoch whose order is `order`, starting
    /// at the batch the step count points to (never past the epoch's end).
    fn train(
        &mut self,
        task: &TaskData,
        schedule: &Schedule,
        order: &EpochOrder,
        n: usize,
    ) -> Result<(), RunError>;

    /// The goal terms since the previous call.
    async fn take_terms(&mut self) -> Result<TermSums, RunError>;

    /// Output θ (rows × classes) of rows `start..start + len` of a part of the task with
    /// the label input at zero, drawing with the streams of `eval_step`.
    async fn predict(
        &mut self,
        task: &TaskData,
        split: Split,
        start: usize,
        len: usize,
        eval_step: u32,
    ) -> Result<Array2<f32>, RunError>;

    /// The layer ("hidden" or "output") whose weights or biases are not finite, if any.
    async fn non_finite_layer(&mut self) -> Result<Option<&'static str>, RunError>;

    /// Replaces the hidden layer's γ (term order) from the next step on.
    fn set_goal(&mut self, gamma: &[f64]) -> Result<(), RunError>;
}

/// The CPU engine as a back end: the network and the terms since the last read.
#[derive(Clone)]
pub struct CpuBackend {
    pub net: Network,
    sums: TermSums,
}

impl CpuBackend {
    pub fn new(net: Network) -> CpuBackend {
        CpuBackend {
            net,
            sums: TermSums::default(),
        }
    }
}

/// The first layer of `net` with a non-finite weight or bias.
pub fn non_finite_layer(net: &Network) -> Option<&'static str> {
    let layers = net.hidden.iter().map(|l| ("hidden", l));
    layers
        .chain([("output", &net.output)])
        .find_map(|(name, layer)| {
            let bad = layer.sources.iter().any(|s| {
                s.weights
                    .iter()
                    .chain(s.bias.iter())
                    .any(|w| !w.is_finite())
            });
            bad.then_some(name)
        })
}

impl StepBackend for CpuBackend {
    fn config(&self) -> &RunConfig {
        &self.net.config
    }

    fn steps(&self) -> u32 {
        self.net.steps()
    }

    fn train(
        &mut self,
        task: &TaskData,
        schedule: &Schedule,
        order: &EpochOrder,
        n: usize,
    ) -> Result<(), RunError> {
        let dim = task.dim;
        let mut xb = Vec::with_capacity(schedule.batch * dim);
        let mut yb = Vec::with_capacity(schedule.batch);
        for _ in 0..n {
            let (epoch, j) = schedule.position(self.net.steps());
            debug_assert_eq!(epoch, order.epoch, "the order of the step's epoch");
            xb.clear();
            yb.clear();
            for &i in schedule.batch_rows(order, j) {
                xb.extend_from_slice(&task.train_x[i * dim..(i + 1) * dim]);
                yb.push(task.train_y[i]);
            }
            let terms = self.net.train_batch(view(&xb, dim), &yb);
            self.sums.add_step(&terms.hidden, &terms.output);
            self.sums.correct += terms.correct as u64;
            self.sums.rows += yb.len() as u64;
            check_goals(&terms.hidden, &terms.output, epoch, self.net.steps())
                .map_err(RunError::NonFiniteGoal)?;
            if j + 1 == schedule.steps_per_epoch {
                break;
            }
        }
        Ok(())
    }

    async fn take_terms(&mut self) -> Result<TermSums, RunError> {
        Ok(std::mem::take(&mut self.sums))
    }

    async fn predict(
        &mut self,
        task: &TaskData,
        split: Split,
        start: usize,
        len: usize,
        eval_step: u32,
    ) -> Result<Array2<f32>, RunError> {
        let (x, _) = task.part(split);
        let rows = &x[start * task.dim..(start + len) * task.dim];
        Ok(self
            .net
            .predict_theta_at(view(rows, task.dim), start, eval_step))
    }

    async fn non_finite_layer(&mut self) -> Result<Option<&'static str>, RunError> {
        Ok(non_finite_layer(&self.net))
    }

    fn set_goal(&mut self, gamma: &[f64]) -> Result<(), RunError> {
        let layer = self.net.hidden.as_mut().ok_or_else(|| {
            RunError::Invalid("this model has no hidden layer with a goal".into())
        })?;
        layer.set_goal(gamma).map_err(RunError::Invalid)
    }
}

/// Where the end-of-epoch evaluation stands.
#[derive(Clone, Debug)]
struct Evaluation {
    split: Split,
    /// Next row of the part.
    row: usize,
    /// θ of the part's rows so far (rows × classes, row-major).
    theta: Vec<f32>,
    accuracy: [f64; 3],
    /// The training part's inversion, which the held-out parts reuse where
    /// the labels decide it ([`accuracy::decided_by_labels`]: two classes).
    train_flip: Vec<bool>,
}

/// What one call of [`Trainer::work`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Worked {
    /// Training steps taken.
    pub steps: usize,
    /// An epoch's evaluation completed (a new entry in [`Trainer::metrics`]).
    pub epoch_done: bool,
}

/// Which epochs the driver evaluates at their end.
///
/// An evaluation draws from its own streams (keyed by the epoch, method §7), so what is
/// evaluated never changes what is trained: a run evaluated every `n`-th epoch has the
/// very same weights, and the same metrics at the epochs it evaluates, as one evaluated
/// at every epoch (`tests/driver.rs`). Evaluating is a forward pass over all three parts
/// (70 000 rows on full MNIST against 48 000 trained), 30–40 % of an epoch's time on the
/// CPU engine, so `reproduce`, which needs only the last epoch's test accuracy, thins it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Evaluate {
    /// At the end of every `n`-th epoch (`n` ≥ 1) and of the run's last epoch; the
    /// other epochs report their accuracies as NaN.
    Every(usize),
    /// Training only (benchmarks).
    Never,
}

impl Evaluate {
    /// Whether epoch `epoch` (from 1) of a run of `epochs` (0 = no limit) is evaluated.
    pub fn due(self, epoch: usize, epochs: usize) -> bool {
        match self {
            Evaluate::Every(n) => epoch.is_multiple_of(n.max(1)) || epoch == epochs,
            Evaluate::Never => false,
        }
    }
}

/// A resumable training run: the task, the back end, the epoch cursor, the sums of the
/// epoch in progress, the evaluation in progress and the metrics of completed epochs.
pub struct Trainer<B> {
    backend: B,
    task: Arc<TaskData>,
    schedule: Schedule,
    evaluate: Evaluate,
    order: EpochOrder,
    /// The step count the driver last saw; a back end that moved (a device loss)
    /// makes the driver resynchronise.
    seen_steps: u32,
    epoch_terms: TermSums,
    epoch_seconds: f64,
    eval: Option<Evaluation>,
    metrics: Vec<EpochMetrics>,
    last_terms: TermSums,
    /// Of the test part at the last evaluation: the confusion matrix and which output
    /// neurons were read inverted.
    confusion: Vec<u32>,
    inverted: Vec<bool>,
    error: Option<RunError>,
}

impl<B: StepBackend> Trainer<B> {
    pub fn new(backend: B, task: impl Into<Arc<TaskData>>) -> Trainer<B> {
        let task = task.into();
        let schedule = Schedule::new(backend.config(), task.train_len());
        let mut t = Trainer {
            schedule,
            evaluate: Evaluate::Every(1),
            order: EpochOrder::default(),
            seen_steps: 0,
            epoch_terms: TermSums::default(),
            epoch_seconds: 0.0,
            eval: None,
            metrics: Vec::new(),
            last_terms: TermSums::default(),
            confusion: Vec::new(),
            inverted: Vec::new(),
            error: None,
            backend,
            task,
        };
        t.resync();
        t
    }

    /// Training only, no end-of-epoch evaluation (benchmarks).
    pub fn without_evaluation(mut self) -> Self {
        self.evaluate = Evaluate::Never;
        self
    }

    /// Evaluates at the end of every `n`-th epoch and of the last one only ([`Evaluate`]).
    pub fn evaluating_every(mut self, n: usize) -> Self {
        self.evaluate = Evaluate::Every(n.max(1));
        self
    }

    pub fn backend(&self) -> &B {
        &self.backend
    }

    pub fn backend_mut(&mut self) -> &mut B {
        &mut self.backend
    }

    pub fn into_parts(self) -> (B, Arc<TaskData>) {
        (self.backend, self.task)
    }

    pub fn task(&self) -> &TaskData {
        &self.task
    }

    pub fn config(&self) -> &RunConfig {
        self.backend.config()
    }

    pub fn schedule(&self) -> Schedule {
        self.schedule
    }

    pub fn steps(&self) -> u32 {
        self.backend.steps()
    }

    /// Epochs completed (trained and evaluated).
    pub fn epochs_done(&self) -> usize {
        self.metrics.last().map_or(0, |m| m.epoch)
    }

    /// How far the epoch in progress has trained, 0 to 1.
    pub fn epoch_progress(&self) -> f64 {
        let (_, j) = self.schedule.position(self.steps());
        if self.eval.is_some() {
            1.0
        } else {
            j as f64 / self.schedule.steps_per_epoch as f64
        }
    }

    pub fn evaluating(&self) -> bool {
        self.eval.is_some()
    }

    pub fn metrics(&self) -> &[EpochMetrics] {
        &self.metrics
    }

    /// The last training step's mean terms per layer.
    pub fn last_terms(&self) -> (&[f64], &[f64]) {
        (&self.last_terms.last_hidden, &self.last_terms.last_output)
    }

    /// The test part's confusion matrix at the last evaluation (true × predicted).
    pub fn confusion(&self) -> &[u32] {
        &self.confusion
    }

    /// Which output neurons the last evaluation of the test part read inverted.
    pub fn inverted(&self) -> &[bool] {
        &self.inverted
    }

    pub fn error(&self) -> Option<&RunError> {
        self.error.as_ref()
    }

    /// Whether the run has ended: `epochs` reached (0 = no limit) or an error.
    pub fn finished(&self) -> bool {
        let epochs = self.config().epochs;
        self.error.is_some() || (epochs > 0 && self.epochs_done() >= epochs && self.eval.is_none())
    }

    /// Replaces the hidden layer's γ from the next step on.
    pub fn set_goal(&mut self, gamma: &[f64]) -> Result<(), RunError> {
        self.backend.set_goal(gamma)
    }

    /// Swaps the back end (a move between engines); the driver keeps its place when the
    /// new back end stands at the same step, and resynchronises when it does not.
    pub fn replace_backend(&mut self, backend: B) -> B {
        let old = std::mem::replace(&mut self.backend, backend);
        if self.backend.steps() != self.seen_steps {
            self.resync();
        }
        old
    }

    /// Follows the back end's step count after it moved (a device loss resumed from a
    /// checkpoint): the epoch in progress restarts its sums, metrics of epochs past the
    /// checkpoint are dropped, and an epoch that ended unevaluated is evaluated.
    fn resync(&mut self) {
        let steps = self.backend.steps();
        let (epoch, j) = self.schedule.position(steps);
        let ended = epoch - 1;
        self.metrics.retain(|m| m.epoch <= ended);
        self.epoch_terms = TermSums::default();
        self.epoch_seconds = 0.0;
        self.eval = None;
        if j == 0 && ended > self.epochs_done() {
            self.end_epoch(ended);
        }
        if self.order.epoch != epoch {
            self.order = EpochOrder::new(self.config().data_seed, epoch, self.schedule.samples);
        }
        self.seen_steps = steps;
    }

    /// One unit of work: up to `max_steps` training steps (never past the epoch's end),
    /// or, when an epoch has ended, one chunk of its evaluation. Stops the run at the
    /// first non-finite number.
    pub async fn work(&mut self, max_steps: usize) -> Worked {
        if self.finished() {
            return Worked::default();
        }
        if self.backend.steps() != self.seen_steps {
            self.resync();
        }
        let result = if self.eval.is_some() {
            self.evaluate_chunk().await.map(|epoch_done| Worked {
                steps: 0,
                epoch_done,
            })
        } else {
            self.train_chunk(max_steps.max(1)).await
        };
        if self.backend.steps() != self.seen_steps {
            // The back end moved during the call (a device loss): what this call
            // measured belongs to steps that no longer exist.
            self.resync();
        }
        result.unwrap_or_else(|e| {
            self.error = Some(e);
            Worked::default()
        })
    }

    async fn train_chunk(&mut self, max_steps: usize) -> Result<Worked, RunError> {
        let before = self.backend.steps();
        let (epoch, j) = self.schedule.position(before);
        if j == 0 {
            self.epoch_terms = TermSums::default();
            self.epoch_seconds = 0.0;
        }
        if self.order.epoch != epoch {
            self.order = EpochOrder::new(self.config().data_seed, epoch, self.schedule.samples);
        }
        let n = max_steps.min(self.schedule.steps_per_epoch - j);
        let start = now();
        let queued = self
            .backend
            .train(&self.task, &self.schedule, &self.order, n);
        let terms = self.backend.take_terms().await;
        self.epoch_seconds += now() - start;
        let after = self.backend.steps();
        if after != before + n as u32 && queued.is_ok() {
            return Ok(Worked::default());
        }
        self.seen_steps = after;
        let terms = terms?;
        self.epoch_terms.merge(&terms);
        self.last_terms = terms.clone();
        queued?;
        let (hidden, output) = terms.means();
        check_goals(&hidden, &output, epoch, after).map_err(RunError::NonFiniteGoal)?;
        let taken = (after - before) as usize;
        if j + taken == self.schedule.steps_per_epoch {
            if let Some(layer) = self.backend.non_finite_layer().await? {
                return Err(RunError::NonFiniteWeights(format!(
                    "the {layer} layer's weights are not finite at epoch {epoch}"
                )));
            }
            self.end_epoch(epoch);
        }
        Ok(Worked {
            steps: taken,
            epoch_done: false,
        })
    }

    /// One chunk of `batch` rows of the evaluation; true when the epoch's evaluation
    /// completed.
    async fn evaluate_chunk(&mut self) -> Result<bool, RunError> {
        let Some(mut ev) = self.eval.take() else {
            return Ok(false);
        };
        let (epoch, _) = self
            .schedule
            .position(self.backend.steps().saturating_sub(1));
        let eval_step = epoch as u32;
        let len = self.task.part(ev.split).1.len();
        let chunk = self.config().batch.max(1);
        if ev.row < len {
            let rows = chunk.min(len - ev.row);
            let theta = self
                .backend
                .predict(&self.task, ev.split, ev.row, rows, eval_step)
                .await?;
            ev.theta.extend(theta.iter().copied());
            ev.row += rows;
        }
        if ev.row < len {
            self.eval = Some(ev);
            return Ok(false);
        }
        let labels = self.task.part(ev.split).1;
        if !labels.is_empty() {
            let classes = self.task.classes;
            let theta = Array2::from_shape_vec((len, classes), std::mem::take(&mut ev.theta))
                .expect("rows × classes");
            let local = self.config().model != ModelKind::Backprop;
            let reuse = ev.split != Split::Train
                && accuracy::decided_by_labels(classes, local)
                && ev.train_flip.len() == classes;
            let (score, flip): (Score, Vec<bool>) = if reuse {
                let flip = ev.train_flip.clone();
                (accuracy::score_with(theta, labels, &flip), flip)
            } else {
                accuracy::score(theta, labels, local)
            };
            if ev.split == Split::Train {
                ev.train_flip = flip.clone();
            }
            ev.accuracy[ev.split as usize] = score.accuracy();
            if ev.split == Split::Test {
                self.confusion = score.confusion;
                self.inverted = flip;
            }
        }
        match ev.split {
            Split::Train => ev.next(Split::Val),
            Split::Val => ev.next(Split::Test),
            Split::Test => {
                self.finish_epoch(ev.accuracy);
                return Ok(true);
            }
        }
        self.eval = Some(ev);
        Ok(false)
    }

    /// A trained epoch's end: its evaluation starts where [`Evaluate::due`], else its
    /// metrics are kept with no accuracy.
    fn end_epoch(&mut self, epoch: usize) {
        if self.evaluate.due(epoch, self.config().epochs) {
            self.eval = Some(Evaluation::start());
        } else {
            self.finish_epoch([f64::NAN; 3]);
        }
    }

    fn finish_epoch(&mut self, accuracy: [f64; 3]) {
        let (hidden_atoms, output_atoms) = self.epoch_terms.means();
        let (epoch, _) = self
            .schedule
            .position(self.backend.steps().saturating_sub(1));
        let seconds = self.epoch_seconds;
        self.metrics.push(EpochMetrics {
            epoch,
            steps: self.backend.steps(),
            train_accuracy: accuracy[0],
            train_accuracy_label_context: if self.epoch_terms.rows > 0 {
                self.epoch_terms.correct as f64 / self.epoch_terms.rows as f64
            } else {
                f64::NAN
            },
            val_accuracy: accuracy[1],
            test_accuracy: accuracy[2],
            hidden_atoms,
            output_atoms,
            seconds,
            steps_per_second: self.epoch_terms.steps as f64 / seconds.max(1e-9),
        });
    }

    /// Works until the epoch in progress is trained and evaluated (or the run stops);
    /// the command line's loop.
    pub async fn run_epoch(&mut self) -> Result<&EpochMetrics, RunError> {
        let done = self.epochs_done();
        while self.epochs_done() == done {
            if let Some(e) = &self.error {
                return Err(e.clone());
            }
            if self.finished() {
                break;
            }
            self.work(usize::MAX).await;
        }
        match (&self.error, self.metrics.last()) {
            (Some(e), _) => Err(e.clone()),
            (None, Some(m)) if m.epoch > done => Ok(m),
            _ => Err(RunError::Invalid("the run has ended".into())),
        }
    }
}

impl Evaluation {
    fn start() -> Evaluation {
        Evaluation {
            split: Split::Train,
            row: 0,
            theta: Vec::new(),
            accuracy: [f64::NAN; 3],
            train_flip: Vec::new(),
        }
    }

    fn next(&mut self, split: Split) {
        self.split = split;
        self.row = 0;
        self.theta.clear();
    }
}

/// Seconds on a monotonic clock (wall-clock milliseconds in the browser).
#[cfg(not(target_arch = "wasm32"))]
pub fn now() -> f64 {
    use std::sync::OnceLock;
    static START: OnceLock<std::time::Instant> = OnceLock::new();
    START
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_secs_f64()
}

#[cfg(target_arch = "wasm32")]
pub fn now() -> f64 {
    js_sys::Date::now() / 1000.0
}
