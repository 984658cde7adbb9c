//! `infomorph train` and `infomorph bench`: headless runs of the GPU (wgpu) engine when
//! an adapter exists, else of the CPU engine; `--engine` forces either.

use crate::engine::{Engine, EngineKind, EnginePreference};
use crate::network::code::{self, Code};
use crate::network::export::RunFile;
use crate::network::model::{HiddenBinning, ModelKind, RunConfig};
use crate::network::run::Trainer;
use crate::tasks::{self, TaskData};
use clap::Args;
use std::path::PathBuf;

/// Options shared by train and bench; each one given overrides the config file.
#[derive(Args, Clone, Default)]
pub struct RunArgs {
    /// context, lateral, trivariate, trivariate-sparse, random-projection, readout.
    #[arg(long)]
    model: Option<String>,
    /// Hidden goal preset (heuristic, optimized, optimized-alt, four-term).
    #[arg(long)]
    goal: Option<String>,
    /// Custom hidden γ in term order (comma separated); overrides --goal.
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    gamma: Option<Vec<f64>>,
    #[arg(long)]
    hidden: Option<usize>,
    #[arg(long)]
    batch: Option<usize>,
    #[arg(long)]
    bins: Option<usize>,
    /// The hidden layer's binning, fixed ([−20, 20]) or max-abs (per batch and neuron);
    /// default: the model's own (trivariate fixed, bivariate max-abs).
    #[arg(long, value_parser = HiddenBinning::from_name)]
    hidden_binning: Option<HiddenBinning>,
    /// Sets the data, init and sampling seeds at once.
    #[arg(long)]
    seed: Option<u64>,
    #[arg(long)]
    data_seed: Option<u64>,
    #[arg(long)]
    init_seed: Option<u64>,
    #[arg(long)]
    sample_seed: Option<u64>,
    /// A run configuration (the JSON schema of run files and page URLs).
    #[arg(long)]
    config: Option<PathBuf>,
    /// gpu (wgpu: Vulkan, Metal, DX12 or GL) or cpu; default: gpu when an adapter with
    /// compute shaders exists and the model runs there, else cpu.
    #[arg(long)]
    engine: Option<String>,
}

impl RunArgs {
    /// `--seed`, which seeds a search's sampler as well as the runs.
    pub(super) fn seed(&self) -> Option<u64> {
        self.seed
    }
}

pub(super) fn preference(args: &RunArgs) -> Result<EnginePreference, String> {
    match &args.engine {
        None => Ok(EnginePreference::Auto),
        Some(name) => EnginePreference::from_name(name),
    }
}

#[derive(Args)]
pub struct TrainArgs {
    #[command(flatten)]
    run: RunArgs,
    #[arg(long)]
    epochs: Option<usize>,
    /// mnist10k (embedded), mnist or fashion-mnist (installed by `bash scripts/setup.sh
    /// data`; mnist also from --idx), digits8 or a toy task.
    #[arg(long)]
    task: Option<String>,
    /// Directory with the four standard MNIST IDX files.
    #[arg(long)]
    idx: Option<PathBuf>,
    /// One JSON object per epoch on stdout instead of a progress bar.
    #[arg(long)]
    json: bool,
    /// Evaluate every K-th epoch and the last one (the others report no accuracy); the
    /// weights are the same for any K.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    eval_every: u64,
    /// Write the whole run (config, metrics, per-neuron atoms, weights) to this file.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Args)]
pub struct BenchArgs {
    #[command(flatten)]
    run: RunArgs,
    /// Timed training steps (after 3 warm-up steps).
    #[arg(long, default_value_t = 20)]
    steps: usize,
    /// Train on this task's training images (e.g. mnist10k, mnist: the published table's
    /// step) instead of random MNIST-shaped data.
    #[arg(long)]
    task: Option<String>,
    #[arg(long)]
    json: bool,
}

pub(super) fn resolve(args: &RunArgs) -> Result<RunConfig, String> {
    let mut c = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            RunConfig::from_json(&text)
                .map_err(|e| format!("invalid config {}: {e}", path.display()))?
        }
        None => RunConfig::default(),
    };
    if let Some(m) = &args.model {
        c.model = ModelKind::from_name(m)?;
    }
    if let Some(g) = &args.goal {
        c.goal = g.clone();
        c.gamma = None;
    }
    if let Some(g) = &args.gamma {
        c.gamma = Some(g.clone());
    }
    if let Some(v) = args.hidden {
        c.hidden = v;
    }
    if let Some(v) = args.batch {
        c.batch = v;
    }
    if let Some(v) = args.bins {
        c.bins = v;
    }
    if let Some(b) = args.hidden_binning {
        c.hidden_binning = Some(b);
    }
    if let Some(s) = args.seed {
        (c.data_seed, c.init_seed, c.sample_seed) = (s, s, s);
    }
    c.data_seed = args.data_seed.unwrap_or(c.data_seed);
    c.init_seed = args.init_seed.unwrap_or(c.init_seed);
    c.sample_seed = args.sample_seed.unwrap_or(c.sample_seed);
    c.validate()?;
    Ok(c)
}

pub(super) fn load_task(config: &RunConfig, idx: Option<&PathBuf>) -> Result<TaskData, String> {
    tasks::load(&config.task, idx.map(|p| p.as_path()), config.data_seed)
}

pub fn run_train(args: TrainArgs) -> Result<(), String> {
    let mut config = resolve(&args.run)?;
    if let Some(e) = args.epochs {
        config.epochs = e;
    }
    if let Some(t) = &args.task {
        config.task = t.clone();
    }
    if args.idx.is_some() {
        config.task = "mnist".into();
    }
    let task = load_task(&config, args.idx.as_ref())?;
    let engine = pollster::block_on(Engine::new(&config, task, preference(&args.run)?))?;
    if !args.json {
        for n in engine.notices() {
            eprintln!("engine: {n}");
        }
    }
    let seen = engine.notices().len();
    let task = engine.shared_task();
    let mut trainer = Trainer::new(engine, task).evaluating_every(args.eval_every as usize);
    let bar = (!args.json).then(|| {
        let bar = indicatif::ProgressBar::new(config.epochs as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:30} epoch {pos}/{len} {msg} [{elapsed_precise}<{eta_precise}]",
            )
            .expect("valid template"),
        );
        bar
    });
    let init_code = code_now(&mut trainer);
    let mut error = None;
    for _ in 0..config.epochs {
        match pollster::block_on(trainer.run_epoch()) {
            Ok(m) => {
                let m = m.clone();
                let now = init_code.as_ref().and_then(|_| code_now(&mut trainer));
                if args.json {
                    let mut line = serde_json::to_value(&m).expect("finite metrics");
                    if let (Some(now), Some(init)) = (&now, &init_code) {
                        line["code"] = code_json(now, init);
                    }
                    println!("{line}");
                } else if let Some(bar) = &bar {
                    let code = match (&now, &init_code) {
                        (Some(now), Some(init)) => format!(
                            " · code {:.2} of {:.2} bits (init {:.2})",
                            now.bits, now.max_bits, init.bits
                        ),
                        _ => String::new(),
                    };
                    let accuracy = if m.val_accuracy.is_nan() && m.test_accuracy.is_nan() {
                        "not evaluated".to_string()
                    } else {
                        format!(
                            "train {:.3} val {:.3} test {:.3}",
                            m.train_accuracy, m.val_accuracy, m.test_accuracy
                        )
                    };
                    bar.set_message(format!(
                        "{accuracy} · {:.1} steps/s{code}",
                        m.steps_per_second
                    ));
                    bar.inc(1);
                }
            }
            Err(e) => {
                error = Some(e.to_string());
                break;
            }
        }
    }
    if let Some(bar) = &bar {
        bar.finish();
    }
    if !args.json {
        for n in &trainer.backend().notices()[seen..] {
            eprintln!("engine: {n}");
        }
    }
    let metrics = trainer.metrics().to_vec();
    if let Some(path) = &args.out {
        let net = pollster::block_on(trainer.backend_mut().network()).ok();
        let file = RunFile::new(&config, &metrics, error.clone(), net.as_ref());
        let text =
            serde_json::to_string(&file).map_err(|e| format!("cannot encode the run: {e}"))?;
        std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    if !args.json {
        if let Some(m) = metrics.last() {
            eprintln!(
                "epoch {}: train {:.4}, val {:.4}, test {:.4}",
                m.epoch, m.train_accuracy, m.val_accuracy, m.test_accuracy
            );
        }
    }
    match error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// The code read-out (method §9) of the driver's network now, for a task with known
/// causes (`None` otherwise).
fn code_now(trainer: &mut Trainer<Engine>) -> Option<Code> {
    if !crate::tasks::causes::has_causes(trainer.task()) {
        return None;
    }
    if let Some(net) = trainer.backend().cpu_network() {
        return code::readout(net, trainer.task());
    }
    let net = pollster::block_on(trainer.backend_mut().network()).ok()?;
    code::readout(&net, trainer.task())
}

/// A `train --json` line's `code`: the read-out now and its bits at initialisation.
fn code_json(now: &Code, init: &Code) -> serde_json::Value {
    let mut v = serde_json::to_value(now).expect("finite read-out");
    v["init_bits"] = init.bits.into();
    v
}

/// Batches in the synthetic training set of `bench` (so that queued GPU steps can run
/// several to an epoch).
const BENCH_BATCHES: usize = 8;

/// Random MNIST-shaped data (normal pixels), `BENCH_BATCHES` batches: `bench` without
/// `--task`.
fn random_task(config: &RunConfig) -> TaskData {
    let (dim, classes) = (784, 10);
    let rows = config.batch * BENCH_BATCHES;
    let mut rng = crate::rng::Stream::new(config.data_seed);
    let train_x: Vec<f32> = (0..rows * dim).map(|_| rng.normal() as f32).collect();
    let train_y: Vec<u8> = (0..rows).map(|_| rng.below(classes) as u8).collect();
    TaskData {
        name: "bench".into(),
        dim,
        classes,
        train_x,
        train_y,
        val_x: Vec::new(),
        val_y: Vec::new(),
        test_x: Vec::new(),
        test_y: Vec::new(),
        image: None,
    }
}

/// `infomorph bench`: times training steps through the driver (no evaluation): each
/// step alone (median, min), and on the GPU also `steps` steps queued back to back.
pub fn run_bench(args: BenchArgs) -> Result<(), String> {
    let mut config = resolve(&args.run)?;
    let task = match &args.task {
        Some(name) => {
            config.task = name.clone();
            load_task(&config, None)?
        }
        None => random_task(&config),
    };
    let data = task.name.clone();
    let engine = pollster::block_on(Engine::new(&config, task, preference(&args.run)?))?;
    if !args.json {
        for n in engine.notices() {
            eprintln!("engine: {n}");
        }
    }
    let task = engine.shared_task();
    let mut trainer = Trainer::new(engine, task).without_evaluation();
    let step = |trainer: &mut Trainer<Engine>, n: usize| -> Result<(), String> {
        let mut done = 0;
        while done < n {
            done += pollster::block_on(trainer.work(n - done)).steps;
            if let Some(e) = trainer.error() {
                return Err(e.to_string());
            }
        }
        Ok(trainer.backend_mut().wait()?)
    };
    step(&mut trainer, 3)?;
    let gpu = trainer.backend().kind() == EngineKind::Gpu;
    let profiling = std::env::var_os("INFOMORPH_PROFILE").is_some();
    if profiling && gpu {
        if let Some(g) = trainer.backend_mut().gpu_mut() {
            for (name, ms) in g.profile_step()? {
                eprintln!("profile {name:>20} {ms:9.3} ms");
            }
        }
    }
    crate::network::profile::enable(profiling && !gpu);
    let steps = args.steps.max(1);
    let mut times = Vec::with_capacity(steps);
    for _ in 0..steps {
        let start = std::time::Instant::now();
        step(&mut trainer, 1)?;
        times.push(start.elapsed().as_secs_f64() * 1e3);
    }
    if profiling && !gpu {
        crate::network::profile::enable(false);
        let total: f64 = times.iter().sum::<f64>() / steps as f64;
        for (name, ms, calls) in crate::network::profile::take() {
            let per = ms / steps as f64;
            eprintln!(
                "profile {name:>20} {per:9.3} ms per step ({:4.1} %, {:.0} calls)",
                100.0 * per / total,
                calls as f64 / steps as f64
            );
        }
        eprintln!("profile {:>20} {total:9.3} ms per step", "total (mean)");
    }
    let queued = if gpu {
        let start = std::time::Instant::now();
        step(&mut trainer, steps)?;
        Some(start.elapsed().as_secs_f64() * 1e3 / steps as f64)
    } else {
        None
    };
    let engine = trainer.backend();
    if gpu && engine.kind() != EngineKind::Gpu {
        return Err(engine
            .notices()
            .last()
            .map(|n| n.to_string())
            .unwrap_or_default());
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let min = times[0];
    let adapter = engine.adapter_info().unwrap_or("").to_string();
    let name = engine.engine_name();
    if args.json {
        let mut j = serde_json::json!({"engine": name, "model": config.model.name(),
            "task": data, "hidden": config.hidden, "batch": config.batch, "steps": times.len(),
            "median_ms": median, "min_ms": min});
        if let Some(q) = queued {
            j["adapter"] = adapter.into();
            j["queued_ms_per_step"] = q.into();
        }
        println!("{j}");
    } else {
        let on = if gpu {
            format!(" on gpu ({adapter})")
        } else {
            String::new()
        };
        let queued = queued.map_or(String::new(), |q| {
            format!("; {q:.2} ms per step when {steps} are queued at once")
        });
        println!(
            "{} hidden {} batch {}{on}: median {median:.2} ms per training step \
             (min {min:.2}, {} steps{queued})",
            config.model.name(),
            config.hidden,
            config.batch,
            times.len()
        );
    }
    Ok(())
}

#[derive(Args)]
pub struct NeuronArgs {
    /// A two-bit task: and, or, xor, copy, rdn.
    #[arg(long, default_value = "xor")]
    task: String,
    /// γ in bivariate order: unique F, unique C, shared, synergy, H_res.
    #[arg(
        long,
        value_delimiter = ',',
        allow_hyphen_values = true,
        default_value = "0,0,0,1,0"
    )]
    gamma: Vec<f64>,
    #[arg(long, default_value_t = 60)]
    epochs: usize,
    #[arg(long, default_value_t = 256)]
    batch: usize,
    #[arg(long, default_value_t = 0.02)]
    lr: f64,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[arg(long)]
    json: bool,
}

/// `infomorph neuron`: one neuron, two input bits, the PID of what it learns to output.
pub fn run_neuron(args: NeuronArgs) -> Result<(), String> {
    let gate = tasks::toy::Gate::from_name(&args.task).ok_or_else(|| {
        format!(
            "unknown two-bit task '{}' (known: and, or, xor, copy, rdn)",
            args.task
        )
    })?;
    if args.epochs == 0 || args.batch == 0 || !(args.lr.is_finite() && args.lr >= 0.0) {
        return Err("epochs and batch must be at least 1 and lr a finite number ≥ 0".into());
    }
    let task = tasks::toy::gate(gate, tasks::toy::Sizes::default(), args.seed);
    let report = crate::network::neuron::train_gate_neuron(
        &task,
        &args.gamma,
        args.epochs,
        args.batch,
        args.lr,
        args.seed,
    )?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&report).map_err(|e| e.to_string())?
        );
    } else {
        for (name, atom) in report.names.iter().zip(&report.atoms) {
            println!("{name:>7} {atom:+.4} bit");
        }
        println!("agreement with {}: {:.3}", args.task, report.agreement);
    }
    Ok(())
}

#[derive(Args)]
pub struct MemoryArgs {
    /// Patterns to store.
    #[arg(long, default_value_t = 5)]
    patterns: usize,
    /// Bits (= neurons) per pattern.
    #[arg(long, default_value_t = 64)]
    bits: usize,
    /// Probability that a cue bit is flipped.
    #[arg(long, default_value_t = 0.15)]
    corruption: f64,
    #[arg(long, default_value_t = 200)]
    epochs: usize,
    #[arg(long, default_value_t = 0.01)]
    lr: f64,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[arg(long)]
    json: bool,
}

/// `infomorph memory`: store random ±1 patterns, recall them from corrupted cues.
pub fn run_memory(args: MemoryArgs) -> Result<(), String> {
    if !(1..=256).contains(&args.patterns) || !(2..=4096).contains(&args.bits) {
        return Err("patterns must be 1 to 256 and bits 2 to 4096".into());
    }
    let valid = (0.0..=1.0).contains(&args.corruption) && args.lr.is_finite() && args.lr >= 0.0;
    if !valid || args.epochs == 0 {
        return Err(
            "corruption must be in [0, 1], lr a finite number ≥ 0 and epochs at least 1".into(),
        );
    }
    let set = tasks::toy::patterns(args.patterns, args.bits, args.corruption, args.seed);
    let report =
        crate::network::memory::store_and_recall(&set, args.epochs, 20, args.lr, args.seed)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&report).map_err(|e| e.to_string())?
        );
    } else {
        println!(
            "cue accuracy {:.3} → recall accuracy {:.3} (shared information {:.3} bit per neuron)",
            report.cue_accuracy, report.recall_accuracy, report.atoms[2]
        );
    }
    Ok(())
}
