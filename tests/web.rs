//! Browser tests: run with
//! `cargo test --target wasm32-unknown-unknown --no-default-features --test web`
//! (headless Chromium through chromedriver; see `scripts/test.sh`). On native
//! targets this file compiles to an empty test binary.
#![cfg(target_arch = "wasm32")]

use infomorph::pid::Lattice;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn lattice_sizes_match_the_native_build() {
    assert_eq!(Lattice::new(2).len(), 4);
    assert_eq!(Lattice::new(3).len(), 18);
}

#[wasm_bindgen_test]
fn two_source_term_names() {
    assert_eq!(
        Lattice::new(2).term_names(),
        ["{1}", "{2}", "{1}{2}", "{12}", "H_res"]
    );
}

#[wasm_bindgen_test]
fn start_writes_the_version_into_the_page() {
    let document = web_sys::window().unwrap().document().unwrap();
    let element = document.create_element("p").unwrap();
    element.set_id(infomorph::web::STATUS_ELEMENT_ID);
    document
        .document_element()
        .unwrap()
        .append_child(&element)
        .unwrap();

    infomorph::web::start();

    let text = element.text_content().unwrap();
    assert!(
        text.contains(&infomorph::web::version()),
        "status text: {text}"
    );
    assert_eq!(infomorph::web::version(), env!("CARGO_PKG_VERSION"));
}
