// The message protocol between the page (worker-client.js) and the training worker
// (worker.js), in one table that both import.
//
// Page → worker: a request {type, id, ...fields}; the worker answers each with one
// REPLY {type: "reply", id, ok, value | error}. A `step` request is answered when its
// steps have run (or its session was replaced: then it fails).
// Worker → page, unasked: EVENTS.

/** Request types and the fields each carries (besides `type` and `id`). */
export const REQUESTS = Object.freeze({
  /**
   * Loads the engine: `js` the wasm-bindgen glue's URL, `wasm` the compiled module (or its
   * URL); `threads` the threaded engine's folder URL or null (used where the page is
   * cross-origin isolated). Value: {version, threads (a step's threads), threading (why
   * one thread, or null), panicChannel (the BroadcastChannel on which the threaded
   * engine's pool tells the page of a panic, or null)}.
   */
  init: ["js", "wasm", "threads"],
  /** A new session (replaces the current one). `config`, `activation`: objects (the `infomorph train --config` schema; `{k1, k2, c1, c2, w1, w2}`); `data`: see DATA_KINDS; `generation`: tags its stats. Value: {engine, config}. */
  create: ["config", "activation", "adapter", "engine", "data", "generation"],
  play: [],
  pause: [],
  /** Steps per second while playing; 0: as fast as possible. */
  speed: ["stepsPerSecond"],
  /** Runs `n` steps; value: the session's step counter after them. */
  step: ["n"],
  /** A new hidden-layer γ (array of numbers, term order). */
  goal: ["gamma"],
  /** New activation parameters (`{k1, k2, c1, c2, w1, w2}`, any subset). */
  activation: ["activation"],
  /** The binned joint histogram of one neuron (`{shape, p, sources}`). */
  histogram: ["neuron"],
  /** Test points of a 2-D task (Float32Array: x0, x1, label, …). */
  points: ["max"],
  /** The run file (JSON text). */
  export: [],
  /** The session's stats (JSON text) or null. */
  stats: [],
  /** An experiment's claim on the run so far (`{met, value, threshold, finished, epoch}`; the verdict once `finished`); fails when the run is not the experiment's. */
  claim: ["experiment"],
  /** Test hook: a simulated GPU device loss (the run continues on the CPU engine). */
  "lose-device": [],
  /** Test hook: a Rust panic inside the engine (the worker reports PANIC); `onPool`: on a thread of the threaded engine's pool (the page hears of it on the init value's `panicChannel`). */
  "debug-panic": ["onPool"],
});

/** Request type names, for call sites: REQ.step === "step". */
export const REQ = Object.freeze(Object.fromEntries(Object.keys(REQUESTS).map((k) => [k.replace(/-(\w)/g, (_, c) => c.toUpperCase()), k])));

/** `data` of a create request: where the session's data set comes from. */
export const DATA_KINDS = Object.freeze({
  builtin: [],
  url: ["images", "labels"],
  digits8: ["records"],
  idx: ["images", "labels", "testImages", "testLabels"],
  table: ["x", "y", "dim"],
});

/** Messages the worker posts. */
export const EVENTS = Object.freeze({
  /** The answer to a request: {id, ok, value | error}. */
  reply: "reply",
  /** A snapshot while training: {generation, stats (JSON text), fields, map?}. */
  stats: "stats",
  /** Playing stopped at the end of the run. */
  stopped: "stopped",
  /** The session failed and was dropped: {error}. */
  error: "error",
  /** A Rust panic: the module instance is unusable; the page restarts the worker. {message}. */
  panic: "panic",
});

/** A request message; throws if a field is missing or unknown (a programming error). */
export function request(type, id, fields = {}) {
  const want = REQUESTS[type];
  if (!want) throw new Error(`unknown request type '${type}'`);
  for (const k of Object.keys(fields)) {
    if (!want.includes(k)) throw new Error(`request '${type}' has no field '${k}'`);
  }
  for (const k of want) {
    if (!(k in fields)) throw new Error(`request '${type}' needs the field '${k}'`);
  }
  return { type, id, ...fields };
}
