//! The published table reproduced (`infomorph reproduce`): every run of the table's cells
//! (model and goal × hidden size N × seed), kept as run files so that a rerun skips
//! what is done, and the results as a Markdown table, a CSV and a figure (SVG, PNG).
//!
//! The published values are in [`published`]; [`Plan`] lists the runs; [`run_all`] runs
//! the missing ones, `jobs` at a time, each on its own share of the cores, through the
//! one training driver (`network::run::Trainer` on an `engine::Engine`); [`table_md`],
//! [`table_csv`] and [`figure_svg`] summarise run results.

pub mod published;
#[cfg(not(target_arch = "wasm32"))]
mod runner;
mod table;

pub use published::{row_by_id, Row, ROWS, SIZES};
#[cfg(not(target_arch = "wasm32"))]
pub use runner::{read_finished, run_all, run_one, svg_to_png, Observer, TaskSource};
pub use table::{figure_svg, summarise, table_csv, table_md, Cell};

use crate::network::config::{HiddenBinning, RunConfig};

/// What to reproduce: which rows, which hidden sizes, how many seeds, on which task.
#[derive(Clone, Debug)]
pub struct Plan {
    /// `mnist` for the published table; any other task has no published reference.
    pub task: String,
    pub rows: Vec<&'static Row>,
    pub sizes: Vec<usize>,
    /// Seeds 0..seeds; a run's data, init and sampling seeds are all its seed.
    pub seeds: u64,
    pub epochs: usize,
    /// Evaluate every `eval_every`-th epoch and the last one (the table reads the last
    /// epoch's test accuracy; [`crate::network::run::Evaluate`]).
    pub eval_every: usize,
    /// The hidden layer's binning for every run, when not each model's own (a variant
    /// of the table: docs/results/reproduce-mnist-n10-100-3seeds/table.md).
    pub hidden_binning: Option<HiddenBinning>,
}

/// One run: a row at a hidden size (none for a row where N does not matter) with a seed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RunSpec {
    pub row: &'static Row,
    pub n: Option<usize>,
    pub seed: u64,
}

impl RunSpec {
    /// "context-heuristic N=100 seed 2".
    pub fn describe(&self) -> String {
        match self.n {
            Some(n) => format!("{} N={n} seed {}", self.row.id, self.seed),
            None => format!("{} seed {}", self.row.id, self.seed),
        }
    }
}

impl Plan {
    /// The published values apply only to full MNIST.
    pub fn has_reference(&self) -> bool {
        self.task == "mnist"
    }

    /// Every run, seed after seed (so a first pass gives a whole one-seed table and only
    /// one or two data splits are in memory at a time), then by N, then by row.
    pub fn runs(&self) -> Vec<RunSpec> {
        let mut runs = Vec::new();
        for seed in 0..self.seeds {
            let mut any_n_done = false;
            for &n in &self.sizes {
                for &row in &self.rows {
                    if row.any_n {
                        if !any_n_done {
                            runs.push(RunSpec { row, n: None, seed });
                        }
                    } else {
                        runs.push(RunSpec {
                            row,
                            n: Some(n),
                            seed,
                        });
                    }
                }
                any_n_done = true;
            }
        }
        runs
    }

    /// The run's configuration: the paper's defaults (`RunConfig::default`) with the
    /// row's model and goal, the hidden size, the epochs, the task and the seed.
    pub fn config(&self, spec: &RunSpec) -> RunConfig {
        RunConfig {
            task: self.task.clone(),
            model: spec.row.model,
            goal: spec.row.goal.into(),
            hidden: spec.n.unwrap_or(0),
            epochs: self.epochs,
            data_seed: spec.seed,
            init_seed: spec.seed,
            sample_seed: spec.seed,
            hidden_binning: self.hidden_binning,
            ..RunConfig::default()
        }
    }

    /// The run's file name in the output folder's `runs/`: task, epochs, row, N, seed
    /// and a chosen hidden binning, so runs of other plans in the same folder never
    /// collide.
    pub fn file_name(&self, spec: &RunSpec) -> String {
        let n = spec.n.map_or("any".to_string(), |n| n.to_string());
        let binning = self
            .hidden_binning
            .map_or(String::new(), |b| format!("_binning-{}", b.name()));
        format!(
            "{}_e{}_{}_n{n}_s{}{binning}.json",
            self.task, self.epochs, spec.row.id, spec.seed
        )
    }
}

/// What a finished run contributes to the table.
#[derive(Clone, Debug, PartialEq)]
pub struct RunResult {
    /// Test accuracy after the last epoch, in [0, 1] (NaN if the run stopped early).
    pub test_accuracy: f64,
    /// Training time summed over the epochs (the epochs' `seconds`), in seconds.
    pub seconds: f64,
    /// The whole run's time (engine, training, every epoch's evaluation, the run file),
    /// for a run done now; `None` for one read back from its file.
    pub wall_seconds: Option<f64>,
    /// Why the run stopped early, if it did.
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::config::ModelKind;

    #[test]
    fn runs_go_seed_by_seed_with_readout_once_per_seed() {
        let plan = Plan {
            task: "mnist".into(),
            rows: vec![row_by_id("readout").unwrap(), &ROWS[0]],
            sizes: vec![10, 100],
            seeds: 2,
            epochs: 3,
            eval_every: 1,
            hidden_binning: None,
        };
        let runs = plan.runs();
        let described: Vec<String> = runs.iter().map(RunSpec::describe).collect();
        assert_eq!(
            described,
            [
                "readout seed 0",
                "lateral-heuristic N=10 seed 0",
                "lateral-heuristic N=100 seed 0",
                "readout seed 1",
                "lateral-heuristic N=10 seed 1",
                "lateral-heuristic N=100 seed 1",
            ]
        );
        assert_eq!(
            plan.file_name(&runs[2]),
            "mnist_e3_lateral-heuristic_n100_s0.json"
        );
        assert_eq!(plan.file_name(&runs[3]), "mnist_e3_readout_nany_s1.json");
        let c = plan.config(&runs[5]);
        assert_eq!(
            (c.model, c.goal.as_str(), c.hidden),
            (ModelKind::Lateral, "heuristic", 100)
        );
        assert_eq!(
            (c.epochs, c.data_seed, c.init_seed, c.sample_seed),
            (3, 1, 1, 1)
        );
        c.validate().unwrap();
        plan.config(&runs[0]).validate().unwrap();
        assert!(plan.has_reference());
    }
}
