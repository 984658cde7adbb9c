//! `infomorph search`: a goal search on this machine (docs/method.md §8). Trials run
//! `--jobs` at a time, each a training run through the one driver; `--study FILE`
//! keeps every finished trial as a JSON line, so a stopped search resumes where it
//! stopped and the page can continue it (and back).

use super::train::{load_task, preference, resolve, RunArgs};
use crate::search::{
    self, parse_terms, study, Objective, SamplerKind, Search, SearchSpec, Trial, TrialState,
};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Args)]
pub struct SearchArgs {
    #[command(flatten)]
    run: RunArgs,
    /// Epochs of each trial's run.
    #[arg(long)]
    epochs: Option<usize>,
    /// The task (as for train).
    #[arg(long)]
    task: Option<String>,
    /// Directory with the four standard MNIST IDX files.
    #[arg(long)]
    idx: Option<PathBuf>,
    /// The searched terms: all, atoms (all but H_res), or a comma-separated list of
    /// indices (paper order, from 0) and names such as (F)(C) or {1}{2}; the others keep
    /// --goal/--gamma.
    #[arg(long, default_value = "all")]
    terms: String,
    /// The range of every searched γ.
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true, default_values_t = [-1.0, 1.0])]
    range: Vec<f64>,
    /// The study's total number of trials (with --study, a rerun runs the missing ones).
    #[arg(long)]
    trials: Option<usize>,
    /// tpe (Optuna's default TPE, one Parzen estimator per term), tpe-multivariate (one joint estimator, as the paper's TPESampler(multivariate=True)), cmaes or random.
    #[arg(long, default_value = "tpe")]
    sampler: String,
    /// val_accuracy (the paper's), goal (the hidden layer's goal value) or specialisation (bars-like tasks: mean bits a neuron carries about its best cause, docs/method.md §9; native only).
    #[arg(long, default_value = "val_accuracy")]
    objective: String,
    /// Trials run at once (each asked with the same history, so the study does not
    /// depend on which finishes first).
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// The sampler's seed (default: --seed, else 0).
    #[arg(long)]
    sampler_seed: Option<u64>,
    /// TPE's random start-up trials (Optuna's default 10; the paper used 100).
    #[arg(long, default_value_t = 10)]
    startup: usize,
    /// TPE's expected-improvement candidates (Optuna's default 24; the paper used 100).
    #[arg(long, default_value_t = 24)]
    ei_candidates: usize,
    /// Keep the trials in this JSON-lines file and resume from it.
    #[arg(long)]
    study: Option<PathBuf>,
    /// One JSON line per finished trial, then {"best": …}.
    #[arg(long)]
    json: bool,
    /// Print the study in --study (trials and best) without running anything.
    #[arg(long)]
    report: bool,
    /// Go on with the search stored in --study (its header: model, task, terms,
    /// sampler, seed, …; e.g. a study exported by the page), up to --trials in all
    /// (default: its own total); the flags that define a search are not read.
    #[arg(long)]
    resume: bool,
    #[command(flatten)]
    optuna: super::optuna::OptunaArgs,
}

fn spec_of(args: &SearchArgs) -> Result<SearchSpec, String> {
    let mut config = resolve(&args.run)?;
    if let Some(e) = args.epochs {
        config.epochs = e;
    } else {
        config.epochs = 2;
    }
    if let Some(t) = &args.task {
        config.task = t.clone();
    }
    if args.idx.is_some() {
        config.task = "mnist".into();
    }
    let trials = match args.trials {
        Some(t) => t,
        // An Optuna study's report needs no count.
        None if args.report => 1,
        None => return Err("--trials is needed: the study's total number of trials".into()),
    };
    let mut spec = SearchSpec::new(config, trials)?;
    let family = spec
        .config
        .model
        .goal_family()
        .expect("SearchSpec::new checked the goal family");
    spec.terms = parse_terms(family, &args.terms)?;
    let [low, high] = args.range[..] else {
        return Err("--range takes two numbers, LOW,HIGH".into());
    };
    (spec.low, spec.high) = (low, high);
    spec.sampler = SamplerKind::from_name(&args.sampler)?;
    spec.objective = Objective::from_name(&args.objective)?;
    spec.seed = args.sampler_seed.or(args.run.seed()).unwrap_or(0);
    spec.startup = args.startup;
    spec.ei_candidates = args.ei_candidates;
    spec.space()?;
    Ok(spec)
}

fn read_study(path: &PathBuf) -> Result<Option<(SearchSpec, Vec<Trial>)>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => study::parse(&text)
            .map(Some)
            .map_err(|e| format!("study {}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// `infomorph search`.
pub fn run_search(args: SearchArgs) -> Result<(), String> {
    if let Some(storage) = &args.optuna.optuna_storage {
        return run_optuna(&args, storage);
    }
    if args.report {
        return report(&args);
    }
    if args.jobs == 0 {
        return Err("--jobs must be at least 1".into());
    }
    let stored = match &args.study {
        Some(path) => read_study(path)?,
        None => None,
    };
    let spec = if args.resume {
        let (stored_spec, _) = stored
            .as_ref()
            .ok_or("--resume needs an existing --study FILE")?;
        let mut spec = stored_spec.clone();
        spec.trials = args.trials.unwrap_or(spec.trials);
        spec.space()?;
        spec
    } else {
        spec_of(&args)?
    };
    let pref = preference(&args.run)?;
    let mut search = match &stored {
        Some((stored_spec, trials)) => Search::resume(spec.clone(), stored_spec, trials.clone())?,
        None => Search::new(spec.clone())?,
    };
    let task = Arc::new(load_task(&spec.config, args.idx.as_ref())?);
    spec.objective.check_task(&task)?;
    let pref = search::trial_engine(&spec.config, task.clone(), pref)?;
    let mut file = match &args.study {
        Some(path) => Some(open_study(path, &spec, stored.is_some())?),
        None => None,
    };
    if stored.is_some() && !search.replayed_exactly() && !args.json {
        eprintln!(
            "search: the stored trials are not the ones this sampler would ask; \
             they count as history, and the search goes on from them"
        );
    }
    if args.json {
        for t in search.trials() {
            println!("{}", study::trial_line(t));
        }
    }
    let bar = (!args.json).then(|| {
        let bar = indicatif::ProgressBar::new(spec.trials as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:30} trial {pos}/{len} {msg} [{elapsed_precise}<{eta_precise}]",
            )
            .expect("valid template"),
        );
        bar.set_position(search.trials().len() as u64);
        bar
    });
    loop {
        let batch = search.ask(args.jobs)?;
        if batch.is_empty() {
            break;
        }
        let configs: Vec<_> = batch.iter().map(|a| search.config_for(&a.gamma)).collect();
        search::run_trials(
            &configs,
            &task,
            spec.objective,
            pref,
            args.jobs,
            |i, outcome| {
                let t = search
                    .tell(batch[i].trial, outcome.value, outcome.seconds)?
                    .clone();
                if let Some(f) = &mut file {
                    writeln!(f, "{}", study::trial_line(&t))
                        .and_then(|_| f.flush())
                        .map_err(|e| format!("cannot write the study: {e}"))?;
                }
                if args.json {
                    println!("{}", study::trial_line(&t));
                } else if let Some(bar) = &bar {
                    if let (TrialState::Failed, Some(r)) = (t.state, &t.reason) {
                        bar.println(format!("trial {} failed: {r}", t.trial));
                    }
                    if let Some(b) = search.best() {
                        bar.set_message(format!("best {:.4} (trial {})", b.value, b.trial));
                    }
                    bar.inc(1);
                }
                Ok::<(), String>(())
            },
        )?;
    }
    if let Some(bar) = &bar {
        bar.finish();
    }
    print_best(&search, args.json);
    Ok(())
}

/// `--optuna-storage`: one worker of a shared Optuna study (src/cli/optuna.rs).
fn run_optuna(args: &SearchArgs, storage: &str) -> Result<(), String> {
    let name = args
        .optuna
        .study_name
        .as_deref()
        .ok_or("--optuna-storage needs --study-name NAME")?;
    if args.study.is_some() || args.resume {
        return Err(
            "--optuna-storage keeps the study in Optuna: leave out --study and --resume".into(),
        );
    }
    if args.jobs != 1 {
        return Err(
            "--optuna-storage runs one trial at a time: start more workers instead of --jobs"
                .into(),
        );
    }
    if !matches!(
        SamplerKind::from_name(&args.sampler)?,
        SamplerKind::Tpe | SamplerKind::TpeMultivariate
    ) {
        return Err("--optuna-storage samples with Optuna's TPE: leave out --sampler".into());
    }
    let spec = spec_of(args)?;
    if args.report {
        return super::optuna::report(&spec, storage, name);
    }
    let pref = preference(&args.run)?;
    // The storage is checked (and the study made) before any data is loaded.
    super::optuna::Optuna::new(storage, name).create_study()?;
    let task = Arc::new(load_task(&spec.config, args.idx.as_ref())?);
    spec.objective.check_task(&task)?;
    let pref = search::trial_engine(&spec.config, task.clone(), pref)?;
    super::optuna::run_worker(&spec, storage, name, task, pref, args.json)
}

/// Opens the study file for appending; a new one gets the header line first.
fn open_study(path: &PathBuf, spec: &SearchSpec, exists: bool) -> Result<std::fs::File, String> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    if !exists {
        writeln!(f, "{}", study::header_line(spec))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    } else {
        // A line cut short by a killed search is ended, so the next trial starts a line.
        let text =
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if text.last().is_some_and(|&b| b != b'\n') {
            writeln!(f).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
    }
    Ok(f)
}

fn print_best(search: &Search, json: bool) {
    let best = search.best();
    if json {
        println!("{}", serde_json::json!({ "best": best }));
        return;
    }
    let failed = search
        .trials()
        .iter()
        .filter(|t| t.state == TrialState::Failed)
        .count();
    match best {
        None => eprintln!("no trial completed ({failed} failed)"),
        Some(b) => {
            let names = search.space().names();
            let searched: Vec<String> = search
                .space()
                .terms()
                .iter()
                .zip(&names)
                .map(|(&t, n)| format!("{n} {:+.4}", b.gamma[t]))
                .collect();
            eprintln!(
                "best {} {:.4} at trial {} of {} ({failed} failed): {}",
                search.spec().objective.name(),
                b.value,
                b.trial,
                search.trials().len(),
                searched.join(", ")
            );
            let gamma: Vec<String> = b.gamma.iter().map(|g| format!("{g}")).collect();
            eprintln!(
                "train it: infomorph train --model {} --task {} --gamma={}",
                search.spec().config.model.name(),
                search.spec().config.task,
                gamma.join(",")
            );
        }
    }
}

/// `--report`: the stored study's trials and best.
fn report(args: &SearchArgs) -> Result<(), String> {
    let path = args.study.as_ref().ok_or("--report needs --study FILE")?;
    let (spec, trials) =
        read_study(path)?.ok_or_else(|| format!("no study at {}", path.display()))?;
    let best = search::best_of(&trials);
    if args.json {
        for t in &trials {
            println!("{}", study::trial_line(t));
        }
        println!("{}", serde_json::json!({ "best": best }));
        return Ok(());
    }
    let complete = trials
        .iter()
        .filter(|t| t.state == TrialState::Complete)
        .count();
    println!(
        "{} on {} ({} {}, {} epochs a trial): {} of {} trials finished, {} complete",
        spec.sampler.name(),
        spec.config.task,
        spec.config.model.name(),
        spec.objective.name(),
        spec.config.epochs,
        trials.len(),
        spec.trials,
        complete
    );
    if let Some(b) = best {
        let gamma: Vec<String> = b.gamma.iter().map(|g| format!("{g:.4}")).collect();
        println!(
            "best {:.4} at trial {}: γ = {}",
            b.value,
            b.trial,
            gamma.join(", ")
        );
    }
    Ok(())
}
