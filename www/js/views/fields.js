// The receptive-fields card: feed-forward weights as images (or rows), or for a 2-D
// task the decision map with the test points. `geom.fields` is where the neurons are
// drawn (for clicks).
import * as D from "../draw.js";
import { $, ctx } from "../dom.js";
import { describe } from "../describe.js";

export function initFields(app, geom) {
  const S = app.store.s;
  function drawFields() {
    const { stats, fields, map, selected } = S;
    const c = ctx("fields");
    const n = stats.atoms.length || (fields ? fields.length / stats.dim : 0);
    if (stats.dim === 2 && map && map.length > 4) {
      $("fields-title").textContent = "Decision map";
      $("fields-hint").textContent = "Output class over the input plane (colour = class, strength = confidence) with test points.";
      drawDecision(c);
      geom.fields = null;
      describe(c.canvas, `output class over the input plane (${stats.classes} classes) with ${S.points ? S.points.length / 3 : 0} test points`, "Decision map");
      return;
    }
    $("fields-title").textContent = stats.image ? "Receptive fields" : "Feed-forward weights";
    $("fields-hint").textContent = stats.image
      ? `Feed-forward weights of every ${stats.fields_layer} neuron as ${stats.image[0]}×${stats.image[1]} images (red +, blue −). Click one to inspect it.`
      : "Feed-forward weights, neurons × inputs (red +, blue −). Click a row to inspect the neuron.";
    if (!fields || !n) {
      D.placeholder(c, "no weights");
      return;
    }
    D.clear(c);
    const W = c.canvas.width;
    const H = c.canvas.height;
    const dim = stats.dim;
    if (stats.image) {
      const [h, w] = stats.image;
      const cols = Math.ceil(Math.sqrt((n * W) / H));
      const rows = Math.ceil(n / cols);
      const size = Math.floor(Math.min(W / cols, H / rows));
      const img = c.createImageData(w, h);
      const off = new OffscreenCanvas(w, h);
      const octx = off.getContext("2d");
      for (let i = 0; i < n; i++) {
        const rf = fields.subarray(i * dim, (i + 1) * dim);
        const s = D.absMax(rf);
        for (let p = 0; p < dim; p++) {
          const t = Math.max(-1, Math.min(1, rf[p] / s));
          const a = Math.abs(t);
          const [r, g, b] = t >= 0 ? [209, 73, 91] : [46, 110, 171];
          img.data[4 * p] = 255 + (r - 255) * a;
          img.data[4 * p + 1] = 255 + (g - 255) * a;
          img.data[4 * p + 2] = 255 + (b - 255) * a;
          img.data[4 * p + 3] = 255;
        }
        octx.putImageData(img, 0, 0);
        const x = (i % cols) * size;
        const y = Math.floor(i / cols) * size;
        c.imageSmoothingEnabled = false;
        c.drawImage(off, x + 3, y + 3, size - 6, size - 6);
        if (i === selected) {
          c.strokeStyle = D.INK;
          c.lineWidth = 2;
          c.strokeRect(x + 1, y + 1, size - 2, size - 2);
          c.lineWidth = 1;
        }
      }
      geom.fields = { kind: "grid", cols, size, n };
      describe(c.canvas, `feed-forward weights of ${n} ${stats.fields_layer} neurons as ${h}×${w} images, ${cols} per row${picked(n)}`, "Receptive fields");
    } else {
      const rows = [];
      for (let i = 0; i < n; i++) rows.push(Array.from(fields.subarray(i * dim, (i + 1) * dim)));
      const labels = Array.from({ length: dim }, (_, j) => `x${j}`);
      const g = D.heatmap(c, rows, labels.length > 40 ? labels.map(() => "") : labels, { selected });
      geom.fields = g ? { kind: "rows", ...g } : null;
      describe(c.canvas, `${n} ${stats.fields_layer} neurons × ${dim} inputs${picked(n)}`, "Feed-forward weights");
    }
  }

  /** The selection, when the picture shows the neurons the heat map shows. */
  function picked(n) {
    const { stats, selected } = S;
    if (stats.fields_layer !== stats.layer || selected < 0 || selected >= n) return "";
    return `; neuron ${selected} selected (arrow keys choose another)`;
  }

  const CLASS_COLORS = [[209, 73, 91], [46, 134, 171], [237, 174, 73], [59, 143, 90], [123, 79, 160], [0, 121, 140], [179, 88, 154], [138, 109, 59], [90, 90, 90], [200, 120, 60]];
  function drawDecision(c) {
    const { stats, map, points } = S;
    D.clear(c);
    const W = c.canvas.width;
    const H = c.canvas.height;
    const [x0, x1, y0, y1] = map.slice(0, 4);
    const k = stats.classes;
    const res = Math.round(Math.sqrt((map.length - 4) / k));
    const side = Math.min(W - 20, H - 20);
    const ox = (W - side) / 2;
    const oy = 10;
    const cell = side / res;
    // Confidence is stretched to the map's range so that a boundary shows early on.
    let top = 1e-6;
    const conf = (base) => {
      let best = 0;
      let sum = 0;
      for (let q = 0; q < k; q++) {
        sum += map[base + q];
        if (map[base + q] > map[base + best]) best = q;
      }
      const cf = k > 1 ? map[base + best] / Math.max(sum, 1e-9) : map[base];
      return k > 1 ? (cf - 1 / k) / (1 - 1 / k) : cf;
    };
    for (let i = 0; i < res * res; i++) top = Math.max(top, conf(4 + i * k));
    for (let i = 0; i < res; i++) {
      for (let j = 0; j < res; j++) {
        const base = 4 + (i * res + j) * k;
        let best = 0;
        let sum = 0;
        for (let q = 0; q < k; q++) {
          sum += map[base + q];
          if (map[base + q] > map[base + best]) best = q;
        }
        const a = Math.max(0, Math.min(1, conf(base) / top));
        const [r, g, b] = CLASS_COLORS[best % CLASS_COLORS.length];
        c.fillStyle = `rgb(${255 + (r - 255) * a * 0.7},${255 + (g - 255) * a * 0.7},${255 + (b - 255) * a * 0.7})`;
        c.fillRect(ox + j * cell, oy + i * cell, Math.ceil(cell), Math.ceil(cell));
      }
    }
    if (points) {
      for (let p = 0; p < points.length; p += 3) {
        const x = ox + ((points[p] - x0) / (x1 - x0)) * side;
        const y = oy + ((y1 - points[p + 1]) / (y1 - y0)) * side;
        const [r, g, b] = CLASS_COLORS[points[p + 2] % CLASS_COLORS.length];
        c.fillStyle = `rgb(${r},${g},${b})`;
        c.strokeStyle = "#fff";
        c.beginPath();
        c.arc(x, y, 2.6, 0, 2 * Math.PI);
        c.fill();
        c.stroke();
      }
    }
    c.strokeStyle = D.MUTED;
    c.strokeRect(ox, oy, side, side);
    D.text(c, "x0 →", ox + side - 4, oy + side - 4, { size: 10, color: D.MUTED, align: "right" });
    D.text(c, "x1 ↑", ox + 4, oy + 12, { size: 10, color: D.MUTED });
  }

  return drawFields;
}
