// The page's configuration: the run config of `infomorph train --config` (same keys,
// snake_case), the activation parameters, and page options; its URL-hash form; and
// validation with clamping. Nothing here touches the DOM.

export const URL_VERSION = "1";

export const TASKS = [
  ["bars", "bars 8×8 (rows; unsupervised)"],
  ["bars-2d", "bars 8×8 (rows and columns)"],
  ["mixtures", "2-D mixtures"],
  ["xor", "XOR (2 bits)"],
  ["and", "AND (2 bits)"],
  ["or", "OR (2 bits)"],
  ["copy", "copy (2 bits)"],
  ["rdn", "redundant bits"],
  ["noisy-copy", "noisy copy"],
  ["gaussian", "Gaussian classes (1-D)"],
  ["patterns", "random ±1 patterns"],
  ["digits8", "digits 8×8"],
  ["mnist10k", "MNIST-10k (28×28, 7.8 MB)"],
];

export const TASK_INFO = {
  bars: "Each of 8 rows is on with probability ½. With lateral input, neurons should each pick up one bar.",
  "bars-2d": "Rows and columns, each on with probability ½.",
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

export const MODELS = [
  ["context", "context (F = input, C = label)"],
  ["lateral", "lateral (F, L = other neurons)"],
  ["trivariate", "trivariate (F, C, L)"],
  ["trivariate-sparse", "trivariate, sparse lateral"],
  ["feedback", "feedback (C = output layer)"],
  ["random-projection", "random projection (baseline)"],
  ["readout", "readout only (no hidden layer)"],
  ["backprop", "backprop (baseline)"],
];

export const GOALS = {
  bivariate: ["heuristic", "optimized", "optimized-alt"],
  trivariate: ["heuristic", "optimized", "four-term"],
};

export function family(model) {
  if (["trivariate", "trivariate-sparse", "feedback"].includes(model)) return "trivariate";
  if (["context", "lateral", "random-projection"].includes(model)) return "bivariate";
  return null; // readout, backprop: no hidden goal
}

export const termCount = (model) => ({ trivariate: 19, bivariate: 5 })[family(model)] ?? 0;

// Numbers: [min, max, integer?]. The page's limits (a browser tab), inside the engine's.
export const NUMBERS = {
  hidden: [1, 1024, true],
  batch: [1, 8192, true],
  bins: [2, 40, true],
  epochs: [1, 100000, true],
  lr_hidden: [0, 1, false],
  weight_decay_hidden: [0, 1, false],
  lr_output: [0, 1, false],
  weight_decay_output: [0, 1, false],
  sparse_k: [1, 1024, true],
  lr_backprop: [0, 1, false],
  data_seed: [0, 4294967295, true],
  init_seed: [0, 4294967295, true],
  sample_seed: [0, 4294967295, true],
};

export const ACTIVATION = {
  k1: [0, 1, 0.9],
  k2: [0, 20, 2],
  c1: [0, 1, 0.1],
  c2: [0, 1, 0.1],
  w1: [0, 20, 2],
  w2: [0, 20, 2],
};
export const GAMMA_RANGE = [-5, 5];

// Page defaults: a small, fast task where something visibly self-organises in seconds.
export const DEFAULTS = Object.freeze({
  task: "bars",
  model: "lateral",
  goal: "heuristic",
  gamma: null,
  hidden: 16,
  bins: 20,
  batch: 256,
  epochs: 500,
  lr_hidden: 0.002,
  weight_decay_hidden: 3.5e-4,
  lr_output: 0.003,
  weight_decay_output: 1.5e-4,
  sparse_k: 8,
  lr_backprop: 0.001,
  data_seed: 0,
  init_seed: 0,
  sample_seed: 0,
});
export const ACTIVATION_DEFAULTS = Object.freeze({ k1: 0.9, k2: 2, c1: 0.1, c2: 0.1, w1: 2, w2: 2 });
export const PAGE_KEYS = ["embed", "autoplay", "view", "speed", "engine"];
export const HIDE_KEYS = [
  "task", "upload", "model", "hidden", "batch", "bins", "epochs", "sparse", "lr", "activation",
  "seed", "goal", "play", "speed", "share", "export", "gatelab", "tabs", "footer",
];
export const SPEEDS = { slow: 2, medium: 10, fast: 0 };

const taskNames = new Set(TASKS.map(([t]) => t));
const modelNames = new Set(MODELS.map(([m]) => m));

/** A fresh full state: {config, activation, page}. */
export function defaultState() {
  return {
    config: { ...DEFAULTS },
    activation: { ...ACTIVATION_DEFAULTS },
    page: { embed: false, autoplay: false, view: "network", speed: "fast", engine: "auto", hide: new Set() },
  };
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
    const v = typeof x === "number" ? x : /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(x) ? Number(x) : NaN;
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
  // Model first: the goal depends on it.
  const order = [...map.keys()].sort((a, b) => (a === "model" ? -1 : b === "model" ? 1 : 0));
  let gammaValue;
  for (const key of order) {
    const value = map.get(key);
    try {
      if (key === "v") {
        if (String(value) !== URL_VERSION) problem(`v=${value} is not a known version (this page reads v=${URL_VERSION})`);
      } else if (key === "task") {
        if (!taskNames.has(String(value))) throw new Error(`unknown task '${value}'`);
        c.task = String(value);
      } else if (key === "model") {
        if (!modelNames.has(String(value))) throw new Error(`unknown model '${value}'`);
        c.model = String(value);
      } else if (key === "goal") {
        const fam = family(c.model) ?? "bivariate";
        if (!GOALS[fam].includes(String(value))) throw new Error(`unknown goal '${value}' for the ${c.model} model`);
        c.goal = String(value);
        c.gamma = null;
      } else if (key === "gamma") {
        gammaValue = value;
      } else if (key === "seed") {
        const { value: v, note } = parseNumber("data_seed", value);
        if (note) problem(note.replace("data_seed", "seed"));
        c.data_seed = c.init_seed = c.sample_seed = v;
      } else if (key in NUMBERS) {
        const { value: v, note } = parseNumber(key, value);
        if (note) problem(note);
        c[key] = v;
      } else if (key in ACTIVATION) {
        const [min, max] = ACTIVATION[key];
        const v = Number(value);
        if (value === "" || value === null || !Number.isFinite(v)) throw new Error(`${key} must be a number`);
        const cl = Math.min(max, Math.max(min, v));
        if (cl !== v) problem(`${key}=${v} is outside ${min}–${max}; using ${cl}`);
        state.activation[key] = cl;
      } else if (key === "activation" && !fromUrl) {
        if (typeof value !== "object" || value === null) throw new Error("activation must be an object");
        applyEntries(state, Object.entries(value), { strict, fromUrl });
      } else if (fromUrl && key === "embed") {
        state.page.embed = value === "1" || value === "true";
      } else if (fromUrl && key === "autoplay") {
        state.page.autoplay = value === "1" || value === "true";
      } else if (fromUrl && key === "view") {
        if (!["network", "gate"].includes(value)) throw new Error(`unknown view '${value}'`);
        state.page.view = value;
      } else if (fromUrl && key === "speed") {
        if (!(value in SPEEDS)) throw new Error(`unknown speed '${value}' (slow, medium, fast)`);
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
  const fam = family(c.model);
  if (fam && !GOALS[fam].includes(c.goal)) {
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
  for (const part of text.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    let key;
    let value;
    try {
      key = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
      value = eq < 0 ? "1" : decodeURIComponent(part.slice(eq + 1).replace(/\+/g, " "));
    } catch {
      entries.push(["?", part]);
      continue;
    }
    entries.push([key, value]);
  }
  const problems = applyEntries(state, entries, { fromUrl: true });
  return { state, problems };
}

const fmt = (v) => (Number.isInteger(v) ? String(v) : String(+v.toPrecision(6)));

/** The readable hash of a state: version first, then every config value. */
export function toHash(state) {
  const c = state.config;
  const parts = [["v", URL_VERSION], ["task", c.task], ["model", c.model]];
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
  if (c.data_seed === c.init_seed && c.init_seed === c.sample_seed) parts.push(["seed", fmt(c.data_seed)]);
  else for (const k of ["data_seed", "init_seed", "sample_seed"]) parts.push([k, fmt(c[k])]);
  for (const [k, v] of Object.entries(state.activation)) {
    if (v !== ACTIVATION_DEFAULTS[k]) parts.push([k, fmt(v)]);
  }
  const p = state.page;
  if (p.embed) parts.push(["embed", "1"]);
  if (p.autoplay) parts.push(["autoplay", "1"]);
  if (p.view !== "network") parts.push(["view", p.view]);
  if (p.speed !== "fast") parts.push(["speed", p.speed]);
  if (p.engine !== "auto") parts.push(["engine", p.engine]);
  for (const h of p.hide) parts.push([`${h}_hide`, "1"]);
  return "#" + parts.map(([k, v]) => `${k}=${encodeURIComponent(v).replace(/%2C/g, ",")}`).join("&");
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
