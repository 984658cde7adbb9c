//! Reading the output layer (docs/method.md §5, "Evaluation"): with the label input at
//! zero, an output neuron whose mean θ over the evaluated rows is ≥ 0.5 is read inverted
//! (θ → 1 − θ; a goal is unchanged when a neuron flips its output), then the prediction
//! is the first class with the largest θ. The one place this rule is written; the GPU
//! twin is the `count` entry of `shaders/metrics.wgsl`.

use ndarray::{Array2, Axis};

/// Which output neurons are read inverted: those whose mean θ over the rows is ≥ 0.5,
/// for models that learn with local goals (`local`); none for the backprop baseline,
/// whose θ are logits of a softmax trained on the label.
pub fn inverted(theta: &Array2<f32>, local: bool) -> Vec<bool> {
    match theta.mean_axis(Axis(0)) {
        Some(means) => means.iter().map(|&m| local && m >= 0.5).collect(),
        None => vec![false; theta.ncols()],
    }
}

/// Applies `flip` (from [`inverted`]) to θ in place.
pub fn apply_inversion(theta: &mut Array2<f32>, flip: &[bool]) {
    for (j, &f) in flip.iter().enumerate() {
        if f && j < theta.ncols() {
            theta.column_mut(j).mapv_inplace(|t| 1.0 - t);
        }
    }
}

/// The first class with the largest value of a row.
pub fn argmax(row: ndarray::ArrayView1<f32>) -> usize {
    row.iter()
        .enumerate()
        .fold((0, f32::MIN), |a, (j, &v)| if v > a.1 { (j, v) } else { a })
        .0
}

/// Correct predictions and the confusion matrix (true class × predicted class) of
/// rows of θ that already had the inversion applied.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Score {
    pub correct: usize,
    pub total: usize,
    pub confusion: Vec<u32>,
}

impl Score {
    pub fn new(classes: usize) -> Score {
        Score {
            correct: 0,
            total: 0,
            confusion: vec![0; classes * classes],
        }
    }

    /// Adds the predictions of `theta` (inversion applied) against `labels`.
    pub fn add(&mut self, theta: &Array2<f32>, labels: &[u8]) {
        let classes = theta.ncols();
        for (row, &y) in theta.rows().into_iter().zip(labels) {
            let best = argmax(row);
            self.correct += usize::from(best == y as usize);
            self.total += 1;
            if let Some(c) = self.confusion.get_mut(y as usize * classes + best) {
                *c += 1;
            }
        }
    }

    /// Correct / total (NaN for no rows).
    pub fn accuracy(&self) -> f64 {
        if self.total == 0 {
            f64::NAN
        } else {
            self.correct as f64 / self.total as f64
        }
    }
}

/// Inversion by the rows' own means, then the score (one evaluated set).
pub fn score(mut theta: Array2<f32>, labels: &[u8], local: bool) -> (Score, Vec<bool>) {
    let flip = inverted(&theta, local);
    apply_inversion(&mut theta, &flip);
    let mut s = Score::new(theta.ncols());
    s.add(&theta, labels);
    (s, flip)
}
