//! Which terms of a goal matter (the paper's sensitivity analysis, docs/method.md §8):
//! each γ_i changed by ±10 % (relative), by ±0.1 (absolute) or set to 0, one at a time,
//! and the change of validation accuracy over seeds; then the terms set to 0 one after
//! another, least important first ("cumulative zero").

use serde::Serialize;

/// One change of one γ entry.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Plus10Percent,
    Minus10Percent,
    PlusTenth,
    MinusTenth,
    Zero,
}

impl Change {
    pub const ALL: [Change; 5] = [
        Change::Plus10Percent,
        Change::Minus10Percent,
        Change::PlusTenth,
        Change::MinusTenth,
        Change::Zero,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Change::Plus10Percent => "+10%",
            Change::Minus10Percent => "-10%",
            Change::PlusTenth => "+0.1",
            Change::MinusTenth => "-0.1",
            Change::Zero => "0",
        }
    }

    pub fn apply(self, g: f64) -> f64 {
        match self {
            Change::Plus10Percent => g * 1.1,
            Change::Minus10Percent => g * 0.9,
            Change::PlusTenth => g + 0.1,
            Change::MinusTenth => g - 0.1,
            Change::Zero => 0.0,
        }
    }
}

/// The γ of every single change: (term, change, γ).
pub fn single_changes(gamma: &[f64]) -> Vec<(usize, Change, Vec<f64>)> {
    let mut out = Vec::new();
    for i in 0..gamma.len() {
        for change in Change::ALL {
            let mut g = gamma.to_vec();
            g[i] = change.apply(g[i]);
            out.push((i, change, g));
        }
    }
    out
}

/// Mean and (sample) standard deviation.
pub fn mean_std(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = if xs.len() > 1 {
        xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (mean, var.sqrt())
}

/// The order in which "cumulative zero" removes terms: by the mean accuracy change of
/// setting each to 0 alone, the least harmful first (ties: the lower index).
pub fn zero_order(zero_deltas: &[(usize, f64)]) -> Vec<usize> {
    let mut order = zero_deltas.to_vec();
    order.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    order.into_iter().map(|(i, _)| i).collect()
}

/// γ with the first `k` terms of `order` set to 0.
pub fn zeroed(gamma: &[f64], order: &[usize], k: usize) -> Vec<f64> {
    let mut g = gamma.to_vec();
    for &i in &order[..k] {
        g[i] = 0.0;
    }
    g
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_order_and_zeroing() {
        let c = single_changes(&[0.5, -1.0]);
        assert_eq!(c.len(), 10);
        assert_eq!(c[0].2, vec![0.5 * 1.1, -1.0]);
        assert_eq!(c[8].2, vec![0.5, -1.1]);
        assert_eq!(c[9].2, vec![0.5, 0.0]);
        // the least harmful first: term 2 (no drop), then 0, then 1 (the biggest drop)
        assert_eq!(
            zero_order(&[(0, -0.01), (1, -0.3), (2, 0.002)]),
            vec![2, 0, 1]
        );
        assert_eq!(zeroed(&[1.0, 2.0, 3.0], &[2, 0, 1], 2), vec![0.0, 2.0, 0.0]);
        let (m, s) = mean_std(&[1.0, 3.0]);
        assert_eq!((m, s), (2.0, 2f64.sqrt()));
    }
}
