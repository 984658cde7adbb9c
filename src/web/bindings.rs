//! The `wasm-bindgen` functions of the module: a thin layer over the same code the
//! native command line runs. Compiled only for `wasm32`.
//!
//! The page (`www/index.html`, built by trunk) loads this module through
//! `www/boot.js`; no inline script is involved, so the page can run under a
//! Content-Security-Policy without `'unsafe-inline'`.
//!
//! Training runs through one class, [`Session`] (`session.rs`): the page and its
//! worker never touch a network directly, so the engine behind it (CPU now, the
//! WebGPU engine later) changes in that file alone.

use wasm_bindgen::prelude::*;

pub use super::session::bindings::Session;

/// Id of the page element that shows the engine's status.
pub const STATUS_ELEMENT_ID: &str = "engine-status";

/// The crate version, e.g. `"0.1.0"`.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// `initThreadPool(n)` (a Promise): starts the threaded build's pool of `n` Web Workers
/// that share this module's memory; every rayon loop of a step then runs on them
/// (docs/architecture.md, "Threads in the page"). Only in the build with atomics.
#[cfg(target_feature = "atomics")]
pub use wasm_bindgen_rayon::init_thread_pool;

/// How many threads a step runs on: the pool's size in the threaded build (after
/// `initThreadPool`), else 1.
#[wasm_bindgen]
pub fn threads() -> usize {
    #[cfg(target_feature = "atomics")]
    return rayon::current_num_threads();
    #[cfg(not(target_feature = "atomics"))]
    1
}

/// Decomposes a joint table given as JSON (`{"shape":[…],"p":[…]}`, target last), as
/// `infomorph pid` does; `gamma` (term order) adds the goal and its gradient. Throws an
/// Error with a one-line reason on bad input.
#[wasm_bindgen(js_name = decompose)]
pub fn decompose(table: &str, gamma: Option<Vec<f64>>, pointwise: bool) -> Result<String, JsError> {
    let options = crate::pid::json::Options {
        gamma,
        normalize: false,
        pointwise,
    };
    crate::pid::json::decompose_json(table, &options).map_err(|e| JsError::new(&e))
}

/// The γ of a named goal preset (`heuristic`, `optimized`, `optimized-alt`,
/// `four-term`) for a model's hidden layer, in term order. Throws for an unknown
/// name, or a model without a hidden goal (`readout`, `backprop`).
#[wasm_bindgen(js_name = goalPreset)]
pub fn goal_preset(model: &str, name: &str) -> Result<Vec<f64>, JsError> {
    let kind = crate::network::model::ModelKind::from_name(model).map_err(|e| JsError::new(&e))?;
    let family = kind
        .goal_family()
        .ok_or_else(|| JsError::new(&format!("the {model} model has no hidden goal")))?;
    crate::goals::preset(family, name).map_err(|e| JsError::new(&e))
}

/// Term names in the paper's order for `sources` = 1 to 4 (`{1}`, …, `H_res`).
#[wasm_bindgen(js_name = termNames)]
pub fn term_names(sources: usize) -> Result<Vec<String>, JsError> {
    if !(1..=4).contains(&sources) {
        return Err(JsError::new("sources must be 1 to 4"));
    }
    Ok(crate::pid::Lattice::new(sources).term_names())
}

/// The default config (the `infomorph train --config` schema) as JSON.
#[wasm_bindgen(js_name = defaultConfig)]
pub fn default_config() -> String {
    serde_json::to_string(&crate::network::model::RunConfig::default()).unwrap_or_default()
}

/// The published MNIST test accuracy that applies to the page's run, for the accuracy
/// plot's reference line: `{percent, row}` when the uploaded training images are full
/// MNIST's (`train_images_sha256`, as the page hashed them) and the published table has
/// a cell for `model`, the goal preset `goal` (null for a custom γ) and `hidden`
/// (docs/method.md §5); else null.
#[wasm_bindgen(js_name = publishedAccuracy)]
pub fn published_accuracy(
    model: &str,
    goal: Option<String>,
    hidden: usize,
    train_images_sha256: &str,
) -> Result<JsValue, JsError> {
    #[derive(serde::Serialize)]
    struct Reference {
        percent: f64,
        row: &'static str,
    }
    let kind = crate::network::model::ModelKind::from_name(model).map_err(|e| JsError::new(&e))?;
    if !crate::data::is_mnist_train_images(train_images_sha256) {
        return Ok(JsValue::NULL);
    }
    match crate::reproduce::published::reference(kind, goal.as_deref(), hidden) {
        Some((percent, row)) => serde_wasm_bindgen::to_value(&Reference {
            percent,
            row: row.label,
        })
        .map_err(|e| JsError::new(&e.to_string())),
        None => Ok(JsValue::NULL),
    }
}

/// Runs once when the module is instantiated: reports the loaded engine in
/// the element with id [`STATUS_ELEMENT_ID`], if the document has one (test
/// harnesses and workers have none, and are left alone).
#[wasm_bindgen(start)]
pub fn start() {
    // Panics reach the console and `lastPanic()` from the first call on, in the page
    // and in the worker alike.
    super::panic::install();
    let status = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.get_element_by_id(STATUS_ELEMENT_ID));
    if let Some(element) = status {
        element.set_text_content(Some(&format!(
            "infomorph {} (WebAssembly) loaded",
            version()
        )));
    }
}
