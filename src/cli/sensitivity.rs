//! `infomorph sensitivity`: which terms of a goal matter (docs/method.md §8), as in
//! the paper's sensitivity figure: every γ_i changed by ±10 %, by ±0.1 and set to 0,
//! the change of validation accuracy over `--seeds` seeds; `--cumulative` then sets
//! the terms to 0 one after another, least important first.

use super::train::{load_task, preference, resolve, RunArgs};
use crate::network::config::RunConfig;
use crate::search::sensitivity::{Change, Plan};
use crate::search::{self, Objective};
use crate::tasks::TaskData;
use clap::Args;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Args)]
pub struct SensitivityArgs {
    #[command(flatten)]
    run: RunArgs,
    /// Epochs of every run.
    #[arg(long, default_value_t = 20)]
    epochs: usize,
    #[arg(long)]
    task: Option<String>,
    /// Directory with the four standard MNIST IDX files.
    #[arg(long)]
    idx: Option<PathBuf>,
    /// Seeds per change (seeds --seed, --seed + 1, …; each sets the data, init and
    /// sampling seeds).
    #[arg(long, default_value_t = 3)]
    seeds: u64,
    /// Runs at once.
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// Then set the terms to 0 one after another, least important first.
    #[arg(long)]
    cumulative: bool,
    /// JSON lines instead of a table.
    #[arg(long)]
    json: bool,
}

/// The task of each seed: every seed's runs see the data that seed makes (its split and
/// shuffle), as the page's runs do.
struct Tasks {
    by_seed: BTreeMap<u64, Arc<TaskData>>,
}

impl Tasks {
    fn load(plan: &Plan, idx: Option<&PathBuf>) -> Result<Tasks, String> {
        let mut by_seed = BTreeMap::new();
        for &seed in plan.seeds() {
            let mut c = plan.base().clone();
            c.data_seed = seed;
            by_seed.insert(seed, Arc::new(load_task(&c, idx)?));
        }
        Ok(Tasks { by_seed })
    }

    fn first(&self) -> &Arc<TaskData> {
        self.by_seed.values().next().expect("at least one seed")
    }

    /// Runs every config on its seed's task and returns the validation accuracies
    /// (NaN for a failed run), in the order of `configs`.
    fn run_all(
        &self,
        configs: &[RunConfig],
        pref: crate::engine::EnginePreference,
        jobs: usize,
        bar: &indicatif::ProgressBar,
    ) -> Vec<f64> {
        let mut values = vec![f64::NAN; configs.len()];
        for (seed, task) in &self.by_seed {
            let at: Vec<usize> = (0..configs.len())
                .filter(|&i| configs[i].data_seed == *seed)
                .collect();
            let group: Vec<RunConfig> = at.iter().map(|&i| configs[i].clone()).collect();
            let _ = search::run_trials(
                &group,
                task,
                Objective::ValAccuracy,
                pref,
                jobs,
                |i, outcome| {
                    match outcome.value {
                        Ok(v) => values[at[i]] = v,
                        Err(e) => bar.println(format!("a run failed: {e}")),
                    }
                    bar.inc(1);
                    Ok::<(), ()>(())
                },
            );
        }
        values
    }
}

pub fn run_sensitivity(args: SensitivityArgs) -> Result<(), String> {
    if args.jobs == 0 {
        return Err("--jobs must be at least 1".into());
    }
    let mut base = resolve(&args.run)?;
    base.epochs = args.epochs;
    if let Some(t) = &args.task {
        base.task = t.clone();
    }
    if args.idx.is_some() {
        base.task = "mnist".into();
    }
    let plan = Plan::new(base, args.run.seed().unwrap_or(0), args.seeds)?;
    let base = plan.base();
    let tasks = Tasks::load(&plan, args.idx.as_ref())?;
    Objective::ValAccuracy.check_task(tasks.first())?;
    let pref = search::trial_engine(base, tasks.first().clone(), preference(&args.run)?)?;
    let n_terms = plan.gamma().len();
    let k = plan.seeds().len();
    let singles = plan.single_runs();
    let total = singles.len() + if args.cumulative { n_terms * k } else { 0 };
    let bar = if args.json {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new(total as u64)
    };
    let report = plan.singles(&tasks.run_all(&singles, pref, args.jobs, &bar))?;
    bar.suspend(|| {
        if args.json {
            println!("{}", json!({ "baseline": report.baseline }));
            for row in &report.rows {
                println!("{}", json!(row));
            }
            return;
        }
        let b = &report.baseline;
        println!(
            "{} {} ({} epochs, {k} seeds): validation accuracy {:.4} ± {:.4}",
            base.model.name(),
            base.task,
            b.epochs,
            b.mean,
            b.std
        );
        println!("Δ validation accuracy (mean ± std over seeds), per term and change:");
        let head: Vec<String> = Change::ALL
            .iter()
            .map(|c| format!("{:>16}", c.label()))
            .collect();
        println!("{:>4} {:>10} {:>8} {}", "term", "name", "γ", head.join(""));
        for term in report.rows.chunks(Change::ALL.len()) {
            let cells: Vec<String> = term
                .iter()
                .map(|r| format!("{:>+8.4}±{:<7.4}", r.delta_mean, r.delta_std))
                .collect();
            let r = &term[0];
            println!(
                "{:>4} {:>10} {:>+8.4} {}",
                r.term,
                r.name,
                r.gamma,
                cells.join("")
            );
        }
    });
    if args.cumulative {
        let order = &report.zero_order;
        let runs = plan.cumulative_runs(order);
        let steps = plan.cumulative(order, &tasks.run_all(&runs, pref, args.jobs, &bar))?;
        bar.suspend(|| {
            if !args.json {
                println!("cumulative zero (least important first):");
            }
            for step in &steps {
                if args.json {
                    println!("{}", json!(step));
                } else {
                    println!(
                        "{:>3} zeroed (last {:>10}): {:.4} ± {:.4}",
                        step.cumulative,
                        plan.names()[*step.zeroed.last().expect("at least one")],
                        step.mean,
                        step.std
                    );
                }
            }
        });
    }
    bar.finish_and_clear();
    Ok(())
}
