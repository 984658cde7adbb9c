//! Reading the output layer (method §5, "Evaluation"): with the label input at zero, an
//! output neuron whose mean θ over the evaluated set is ≥ 0.5 is read inverted
//! (θ → 1 − θ; a goal is unchanged when a neuron flips its output), then the prediction
//! is the first class with the largest θ. The one place this rule is written.
//!
//! The paper takes the mean over each evaluated batch of 1024. Here it is taken over the
//! whole part: a batch's mean presumes the batch is a random sample, and the MNIST-10k
//! training part is ordered by class (a batch of 1024 is mostly one or two digits, whose
//! neurons then read inverted). Measured on MNIST-10k, context/heuristic, hidden 100:
//! per batch, the training accuracy at epoch 100 is 0.416 against 0.918 for the whole
//! part; validation and test agree exactly from epoch 20 on (0.8987 and 0.8812 at 100)
//! and differ early (epoch 5: validation 0.403 per batch, 0.590 whole), while the output
//! neurons' mean θ still sits near 0.5.
//!
//! **Two classes** (the paper has ten): each output neuron is on for about half the rows
//! whether it is read inverted or not, so its mean θ sits near 0.5 either way and the
//! mean rule flips at random (measured on noisy-copy, balanced: train 0.901, validation
//! 0.103, test 0.915 on one run). There the labels decide: a neuron is read inverted when
//! its mean θ over the rows of its own class is below its mean over the other rows
//! ([`inverted_by_labels`]); the training part decides with its labels, and the held-out
//! parts reuse the training part's inversion ([`decided_by_labels`]) rather than
//! look at their own labels. A set that lacks one of the two classes falls back to the
//! mean rule.

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

/// Whether the labels decide the inversion (two classes, local goals; module doc).
/// Then the held-out parts (validation, test) are read with the training part's
/// inversion instead of their own, so that a held-out part's labels never choose how it
/// is read.
pub fn decided_by_labels(classes: usize, local: bool) -> bool {
    local && classes == 2
}

/// The inversion of a set read with its labels: [`inverted`] for more than two classes;
/// for two, a neuron is inverted when its mean θ over the rows of its class is below its
/// mean over the other rows (the mean rule where the set lacks one of the classes).
pub fn inverted_by_labels(theta: &Array2<f32>, labels: &[u8], local: bool) -> Vec<bool> {
    let classes = theta.ncols();
    if !decided_by_labels(classes, local) {
        return inverted(theta, local);
    }
    let means_rule = inverted(theta, local);
    let rows = theta.nrows();
    (0..classes)
        .map(|j| {
            // In f32, summed in row order: as metrics.wgsl `count`, its GPU twin.
            let (mut all, mut own, mut own_n) = (0.0f32, 0.0f32, 0usize);
            for (row, &y) in theta.rows().into_iter().zip(labels) {
                all += row[j];
                if y as usize == j {
                    own += row[j];
                    own_n += 1;
                }
            }
            if own_n == 0 || own_n == rows {
                means_rule[j]
            } else {
                own / (own_n as f32) < (all - own) / ((rows - own_n) as f32)
            }
        })
        .collect()
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

/// The set read on its own ([`inverted_by_labels`]: its means, or for two classes its
/// labels), then the score; also the inversion.
pub fn score(theta: Array2<f32>, labels: &[u8], local: bool) -> (Score, Vec<bool>) {
    let flip = inverted_by_labels(&theta, labels, local);
    (score_with(theta, labels, &flip), flip)
}

/// The score of θ read with a given inversion (a held-out part read with the training
/// part's where [`decided_by_labels`]).
pub fn score_with(mut theta: Array2<f32>, labels: &[u8], flip: &[bool]) -> Score {
    apply_inversion(&mut theta, flip);
    let mut s = Score::new(theta.ncols());
    s.add(&theta, labels);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three classes (the mean rule): neuron 1's mean θ over the set is ≥ 0.5, so it is
    /// read inverted (a tie after inversion goes to the first class); never for the
    /// baseline.
    #[test]
    fn neurons_whose_mean_is_high_are_read_inverted() {
        let theta = Array2::from_shape_vec(
            (4, 3),
            vec![0.1, 0.95, 0.0, 0.2, 0.85, 0.0, 0.3, 0.1, 0.0, 0.9, 0.2, 0.0],
        )
        .unwrap();
        let labels = [0, 0, 0, 1];
        // Means (0.375, 0.525, 0): neuron 1 inverted → (0.1, 0.05), (0.2, 0.15), (0.3, 0.9),
        // (0.9, 0.8): predictions 0, 0, 1, 0.
        let (s, flip) = score(theta.clone(), &labels, true);
        assert_eq!(flip, vec![false, true, false]);
        assert_eq!((s.correct, s.total), (2, 4));
        assert_eq!(s.confusion, vec![2, 1, 0, 1, 0, 0, 0, 0, 0]);
        // The backprop baseline: predictions 1, 1, 0, 0.
        let (s, flip) = score(theta, &labels, false);
        assert_eq!(flip, vec![false, false, false]);
        assert_eq!(s.correct, 1);
        assert_eq!(s.confusion, vec![1, 2, 0, 1, 0, 0, 0, 0, 0]);
    }

    /// Two classes: the means (0.55, 0.45) would invert neuron 0, but on its own class's
    /// rows its θ is high (0.9, 0.8 against 0.3, 0.2), so the labels keep it; neuron 1 is
    /// low on its class's rows (0.1, 0.2 against 0.7, 0.8), so it is inverted. A set of
    /// one class falls back to the means; the baseline is never inverted.
    #[test]
    fn two_classes_are_read_by_their_labels() {
        let theta =
            Array2::from_shape_vec((4, 2), vec![0.9, 0.7, 0.8, 0.8, 0.3, 0.1, 0.2, 0.2]).unwrap();
        let labels = [0, 0, 1, 1];
        assert_eq!(inverted(&theta, true), vec![true, false]);
        let (s, flip) = score(theta.clone(), &labels, true);
        assert_eq!(flip, vec![false, true]);
        // Read: (0.9, 0.3), (0.8, 0.2), (0.3, 0.9), (0.2, 0.8): all correct.
        assert_eq!((s.correct, s.total), (4, 4));
        assert_eq!(
            inverted_by_labels(&theta, &[0, 0, 0, 0], true),
            vec![true, false]
        );
        assert_eq!(score(theta.clone(), &labels, false).1, vec![false, false]);
        // A held-out part read with the training part's inversion.
        assert!(decided_by_labels(2, true) && !decided_by_labels(10, true));
        assert_eq!(score_with(theta, &[1, 1, 0, 0], &flip).correct, 0);
    }
}
