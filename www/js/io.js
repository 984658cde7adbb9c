// Files in and out: the share link, run/metrics/config/PNG exports, loading a run file,
// and the user's own data (CSV, IDX uploads).
import * as C from "./config.js";
import { $, el, alertBox, download } from "./dom.js";
import { REQ } from "./worker-client.js";

/** Parses CSV text (a header optional, the label column last or named label/class/y/target) into a table data set. */
export function parseCsv(text) {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  if (lines.length < 6) throw new Error("need a header or data and at least 5 rows");
  const sep = lines[0].includes(";") && !lines[0].includes(",") ? ";" : lines[0].includes("\t") ? "\t" : ",";
  let rows = lines.map((l) => l.split(sep).map((s) => s.trim().replace(/^"|"$/g, "")));
  const isNum = (s) => s !== "" && Number.isFinite(Number(s));
  let header = null;
  if (!rows[0].slice(0, -1).every(isNum) || !rows[0].some(isNum)) [header, ...rows] = rows;
  const cols = rows[0].length;
  if (cols < 2) throw new Error("need at least one feature column and a label column");
  let labelCol = cols - 1;
  if (header) {
    const i = header.findIndex((h) => /^(label|class|y|target)$/i.test(h));
    if (i >= 0) labelCol = i;
  }
  const classes = [...new Set(rows.map((r) => r[labelCol]))].sort((a, b) => (isNum(a) && isNum(b) ? a - b : a < b ? -1 : 1));
  if (classes.length > 256) throw new Error(`the label column has ${classes.length} distinct values (at most 256)`);
  const index = new Map(classes.map((c, i) => [c, i]));
  const dim = cols - 1;
  const x = new Float32Array(rows.length * dim);
  const y = new Uint8Array(rows.length);
  rows.forEach((r, i) => {
    if (r.length !== cols) throw new Error(`row ${i + 1} has ${r.length} columns, expected ${cols}`);
    let d = 0;
    r.forEach((v, j) => {
      if (j === labelCol) return;
      const n = Number(v);
      if (!isNum(v)) throw new Error(`row ${i + 1}, column ${j + 1}: '${v.slice(0, 20)}' is not a number`);
      x[i * dim + d++] = n;
    });
    y[i] = index.get(r[labelCol]);
  });
  return { kind: "table", x, y, dim };
}

export function initIo(app) {
  const { store, worker } = app;
  const S = store.s;

  const shareUrl = () => {
    const u = new URL(location.href);
    u.hash = C.toHash(S.state);
    return u.href;
  };
  $("share").addEventListener("click", async () => {
    const url = shareUrl();
    let copied = false;
    try {
      await navigator.clipboard.writeText(url);
      copied = true;
    } catch {}
    const note = S.uploaded ? " (your uploaded data is not part of the link)" : "";
    const box = alertBox(copied ? `Link copied${note}: ${url}` : `Copy this link${note}: ${url}`, "info");
    setTimeout(() => box.remove(), 8000);
  });
  // The Export menu closes like a menu: on Escape and on a click outside it (it would
  // otherwise stay open over the cards below).
  const menu = document.querySelector("details.menu");
  if (menu) {
    // (only a person's click: a download's synthetic link click is not one)
    document.addEventListener("click", (e) => {
      if (e.isTrusted && menu.open && !menu.contains(e.target)) menu.open = false;
    });
    menu.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && menu.open) {
        menu.open = false;
        menu.querySelector("summary")?.focus();
      }
    });
  }
  $("export-run").addEventListener("click", async () => {
    const { viewing, trace, state } = S;
    const run = viewing ? structuredClone(viewing) : await worker.call(REQ.export);
    run.trace = { steps: trace.map((t) => t.step), median: trace.map((t) => t.med), q10: trace.map((t) => t.lo), q90: trace.map((t) => t.hi) };
    run.url = shareUrl();
    download(`infomorph-${state.config.task}-${state.config.model}.json`, new Blob([JSON.stringify(run)], { type: "application/json" }));
  });
  $("export-csv").addEventListener("click", () => {
    const { viewing, stats } = S;
    const m = (viewing?.metrics ?? stats?.metrics) || [];
    const names = stats?.names ?? [];
    const head = ["epoch", "steps", "train_accuracy", "val_accuracy", "test_accuracy", "seconds", "steps_per_second", ...names.map((n) => `hidden_${n}`)];
    const rows = m.map((e) => [e.epoch, e.steps, e.train_accuracy, e.val_accuracy, e.test_accuracy, e.seconds, e.steps_per_second, ...(e.hidden_atoms ?? [])].join(","));
    download("infomorph-metrics.csv", new Blob([[head.join(","), ...rows].join("\n") + "\n"], { type: "text/csv" }));
  });
  $("export-config").addEventListener("click", () => {
    download("infomorph-config.json", new Blob([JSON.stringify(C.runConfig(S.state), null, 2) + "\n"], { type: "application/json" }));
    const differs = Object.entries(S.state.activation).some(([k, v]) => v !== C.ACTIVATION_DEFAULTS[k]);
    if (differs) alertBox("Note: infomorph train --config has no activation parameters; the file has the paper's.", "info");
  });
  for (const b of document.querySelectorAll("button.png")) {
    b.addEventListener("click", () => {
      $(b.dataset.canvas).toBlob((blob) => download(`infomorph-${b.dataset.canvas}.png`, blob));
    });
  }
  $("import-run").addEventListener("change", async (e) => {
    const file = e.target.files[0];
    e.target.value = "";
    if (!file) return;
    try {
      loadRun(JSON.parse(await file.text()), file.name);
    } catch (error) {
      alertBox(`Cannot read ${file.name}: ${error.message}`);
    }
  });

  function loadRun(run, name) {
    if (typeof run !== "object" || !run || typeof run.config !== "object" || !Array.isArray(run.metrics)) {
      throw new Error("not a run file (needs config and metrics)");
    }
    app.setPlaying(false);
    const next = C.defaultState();
    next.page = S.state.page;
    const entries = Object.entries(run.config).filter(([k]) => k !== "gamma" || run.config.gamma);
    const problems = C.applyEntries(next, entries);
    if (run.activation) C.applyEntries(next, Object.entries(run.activation)).forEach((p) => problems.push(p));
    problems.forEach((p) => alertBox(`${name}: ${p}`));
    app.adopt(next, { reset: false });
    const layer = run.hidden ?? run.output;
    if (!layer) throw new Error("the run file has no layers");
    const atoms = (layer.atoms ?? []).map((r) => r.map((v) => (v === null ? NaN : v)));
    const t = layer.names.length;
    const mean = layer.names.map((_, j) => atoms.reduce((s, r) => s + (r[j] ?? 0), 0) / Math.max(1, atoms.length));
    const n = layer.names.length === 19 ? 3 : 2;
    const weights = layer.sources[0].weights;
    const dim = weights[0]?.length ?? 0;
    const side = Math.round(Math.sqrt(dim));
    const last = run.metrics[run.metrics.length - 1];
    const kinds = layer.sources.map((s) => ({ feedforward: "F", context: "C", lateral: "L" })[s.kind] ?? "?");
    const stats = {
      step: last?.steps ?? 0,
      epoch: last?.epoch ?? 0,
      engine: "file",
      adapter: "",
      steps_per_second: 0,
      accuracy: { train: last?.train_accuracy ?? null, val: last?.val_accuracy ?? null, test: last?.test_accuracy ?? null },
      layer: run.hidden ? "hidden" : "output",
      sources: kinds.slice(0, n),
      names: layer.names,
      gamma: run.config.gamma ?? (C.family(S.state.config.model) ? C.goalPreset(S.state.config.model, S.state.config.goal) : new Array(t).fill(0)),
      goal: NaN,
      mean_atoms: mean,
      atoms,
      metrics: run.metrics,
      confusion: [],
      classes: run.output?.atoms?.length ?? 1,
      dim,
      image: side * side === dim && side >= 4 ? [side, side] : null,
      sizes: [0, 0, 0],
    };
    const trace = run.trace?.steps
      ? run.trace.steps.map((s, i) => ({ step: s, med: run.trace.median[i], lo: run.trace.q10[i], hi: run.trace.q90[i] }))
      : [];
    store.update({ stats, fields: new Float32Array(weights.flat()), map: null, trace, goalTrace: [], viewing: run, selected: -1 });
    app.render();
    $("run-state").textContent = `viewing ${name} — press reset to train this configuration`;
  }

  // ----- uploads -----
  $("upload-csv").addEventListener("change", async (e) => {
    const file = e.target.files[0];
    e.target.value = "";
    if (!file) return;
    try {
      useUpload(file.name, parseCsv(await file.text()));
    } catch (error) {
      alertBox(`Cannot use ${file.name}: ${error.message}`);
    }
  });
  $("upload-idx").addEventListener("change", async (e) => {
    const files = [...e.target.files];
    e.target.value = "";
    try {
      const parts = {};
      for (const f of files) {
        const bytes = new Uint8Array(await f.arrayBuffer());
        if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 8) throw new Error(`${f.name} is not an IDX file of unsigned bytes`);
        const kind = bytes[3] === 3 ? "images" : bytes[3] === 1 ? "labels" : null;
        if (!kind) throw new Error(`${f.name}: IDX with ${bytes[3]} dimensions (need 3 for images, 1 for labels)`);
        const test = /t10k|test/i.test(f.name);
        parts[(test ? "test_" : "") + kind] = bytes;
      }
      if (!parts.images || !parts.labels) throw new Error("choose an images file and a labels file (optionally also test images and labels)");
      const data = { kind: "idx", images: parts.images, labels: parts.labels, testImages: parts.test_images, testLabels: parts.test_labels };
      useUpload(files.map((f) => f.name).join("+"), data, await sha256Hex(parts.images));
    } catch (error) {
      alertBox(`Cannot use these files: ${error.message}`);
    }
  });

  /** `imagesSha256`: the training images' SHA-256, by which the engine knows full MNIST
   *  (the accuracy plot's published reference line). */
  function useUpload(name, data, imagesSha256 = null) {
    store.update({ uploaded: { name, data, imagesSha256 }, statsFresh: false });
    const sel = $("c-task");
    sel.querySelector("option[value=upload]")?.remove();
    sel.append(el("option", { value: "upload", text: `your data: ${name}` }));
    app.syncControls();
    app.reset();
  }

  Object.assign(app, { shareUrl, loadRun });
}

/** SHA-256 of `bytes` as hex, or null where the browser has no WebCrypto (an insecure
 *  origin): the reference line is then left out, nothing else depends on it. */
async function sha256Hex(bytes) {
  try {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
  } catch {
    return null;
  }
}
