//! What the engine offers, for the page: models, goal presets, tasks, term names,
//! limits, the defaults and the kinds of engine notices, in one object returned by
//! [`catalog`]. `www/js/config.js` derives its tables from it instead of copying them
//! (`init(catalog)`), so a model, preset or task added here reaches the page's
//! controls, URL validation and JavaScript API without a second list to keep in step.

use serde::Serialize;

use crate::goals::{self, GoalFamily};
use crate::network::config::{
    self, HiddenBinning, MAX_BATCH, MAX_BINS, MAX_EPOCHS, MAX_HIDDEN, MIN_BINS,
};
use crate::network::layer::SourceKind;
use crate::network::{Activation, ModelKind, RunConfig};
use crate::pid::Lattice;

/// The page's limits (a browser tab: memory, a step's time), inside the engine's
/// (`network::config`, checked by `RunConfig::validate`; asserted below).
pub const PAGE_MAX_HIDDEN: usize = 1024;
pub const PAGE_MAX_BATCH: usize = 8192;
pub const PAGE_MAX_BINS: usize = 40;
pub const PAGE_MAX_EPOCHS: usize = MAX_EPOCHS;
const _: () = assert!(PAGE_MAX_HIDDEN <= MAX_HIDDEN && PAGE_MAX_HIDDEN <= config::MAX_SPARSE_K);
const _: () = assert!(PAGE_MAX_BATCH <= MAX_BATCH);
const _: () = assert!(MIN_BINS <= PAGE_MAX_BINS && PAGE_MAX_BINS <= MAX_BINS);
/// Largest seed a URL carries: the page's inputs hold seeds as 32-bit numbers.
pub const PAGE_MAX_SEED: u64 = u32::MAX as u64;
/// Range of every γ entry on the page's sliders and in URLs.
pub const GAMMA_RANGE: [f64; 2] = [-5.0, 5.0];
/// Largest learning rate or weight decay the page accepts.
pub const PAGE_MAX_RATE: f64 = 1.0;
/// Largest activation slope (k2, w1, w2) the page accepts; mixing weights are 0 to 1.
pub const PAGE_MAX_SLOPE: f64 = 20.0;

/// Everything the page's configuration derives from the engine.
#[derive(Serialize)]
pub struct Catalog {
    pub models: Vec<Model>,
    /// Goal presets per family, each with its γ in term order.
    pub goals: Vec<GoalPresets>,
    pub tasks: Vec<Task>,
    /// Term names in the paper's order for 1 to 3 sources.
    pub terms: Vec<Terms>,
    /// The hidden layer's binning choices (`hidden_binning`; `null` is each model's own).
    pub hidden_binnings: Vec<&'static str>,
    pub limits: Limits,
    /// `RunConfig::default()`: what `infomorph train` runs without flags.
    pub defaults: RunConfig,
    /// The activation parameters' defaults (hidden layer: Graetz `k1, k2`; trivariate:
    /// `c1, c2, w1, w2`).
    pub activation: ActivationDefaults,
    pub notices: Vec<NoticeKind>,
    /// The curated experiments (`crate::experiments`), in the gallery's order.
    pub experiments: Vec<ExperimentEntry>,
}

/// An experiment as the page's gallery shows and opens it.
#[derive(Serialize)]
pub struct ExperimentEntry {
    pub name: &'static str,
    pub title: &'static str,
    pub text: &'static str,
    pub claim: crate::experiments::Claim,
    /// The whole run configuration (every key), which the page loads as it is.
    pub config: RunConfig,
    /// `#v=1&experiment=NAME`.
    pub hash: String,
}

#[derive(Serialize)]
pub struct Model {
    pub name: &'static str,
    /// `context`, `lateral`, `trivariate`, or `null` (no learning hidden layer).
    pub family: Option<&'static str>,
    pub hidden_goal: bool,
    /// Number of goal terms of the hidden layer (atoms and H_res): 5, 19, or 0.
    pub terms: usize,
    /// Source letters of a hidden neuron (`F`, `C`, `L`), in term order.
    pub sources: Vec<&'static str>,
}

#[derive(Serialize)]
pub struct GoalPresets {
    pub family: &'static str,
    pub presets: Vec<Preset>,
}

#[derive(Serialize)]
pub struct Preset {
    pub name: &'static str,
    pub gamma: Vec<f64>,
}

#[derive(Serialize)]
pub struct Task {
    pub name: &'static str,
    /// `toy` (generated, `tasks::toy`), `embedded` (in the module), `fetched` (IDX files
    /// from the page's origin) or `upload` (the user's files: `idx` or `csv`).
    pub kind: &'static str,
}

#[derive(Serialize)]
pub struct Terms {
    pub sources: usize,
    pub names: Vec<String>,
    /// With the default source letters (`F`, `C`, `L`), e.g. `(F)(CL)`.
    pub display: Vec<String>,
}

#[derive(Serialize)]
pub struct Limits {
    /// `[min, max, integer]` per numeric config key.
    pub numbers: Vec<(&'static str, f64, f64, bool)>,
    /// `[min, max]` per activation parameter.
    pub activation: Vec<(&'static str, f64, f64)>,
    pub gamma: [f64; 2],
    /// The engine's own limits (`network::config`), which the command line allows.
    pub engine: EngineLimits,
}

#[derive(Serialize)]
pub struct EngineLimits {
    pub hidden: usize,
    pub batch: usize,
    pub bins: [usize; 2],
    pub epochs: usize,
    pub sparse_k: usize,
    pub name_chars: usize,
    pub gamma_len: usize,
}

#[derive(Serialize)]
pub struct ActivationDefaults {
    pub k1: f64,
    pub k2: f64,
    pub c1: f64,
    pub c2: f64,
    pub w1: f64,
    pub w2: f64,
}

/// An engine notice kind (the `kind` of the stats' `notices`, `{kind, text}`) and
/// whether the page tells the user of such a notice (once) in an info box.
#[derive(Serialize)]
pub struct NoticeKind {
    pub kind: crate::engine::NoticeKind,
    pub tell: bool,
}

fn family_name(family: GoalFamily) -> &'static str {
    match family {
        GoalFamily::Context => "context",
        GoalFamily::Lateral => "lateral",
        GoalFamily::Trivariate => "trivariate",
    }
}

fn family_sources(family: GoalFamily) -> Vec<SourceKind> {
    match family {
        GoalFamily::Context => vec![SourceKind::Feedforward, SourceKind::Context],
        GoalFamily::Lateral => vec![SourceKind::Feedforward, SourceKind::Lateral],
        GoalFamily::Trivariate => vec![
            SourceKind::Feedforward,
            SourceKind::Context,
            SourceKind::Lateral,
        ],
    }
}

const FAMILIES: [GoalFamily; 3] = [
    GoalFamily::Context,
    GoalFamily::Lateral,
    GoalFamily::Trivariate,
];

/// Builds the catalog.
pub fn build() -> Catalog {
    let models = ModelKind::ALL
        .iter()
        .map(|&kind| {
            let family = kind.goal_family();
            let sources: Vec<&'static str> = family
                .map(|f| {
                    family_sources(f)
                        .into_iter()
                        .map(SourceKind::letter)
                        .collect()
                })
                .unwrap_or_default();
            let terms = if sources.is_empty() {
                0
            } else {
                Lattice::new(sources.len()).term_names().len()
            };
            Model {
                name: kind.name(),
                family: family.map(family_name),
                hidden_goal: family.is_some(),
                terms,
                sources,
            }
        })
        .collect();
    let goals = FAMILIES
        .iter()
        .map(|&family| GoalPresets {
            family: family_name(family),
            presets: goals::PRESETS
                .iter()
                .filter_map(|&name| {
                    goals::preset(family, name)
                        .ok()
                        .map(|gamma| Preset { name, gamma })
                })
                .collect(),
        })
        .collect();
    let mut tasks: Vec<Task> = crate::tasks::toy::NAMES
        .iter()
        .map(|&name| Task { name, kind: "toy" })
        .collect();
    tasks.push(Task {
        name: "digits8",
        kind: "embedded",
    });
    tasks.push(Task {
        name: "mnist10k",
        kind: "fetched",
    });
    tasks.push(Task {
        name: "idx",
        kind: "upload",
    });
    tasks.push(Task {
        name: "csv",
        kind: "upload",
    });
    let terms = (1..=3)
        .map(|n| {
            let lattice = Lattice::new(n);
            Terms {
                sources: n,
                names: lattice.term_names(),
                display: lattice.term_display_names(),
            }
        })
        .collect();
    let d = RunConfig::default();
    let rate = |name| (name, 0.0, PAGE_MAX_RATE, false);
    let seed = |name| (name, 0.0, PAGE_MAX_SEED as f64, true);
    let limits = Limits {
        numbers: vec![
            ("hidden", 1.0, PAGE_MAX_HIDDEN as f64, true),
            ("batch", 1.0, PAGE_MAX_BATCH as f64, true),
            ("bins", MIN_BINS as f64, PAGE_MAX_BINS as f64, true),
            ("epochs", 1.0, PAGE_MAX_EPOCHS as f64, true),
            rate("lr_hidden"),
            rate("weight_decay_hidden"),
            rate("lr_output"),
            rate("weight_decay_output"),
            ("sparse_k", 1.0, PAGE_MAX_HIDDEN as f64, true),
            rate("lr_backprop"),
            seed("data_seed"),
            seed("init_seed"),
            seed("sample_seed"),
        ],
        activation: vec![
            ("k1", 0.0, 1.0),
            ("k2", 0.0, PAGE_MAX_SLOPE),
            ("c1", 0.0, 1.0),
            ("c2", 0.0, 1.0),
            ("w1", 0.0, PAGE_MAX_SLOPE),
            ("w2", 0.0, PAGE_MAX_SLOPE),
        ],
        gamma: GAMMA_RANGE,
        engine: EngineLimits {
            hidden: MAX_HIDDEN,
            batch: MAX_BATCH,
            bins: [MIN_BINS, MAX_BINS],
            epochs: MAX_EPOCHS,
            sparse_k: config::MAX_SPARSE_K,
            name_chars: config::MAX_NAME_CHARS,
            gamma_len: config::MAX_GAMMA,
        },
    };
    let (k1, k2) = match Activation::HIDDEN {
        Activation::Graetz { k1, k2 } => (k1, k2),
        Activation::Trivariate { .. } => (0.9, 2.0),
    };
    let (c1, c2, w1, w2) = match Activation::TRIVARIATE {
        Activation::Trivariate { c1, c2, w1, w2 } => (c1, c2, w1, w2),
        Activation::Graetz { .. } => (0.1, 0.1, 2.0, 2.0),
    };
    let round = |v: f32| (v as f64 * 1e6).round() / 1e6;
    Catalog {
        models,
        goals,
        tasks,
        terms,
        hidden_binnings: HiddenBinning::ALL.iter().map(|b| b.name()).collect(),
        limits,
        defaults: d,
        activation: ActivationDefaults {
            k1: round(k1),
            k2: round(k2),
            c1: round(c1),
            c2: round(c2),
            w1: round(w1),
            w2: round(w2),
        },
        notices: crate::engine::NoticeKind::ALL
            .into_iter()
            .map(|kind| NoticeKind {
                kind,
                // Why the CPU engine runs (when WebGPU was found), and device losses.
                tell: kind != crate::engine::NoticeKind::EngineChoice,
            })
            .collect(),
        experiments: crate::experiments::all()
            .iter()
            .filter_map(|e| {
                Some(ExperimentEntry {
                    name: e.name,
                    title: e.title,
                    text: e.text,
                    claim: e.claim,
                    config: e.config().ok()?,
                    hash: e.hash(),
                })
            })
            .collect(),
    }
}

/// The catalog as a plain JavaScript object (maps as objects, numbers as numbers).
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn catalog() -> Result<wasm_bindgen::JsValue, wasm_bindgen::JsError> {
    use serde::Serialize as _;
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    build()
        .serialize(&serializer)
        .map_err(|e| wasm_bindgen::JsError::new(&e.to_string()))
}
