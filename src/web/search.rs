//! The page's goal search (`www/js/search.js`): a study that lives on the page's main
//! thread and hands trials to worker sessions. The sampler, the batches, the study
//! format and the objective are `crate::search`'s, as on the command line, so that a
//! study moves between the page and `infomorph search --study` either way.

use super::session::bindings::{err, to_js};
use crate::network::RunConfig;
use crate::search::sensitivity::Plan;
use crate::search::{study, Search, SearchOptions};
use wasm_bindgen::prelude::*;

fn json_of(value: JsValue, what: &str) -> Result<serde_json::Value, JsError> {
    serde_wasm_bindgen::from_value(value).map_err(|e| err(format!("invalid {what}: {e}")))
}

/// A goal search in the page.
#[wasm_bindgen]
pub struct SearchStudy {
    search: Search,
}

#[wasm_bindgen]
impl SearchStudy {
    /// A new study: `config` a run config object (the trials' run; its `epochs` are
    /// each trial's budget), `options` `{terms, trials, sampler, objective, seed, low,
    /// high, startup, ei_candidates}` (any subset).
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue, options: JsValue) -> Result<SearchStudy, JsError> {
        let config = RunConfig::from_json(&json_of(config, "config")?.to_string())
            .map_err(|e| err(format!("invalid config: {e}")))?;
        let options: SearchOptions = if options.is_undefined() || options.is_null() {
            SearchOptions::default()
        } else {
            serde_wasm_bindgen::from_value(options)
                .map_err(|e| err(format!("invalid search options: {e}")))?
        };
        let spec = options.spec(config).map_err(err)?;
        Ok(SearchStudy {
            search: Search::new(spec).map_err(err)?,
        })
    }

    /// A study from its JSON lines (exported by the page or written by `infomorph
    /// search --study`), to go on up to `trials` in all (default: its own total).
    #[wasm_bindgen(js_name = fromLines)]
    pub fn from_lines(text: &str, trials: Option<usize>) -> Result<SearchStudy, JsError> {
        let (stored_spec, stored) = study::parse(text).map_err(err)?;
        let mut spec = stored_spec.clone();
        if let Some(t) = trials {
            spec.trials = t;
        }
        Ok(SearchStudy {
            search: Search::resume(spec, &stored_spec, stored).map_err(err)?,
        })
    }

    /// Up to `n` trials to run (all asked with the same history): `[{trial, gamma,
    /// config}]`; empty when the study is done.
    pub fn ask(&mut self, n: usize) -> Result<JsValue, JsError> {
        let batch = self.search.ask(n).map_err(err)?;
        let out: Vec<serde_json::Value> = batch
            .iter()
            .map(|a| {
                serde_json::json!({"trial": a.trial, "gamma": a.gamma,
                    "config": self.search.config_for(&a.gamma)})
            })
            .collect();
        to_js(&out)
    }

    /// How a trial ended: of its run's last epoch (the session's `stats().metrics`
    /// entry) the validation accuracy and the hidden layer's mean terms (NaN where
    /// absent), or `error` saying why it stopped. Returns the trial record.
    pub fn tell(
        &mut self,
        trial: usize,
        val_accuracy: f64,
        hidden_atoms: Vec<f64>,
        error: Option<String>,
        seconds: f64,
    ) -> Result<JsValue, JsError> {
        let value = match error {
            Some(e) => Err(e),
            None => {
                let gamma = self
                    .search
                    .pending_gamma(trial)
                    .ok_or_else(|| err(format!("trial {trial} was not asked")))?;
                self.search
                    .spec()
                    .objective
                    .value_of(val_accuracy, hidden_atoms, &gamma)
            }
        };
        let t = self.search.tell(trial, value, seconds).map_err(err)?;
        to_js(t)
    }

    /// The finished trials in number order.
    pub fn trials(&self) -> Result<JsValue, JsError> {
        to_js(&self.search.trials())
    }

    /// `{trial, gamma, value}` of the best trial, or null.
    pub fn best(&self) -> Result<JsValue, JsError> {
        to_js(&self.search.best())
    }

    /// The study's search (the header of its JSON lines).
    pub fn spec(&self) -> Result<JsValue, JsError> {
        to_js(self.search.spec())
    }

    /// The searched terms' γ indices and display names.
    pub fn terms(&self) -> Vec<usize> {
        self.search.space().terms().to_vec()
    }

    pub fn names(&self) -> Vec<String> {
        self.search.space().names()
    }

    pub fn done(&self) -> bool {
        self.search.done()
    }

    pub fn remaining(&self) -> usize {
        self.search.remaining()
    }

    /// The study as JSON lines (`infomorph search --study`'s format).
    #[wasm_bindgen(js_name = toLines)]
    pub fn to_lines(&self) -> String {
        let mut text = study::header_line(self.search.spec());
        text.push('\n');
        for t in self.search.trials() {
            text.push_str(&study::trial_line(t));
            text.push('\n');
        }
        text
    }
}

/// The page's sensitivity analysis of the current goal (the Goal search view): the runs
/// and reports of [`crate::search::sensitivity::Plan`], as `infomorph sensitivity`
/// makes them; the page trains the runs in its search workers.
#[wasm_bindgen]
pub struct SensitivityStudy {
    plan: Plan,
    zero_order: Option<Vec<usize>>,
}

/// `{seed, seeds}` of a sensitivity analysis (the CLI's --seed and --seeds).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SensitivityOptions {
    #[serde(default)]
    seed: u64,
    #[serde(default = "three")]
    seeds: u64,
}

fn three() -> u64 {
    3
}

#[wasm_bindgen]
impl SensitivityStudy {
    /// The analysis of `config`'s hidden goal (each run `config.epochs` long) over the
    /// seeds `seed .. seed + seeds` (`options`: `{seed, seeds}`, default 0 and 3).
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue, options: JsValue) -> Result<SensitivityStudy, JsError> {
        let config = RunConfig::from_json(&json_of(config, "config")?.to_string())
            .map_err(|e| err(format!("invalid config: {e}")))?;
        let options: SensitivityOptions = if options.is_undefined() || options.is_null() {
            SensitivityOptions {
                seed: 0,
                seeds: three(),
            }
        } else {
            serde_wasm_bindgen::from_value(options)
                .map_err(|e| err(format!("invalid sensitivity options: {e}")))?
        };
        Ok(SensitivityStudy {
            plan: Plan::new(config, options.seed, options.seeds).map_err(err)?,
            zero_order: None,
        })
    }

    /// The run configs of the single changes: the baseline, then each term's five
    /// changes, each over the seeds.
    #[wasm_bindgen(js_name = singleRuns)]
    pub fn single_runs(&self) -> Result<JsValue, JsError> {
        to_js(&self.plan.single_runs())
    }

    /// The report (`{baseline, rows, zero_order}`) of the single runs' validation
    /// accuracies, in their order (NaN for a failed run).
    pub fn singles(&mut self, values: Vec<f64>) -> Result<JsValue, JsError> {
        let report = self.plan.singles(&values).map_err(err)?;
        self.zero_order = Some(report.zero_order.clone());
        to_js(&report)
    }

    /// The run configs of "cumulative zero" (once the singles are reported).
    #[wasm_bindgen(js_name = cumulativeRuns)]
    pub fn cumulative_runs(&self) -> Result<JsValue, JsError> {
        to_js(&self.plan.cumulative_runs(self.order()?))
    }

    /// The cumulative steps (`[{cumulative, zeroed, values, mean, std}]`).
    pub fn cumulative(&self, values: Vec<f64>) -> Result<JsValue, JsError> {
        to_js(&self.plan.cumulative(self.order()?, &values).map_err(err)?)
    }

    /// The goal's term display names.
    pub fn names(&self) -> Vec<String> {
        self.plan.names().to_vec()
    }
}

impl SensitivityStudy {
    fn order(&self) -> Result<&[usize], JsError> {
        self.zero_order
            .as_deref()
            .ok_or_else(|| err("report the single changes first"))
    }
}
