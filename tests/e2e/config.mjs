// The page's URL/config logic (www/js/config.js) without a browser: round trips,
// validation, clamping, and that the run config keeps to `infomorph train --config`.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as C from "../../www/js/config.js";

test("a state survives the hash round trip", () => {
  const s = C.defaultState();
  C.applyEntries(s, [["task", "xor"], ["model", "trivariate"], ["hidden", "12"], ["gamma", Array(19).fill(0).map((_, i) => (i === 1 ? 1 : i === 2 ? -0.5 : 0))], ["c1", "0.2"]], { strict: true });
  s.page.embed = true;
  s.page.hide.add("task");
  s.page.engine = "cpu";
  const hash = C.toHash(s);
  assert.match(hash, /^#v=1&task=xor&model=trivariate&gamma=0,1,-0\.5,0/);
  assert.match(hash, /&c1=0\.2/);
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
  const { state, problems } = C.parseHash("#v=2&hidden=0&bins=x&model=mlp&goal=four-term&gamma=1,2,3&speed=warp&engine=tpu&foo_hide=1&zzz=1");
  const text = problems.join("\n");
  for (const word of ["v=2", "hidden", "bins", "mlp", "four-term", "gamma", "warp", "tpu", "foo", "zzz"]) {
    assert.ok(text.includes(word), `${word} in ${text}`);
  }
  assert.equal(state.config.hidden, 1);
  assert.equal(state.config.bins, C.DEFAULTS.bins);
  assert.equal(state.config.model, C.DEFAULTS.model);
  assert.equal(state.config.goal, "heuristic");
  assert.equal(state.config.gamma, null);
  assert.equal(state.page.engine, "auto");
  assert.throws(() => C.applyEntries(C.defaultState(), [["hidden", "2.5"]], { strict: true }), /hidden/);
  assert.throws(() => C.applyEntries(C.defaultState(), [["embed", "1"]], { strict: true }), /embed/);
});

test("the run config has exactly the fields of infomorph train --config", () => {
  const keys = Object.keys(C.runConfig(C.defaultState())).sort();
  assert.deepEqual(keys, [
    "batch", "bins", "data_seed", "epochs", "goal", "hidden", "init_seed", "lr_backprop", "lr_hidden",
    "lr_output", "model", "sample_seed", "sparse_k", "task", "weight_decay_hidden", "weight_decay_output",
  ]);
  assert.ok(!("activation" in C.runConfig(C.defaultState())));
});
