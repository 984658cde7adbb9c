//! Running a plan natively: the missing runs, `jobs` at a time, each in its own rayon
//! pool; every finished run written to `DIR/runs/` (the run file of `infomorph train
//! --out`) and skipped when the plan is run again.

use super::{Plan, RunResult, RunSpec};
use crate::data::{Dataset, Installed};
use crate::engine::{Engine, EnginePreference};
use crate::network::config::RunConfig;
use crate::network::export::RunFile;
use crate::network::run::Trainer;
use crate::network::train::EpochMetrics;
use crate::tasks::{self, TaskData};
use serde::Deserialize;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Where the runs' tasks come from: an installed image set, loaded once and split per
/// data seed, or any other task by name.
pub enum TaskSource {
    Images { name: String, data: Dataset },
    Named(String),
}

impl TaskSource {
    /// Opens the task (`mnist`, `fashion-mnist`: loaded and SHA-256 checked now; others
    /// by name, e.g. `digits8` or `mnist10k`). With `idx`, the images come from the four
    /// IDX files (plain or gzip) in that folder, under the task's name.
    pub fn open(name: &str, idx: Option<&Path>) -> Result<TaskSource, String> {
        if let Some(dir) = idx {
            let data = crate::data::idx::load_mnist_dir(dir).map_err(|e| e.to_string())?;
            return Ok(TaskSource::Images {
                name: name.into(),
                data,
            });
        }
        if let Some(set) = Installed::from_task_name(name) {
            return Ok(TaskSource::Images {
                name: name.into(),
                data: set.load()?,
            });
        }
        tasks::load(name, None, 0)?;
        Ok(TaskSource::Named(name.into()))
    }

    /// The task split by `data_seed`.
    pub fn task(&self, data_seed: u64) -> Result<TaskData, String> {
        match self {
            TaskSource::Images { name, data } => {
                Ok(tasks::mnist::from_dataset(name, data, data_seed))
            }
            TaskSource::Named(name) => tasks::load(name, None, data_seed),
        }
    }
}

/// What `run_all` reports as it goes; every method may be called from any job's thread.
pub trait Observer: Sync {
    /// A run already in the folder, not run again.
    fn skipped(&self, _spec: &RunSpec, _result: &RunResult) {}
    /// Job `job` (0-based) starts a run.
    fn started(&self, _job: usize, _spec: &RunSpec) {}
    /// An epoch of the run is trained and evaluated.
    fn epoch(&self, _job: usize, _spec: &RunSpec, _metrics: &EpochMetrics) {}
    /// The engine's account of its choice, or a device loss.
    fn notice(&self, _job: usize, _text: &str) {}
    /// The run is done and its file written.
    fn finished(&self, _job: usize, _spec: &RunSpec, _result: &RunResult) {}
}

/// The stored parts of a run file that decide whether it is finished.
#[derive(Deserialize)]
struct Stored {
    config: RunConfig,
    metrics: Vec<StoredEpoch>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct StoredEpoch {
    test_accuracy: Option<f64>,
    seconds: Option<f64>,
}

/// The result of the run file at `path` if it is a finished run of `config`: the same
/// configuration, and all epochs done or stopped early with an error (which a rerun
/// would repeat: runs are reproducible from their seeds).
pub fn read_finished(path: &Path, config: &RunConfig) -> Option<RunResult> {
    let bytes = std::fs::read(path).ok()?;
    let stored: Stored = serde_json::from_slice(&bytes).ok()?;
    if stored.config != *config || (stored.error.is_none() && stored.metrics.len() != config.epochs)
    {
        return None;
    }
    let last = stored.metrics.last().and_then(|m| m.test_accuracy);
    Some(RunResult {
        test_accuracy: match (&stored.error, last) {
            (None, Some(a)) => a,
            _ => f64::NAN,
        },
        seconds: stored.metrics.iter().filter_map(|m| m.seconds).sum(),
        wall_seconds: None,
        error: stored.error,
    })
}

/// One run through the training driver: the run file's JSON and its result. An error
/// is returned only when the run cannot start (its engine cannot be built); a run that
/// stops early is a result with its error.
pub fn run_one(
    config: &RunConfig,
    eval_every: usize,
    task: Arc<TaskData>,
    preference: EnginePreference,
    on_epoch: &mut dyn FnMut(&EpochMetrics),
    on_notice: &mut dyn FnMut(&str),
) -> Result<(String, RunResult), String> {
    let start = std::time::Instant::now();
    let engine = pollster::block_on(Engine::new(config, task, preference))?;
    for n in engine.notices() {
        on_notice(&n.to_string());
    }
    let seen = engine.notices().len();
    let task = engine.shared_task();
    let mut trainer = Trainer::new(engine, task).evaluating_every(eval_every);
    let mut error = None;
    for _ in 0..config.epochs {
        match pollster::block_on(trainer.run_epoch()) {
            Ok(m) => on_epoch(m),
            Err(e) => {
                error = Some(e.to_string());
                break;
            }
        }
    }
    for n in &trainer.backend().notices()[seen..] {
        on_notice(&n.to_string());
    }
    let metrics = trainer.metrics().to_vec();
    let net = pollster::block_on(trainer.backend_mut().network()).ok();
    let file = RunFile::new(config, &metrics, error.clone(), net.as_ref());
    let json = serde_json::to_string(&file).map_err(|e| format!("cannot encode the run: {e}"))?;
    let result = RunResult {
        test_accuracy: match (&error, metrics.last()) {
            (None, Some(m)) => m.test_accuracy,
            _ => f64::NAN,
        },
        seconds: metrics.iter().map(|m| m.seconds).sum(),
        wall_seconds: Some(start.elapsed().as_secs_f64()),
        error,
    };
    Ok((json, result))
}

/// Writes `text` to `path` through a temporary file in the same folder, so that an
/// interrupted write never leaves a file that reads as a finished run.
fn write_atomic(path: &Path, text: &str) -> Result<(), String> {
    let tmp = path.with_extension("json.part");
    std::fs::write(&tmp, text).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The data splits in use, one per data seed; runs come seed after seed, so a split is
/// dropped once a run of a later seed starts (running jobs keep their own reference).
struct Splits<'a> {
    source: &'a TaskSource,
    kept: Mutex<Vec<(u64, Arc<TaskData>)>>,
}

impl Splits<'_> {
    fn get(&self, seed: u64) -> Result<Arc<TaskData>, String> {
        let mut kept = self.kept.lock().expect("no panic while held");
        if let Some((_, t)) = kept.iter().find(|(s, _)| *s == seed) {
            return Ok(t.clone());
        }
        kept.retain(|(s, _)| *s > seed);
        let task = Arc::new(self.source.task(seed)?);
        kept.push((seed, task.clone()));
        Ok(task)
    }
}

/// Runs what is missing of `plan` with `jobs` runs at once, each on ⌈cores / jobs⌉
/// threads (and, when `jobs` > 1 and `MATMUL_NUM_THREADS` is unset, matrix products on
/// as many threads: that setting is read at the process's first product). Finished runs
/// go to `dir/runs/`; those already there are skipped. Returns every run's result, in
/// plan order, or the first error that kept a run from starting or being written.
pub fn run_all(
    plan: &Plan,
    dir: &Path,
    source: &TaskSource,
    jobs: usize,
    preference: EnginePreference,
    observer: &dyn Observer,
) -> Result<Vec<(RunSpec, RunResult)>, String> {
    let runs_dir = dir.join("runs");
    std::fs::create_dir_all(&runs_dir)
        .map_err(|e| format!("cannot create {}: {e}", runs_dir.display()))?;
    let runs = plan.runs();
    let mut results: Vec<Option<RunResult>> = vec![None; runs.len()];
    let mut pending = VecDeque::new();
    for (i, spec) in runs.iter().enumerate() {
        let path: PathBuf = runs_dir.join(plan.file_name(spec));
        match read_finished(&path, &plan.config(spec)) {
            Some(r) => {
                observer.skipped(spec, &r);
                results[i] = Some(r);
            }
            None => pending.push_back((i, *spec, path)),
        }
    }
    let jobs = jobs.clamp(1, pending.len().max(1));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = cores.div_ceil(jobs).max(1);
    if jobs > 1 && std::env::var_os("MATMUL_NUM_THREADS").is_none() {
        std::env::set_var("MATMUL_NUM_THREADS", threads.to_string());
    }
    let queue = Mutex::new(pending);
    let results = Mutex::new(results);
    let failure: Mutex<Option<String>> = Mutex::new(None);
    let splits = Splits {
        source,
        kept: Mutex::new(Vec::new()),
    };
    std::thread::scope(|scope| {
        for job in 0..jobs {
            let (queue, results, failure, splits) = (&queue, &results, &failure, &splits);
            scope.spawn(move || {
                let pool = match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
                    Ok(p) => p,
                    Err(e) => {
                        *failure.lock().expect("not poisoned") =
                            Some(format!("cannot start a thread pool: {e}"));
                        return;
                    }
                };
                loop {
                    if failure.lock().expect("not poisoned").is_some() {
                        return;
                    }
                    let Some((i, spec, path)) = queue.lock().expect("not poisoned").pop_front()
                    else {
                        return;
                    };
                    observer.started(job, &spec);
                    let outcome = splits.get(spec.seed).and_then(|task| {
                        let config = plan.config(&spec);
                        let (json, result) = pool.install(|| {
                            run_one(
                                &config,
                                plan.eval_every,
                                task,
                                preference,
                                &mut |m| observer.epoch(job, &spec, m),
                                &mut |n| observer.notice(job, n),
                            )
                        })?;
                        write_atomic(&path, &json)?;
                        Ok(result)
                    });
                    match outcome {
                        Ok(result) => {
                            observer.finished(job, &spec, &result);
                            results.lock().expect("not poisoned")[i] = Some(result);
                        }
                        Err(e) => {
                            failure
                                .lock()
                                .expect("not poisoned")
                                .get_or_insert(format!("{}: {e}", spec.describe()));
                            return;
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = failure.into_inner().expect("not poisoned") {
        return Err(e);
    }
    Ok(runs
        .into_iter()
        .zip(results.into_inner().expect("not poisoned"))
        .filter_map(|(spec, r)| Some((spec, r?)))
        .collect())
}

/// Renders the figure's SVG to a PNG (resvg, with the system's fonts for the labels).
pub fn svg_to_png(svg: &str, path: &Path) -> Result<(), String> {
    use resvg::{tiny_skia, usvg};
    let mut options = usvg::Options::default();
    options.fontdb_mut().load_system_fonts();
    let tree = usvg::Tree::from_str(svg, &options).map_err(|e| format!("invalid SVG: {e}"))?;
    let size = tree.size().to_int_size();
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or_else(|| "the figure has no area".to_string())?;
    resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
    pixmap
        .save_png(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
