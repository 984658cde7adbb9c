// The "Goal search" view: which terms to search, the budget, the sampler and seed; live
// plots of the value per trial (with the best so far) and of γ against value per
// searched term; the best goal, to apply (restarting the run) or share; a study to
// export or import in `infomorph search --study`'s JSON lines. And infomorph.search().
import * as C from "../config.js";
import * as D from "../draw.js";
import { $, ctx, alertBox } from "../dom.js";
import { describe } from "../describe.js";
import { fitCanvases } from "../fit.js";
import { createSearcher, maxWorkers } from "../search.js";
import { initSensitivity } from "./sensitivity.js";

export function initSearch(app) {
  const { store, engine } = app;
  const S = store.s;
  const searcher = createSearcher({
    engine,
    spawn: app.spawnWorker,
    // A search trains one trial per worker on every core already: no thread pools.
    init: { ...app.workerInit, threads: null },
    dataFor: (config) => app.dataFor(config),
  });
  let study = null;
  let built = false;
  const sensitivity = initSensitivity(app, searcher, {
    busy: (on) => {
      $("s-start").disabled = on;
      $("sens-start").disabled = on;
      $("s-stop").disabled = !on;
    },
  });

  function termBoxes() {
    const box = $("s-terms");
    const model = S.state.config.model;
    const names = C.termNames(C.sourceLetters(model).length);
    const letters = C.sourceLetters(model);
    box.replaceChildren();
    const legend = document.createElement("legend");
    legend.textContent = "searched terms";
    box.append(legend);
    names.forEach((name, i) => {
      const label = document.createElement("label");
      const input = document.createElement("input");
      input.type = "checkbox";
      input.value = String(i);
      input.checked = name !== "H_res" || names.length === 5;
      label.append(input, ` ${name === "H_res" ? "H_res" : D.displayName(name, letters)}`);
      box.append(label);
    });
  }

  function open() {
    if (!built) {
      built = true;
      fitCanvases([$("s-values"), $("s-gamma")], draw);
      $("s-workers").max = String(maxWorkers());
      $("s-workers").value = String(maxWorkers());
    }
    if (!searcher.running) termBoxes();
    draw();
    sensitivity.open();
  }

  /** The options of the form, for a study of the page's current configuration. */
  function formOptions() {
    const terms = [...$("s-terms").querySelectorAll("input:checked")].map((b) => Number(b.value));
    return {
      terms,
      trials: Number($("s-trials").value),
      sampler: $("s-sampler").value,
      seed: Number($("s-seed").value),
    };
  }

  function baseConfig(epochs) {
    const config = { ...C.runConfig(S.state) };
    if (S.uploaded) config.task = S.uploaded.name;
    if (epochs !== undefined) config.epochs = epochs;
    return config;
  }

  /** Runs `st` in batches of `workers` trials (one worker each, as far as the machine has cores); resolves with {trials, best}. */
  async function runStudy(st, workers) {
    study = st;
    $("s-start").disabled = true;
    $("sens-start").disabled = true;
    $("s-stop").disabled = false;
    status();
    draw();
    try {
      await searcher.start(st, { batch: workers, onTrial: () => { status(); draw(); } });
    } finally {
      $("s-start").disabled = false;
      $("sens-start").disabled = false;
      $("s-stop").disabled = true;
      status();
      draw();
    }
    return { trials: st.trials(), best: st.best() ?? null };
  }

  function status() {
    if (!study) return;
    const trials = study.trials();
    const failed = trials.filter((t) => t.state === "failed").length;
    const total = study.spec().trials;
    const best = study.best();
    $("s-status").textContent =
      `${trials.length} of ${total} trials${failed ? ` (${failed} failed)` : ""}` +
      (searcher.running ? " · running" : "") +
      (best ? ` · best ${best.value.toFixed(4)} at trial ${best.trial}` : "");
    const names = study.names();
    const terms = Array.from(study.terms());
    $("s-best").textContent = best
      ? terms.map((t, i) => `${names[i]} ${best.gamma[t] >= 0 ? "+" : ""}${best.gamma[t].toFixed(3)}`).join("  ")
      : "";
    $("s-apply").disabled = !best;
    $("s-share").disabled = !best;
  }

  function draw() {
    const c1 = ctx("s-values");
    const c2 = ctx("s-gamma");
    if (!study || !study.trials().length) {
      D.placeholder(c1, "value per trial: start a search");
      D.placeholder(c2, "γ against value per searched term");
      return;
    }
    const trials = study.trials().filter((t) => t.value !== null && t.value !== undefined);
    let best = -Infinity;
    const bestSoFar = [];
    for (const t of study.trials()) {
      if (t.value !== null && t.value !== undefined) best = Math.max(best, t.value);
      if (Number.isFinite(best)) bestSoFar.push([t.trial, best]);
    }
    D.lineChart(c1, [
      { name: "trial value", points: trials.map((t) => [t.trial, t.value]), dots: true },
      { name: "best so far", points: bestSoFar },
    ], { xlabel: "trial", ylabel: study.spec().objective });
    scatter(c2, trials);
    const b = study.best();
    describe(c1.canvas, `${study.trials().length} trials${b ? `, best ${b.value.toFixed(3)} at trial ${b.trial}` : ""}`);
    describe(c2.canvas, `${trials.length} trials against γ of ${study.names().length} searched terms`);
  }

  /** Small multiples: value against γ_i for each searched term. */
  function scatter(c, trials) {
    D.clear(c);
    const terms = Array.from(study.terms());
    const names = study.names();
    const { low, high } = study.spec();
    const W = c.canvas.width;
    const H = c.canvas.height;
    const cols = Math.min(terms.length, 5);
    const rows = Math.ceil(terms.length / cols);
    const w = W / cols;
    const h = H / rows;
    const values = trials.map((t) => t.value);
    const v0 = Math.min(...values);
    const v1 = Math.max(...values) + 1e-9;
    const bestValue = Math.max(...values);
    terms.forEach((term, k) => {
      const x0 = (k % cols) * w + 6;
      const y0 = Math.floor(k / cols) * h + 4;
      const pw = w - 12;
      const ph = h - 22;
      c.strokeStyle = "#ccd";
      c.strokeRect(x0, y0, pw, ph);
      for (const t of trials) {
        const x = x0 + ((t.gamma[term] - low) / (high - low)) * pw;
        const y = y0 + ph - ((t.value - v0) / (v1 - v0)) * ph;
        c.fillStyle = t.value === bestValue ? "#c0392b" : "#2c5d8f";
        c.fillRect(x - 2, y - 2, 4, 4);
      }
      D.text(c, names[k], x0 + pw / 2, y0 + ph + 14, { align: "center" });
    });
  }

  async function startFromForm() {
    if (searcher.running) return;
    try {
      const epochs = Number($("s-epochs").value);
      const st = searcher.study(baseConfig(epochs), formOptions());
      await runStudy(st, Number($("s-workers").value));
    } catch (e) {
      alertBox(`Cannot search: ${e.message}`);
    }
  }

  /** The best trial's run as the page's configuration (restarting the run). */
  function apply() {
    const best = study?.best();
    if (!best) return undefined;
    const config = { ...study.spec().config, gamma: best.gamma };
    return app.api.setConfig(config);
  }

  $("s-start").addEventListener("click", startFromForm);
  $("s-stop").addEventListener("click", () => searcher.stop());
  $("s-apply").addEventListener("click", () => apply()?.catch(() => {}));
  $("s-share").addEventListener("click", async () => {
    const best = study?.best();
    if (!best) return;
    const next = { config: { ...S.state.config }, activation: { ...S.state.activation }, page: { ...S.state.page } };
    C.applyEntries(next, Object.entries({ ...study.spec().config, gamma: best.gamma }), { strict: true });
    next.page.view = "network";
    const url = new URL(location.href);
    url.hash = C.toHash(next);
    try {
      await navigator.clipboard.writeText(url.href);
    } catch {}
    alertBox(`Link to the best goal: ${url.href}`, "info");
  });
  $("s-export").addEventListener("click", () => {
    if (!study) return;
    const blob = new Blob([study.toLines()], { type: "application/x-ndjson" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = `infomorph-study-${study.spec().config.task}.jsonl`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  });
  $("s-import").addEventListener("change", async (e) => {
    const file = e.target.files?.[0];
    e.target.value = "";
    if (!file || searcher.running) return;
    try {
      study = searcher.fromLines(await file.text(), Number($("s-trials").value) || undefined);
      status();
      draw();
      if (!study.done()) await runStudy(study, Number($("s-workers").value));
    } catch (err) {
      alertBox(`Cannot import this study: ${err.message}`);
    }
  });

  /** infomorph.search(options): {task, model, terms, trials, epochs, sampler, seed, workers, study} plus any config field. */
  app.api.search = async (options = {}) => {
    if (typeof options !== "object" || options === null) throw new Error("search(options) needs an object");
    const { terms, trials, sampler, seed, objective, low, high, startup, ei_candidates: ei, workers, study: lines, epochs, ...fields } = options;
    let st;
    if (lines !== undefined) {
      st = searcher.fromLines(String(lines), trials);
    } else {
      const next = { config: { ...S.state.config }, activation: { ...S.state.activation }, page: S.state.page };
      C.applyEntries(next, Object.entries(fields), { strict: true });
      if ("gamma" in fields && fields.gamma === null) next.config.gamma = null;
      const config = { ...C.runConfig(next), epochs: epochs ?? 2 };
      const opts = Object.fromEntries(
        Object.entries({ terms, trials, sampler, seed, objective, low, high, startup, ei_candidates: ei }).filter(([, v]) => v !== undefined),
      );
      st = searcher.study(config, opts);
    }
    return runStudy(st, workers ?? maxWorkers());
  };
  app.api.stopSearch = () => searcher.stop();
  app.api.applySearch = () => apply();
  app.api.searchLines = () => study?.toLines() ?? null;

  Object.assign(app, { openSearch: open });
}
