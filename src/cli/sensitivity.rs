//! `infomorph sensitivity`: which terms of a goal matter (docs/method.md §8), as in
//! the paper's sensitivity figure: every γ_i changed by ±10 %, by ±0.1 and set to 0,
//! the change of validation accuracy over `--seeds` seeds; `--cumulative` then sets
//! the terms to 0 one after another, least important first.

use super::train::{load_task, preference, resolve, RunArgs};
use crate::network::config::RunConfig;
use crate::search::sensitivity::{self, Change};
use crate::search::{self, Objective};
use clap::Args;
use serde_json::json;
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

/// Runs every config and returns the validation accuracies (NaN for a failed run).
fn run_all(
    configs: &[RunConfig],
    task: &Arc<crate::tasks::TaskData>,
    pref: crate::engine::EnginePreference,
    jobs: usize,
    bar: &indicatif::ProgressBar,
) -> Vec<f64> {
    let mut values = vec![f64::NAN; configs.len()];
    let _ = search::run_trials(
        configs,
        task,
        Objective::ValAccuracy,
        pref,
        jobs,
        |i, outcome| {
            match outcome.value {
                Ok(v) => values[i] = v,
                Err(e) => bar.println(format!("a run failed: {e}")),
            }
            bar.inc(1);
            Ok::<(), ()>(())
        },
    );
    values
}

pub fn run_sensitivity(args: SensitivityArgs) -> Result<(), String> {
    if args.seeds == 0 || args.jobs == 0 || args.epochs == 0 {
        return Err("--seeds, --jobs and --epochs must be at least 1".into());
    }
    let mut base = resolve(&args.run)?;
    base.epochs = args.epochs;
    if let Some(t) = &args.task {
        base.task = t.clone();
    }
    if args.idx.is_some() {
        base.task = "mnist".into();
    }
    let gamma = base
        .hidden_gamma()
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("the {} model has no hidden goal", base.model.name()))?;
    let family = base
        .model
        .goal_family()
        .expect("a hidden goal has a family");
    let names = family.term_display_names();
    let task = Arc::new(load_task(&base, args.idx.as_ref())?);
    Objective::ValAccuracy.check_task(&task)?;
    let pref = search::trial_engine(&base, task.clone(), preference(&args.run)?)?;
    let first = args.run.seed().unwrap_or(0);
    let seeds: Vec<u64> = (first..first + args.seeds).collect();
    let with = |g: &[f64], seed: u64| {
        let mut c = base.clone();
        c.gamma = Some(g.to_vec());
        (c.data_seed, c.init_seed, c.sample_seed) = (seed, seed, seed);
        c
    };
    let changes = sensitivity::single_changes(&gamma);
    let mut configs: Vec<RunConfig> = seeds.iter().map(|&s| with(&gamma, s)).collect();
    for (_, _, g) in &changes {
        configs.extend(seeds.iter().map(|&s| with(g, s)));
    }
    let total = configs.len()
        + if args.cumulative {
            gamma.len() * seeds.len()
        } else {
            0
        };
    let bar = if args.json {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new(total as u64)
    };
    let values = run_all(&configs, &task, pref, args.jobs, &bar);
    let k = seeds.len();
    let baseline = values[..k].to_vec();
    let (base_mean, base_std) = sensitivity::mean_std(&baseline);
    bar.suspend(|| {
        if args.json {
            println!(
                "{}",
                json!({"baseline": {"gamma": gamma, "seeds": seeds, "values": baseline,
                    "mean": base_mean, "std": base_std, "epochs": args.epochs}})
            );
        } else {
            println!(
                "{} {} ({} epochs, {} seeds): validation accuracy {base_mean:.4} ± {base_std:.4}",
                base.model.name(),
                base.task,
                args.epochs,
                k
            );
            println!("Δ validation accuracy (mean ± std over seeds), per term and change:");
            let head: Vec<String> = Change::ALL
                .iter()
                .map(|c| format!("{:>16}", c.label()))
                .collect();
            println!("{:>4} {:>10} {:>8} {}", "term", "name", "γ", head.join(""));
        }
    });
    let mut zero_deltas = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let mut cells = Vec::new();
        for (j, change) in Change::ALL.iter().enumerate() {
            let at = k * (1 + i * Change::ALL.len() + j);
            let deltas: Vec<f64> = values[at..at + k]
                .iter()
                .zip(&baseline)
                .map(|(v, b)| v - b)
                .collect();
            let (mean, std) = sensitivity::mean_std(&deltas);
            if *change == Change::Zero {
                zero_deltas.push((i, mean));
            }
            if args.json {
                println!(
                    "{}",
                    json!({"term": i, "name": name, "gamma": gamma[i], "change": change.label(),
                        "delta_mean": mean, "delta_std": std, "deltas": deltas})
                );
            } else {
                cells.push(format!("{:>+8.4}±{:<7.4}", mean, std));
            }
        }
        if !args.json {
            bar.suspend(|| println!("{i:>4} {name:>10} {:>+8.4} {}", gamma[i], cells.join("")));
        }
    }
    if args.cumulative {
        let order = sensitivity::zero_order(&zero_deltas);
        let configs: Vec<RunConfig> = (1..=gamma.len())
            .flat_map(|n| {
                let g = sensitivity::zeroed(&gamma, &order, n);
                seeds
                    .iter()
                    .map(move |&s| (g.clone(), s))
                    .collect::<Vec<_>>()
            })
            .map(|(g, s)| with(&g, s))
            .collect();
        let values = run_all(&configs, &task, pref, args.jobs, &bar);
        if !args.json {
            bar.suspend(|| println!("cumulative zero (least important first):"));
        }
        for n in 1..=gamma.len() {
            let v = values[(n - 1) * k..n * k].to_vec();
            let (mean, std) = sensitivity::mean_std(&v);
            let zeroed: Vec<usize> = order[..n].to_vec();
            if args.json {
                println!(
                    "{}",
                    json!({"cumulative": n, "zeroed": zeroed, "values": v, "mean": mean, "std": std})
                );
            } else {
                bar.suspend(|| {
                    println!(
                        "{n:>3} zeroed (last {:>10}): {mean:.4} ± {std:.4}",
                        names[order[n - 1]]
                    )
                });
            }
        }
    }
    bar.finish_and_clear();
    Ok(())
}
