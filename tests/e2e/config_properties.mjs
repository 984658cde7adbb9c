// Property tests (fast-check) of the page's URL/config logic (www/js/config.js), with
// the engine's catalog from the built wasm module: the parse functions meant to be
// total never throw, whatever the hash, fragment or JSON; every refusal names its
// field; and every valid state survives toHash → parseHash unchanged.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import * as C from "../../www/js/config.js";
import { loadEngine } from "./lib/catalog.mjs";

const runs = Number(process.env.INFOMORPH_PROPERTY_RUNS ?? 300);

before(async () => {
  C.init((await loadEngine()).catalog());
});

const configKeys = () => [...Object.keys(C.DEFAULTS), ...Object.keys(C.ACTIVATION), "seed", "v", "activation"];
const urlKeys = () => [...configKeys(), ...C.PAGE_KEYS, ...C.HIDE_KEYS.map((h) => `${h}_hide`)];
/** Keys: mostly real ones, some arbitrary text. */
const key = () => fc.oneof(fc.constantFrom(...urlKeys()), fc.string({ maxLength: 12 }));
/** Values: numbers, words the schema knows, or arbitrary text (also odd Unicode). */
const text = () =>
  fc.oneof(
    fc.double().map(String),
    fc.integer().map(String),
    fc.constantFrom("", "1", "true", "-0", "1e400", "NaN", "0x10", " 5 ", "bars", "trivariate", "four-term", "gpu", "slow", "1,2,3"),
    fc.string({ maxLength: 20 }),
    fc.string({ unit: "grapheme", maxLength: 8 }),
  );

test("parseHash never throws, on any text or any key=value fragment", () => {
  const fragment = fc
    .array(fc.tuple(key(), text(), fc.boolean()), { maxLength: 12 })
    .map((pairs) => "#" + pairs.map(([k, v, enc]) => (enc ? `${encodeURIComponent(k)}=${encodeURIComponent(v)}` : `${k}=${v}`)).join("&"));
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.string({ unit: "binary" }), fragment), (hash) => {
      const { state, problems } = C.parseHash(hash);
      assert.ok(Array.isArray(problems) && problems.every((p) => typeof p === "string"));
      // What comes out is always a usable state: known task and model, numbers in range.
      assert.ok(C.TASKS.some(([t]) => t === state.config.task));
      assert.ok(C.MODELS.some(([m]) => m === state.config.model));
      for (const [k, [min, max, integer]] of Object.entries(C.NUMBERS)) {
        const v = state.config[k];
        assert.ok(Number.isFinite(v) && v >= min && v <= max && (!integer || Number.isInteger(v)), `${k}=${v}`);
      }
      if (state.config.gamma) assert.equal(state.config.gamma.length, C.termCount(state.config.model));
    }),
    { numRuns: runs },
  );
});

test("every problem of a URL names its key (or the undecodable part)", () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(key(), text()), { minLength: 1, maxLength: 6 }), (pairs) => {
      const hash = "#" + pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
      const { problems } = C.parseHash(hash);
      for (const p of problems) {
        assert.ok(pairs.some(([k]) => p.includes(k.endsWith("_hide") ? k.slice(0, -5) : k)), `${p} (from ${hash})`);
      }
    }),
    { numRuns: runs },
  );
});

test("applyEntries: lenient never throws on any JSON; strict refusals are Errors naming the field", () => {
  const entries = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...configKeys()), fc.string({ maxLength: 8 })), fc.jsonValue({ maxDepth: 2 })), { maxLength: 8 });
  fc.assert(
    fc.property(entries, (list) => {
      const lenient = C.defaultState();
      const problems = C.applyEntries(lenient, list);
      assert.ok(problems.every((p) => typeof p === "string"));
      const strict = C.defaultState();
      try {
        C.applyEntries(strict, list, { strict: true });
      } catch (error) {
        assert.ok(error instanceof Error);
        // The field: a key of the entries, or of an activation object among them.
        const names = list.flatMap(([k, v]) => (k === "activation" && v && typeof v === "object" ? [k, ...Object.keys(v)] : [k]));
        assert.ok(names.some((k) => error.message.includes(k)), `${error.message} (from ${JSON.stringify(list)})`);
      }
    }),
    // Found by this property: a value with no text of its own threw a TypeError.
    { numRuns: runs, examples: [[[["task", { toString: null }]]], [[["gamma", [{ toString: null }]]]]] },
  );
});

/** A valid state as the page can hold it (URL numbers carry 6 significant digits). */
function validState() {
  const six = (min, max) => fc.integer({ min: Math.round(min * 1e4), max: Math.round(max * 1e4) }).map((v) => v / 1e4);
  const numbers = Object.fromEntries(
    Object.entries(C.NUMBERS).map(([k, [min, max, integer]]) => [k, integer ? fc.integer({ min, max }) : six(min, max)]),
  );
  const activation = Object.fromEntries(Object.entries(C.ACTIVATION).map(([k, [min, max]]) => [k, six(min, max)]));
  return fc
    .record({
      task: fc.constantFrom(...C.TASKS.map(([t]) => t)),
      model: fc.constantFrom(...C.MODELS.map(([m]) => m)),
      goalIndex: fc.nat(),
      custom: fc.boolean(),
      gamma: fc.array(fc.integer({ min: C.GAMMA_RANGE[0] * 100, max: C.GAMMA_RANGE[1] * 100 }).map((v) => v / 100), { minLength: 19, maxLength: 19 }),
      numbers: fc.record(numbers),
      sameSeed: fc.boolean(),
      binning: fc.constantFrom(null, ...C.HIDDEN_BINNINGS),
      activation: fc.record(activation),
      embed: fc.boolean(),
      autoplay: fc.boolean(),
      view: fc.constantFrom("network", "gate"),
      speed: fc.constantFrom(...Object.keys(C.SPEEDS)),
      engine: fc.constantFrom("auto", "cpu", "gpu"),
      hide: fc.subarray(C.HIDE_KEYS),
    })
    .map((r) => {
      const s = C.defaultState();
      const c = s.config;
      Object.assign(c, r.numbers, { task: r.task, model: r.model, hidden_binning: r.binning });
      if (r.sameSeed) c.init_seed = c.sample_seed = c.data_seed;
      // Fields the hash leaves out for this model keep their defaults.
      if (c.model !== "trivariate-sparse") c.sparse_k = C.DEFAULTS.sparse_k;
      if (c.model !== "backprop") c.lr_backprop = C.DEFAULTS.lr_backprop;
      const goals = C.goalsFor(c.model);
      c.goal = goals.length ? goals[r.goalIndex % goals.length] : C.DEFAULTS.goal;
      c.gamma = goals.length && r.custom ? r.gamma.slice(0, C.termCount(c.model)) : null;
      Object.assign(s.activation, r.activation);
      Object.assign(s.page, { embed: r.embed, autoplay: r.autoplay, view: r.view, speed: r.speed, engine: r.engine, hide: new Set(r.hide) });
      return s;
    });
}

test("every valid state round-trips through toHash and parseHash", () => {
  fc.assert(
    fc.property(validState(), (s) => {
      const hash = C.toHash(s);
      const back = C.parseHash(hash);
      assert.deepEqual(back.problems, [], hash);
      const want = structuredClone(s.config);
      // A custom γ replaces the preset name in the hash; the parsed state keeps the default name.
      if (want.gamma) want.goal = back.state.config.goal;
      assert.deepEqual(back.state.config, want, hash);
      assert.deepEqual(back.state.activation, s.activation, hash);
      assert.deepEqual(back.state.page, s.page, hash);
      assert.equal(C.toHash(back.state), hash);
    }),
    { numRuns: runs },
  );
});
