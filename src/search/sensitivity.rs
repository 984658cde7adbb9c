//! Which terms of a goal matter (the paper's sensitivity analysis, docs/method.md §8):
//! each γ_i changed by ±10 % (relative), by ±0.1 (absolute) or set to 0, one at a time,
//! and the change of validation accuracy over seeds; then the terms set to 0 one after
//! another, least important first ("cumulative zero").
//!
//! [`Plan`] is the one place that says which runs a sensitivity analysis makes, in which
//! order, and how their validation accuracies become the report: `infomorph
//! sensitivity` runs its configurations with [`super::run_trials`], the page (the Goal
//! search view) in its worker pool, and both hand the values back to the same summary.

use super::SearchError;
use crate::network::RunConfig;
use serde::Serialize;

/// The most seeds per change (a page or command line asking for more is refused).
pub const MAX_SEEDS: u64 = 100;

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
    // A change whose runs failed (NaN) counts as the most harmful.
    let key = |d: f64| if d.is_nan() { f64::NEG_INFINITY } else { d };
    let mut order = zero_deltas.to_vec();
    crate::order::sort_by(&mut order, |a, b| {
        key(b.1).total_cmp(&key(a.1)).then(a.0.cmp(&b.0))
    });
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

/// A sensitivity analysis of one goal: its runs and, from their validation accuracies,
/// the report.
#[derive(Clone, Debug)]
pub struct Plan {
    base: RunConfig,
    gamma: Vec<f64>,
    names: Vec<String>,
    seeds: Vec<u64>,
}

/// The unchanged goal's runs.
#[derive(Clone, Debug, Serialize)]
pub struct Baseline {
    pub gamma: Vec<f64>,
    pub seeds: Vec<u64>,
    pub values: Vec<f64>,
    pub mean: f64,
    pub std: f64,
    pub epochs: usize,
}

/// One term under one change: the accuracy changes, seed by seed, against the baseline.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub term: usize,
    pub name: String,
    pub gamma: f64,
    pub change: &'static str,
    pub delta_mean: f64,
    pub delta_std: f64,
    pub deltas: Vec<f64>,
}

/// The single changes' report.
#[derive(Clone, Debug, Serialize)]
pub struct Singles {
    pub baseline: Baseline,
    /// Term by term, each with the five changes in [`Change::ALL`]'s order.
    pub rows: Vec<Row>,
    /// The order "cumulative zero" removes the terms in: least harmful first.
    pub zero_order: Vec<usize>,
}

/// The first `cumulative` terms of the zero order set to 0.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    pub cumulative: usize,
    pub zeroed: Vec<usize>,
    pub values: Vec<f64>,
    pub mean: f64,
    pub std: f64,
}

impl Plan {
    /// The analysis of `base`'s hidden goal over the seeds `first_seed ..
    /// first_seed + seeds` (each sets the data, init and sampling seeds).
    pub fn new(base: RunConfig, first_seed: u64, seeds: u64) -> Result<Plan, SearchError> {
        if seeds == 0 || seeds > MAX_SEEDS {
            return Err(SearchError::Spec(format!(
                "seeds must be at least 1 and at most {MAX_SEEDS} (got {seeds})"
            )));
        }
        if base.epochs == 0 {
            return Err(SearchError::Spec("epochs must be at least 1".into()));
        }
        let gamma = base
            .hidden_gamma()
            .map_err(|e| SearchError::Config(e.to_string()))?
            .ok_or_else(|| {
                SearchError::Config(format!(
                    "the {} model has no hidden goal",
                    base.model.name()
                ))
            })?;
        let names = base
            .model
            .goal_family()
            .expect("a hidden goal has a family")
            .term_display_names();
        let seeds = (first_seed..first_seed + seeds).collect();
        Ok(Plan {
            base,
            gamma,
            names,
            seeds,
        })
    }

    pub fn gamma(&self) -> &[f64] {
        &self.gamma
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn seeds(&self) -> &[u64] {
        &self.seeds
    }

    pub fn base(&self) -> &RunConfig {
        &self.base
    }

    fn config(&self, gamma: &[f64], seed: u64) -> RunConfig {
        let mut c = self.base.clone();
        c.gamma = Some(gamma.to_vec());
        (c.data_seed, c.init_seed, c.sample_seed) = (seed, seed, seed);
        c
    }

    fn for_seeds(&self, gamma: &[f64]) -> impl Iterator<Item = RunConfig> + '_ {
        let gamma = gamma.to_vec();
        self.seeds.iter().map(move |&s| self.config(&gamma, s))
    }

    /// The baseline's runs, then each term's five changes, each over the seeds.
    pub fn single_runs(&self) -> Vec<RunConfig> {
        let mut runs: Vec<RunConfig> = self.for_seeds(&self.gamma).collect();
        for (_, _, g) in single_changes(&self.gamma) {
            runs.extend(self.for_seeds(&g));
        }
        runs
    }

    /// The report of [`Plan::single_runs`]' validation accuracies (in their order; NaN
    /// for a failed run, which makes its means NaN).
    pub fn singles(&self, values: &[f64]) -> Result<Singles, SearchError> {
        let k = self.seeds.len();
        let expected = k * (1 + self.gamma.len() * Change::ALL.len());
        if values.len() != expected {
            return Err(SearchError::Spec(format!(
                "{} values for {expected} runs",
                values.len()
            )));
        }
        let base_values = values[..k].to_vec();
        let (mean, std) = mean_std(&base_values);
        let mut rows = Vec::new();
        let mut zero_deltas = Vec::new();
        for (i, name) in self.names.iter().enumerate() {
            for (j, change) in Change::ALL.iter().enumerate() {
                let at = k * (1 + i * Change::ALL.len() + j);
                let deltas: Vec<f64> = values[at..at + k]
                    .iter()
                    .zip(&base_values)
                    .map(|(v, b)| v - b)
                    .collect();
                let (delta_mean, delta_std) = mean_std(&deltas);
                if *change == Change::Zero {
                    zero_deltas.push((i, delta_mean));
                }
                rows.push(Row {
                    term: i,
                    name: name.clone(),
                    gamma: self.gamma[i],
                    change: change.label(),
                    delta_mean,
                    delta_std,
                    deltas,
                });
            }
        }
        Ok(Singles {
            baseline: Baseline {
                gamma: self.gamma.clone(),
                seeds: self.seeds.clone(),
                values: base_values,
                mean,
                std,
                epochs: self.base.epochs,
            },
            rows,
            zero_order: zero_order(&zero_deltas),
        })
    }

    /// The runs of "cumulative zero": 1, 2, … terms of `order` set to 0, each over the seeds.
    pub fn cumulative_runs(&self, order: &[usize]) -> Vec<RunConfig> {
        (1..=order.len())
            .flat_map(|n| {
                self.for_seeds(&zeroed(&self.gamma, order, n))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// The report of [`Plan::cumulative_runs`]' validation accuracies.
    pub fn cumulative(&self, order: &[usize], values: &[f64]) -> Result<Vec<Step>, SearchError> {
        let k = self.seeds.len();
        if values.len() != k * order.len() {
            return Err(SearchError::Spec(format!(
                "{} values for {} runs",
                values.len(),
                k * order.len()
            )));
        }
        Ok((1..=order.len())
            .map(|n| {
                let v = values[(n - 1) * k..n * k].to_vec();
                let (mean, std) = mean_std(&v);
                Step {
                    cumulative: n,
                    zeroed: order[..n].to_vec(),
                    values: v,
                    mean,
                    std,
                }
            })
            .collect())
    }
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

    #[test]
    fn a_plan_runs_each_change_over_the_seeds_and_reports_in_that_order() {
        let mut base =
            RunConfig::from_json(r#"{"task":"and","model":"context","epochs":1}"#).unwrap();
        base.gamma = Some(vec![0.5, 0.0, 1.0, 0.0, 0.0]);
        let plan = Plan::new(base.clone(), 3, 2).unwrap();
        let runs = plan.single_runs();
        assert_eq!(runs.len(), 2 * (1 + 5 * 5));
        assert_eq!(
            (runs[0].data_seed, runs[1].init_seed, runs[1].sample_seed),
            (3, 4, 4)
        );
        // term 0 +10 % for seeds 3 and 4, then term 0 −10 %
        assert_eq!(runs[2].gamma.as_ref().unwrap()[0], 0.5 * 1.1);
        assert_eq!(runs[4].gamma.as_ref().unwrap()[0], 0.5 * 0.9);
        // values: baseline 0.5/0.7; every change +0.1 except zeroing term 2 (−0.4) and a failed run
        let mut values = vec![0.5, 0.7];
        for t in 0..5 {
            for c in Change::ALL {
                let d = if (t, c) == (2, Change::Zero) {
                    -0.4
                } else {
                    0.1
                };
                values.extend([0.5 + d, 0.7 + d]);
            }
        }
        values[2 + 2 * (5 * 4 + 1)] = f64::NAN; // term 4, −10 %, seed 3
        let r = plan.singles(&values).unwrap();
        assert_eq!((r.baseline.mean, r.rows.len()), (0.6, 25));
        assert!((r.rows[14].delta_mean + 0.4).abs() < 1e-12 && r.rows[14].change == "0");
        assert!(r.rows[21].delta_mean.is_nan());
        assert_eq!(r.zero_order.last(), Some(&2));
        assert!(plan.singles(&values[1..]).is_err());
        let order = r.zero_order.clone();
        assert_eq!(plan.cumulative_runs(&order).len(), 10);
        let steps = plan.cumulative(&order, &[0.1; 10]).unwrap();
        assert_eq!(steps[4].zeroed, order);
        // no seeds, or a model without a hidden goal: refused
        assert!(Plan::new(base.clone(), 0, 0).is_err());
        let readout = RunConfig::from_json(r#"{"task":"and","model":"readout"}"#).unwrap();
        assert!(Plan::new(readout, 0, 1)
            .unwrap_err()
            .to_string()
            .contains("no hidden goal"));
    }
}
