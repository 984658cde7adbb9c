// "Which terms matter?" in the Goal search view: the paper's sensitivity analysis of the
// current goal (each γ_i changed by ±10 %, by ±0.1 and set to 0, one at a time, over
// seeds; docs/method.md §8) as a bar chart of the change of validation accuracy. The
// runs and the report are the engine's SensitivityStudy (`infomorph sensitivity`'s
// plan); the runs train in the search's workers. And infomorph.sensitivity().
import * as C from "../config.js";
import * as D from "../draw.js";
import { $, ctx, alertBox } from "../dom.js";
import { describe } from "../describe.js";
import { fitCanvases } from "../fit.js";

const CHANGES = ["+10%", "-10%", "+0.1", "-0.1", "0"];

export function initSensitivity(app, searcher, { busy }) {
  const S = app.store.s;
  let report = null;
  let steps = null;
  let progress = "";
  let built = false;

  function open() {
    if (!built) {
      built = true;
      fitCanvases([$("s-sens")], draw);
    }
    draw();
  }

  function status(text) {
    progress = text;
    $("sens-status").textContent = text;
  }

  /** Runs the analysis of `config`'s goal: resolves with {baseline, rows, zero_order, cumulative}, or null when stopped. */
  async function analyse(config, { seed = 0, seeds = 2, cumulative = false, workers } = {}) {
    const study = searcher.sensitivity(config, { seed, seeds });
    report = null;
    steps = null;
    busy(true);
    try {
      const runs = study.singleRuns();
      const terms = study.names().length;
      const perChange = runs.length / (1 + CHANGES.length * terms); // the seeds
      const total = runs.length + (cumulative ? perChange * terms : 0);
      const onRun = (done) => status(`${done} of ${total} runs`);
      status(`0 of ${total} runs`);
      const values = await searcher.runConfigs(runs, { workers, onRun });
      if (!values) return status("stopped"), null;
      report = study.singles(Float64Array.from(values));
      draw();
      if (cumulative) {
        const more = study.cumulativeRuns();
        const offset = runs.length;
        const v = await searcher.runConfigs(more, { workers, onRun: (d) => onRun(offset + d) });
        if (!v) return status("stopped"), null;
        steps = study.cumulative(Float64Array.from(v));
      }
      const b = report.baseline;
      status(`baseline ${b.mean.toFixed(4)} ± ${b.std.toFixed(4)} over ${b.seeds.length} seed(s), ${b.epochs} epochs · done`);
      draw();
      return { ...report, cumulative: steps };
    } finally {
      busy(false);
    }
  }

  function draw() {
    const c = ctx("s-sens");
    if (!report) {
      D.placeholder(c, progress ? `Which terms matter: ${progress}` : "Which terms matter: analyse the current goal");
      return;
    }
    bars(c, report);
  }

  /** Grouped bars: per term, the five changes' mean Δ validation accuracy (points), with the seed spread. */
  function bars(c, r) {
    D.clear(c);
    const W = c.canvas.width;
    const H = c.canvas.height;
    const left = 44;
    const top = 26;
    const bottom = 34;
    const terms = r.rows.length / CHANGES.length;
    const pts = (x) => (Number.isFinite(x) ? 100 * x : 0);
    const ext = Math.max(0.5, ...r.rows.map((row) => Math.abs(pts(row.delta_mean)) + pts(row.delta_std)));
    const y = (v) => top + ((ext - v) / (2 * ext)) * (H - top - bottom);
    const gw = (W - left - 6) / terms;
    const bw = Math.max(1, (gw - 4) / CHANGES.length);
    c.strokeStyle = D.GRID;
    for (const v of [-ext, -ext / 2, 0, ext / 2, ext]) {
      c.beginPath();
      c.moveTo(left, y(v));
      c.lineTo(W - 6, y(v));
      c.stroke();
      D.text(c, v.toFixed(1), left - 4, y(v) + 4, { align: "right", size: 10, color: D.MUTED });
    }
    c.strokeStyle = D.INK;
    c.beginPath();
    c.moveTo(left, y(0));
    c.lineTo(W - 6, y(0));
    c.stroke();
    r.rows.forEach((row, k) => {
      const t = Math.floor(k / CHANGES.length);
      const j = k % CHANGES.length;
      const x = left + t * gw + 2 + j * bw;
      const m = pts(row.delta_mean);
      c.fillStyle = Number.isFinite(row.delta_mean) ? D.SERIES[j] : D.MUTED;
      c.fillRect(x, Math.min(y(0), y(m)), bw - 1, Math.max(1, Math.abs(y(m) - y(0))));
      const s = pts(row.delta_std);
      if (s > 0) {
        c.strokeStyle = D.INK;
        c.beginPath();
        c.moveTo(x + bw / 2, y(m - s));
        c.lineTo(x + bw / 2, y(m + s));
        c.stroke();
      }
      if (j === 0) {
        D.text(c, row.name, left + t * gw + gw / 2, H - bottom + 14, { align: "center", size: terms > 8 ? 8 : 11 });
      }
    });
    D.text(c, "Δ validation accuracy (points)", 4, 14, { size: 11, color: D.MUTED });
    CHANGES.forEach((name, j) => {
      const x = W - 6 - (CHANGES.length - j) * 56;
      c.fillStyle = D.SERIES[j];
      c.fillRect(x, 6, 10, 10);
      D.text(c, name, x + 13, 15, { size: 10 });
    });
    D.text(c, `baseline ${pts(r.baseline.mean).toFixed(1)} % ± ${pts(r.baseline.std).toFixed(1)}; least harmful to zero first: ${r.zero_order.join(", ")}`, left, H - 6, { size: 10, color: D.MUTED });
    const worst = [...r.rows].filter((row) => Number.isFinite(row.delta_mean)).sort((a, b) => a.delta_mean - b.delta_mean).slice(0, 3);
    describe(
      c.canvas,
      `Change of validation accuracy per term and change (${terms} terms, baseline ${pts(r.baseline.mean).toFixed(1)} %). ` +
        `Most harmful: ${worst.map((w) => `${w.name} ${w.change} ${pts(w.delta_mean).toFixed(2)} points`).join("; ")}`,
    );
  }

  function baseConfig(epochs) {
    const config = { ...C.runConfig(S.state) };
    if (S.uploaded) config.task = S.uploaded.name;
    config.epochs = epochs;
    return config;
  }

  $("sens-start").addEventListener("click", async () => {
    if (searcher.running) return;
    try {
      await analyse(baseConfig(Number($("sens-epochs").value)), {
        seeds: Number($("sens-seeds").value),
        workers: Number($("s-workers").value),
      });
    } catch (e) {
      alertBox(`Cannot analyse this goal: ${e.message}`);
    }
  });

  /** infomorph.sensitivity({epochs, seed, seeds, cumulative, workers}) of the current goal. */
  app.api.sensitivity = async (options = {}) => {
    if (typeof options !== "object" || options === null) throw new Error("sensitivity(options) needs an object");
    const { epochs = 2, seed = 0, seeds = 2, cumulative = false, workers } = options;
    return analyse(baseConfig(epochs), { seed, seeds, cumulative, workers });
  };

  return { open };
}
