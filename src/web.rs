//! The browser side of the engine: a thin `wasm-bindgen` layer over the same
//! code the native command line runs. Compiled only for `wasm32`.
//!
//! The page (`www/index.html`, built by trunk) loads this module through
//! `www/boot.js`; no inline script is involved, so the page can run under a
//! Content-Security-Policy without `'unsafe-inline'`.

use wasm_bindgen::prelude::*;

/// Id of the page element that shows the engine's status.
pub const STATUS_ELEMENT_ID: &str = "engine-status";

/// The crate version, e.g. `"0.1.0"`.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
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

/// Runs once when the module is instantiated: reports the loaded engine in
/// the element with id [`STATUS_ELEMENT_ID`], if the document has one (test
/// harnesses and workers have none, and are left alone).
#[wasm_bindgen(start)]
pub fn start() {
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
