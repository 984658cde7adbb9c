// The neuron inspector: the selected neuron's binned joint histogram (from the
// worker) and its PID (decomposed on the main thread), beside its training atoms.
import * as D from "../draw.js";
import { $, ctx } from "../dom.js";
import { describe, namedValues } from "../describe.js";
import { REQ } from "../worker-client.js";

/** The inspector's designed height and histogram side (index.html's canvas is 1140 × 300). */
const DESIGN_HEIGHT = 300;
const DESIGN_SIDE = DESIGN_HEIGHT - 60;

export function initNeuron(app) {
  const S = app.store.s;
  let neuronBusy = false;
  let neuronLast = -Infinity;
  let neuronTimer = null;
  // At most once a second while training; a skipped refresh runs later, so the
  // inspector always ends up showing the latest state.
  async function refreshNeuron(force) {
    const { viewing, selected } = S;
    if (viewing || selected < 0 || !app.shown("card-neuron")) return;
    const now = performance.now();
    const wait = force ? 0 : 1000 - (now - neuronLast);
    if (neuronBusy || wait > 0) {
      if (!neuronTimer) {
        neuronTimer = setTimeout(() => {
          neuronTimer = null;
          refreshNeuron(true);
        }, neuronBusy ? 250 : wait);
      }
      return;
    }
    neuronBusy = true;
    neuronLast = now;
    try {
      const table = await app.worker.call(REQ.histogram, { neuron: selected });
      const pid = JSON.parse(app.engine.decompose(JSON.stringify({ shape: table.shape, p: table.p }), undefined, false));
      drawNeuron(table, pid);
    } catch (error) {
      D.placeholder(ctx("neuron"), `cannot inspect neuron ${selected}: ${error.message}`);
    } finally {
      neuronBusy = false;
    }
  }

  function drawNeuron(table, pid) {
    const { stats, selected } = S;
    const c = ctx("neuron");
    const W = c.canvas.width;
    const k = table.shape[0];
    const nsrc = table.shape.length - 1;
    const letters = table.sources;
    const pairs = nsrc === 3 ? [[0, 1], [0, 2]] : [[0, 1]];
    const names = pid.names;
    // Side by side (histograms, then the bars) where the canvas is wide enough for
    // bars 300 px wide; else (a phone, fit.js) stacked: histograms, bars below.
    const stacked = W < 40 + pairs.length * (DESIGN_SIDE + 50) + 20 + 300;
    const side = stacked ? Math.min(DESIGN_SIDE, Math.floor((W - 50 - 50 * (pairs.length - 1)) / pairs.length)) : DESIGN_SIDE;
    const barsTop = stacked ? 20 + side + 44 : 0;
    const height = stacked ? barsTop + 30 + names.length * 14 : DESIGN_HEIGHT;
    if (c.canvas.height !== height) c.canvas.height = height;
    D.clear(c);
    const H = DESIGN_HEIGHT;
    $("neuron-title").textContent = `Neuron ${selected} (${stats.layer} layer)`;
    $("neuron-hint").textContent = `Binned joint histogram p(${letters.map((l) => l.toLowerCase()).join(", ")}, y) on ${Math.min(1024, stats.sizes[0])} training samples; its PID (I^sx) ${stacked ? "below" : "on the right"}, with the neuron's atoms at the last training step.`;
    // p(s1, s2, y): marginalise further sources; colour = P(y=+1 | s1, s2), opacity = p(s1, s2).
    pairs.forEach(([a, b], pi) => {
      const pp = new Float64Array(k * k);
      const p1 = new Float64Array(k * k);
      const stride = table.shape.slice(0, nsrc).map((_, i) => k ** (nsrc - 1 - i));
      for (let cell = 0; cell < k ** nsrc; cell++) {
        const ia = Math.floor(cell / stride[a]) % k;
        const ib = Math.floor(cell / stride[b]) % k;
        pp[ia * k + ib] += table.p[2 * cell] + table.p[2 * cell + 1];
        p1[ia * k + ib] += table.p[2 * cell + 1];
      }
      const maxp = Math.max(...pp);
      const ox = 40 + pi * (side + 50);
      const oy = 20;
      const cs = side / k;
      c.fillStyle = "#f4f6f9";
      c.fillRect(ox, oy, side, side);
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
        const v = pp[i * k + j];
        if (v <= 0) continue;
        const q = p1[i * k + j] / v;
        c.globalAlpha = 0.15 + 0.85 * Math.sqrt(v / maxp);
        c.fillStyle = D.diverging(2 * q - 1, 1);
        // source a along x, b along y (upwards)
        c.fillRect(ox + i * cs, oy + (k - 1 - j) * cs, Math.ceil(cs), Math.ceil(cs));
      }
      c.globalAlpha = 1;
      c.strokeStyle = D.MUTED;
      c.strokeRect(ox, oy, side, side);
      D.text(c, `${letters[a].toLowerCase()} (bin) →`, ox + side, oy + side + 14, { size: 10, align: "right", color: D.MUTED });
      D.text(c, `${letters[b].toLowerCase()} ↑`, ox - 4, oy + 8, { size: 10, align: "right", color: D.MUTED });
      const caption = `p(${letters[a].toLowerCase()}, ${letters[b].toLowerCase()})`;
      D.text(c, side < 200 ? caption : `${caption} · colour: P(y=+1 | …)`, ox, oy + side + 30, { size: 10, color: D.MUTED });
    });
    // atoms: from the histogram's PID and from training
    const ax = stacked ? 10 : 40 + pairs.length * (side + 50) + 20;
    const aw = Math.min(W - ax - 10, 480);
    const vals = pid.terms;
    const train = stats.atoms[selected] ?? [];
    const scale = D.absMax([...vals, ...train]);
    const bh = Math.min(14, (H - 40) / names.length);
    const mid = ax + 90 + (aw - 90) / 2;
    const half = (aw - 100) / 2;
    const title = stacked ? "PID of the histogram (bars) · in training (ticks)" : "PID of this histogram (bars) · at the last training step (ticks)";
    D.text(c, title, ax, barsTop + 12, { size: 10, color: D.MUTED });
    names.forEach((n, i) => {
      const y = barsTop + 22 + i * bh;
      D.text(c, D.displayName(n, letters), ax + 84, y + bh / 2, { size: 10, align: "right", base: "middle", bold: stats.gamma[i] !== 0 });
      const v = vals[i];
      c.fillStyle = D.diverging(v, scale);
      const w = (v / scale) * half;
      c.fillRect(w >= 0 ? mid : mid + w, y + 1, Math.abs(w), bh - 2);
      if (Number.isFinite(train[i])) {
        const tx = mid + (train[i] / scale) * half;
        c.fillStyle = D.INK;
        c.fillRect(tx - 1, y, 2, bh);
      }
      D.text(c, Number.isFinite(v) ? v.toFixed(3) : "–", ax + aw, y + bh / 2, { size: 10, align: "right", base: "middle", color: D.MUTED });
    });
    c.strokeStyle = D.MUTED;
    c.beginPath();
    c.moveTo(mid, barsTop + 20);
    c.lineTo(mid, barsTop + 22 + names.length * bh);
    c.stroke();
    const shown = names.map((n) => D.displayName(n, letters));
    describe(
      c.canvas,
      `binned joint histogram of its inputs and output (${k} bins per source); PID of the histogram (bits): ${namedValues(shown, vals, 3)}`,
      `Neuron ${selected} (${stats.layer} layer)`,
    );
  }

  return refreshNeuron;
}
