//! Goal search (docs/method.md §8): which γ makes a network learn best. A study asks a
//! sampler for the searched terms' γ, trains one run per trial through the one driver
//! ([`crate::network::run::Trainer`]) and tells the sampler the run's value.
//!
//! Trials are asked in batches whose members all see the same history — every earlier
//! trial finished — so that a study depends on its seed and batch size only, never on
//! which parallel run happened to finish first, and the page's and the command line's
//! studies agree. A resumed study replays its sampler over the stored trials, so that
//! it goes on as if it had never stopped.

mod objective;
mod parzen;
mod sampler;
pub mod sensitivity;
mod space;
pub mod study;

pub use objective::Objective;
#[cfg(not(target_arch = "wasm32"))]
pub use objective::{run_trial, run_trials, trial_engine, Outcome};
pub use sampler::{SamplerKind, TpeSettings};
pub use space::{parse_terms, Space};
pub use study::{Best, Trial, TrialState};

use crate::network::config::RunConfig;
use sampler::Sampler;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a search could not be set up or go on.
#[derive(Clone, Debug, PartialEq)]
pub enum SearchError {
    /// A search setting is out of range (trials, sampler, settings).
    Spec(String),
    /// The searched terms or their range.
    Space(String),
    /// The base run configuration.
    Config(String),
    /// A study file that cannot be read.
    Study(String),
    /// A study file made by another search.
    Mismatch(String),
    /// A tell for a trial that was not asked.
    NotAsked(usize),
}

impl fmt::Display for SearchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SearchError::Spec(m)
            | SearchError::Space(m)
            | SearchError::Config(m)
            | SearchError::Study(m)
            | SearchError::Mismatch(m) => f.write_str(m),
            SearchError::NotAsked(t) => write!(f, "trial {t} was not asked or is already told"),
        }
    }
}

impl std::error::Error for SearchError {}

impl From<SearchError> for String {
    fn from(e: SearchError) -> String {
        e.to_string()
    }
}

/// The most trials one study may hold.
pub const MAX_TRIALS: usize = 100_000;

/// Everything that defines a study (the header of its JSON lines).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchSpec {
    /// The run every trial trains (its `epochs` are the trial's budget); the searched
    /// terms' γ replace its goal's.
    pub config: RunConfig,
    /// The searched γ indices (paper order).
    pub terms: Vec<usize>,
    /// The range of every searched γ.
    pub low: f64,
    pub high: f64,
    /// The study's total number of trials.
    pub trials: usize,
    pub sampler: SamplerKind,
    pub objective: Objective,
    pub seed: u64,
    /// TPE's random start-up trials and expected-improvement candidates.
    pub startup: usize,
    pub ei_candidates: usize,
}

impl SearchSpec {
    /// A spec with the paper's range [−1, 1], Optuna's TPE defaults (10 start-up trials,
    /// 24 candidates) and every term searched.
    pub fn new(config: RunConfig, trials: usize) -> Result<SearchSpec, SearchError> {
        let family = config.model.goal_family().ok_or_else(|| {
            SearchError::Space(format!(
                "the {} model has no hidden goal to search",
                config.model.name()
            ))
        })?;
        Ok(SearchSpec {
            terms: (0..family.terms()).collect(),
            config,
            low: -1.0,
            high: 1.0,
            trials,
            sampler: SamplerKind::Tpe,
            objective: Objective::ValAccuracy,
            seed: 0,
            startup: 10,
            ei_candidates: 24,
        })
    }

    /// Checks the spec; the space it defines.
    pub fn space(&self) -> Result<Space, SearchError> {
        self.config
            .validate()
            .map_err(|e| SearchError::Config(e.to_string()))?;
        if self.trials == 0 || self.trials > MAX_TRIALS {
            return Err(SearchError::Spec(format!(
                "trials must be 1 to {MAX_TRIALS}, got {}",
                self.trials
            )));
        }
        if self.config.epochs == 0 {
            return Err(SearchError::Spec("a trial needs at least one epoch".into()));
        }
        if self.ei_candidates == 0 {
            return Err(SearchError::Spec("ei_candidates must be at least 1".into()));
        }
        Space::new(&self.config, &self.terms, self.low, self.high)
    }

    /// The same search, up to its total of trials (what resuming may change).
    fn same_search(&self, other: &SearchSpec) -> bool {
        let mut a = self.clone();
        a.trials = other.trials;
        a == *other
    }
}

/// The searched terms as the page gives them: one `--terms` string, or a list.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Terms {
    Text(String),
    List(Vec<Term>),
}

/// A term by its index (paper order) or name.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Term {
    Index(usize),
    Name(String),
}

/// A search as the page and the JS API describe it (every field optional): `terms` a
/// list of indices and names or one string as `--terms` takes it, the rest as the
/// command line's flags. [`SearchOptions::spec`] makes the spec for a run config.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchOptions {
    pub terms: Terms,
    pub trials: usize,
    pub sampler: String,
    pub objective: String,
    pub seed: u64,
    pub low: f64,
    pub high: f64,
    pub startup: usize,
    pub ei_candidates: usize,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            terms: Terms::Text("all".into()),
            trials: 20,
            sampler: "tpe".into(),
            objective: "val_accuracy".into(),
            seed: 0,
            low: -1.0,
            high: 1.0,
            startup: 10,
            ei_candidates: 24,
        }
    }
}

impl SearchOptions {
    pub fn spec(&self, config: RunConfig) -> Result<SearchSpec, SearchError> {
        let mut spec = SearchSpec::new(config, self.trials)?;
        let family = spec
            .config
            .model
            .goal_family()
            .expect("checked by SearchSpec::new");
        let list = match &self.terms {
            Terms::Text(s) => s.clone(),
            Terms::List(items) => items
                .iter()
                .map(|t| match t {
                    Term::Index(i) => i.to_string(),
                    Term::Name(n) => n.clone(),
                })
                .collect::<Vec<_>>()
                .join(","),
        };
        spec.terms = parse_terms(family, &list)?;
        spec.sampler = SamplerKind::from_name(&self.sampler)?;
        spec.objective = Objective::from_name(&self.objective)?;
        (spec.seed, spec.low, spec.high) = (self.seed, self.low, self.high);
        (spec.startup, spec.ei_candidates) = (self.startup, self.ei_candidates);
        spec.space()?;
        Ok(spec)
    }
}

/// A trial handed out for running.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Asked {
    pub trial: usize,
    pub gamma: Vec<f64>,
    pub history: usize,
    pub batch: usize,
}

/// A study in progress: the sampler, the finished trials and those handed out.
pub struct Search {
    spec: SearchSpec,
    space: Space,
    sampler: Sampler,
    trials: Vec<Trial>,
    pending: Vec<Asked>,
    /// Trials of a replayed batch that never finished: asked again first.
    queued: Vec<Asked>,
    next: usize,
    /// Whether replaying the stored trials gave back their γ (false for a study the
    /// sampler did not write, e.g. edited by hand).
    replayed_exactly: bool,
}

impl Search {
    pub fn new(spec: SearchSpec) -> Result<Search, SearchError> {
        let space = spec.space()?;
        let sampler = Sampler::new(
            spec.sampler,
            space.terms().len(),
            space.range(),
            spec.seed,
            TpeSettings {
                startup: spec.startup,
                ei_candidates: spec.ei_candidates,
            },
        )?;
        Ok(Search {
            spec,
            space,
            sampler,
            trials: Vec::new(),
            pending: Vec::new(),
            queued: Vec::new(),
            next: 0,
            replayed_exactly: true,
        })
    }

    /// Goes on with a stored study (`stored_spec` from its header): `spec` must be the
    /// same search, its `trials` the new total. The sampler is replayed over the stored
    /// batches; trials of a batch that never finished are asked again first.
    pub fn resume(
        spec: SearchSpec,
        stored_spec: &SearchSpec,
        stored: Vec<Trial>,
    ) -> Result<Search, SearchError> {
        if !spec.same_search(stored_spec) {
            return Err(SearchError::Mismatch(
                "the study file holds another search (model, task, goal, terms, range, \
                 sampler, objective, seed or epochs differ): give another --study file"
                    .into(),
            ));
        }
        let mut search = Search::new(spec)?;
        let want = search
            .spec
            .config
            .hidden_gamma()
            .ok()
            .flatten()
            .map_or(0, |g| g.len());
        for t in &stored {
            if t.gamma.len() != want
                || t.batch == 0
                || t.history > t.trial
                || t.trial >= t.history + t.batch
            {
                return Err(SearchError::Study(format!(
                    "trial {}: its γ, history or batch does not fit this search",
                    t.trial
                )));
            }
        }
        let mut batches: Vec<(usize, usize)> =
            stored.iter().map(|t| (t.history, t.batch)).collect();
        crate::order::sort(&mut batches);
        batches.dedup();
        for (start, size) in batches {
            if start < search.next {
                return Err(SearchError::Study(format!(
                    "batches overlap at trial {start}: the study mixes two searches"
                )));
            }
            let end = (start + size).min(search.spec.trials.max(start + 1));
            let history: Vec<Trial> = search
                .trials
                .iter()
                .filter(|t| t.trial < start)
                .cloned()
                .collect();
            let space = search.space.clone();
            let params = search
                .sampler
                .ask(start..end, &history, |t| space.params(&t.gamma));
            for (number, p) in (start..end).zip(params) {
                let gamma = search.space.gamma(&p);
                match stored.iter().find(|t| t.trial == number) {
                    Some(t) => {
                        let same = t
                            .gamma
                            .iter()
                            .zip(&gamma)
                            .all(|(a, b)| (a - b).abs() <= 1e-12);
                        search.replayed_exactly &= same;
                        search.trials.push(t.clone());
                    }
                    None => search.queued.push(Asked {
                        trial: number,
                        gamma,
                        history: start,
                        batch: size,
                    }),
                }
            }
            search.next = end;
        }
        crate::order::sort_by_key(&mut search.trials, |t| t.trial);
        Ok(search)
    }

    pub fn spec(&self) -> &SearchSpec {
        &self.spec
    }

    pub fn space(&self) -> &Space {
        &self.space
    }

    /// The finished trials in number order.
    pub fn trials(&self) -> &[Trial] {
        &self.trials
    }

    pub fn replayed_exactly(&self) -> bool {
        self.replayed_exactly
    }

    /// Trials not yet finished nor handed out.
    pub fn remaining(&self) -> usize {
        self.queued.len() + self.spec.trials.saturating_sub(self.next)
    }

    /// Whether every trial of the study has finished.
    pub fn done(&self) -> bool {
        self.pending.is_empty() && self.queued.is_empty() && self.next >= self.spec.trials
    }

    /// Hands out up to `n` trials (a batch that all see the same history). Every trial
    /// handed out before must have been told first; an empty batch means the study has
    /// no trial left to run.
    pub fn ask(&mut self, n: usize) -> Result<Vec<Asked>, SearchError> {
        if let Some(p) = self.pending.first() {
            return Err(SearchError::Spec(format!(
                "trial {} is still running: tell every trial of a batch before asking again",
                p.trial
            )));
        }
        let n = n.max(1);
        if !self.queued.is_empty() {
            let take = n.min(self.queued.len());
            let batch: Vec<Asked> = self.queued.drain(..take).collect();
            self.pending = batch.clone();
            return Ok(batch);
        }
        let start = self.next;
        let end = (start + n).min(self.spec.trials);
        if start >= end {
            return Ok(Vec::new());
        }
        let space = self.space.clone();
        let params = self
            .sampler
            .ask(start..end, &self.trials, |t| space.params(&t.gamma));
        let batch: Vec<Asked> = (start..end)
            .zip(params)
            .map(|(trial, p)| Asked {
                trial,
                gamma: self.space.gamma(&p),
                history: start,
                batch: end - start,
            })
            .collect();
        self.next = end;
        self.pending = batch.clone();
        Ok(batch)
    }

    /// Records how a handed-out trial ended; a non-finite value makes it failed.
    pub fn tell(
        &mut self,
        trial: usize,
        value: Result<f64, String>,
        seconds: f64,
    ) -> Result<&Trial, SearchError> {
        let i = self
            .pending
            .iter()
            .position(|a| a.trial == trial)
            .ok_or(SearchError::NotAsked(trial))?;
        let asked = self.pending.remove(i);
        let (state, value, reason) = match value {
            Ok(v) if v.is_finite() => (TrialState::Complete, Some(v), None),
            Ok(v) => (
                TrialState::Failed,
                None,
                Some(format!("the objective is {v}")),
            ),
            Err(reason) => (TrialState::Failed, None, Some(reason)),
        };
        let record = Trial {
            trial,
            gamma: asked.gamma,
            value,
            seconds: if seconds.is_finite() {
                seconds.max(0.0)
            } else {
                0.0
            },
            state,
            reason,
            history: asked.history,
            batch: asked.batch,
        };
        let at = self.trials.partition_point(|t| t.trial < trial);
        self.trials.insert(at, record);
        Ok(&self.trials[at])
    }

    /// The γ of a handed-out trial.
    pub fn pending_gamma(&self, trial: usize) -> Option<Vec<f64>> {
        self.pending
            .iter()
            .find(|a| a.trial == trial)
            .map(|a| a.gamma.clone())
    }

    /// The run configuration of a handed-out trial.
    pub fn config_for(&self, gamma: &[f64]) -> RunConfig {
        let mut c = self.spec.config.clone();
        c.gamma = Some(gamma.to_vec());
        c
    }

    /// The best finished trial (the lowest number among equals).
    pub fn best(&self) -> Option<Best> {
        best_of(&self.trials)
    }
}

/// The best complete trial of a list (the lowest number among equals).
pub fn best_of(trials: &[Trial]) -> Option<Best> {
    trials
        .iter()
        .filter_map(|t| t.value.map(|v| (v, t)))
        .fold(None, |best: Option<(f64, &Trial)>, (v, t)| match best {
            Some((bv, _)) if bv >= v => best,
            _ => Some((v, t)),
        })
        .map(|(value, t)| Best {
            trial: t.trial,
            gamma: t.gamma.clone(),
            value,
        })
}
