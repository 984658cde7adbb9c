// The network view's cards: the counters, the PID heat map, and drawing every card
// from the latest snapshot. Cards that are not displayed (embed mode hides some, the
// gate view all) are not drawn; those skipped are drawn when shown again. Neurons are
// picked by a click on the heat map or the receptive fields, or with the keyboard on
// either canvas (focusable: arrow keys, Home, End; Enter or Space opens the inspector).
import * as D from "../draw.js";
import { $, ctx } from "../dom.js";
import { describe, namedValues } from "../describe.js";
import { fitCanvases } from "../fit.js";
import { initLattice } from "./lattice.js";
import { initTrace } from "./trace.js";
import { initFields } from "./fields.js";
import { initCurves } from "./curves.js";
import { initConfusion } from "./confusion.js";
import { initNeuron } from "./neuron.js";
import { initCode } from "./code.js";

const fmtAcc = (v) => (v === null || v === undefined || !Number.isFinite(v) ? "–" : `${(100 * v).toFixed(1)} %`);

export function initCards(app) {
  const { store } = app;
  const S = store.s;
  const geom = { heat: null, fields: null }; // where the neurons were drawn, for clicks

  const stale = new Set();
  function shown(card) {
    if ($(card).offsetParent !== null) {
      stale.delete(card);
      return true;
    }
    stale.add(card);
    return false;
  }
  function redrawStale() {
    if (S.stats && [...stale].some((card) => $(card).offsetParent !== null)) render();
  }
  app.shown = shown;

  const drawLattice = initLattice(app);
  const drawTrace = initTrace(app);
  const drawFields = initFields(app, geom);
  const drawCurves = initCurves(app);
  const drawConfusion = initConfusion(app);
  const refreshNeuron = initNeuron(app);
  const drawCode = initCode(app);

  function render() {
    const { stats, selected } = S;
    if (!stats) return;
    // A session's first snapshot can tell more about its inputs (an upload, a run file).
    app.refreshGoalWords();
    $("epoch").textContent = stats.epoch + (stats.evaluating ? " (evaluating)" : "");
    $("stepcount").textContent = stats.step;
    const sup = stats.classes > 1;
    $("acc-train").textContent = sup ? fmtAcc(stats.accuracy.train) : "n/a";
    $("acc-val").textContent = sup ? fmtAcc(stats.accuracy.val) : "n/a";
    $("acc-test").textContent = sup ? fmtAcc(stats.accuracy.test) : "n/a";
    $("card-confusion").hidden = !sup;
    $("card-curves").hidden = !sup;
    const showTrace = shown("card-trace");
    const showConfusion = shown("card-confusion");
    $("goal-value").textContent = Number.isFinite(stats.goal) ? stats.goal.toFixed(3) : "–";
    app.badge();
    const letters = stats.sources;
    const labels = stats.names.map((n) => D.displayName(n, letters));
    const gamma = stats.gamma;
    geom.heat = D.heatmap(ctx("heat"), stats.atoms, labels, { selected, gamma });
    if (!geom.heat) D.placeholder(ctx("heat"), "press play or step: atoms appear after the first step");
    else describeHeat(stats, labels, selected);
    drawLattice();
    if (showTrace) drawTrace(labels);
    drawFields();
    // A Tab stop only where the keys pick a neuron (not on a decision map).
    $("fields").tabIndex = fieldsPick() ? 0 : -1;
    drawCurves();
    drawCode();
    if (showConfusion) drawConfusion();
    if (selected >= 0) refreshNeuron(false);
  }

  function describeHeat(stats, labels, selected) {
    const n = stats.atoms.length;
    const mean = stats.mean_atoms.length ? namedValues(labels, stats.mean_atoms) : "not yet measured";
    const picked = selected >= 0 && selected < n ? `; neuron ${selected} selected (arrow keys choose another)` : "";
    describe($("heat"), `${n} ${stats.layer} neurons × ${labels.length} atoms at step ${stats.step}; mean over neurons (bits): ${mean}${picked}`);
  }

  function pick(canvas, g, e) {
    const r = canvas.getBoundingClientRect();
    const s = canvas.width / r.width;
    const x = (e.clientX - r.left) * s;
    const y = (e.clientY - r.top) * s;
    if (!g) return -1;
    if (g.kind === "grid") {
      const i = Math.floor(y / g.size) * g.cols + Math.floor(x / g.size);
      return x < g.cols * g.size && i < g.n ? i : -1;
    }
    const i = Math.floor((y - g.y0) / g.ch);
    return x >= g.x0 && i >= 0 && i < g.rows ? i : -1;
  }
  function select(i) {
    if (i < 0) return;
    store.update({ selected: i });
    render();
    refreshNeuron(true);
  }
  /** Whether the fields canvas shows the neurons the heat map shows (so picks there apply). */
  const fieldsPick = () => S.stats?.fields_layer === S.stats?.layer && geom.fields !== null;
  $("heat").addEventListener("click", (e) => select(pick($("heat"), geom.heat, e)));
  $("fields").addEventListener("click", (e) => {
    if (fieldsPick()) select(pick($("fields"), geom.fields, e));
  });

  /**
   * The neuron a key moves to from `from` among `n` (`cols` per row on a grid of
   * receptive fields, 1 for the heat map's rows), or null for a key that is not ours.
   */
  function keyTarget(key, from, n, cols) {
    const moves = { ArrowUp: -cols, ArrowDown: cols, ArrowLeft: -1, ArrowRight: 1, PageUp: -10 * cols, PageDown: 10 * cols };
    if (key in moves) return Math.max(0, Math.min(n - 1, from + moves[key]));
    if (key === "Home") return 0;
    if (key === "End") return n - 1;
    return null;
  }
  function onNeuronKey(e, cols) {
    const n = S.stats?.atoms.length ?? 0;
    if (!n || e.altKey || e.ctrlKey || e.metaKey) return;
    const from = Math.max(0, Math.min(n - 1, S.selected));
    if (e.key === "Enter" || e.key === " ") {
      // Space here picks the neuron rather than playing (transport.js leaves keys that
      // were handled alone).
      e.preventDefault();
      select(from);
      $("card-neuron").scrollIntoView({ block: "nearest" });
      return;
    }
    const to = keyTarget(e.key, from, n, cols);
    if (to === null) return;
    e.preventDefault();
    select(to);
    $("neuron-live").textContent = `neuron ${to} of ${n} selected`;
  }
  $("heat").addEventListener("keydown", (e) => onNeuronKey(e, 1));
  $("fields").addEventListener("keydown", (e) => {
    if (fieldsPick()) onNeuronKey(e, geom.fields.kind === "grid" ? geom.fields.cols : 1);
  });

  // Drawn at their shown width on narrow screens (fit.js); the neuron inspector then
  // stacks its histograms and bars.
  const fitted = ["code", "heat", "lattice", "trace", "fields", "curves", "goalcurve", "confusion", "neuron"].map((id) => $(id));
  fitCanvases(fitted, () => {
    if (!S.stats) return;
    render();
    if (S.selected >= 0) refreshNeuron(true);
  });

  Object.assign(app, { render, redrawStale });
}
