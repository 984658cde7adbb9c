//! What defines a run: the model kind and the run configuration (method §4–§5; the
//! seeds: §7), in the one JSON schema that `infomorph train --config`, run files and
//! the page's URLs share.

use crate::goals::{self, GoalFamily};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelKind {
    /// F = image, C = label.
    Context,
    /// F = image, L = the other hidden neurons (two steps).
    Lateral,
    /// F = image, C = label, L = other hidden neurons (two steps).
    Trivariate,
    /// As trivariate, `sparse_k` random lateral inputs per neuron.
    TrivariateSparse,
    /// A frozen random context layer with threshold units; only the output learns.
    RandomProjection,
    /// No hidden layer.
    Readout,
    /// Trivariate with C = the output layer's sampled outputs of a first round instead
    /// of the label; only the second round learns.
    Feedback,
    /// The trivariate architecture trained end to end by backpropagation (baseline):
    /// {0, 1} outputs with a surrogate gradient, softmax cross-entropy on the output θ.
    Backprop,
}

impl ModelKind {
    pub const ALL: [ModelKind; 8] = [
        ModelKind::Context,
        ModelKind::Lateral,
        ModelKind::Trivariate,
        ModelKind::TrivariateSparse,
        ModelKind::RandomProjection,
        ModelKind::Feedback,
        ModelKind::Readout,
        ModelKind::Backprop,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Context => "context",
            ModelKind::Lateral => "lateral",
            ModelKind::Trivariate => "trivariate",
            ModelKind::TrivariateSparse => "trivariate-sparse",
            ModelKind::RandomProjection => "random-projection",
            ModelKind::Feedback => "feedback",
            ModelKind::Readout => "readout",
            ModelKind::Backprop => "backprop",
        }
    }

    pub fn from_name(name: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|m| m.name() == name)
            .ok_or_else(|| {
                let known: Vec<&str> = Self::ALL.iter().map(|m| m.name()).collect();
                format!("unknown model '{name}' (known: {})", known.join(", "))
            })
    }

    /// The goal family of the hidden layer, if the model has a learning one.
    pub fn goal_family(self) -> Option<GoalFamily> {
        match self {
            ModelKind::Context | ModelKind::RandomProjection => Some(GoalFamily::Context),
            ModelKind::Lateral => Some(GoalFamily::Lateral),
            ModelKind::Trivariate | ModelKind::TrivariateSparse | ModelKind::Feedback => {
                Some(GoalFamily::Trivariate)
            }
            ModelKind::Readout | ModelKind::Backprop => None,
        }
    }

    pub(crate) fn has_lateral(self) -> bool {
        matches!(
            self,
            ModelKind::Lateral
                | ModelKind::Trivariate
                | ModelKind::TrivariateSparse
                | ModelKind::Feedback
                | ModelKind::Backprop
        )
    }

    pub(crate) fn has_label_context(self) -> bool {
        !matches!(self, ModelKind::Lateral | ModelKind::Readout)
    }
}

/// How the hidden layer's aggregates are binned for its goal (method §2), when not the
/// model's own rule: the spec bins bivariate hidden layers after dividing each aggregate
/// by its largest magnitude over the batch (`max-abs`, on [−1, 1]) and trivariate ones on
/// the fixed range [−20, 20] (`fixed`). Published bivariate N = 100 runs behave like
/// `fixed` (docs/results/reproduce-mnist-n10-100-3seeds/table.md), so a researcher can
/// choose. No effect on models without a learning hidden layer (random projection,
/// readout, backprop) nor on the output layer (always max-abs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HiddenBinning {
    /// Equal bins on the fixed range [−20, 20] (the trivariate layers' rule).
    Fixed,
    /// Each aggregate over its batch's largest |value| (per neuron), then [−1, 1] (the
    /// bivariate layers' rule).
    MaxAbs,
}

impl HiddenBinning {
    pub const ALL: [HiddenBinning; 2] = [HiddenBinning::Fixed, HiddenBinning::MaxAbs];
    /// The names of [`HiddenBinning::ALL`], in its order.
    pub const NAMES: [&'static str; 2] = ["fixed", "max-abs"];

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    pub fn from_name(name: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|b| b.name() == name)
            .ok_or_else(|| {
                format!(
                    "unknown hidden binning '{name}' (known: {})",
                    Self::NAMES.join(", ")
                )
            })
    }
}

/// A hidden binning from its name or null only, so that any other value is reported as
/// the wrong type (serde's enum reader takes a number for a syntax error).
fn binning_by_name<'de, D: serde::Deserializer<'de>>(
    de: D,
) -> Result<Option<HiddenBinning>, D::Error> {
    match Option::<String>::deserialize(de)? {
        None => Ok(None),
        Some(name) => HiddenBinning::from_name(&name)
            .map(Some)
            .map_err(|_| serde::de::Error::unknown_variant(&name, &HiddenBinning::NAMES)),
    }
}

/// A model from its name only (serde's enum form `{"context": null}` is not a config),
/// so that any other value is reported as the wrong type.
fn model_by_name<'de, D: serde::Deserializer<'de>>(de: D) -> Result<ModelKind, D::Error> {
    const NAMES: [&str; 8] = [
        "context",
        "lateral",
        "trivariate",
        "trivariate-sparse",
        "random-projection",
        "feedback",
        "readout",
        "backprop",
    ];
    let name = String::deserialize(de)?;
    ModelKind::from_name(&name).map_err(|_| serde::de::Error::unknown_variant(&name, &NAMES))
}

/// Everything that defines a run. The same JSON schema is used by `infomorph train
/// --config`, run files and the page's URLs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunConfig {
    pub task: String,
    #[serde(deserialize_with = "model_by_name")]
    pub model: ModelKind,
    /// A preset name (`heuristic`, `optimized`, …) for the hidden goal.
    pub goal: String,
    /// A custom hidden γ; overrides `goal` when present.
    pub gamma: Option<Vec<f64>>,
    pub hidden: usize,
    pub bins: usize,
    /// The hidden layer's binning; `None` (null) is the model's own (trivariate layers
    /// `fixed`, bivariate ones `max-abs`).
    #[serde(deserialize_with = "binning_by_name")]
    pub hidden_binning: Option<HiddenBinning>,
    pub batch: usize,
    pub epochs: usize,
    pub lr_hidden: f64,
    pub weight_decay_hidden: f64,
    pub lr_output: f64,
    pub weight_decay_output: f64,
    /// Lateral inputs per neuron of the sparse model.
    pub sparse_k: usize,
    /// Learning rate of the backprop baseline (one Adam over all parameters).
    pub lr_backprop: f64,
    pub data_seed: u64,
    pub init_seed: u64,
    pub sample_seed: u64,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            task: "mnist10k".into(),
            model: ModelKind::Trivariate,
            goal: "optimized".into(),
            gamma: None,
            hidden: 100,
            bins: 20,
            hidden_binning: None,
            batch: 1024,
            epochs: 100,
            lr_hidden: 0.002,
            weight_decay_hidden: 3.5e-4,
            lr_output: 0.003,
            weight_decay_output: 1.5e-4,
            sparse_k: 100,
            lr_backprop: 0.001,
            data_seed: 0,
            init_seed: 0,
            sample_seed: 0,
        }
    }
}

/// The keys of a config, in the order [`RunConfig`] serialises them.
pub const FIELDS: &[&str] = &[
    "task",
    "model",
    "goal",
    "gamma",
    "hidden",
    "bins",
    "hidden_binning",
    "batch",
    "epochs",
    "lr_hidden",
    "weight_decay_hidden",
    "lr_output",
    "weight_decay_output",
    "sparse_k",
    "lr_backprop",
    "data_seed",
    "init_seed",
    "sample_seed",
];

/// Most hidden neurons (the papers go to 2000; the page to 1024).
pub const MAX_HIDDEN: usize = 10_000;
/// Largest batch (the full MNIST training set, 60 000, fits in one; the page stops at 8192).
pub const MAX_BATCH: usize = 65_536;
/// Bins per source: at least 2; at most 1000 (the GPU engine allows 256, the page 40).
pub const MIN_BINS: usize = 2;
pub const MAX_BINS: usize = 1000;
/// Most epochs (as the page). 0 is allowed: a run that only initialises and evaluates.
pub const MAX_EPOCHS: usize = 100_000;
/// Most lateral inputs per neuron of the sparse model (k ≥ hidden − 1 is all-to-all).
pub const MAX_SPARSE_K: usize = MAX_HIDDEN;
/// Longest task and goal names, in characters. Task names are free text: an uploaded
/// data set on the page is named after its files.
pub const MAX_NAME_CHARS: usize = 256;
/// Most γ entries (the trivariate lattice's 19 terms).
pub const MAX_GAMMA: usize = 19;

/// Why a config was refused. Every variant names the offending key (or, for text that
/// is not a JSON object, the line and column), and so does its message.
#[derive(Clone, Debug, PartialEq)]
pub enum ConfigError {
    /// Not JSON, cut short, trailing text, a number JSON cannot hold, or a JSON value
    /// that is not an object: where the parser stopped, and why.
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    /// A key the schema does not have.
    UnknownField {
        field: String,
        known: &'static [&'static str],
    },
    /// A key whose value has the wrong JSON type, or a number its type cannot hold
    /// (`field` is a path: `gamma[3]` for an entry of γ).
    WrongType {
        field: String,
        expected: &'static str,
        message: String,
    },
    /// A value of the right type that the engine refuses: a size out of range, a
    /// negative rate, a γ of the wrong length, a key given twice, an unknown goal.
    Invalid { field: String, message: String },
}

impl ConfigError {
    /// The key the error is about (`gamma[3]` for an entry), if it is about one.
    pub fn field(&self) -> Option<&str> {
        match self {
            ConfigError::Syntax { .. } => None,
            ConfigError::UnknownField { field, .. }
            | ConfigError::WrongType { field, .. }
            | ConfigError::Invalid { field, .. } => Some(field),
        }
    }

    fn invalid(field: &str, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::Syntax {
                line,
                column,
                message,
            } => write!(f, "config line {line}, column {column}: {message}"),
            ConfigError::UnknownField { field, known } => write!(
                f,
                "unknown config key {field:?} (known: {})",
                known.join(", ")
            ),
            ConfigError::WrongType {
                field,
                expected,
                message,
            } => write!(f, "{field}: expected {expected}, got {message}"),
            ConfigError::Invalid { field, message } => write!(f, "{field}: {message}"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// The command line, the page and `Network::new` report errors as strings.
impl From<ConfigError> for String {
    fn from(e: ConfigError) -> String {
        e.to_string()
    }
}

/// What a key's value must be, in words.
fn expected(field: &str) -> &'static str {
    match field {
        "task" | "goal" => "a string",
        "model" => "one of \"context\", \"lateral\", \"trivariate\", \"trivariate-sparse\", \"random-projection\", \"feedback\", \"readout\", \"backprop\"",
        "gamma" => "null or a list of numbers",
        "hidden_binning" => "null, \"fixed\" or \"max-abs\"",
        f if f.starts_with("gamma[") => "a number",
        "hidden" | "bins" | "batch" | "epochs" | "sparse_k" => "a whole number ≥ 0",
        "data_seed" | "init_seed" | "sample_seed" => "a whole number from 0 to 18446744073709551615",
        _ => "a number",
    }
}

/// What serde found, from its message: "invalid type: string \"x\", expected usize" →
/// `string "x"`; "unknown variant `mlp`, expected one of …" → "unknown model `mlp`".
fn got(field: &str, message: &str) -> String {
    let text = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))
        .unwrap_or(message);
    let text = match text.rfind(", expected") {
        Some(i) => &text[..i],
        None => text,
    };
    match text.strip_prefix("unknown variant ") {
        Some(v) if field == "model" => format!("unknown model {v}"),
        Some(v) => format!("unknown value {v}"),
        None => text.to_string(),
    }
}

/// serde_json's message without its " at line L column C" suffix.
fn bare_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_string()
}

/// The key name inside serde's "unknown field `KEY`, expected …" (the key is the text
/// between the first backtick and the last "`, expected" or "`, there are").
fn unknown_key(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `")?;
    let end = rest
        .rfind("`, expected")
        .or_else(|| rest.rfind("`, there are"))?;
    Some(&rest[..end])
}

impl ConfigError {
    fn from_serde(e: serde_path_to_error::Error<serde_json::Error>) -> ConfigError {
        use serde_json::error::Category;
        let path = e.path().to_string();
        let inner = e.inner();
        let (line, column) = (inner.line(), inner.column());
        let message = bare_message(inner);
        // "." is the top level; "?" a key serde_path_to_error could not see.
        let at_root = path == "." || path.is_empty() || path.contains('?');
        if inner.classify() == Category::Data {
            if let Some(key) = unknown_key(&message) {
                return ConfigError::UnknownField {
                    field: key.to_string(),
                    known: FIELDS,
                };
            }
            if let Some(rest) = message.strip_prefix("duplicate field `") {
                let key = rest.strip_suffix('`').unwrap_or(rest);
                return ConfigError::invalid(key, "given twice");
            }
        }
        match inner.classify() {
            Category::Data if !at_root => ConfigError::WrongType {
                expected: expected(&path),
                message: got(&path, &message),
                field: path,
            },
            Category::Data => ConfigError::Syntax {
                line,
                column,
                message: format!(
                    "a config is a JSON object of keys ({}), got {}",
                    FIELDS.join(", "),
                    got("", &message)
                ),
            },
            Category::Syntax | Category::Eof | Category::Io => ConfigError::Syntax {
                line,
                column,
                message: if at_root {
                    message
                } else {
                    format!("{message} (in {path})")
                },
            },
        }
    }
}

/// Largest estimated footprint a network may have: most of this machine kind's 24 GiB
/// natively, what a browser tab can address on wasm32.
#[cfg(not(target_arch = "wasm32"))]
pub const MEMORY_LIMIT_BYTES: f64 = 16.0 * (1u64 << 30) as f64;
#[cfg(target_arch = "wasm32")]
pub const MEMORY_LIMIT_BYTES: f64 = 2.0 * (1u64 << 30) as f64;

impl RunConfig {
    /// Parses a config in the JSON schema of `infomorph train --config`, run files and
    /// the page, and validates it ([`RunConfig::validate`]): the one way text becomes a
    /// config. Missing keys take their defaults; unknown keys, wrong types, keys given
    /// twice, trailing text and out-of-range values are refused with an error that names
    /// the key (or the line and column, for text that is not a JSON object).
    pub fn from_json(text: &str) -> Result<RunConfig, ConfigError> {
        // serde also reads a struct from an array of its fields in order; a config is
        // only ever an object.
        let start = text.len() - text.trim_start_matches([' ', '\t', '\n', '\r']).len();
        if text[start..].starts_with('[') {
            let before = &text[..start];
            let line = 1 + before.matches('\n').count();
            let column = 1 + before.len() - before.rfind('\n').map_or(0, |i| i + 1);
            return Err(ConfigError::Syntax {
                line,
                column,
                message: format!(
                    "a config is a JSON object of keys ({}), not an array",
                    FIELDS.join(", ")
                ),
            });
        }
        let mut de = serde_json::Deserializer::from_str(text);
        let config: RunConfig =
            serde_path_to_error::deserialize(&mut de).map_err(ConfigError::from_serde)?;
        de.end().map_err(|e| ConfigError::Syntax {
            line: e.line(),
            column: e.column(),
            message: format!("{} after the config object", bare_message(&e)),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Rough peak memory of the network and one training step: parameters with their
    /// gradients and Adam moments, the per-batch arrays of the hidden layer, and the
    /// lateral masks.
    pub fn estimated_bytes(&self, input_dim: usize, classes: usize) -> f64 {
        let n = if self.model == ModelKind::Readout {
            0.0
        } else {
            self.hidden as f64
        };
        let lateral = if self.model.has_lateral() { n * n } else { 0.0 };
        let out_in = if n > 0.0 { n } else { input_dim as f64 };
        let params =
            n * (input_dim + classes) as f64 + lateral + classes as f64 * (out_in + classes as f64);
        let per_sample = n.max(classes as f64) * (16.0 * 4.0 + 3.0 * 8.0);
        (params + lateral) * 4.0 * 4.0 + self.batch as f64 * per_sample
    }

    /// Refuses sizes whose estimated footprint exceeds [`MEMORY_LIMIT_BYTES`] (the
    /// error names `hidden`).
    pub fn check_memory(&self, input_dim: usize, classes: usize) -> Result<(), ConfigError> {
        let bytes = self.estimated_bytes(input_dim, classes);
        if bytes > MEMORY_LIMIT_BYTES {
            return Err(ConfigError::invalid(
                "hidden",
                format!(
                    "{} neurons with batch {} need about {:.1} GB, more than the {:.0} GB this engine allows",
                    self.hidden,
                    self.batch,
                    bytes / 1e9,
                    MEMORY_LIMIT_BYTES / 1e9
                ),
            ));
        }
        Ok(())
    }

    /// The hidden layer's γ: the custom vector, or the named preset (errors name `gamma`,
    /// `gamma[i]` or `goal`).
    pub fn hidden_gamma(&self) -> Result<Option<Vec<f64>>, ConfigError> {
        let Some(family) = self.model.goal_family() else {
            return Ok(None);
        };
        let gamma = match &self.gamma {
            Some(g) => g.clone(),
            None => {
                goals::preset(family, &self.goal).map_err(|e| ConfigError::invalid("goal", e))?
            }
        };
        let want = if family == GoalFamily::Trivariate {
            19
        } else {
            5
        };
        if gamma.len() != want {
            return Err(ConfigError::invalid(
                "gamma",
                format!(
                    "γ for the {} model needs {want} entries, got {}",
                    self.model.name(),
                    gamma.len()
                ),
            ));
        }
        if let Some(i) = gamma.iter().position(|g| !g.is_finite()) {
            return Err(ConfigError::invalid(
                &format!("gamma[{i}]"),
                "not a finite number",
            ));
        }
        Ok(Some(gamma))
    }

    /// Checks names, sizes and numbers before anything is allocated; the error names
    /// the first offending key. (`?` turns it into the `String` errors of the callers.)
    /// Limits: task and goal at most [`MAX_NAME_CHARS`] characters without control
    /// characters, the task not empty; hidden 1 to [`MAX_HIDDEN`] (any for `readout`,
    /// which has no hidden layer, up to the same maximum); batch 1 to [`MAX_BATCH`]; bins
    /// [`MIN_BINS`] to [`MAX_BINS`]; epochs 0 to [`MAX_EPOCHS`]; rates and weight decays
    /// finite and ≥ 0; `sparse_k` at most [`MAX_SPARSE_K`] and, for
    /// `trivariate-sparse`, at least 1 (k ≥ hidden − 1 connects all-to-all); γ of the
    /// hidden goal's length with finite entries (for models without a hidden goal γ is
    /// ignored but must still have at most [`MAX_GAMMA`] finite entries); seeds any u64.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (field, name, required) in [("task", &self.task, true), ("goal", &self.goal, false)] {
            if required && name.is_empty() {
                return Err(ConfigError::invalid(field, "must not be empty"));
            }
            let chars = name.chars().count();
            if chars > MAX_NAME_CHARS {
                return Err(ConfigError::invalid(
                    field,
                    format!("must be at most {MAX_NAME_CHARS} characters, got {chars}"),
                ));
            }
            if name.chars().any(char::is_control) {
                return Err(ConfigError::invalid(
                    field,
                    "must not contain control characters",
                ));
            }
        }
        let min_hidden = usize::from(self.model != ModelKind::Readout);
        for (field, v, lo, hi) in [
            ("hidden", self.hidden, min_hidden, MAX_HIDDEN),
            ("batch", self.batch, 1, MAX_BATCH),
            ("bins", self.bins, MIN_BINS, MAX_BINS),
            ("epochs", self.epochs, 0, MAX_EPOCHS),
            ("sparse_k", self.sparse_k, 0, MAX_SPARSE_K),
        ] {
            if !(lo..=hi).contains(&v) {
                return Err(ConfigError::invalid(
                    field,
                    format!("must be {lo} to {hi}, got {v}"),
                ));
            }
        }
        if self.model == ModelKind::TrivariateSparse && self.sparse_k == 0 {
            return Err(ConfigError::invalid(
                "sparse_k",
                "must be at least 1 for the trivariate-sparse model, got 0",
            ));
        }
        for (field, v) in [
            ("lr_hidden", self.lr_hidden),
            ("weight_decay_hidden", self.weight_decay_hidden),
            ("lr_output", self.lr_output),
            ("weight_decay_output", self.weight_decay_output),
            ("lr_backprop", self.lr_backprop),
        ] {
            if !v.is_finite() || v < 0.0 {
                return Err(ConfigError::invalid(
                    field,
                    format!("must be a finite number ≥ 0, got {v}"),
                ));
            }
        }
        if self.model.goal_family().is_none() {
            if let Some(g) = &self.gamma {
                if g.len() > MAX_GAMMA {
                    return Err(ConfigError::invalid(
                        "gamma",
                        format!("must have at most {MAX_GAMMA} entries, got {}", g.len()),
                    ));
                }
                if let Some(i) = g.iter().position(|x| !x.is_finite()) {
                    return Err(ConfigError::invalid(
                        &format!("gamma[{i}]"),
                        "not a finite number",
                    ));
                }
            }
        }
        self.hidden_gamma().map(|_| ())
    }
}
