// The embedding API on window.infomorph (see README): configuration, transport,
// stats, and the engine's PID for any table. `api` is the object boot.js created (its
// `ready` promise resolves once the page runs).
import * as C from "./config.js";
import { REQ } from "./worker-client.js";

// The code read-out (method §9) in the API's camelCase, or null for a task without
// known causes.
function codeOf(c) {
  if (!c) return null;
  return {
    bits: c.bits,
    maxBits: c.max_bits,
    initBits: c.init_bits,
    step: c.step,
    perNeuron: c.per_neuron.map((p) => ({ cause: p.cause, name: p.name, bits: p.bits, total: p.total })),
    redundancy: c.redundancy,
    specialisation: c.specialisation,
    selectivity: c.selectivity,
    specialised: c.specialised,
    causesCovered: c.causes_covered,
    causes: c.names.slice(),
  };
}

export function initApi(app, api) {
  const { store, worker, engine } = app;
  const S = store.s;

  api.version = () => engine.version();
  api.defaultConfig = () => engine.defaultConfig();
  api.decompose = (table, gamma, pointwise = false) => engine.decompose(table, gamma, pointwise);
  api.getConfig = () => structuredClone(C.publicConfig(S.state));
  api.setConfig = (obj) => {
    if (typeof obj !== "object" || obj === null || Array.isArray(obj)) throw new Error("setConfig needs an object");
    const next = { config: { ...S.state.config }, activation: { ...S.state.activation }, page: S.state.page };
    // A goal drops a custom γ; gamma: null is skipped there, so it is cleared here.
    C.applyEntries(next, Object.entries(obj), { strict: true });
    if ("gamma" in obj && obj.gamma === null) next.config.gamma = null;
    return app.adopt(next);
  };
  api.play = () => app.setPlaying(true);
  api.pause = () => app.setPlaying(false);
  api.step = async (n = 1) => {
    if (!Number.isInteger(n) || n < 1 || n > 100000) throw new Error("step(n) needs a whole number n from 1 to 100000");
    await S.creating;
    app.setPlaying(false);
    const gen = S.generation;
    try {
      await worker.call(REQ.step, { n });
    } catch (error) {
      // A reset meanwhile replaced the session these steps were for.
      if (gen !== S.generation) error.replaced = true;
      throw error;
    }
    await app.latest();
    return api.stats();
  };
  api.reset = () => app.reset();
  /** The curated experiments: [{name, title, hash}] (hash: `#v=1&experiment=NAME`). */
  api.experiments = () => C.CATALOG.experiments.map(({ name, title, hash }) => ({ name, title, hash }));
  /** Opens experiment `name` (its configuration and panel); resolves once its run is reset. */
  api.openExperiment = async (name) => app.openExperiment(name);
  api.shareUrl = () => app.shareUrl();
  api.embedCode = (options) => app.embedCode(options);
  // Test hook: simulates a GPU device loss (the run continues on the CPU engine).
  api.loseDevice = () => worker.call(REQ.loseDevice);
  // Test hook: a Rust panic inside the worker's engine; the page shows an alert naming
  // it and restarts the worker (a reset trains again). Resolves once it is restarted.
  api.debugPanic = async (onPool = false) => {
    await worker.call(REQ.debugPanic, { onPool }).catch(() => {});
    await worker.restarting;
  };
  api.stats = () => {
    const s = S.stats ?? {};
    return {
      step: s.step ?? 0,
      epoch: s.epoch ?? 0,
      engine: s.engine === "webgpu" ? "webgpu" : "cpu",
      adapter: s.engine === "webgpu" ? s.adapter : null,
      webgpuAdapter: S.adapter,
      notices: (s.notices ?? []).map((n) => n.text),
      stepsPerSecond: s.steps_per_second ?? 0,
      playing: S.playing,
      finished: !!s.finished,
      error: s.error ?? null,
      accuracy: { ...(s.accuracy ?? { train: null, val: null, test: null }) },
      goal: s.goal ?? null,
      names: s.names ?? [],
      gamma: s.gamma ?? [],
      meanAtoms: s.mean_atoms ?? [],
      atoms: (s.atoms ?? []).map((r) => r.slice()),
      metrics: s.metrics ?? [],
      code: codeOf(s.code),
    };
  };
  app.api = api;
}
