//! `infomorph reproduce`: the published table (method §5) run cell by cell, resumable,
//! with a progress bar; writes `table.md`, `table.csv`, `figure.svg`, `figure.png` and
//! every run's file under `runs/` (the logic is in `crate::reproduce`).

use crate::engine::EnginePreference;
use crate::network::config::HiddenBinning;
use crate::network::train::EpochMetrics;
use crate::reproduce::{self, Observer, Plan, RunResult, RunSpec, TaskSource};
use clap::Args;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

#[derive(Args)]
pub struct ReproduceArgs {
    /// Hidden sizes N, the table's columns.
    #[arg(long, value_delimiter = ',', default_value = "10,100,500,2000")]
    sizes: Vec<usize>,
    /// Rows of the table (default: all): lateral-heuristic, lateral-optimized,
    /// context-heuristic, context-optimized, trivariate-heuristic, trivariate-optimized,
    /// trivariate-sparse-optimized, feedback, random-projection, backprop, readout.
    #[arg(long, value_delimiter = ',')]
    models: Option<Vec<String>>,
    /// Seeds per cell (0..K; a run's data, init and sampling seeds); the table shows the median.
    #[arg(long, default_value_t = 3)]
    seeds: u64,
    /// Runs at once, each on its share of the cores.
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// auto, cpu or gpu (as for train).
    #[arg(long, default_value = "auto")]
    engine: String,
    #[arg(long, default_value_t = 100)]
    epochs: usize,
    /// Evaluate (train, validation and test accuracy) every K-th epoch and the last one;
    /// the table reads the last. The weights, and so the table, are the same for any K.
    #[arg(long, default_value_t = 10)]
    eval_every: usize,
    /// mnist (the published table), fashion-mnist (no published reference) or any other
    /// task (e.g. digits8 for a quick check).
    #[arg(long, default_value = "mnist")]
    task: String,
    /// The task's images from these four IDX files (plain or gzip) instead of the
    /// installed set; the task's name (and so the published column) stays.
    #[arg(long)]
    idx: Option<PathBuf>,
    /// Bin every hidden layer this way (fixed: [−20, 20]; max-abs: per batch and
    /// neuron) instead of each model's own rule (trivariate fixed, bivariate max-abs):
    /// a variant of the table, kept apart in the output folder.
    #[arg(long, value_parser = HiddenBinning::from_name)]
    hidden_binning: Option<HiddenBinning>,
    /// Output folder: runs/, table.md, table.csv, figure.svg, figure.png.
    #[arg(long)]
    out: PathBuf,
}

/// The plan from the arguments, or the one-line reason it is refused.
fn plan(args: &ReproduceArgs) -> Result<Plan, String> {
    if args.sizes.is_empty() || args.sizes.contains(&0) {
        return Err("--sizes must be hidden sizes of at least 1, e.g. 10,100,500,2000".into());
    }
    let max = crate::network::config::MAX_HIDDEN;
    if let Some(n) = args.sizes.iter().find(|&&n| n > max) {
        return Err(format!("--sizes: {n} is more than {max} hidden neurons"));
    }
    if args.seeds == 0 {
        return Err("--seeds must be at least 1".into());
    }
    if args.jobs == 0 {
        return Err("--jobs must be at least 1".into());
    }
    if args.eval_every == 0 {
        return Err("--eval-every must be at least 1".into());
    }
    if args.epochs == 0 || args.epochs > crate::network::config::MAX_EPOCHS {
        return Err(format!(
            "--epochs must be 1 to {}",
            crate::network::config::MAX_EPOCHS
        ));
    }
    let rows = match &args.models {
        None => reproduce::ROWS.iter().collect(),
        Some(ids) => {
            let mut rows: Vec<&'static reproduce::Row> = Vec::new();
            for id in ids {
                let row = reproduce::row_by_id(id.trim())?;
                if !rows.contains(&row) {
                    rows.push(row);
                }
            }
            rows
        }
    };
    let mut sizes = args.sizes.clone();
    sizes.sort_unstable();
    sizes.dedup();
    Ok(Plan {
        task: args.task.clone(),
        rows,
        sizes,
        seeds: args.seeds,
        epochs: args.epochs,
        eval_every: args.eval_every,
        hidden_binning: args.hidden_binning,
    })
}

/// Creates the output folder and checks that it takes files.
fn writable(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let probe = dir.join(".infomorph-write-check");
    std::fs::write(&probe, b"").map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

/// The progress display: a bar over all epochs still to run (with the ETA), one line
/// per job (its cell, seed, epoch and last test accuracy); other lines printed above.
struct Progress {
    multi: MultiProgress,
    total: ProgressBar,
    lines: Vec<ProgressBar>,
    epochs: usize,
    skipped: Mutex<usize>,
    notices: Mutex<Vec<String>>,
}

impl Progress {
    /// A line on stderr above the bars (also when stderr is not a terminal).
    fn say(&self, text: String) {
        self.multi.suspend(|| eprintln!("{text}"));
    }
}

impl Observer for Progress {
    fn skipped(&self, spec: &RunSpec, r: &RunResult) {
        *self.skipped.lock().expect("not poisoned") += 1;
        self.total.dec_length(self.epochs as u64);
        self.say(format!(
            "skipped {} (finished: test {:.2} %)",
            spec.describe(),
            100.0 * r.test_accuracy
        ));
    }

    fn started(&self, job: usize, spec: &RunSpec) {
        self.lines[job].set_position(0);
        self.lines[job].set_message(format!("{} · epoch 0/{}", spec.describe(), self.epochs));
    }

    fn epoch(&self, job: usize, spec: &RunSpec, m: &EpochMetrics) {
        self.lines[job].set_position(m.epoch as u64);
        let test = if m.test_accuracy.is_finite() {
            format!("test {:.2} %", 100.0 * m.test_accuracy)
        } else {
            "not evaluated".to_string()
        };
        self.lines[job].set_message(format!(
            "{} · epoch {}/{} · {test} · {:.1} s/epoch",
            spec.describe(),
            m.epoch,
            self.epochs,
            m.seconds
        ));
        self.total.inc(1);
    }

    fn notice(&self, _job: usize, text: &str) {
        // Every run reports its engine; each distinct account once.
        let mut seen = self.notices.lock().expect("not poisoned");
        if !seen.iter().any(|n| n == text) {
            seen.push(text.to_string());
            drop(seen);
            self.say(format!("engine: {text}"));
        }
    }

    fn finished(&self, job: usize, spec: &RunSpec, r: &RunResult) {
        // A run that stopped early counts its remaining epochs as done.
        let ran = self.lines[job].position();
        self.total.inc((self.epochs as u64).saturating_sub(ran));
        self.lines[job].set_message("");
        self.say(match &r.error {
            None => format!(
                "done    {}: test {:.2} % ({:.1} s training, {:.1} s in all)",
                spec.describe(),
                100.0 * r.test_accuracy,
                r.seconds,
                r.wall_seconds.unwrap_or(r.seconds)
            ),
            Some(e) => format!("stopped {}: {e}", spec.describe()),
        });
    }
}

pub fn run_reproduce(args: ReproduceArgs) -> Result<(), String> {
    let plan = plan(&args)?;
    let preference = EnginePreference::from_name(&args.engine)?;
    writable(&args.out)?;
    let source = TaskSource::open(&plan.task, args.idx.as_deref())?;
    if !plan.has_reference() {
        eprintln!(
            "task {}: no published reference (the published table is full MNIST)",
            plan.task
        );
    }
    let runs = plan.runs().len();
    let multi = MultiProgress::new();
    let total = multi.add(ProgressBar::new((runs * plan.epochs) as u64));
    total.set_style(
        ProgressStyle::with_template(
            "{bar:30} {pos}/{len} epochs of {msg} [{elapsed_precise}<{eta_precise}]",
        )
        .expect("valid template"),
    );
    total.set_message(format!("{runs} run(s)"));
    let jobs = args.jobs.min(runs);
    let lines = (0..jobs)
        .map(|_| {
            let line = multi.add(ProgressBar::new(plan.epochs as u64));
            line.set_style(ProgressStyle::with_template("  {msg}").expect("valid template"));
            line
        })
        .collect();
    let progress = Progress {
        multi,
        total,
        lines,
        epochs: plan.epochs,
        skipped: Mutex::new(0),
        notices: Mutex::new(Vec::new()),
    };
    let results = reproduce::run_all(&plan, &args.out, &source, jobs, preference, &progress);
    for line in &progress.lines {
        line.finish_and_clear();
    }
    progress.total.finish();
    let results = results?;
    let cells = reproduce::summarise(&plan, &results);
    let write = |name: &str, text: &str| -> Result<(), String> {
        let path = args.out.join(name);
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    let md = reproduce::table_md(&plan, &cells);
    write("table.md", &md)?;
    write("table.csv", &reproduce::table_csv(&plan, &cells))?;
    let svg = reproduce::figure_svg(&plan, &cells);
    write("figure.svg", &svg)?;
    reproduce::svg_to_png(&svg, &args.out.join("figure.png"))?;
    println!("{md}");
    let skipped = progress.skipped.into_inner().expect("not poisoned");
    eprintln!(
        "{skipped} run(s) skipped, {} run; wrote {}/table.md, table.csv, figure.svg, figure.png",
        results.len() - skipped,
        args.out.display()
    );
    Ok(())
}
