// Loads the engine's WebAssembly module and starts the page. Kept out of
// index.html so that the page needs no inline script. trunk writes the (hashed)
// file names of the wasm-bindgen JS glue and the .wasm into the data attributes
// of the tag that loads this file (see `pattern_script` in Trunk.toml).
//
// window.infomorph (the embedding API, see README) exists from the start; its
// `ready` promise resolves once the engine runs and the page is interactive.
import { start } from "./js/app.js";

const tag = document.querySelector("script[data-infomorph-js]");
let resolveReady;
let rejectReady;
const api = {
  ready: new Promise((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  }),
};
api.ready.catch(() => {});
window.infomorph = api;

try {
  const js = new URL(tag.dataset.infomorphJs, import.meta.url);
  const wasm = new URL(tag.dataset.infomorphWasm, import.meta.url);
  // The threaded engine's folder (scripts/build-threads.sh), where the build has one:
  // the training worker loads it when the page is cross-origin isolated.
  const threads = tag.dataset.infomorphThreads ? new URL(tag.dataset.infomorphThreads, import.meta.url).href : null;
  // Compiled once here; the training worker gets the compiled module.
  const [engine, module] = await Promise.all([
    import(js.href),
    WebAssembly.compileStreaming(fetch(wasm)),
  ]);
  // Instantiating runs the `#[wasm_bindgen(start)]` function in src/web/mod.rs.
  await engine.default({ module_or_path: module });
  // Rust panics keep their message for the page (src/web/mod.rs, `panic`).
  engine.installPanicHook?.();
  await start(engine, api, { js: js.href, wasm: wasm.href, module, threads });
  document.documentElement.dataset.engine = "ready";
  resolveReady(api);
  dispatchEvent(new CustomEvent("infomorph-ready", { detail: { api } }));
} catch (error) {
  document.documentElement.dataset.engine = "failed";
  const element = document.getElementById("engine-status");
  if (element) element.textContent = `The engine failed to load: ${error}`;
  rejectReady(error);
  throw error;
}
