// The page's URL/config logic (www/js/config.js) without a browser: round trips,
// validation, clamping, and that the run config keeps to `infomorph train --config`.
// config.js is initialised with the engine's catalog from the built wasm module (dist/).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as C from "../../www/js/config.js";
import { loadEngine } from "./lib/catalog.mjs";

let engine;
before(async () => {
  engine = await loadEngine();
  C.init(engine.catalog());
});

test("a state survives the hash round trip", () => {
  const s = C.defaultState();
  C.applyEntries(s, [["task", "xor"], ["model", "trivariate"], ["hidden", "12"], ["hidden_binning", "max-abs"], ["gamma", Array(19).fill(0).map((_, i) => (i === 1 ? 1 : i === 2 ? -0.5 : 0))], ["c1", "0.2"]], { strict: true });
  s.page.embed = true;
  s.page.hide.add("task");
  s.page.engine = "cpu";
  const hash = C.toHash(s);
  assert.match(hash, /^#v=1&task=xor&model=trivariate&gamma=0,1,-0\.5,0/);
  assert.match(hash, /&c1=0\.2/);
  assert.match(hash, /&hidden_binning=max-abs/);
  assert.doesNotMatch(C.toHash(C.defaultState()), /hidden_binning/, "each model's own binning is the default");
  assert.equal(C.defaultState().config.hidden_binning, null);
  assert.match(hash, /&embed=1/);
  assert.match(hash, /&task_hide=1/);
  assert.match(hash, /&engine=cpu/);
  assert.doesNotMatch(C.toHash(C.defaultState()), /engine=/, "auto is the default");
  const back = C.parseHash(hash);
  assert.deepEqual(back.problems, []);
  assert.deepEqual(back.state.config, s.config);
  assert.deepEqual(back.state.activation, s.activation);
  assert.ok(back.state.page.embed && back.state.page.hide.has("task"));
  assert.equal(back.state.page.engine, "cpu");
});

test("bad values are named, clamped or replaced by defaults", () => {
  const { state, problems } = C.parseHash("#v=2&hidden=0&bins=x&model=mlp&goal=four-term&gamma=1,2,3&speed=warp&engine=tpu&foo_hide=1&zzz=1&hidden_binning=adaptive");
  const text = problems.join("\n");
  for (const word of ["v=2", "hidden", "bins", "mlp", "four-term", "gamma", "warp", "tpu", "foo", "zzz", "adaptive"]) {
    assert.ok(text.includes(word), `${word} in ${text}`);
  }
  assert.equal(state.config.hidden, 1);
  assert.equal(state.config.bins, C.DEFAULTS.bins);
  assert.equal(state.config.model, C.DEFAULTS.model);
  assert.equal(state.config.goal, "heuristic");
  assert.equal(state.config.gamma, null);
  assert.equal(state.config.hidden_binning, null);
  assert.equal(state.page.engine, "auto");
  assert.throws(() => C.applyEntries(C.defaultState(), [["hidden", "2.5"]], { strict: true }), /hidden/);
  assert.throws(() => C.applyEntries(C.defaultState(), [["embed", "1"]], { strict: true }), /embed/);
});

test("the run config has exactly the fields of infomorph train --config", () => {
  const keys = Object.keys(C.runConfig(C.defaultState())).sort();
  assert.deepEqual(keys, [
    "batch", "bins", "data_seed", "epochs", "goal", "hidden", "hidden_binning", "init_seed", "lr_backprop", "lr_hidden",
    "lr_output", "model", "sample_seed", "sparse_k", "task", "weight_decay_hidden", "weight_decay_output",
  ]);
  assert.ok(!("activation" in C.runConfig(C.defaultState())));
});

test("the tables come from the engine's catalog", () => {
  const catalog = engine.catalog();
  assert.deepEqual(C.MODELS.map(([m]) => m).sort(), catalog.models.map((m) => m.name).sort());
  for (const [m] of C.MODELS) {
    const model = catalog.models.find((x) => x.name === m);
    assert.equal(C.termCount(m), model.terms);
    for (const g of C.goalsFor(m)) {
      // the presets are the engine's (goalPreset of the wasm module), of the model's length
      assert.deepEqual(C.goalPreset(m, g), Array.from(engine.goalPreset(m, g)));
      assert.equal(C.goalPreset(m, g).length, model.terms);
    }
    if (model.terms) assert.deepEqual(C.termNames(model.sources.length), Array.from(engine.termNames(model.sources.length)));
  }
  for (const t of ["bars", "xor", "digits8", "mnist10k"]) assert.ok(C.TASKS.some(([n]) => n === t), t);
  assert.ok(!C.TASKS.some(([n]) => n === "csv" || n === "idx"), "uploads are not in the task list");
  // The engine's defaults where the page has none of its own.
  const engineDefaults = JSON.parse(engine.defaultConfig());
  for (const k of ["bins", "lr_hidden", "weight_decay_hidden", "lr_output", "weight_decay_output", "lr_backprop"]) {
    assert.equal(C.DEFAULTS[k], engineDefaults[k], k);
  }
  assert.deepEqual(Object.keys(C.DEFAULTS).sort(), Object.keys(engineDefaults).sort());
  // Notices arrive as {kind, text}; the kinds are the engine's (engine::NoticeKind).
  assert.deepEqual(catalog.notices.map((n) => n.kind), ["engine-choice", "fallback", "device-lost"]);
  assert.ok(C.noticeTold({ kind: "device-lost", text: "GPU device lost (test) at step 3" }, false));
  assert.ok(C.noticeTold({ kind: "fallback", text: "CPU engine: the readout model runs on the CPU engine only" }, true));
  assert.ok(!C.noticeTold({ kind: "fallback", text: "CPU engine: …" }, false));
  assert.ok(!C.noticeTold({ kind: "engine-choice", text: "CPU engine (requested)" }, true));
});

test("keys and values that name Object.prototype members are refused, not inherited", () => {
  const { state, problems } = C.parseHash("#__proto__=1&toString=2&speed=toString&constructor_hide=1");
  const text = problems.join("\n");
  for (const word of ["__proto__", "toString", "constructor"]) assert.ok(text.includes(word), `${word} in ${text}`);
  assert.equal(state.page.speed, "fast");
  assert.equal(C.toHash(state), C.toHash(C.defaultState()));
});
