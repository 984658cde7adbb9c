// Goal search in the page: a study (the engine's SearchStudy, on this thread: asking
// for a batch takes milliseconds) and a pool of training workers, one trial each at a
// time (up to hardwareConcurrency − 1 of them), so that the page stays responsive.
// The study's sampler, batches, objective and JSON lines are the engine's, as in
// `infomorph search`: a study moves between the page and the command line either way.
import * as C from "./config.js";
import { connectWorker, REQ } from "./worker-client.js";

/** The most workers a search uses on this machine. */
export const maxWorkers = () => Math.max(1, (navigator.hardwareConcurrency || 2) - 1);

/**
 * `engine`: the wasm module (SearchStudy); `spawn()`, `init`: as connectWorker takes
 * them; `dataFor(config)`: the `data` field of a create request for a run config.
 */
export function createSearcher({ engine, spawn, init, dataFor }) {
  let pool = [];
  let run = null; // {study, stopped, promise}

  async function poolOf(n) {
    while (pool.length < n) pool.push(await connectWorker(spawn, init));
    return pool.slice(0, n);
  }

  /** Trains run config `asked.config` on worker `w`: its last epoch's metrics, or why it stopped. */
  async function trial(w, asked) {
    const start = performance.now();
    const seconds = () => (performance.now() - start) / 1000;
    try {
      await w.call(REQ.create, {
        config: asked.config,
        activation: { ...C.defaultState().activation },
        adapter: "",
        engine: "cpu",
        data: dataFor(asked.config),
        generation: asked.trial ?? 0,
      });
      await w.call(REQ.step, { n: 1e9 });
      const s = await w.call(REQ.stats);
      const last = s?.metrics?.at(-1) ?? null;
      const error = s?.error ?? (last ? null : "the run finished no epoch");
      return { last, error, seconds: seconds() };
    } catch (e) {
      return { last: null, error: String(e?.message ?? e), seconds: seconds() };
    }
  }

  /**
   * Runs `study` to its end in batches of `batch` trials (asked together, as
   * `infomorph search --jobs batch`: the study depends on it) on up to `batch` workers
   * (at most hardwareConcurrency − 1), calling `onTrial(record, study)` as each trial
   * finishes. Resolves with the study (stopped or done).
   */
  function start(study, { batch = 1, onTrial = () => {} } = {}) {
    if (run) throw new Error("a search is already running: stop it first");
    const me = { study, stopped: false };
    me.promise = (async () => {
      const size = Math.max(1, Math.floor(batch));
      const ws = await poolOf(Math.min(size, maxWorkers()));
      while (!me.stopped) {
        const queue = study.ask(size);
        if (!queue.length) break;
        await Promise.all(
          ws.map(async (w) => {
            for (let asked = queue.shift(); asked && !me.stopped; asked = queue.shift()) {
              const r = await trial(w, asked);
              if (me.stopped) return;
              const atoms = Float64Array.from(r.last?.hidden_atoms ?? [], (x) => x ?? NaN);
              const record = study.tell(asked.trial, r.last?.val_accuracy ?? NaN, atoms, r.error ?? undefined, r.seconds);
              onTrial(record, study);
            }
          }),
        );
      }
      return study;
    })().finally(() => {
      if (run === me) run = null;
    });
    run = me;
    return me.promise;
  }

  /**
   * Trains every run config of `configs` (a sensitivity analysis' runs) on up to
   * `workers` workers; resolves with their validation accuracies in order (NaN for a
   * failed run), or null when stopped. `onRun(done, total)` after each run.
   */
  function runConfigs(configs, { workers = maxWorkers(), onRun = () => {} } = {}) {
    if (run) throw new Error("a search is already running: stop it first");
    const me = { stopped: false };
    me.promise = (async () => {
      const ws = await poolOf(Math.min(Math.max(1, Math.floor(workers)), maxWorkers()));
      const values = new Array(configs.length).fill(NaN);
      let next = 0;
      let done = 0;
      await Promise.all(
        ws.map(async (w) => {
          while (!me.stopped && next < configs.length) {
            const i = next++;
            const r = await trial(w, { config: configs[i], trial: i });
            if (me.stopped) return;
            if (!r.error && Number.isFinite(r.last?.val_accuracy)) values[i] = r.last.val_accuracy;
            onRun(++done, configs.length);
          }
        }),
      );
      return me.stopped ? null : values;
    })().finally(() => {
      if (run === me) run = null;
    });
    run = me;
    return me.promise;
  }

  /** Stops the running search: trials in flight are dropped (a resumed study runs them again). */
  function stop() {
    if (!run) return false;
    run.stopped = true;
    // The workers' sessions are dropped with them; fresh workers serve the next search.
    for (const w of pool) w.terminate();
    pool = [];
    return true;
  }

  return {
    start,
    runConfigs,
    stop,
    get running() {
      return run !== null;
    },
    /** A new study for run config `config` and options {terms, trials, sampler, objective, seed, …}. */
    study: (config, options) => new engine.SearchStudy(config, options),
    /** A study from its JSON lines, to `trials` in all (default: its own total). */
    fromLines: (text, trials) => engine.SearchStudy.fromLines(text, trials),
    /** A sensitivity analysis of run config `config`'s goal, options {seed, seeds}. */
    sensitivity: (config, options) => new engine.SensitivityStudy(config, options),
  };
}
