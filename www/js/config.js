// The page's configuration: the run config of `infomorph train --config` (same keys,
// snake_case), the activation parameters, and page options; its URL-hash form; and
// validation with clamping. Nothing here touches the DOM.

export const URL_VERSION = "1";

// What the engine offers (models, goal presets, tasks, terms, limits, defaults) comes
// from its catalog (src/web/catalog.rs, `catalog()` of the wasm module): `init(catalog)`
// fills the tables below before anything else here is used. The page (app.js) passes
// `engine.catalog()`; the node tests load the same wasm module (tests/e2e/lib/catalog.mjs).
// Only presentation stays here: labels and descriptions, the page's defaults.

// Labels in the order the task list shows them; a catalog task without one is listed by name.
const TASK_LABELS = {
  bars: "bars 8×8 (rows; unsupervised)",
  "bars-2d": "bars 8×8 (rows and columns)",
  mixtures: "2-D mixtures",
  xor: "XOR (2 bits)",
  and: "AND (2 bits)",
  or: "OR (2 bits)",
  copy: "copy (2 bits)",
  rdn: "redundant bits",
  "noisy-copy": "noisy copy",
  gaussian: "Gaussian classes (1-D)",
  patterns: "random ±1 patterns",
  digits8: "digits 8×8",
  mnist10k: "MNIST-10k (28×28, 7.8 MB)",
};

export const TASK_INFO = {
  bars: "Each of 8 rows is on with probability ½. Watch “What the code carries”: the bits about which rows are on that the neurons' sampled outputs carry rise from about 0.7 at initialisation to nearly all 7.8 within seconds. Each neuron mixes several rows: its best single row carries a fraction of its bits.",
  "bars-2d": "Rows and columns, each on with probability ½. “What the code carries” measures the bits about which bars are on in the neurons' sampled outputs.",
  mixtures: "Two independent non-Gaussian sources mixed by a 2×2 matrix; the label is the sign of the first source.",
  xor: "Target = F ⊕ C: purely synergistic.",
  and: "Target = F ∧ C.",
  or: "Target = F ∨ C.",
  copy: "Target = F: unique information in F.",
  rdn: "Both inputs equal the target: redundant.",
  "noisy-copy": "One input bit equals the label except with probability 0.1.",
  gaussian: "x ~ N(class, 0.3²), 3 classes.",
  patterns: "10 random ±1 patterns of 64 bits, labelled by index.",
  digits8: "1797 UCI 8×8 digits.",
  mnist10k: "10 000 real MNIST digits (7996 pool, of which 20 % validation; 2004 test), fetched from this site.",
};

const MODEL_LABELS = {
  context: "context (F = input, C = label)",
  lateral: "lateral (F, L = other neurons)",
  trivariate: "trivariate (F, C, L)",
  "trivariate-sparse": "trivariate, sparse lateral",
  feedback: "feedback (C = output layer)",
  "random-projection": "random projection (baseline)",
  readout: "readout only (no hidden layer)",
  backprop: "backprop (baseline)",
};

// Page defaults: a small, fast task where something visibly self-organises in seconds;
// every other field is the engine's default (RunConfig::default()).
const PAGE_DEFAULTS = { task: "bars", model: "lateral", goal: "heuristic", gamma: null, hidden: 16, batch: 256, epochs: 500, sparse_k: 8 };

/** The catalog given to init(). */
export let CATALOG = null;
/** [name, label] of the built-in tasks (catalog tasks that are not uploads). */
export let TASKS = [];
/** [name, label] of the models. */
export let MODELS = [];
/** Goal preset names per goal family (`context`, `lateral`, `trivariate`). */
export let GOALS = {};
/** Numbers: [min, max, integer?]. The page's limits (a browser tab), inside the engine's. */
export let NUMBERS = {};
/** Activation parameters: [min, max, default]. */
export let ACTIVATION = {};
export let GAMMA_RANGE = [-Infinity, Infinity];
/** The hidden layer's binning choices besides each model's own (null). */
export let HIDDEN_BINNINGS = [];
export let DEFAULTS = Object.freeze({});
export let ACTIVATION_DEFAULTS = Object.freeze({});
export const PAGE_KEYS = ["embed", "autoplay", "view", "speed", "engine", "experiment"];
/** The page's views (tabs). */
export const VIEWS = ["network", "gate", "search", "gallery"];
export const HIDE_KEYS = [
  "task", "upload", "model", "hidden", "batch", "bins", "epochs", "sparse", "lr", "activation",
  "seed", "goal", "play", "speed", "share", "export", "gatelab", "search", "gallery", "tabs", "footer",
];
export const SPEEDS = { slow: 2, medium: 10, fast: 0 };

let models = new Map(); // name → catalog model
let presets = new Map(); // family → Map(name → γ)
let terms = new Map(); // sources → {names, display}
let taskNames = new Set();
let modelNames = new Set();

/** Derives the tables above from the engine's catalog. Call once before anything else. */
export function init(catalog) {
  CATALOG = catalog;
  models = new Map(catalog.models.map((m) => [m.name, m]));
  presets = new Map(catalog.goals.map((g) => [g.family, new Map(g.presets.map((p) => [p.name, p.gamma]))]));
  terms = new Map(catalog.terms.map((t) => [t.sources, t]));
  // In the order of the label tables (the page's lists); new ones from the engine last.
  const ordered = (names, labels) => {
    const order = Object.keys(labels);
    const rank = (n) => (order.includes(n) ? order.indexOf(n) : order.length);
    return [...names].sort((a, b) => rank(a) - rank(b)).map((n) => [n, labels[n] ?? n]);
  };
  const builtin = catalog.tasks.filter((t) => t.kind !== "upload").map((t) => t.name);
  TASKS = ordered(builtin, TASK_LABELS);
  taskNames = new Set(builtin);
  MODELS = ordered(catalog.models.map((m) => m.name), MODEL_LABELS);
  modelNames = new Set(models.keys());
  GOALS = Object.fromEntries(catalog.goals.map((g) => [g.family, g.presets.map((p) => p.name)]));
  NUMBERS = Object.fromEntries(catalog.limits.numbers.map(([key, min, max, integer]) => [key, [min, max, integer]]));
  ACTIVATION = Object.fromEntries(catalog.limits.activation.map(([key, min, max]) => [key, [min, max, catalog.activation[key]]]));
  GAMMA_RANGE = catalog.limits.gamma.slice();
  HIDDEN_BINNINGS = catalog.hidden_binnings.slice();
  const engine = { ...catalog.defaults };
  DEFAULTS = Object.freeze(Object.fromEntries(Object.keys(engine).map((k) => [k, k in PAGE_DEFAULTS ? PAGE_DEFAULTS[k] : engine[k]])));
  ACTIVATION_DEFAULTS = Object.freeze({ ...catalog.activation });
}

/** "trivariate" (3 sources), "bivariate" (2) or null (no hidden goal: readout, backprop). */
export function family(model) {
  const n = models.get(model)?.sources.length ?? 0;
  return n === 3 ? "trivariate" : n === 2 ? "bivariate" : null;
}

/** The model's goal family in the engine's words (`context`, `lateral`, `trivariate`) or null. */
export const goalFamily = (model) => models.get(model)?.family ?? null;

/** Number of hidden goal terms (atoms and H_res): 5, 19, or 0. */
export const termCount = (model) => models.get(model)?.terms ?? 0;

/** The goal preset names of the model's hidden layer (none without a hidden goal). */
export const goalsFor = (model) => GOALS[goalFamily(model)] ?? [];

/** The γ of a goal preset for the model, in term order (a copy); throws if it has none. */
export function goalPreset(model, name) {
  const gamma = presets.get(goalFamily(model))?.get(name);
  if (!gamma) throw new Error(`no goal '${name}' for the ${model} model`);
  return gamma.slice();
}

/** Term names in paper order for 1 to 3 sources. */
export const termNames = (sources) => [...(terms.get(sources)?.names ?? [])];

/** Source letters of the model's hidden neurons (F, C, L); F, C for a model without a hidden goal. */
export function sourceLetters(model) {
  const s = models.get(model)?.sources ?? [];
  return s.length ? [...s] : ["F", "C"];
}

/** Whether the page tells the user of an engine notice ({kind, text}; the kinds are the catalog's `notices`): device losses, and the fallback to the CPU engine when WebGPU was found. */
export function noticeTold(notice, webgpuFound) {
  const entry = (CATALOG?.notices ?? []).find((n) => n.kind === notice?.kind);
  if (!entry?.tell) return false;
  return notice.kind === "fallback" ? webgpuFound : true;
}

/** A fresh full state: {config, activation, page}. */
export function defaultState() {
  return {
    config: { ...DEFAULTS },
    activation: { ...ACTIVATION_DEFAULTS },
    page: { embed: false, autoplay: false, view: "network", speed: "fast", engine: "auto", hide: new Set(), experiment: null },
  };
}

/** The catalog's experiment named `name`, or undefined. */
export const experimentByName = (name) => CATALOG.experiments.find((e) => e.name === name);

/** Gives `state` experiment `e`'s whole configuration (default activation parameters). */
export function applyExperiment(state, e) {
  state.config = structuredClone(e.config);
  state.activation = { ...ACTIVATION_DEFAULTS };
  state.page.experiment = e.name;
}

/** The open experiment: the page's, while the configuration is still exactly its own. */
export function currentExperiment(state) {
  const e = state.page.experiment ? experimentByName(state.page.experiment) : null;
  if (!e) return null;
  const same = JSON.stringify(runConfig(state)) === JSON.stringify(runConfig({ config: e.config })) &&
    Object.entries(state.activation).every(([k, v]) => v === ACTIVATION_DEFAULTS[k]);
  return same ? e : null;
}

function parseNumber(key, text) {
  const [min, max, integer] = NUMBERS[key];
  if (typeof text === "string" && !/^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(text)) {
    throw new Error(`${key} must be a number`);
  }
  let v = Number(text);
  if (!Number.isFinite(v)) throw new Error(`${key} must be a finite number`);
  if (integer && !Number.isInteger(v)) throw new Error(`${key} must be a whole number`);
  if (v < min || v > max) {
    const clamped = Math.min(max, Math.max(min, v));
    return { value: clamped, note: `${key}=${v} is outside ${min}–${max}; using ${clamped}` };
  }
  return { value: v };
}

function parseGamma(value, model) {
  const list = Array.isArray(value)
    ? value
    : String(value).split(",").map((s) => s.trim());
  const want = termCount(model);
  if (!want) throw new Error(`the ${model} model has no hidden goal, so gamma does not apply`);
  if (list.length !== want) {
    throw new Error(`gamma for the ${model} model needs ${want} values in paper order, got ${list.length}`);
  }
  const notes = [];
  const gamma = list.map((x, i) => {
    const v = typeof x === "number" ? x : typeof x === "string" && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(x) ? Number(x) : NaN;
    if (!Number.isFinite(v)) throw new Error(`gamma[${i}] is not a number`);
    const c = Math.min(GAMMA_RANGE[1], Math.max(GAMMA_RANGE[0], v));
    if (c !== v) notes.push(`gamma[${i}]=${v} clamped to ${c}`);
    return c;
  });
  return { gamma, notes };
}

/**
 * Applies `entries` ([key, value] pairs, values strings or JSON values) onto `state`.
 * `strict`: throw on the first problem (setConfig); otherwise collect messages and keep
 * the default for that field (URLs). Returns the messages.
 */
export function applyEntries(state, entries, { strict = false, fromUrl = false } = {}) {
  const problems = [];
  const problem = (message) => {
    if (strict) throw new Error(message);
    problems.push(message);
  };
  const c = state.config;
  const map = new Map(entries);
  // An experiment first (the other keys change its configuration), then the model: the
  // goal depends on it.
  const rank = (k) => (k === "experiment" ? 0 : k === "model" ? 1 : 2);
  const order = [...map.keys()].sort((a, b) => rank(a) - rank(b));
  let gammaValue;
  for (const key of order) {
    const value = map.get(key);
    try {
      // Only text, numbers, booleans and null are values (and a list for gamma, an
      // object for activation): an object has no text of its own (String({toString:
      // null}) throws).
      const plain = value === null || ["string", "number", "boolean", "undefined"].includes(typeof value);
      const list = key === "gamma" && Array.isArray(value);
      const object = key === "activation" && !fromUrl && !Array.isArray(value);
      if (!plain && !list && !object) throw new Error(`${key} must be a number or text`);
      if (key === "v") {
        if (String(value) !== URL_VERSION) problem(`v=${value} is not a known version (this page reads v=${URL_VERSION})`);
      } else if (key === "task") {
        if (!taskNames.has(String(value))) throw new Error(`unknown task '${value}'`);
        c.task = String(value);
      } else if (key === "model") {
        if (!modelNames.has(String(value))) throw new Error(`unknown model '${value}'`);
        c.model = String(value);
      } else if (key === "goal") {
        const known = family(c.model) ? goalsFor(c.model) : GOALS.context ?? [];
        if (!known.includes(String(value))) throw new Error(`unknown goal '${value}' for the ${c.model} model`);
        c.goal = String(value);
        c.gamma = null;
      } else if (key === "gamma") {
        gammaValue = value;
      } else if (key === "hidden_binning") {
        // null (or "" from the form) is each model's own rule.
        if (value === null || value === "") c.hidden_binning = null;
        else if (HIDDEN_BINNINGS.includes(String(value))) c.hidden_binning = String(value);
        else throw new Error(`unknown hidden_binning '${value}' (${HIDDEN_BINNINGS.join(", ")}, or null for the model's own)`);
      } else if (key === "seed") {
        const { value: v, note } = parseNumber("data_seed", value);
        if (note) problem(note.replace("data_seed", "seed"));
        c.data_seed = c.init_seed = c.sample_seed = v;
      } else if (Object.hasOwn(NUMBERS, key)) {
        const { value: v, note } = parseNumber(key, value);
        if (note) problem(note);
        c[key] = v;
      } else if (Object.hasOwn(ACTIVATION, key)) {
        const [min, max] = ACTIVATION[key];
        const v = Number(value);
        if (value === "" || value === null || !Number.isFinite(v)) throw new Error(`${key} must be a number`);
        const cl = Math.min(max, Math.max(min, v));
        if (cl !== v) problem(`${key}=${v} is outside ${min}–${max}; using ${cl}`);
        state.activation[key] = cl;
      } else if (key === "activation" && !fromUrl) {
        if (typeof value !== "object" || value === null) throw new Error("activation must be an object");
        applyEntries(state, Object.entries(value), { strict, fromUrl });
      } else if (fromUrl && key === "experiment") {
        const e = experimentByName(String(value));
        if (!e) throw new Error(`unknown experiment '${value}' (known: ${CATALOG.experiments.map((x) => x.name).join(", ")})`);
        applyExperiment(state, e);
      } else if (fromUrl && key === "embed") {
        state.page.embed = value === "1" || value === "true";
      } else if (fromUrl && key === "autoplay") {
        state.page.autoplay = value === "1" || value === "true";
      } else if (fromUrl && key === "view") {
        if (!VIEWS.includes(value)) throw new Error(`unknown view '${value}' (${VIEWS.join(", ")})`);
        state.page.view = value;
      } else if (fromUrl && key === "speed") {
        if (!Object.hasOwn(SPEEDS, value)) throw new Error(`unknown speed '${value}' (slow, medium, fast)`);
        state.page.speed = value;
      } else if (fromUrl && key === "engine") {
        if (!["auto", "cpu", "gpu"].includes(value)) throw new Error(`unknown engine '${value}' (auto, cpu, gpu)`);
        state.page.engine = value;
      } else if (fromUrl && key.endsWith("_hide")) {
        const name = key.slice(0, -5);
        if (!HIDE_KEYS.includes(name)) throw new Error(`unknown control '${name}' in ${key}`);
        if (value === "1" || value === "true") state.page.hide.add(name);
      } else {
        throw new Error(`unknown key '${key}'`);
      }
    } catch (error) {
      if (strict) throw error;
      problems.push(`${error.message}; using the default`);
    }
  }
  if (gammaValue !== undefined && gammaValue !== null) {
    try {
      const { gamma, notes } = parseGamma(gammaValue, c.model);
      notes.forEach(problem);
      c.gamma = gamma;
    } catch (error) {
      if (strict) throw error;
      problems.push(`${error.message}; using the ${c.goal} preset`);
    }
  }
  // The goal preset must exist for the model (e.g. four-term is trivariate only).
  if (family(c.model) && !goalsFor(c.model).includes(c.goal)) {
    if (map.has("goal")) problem(`goal '${c.goal}' does not exist for the ${c.model} model; using heuristic`);
    c.goal = "heuristic";
  }
  if (c.gamma && c.gamma.length !== termCount(c.model)) c.gamma = null;
  return problems;
}

/** Reads a location hash: {state, problems}. Never throws. */
export function parseHash(hash) {
  const state = defaultState();
  const text = hash.replace(/^#/, "");
  if (!text) return { state, problems: [] };
  const entries = [];
  const undecodable = [];
  for (const part of text.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    let key;
    let value;
    try {
      key = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
      value = eq < 0 ? "1" : decodeURIComponent(part.slice(eq + 1).replace(/\+/g, " "));
    } catch {
      undecodable.push(`'${part}' is not valid percent-encoding; ignored`);
      continue;
    }
    entries.push([key, value]);
  }
  const problems = [...undecodable, ...applyEntries(state, entries, { fromUrl: true })];
  return { state, problems };
}

const fmt = (v) => (Number.isInteger(v) ? String(v) : String(+v.toPrecision(6)));

/** The readable hash of a state: version first, then every config value. */
export function toHash(state) {
  const experiment = currentExperiment(state);
  const parts = [["v", URL_VERSION]];
  if (experiment) parts.push(["experiment", experiment.name]);
  else configParts(state, parts);
  const p = state.page;
  if (p.embed) parts.push(["embed", "1"]);
  if (p.autoplay) parts.push(["autoplay", "1"]);
  if (p.view !== "network") parts.push(["view", p.view]);
  if (p.speed !== "fast") parts.push(["speed", p.speed]);
  if (p.engine !== "auto") parts.push(["engine", p.engine]);
  for (const h of p.hide) parts.push([`${h}_hide`, "1"]);
  return "#" + parts.map(([k, v]) => `${k}=${encodeURIComponent(v).replace(/%2C/g, ",")}`).join("&");
}

/** Every config value of `state` as hash parts, onto `parts`. */
function configParts(state, parts) {
  const c = state.config;
  parts.push(["task", c.task], ["model", c.model]);
  if (family(c.model)) {
    if (c.gamma) parts.push(["gamma", c.gamma.map(fmt).join(",")]);
    else parts.push(["goal", c.goal]);
  }
  for (const key of ["hidden", "batch", "bins", "epochs", "lr_hidden", "weight_decay_hidden", "lr_output",
    "weight_decay_output", "sparse_k", "lr_backprop"]) {
    if (key === "sparse_k" && c.model !== "trivariate-sparse") continue;
    if (key === "lr_backprop" && c.model !== "backprop") continue;
    parts.push([key, fmt(c[key])]);
  }
  if (c.hidden_binning) parts.push(["hidden_binning", c.hidden_binning]);
  if (c.data_seed === c.init_seed && c.init_seed === c.sample_seed) parts.push(["seed", fmt(c.data_seed)]);
  else for (const k of ["data_seed", "init_seed", "sample_seed"]) parts.push([k, fmt(c[k])]);
  for (const [k, v] of Object.entries(state.activation)) {
    if (v !== ACTIVATION_DEFAULTS[k]) parts.push([k, fmt(v)]);
  }
}

/** The config in the schema of `infomorph train --config` (RunConfig, every field). */
export function runConfig(state) {
  const c = { ...state.config };
  if (!c.gamma) delete c.gamma;
  return c;
}

/** The public config object: the run config plus `activation`. */
export function publicConfig(state) {
  return { ...runConfig(state), activation: { ...state.activation } };
}
