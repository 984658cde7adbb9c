// The "atoms over training" card: median over neurons with the 10–90 % band, per atom.
import * as D from "../draw.js";
import { ctx } from "../dom.js";
import { describe, namedValues } from "../describe.js";

export function initTrace(app) {
  const S = app.store.s;
  function drawTrace(labels) {
    const { trace, stats } = S;
    const c = ctx("trace");
    if (trace.length < 1) {
      D.placeholder(c, "atoms over training appear once training runs");
      return;
    }
    D.clear(c);
    const W = c.canvas.width;
    const H = c.canvas.height;
    const t = labels.length;
    const cols = t > 5 ? 5 : t;
    const rows = Math.ceil(t / cols);
    const cw = W / cols;
    const rh = H / rows;
    const x0 = trace[0].step;
    const x1 = Math.max(trace[trace.length - 1].step, x0 + 1);
    for (let j = 0; j < t; j++) {
      const ox = (j % cols) * cw;
      const oy = Math.floor(j / cols) * rh;
      let lo = Infinity;
      let hi = -Infinity;
      for (const e of trace) {
        if (Number.isFinite(e.lo[j])) lo = Math.min(lo, e.lo[j], 0);
        if (Number.isFinite(e.hi[j])) hi = Math.max(hi, e.hi[j], 0);
      }
      if (!(hi > lo)) { lo = -0.1; hi = 0.1; }
      const px = (x) => ox + 6 + ((x - x0) / (x1 - x0)) * (cw - 12);
      const py = (y) => oy + rh - 6 - ((y - lo) / (hi - lo)) * (rh - 22);
      c.strokeStyle = D.GRID;
      c.strokeRect(ox + 2, oy + 2, cw - 4, rh - 4);
      c.strokeStyle = "#b9c0cc";
      c.beginPath();
      c.moveTo(ox + 6, py(0));
      c.lineTo(ox + cw - 6, py(0));
      c.stroke();
      const color = stats.gamma[j] > 0 ? "#0b6e4f" : stats.gamma[j] < 0 ? "#8b1e3f" : "#2e6eab";
      c.fillStyle = color + "30";
      c.beginPath();
      trace.forEach((e, i) => (i ? c.lineTo(px(e.step), py(e.lo[j])) : c.moveTo(px(e.step), py(e.lo[j]))));
      for (let i = trace.length - 1; i >= 0; i--) c.lineTo(px(trace[i].step), py(trace[i].hi[j]));
      c.fill();
      c.strokeStyle = color;
      c.lineWidth = 1.5;
      c.beginPath();
      trace.forEach((e, i) => (i ? c.lineTo(px(e.step), py(e.med[j])) : c.moveTo(px(e.step), py(e.med[j]))));
      c.stroke();
      c.lineWidth = 1;
      const last = trace[trace.length - 1].med[j];
      if (Number.isFinite(last)) {
        c.fillStyle = color;
        c.beginPath();
        c.arc(px(trace[trace.length - 1].step), py(last), 2.5, 0, 2 * Math.PI);
        c.fill();
      }
      D.text(c, labels[j], ox + 7, oy + 14, { size: 10, bold: stats.gamma[j] !== 0 });
      // The latest median beside the name, or under it where a chart is narrow (a phone).
      const below = cw < 100;
      D.text(c, Number.isFinite(last) ? last.toFixed(3) : "–", ox + cw - 7, oy + (below ? 26 : 14), { size: 10, align: "right", color: D.MUTED });
    }
    const end = trace[trace.length - 1];
    describe(c.canvas, `medians over neurons from step ${x0} to ${end.step}; at step ${end.step} (bits): ${namedValues(labels, end.med)}`);
  }

  return drawTrace;
}
