// Loads the engine's WebAssembly module. Kept out of index.html so that the
// page needs no inline script. trunk writes the (hashed) file names of the
// wasm-bindgen JS glue and the .wasm into the data attributes of the tag that
// loads this file (see `pattern_script` in Trunk.toml).
const tag = document.querySelector("script[data-infomorph-js]");
const status = () => document.getElementById("engine-status");

try {
  const js = new URL(tag.dataset.infomorphJs, import.meta.url);
  const wasm = new URL(tag.dataset.infomorphWasm, import.meta.url);
  const engine = await import(js.href);
  // Instantiating runs the `#[wasm_bindgen(start)]` function in src/web.rs.
  await engine.default({ module_or_path: wasm });
  window.infomorph = engine;
  document.documentElement.dataset.engine = "ready";
  dispatchEvent(new CustomEvent("infomorph-ready", { detail: { engine } }));
} catch (error) {
  document.documentElement.dataset.engine = "failed";
  const element = status();
  if (element) element.textContent = `The engine failed to load: ${error}`;
  throw error;
}
