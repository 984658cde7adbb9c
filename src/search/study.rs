//! A study as JSON lines — the format `infomorph search --study FILE` keeps, `--json`
//! prints and the page exports and imports: a first line `{"search": …}` with what was
//! searched, then one line per finished trial.

use super::{SearchError, SearchSpec};
use serde::{Deserialize, Serialize};

/// How a trial ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrialState {
    Complete,
    Failed,
}

/// One finished trial.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trial {
    /// The trial's number in the study, from 0.
    pub trial: usize,
    /// The whole hidden γ the run trained with (every term, searched or not).
    pub gamma: Vec<f64>,
    /// The objective (null for a failed trial).
    pub value: Option<f64>,
    pub seconds: f64,
    pub state: TrialState,
    /// Why a failed trial failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The sampler proposed this γ after seeing trials 0..history (all finished), in a
    /// batch of `batch` trials asked together: what a resumed study replays.
    pub history: usize,
    pub batch: usize,
}

/// The best trial so far.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Best {
    pub trial: usize,
    pub gamma: Vec<f64>,
    pub value: f64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    search: SearchSpec,
}

/// The header line of a study.
pub fn header_line(spec: &SearchSpec) -> String {
    serde_json::to_string(&Header {
        search: spec.clone(),
    })
    .expect("a search spec encodes")
}

/// One trial as a line.
pub fn trial_line(trial: &Trial) -> String {
    serde_json::to_string(trial).expect("a trial encodes")
}

/// Reads a study: its search and its trials in number order. Lines that are empty are
/// skipped, and so is a last line cut short; a `{"best": …}` line (what `--json` prints last) is ignored; a trial number
/// seen twice keeps its first record.
pub fn parse(text: &str) -> Result<(SearchSpec, Vec<Trial>), SearchError> {
    let mut spec = None;
    let mut trials: Vec<Trial> = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let at = |e: serde_json::Error| SearchError::Study(format!("line {}: {e}", i + 1));
        // A last line without its newline is a write cut short (a killed search): that
        // trial is run again.
        let cut_short = i + 1 == lines.len() && !text.ends_with('\n');
        // The line's kind by its first key (every line is one object this module wrote,
        // or the page): read straight into its type.
        if line.starts_with("{\"best\"") {
            continue;
        }
        if line.starts_with("{\"search\"") {
            if spec.is_some() {
                return Err(SearchError::Study(format!(
                    "line {}: a second search header",
                    i + 1
                )));
            }
            match serde_json::from_str::<Header>(line) {
                Ok(h) => spec = Some(h.search),
                Err(_) if cut_short => {}
                Err(e) => return Err(at(e)),
            }
            continue;
        }
        let trial: Trial = match serde_json::from_str(line) {
            Ok(t) => t,
            Err(_) if cut_short => continue,
            Err(e) => return Err(at(e)),
        };
        if spec.is_none() {
            return Err(SearchError::Study(format!(
                "line {}: a trial before the search header",
                i + 1
            )));
        }
        if !trials.iter().any(|t| t.trial == trial.trial) {
            trials.push(trial);
        }
    }
    let spec = spec.ok_or_else(|| SearchError::Study("no search header line".into()))?;
    crate::order::sort_by_key(&mut trials, |t| t.trial);
    Ok((spec, trials))
}
