//! `infomorph search --optuna-storage S --study-name N`: one worker of a study that
//! Optuna keeps (a PostgreSQL/MySQL URL or a journal file), driven through Optuna's own
//! command line — `optuna create-study`, `ask`, `tell`, `trials`, `best-trial` — so no
//! Python runs in the loop but Optuna's. The searched terms are the parameters
//! `g{index}` (paper order), each a `FloatDistribution` over the search's range.
//!
//! A worker killed mid-trial: before asking, each worker writes nothing to the study
//! but keeps a *lease* per running trial on its own host (a small file naming the host,
//! the process id and its start time, in `$INFOMORPH_OPTUNA_LEASES` or
//! `<tmp>/infomorph-optuna/<hash of storage and study>`; Optuna's CLI cannot set user
//! attributes). Before every ask a worker fails (`optuna tell --state fail
//! --skip-if-finished`) the trials whose lease names a process of this host that is
//! gone, so a killed worker's trial ends failed once any worker on that host runs.

use crate::search::{Best, SearchSpec, Space};
use clap::Args;
use serde_json::{json, Value};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Args, Default)]
pub struct OptunaArgs {
    /// Run as one worker of a shared Optuna study kept in STORAGE (what `optuna
    /// --storage` takes: postgresql://…, mysql://…, or an existing journal file);
    /// --trials is then the number of trials this worker runs.
    #[arg(long, value_name = "STORAGE")]
    pub optuna_storage: Option<String>,
    /// The Optuna study's name (created when missing).
    #[arg(long, value_name = "NAME", requires = "optuna_storage")]
    pub study_name: Option<String>,
}

/// Why talking to Optuna failed.
#[derive(Debug)]
pub enum OptunaError {
    /// No `optuna` program (neither `.venv/bin/optuna` nor on PATH).
    NotInstalled(String),
    /// The storage cannot be reached or opened.
    Storage { storage: String, message: String },
    /// An `optuna` command failed.
    Command { what: String, message: String },
    /// An `optuna` command printed something unexpected.
    Output { what: String, message: String },
}

impl fmt::Display for OptunaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptunaError::NotInstalled(m) => write!(
                f,
                "cannot run optuna ({m}); run bash scripts/setup.sh search"
            ),
            OptunaError::Storage { storage, message } => {
                write!(f, "the Optuna storage {storage} cannot be used: {message}")
            }
            OptunaError::Command { what, message } => write!(f, "optuna {what} failed: {message}"),
            OptunaError::Output { what, message } => {
                write!(f, "optuna {what} printed something unexpected: {message}")
            }
        }
    }
}

impl From<OptunaError> for String {
    fn from(e: OptunaError) -> String {
        e.to_string()
    }
}

/// The `optuna` program: `.venv/bin/optuna` (of the working directory or of the crate)
/// when there, else `optuna` on PATH.
pub fn optuna_program() -> PathBuf {
    for root in [
        std::env::current_dir().ok(),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR"))),
    ]
    .into_iter()
    .flatten()
    {
        let p = root.join(".venv/bin/optuna");
        if p.is_file() {
            return p;
        }
    }
    PathBuf::from("optuna")
}

/// The parameter name of γ term `index`.
pub fn param_name(index: usize) -> String {
    format!("g{index}")
}

/// One trial as Optuna reports it.
#[derive(Clone, Debug)]
pub struct OptunaTrial {
    pub number: usize,
    pub value: Option<f64>,
    pub params: serde_json::Map<String, Value>,
    pub seconds: f64,
    /// COMPLETE, FAIL, RUNNING, PRUNED or WAITING.
    pub state: String,
}

/// A study in a storage, through the `optuna` command line.
pub struct Optuna {
    program: PathBuf,
    storage: String,
    study: String,
}

impl Optuna {
    pub fn new(storage: &str, study: &str) -> Optuna {
        Optuna {
            program: optuna_program(),
            storage: storage.to_string(),
            study: study.to_string(),
        }
    }

    /// Runs `optuna WHAT --storage S --study-name N ARGS…` and returns its stdout.
    fn call(&self, what: &str, args: &[&str]) -> Result<String, OptunaError> {
        let out = Command::new(&self.program)
            .arg(what)
            .args(["--storage", &self.storage, "--study-name", &self.study])
            .args(args)
            .env("PYTHONWARNINGS", "ignore")
            .output()
            .map_err(|e| OptunaError::NotInstalled(format!("{}: {e}", self.program.display())))?;
        if out.status.success() {
            return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        // The last line that says something (Optuna's logging prefixes, tracebacks' last line).
        let message = stderr
            .lines()
            .rev()
            .map(str::trim)
            .find(|l| {
                !l.is_empty()
                    && !l.contains("ExperimentalWarning")
                    && l != &"optuna_warn("
                    && !l.starts_with("(Background on this error")
                    && !l.starts_with("[SQL:")
            })
            .unwrap_or("no message");
        // Optuna's log lines start "[E 2026-01-01 00:00:00,000] ".
        let message = match message.split_once("] ") {
            Some((head, rest)) if head.starts_with('[') => rest,
            _ => message,
        }
        .to_string();
        Err(OptunaError::Command {
            what: what.to_string(),
            message,
        })
    }

    /// Creates the study (maximising) unless it exists; the storage's problems come
    /// back as [`OptunaError::Storage`].
    pub fn create_study(&self) -> Result<(), OptunaError> {
        let create = || {
            self.call(
                "create-study",
                &["--direction", "maximize", "--skip-if-exists"],
            )
        };
        // Workers that start together race to create the study (an RDB's unique name
        // refuses all but one): a second try finds it made.
        let mut result = create();
        for _ in 0..3 {
            if result.is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(300));
            result = create();
        }
        result.map(|_| ()).map_err(|e| match e {
            OptunaError::Command { message, .. } => OptunaError::Storage {
                storage: self.storage.clone(),
                message,
            },
            e => e,
        })
    }

    /// Asks TPE (multivariate) for a trial over `space`: its number and parameters.
    pub fn ask(
        &self,
        space: &Space,
        startup: usize,
        ei_candidates: usize,
    ) -> Result<(usize, Vec<f64>), OptunaError> {
        let (low, high) = space.range();
        let search_space: serde_json::Map<String, Value> = space
            .terms()
            .iter()
            .map(|&t| {
                (
                    param_name(t),
                    json!({"name": "FloatDistribution",
                           "attributes": {"low": low, "high": high, "step": null, "log": false}}),
                )
            })
            .collect();
        let kwargs = json!({"multivariate": true, "n_startup_trials": startup,
                            "n_ei_candidates": ei_candidates});
        let out = self.call(
            "ask",
            &[
                "--sampler",
                "TPESampler",
                "--sampler-kwargs",
                &kwargs.to_string(),
                "--search-space",
                &Value::Object(search_space).to_string(),
                "-f",
                "json",
            ],
        )?;
        let bad = |message: String| OptunaError::Output {
            what: "ask".into(),
            message,
        };
        let v: Value = serde_json::from_str(out.trim()).map_err(|e| bad(format!("{e}: {out}")))?;
        let number = v["number"]
            .as_u64()
            .ok_or_else(|| bad(format!("no trial number in {out}")))? as usize;
        let params = space
            .terms()
            .iter()
            .map(|&t| {
                v["params"][param_name(t)]
                    .as_f64()
                    .ok_or_else(|| bad(format!("no {} in {out}", param_name(t))))
            })
            .collect::<Result<Vec<f64>, _>>()?;
        Ok((number, params))
    }

    /// Tells a trial's value, or that it failed (`None`); a trial already finished
    /// (failed by another worker) is left as it is.
    pub fn tell(&self, number: usize, value: Option<f64>) -> Result<(), OptunaError> {
        let n = number.to_string();
        let v = value.map(|v| v.to_string());
        let mut args = vec!["--trial-number", &n];
        match &v {
            Some(v) => args.extend(["--values", v, "--state", "complete"]),
            None => args.extend(["--state", "fail"]),
        }
        args.push("--skip-if-finished");
        self.call("tell", &args).map(|_| ())
    }

    /// Every trial of the study, in number order.
    pub fn trials(&self) -> Result<Vec<OptunaTrial>, OptunaError> {
        let out = self.call("trials", &["-f", "json"])?;
        let v: Value = serde_json::from_str(out.trim()).map_err(|e| OptunaError::Output {
            what: "trials".into(),
            message: format!("{e}"),
        })?;
        let mut trials: Vec<OptunaTrial> = v
            .as_array()
            .map(|a| a.iter().filter_map(parse_trial).collect())
            .unwrap_or_default();
        trials.sort_by_key(|t| t.number);
        Ok(trials)
    }

    /// The best trial, if any completed.
    pub fn best_trial(&self) -> Result<Option<OptunaTrial>, OptunaError> {
        match self.call("best-trial", &["-f", "json"]) {
            Ok(out) => Ok(serde_json::from_str(out.trim())
                .ok()
                .as_ref()
                .and_then(parse_trial)),
            Err(OptunaError::Command { message, .. }) if message.contains("trials") => Ok(None),
            Err(e) => Err(e),
        }
    }
}

fn parse_trial(v: &Value) -> Option<OptunaTrial> {
    Some(OptunaTrial {
        number: v["number"].as_u64()? as usize,
        value: v["value"].as_f64(),
        params: v["params"].as_object().cloned().unwrap_or_default(),
        seconds: v["duration"].as_str().map_or(0.0, parse_duration),
        state: v["state"].as_str().unwrap_or("").to_string(),
    })
}

/// Python's `str(timedelta)`: `H:MM:SS[.ffffff]`, maybe after `N day(s), `.
fn parse_duration(s: &str) -> f64 {
    let (days, rest) = match s.split_once(", ") {
        Some((d, r)) => (
            d.split_whitespace()
                .next()
                .and_then(|n| n.parse::<f64>().ok())
                .unwrap_or(0.0),
            r,
        ),
        None => (0.0, s),
    };
    let parts: Vec<f64> = rest.split(':').filter_map(|p| p.parse().ok()).collect();
    match parts[..] {
        [h, m, sec] => days * 86400.0 + h * 3600.0 + m * 60.0 + sec,
        _ => 0.0,
    }
}

/// This host's name.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// A process's start time (clock ticks since boot), from /proc; `None` where there is
/// no /proc or no such process.
fn start_time(pid: &str) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(19).map(str::to_string)
}

/// The leases of running trials of one study on this host.
pub struct Leases {
    dir: PathBuf,
    host: String,
    owner: String,
}

impl Leases {
    pub fn new(storage: &str, study: &str) -> Result<Leases, String> {
        let dir = match std::env::var_os("INFOMORPH_OPTUNA_LEASES") {
            Some(d) => PathBuf::from(d),
            None => {
                // A journal file named two ways is the same storage.
                let storage = std::fs::canonicalize(storage)
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|_| storage.to_string());
                let mut h: u64 = 0xcbf2_9ce4_8422_2325;
                for b in storage.bytes().chain([0]).chain(study.bytes()) {
                    h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
                }
                std::env::temp_dir()
                    .join("infomorph-optuna")
                    .join(format!("{h:016x}"))
            }
        };
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot make the lease folder {}: {e}", dir.display()))?;
        let pid = std::process::id().to_string();
        let start = start_time(&pid).unwrap_or_else(|| "-".into());
        Ok(Leases {
            host: host_name(),
            owner: format!("{pid} {start}"),
            dir,
        })
    }

    fn path(&self, number: usize) -> PathBuf {
        self.dir.join(format!("trial-{number}"))
    }

    pub fn take(&self, number: usize) -> Result<(), String> {
        let path = self.path(number);
        std::fs::write(&path, format!("{} {}\n", self.host, self.owner))
            .map_err(|e| format!("cannot write the lease {}: {e}", path.display()))
    }

    pub fn release(&self, number: usize) {
        let _ = std::fs::remove_file(self.path(number));
    }

    /// The trials whose lease names a process of this host that is gone.
    pub fn dead(&self) -> Vec<usize> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter_map(|e| {
                let number: usize = e
                    .file_name()
                    .to_str()?
                    .strip_prefix("trial-")?
                    .parse()
                    .ok()?;
                let text = std::fs::read_to_string(e.path()).ok()?;
                let mut words = text.split_whitespace();
                let (host, pid, start) = (words.next()?, words.next()?, words.next()?);
                let alive = match start_time(pid) {
                    Some(s) => s == start || start == "-",
                    // No /proc at all: nothing can be told, so nothing is failed.
                    None => !Path::new("/proc/self/stat").exists(),
                };
                (host == self.host && !alive).then_some(number)
            })
            .collect()
    }
}

/// One trial as a JSON line (the local study's format: every term's γ).
pub fn trial_json(t: &OptunaTrial, space: &Space) -> Value {
    let params: Vec<f64> = space
        .terms()
        .iter()
        .map(|&i| t.params.get(&param_name(i)).and_then(Value::as_f64))
        .collect::<Option<_>>()
        .unwrap_or_else(|| vec![f64::NAN; space.terms().len()]);
    let state = match t.state.as_str() {
        "COMPLETE" => "complete",
        "FAIL" => "failed",
        "RUNNING" => "running",
        "PRUNED" => "pruned",
        _ => "waiting",
    };
    json!({"trial": t.number, "gamma": space.gamma(&params), "value": t.value,
           "seconds": t.seconds, "state": state})
}

fn best_json(t: Option<&OptunaTrial>, space: &Space) -> Value {
    let best = t.and_then(|t| {
        let line = trial_json(t, space);
        Some(Best {
            trial: t.number,
            gamma: serde_json::from_value(line["gamma"].clone()).ok()?,
            value: t.value?,
        })
    });
    json!({ "best": best })
}

/// Runs `spec.trials` trials as one worker of the study.
pub fn run_worker(
    spec: &SearchSpec,
    storage: &str,
    study: &str,
    task: std::sync::Arc<crate::tasks::TaskData>,
    pref: crate::engine::EnginePreference,
    json_lines: bool,
) -> Result<(), String> {
    let space = spec.space()?;
    let optuna = Optuna::new(storage, study);
    let leases = Leases::new(storage, study)?;
    for _ in 0..spec.trials {
        for number in leases.dead() {
            optuna.tell(number, None)?;
            leases.release(number);
            if !json_lines {
                eprintln!("trial {number}: its worker on this host is gone; failed");
            }
        }
        let (number, params) = optuna.ask(&space, spec.startup, spec.ei_candidates)?;
        leases.take(number)?;
        let gamma = space.gamma(&params);
        let mut config = spec.config.clone();
        config.gamma = Some(gamma.clone());
        let outcome = crate::search::run_trial(&config, task.clone(), spec.objective, pref);
        let value = outcome.value.as_ref().ok().copied();
        optuna.tell(number, value)?;
        leases.release(number);
        let mut line = json!({"trial": number, "gamma": gamma, "value": value,
                              "seconds": outcome.seconds,
                              "state": if value.is_some() { "complete" } else { "failed" }});
        if let Err(reason) = &outcome.value {
            line["reason"] = json!(reason);
        }
        if json_lines {
            println!("{line}");
        } else {
            match &outcome.value {
                Ok(v) => eprintln!("trial {number}: {} {v:.4}", spec.objective.name()),
                Err(r) => eprintln!("trial {number} failed: {r}"),
            }
        }
    }
    let best = optuna.best_trial()?;
    if json_lines {
        println!("{}", best_json(best.as_ref(), &space));
    } else if let Some(b) = best {
        eprintln!(
            "study {study}: best {:.4} at trial {}",
            b.value.unwrap_or(f64::NAN),
            b.number
        );
    }
    Ok(())
}

/// `--report`: the study's trials and best, as the local study's JSON lines.
pub fn report(spec: &SearchSpec, storage: &str, study: &str) -> Result<(), String> {
    let space = spec.space()?;
    let optuna = Optuna::new(storage, study);
    let trials = optuna.trials().map_err(|e| match e {
        OptunaError::Command { message, .. } => OptunaError::Storage {
            storage: storage.to_string(),
            message,
        },
        e => e,
    })?;
    for t in &trials {
        println!("{}", trial_json(t, &space));
    }
    println!("{}", best_json(optuna.best_trial()?.as_ref(), &space));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("0:00:01.500000"), 1.5);
        assert_eq!(parse_duration("1:02:03"), 3723.0);
        assert_eq!(parse_duration("2 days, 0:00:01"), 172_801.0);
        assert_eq!(parse_duration("x"), 0.0);
    }

    #[test]
    fn this_process_has_a_start_time() {
        if Path::new("/proc/self/stat").exists() {
            let pid = std::process::id().to_string();
            assert_eq!(start_time(&pid), start_time(&pid));
            assert!(start_time(&pid).is_some());
        }
    }
}
