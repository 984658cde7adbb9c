//! The backprop baseline (method §5): the trivariate architecture (F = image, C = label,
//! L = lateral, two steps) with hidden outputs sampled in {0, 1} from σ(A), the
//! surrogate gradient σ'(A) through the sampling, the output θ used as logits of a
//! softmax cross-entropy with the label, and one Adam over all parameters.

use super::layer::sample;
use super::model::{one_hot, Network, StepTerms};
use super::par::matmul;
use crate::rng::counter_key;
use ndarray::{Array2, ArrayView2, Axis};

const STREAM_FIRST: u32 = 21;
const STREAM_SECOND: u32 = 22;

/// θ(1 − θ): σ'(A) written with σ(A).
fn slope(theta: &Array2<f32>) -> Array2<f32> {
    theta.mapv(|t| t * (1.0 - t))
}

impl Network {
    pub(crate) fn backprop_step(&mut self, x: ArrayView2<f32>, labels: &[u8]) -> StepTerms {
        let batch = x.nrows();
        let context = one_hot(labels, self.classes);
        let seed = self.config.sample_seed;
        let step = self.step;
        let hidden = self
            .hidden
            .as_mut()
            .expect("the baseline has a hidden layer");
        // Forward: two recurrent steps, then the output layer (k1 = 1, so A = r).
        let agg_f = hidden.aggregate(0, x);
        let agg_c = hidden.aggregate(1, context.view());
        let first = hidden.forward_from(vec![
            agg_f.clone(),
            agg_c.clone(),
            hidden.bias_aggregate(2, batch),
        ]);
        let y1 = sample(&first.theta, counter_key(seed, STREAM_FIRST, step), 0, 0.0);
        let agg_l = hidden.aggregate(2, y1.view());
        let second = hidden.forward_from(vec![agg_f, agg_c, agg_l]);
        let y2 = sample(
            &second.theta,
            counter_key(seed, STREAM_SECOND, step),
            0,
            0.0,
        );
        let out = self
            .output
            .forward(&[y2.view(), Array2::zeros((batch, self.classes)).view()]);
        let correct = super::accuracy::score(out.theta.clone(), labels, false)
            .0
            .correct;
        // Softmax cross-entropy over the output θ as logits, mean over the batch.
        let mut d_theta = out.theta.clone();
        for (mut row, &y) in d_theta.rows_mut().into_iter().zip(labels) {
            let max = row.fold(f32::MIN, |m, &v| m.max(v));
            row.mapv_inplace(|v| (v - max).exp());
            let sum = row.sum();
            row.mapv_inplace(|v| v / sum);
            row[y as usize] -= 1.0;
        }
        d_theta /= batch as f32;
        let d_out = d_theta * slope(&out.theta);
        let d_y2 = matmul(d_out.view(), self.output.sources[0].weights.view());
        self.output.sources[0].step(Some(matmul(d_out.t(), y2.view())), d_out.sum_axis(Axis(0)));
        // Back through the second step, the lateral weights, and the first step.
        let hidden = self
            .hidden
            .as_mut()
            .expect("the baseline has a hidden layer");
        let g2 = hidden.activation_gradients(&second.aggregates, &(d_y2 * slope(&second.theta)));
        let d_y1 = matmul(g2[2].view(), hidden.sources[2].weights.view());
        let g1 = hidden.activation_gradients(&first.aggregates, &(d_y1 * slope(&first.theta)));
        let d_r = &g1[0] + &g2[0];
        let d_c = &g1[1] + &g2[1];
        let d_l_bias = g1[2].sum_axis(Axis(0)) + g2[2].sum_axis(Axis(0));
        let grads = [
            (Some(matmul(d_r.t(), x)), d_r.sum_axis(Axis(0))),
            (Some(matmul(d_c.t(), context.view())), d_c.sum_axis(Axis(0))),
            (Some(matmul(g2[2].t(), y1.view())), d_l_bias),
        ];
        for (source, (gw, gb)) in grads.into_iter().enumerate() {
            hidden.sources[source].step(gw, gb);
        }
        self.step += 1;
        StepTerms {
            correct,
            ..StepTerms::default()
        }
    }
}
