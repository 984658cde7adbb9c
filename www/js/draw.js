// Canvas drawing: colour scales, heat maps, line charts, the PID lattice diagram.
// Placeholders also describe the canvas for screen readers (describe.js).
import { describe } from "./describe.js";

export const INK = "#1d2430";
export const MUTED = "#5f6879";
export const GRID = "#e3e7ee";
export const SERIES = ["#d1495b", "#2e86ab", "#edae49", "#3b8f5a", "#7b4fa0", "#00798c", "#b3589a", "#8a6d3b"];

/** Red for positive, blue for negative, white at 0; |v| ≥ scale saturates. */
export function diverging(v, scale) {
  if (v === null || v === undefined || !Number.isFinite(v)) return "#c8ccd4";
  const t = Math.max(-1, Math.min(1, v / (scale || 1)));
  const [r, g, b] = t >= 0 ? [209, 73, 91] : [46, 110, 171];
  const a = Math.abs(t);
  const mix = (c) => Math.round(255 + (c - 255) * a);
  return `rgb(${mix(r)},${mix(g)},${mix(b)})`;
}

export function absMax(values, floor = 1e-6) {
  let m = floor;
  for (const v of values) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
  return m;
}

export function clear(ctx) {
  ctx.save();
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, ctx.canvas.width, ctx.canvas.height);
  ctx.restore();
}

export function text(ctx, s, x, y, { size = 11, color = INK, align = "left", base = "alphabetic", bold = false } = {}) {
  ctx.font = `${bold ? "600 " : ""}${size}px system-ui, -apple-system, "Segoe UI", sans-serif`;
  ctx.fillStyle = color;
  ctx.textAlign = align;
  ctx.textBaseline = base;
  ctx.fillText(s, x, y);
}

export function placeholder(ctx, message) {
  describe(ctx.canvas, message);
  clear(ctx);
  text(ctx, message, ctx.canvas.width / 2, ctx.canvas.height / 2, { color: MUTED, align: "center", base: "middle", size: 13 });
}

/** A colour bar legend at (x, y), width w. */
export function legend(ctx, x, y, w, scale, unit = "bits") {
  for (let i = 0; i < w; i++) {
    ctx.fillStyle = diverging(((i / (w - 1)) * 2 - 1) * scale, scale);
    ctx.fillRect(x + i, y, 1, 8);
  }
  text(ctx, `−${scale.toPrecision(2)}`, x, y + 19, { size: 10, color: MUTED });
  text(ctx, `+${scale.toPrecision(2)} ${unit}`, x + w, y + 19, { size: 10, color: MUTED, align: "right" });
}

/**
 * Neurons × atoms heat map. Returns the geometry for hit testing:
 * {x0, y0, cw, ch, rows}.
 */
export function heatmap(ctx, rows, labels, { selected = -1, gamma = null } = {}) {
  clear(ctx);
  const W = ctx.canvas.width;
  const H = ctx.canvas.height;
  const n = rows.length;
  const t = labels.length;
  if (!n || !t) return null;
  const x0 = 44;
  const y0 = 8;
  const legendH = 58;
  const cw = (W - x0 - 10) / t;
  const ch = Math.min(22, (H - y0 - legendH) / n);
  // H_res (last column when labelled so) would dominate the scale: it saturates instead.
  const hres = labels[t - 1] === "H_res";
  const scale = absMax(rows.flatMap((r) => (hres ? r.slice(0, -1) : r)));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < t; j++) {
      ctx.fillStyle = diverging(rows[i][j], scale);
      ctx.fillRect(x0 + j * cw, y0 + i * ch, Math.ceil(cw), Math.ceil(ch));
    }
  }
  if (selected >= 0 && selected < n) {
    ctx.strokeStyle = INK;
    ctx.lineWidth = 2;
    ctx.strokeRect(x0 + 1, y0 + selected * ch + 1, t * cw - 2, ch - 2);
  }
  const every = Math.ceil(n / Math.max(1, Math.floor((H - legendH) / 12)));
  for (let i = 0; i < n; i += every) {
    text(ctx, String(i), x0 - 4, y0 + (i + 0.5) * ch, { size: 10, color: MUTED, align: "right", base: "middle" });
  }
  const yl = y0 + n * ch + 4;
  ctx.save();
  for (let j = 0; j < t; j++) {
    ctx.save();
    ctx.translate(x0 + (j + 0.5) * cw, yl);
    ctx.rotate(t > 6 ? -Math.PI / 4 : 0);
    const weighted = gamma && gamma[j] !== 0;
    text(ctx, labels[j], 0, 8, { size: 10, color: weighted ? INK : MUTED, align: t > 6 ? "right" : "center", bold: weighted });
    ctx.restore();
  }
  ctx.restore();
  legend(ctx, W - 170, H - 26, 150, scale);
  return { x0, y0, cw, ch, rows: n };
}

/**
 * A line chart. series: [{name, color, points: [[x, y]...], band?: [[x, lo, hi]...], dash?}].
 */
export function lineChart(ctx, series, { xlabel = "", ylabel = "", ymin = null, ymax = null, legendCols = 4 } = {}) {
  clear(ctx);
  const W = ctx.canvas.width;
  const H = ctx.canvas.height;
  const pad = { l: 46, r: 12, t: 10, b: 30 + 14 * Math.ceil(series.length / legendCols) };
  let xs = [];
  let ys = [];
  for (const s of series) {
    for (const [x, y] of s.points) if (Number.isFinite(y)) { xs.push(x); ys.push(y); }
    for (const [x, lo, hi] of s.band ?? []) { xs.push(x); ys.push(lo, hi); }
  }
  if (!xs.length) {
    placeholder(ctx, "no data yet — press play");
    return;
  }
  let x0 = Math.min(...xs);
  let x1 = Math.max(...xs);
  if (x1 === x0) x1 = x0 + 1;
  let y0 = ymin ?? Math.min(...ys);
  let y1 = ymax ?? Math.max(...ys);
  if (y1 - y0 < 1e-9) { y0 -= 0.5; y1 += 0.5; }
  const px = (x) => pad.l + ((x - x0) / (x1 - x0)) * (W - pad.l - pad.r);
  const py = (y) => H - pad.b - ((y - y0) / (y1 - y0)) * (H - pad.t - pad.b);
  ctx.strokeStyle = GRID;
  ctx.lineWidth = 1;
  for (let k = 0; k <= 4; k++) {
    const y = y0 + ((y1 - y0) * k) / 4;
    ctx.beginPath();
    ctx.moveTo(pad.l, py(y));
    ctx.lineTo(W - pad.r, py(y));
    ctx.stroke();
    text(ctx, +y.toPrecision(3) + "", pad.l - 4, py(y), { size: 10, color: MUTED, align: "right", base: "middle" });
  }
  if (y0 < 0 && y1 > 0) {
    ctx.strokeStyle = "#b9c0cc";
    ctx.beginPath();
    ctx.moveTo(pad.l, py(0));
    ctx.lineTo(W - pad.r, py(0));
    ctx.stroke();
  }
  text(ctx, String(+x0.toPrecision(4)), pad.l, H - pad.b + 13, { size: 10, color: MUTED });
  text(ctx, `${+x1.toPrecision(4)} ${xlabel}`, W - pad.r, H - pad.b + 13, { size: 10, color: MUTED, align: "right" });
  if (ylabel) text(ctx, ylabel, pad.l + 4, pad.t + 10, { size: 10, color: MUTED });
  for (const s of series) {
    if (s.band?.length) {
      ctx.fillStyle = s.color + "33";
      ctx.beginPath();
      s.band.forEach(([x, lo], i) => (i ? ctx.lineTo(px(x), py(lo)) : ctx.moveTo(px(x), py(lo))));
      for (let i = s.band.length - 1; i >= 0; i--) ctx.lineTo(px(s.band[i][0]), py(s.band[i][2]));
      ctx.closePath();
      ctx.fill();
    }
    ctx.strokeStyle = s.color;
    ctx.lineWidth = s.width ?? 1.6;
    ctx.setLineDash(s.dash ?? []);
    ctx.beginPath();
    let started = false;
    for (const [x, y] of s.points) {
      if (!Number.isFinite(y)) { started = false; continue; }
      if (started) ctx.lineTo(px(x), py(y));
      else ctx.moveTo(px(x), py(y));
      started = true;
    }
    ctx.stroke();
    if (s.points.length === 1 && Number.isFinite(s.points[0][1])) {
      ctx.fillStyle = s.color;
      ctx.beginPath();
      ctx.arc(px(s.points[0][0]), py(s.points[0][1]), 3, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.setLineDash([]);
  }
  const colW = (W - pad.l) / legendCols;
  series.forEach((s, i) => {
    const lx = pad.l + (i % legendCols) * colW;
    const ly = H - pad.b + 28 + Math.floor(i / legendCols) * 14;
    ctx.fillStyle = s.color;
    ctx.fillRect(lx, ly - 7, 12, 3);
    text(ctx, s.name, lx + 16, ly - 3, { size: 10, color: INK });
  });
}

// ---------------------------------------------------------------------------------
// The PID lattice
// ---------------------------------------------------------------------------------

/** "{1}{23}" → [[1], [2, 3]]. */
export function parseAntichain(name) {
  return [...name.matchAll(/\{(\d+)\}/g)].map((m) => [...m[1]].map(Number));
}

const subset = (a, b) => a.every((x) => b.includes(x));
/** α ≼ β: every collection of β contains some collection of α. */
export const below = (a, b) => b.every((cb) => a.some((ca) => subset(ca, cb)));

/** Display name with source letters: "{1}{23}" → "(F)(CL)". */
export function displayName(name, letters) {
  if (name === "H_res") return "H_res";
  return parseAntichain(name).map((c) => `(${c.map((i) => letters[i - 1] ?? i).join("")})`).join("");
}

/** Node positions of the lattice's Hasse diagram (levels by longest chain from the bottom). */
export function hasse(names) {
  const atoms = names.filter((n) => n !== "H_res").map(parseAntichain);
  const n = atoms.length;
  const level = new Array(n).fill(0);
  const lt = (i, j) => i !== j && below(atoms[i], atoms[j]);
  // Antichains come in an order where lower ones come first for n ≤ 3 only partly; iterate to fixpoint.
  for (let pass = 0; pass < n; pass++) {
    let changed = false;
    for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) {
      if (lt(i, j) && level[j] < level[i] + 1) { level[j] = level[i] + 1; changed = true; }
    }
    if (!changed) break;
  }
  const edges = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    if (!lt(i, j)) continue;
    let cover = true;
    for (let k = 0; k < n && cover; k++) if (lt(i, k) && lt(k, j)) cover = false;
    if (cover) edges.push([i, j]);
  }
  return { level, edges, count: n };
}

/** Canvas height the lattice view uses for `names` (3 sources need more room). */
export const latticeHeight = (names) => (names.length === 19 ? 440 : 300);

/**
 * Draws the lattice for `names` (5 or 19 terms) coloured by `values`; terms with a
 * non-zero goal weight are outlined. 2 sources: the nested-regions figure; 3: the
 * nested-regions figure (mode "regions", default) or the Hasse diagram (mode
 * "hasse"). Sets the canvas height (latticeHeight). Returns hit regions
 * [{x, y, r, index}] for hover (the regions figure adds a dense grid of small ones).
 */
export function lattice(ctx, names, values, letters, { gamma = null, title = "", mode = "regions" } = {}) {
  const wantH = latticeHeight(names);
  if (ctx.canvas.height !== wantH) ctx.canvas.height = wantH;
  clear(ctx);
  const W = ctx.canvas.width;
  const H = ctx.canvas.height;
  const scale = absMax(values.slice(0, -1)); // atoms; H_res saturates
  const fmt = (v) => (Number.isFinite(v) ? v.toFixed(3) : "–");
  const hits = [];
  if (title) text(ctx, title, 10, 16, { size: 11, color: MUTED });
  if (names.length === 5) {
    // H(T) box ⊃ I(T; S1,S2) ellipse ⊃ two circles; overlap = shared.
    const [u1, u2, sh, syn, hres] = values;
    const cx = W / 2;
    const cy = H / 2 + 4;
    const bx = 30;
    const by = 26;
    ctx.fillStyle = diverging(hres, scale);
    ctx.fillRect(bx, by, W - 2 * bx, H - by - 24);
    ctx.strokeStyle = MUTED;
    ctx.strokeRect(bx, by, W - 2 * bx, H - by - 24);
    const ew = Math.min(W * 0.36, 220);
    const eh = (H - by - 24) * 0.42;
    const ellipse = () => { ctx.beginPath(); ctx.ellipse(cx, cy, ew, eh, 0, 0, 2 * Math.PI); };
    ellipse();
    ctx.fillStyle = diverging(syn, scale);
    ctx.fill();
    ctx.strokeStyle = INK;
    ctx.stroke();
    const r = eh * 0.72;
    const d = r * 0.72;
    const circle = (x) => { ctx.beginPath(); ctx.arc(x, cy, r, 0, 2 * Math.PI); };
    circle(cx - d); ctx.fillStyle = diverging(u1, scale); ctx.fill();
    circle(cx + d); ctx.fillStyle = diverging(u2, scale); ctx.fill();
    ctx.save(); circle(cx - d); ctx.clip(); circle(cx + d); ctx.fillStyle = diverging(sh, scale); ctx.fill(); ctx.restore();
    circle(cx - d); ctx.strokeStyle = INK; ctx.stroke();
    circle(cx + d); ctx.stroke();
    const L = [letters[0] ?? "1", letters[1] ?? "2"];
    const spots = [
      [cx - d - r * 0.45, cy, `(${L[0]})`, u1, 0],
      [cx + d + r * 0.45, cy, `(${L[1]})`, u2, 1],
      [cx, cy, `(${L[0]})(${L[1]})`, sh, 2],
      [cx, cy - eh + 16, `(${L[0]}${L[1]})`, syn, 3],
      [bx + 40, by + 18, "H_res", hres, 4],
    ];
    for (const [x, y, label, v, i] of spots) {
      const bold = gamma && gamma[i];
      text(ctx, label, x, y - 2, { size: 12, align: "center", bold: !!bold });
      text(ctx, fmt(v), x, y + 12, { size: 10, align: "center", color: INK });
      hits.push({ x, y, r: 28, index: i });
      if (bold) {
        ctx.strokeStyle = gamma[i] > 0 ? "#0b6e4f" : "#8b1e3f";
        ctx.lineWidth = 1.5;
        ctx.strokeRect(x - 30, y - 15, 60, 32);
        ctx.lineWidth = 1;
      }
    }
    text(ctx, `H(T) box · I(T;${L[0]},${L[1]}) ellipse · circles: I(T;${L[0]}), I(T;${L[1]})`, W / 2, H - 8, { size: 10, color: MUTED, align: "center" });
  } else if (names.length === 19 && mode !== "hasse") {
    regions3(ctx, names, values, letters, gamma, scale, hits);
  } else {
    const { level, edges, count } = hasse(names);
    const levels = Math.max(...level) + 1;
    const rows = [];
    for (let i = 0; i < count; i++) (rows[level[i]] ??= []).push(i);
    const pos = [];
    // Below the title and the legend where the top node would meet them (a narrow canvas).
    const top = W < 450 ? 40 : 22;
    const bottom = H - 28;
    // Fewer crossings: order each level by the mean slot of the nodes it covers.
    const slot = [];
    rows.forEach((row, l) => {
      if (l > 0) {
        const key = (i) => {
          const lower = edges.filter(([a, b]) => b === i).map(([a]) => slot[a] / Math.max(1, rows[level[a]].length - 1));
          return lower.length ? lower.reduce((p, q) => p + q, 0) / lower.length : 0.5;
        };
        row.sort((a, b) => key(a) - key(b));
      }
      row.forEach((i, k) => (slot[i] = k));
    });
    rows.forEach((row, l) => {
      row.forEach((i, k) => {
        pos[i] = [((k + 1) / (row.length + 1)) * (W - 90), bottom - (l / Math.max(1, levels - 1)) * (bottom - top)];
      });
    });
    ctx.strokeStyle = "#aab2c0";
    for (const [i, j] of edges) {
      ctx.beginPath();
      ctx.moveTo(...pos[i]);
      ctx.lineTo(...pos[j]);
      ctx.stroke();
    }
    for (let i = 0; i < count; i++) {
      const [x, y] = pos[i];
      const label = displayName(names[i], letters);
      ctx.font = "10px system-ui, sans-serif";
      const w = Math.max(30, ctx.measureText(label).width + 8);
      ctx.fillStyle = diverging(values[i], scale);
      ctx.fillRect(x - w / 2, y - 9, w, 18);
      const weighted = gamma && gamma[i];
      ctx.strokeStyle = weighted ? (gamma[i] > 0 ? "#0b6e4f" : "#8b1e3f") : "#8a93a3";
      ctx.lineWidth = weighted ? 2 : 1;
      ctx.strokeRect(x - w / 2, y - 9, w, 18);
      ctx.lineWidth = 1;
      text(ctx, label, x, y + 1, { size: 10, align: "center", base: "middle", bold: !!weighted });
      hits.push({ x, y, r: w / 2, index: i });
    }
    // H_res at the side.
    const hx = W - 48;
    const hy = H / 2;
    ctx.fillStyle = diverging(values[count], scale);
    ctx.fillRect(hx - 34, hy - 14, 68, 28);
    ctx.strokeStyle = gamma && gamma[count] ? "#0b6e4f" : "#8a93a3";
    ctx.strokeRect(hx - 34, hy - 14, 68, 28);
    text(ctx, "H_res", hx, hy - 2, { size: 10, align: "center" });
    text(ctx, fmt(values[count]), hx, hy + 10, { size: 10, align: "center" });
    hits.push({ x: hx, y: hy, r: 34, index: count });
  }
  // Narrower on a narrow canvas (a phone), beside the title.
  const lw = Math.min(150, Math.round(W * 0.33));
  legend(ctx, W - lw - 20, 4, lw, scale);
  return hits;
}

/** "rgb(r,g,b)" or "#rrggbb" → [r, g, b]. */
function rgbOf(css) {
  const m = css.match(/^rgb\((\d+),(\d+),(\d+)\)$/);
  if (m) return [+m[1], +m[2], +m[3]];
  const h = css.replace("#", "");
  return [0, 2, 4].map((k) => parseInt(h.slice(k, k + 2), 16));
}

/**
 * The three-source PID as nested regions (Williams & Beer style): the H(T) box
 * (remainder: H_res) ⊃ the joint I(T; S1,S2,S3) ellipse ⊃ three overlapping
 * circles I(T; Si). Inside the circles: {1}{2}{3} in the triple overlap, {i}{j} in
 * the pairwise-only overlaps, {i}{jk} in the inner part of circle i's own region
 * (towards the other two) and {i} in its outer part. Between the circles and the
 * joint ellipse, from the inside out: a band {12}{13}{23}; a ring of six sectors,
 * {ij}{ik} facing source i and {ij} between sources i and j; an outer band {123}.
 * Region geometry is defined per pixel (class map), so fills, outlines and hover
 * all agree. Atoms are found by name, so the term order does not matter here.
 */
function regions3(ctx, names, values, letters, gamma, scale, hits) {
  const W = ctx.canvas.width;
  const H = ctx.canvas.height;
  const bx = 8;
  const by = 28;
  const bw = W - 2 * bx;
  const bh = H - by - 22;
  // Unit-space geometry (one unit ≈ one pixel vertically), stretched horizontally.
  const ay = Math.min(1, (bh - 8) / (2 * 186));
  const ax = Math.min(1.35, (bw - 40) / (2 * 186));
  const cx = W / 2;
  const cy = by + bh / 2 + 2;
  const r = 62; // circles I(T; Si)
  const d = 42; // centre of circle i from the middle
  const rho = 72; // splits circle i's own region into {i}{jk} (inside) and {i}
  const R1 = 116; // band {12}{13}{23} ends
  const R2 = 160; // ring of six sectors ends
  const R4 = 186; // joint region I(T; S1,S2,S3)
  const deg = Math.PI / 180;
  const theta = [-150 * deg, -30 * deg, 90 * deg]; // sources 1 (upper left), 2 (upper right), 3 (bottom)
  const centres = theta.map((t) => [d * Math.cos(t), d * Math.sin(t)]);
  const pairName = (i, j) => `{${Math.min(i, j) + 1}${Math.max(i, j) + 1}}`;
  const idx = (name) => names.indexOf(name);
  // Angular distance in [0, π].
  const angDist = (a, b) => Math.abs(((a - b + 3 * Math.PI) % (2 * Math.PI)) - Math.PI);
  /** Region (index into names) of the unit-space point (u, v); -1 outside the box. */
  const classify = (u, v) => {
    const inside = [0, 1, 2].filter((i) => (u - centres[i][0]) ** 2 + (v - centres[i][1]) ** 2 < r * r);
    const R = Math.hypot(u, v);
    if (inside.length === 3) return idx("{1}{2}{3}");
    if (inside.length === 2) return idx(`{${inside[0] + 1}}{${inside[1] + 1}}`);
    if (inside.length === 1) {
      const i = inside[0];
      const [j, k] = [0, 1, 2].filter((x) => x !== i);
      return idx(R < rho ? `{${i + 1}}{${j + 1}${k + 1}}` : `{${i + 1}}`);
    }
    if (R >= R4) return idx("H_res");
    if (R < R1) return idx("{12}{13}{23}");
    if (R < R2) {
      const a = Math.atan2(v, u);
      for (let i = 0; i < 3; i++) {
        if (angDist(a, theta[i]) <= 30 * deg) {
          const [j, k] = [0, 1, 2].filter((x) => x !== i);
          return idx(pairName(i, j) + pairName(i, k));
        }
      }
      // Between sources i and j: opposite the third one.
      let far = 0;
      for (let k = 1; k < 3; k++) if (angDist(a, theta[k]) > angDist(a, theta[far])) far = k;
      const [i, j] = [0, 1, 2].filter((x) => x !== far);
      return idx(pairName(i, j));
    }
    return idx("{123}");
  };
  // The per-pixel geometry depends only on the canvas size, the term names and the
  // goal terms' signs (cached, see regions3Geometry); per frame only the fills change.
  const geo = regions3Geometry(W, H, names, gamma, {
    bx,
    by,
    bw,
    bh,
    classify: (x, y) => classify((x + 0.5 - cx) / ax, (y + 0.5 - cy) / ay),
  });
  const { tag } = geo;
  // Palette by tag + 4: -4 negative goal rim, -3 positive goal rim, -2 boundary,
  // -1 outside every region (grey), c ≥ 0 region c.
  const colours = values.map((v) => rgbOf(diverging(v, scale)));
  const palette = [rgbOf("#8b1e3f"), rgbOf("#0b6e4f"), rgbOf("#8a93a3"), rgbOf("#c8ccd4"), ...colours];
  // As RGBA words in the platform's byte order, for whole-pixel writes.
  const words = new Uint32Array(palette.length);
  const bytes = new Uint8Array(words.buffer);
  palette.forEach(([R, G, B], k) => bytes.set([R, G, B, 255], 4 * k));
  if (bw > 0 && bh > 0) {
    const img = ctx.getImageData(bx, by, bw, bh);
    const px = new Uint32Array(img.data.buffer, img.data.byteOffset, bw * bh);
    for (let y = by, o = 0; y < by + bh; y++) {
      for (let i = y * W + bx, end = i + bw; i < end; i++, o++) px[o] = words[tag[i] + 4];
    }
    ctx.putImageData(img, bx, by);
  }
  // Crisp outlines of the information quantities: H(T) box, joint ellipse, circles.
  ctx.strokeStyle = MUTED;
  ctx.lineWidth = 1;
  ctx.strokeRect(bx + 0.5, by + 0.5, bw - 1, bh - 1);
  ctx.strokeStyle = INK;
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  ctx.ellipse(cx, cy, R4 * ax, R4 * ay, 0, 0, 2 * Math.PI);
  ctx.stroke();
  for (const [u, v] of centres) {
    ctx.beginPath();
    ctx.ellipse(cx + u * ax, cy + v * ay, r * ax, r * ay, 0, 0, 2 * Math.PI);
    ctx.stroke();
  }
  ctx.lineWidth = 1;
  // Labels: [unit-space position, name, two lines?].
  const at = (R, a) => [R * Math.cos(a), R * Math.sin(a)];
  const opposite = theta.map((t) => t + Math.PI);
  const spots = [["{1}{2}{3}", [0, 0], true]];
  for (let i = 0; i < 3; i++) {
    const [j, k] = [0, 1, 2].filter((x) => x !== i);
    spots.push([`{${j + 1}}{${k + 1}}`, at(45, opposite[i]), true]);
    spots.push([`{${i + 1}}{${j + 1}${k + 1}}`, at(49, theta[i]), true]);
    spots.push([`{${i + 1}}`, at(89, theta[i]), true]);
    spots.push([pairName(i, j) + pairName(i, k), at(138, theta[i]), true]);
    spots.push([pairName(j, k), at(138, opposite[i]), true]);
  }
  spots.push(["{12}{13}{23}", at(95, opposite[2]), true]);
  spots.push(["{123}", at(173, 90 * deg), false]);
  const fmt = (v) => (Number.isFinite(v) ? v.toFixed(3) : "–");
  // White text on strongly saturated fills.
  const ink = (v) => (Number.isFinite(v) && Math.abs(v) / (scale || 1) > 0.65 ? "#fff" : INK);
  for (const [name, [u, v], two] of spots) {
    const i = idx(name);
    if (i < 0) continue;
    const x = cx + u * ax;
    const y = cy + v * ay;
    const label = displayName(name, letters);
    const bold = !!(gamma && gamma[i]);
    const color = ink(values[i]);
    if (two) {
      text(ctx, label, x, y - 1, { size: 10, align: "center", bold, color });
      text(ctx, fmt(values[i]), x, y + 10, { size: 9, align: "center", color });
    } else {
      text(ctx, `${label}  ${fmt(values[i])}`, x, y + 4, { size: 10, align: "center", bold, color });
    }
    ctx.font = `${bold ? "600 " : ""}10px system-ui, sans-serif`;
    hits.push({ x, y, r: Math.max(14, ctx.measureText(label).width / 2 + 2), index: i });
  }
  const hres = idx("H_res");
  if (hres >= 0) {
    const bold = !!(gamma && gamma[hres]);
    const color = ink(values[hres]);
    text(ctx, "H_res", bx + 30, by + 17, { size: 10, align: "center", bold, color });
    text(ctx, fmt(values[hres]), bx + 30, by + 29, { size: 9, align: "center", color });
    hits.push({ x: bx + 30, y: by + 20, r: 26, index: hres });
  }
  // A dense grid of small hit regions, so hovering anywhere in a region finds it
  // (the page picks the nearest hit).
  for (const { x, y, index } of geo.grid) hits.push({ x, y, r: 4, index });
  const L = letters.slice(0, 3).map((l, i) => l ?? String(i + 1)).join(",");
  text(ctx, `H(T) box · I(T;${L}) ellipse · circles: I(T;Sᵢ) · outside them: synergies`, W / 2, H - 7, {
    size: 10,
    color: MUTED,
    align: "center",
  });
}

// regions3's per-pixel geometry, which depends only on the canvas size and the term
// names (class map, boundaries, hover grid) and on which goal terms are non-zero and
// their signs (the goal rims). Entries by size and names (a few: the network view and
// the gate lab may differ): {cls, base, grid, rimKey, tag}. cls: region per pixel
// (-2 outside the box, -1 in no region); base and tag: what each box pixel shows as a
// palette tag of regions3 (base without the goal rims, tag with them); grid: the
// hover grid [{x, y, index}].
const regions3Cache = new Map();

function regions3Geometry(W, H, names, gamma, { bx, by, bw, bh, classify }) {
  const key = `${W}x${H}|${names.join(",")}`;
  let g = regions3Cache.get(key);
  if (!g) {
    const cls = new Int16Array(W * H).fill(-2);
    for (let y = by; y < by + bh; y++) for (let x = bx; x < bx + bw; x++) cls[y * W + x] = classify(x, y);
    // Region boundaries (thin grey).
    const base = new Int16Array(W * H).fill(-1);
    for (let y = by; y < by + bh; y++) {
      for (let x = bx; x < bx + bw; x++) {
        const i = y * W + x;
        const c = cls[i];
        const edge = (x + 1 < W && cls[i + 1] !== c) || (y + 1 < H && cls[i + W] !== c);
        base[i] = edge ? -2 : c >= 0 ? c : -1;
      }
    }
    const grid = [];
    for (let y = by + 3; y < by + bh; y += 6) {
      for (let x = bx + 3; x < bx + bw; x += 6) {
        const c = cls[y * W + x];
        if (c >= 0) grid.push({ x, y, index: c });
      }
    }
    g = { cls, base, grid, rimKey: null, tag: null };
    if (regions3Cache.size >= 4) regions3Cache.delete(regions3Cache.keys().next().value);
    regions3Cache.set(key, g);
  }
  // Goal terms' boundaries (thick, coloured): the inner 3-px rim of each goal region.
  const sign = names.map((_, c) => (gamma && gamma[c] ? (gamma[c] > 0 ? "+" : "-") : "0"));
  const rimKey = sign.join("");
  if (g.rimKey !== rimKey) {
    const { cls, base } = g;
    const tag = base.slice();
    if (sign.some((s) => s !== "0")) {
      for (let y = by; y < by + bh; y++) {
        for (let x = bx; x < bx + bw; x++) {
          const c = cls[y * W + x];
          if (c < 0 || sign[c] === "0") continue;
          let rim = false;
          for (let dy = -3; dy <= 3 && !rim; dy++) {
            for (let dx = -3; dx <= 3 && !rim; dx++) {
              const yy = y + dy;
              const xx = x + dx;
              if (Math.abs(dx) + Math.abs(dy) > 3 || yy < by || yy >= by + bh || xx < bx || xx >= bx + bw) continue;
              if (cls[yy * W + xx] !== c) rim = true;
            }
          }
          if (rim) tag[y * W + x] = sign[c] === "+" ? -3 : -4;
        }
      }
    }
    g.rimKey = rimKey;
    g.tag = tag;
  }
  return g;
}
