//! The code read-out (method §9): how many bits about a task's hidden causes the hidden
//! layer's code carries on held-out rows, where the code is what a reader downstream
//! sees — the neurons' *sampled* ±1 outputs, not the sign of their drive.
//!
//! The estimator uses the outputs' known probabilities: given a row x and the first
//! recurrent step's sample, the outputs are independent Bernoulli(θ_i), so each row
//! contributes `DRAWS` product distributions ("components"), one per draw of the first
//! step. With the empirical distribution of the held-out rows,
//!
//! ```text
//! p(y | c) = mean of Π_i Bern(y_i; θ_t,i) over the components t of rows with cause c
//! p(y)     = the same mean over all components
//! bits     = mean over held-out rows r, one sampled output y_r each (draw 0's), of
//!            log2 p(y_r | c_r) / p(y_r)
//! ```
//!
//! which is I(C; Y) for the held-out rows' cause distribution, estimated by Monte Carlo
//! over outputs only (no histogram of codes, so no plug-in bias in the code space): a
//! code independent of the rows gives exactly 0, a code that copies the causes exactly
//! H(C) of the rows (`max_bits`), and no code more than log2(rows). Where the input
//! varies within a cause (mixtures), a row's own components are left out of both
//! mixtures, so that telling rows apart is not counted as knowing their causes.

use super::Network;
use crate::rng::counter_key;
use crate::tasks::causes::{causes, Causes};
use crate::tasks::{Split, TaskData};
use ndarray::{s, Array2, Axis};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Held-out rows the read-out uses: the first `ROWS` of the validation part.
pub const ROWS: usize = 1024;
/// Draws of the outputs per row (of the first recurrent step, and of the outputs).
pub const DRAWS: usize = 2;
/// A neuron counts as specialised when its best single cause carries at least this
/// fraction of its bits about all causes …
pub const DOMINANT: f64 = 0.5;
/// … and it carries at least this many bits about all causes.
pub const MIN_BITS: f64 = 0.05;
/// The read-out's counter stream for the sampled outputs (method §7).
pub(crate) const STREAM_CODE_OUTPUT: u32 = 62;
/// Probabilities are kept this far from 0 and 1 so that logarithms stay finite.
const EPS: f64 = 1e-12;

/// One neuron's best-matching cause.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NeuronCode {
    /// Index of the cause feature whose bits are highest (into the task's cause names).
    pub cause: usize,
    /// Its name ("row 3", "s1 > 0", "pattern 2").
    pub name: String,
    /// I(that cause; the neuron's output), bits.
    pub bits: f64,
    /// I(all causes; the neuron's output), bits: at least `bits`.
    pub total: f64,
}

/// What the hidden layer's sampled code carries about the causes (method §9).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Code {
    /// I(causes; code), bits.
    pub bits: f64,
    /// What a code that copies the causes carries on the held-out rows: their plug-in
    /// entropy H(C) (leave-one-out where the input varies within a cause).
    pub max_bits: f64,
    /// Per neuron: the best-matching cause and its bits.
    pub per_neuron: Vec<NeuronCode>,
    /// Mean over neuron pairs of I(Y_i; Y_j), bits: how much the outputs repeat each other.
    pub redundancy: f64,
    /// Mean over neurons of I(best cause; Y_i), bits (at most 1 for a binary cause).
    pub specialisation: f64,
    /// Σ_i I(best cause; Y_i) / Σ_i I(causes; Y_i): 1 when every neuron's output depends
    /// on one cause only.
    pub selectivity: f64,
    /// Neurons whose best cause carries ≥ [`DOMINANT`] of their bits about all causes
    /// (and which carry ≥ [`MIN_BITS`]).
    pub specialised: usize,
    /// Distinct best causes among the specialised neurons.
    pub causes_covered: usize,
    /// Cause names, in feature order.
    pub names: Vec<String>,
    pub rows: usize,
    pub draws: usize,
}

fn h2(p: f64) -> f64 {
    let mut h = 0.0;
    for q in [p, 1.0 - p] {
        if q > 0.0 {
            h -= q * q.log2();
        }
    }
    h
}

/// I(Z; Y_i) for a partition of the components into groups (`group[t]`, `groups` of
/// them) from the components' θ and weights: H(mean θ) − Σ_g P(g)·H(mean θ within g),
/// per neuron.
fn group_information(
    theta: &Array2<f64>,
    weight: &[f64],
    group: &[u32],
    groups: usize,
) -> Vec<f64> {
    let n = theta.ncols();
    let mut sums = Array2::<f64>::zeros((groups, n));
    let mut mass = vec![0.0f64; groups];
    for (t, (&g, &w)) in group.iter().zip(weight).enumerate() {
        mass[g as usize] += w;
        let mut row = sums.row_mut(g as usize);
        row.scaled_add(w, &theta.row(t));
    }
    let all: f64 = mass.iter().sum();
    let total = sums.sum_axis(Axis(0));
    (0..n)
        .map(|i| {
            let mut info = h2(total[i] / all);
            for (g, &c) in mass.iter().enumerate() {
                if c > 0.0 {
                    info -= c / all * h2(sums[[g, i]] / c);
                }
            }
            info.max(0.0)
        })
        .collect()
}

/// The read-out from the outputs' probabilities. The held-out rows come as their
/// distinct inputs: `weight[u]` rows show input u, whose causes are row u of `causes`;
/// `theta[d]` is draw d's θ (inputs × neurons), `outputs[d]` the ±1 outputs drawn from
/// it. Components are (draw, input) pairs weighted by the input's rows.
pub fn measure(
    theta: &[Array2<f32>],
    outputs: &[Array2<f32>],
    causes: &Causes,
    weight: &[usize],
) -> Code {
    let draws = theta.len();
    assert!(draws > 0 && outputs.len() == draws, "one output per draw");
    let inputs = causes.rows();
    assert_eq!(weight.len(), inputs, "a weight per input");
    let n = theta[0].ncols();
    for (t, y) in theta.iter().zip(outputs) {
        assert_eq!(t.dim(), (inputs, n), "θ: inputs × neurons");
        assert_eq!(y.dim(), (inputs, n), "outputs: inputs × neurons");
    }
    let rows: usize = weight.iter().sum();
    let m = inputs * draws;
    // Components t = d·inputs + u.
    let mut th = Array2::<f64>::zeros((m, n));
    let mut ones = Array2::<f64>::zeros((m, n));
    for d in 0..draws {
        th.slice_mut(s![d * inputs..(d + 1) * inputs, ..])
            .assign(&theta[d].mapv(|v| (v as f64).clamp(EPS, 1.0 - EPS)));
        ones.slice_mut(s![d * inputs..(d + 1) * inputs, ..])
            .assign(&outputs[d].mapv(|v| if v > 0.0 { 1.0 } else { 0.0 }));
    }
    let input_of = |t: usize| t % inputs;
    let state: Vec<u32> = (0..m).map(|t| causes.state[input_of(t)]).collect();
    let omega: Vec<f64> = (0..m).map(|t| weight[input_of(t)] as f64).collect();
    let mut rows_of = vec![0usize; causes.states];
    for (&c, &w) in causes.state.iter().zip(weight) {
        rows_of[c as usize] += w;
    }
    // Where the input varies within a cause, a row's own components are left out of
    // both mixtures (when its cause has other rows): they would credit a code that
    // tells rows apart with bits about their causes.
    let leave_out = |u: usize| !causes.determine_input && rows_of[causes.state[u] as usize] > 1;
    let max_bits = (0..inputs)
        .map(|u| {
            let n_c = rows_of[causes.state[u] as usize] as f64;
            let one = if leave_out(u) {
                ((rows - 1) as f64 / (n_c - 1.0)).log2()
            } else {
                (rows as f64 / n_c).log2()
            };
            weight[u] as f64 * one
        })
        .sum::<f64>()
        / rows as f64;

    // ln p(y_s | component t) = Σ_i ln(1 − θ_t,i) + Σ_i y_s,i·logit(θ_t,i).
    let base: Vec<f64> = th
        .rows()
        .into_iter()
        .map(|r| r.iter().map(|&p| (1.0 - p).ln()).sum())
        .collect();
    // The products in f32 (sgemm): an error of ~1e-5 nats in ln p is far below what
    // the bits show.
    let logit = th.mapv(|p| (p.ln() - (1.0 - p).ln()) as f32);
    let ones = ones.mapv(|v| v as f32);
    // The outer mean runs over the held-out rows, one sampled output each (draw 0's).
    let mut sum = 0.0;
    const BLOCK: usize = 256;
    for start in (0..inputs).step_by(BLOCK) {
        let end = (start + BLOCK).min(inputs);
        let ln_p = ones.slice(s![start..end, ..]).dot(&logit.t());
        for (k, row) in ln_p.rows().into_iter().enumerate() {
            let u = input_of(start + k);
            let c = state[start + k];
            let own = leave_out(u);
            let top = row
                .iter()
                .zip(&base)
                .map(|(&v, b)| v as f64 + b)
                .fold(f64::NEG_INFINITY, f64::max);
            let (mut all, mut same, mut n_all, mut n_same) = (0.0, 0.0, 0.0, 0.0);
            for (t, ((&v, b), &ct)) in row.iter().zip(&base).zip(&state).enumerate() {
                let w = omega[t] - (own && input_of(t) == u) as u8 as f64;
                let same_cause = ct == c;
                n_all += w;
                if same_cause {
                    n_same += w;
                }
                let z = v as f64 + b - top;
                // e^-50 of the largest term is below f64 resolution of the sums.
                if w == 0.0 || z < -50.0 {
                    continue;
                }
                let e = w * z.exp();
                all += e;
                if same_cause {
                    same += e;
                }
            }
            sum += weight[u] as f64 * ((same / all).log2() + (n_all / n_same).log2());
        }
    }
    let bits = sum / rows as f64;

    // Per neuron: all causes, and each cause feature alone.
    let total = group_information(&th, &omega, &state, causes.states);
    let features = causes.names.len();
    let mut best = vec![(0usize, 0.0f64); n];
    for k in 0..features {
        let group: Vec<u32> = (0..m)
            .map(|t| causes.features[input_of(t) * features + k] as u32)
            .collect();
        for (i, info) in group_information(&th, &omega, &group, 2)
            .into_iter()
            .enumerate()
        {
            if k == 0 || info > best[i].1 {
                best[i] = (k, info);
            }
        }
    }
    let per_neuron: Vec<NeuronCode> = best
        .iter()
        .zip(&total)
        .map(|(&(cause, bits), &total)| NeuronCode {
            cause,
            name: causes.names.get(cause).cloned().unwrap_or_default(),
            bits: bits.min(total),
            total,
        })
        .collect();
    let sum_best: f64 = per_neuron.iter().map(|p| p.bits).sum();
    let sum_total: f64 = per_neuron.iter().map(|p| p.total).sum();
    let dominant: Vec<&NeuronCode> = per_neuron
        .iter()
        .filter(|p| p.total >= MIN_BITS && p.bits >= DOMINANT * p.total)
        .collect();
    let mut covered: Vec<usize> = dominant.iter().map(|p| p.cause).collect();
    crate::order::sort(&mut covered);
    covered.dedup();

    // Pairwise I(Y_i; Y_j): outputs are independent within a component.
    let mass: f64 = omega.iter().sum();
    let weighted = Array2::from_shape_fn((m, n), |(t, i)| th[[t, i]] * omega[t]);
    let mean = weighted.sum_axis(Axis(0)) / mass;
    let joint = weighted.t().dot(&th) / mass;
    let mut pair_sum = 0.0;
    for i in 0..n {
        for j in i + 1..n {
            let p11 = joint[[i, j]];
            let cells = [
                (p11, mean[i], mean[j]),
                (mean[i] - p11, mean[i], 1.0 - mean[j]),
                (mean[j] - p11, 1.0 - mean[i], mean[j]),
                (1.0 - mean[i] - mean[j] + p11, 1.0 - mean[i], 1.0 - mean[j]),
            ];
            pair_sum += cells
                .iter()
                .filter(|(p, a, b)| *p > 0.0 && *a > 0.0 && *b > 0.0)
                .map(|(p, a, b)| p * (p / (a * b)).log2())
                .sum::<f64>()
                .max(0.0);
        }
    }
    let pairs = n * n.saturating_sub(1) / 2;
    Code {
        bits,
        max_bits,
        redundancy: if pairs > 0 {
            pair_sum / pairs as f64
        } else {
            0.0
        },
        specialisation: if n > 0 { sum_best / n as f64 } else { 0.0 },
        selectivity: if sum_total > 0.0 {
            sum_best / sum_total
        } else {
            0.0
        },
        specialised: dominant.len(),
        causes_covered: covered.len(),
        per_neuron,
        names: causes.names.clone(),
        rows,
        draws,
    }
}

/// Draws the ±1 outputs of θ for the read-out's draw `draw` (method §7, stream 62).
pub fn sample_outputs(theta: &Array2<f32>, sample_seed: u64, draw: u32) -> Array2<f32> {
    let key = counter_key(sample_seed, STREAM_CODE_OUTPUT, draw);
    super::layer::sample(theta, key, 0, -1.0)
}

/// The read-out of `net`'s hidden layer on the first [`ROWS`] validation rows of `task`,
/// or `None` when the task has no known causes or the model no hidden layer. Rows with
/// the same input are measured once, weighted by their number.
pub fn readout(net: &Network, task: &TaskData) -> Option<Code> {
    net.hidden.as_ref()?;
    let all = causes(task, Split::Val)?;
    let rows = all.rows().min(ROWS);
    if rows == 0 {
        return None;
    }
    let dim = task.dim;
    let mut first: HashMap<Vec<u32>, usize> = HashMap::new();
    let mut picked: Vec<usize> = Vec::new();
    let mut weight: Vec<usize> = Vec::new();
    for r in 0..rows {
        let key: Vec<u32> = task.val_x[r * dim..(r + 1) * dim]
            .iter()
            .map(|v| v.to_bits())
            .collect();
        let next = picked.len();
        let u = *first.entry(key).or_insert(next);
        if u == next {
            picked.push(r);
            weight.push(0);
        }
        weight[u] += 1;
    }
    let m = all.names.len();
    let c = Causes::from_features(
        all.names.clone(),
        picked
            .iter()
            .flat_map(|&r| all.features[r * m..(r + 1) * m].iter().copied())
            .collect(),
        all.determine_input,
    );
    let x: Vec<f32> = picked
        .iter()
        .flat_map(|&r| task.val_x[r * dim..(r + 1) * dim].iter().copied())
        .collect();
    let x = super::train::view(&x, dim);
    let mut theta = Vec::with_capacity(DRAWS);
    let mut outputs = Vec::with_capacity(DRAWS);
    for d in 0..DRAWS as u32 {
        let t = net.code_theta(x, d)?;
        outputs.push(sample_outputs(&t, net.config.sample_seed, d));
        theta.push(t);
    }
    Some(measure(&theta, &outputs, &c, &weight))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Causes of `rows` rows with `bits` independent fair bits each, from a fixed stream.
    fn random_causes(rows: usize, bits: usize, seed: u64) -> Causes {
        let mut rng = crate::rng::Stream::new(seed);
        let names = (0..bits).map(|k| format!("bit {k}")).collect();
        let features = (0..rows * bits).map(|_| rng.below(2) == 1).collect();
        Causes::from_features(names, features, true)
    }

    fn code_of(theta: Vec<Array2<f32>>, c: &Causes) -> Code {
        let outputs: Vec<_> = theta
            .iter()
            .enumerate()
            .map(|(d, t)| sample_outputs(t, 7, d as u32))
            .collect();
        measure(&theta, &outputs, c, &vec![1; c.rows()])
    }

    #[test]
    fn a_copy_of_the_causes_carries_their_entropy() {
        let c = random_causes(1024, 8, 1);
        let theta = Array2::from_shape_fn((1024, 8), |(r, k)| c.features[r * 8 + k] as u8 as f32);
        let code = code_of(vec![theta.clone(), theta], &c);
        // The plug-in entropy of 1024 draws of 256 equally likely states: below 8 bits.
        assert!(
            code.max_bits > 7.6 && code.max_bits < 8.0,
            "{}",
            code.max_bits
        );
        assert!((code.bits - code.max_bits).abs() < 1e-9, "{code:?}");
        for (i, p) in code.per_neuron.iter().enumerate() {
            assert_eq!(p.cause, i);
            assert!((p.bits - 1.0).abs() < 0.01, "{p:?}");
            assert!((p.total - p.bits).abs() < 1e-9);
        }
        assert_eq!(code.specialised, 8);
        assert_eq!(code.causes_covered, 8);
        assert!((code.selectivity - 1.0).abs() < 1e-9);
        // Independent bits: the outputs share (almost) nothing pairwise.
        assert!(code.redundancy < 0.01, "{}", code.redundancy);
    }

    #[test]
    fn a_copy_carries_the_entropy_when_rows_are_left_out_too() {
        let mut c = random_causes(1024, 2, 6);
        c.determine_input = false;
        let theta = Array2::from_shape_fn((1024, 2), |(r, k)| c.features[r * 2 + k] as u8 as f32);
        let code = code_of(vec![theta.clone(), theta], &c);
        assert!((code.max_bits - 2.0).abs() < 0.01, "{}", code.max_bits);
        assert!((code.bits - code.max_bits).abs() < 1e-9, "{code:?}");
    }

    #[test]
    fn weighted_inputs_measure_as_their_repeated_rows() {
        // 64 distinct inputs shown 3 times each, given once with weight 3 or three
        // times: the same per-neuron bits (θ is the same), and for a noiseless code the
        // same bits.
        let c = random_causes(64, 3, 8);
        let theta = Array2::from_shape_fn(
            (64, 3),
            |(r, k)| {
                if c.features[r * 3 + k] {
                    0.8
                } else {
                    0.3
                }
            },
        );
        let once = measure(
            std::slice::from_ref(&theta),
            &[sample_outputs(&theta, 1, 0)],
            &c,
            &[3; 64],
        );
        let rep: Vec<usize> = (0..192).map(|r| r % 64).collect();
        let features = rep
            .iter()
            .flat_map(|&r| c.features[r * 3..r * 3 + 3].iter().copied())
            .collect();
        let c3 = Causes::from_features(c.names.clone(), features, true);
        let theta3 = Array2::from_shape_fn((192, 3), |(r, k)| theta[[r % 64, k]]);
        let thrice = code_of(vec![theta3.clone()], &c3);
        assert!((once.max_bits - thrice.max_bits).abs() < 1e-12);
        for (a, b) in once.per_neuron.iter().zip(&thrice.per_neuron) {
            assert!((a.total - b.total).abs() < 1e-12 && (a.bits - b.bits).abs() < 1e-12);
        }
        let copy = theta.mapv(|v| if v > 0.5 { 1.0 } else { 0.0 });
        let copy3 = theta3.mapv(|v| if v > 0.5 { 1.0 } else { 0.0 });
        let once = measure(
            std::slice::from_ref(&copy),
            &[sample_outputs(&copy, 1, 0)],
            &c,
            &[3; 64],
        );
        let thrice = code_of(vec![copy3], &c3);
        assert!((once.bits - thrice.bits).abs() < 1e-9);
        assert!((once.bits - once.max_bits).abs() < 1e-9);
    }

    #[test]
    fn a_constant_code_carries_nothing() {
        let c = random_causes(512, 4, 2);
        let code = code_of(vec![Array2::from_elem((512, 6), 0.3)], &c);
        assert!(code.bits.abs() < 1e-12, "{}", code.bits);
        assert!(code.per_neuron.iter().all(|p| p.total.abs() < 1e-12));
        assert_eq!(code.specialised, 0);
        assert!(code.redundancy.abs() < 1e-12);
    }

    #[test]
    fn a_code_unrelated_to_the_causes_shows_little_bias() {
        // 4 cause states (as mixtures, the input varying within a cause), and 16
        // neurons on a random 2-D input unrelated to them (θ = σ(3·w·x), as a random
        // layer would): the true information is 0.
        let mut c = random_causes(1024, 2, 3);
        c.determine_input = false;
        let mut rng = crate::rng::Stream::new(9);
        let x: Vec<[f64; 2]> = (0..1024).map(|_| [rng.normal(), rng.normal()]).collect();
        let w: Vec<[f64; 2]> = (0..16).map(|_| [rng.normal(), rng.normal()]).collect();
        let theta = Array2::from_shape_fn((1024, 16), |(r, i)| {
            let a = 3.0 * (w[i][0] * x[r][0] + w[i][1] * x[r][1]);
            (1.0 / (1.0 + (-a).exp())) as f32
        });
        let code = code_of(vec![theta.clone(), theta], &c);
        assert!(code.bits.abs() < 0.03, "bias {}", code.bits);
        assert!((code.max_bits - 2.0).abs() < 0.01, "{}", code.max_bits);
        assert!(code.per_neuron.iter().all(|p| p.total < 0.01));
        assert_eq!(code.specialised, 0);
    }

    #[test]
    fn noisy_copies_carry_what_a_binary_channel_carries() {
        // One neuron per cause bit, each a copy flipped with probability 0.1: per
        // neuron 1 − H(0.1) = 0.531 bits, and independent bits add up.
        let c = random_causes(1024, 4, 4);
        let theta = Array2::from_shape_fn(
            (1024, 4),
            |(r, k)| {
                if c.features[r * 4 + k] {
                    0.9
                } else {
                    0.1
                }
            },
        );
        let code = code_of(vec![theta.clone(), theta.clone(), theta], &c);
        let channel = 1.0 - h2(0.1);
        for p in &code.per_neuron {
            assert!((p.bits - channel).abs() < 0.02, "{p:?}");
        }
        assert!((code.bits - 4.0 * channel).abs() < 0.1, "{}", code.bits);
        assert_eq!(code.specialised, 4);
    }

    #[test]
    fn a_mixed_neuron_is_not_specialised() {
        // A neuron on the parity of two bits carries a bit about the pair and nothing
        // about either alone.
        let c = random_causes(1024, 2, 5);
        let theta = Array2::from_shape_fn((1024, 1), |(r, _)| {
            (c.features[2 * r] ^ c.features[2 * r + 1]) as u8 as f32
        });
        let code = code_of(vec![theta], &c);
        let p = &code.per_neuron[0];
        assert!((p.total - 1.0).abs() < 0.01, "{p:?}");
        assert!(p.bits < 0.01, "{p:?}");
        assert_eq!(code.specialised, 0);
        assert!((code.bits - 1.0).abs() < 0.01);
    }
}
