// The confusion-matrix card (test set).
import * as D from "../draw.js";
import { ctx } from "../dom.js";
import { describe } from "../describe.js";

export function initConfusion(app) {
  const S = app.store.s;
  function drawConfusion() {
    const { stats } = S;
    const c = ctx("confusion");
    const k = stats.classes;
    const conf = stats.confusion;
    if (k < 2) {
      D.placeholder(c, "one class only: no confusion matrix");
      return;
    }
    if (!conf.length) {
      D.placeholder(c, "appears after the first epoch");
      return;
    }
    D.clear(c);
    const W = c.canvas.width;
    const H = c.canvas.height;
    const size = Math.min((H - 40) / k, (W - 80) / k);
    const ox = (W - size * k) / 2 + 10;
    const oy = 22;
    for (let i = 0; i < k; i++) {
      let row = 0;
      for (let j = 0; j < k; j++) row += conf[i * k + j];
      for (let j = 0; j < k; j++) {
        const v = conf[i * k + j];
        const a = row ? v / row : 0;
        c.fillStyle = i === j ? `rgba(11,110,79,${0.08 + 0.92 * a})` : `rgba(209,73,91,${a ? 0.1 + 0.9 * a : 0})`;
        c.fillRect(ox + j * size, oy + i * size, size - 1, size - 1);
        if (size > 18) D.text(c, String(v), ox + (j + 0.5) * size, oy + (i + 0.5) * size, { size: Math.min(11, size / 2.5), align: "center", base: "middle", color: a > 0.6 ? "#fff" : D.INK });
      }
      D.text(c, String(i), ox - 6, oy + (i + 0.5) * size, { size: 10, align: "right", base: "middle", color: D.MUTED });
      D.text(c, String(i), ox + (i + 0.5) * size, oy - 6, { size: 10, align: "center", color: D.MUTED });
    }
    D.text(c, "true ↓  predicted →", ox, H - 4, { size: 10, color: D.MUTED });
    describe(c.canvas, summary(conf, k));
  }

  /** Test accuracy and the most frequent confusion, in words. */
  function summary(conf, k) {
    let total = 0;
    let right = 0;
    let worst = null;
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        const v = conf[i * k + j];
        total += v;
        if (i === j) right += v;
        else if (v > 0 && (!worst || v > worst.v)) worst = { i, j, v };
      }
    }
    const acc = total ? `${((100 * right) / total).toFixed(1)} % of ${total} test samples right` : "no test samples";
    return `${k} classes, ${acc}${worst ? `; most frequent error: true ${worst.i} predicted as ${worst.j} (${worst.v} times)` : ""}`;
  }

  return drawConfusion;
}
