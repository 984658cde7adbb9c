//! Multivariate TPE: the sampler the paper's goal search used (Optuna's
//! `TPESampler(multivariate=True)`), written here because no crate that builds for
//! wasm32 has it with the prior and the bandwidth clip (docs/method.md, "Goal search").
//!
//! The finished trials are split into the best ⌈0.1·n⌉ (at most 25), the "good" ones,
//! and the rest. Each group becomes a Parzen estimator over the whole box: a mixture
//! of one product kernel per trial (a truncated normal per term, centred on that
//! trial's γ) plus a broad prior kernel at the box's centre. The next γ is, among
//! `candidates` draws from the good estimator l, the one with the largest
//! log l(γ) − log g(γ). Unlike independent TPE, the ratio is taken jointly, so terms
//! that only work together (e.g. two γ that must keep their difference) are
//! proposed together.
//!
//! The settings are Optuna's: kernel width 0.2·n^(−1/(d+4)) of the range for every
//! term, clipped to [range / min(100, n + 2), range]; the prior's width is the range;
//! weights 1 for the newest 25 trials of a group and a ramp from 1/n up for older ones.

use crate::rng::Stream;
use std::f64::consts::{PI, SQRT_2};

/// A group's Parzen estimator over the box [low, high]^d.
struct Estimator {
    /// Kernel centres, one row of `dims` per kernel (the prior's last).
    centres: Vec<Vec<f64>>,
    /// Each kernel's width (the same for every term of a kernel).
    widths: Vec<f64>,
    /// Log mixture weights (normalised).
    log_weights: Vec<f64>,
    low: f64,
    high: f64,
}

/// Optuna's default weights of `n` observations in trial order: 1 for the newest 25,
/// a linear ramp from 1/n for the older ones.
fn recency_weights(n: usize) -> Vec<f64> {
    const FLAT: usize = 25;
    if n < FLAT {
        return vec![1.0; n];
    }
    let ramp = n - FLAT;
    let mut w: Vec<f64> = (0..ramp)
        .map(|i| {
            let start = 1.0 / n as f64;
            if ramp == 1 {
                start
            } else {
                start + (1.0 - start) * i as f64 / (ramp - 1) as f64
            }
        })
        .collect();
    w.extend(std::iter::repeat_n(1.0, FLAT));
    w
}

impl Estimator {
    /// The estimator of `points` (in trial order), each a γ of `dims` terms.
    fn new(points: &[&[f64]], dims: usize, low: f64, high: f64) -> Estimator {
        let range = high - low;
        let n = points.len();
        let width = 0.2 * (n.max(1) as f64).powf(-1.0 / (dims as f64 + 4.0)) * range;
        let min_width = range / 100f64.min(n as f64 + 2.0);
        let width = width.clamp(min_width, range);
        let mut centres: Vec<Vec<f64>> = points.iter().map(|p| p.to_vec()).collect();
        centres.push(vec![0.5 * (low + high); dims]);
        let mut widths = vec![width; n];
        widths.push(range);
        let mut weights = recency_weights(n);
        weights.push(1.0);
        let total: f64 = weights.iter().sum();
        Estimator {
            centres,
            widths,
            log_weights: weights.iter().map(|w| (w / total).ln()).collect(),
            low,
            high,
        }
    }

    /// log of the mixture's density at `x`.
    fn log_pdf(&self, x: &[f64]) -> f64 {
        let terms: Vec<f64> = self
            .centres
            .iter()
            .zip(&self.widths)
            .zip(&self.log_weights)
            .map(|((c, &w), lw)| {
                lw + x
                    .iter()
                    .zip(c)
                    .map(|(&xi, &ci)| log_truncated_normal(xi, ci, w, self.low, self.high))
                    .sum::<f64>()
            })
            .collect();
        log_sum_exp(&terms)
    }

    /// One draw: a kernel by its weight, then each term from its truncated normal.
    fn sample(&self, rng: &mut Stream) -> Vec<f64> {
        let u = rng.next_f64();
        let mut acc = 0.0;
        let mut k = self.centres.len() - 1;
        for (i, lw) in self.log_weights.iter().enumerate() {
            acc += lw.exp();
            if u < acc {
                k = i;
                break;
            }
        }
        self.centres[k]
            .iter()
            .map(|&c| sample_truncated_normal(c, self.widths[k], self.low, self.high, rng))
            .collect()
    }
}

/// Standard normal CDF.
fn phi(z: f64) -> f64 {
    0.5 * libm::erfc(-z / SQRT_2)
}

/// log density at `x` of the normal (`mean`, `sd`) truncated to [low, high].
fn log_truncated_normal(x: f64, mean: f64, sd: f64, low: f64, high: f64) -> f64 {
    let z = (x - mean) / sd;
    let mass = (phi((high - mean) / sd) - phi((low - mean) / sd)).max(f64::MIN_POSITIVE);
    -0.5 * z * z - (sd * (2.0 * PI).sqrt()).ln() - mass.ln()
}

/// A draw of the normal (`mean`, `sd`) truncated to [low, high], by rejection (the
/// centre lies in the box and sd ≤ its width, so at least a third of draws land).
fn sample_truncated_normal(mean: f64, sd: f64, low: f64, high: f64, rng: &mut Stream) -> f64 {
    for _ in 0..1000 {
        let x = mean + sd * rng.normal();
        if (low..=high).contains(&x) {
            return x;
        }
    }
    mean.clamp(low, high)
}

fn log_sum_exp(terms: &[f64]) -> f64 {
    let max = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return max;
    }
    max + terms.iter().map(|t| (t - max).exp()).sum::<f64>().ln()
}

/// How many of `n` finished trials are "good": ⌈0.1·n⌉, at most 25 (Optuna's default
/// γ), for the independent and the multivariate TPE alike.
pub fn good_count(n: usize) -> usize {
    ((n as f64 * 0.1).ceil() as usize).min(25)
}

/// The next γ from the finished trials `complete` (γ, value to minimise; in trial
/// order), each of `dims` terms in [low, high]; `candidates` ≥ 1 draws are compared.
pub fn propose(
    complete: &[(Vec<f64>, f64)],
    dims: usize,
    (low, high): (f64, f64),
    candidates: usize,
    rng: &mut Stream,
) -> Vec<f64> {
    let n = complete.len();
    let good = good_count(n);
    // Rank by value (ties: the earlier trial first), then keep each group in trial order.
    let mut order: Vec<usize> = (0..n).collect();
    crate::order::sort_by(&mut order, |&a, &b| {
        complete[a].1.total_cmp(&complete[b].1).then(a.cmp(&b))
    });
    let (mut below, mut above) = (order[..good].to_vec(), order[good..].to_vec());
    crate::order::sort(&mut below);
    crate::order::sort(&mut above);
    let points =
        |idx: &[usize]| -> Vec<&[f64]> { idx.iter().map(|&i| complete[i].0.as_slice()).collect() };
    let l = Estimator::new(&points(&below), dims, low, high);
    let g = Estimator::new(&points(&above), dims, low, high);
    let mut best: Option<(f64, Vec<f64>)> = None;
    for _ in 0..candidates.max(1) {
        let x = l.sample(rng);
        let score = l.log_pdf(&x) - g.log_pdf(&x);
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((score, x));
        }
    }
    best.expect("at least one candidate").1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_follow_optunas_ramp() {
        assert_eq!(recency_weights(3), vec![1.0; 3]);
        let w = recency_weights(30);
        assert_eq!(w.len(), 30);
        assert!((w[0] - 1.0 / 30.0).abs() < 1e-12);
        assert!((w[4] - 1.0).abs() < 1e-12);
        assert!(w[..5].windows(2).all(|p| p[0] < p[1]));
        assert!(w[5..].iter().all(|&x| x == 1.0));
    }

    /// The estimator is a density on the box: its integral (midpoint rule) is 1.
    #[test]
    fn the_estimator_integrates_to_one_over_the_box() {
        let pts = [vec![0.9, -0.95], vec![-0.2, 0.3], vec![0.0, 0.99]];
        let refs: Vec<&[f64]> = pts.iter().map(|p| p.as_slice()).collect();
        let est = Estimator::new(&refs, 2, -1.0, 1.0);
        let m = 400;
        let h = 2.0 / m as f64;
        let mut total = 0.0;
        for i in 0..m {
            for j in 0..m {
                let x = [-1.0 + (i as f64 + 0.5) * h, -1.0 + (j as f64 + 0.5) * h];
                total += est.log_pdf(&x).exp() * h * h;
            }
        }
        assert!((total - 1.0).abs() < 2e-3, "integral {total}");
    }

    /// Draws follow the density: the mean of many draws is the mixture's mean.
    #[test]
    fn draws_stay_in_the_box_and_follow_the_estimator() {
        let pts = [vec![0.5]];
        let refs: Vec<&[f64]> = pts.iter().map(|p| p.as_slice()).collect();
        let est = Estimator::new(&refs, 1, -1.0, 1.0);
        let mut rng = Stream::new(3);
        let draws: Vec<f64> = (0..20_000).map(|_| est.sample(&mut rng)[0]).collect();
        assert!(draws.iter().all(|x| (-1.0..=1.0).contains(x)));
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        // the density's mean by quadrature
        let m = 20_000;
        let h = 2.0 / m as f64;
        let expect: f64 = (0..m)
            .map(|i| {
                let x = -1.0 + (i as f64 + 0.5) * h;
                x * est.log_pdf(&[x]).exp() * h
            })
            .sum();
        assert!((mean - expect).abs() < 0.01, "mean {mean} vs {expect}");
    }
}
