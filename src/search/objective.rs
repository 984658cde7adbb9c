//! What a trial is scored by: the run's final validation accuracy (the paper's
//! objective), or the hidden layer's goal value itself (for tasks without labels).

use crate::network::train::EpochMetrics;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    ValAccuracy,
    Goal,
    /// The code read-out's specialisation (method §9): the mean over hidden neurons of
    /// the bits their sampled output carries about their best single hidden cause.
    Specialisation,
}

impl Objective {
    pub const NAMES: [&'static str; 3] = ["val_accuracy", "goal", "specialisation"];

    pub fn from_name(name: &str) -> Result<Objective, super::SearchError> {
        match name {
            "val_accuracy" | "val-accuracy" => Ok(Objective::ValAccuracy),
            "goal" => Ok(Objective::Goal),
            "specialisation" => Ok(Objective::Specialisation),
            _ => Err(super::SearchError::Spec(format!(
                "unknown objective '{name}' (known: {})",
                Self::NAMES.join(", ")
            ))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Objective::ValAccuracy => "val_accuracy",
            Objective::Goal => "goal",
            Objective::Specialisation => "specialisation",
        }
    }

    /// Refuses a task the objective cannot score: the accuracy of a one-class
    /// (unsupervised) task is 1 whatever the network learned.
    pub fn check_task(self, task: &crate::tasks::TaskData) -> Result<(), super::SearchError> {
        if self == Objective::ValAccuracy && task.classes < 2 {
            return Err(super::SearchError::Spec(format!(
                "the task {} is unsupervised (one class): its accuracy says nothing; \
                 search with the goal objective",
                task.name
            )));
        }
        if self == Objective::Specialisation && !crate::tasks::causes::has_causes(task) {
            return Err(super::SearchError::Spec(format!(
                "the task {} has no known hidden causes (bars, bars-2d, mixtures, patterns)",
                task.name
            )));
        }
        Ok(())
    }

    /// The value of a run from its last epoch: the validation accuracy, or
    /// Σ γ_i · (mean term i of the hidden layer over the epoch's steps).
    pub fn value(self, last: Option<&EpochMetrics>, gamma: &[f64]) -> Result<f64, String> {
        let m = last.ok_or("the run finished no epoch")?;
        let v = match self {
            Objective::ValAccuracy => m.val_accuracy,
            Objective::Goal => {
                if m.hidden_atoms.len() != gamma.len() {
                    return Err("the run reports no hidden goal terms".into());
                }
                gamma.iter().zip(&m.hidden_atoms).map(|(g, a)| g * a).sum()
            }
            Objective::Specialisation => {
                return Err("the specialisation objective reads the network (native runs)".into())
            }
        };
        if v.is_finite() {
            Ok(v)
        } else if self == Objective::ValAccuracy {
            Err("the task has no labelled validation part (use the goal objective)".into())
        } else {
            Err(format!("the goal is {v}"))
        }
    }
}

impl Objective {
    /// [`Objective::value`] from the two numbers it reads of an epoch (the page's
    /// stats): the validation accuracy and the hidden layer's mean terms (NaN: absent).
    pub fn value_of(
        self,
        val_accuracy: f64,
        hidden_atoms: Vec<f64>,
        gamma: &[f64],
    ) -> Result<f64, String> {
        let metrics = EpochMetrics {
            epoch: 0,
            steps: 0,
            train_accuracy: f64::NAN,
            train_accuracy_label_context: f64::NAN,
            val_accuracy,
            test_accuracy: f64::NAN,
            hidden_atoms,
            output_atoms: Vec::new(),
            seconds: 0.0,
            steps_per_second: 0.0,
        };
        self.value(Some(&metrics), gamma)
    }
}

/// How a trial run ended: its value or why it failed, and its seconds.
#[cfg(not(target_arch = "wasm32"))]
pub struct Outcome {
    pub value: Result<f64, String>,
    pub seconds: f64,
}

#[cfg(not(target_arch = "wasm32"))]
static ENGINE_START: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The engine every trial of a search runs on: `Auto` is decided once, by starting
/// one engine for `config` (a trial would otherwise ask for an adapter each time).
#[cfg(not(target_arch = "wasm32"))]
pub fn trial_engine(
    config: &crate::network::config::RunConfig,
    task: std::sync::Arc<crate::tasks::TaskData>,
    preference: crate::engine::EnginePreference,
) -> Result<crate::engine::EnginePreference, String> {
    use crate::engine::{Engine, EngineKind, EnginePreference};
    if preference != EnginePreference::Auto {
        return Ok(preference);
    }
    let engine =
        pollster::block_on(Engine::new(config, task, preference)).map_err(|e| e.to_string())?;
    Ok(match engine.kind() {
        EngineKind::Gpu => EnginePreference::Gpu,
        _ => EnginePreference::Cpu,
    })
}

/// Trains one trial's run (`config.epochs` epochs through the driver on the preferred
/// engine) and scores it.
#[cfg(not(target_arch = "wasm32"))]
pub fn run_trial(
    config: &crate::network::config::RunConfig,
    task: std::sync::Arc<crate::tasks::TaskData>,
    objective: Objective,
    preference: crate::engine::EnginePreference,
) -> Outcome {
    use crate::engine::Engine;
    use crate::network::run::Trainer;
    let start = std::time::Instant::now();
    let value = (|| -> Result<f64, String> {
        let gamma = config
            .hidden_gamma()
            .map_err(|e| e.to_string())?
            .unwrap_or_default();
        let engine = {
            // Engines start one at a time: Mesa's Vulkan drivers have crashed when two
            // threads created instances at once (parallel trials).
            let _one = ENGINE_START.lock().unwrap_or_else(|e| e.into_inner());
            pollster::block_on(Engine::new(config, task.clone(), preference))
                .map_err(|e| e.to_string())?
        };
        let mut trainer = Trainer::new(engine, task);
        for _ in 0..config.epochs {
            pollster::block_on(trainer.run_epoch()).map_err(|e| e.to_string())?;
        }
        if objective == Objective::Specialisation {
            let net =
                pollster::block_on(trainer.backend_mut().network()).map_err(|e| e.to_string())?;
            let code = crate::network::code::readout(&net, trainer.task());
            return code
                .map(|c| c.specialisation)
                .ok_or_else(|| "the task has no known causes".into());
        }
        objective.value(trainer.metrics().last(), &gamma)
    })();
    Outcome {
        value,
        seconds: start.elapsed().as_secs_f64(),
    }
}

/// Runs `configs` `jobs` at a time (each on its share of the cores), calling `done`
/// with each one's index and outcome as it finishes.
#[cfg(not(target_arch = "wasm32"))]
pub fn run_trials<E>(
    configs: &[crate::network::config::RunConfig],
    task: &std::sync::Arc<crate::tasks::TaskData>,
    objective: Objective,
    preference: crate::engine::EnginePreference,
    jobs: usize,
    mut done: impl FnMut(usize, Outcome) -> Result<(), E>,
) -> Result<(), E> {
    let jobs = jobs.max(1);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_job = (threads / jobs).max(1);
    for (chunk_index, chunk) in configs.chunks(jobs).enumerate() {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::scope(|scope| -> Result<(), E> {
            for (i, config) in chunk.iter().enumerate() {
                let (task, tx) = (task.clone(), tx.clone());
                scope.spawn(move || {
                    let run = || run_trial(config, task, objective, preference);
                    let outcome = match rayon::ThreadPoolBuilder::new().num_threads(per_job).build()
                    {
                        Ok(pool) => pool.install(run),
                        Err(_) => run(),
                    };
                    let _ = tx.send((chunk_index * jobs + i, outcome));
                });
            }
            drop(tx);
            for (index, outcome) in rx {
                done(index, outcome)?;
            }
            Ok(())
        })?;
    }
    Ok(())
}
