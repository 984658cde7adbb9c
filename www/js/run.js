// The training run: starting a session on the current configuration (reset), play
// and pause, and the worker's snapshots into the store (with the atom trace).
import * as C from "./config.js";
import { $, alertBox } from "./dom.js";
import { REQ } from "./worker-client.js";
import { EVENTS } from "./protocol.js";

export function initRun(app) {
  const { store, worker } = app;
  const S = store.s;

  /** The `data` of a create request for a run config (the page's own by default). */
  function dataFor(config = null) {
    if (S.uploaded && (!config || config.task === S.uploaded.name)) return S.uploaded.data;
    if ((config ?? S.state.config).task === "digits8") {
      return { kind: "digits8", records: new URL("digits8x8/digits.bin", document.baseURI).href };
    }
    if ((config ?? S.state.config).task === "mnist10k") {
      const base = new URL("mnist10k/", document.baseURI);
      return { kind: "url", images: new URL("images-idx3-ubyte", base).href, labels: new URL("labels-idx1-ubyte", base).href };
    }
    return { kind: "builtin" };
  }

  /** Starts a session on the current configuration; returns the promise of its start. */
  function reset() {
    const resume = S.wantPlay;
    const gen = S.generation + 1;
    store.update({ viewing: null, sessionError: null, trace: [], goalTrace: [], selected: 0, generation: gen });
    const config = { ...C.runConfig(S.state) };
    if (S.uploaded) config.task = S.uploaded.name;
    $("run-state").textContent = S.state.config.task === "mnist10k" && !S.uploaded ? "loading MNIST-10k…" : "";
    const creating = S.creating
      .catch(() => {})
      .then(() => worker.call(REQ.pause))
      .then(() =>
        worker.call(REQ.create, {
          config,
          activation: { ...S.state.activation },
          adapter: S.adapter ?? "",
          engine: S.state.page.engine,
          data: dataFor(),
          generation: gen,
        }),
      )
      .then(async () => {
        $("run-state").textContent = "";
        const p = await worker.call(REQ.points, { max: 300 });
        store.update({ points: p && p.length ? p : null });
        setPlaying(resume);
      })
      .catch((error) => {
        store.update({ sessionError: error.message });
        $("run-state").textContent = "";
        alertBox(`Cannot start this configuration: ${error.message}`);
        setPlaying(false);
        throw error;
      });
    store.update({ creating });
    return creating;
  }

  function setPlaying(on) {
    const run = on && S.visible && !S.stats?.finished && !S.sessionError;
    store.update({ wantPlay: on, playing: run });
    $("play").textContent = run ? "Pause" : "Play";
    document.body.classList.toggle("playing", run);
    worker.call(run ? REQ.play : REQ.pause).catch(() => {});
    app.badge();
  }

  /** The worker's latest stats of the current session into the store. */
  async function latest() {
    const gen = S.generation;
    const s = await worker.call(REQ.stats);
    if (s) store.update({ stats: s, statsFresh: gen === S.generation });
  }

  function quantile(sorted, q) {
    if (!sorted.length) return NaN;
    const i = (sorted.length - 1) * q;
    const lo = Math.floor(i);
    return sorted[lo] + (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (i - lo);
  }

  /** Appends the snapshot's atom quantiles and goal to the traces. */
  function record() {
    const { stats } = S;
    if (!stats.atoms.length || !stats.atoms[0].length) return;
    const last = S.trace[S.trace.length - 1];
    if (last && last.step === stats.step) return;
    if (stats.step === 0) return;
    const t = stats.atoms[0].length;
    const med = [];
    const lo = [];
    const hi = [];
    for (let j = 0; j < t; j++) {
      const col = stats.atoms.map((r) => r[j]).filter(Number.isFinite).sort((a, b) => a - b);
      med.push(quantile(col, 0.5));
      lo.push(quantile(col, 0.1));
      hi.push(quantile(col, 0.9));
    }
    S.trace.push({ step: stats.step, med, lo, hi });
    if (Number.isFinite(stats.goal)) S.goalTrace.push([stats.step, stats.goal]);
    if (S.trace.length > 1200) {
      store.update({ trace: S.trace.filter((_, i) => i % 2 === 0), goalTrace: S.goalTrace.filter((_, i) => i % 2 === 0) });
    }
  }

  worker.on((m) => {
    if (m.type === EVENTS.stats) {
      if (S.viewing || m.generation !== S.generation) return;
      const { stats } = m;
      store.update({ stats, statsFresh: true, fields: m.fields ?? S.fields, map: m.map ?? S.map });
      for (const n of stats.notices ?? []) {
        // Why the CPU engine runs although WebGPU was found, and device losses: once each.
        const tell = C.noticeTold(n, !!S.adapter);
        if (tell && !S.told.has(n.text)) {
          S.told.add(n.text);
          alertBox(n.text, "info");
        }
      }
      record();
      app.render();
    } else if (m.type === EVENTS.stopped) {
      setPlaying(false);
      if (S.stats?.error) alertBox(S.stats.error);
      else $("run-state").textContent = `finished: ${S.stats?.epoch} epochs`;
    } else if (m.type === EVENTS.error) {
      alertBox(`Training stopped: ${m.error}`);
      setPlaying(false);
    } else if (m.type === EVENTS.panic) {
      // The worker was restarted with a fresh engine; the run is gone until a reset.
      store.update({ sessionError: m.message });
      setPlaying(false);
      alertBox(`The engine panicked: ${m.message} (the engine was restarted; press reset to train again)`);
    }
  });

  Object.assign(app, { reset, setPlaying, latest, dataFor });
}
