// The gate lab: a PID calculator. Edit the joint pmf of 2 or 3 binary inputs and a
// binary target; atoms, H_res and pointwise values update on every keystroke.
import * as D from "./draw.js";
import { describe, namedValues } from "./describe.js";
import { fitCanvases } from "./fit.js";

const $ = (id) => document.getElementById(id);
const LETTERS = ["1", "2", "3"];

// Each preset: number of inputs and, per input row (in binary order), the target or
// null (row has probability 0). Uniform over the rows that are present.
const PRESETS = {
  XOR: [2, (s) => s[0] ^ s[1]],
  AND: [2, (s) => s[0] & s[1]],
  OR: [2, (s) => s[0] | s[1]],
  RDN: [2, (s) => (s[0] === s[1] ? s[0] : null)],
  UNQ: [2, (s) => s[0]],
  COPY2: [2, (s) => 2 * s[0] + s[1]],
  parity: [3, (s) => s[0] ^ s[1] ^ s[2]],
  "RDN³": [3, (s) => (s[0] === s[1] && s[1] === s[2] ? s[0] : null)],
  "AND³": [3, (s) => s[0] & s[1] & s[2]],
  majority: [3, (s) => (s[0] + s[1] + s[2] >= 2 ? 1 : 0)],
};

function bits(i, n) {
  return Array.from({ length: n }, (_, k) => (i >> (n - 1 - k)) & 1);
}

export function startGateLab(engine) {
  let n = 2;
  let targets = 2;
  let p = []; // rows × targets
  const table = $("g-table");
  const msg = $("g-msg");

  function load(name) {
    const [inputs, f] = PRESETS[name];
    n = inputs;
    $("g-n").value = String(n);
    const rows = 2 ** n;
    const outs = Array.from({ length: rows }, (_, i) => f(bits(i, n)));
    targets = Math.max(2, ...outs.filter((t) => t !== null).map((t) => t + 1));
    const present = outs.filter((t) => t !== null).length;
    p = outs.map((t) => Array.from({ length: targets }, (_, k) => (t === k ? 1 / present : 0)));
    build();
  }

  function build() {
    table.replaceChildren();
    const head = table.createTHead().insertRow();
    for (let k = 0; k < n; k++) head.append(Object.assign(document.createElement("th"), { textContent: `S${k + 1}` }));
    head.append(Object.assign(document.createElement("th"), { textContent: "T" }));
    for (let t = 0; t < targets; t++) head.append(Object.assign(document.createElement("th"), { textContent: `p(·, T=${t})` }));
    const body = table.createTBody();
    p.forEach((row, i) => {
      const tr = body.insertRow();
      for (const b of bits(i, n)) tr.insertCell().textContent = String(b);
      const tcell = tr.insertCell();
      const toggle = document.createElement("button");
      toggle.className = "toggle";
      const mass = row.reduce((a, b) => a + b, 0);
      const argmax = row.indexOf(Math.max(...row));
      toggle.textContent = mass === 0 ? "–" : row.filter((v) => v > 0).length > 1 ? "mix" : String(argmax);
      toggle.title = "Move this row's probability to the next target value";
      toggle.addEventListener("click", () => {
        const m = row.reduce((a, b) => a + b, 0) || 1 / 2 ** n;
        const next = mass === 0 ? 0 : (argmax + 1) % targets;
        p[i] = row.map((_, k) => (k === next ? m : 0));
        build();
      });
      tcell.append(toggle);
      row.forEach((v, t) => {
        const input = document.createElement("input");
        input.type = "number";
        input.min = "0";
        input.step = "0.05";
        input.value = +v.toFixed(4);
        input.setAttribute("aria-label", `p(row ${i}, T=${t})`);
        input.addEventListener("input", () => {
          const x = Number(input.value);
          p[i][t] = Number.isFinite(x) && x >= 0 ? x : 0;
          input.classList.toggle("bad", !(Number.isFinite(x) && x >= 0));
          compute();
        });
        tr.insertCell().append(input);
      });
    });
    compute();
  }

  function compute() {
    const flat = p.flat();
    const sum = flat.reduce((a, b) => a + b, 0);
    if (!(sum > 0)) {
      msg.hidden = false;
      msg.textContent = "All probabilities are 0: give some row a positive weight.";
      return;
    }
    let pid;
    try {
      const shape = [...new Array(n).fill(2), targets];
      pid = JSON.parse(engine.decompose(JSON.stringify({ shape, p: flat.map((v) => v / sum) }), undefined, true));
      msg.hidden = true;
    } catch (error) {
      msg.hidden = false;
      msg.textContent = error.message;
      return;
    }
    const labels = pid.names.map((x) => D.displayName(x, LETTERS));
    drawBars(labels, pid.terms);
    D.lattice($("g-lattice").getContext("2d"), pid.names, pid.terms, LETTERS, { title: "atoms on the redundancy lattice" });
    const values = namedValues(labels, pid.terms, 3);
    describe($("g-atoms"), `bars of every atom and H_res (bits): ${values}`);
    describe($("g-lattice"), `${labels.length - 1} atoms on the redundancy lattice of ${n} inputs (bits): ${namedValues(labels.slice(0, -1), pid.terms, 3)}`);
    const summary = $("g-summary");
    summary.replaceChildren();
    const atomsSum = pid.terms.slice(0, -1).reduce((a, b) => a + b, 0);
    for (const [k, v] of [
      ["I(T; S)", pid.mutual_information],
      ["H(T)", pid.target_entropy],
      ["H_res", pid.terms[pid.terms.length - 1]],
      ["Σ atoms", atomsSum],
    ]) {
      const d = document.createElement("div");
      d.append(Object.assign(document.createElement("span"), { className: "k", textContent: k }), ` ${v.toFixed(4)} bits`);
      summary.append(d);
    }
    summary.dataset.terms = JSON.stringify(pid.terms.map((v) => +v.toFixed(6)));
    const pw = $("g-pointwise");
    pw.replaceChildren();
    const h = pw.createTHead().insertRow();
    for (const t of [...Array.from({ length: n }, (_, k) => `s${k + 1}`), "t", "p", ...labels.slice(0, -1)]) {
      h.append(Object.assign(document.createElement("th"), { textContent: t }));
    }
    const body = pw.createTBody();
    for (const row of pid.pointwise ?? []) {
      const tr = body.insertRow();
      for (const s of row.sources) tr.insertCell().textContent = String(s);
      tr.insertCell().textContent = String(row.target);
      tr.insertCell().textContent = row.p.toFixed(3);
      row.informative_atoms.forEach((v, k) => {
        const d = v - row.misinformative_atoms[k];
        const cell = tr.insertCell();
        cell.textContent = d.toFixed(3);
        cell.title = `i⁺ ${v.toFixed(3)} − i⁻ ${row.misinformative_atoms[k].toFixed(3)}`;
        cell.className = d > 1e-9 ? "pos" : d < -1e-9 ? "neg" : "";
      });
    }
  }

  function drawBars(labels, values) {
    const c = $("g-atoms").getContext("2d");
    D.clear(c);
    const W = c.canvas.width;
    const H = c.canvas.height;
    const scale = Math.max(0.25, D.absMax(values));
    const t = values.length;
    const bw = (W - 60) / t;
    const bottom = t > 5 ? 72 : 40; // room for the (rotated) labels
    const mid = (H - bottom) / 2 + 10;
    const half = (H - bottom - 20) / 2;
    c.strokeStyle = D.MUTED;
    c.beginPath();
    c.moveTo(40, mid);
    c.lineTo(W - 10, mid);
    c.stroke();
    D.text(c, `+${scale.toFixed(2)}`, 36, mid - half, { size: 10, align: "right", base: "middle", color: D.MUTED });
    D.text(c, `−${scale.toFixed(2)}`, 36, mid + half, { size: 10, align: "right", base: "middle", color: D.MUTED });
    D.text(c, "bits", 36, 10, { size: 10, align: "right", color: D.MUTED });
    values.forEach((v, i) => {
      const x = 44 + i * bw;
      const h = (v / scale) * half;
      c.fillStyle = D.diverging(v, scale);
      c.fillRect(x + 2, h >= 0 ? mid - h : mid, bw - 4, Math.abs(h));
      c.strokeStyle = "#8a93a3";
      c.strokeRect(x + 2, h >= 0 ? mid - h : mid, bw - 4, Math.abs(h));
      if (t <= 5) D.text(c, v.toFixed(3), x + bw / 2, h >= 0 ? mid - h - 4 : mid - h + 12, { size: 11, align: "center" });
      c.save();
      c.translate(x + bw / 2, H - bottom + 14);
      if (t > 5) c.rotate(-Math.PI / 4);
      D.text(c, labels[i], 0, 8, { size: 10, align: t > 5 ? "right" : "center" });
      c.restore();
    });
  }

  const presets = $("g-presets");
  for (const name of Object.keys(PRESETS)) {
    const b = document.createElement("button");
    b.textContent = name;
    b.dataset.preset = name;
    b.addEventListener("click", () => load(name));
    presets.append(b);
  }
  $("g-n").addEventListener("change", () => load($("g-n").value === "3" ? "parity" : "XOR"));
  load("XOR");
  fitCanvases([$("g-atoms"), $("g-lattice")], compute);
}
