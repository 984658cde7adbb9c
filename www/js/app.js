// The playground page: controls, the URL hash, the training worker, the views, and
// the embedding API on window.infomorph. Plain DOM; text only through textContent
// (nothing from the URL or from files is ever parsed as HTML).
import * as C from "./config.js";
import * as D from "./draw.js";
import { explain, sourceWords } from "./explain.js";
import { startGateLab } from "./gatelab.js";

const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, children = []) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "text") e.textContent = v;
    else if (k === "class") e.className = v;
    else if (k === "dataset") Object.assign(e.dataset, v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
};

// ---------------------------------------------------------------------------------
// Alerts
// ---------------------------------------------------------------------------------

function alertBox(message, kind = "alert") {
  const box = el("div", { class: `alert ${kind}`, role: kind === "alert" ? "alert" : "status" });
  box.append(el("span", { text: message }));
  const close = el("button", { class: "close", "aria-label": "Dismiss", text: "×" });
  close.addEventListener("click", () => box.remove());
  box.append(close);
  $("alerts").append(box);
  return box;
}

function download(name, blob) {
  const a = el("a", { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

// ---------------------------------------------------------------------------------
// The worker
// ---------------------------------------------------------------------------------

function connect(worker) {
  let next = 1;
  const waiting = new Map();
  const listeners = new Set();
  worker.addEventListener("message", (event) => {
    const m = event.data;
    if (m.type === "reply") {
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      if (w) (m.ok ? w.resolve(m.value) : w.reject(new Error(m.error)));
    } else {
      listeners.forEach((f) => f(m));
    }
  });
  worker.addEventListener("error", (e) => listeners.forEach((f) => f({ type: "error", error: e.message })));
  return {
    call(type, data = {}, transfer = []) {
      const id = next++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.postMessage({ type, id, ...data }, transfer);
      });
    },
    on(f) {
      listeners.add(f);
    },
  };
}

async function detectWebGpu() {
  try {
    if (!navigator.gpu) return null;
    const adapter = await Promise.race([
      navigator.gpu.requestAdapter(),
      new Promise((r) => setTimeout(() => r(null), 1500)),
    ]);
    if (!adapter) return null;
    const info = adapter.info ?? {};
    const parts = [info.vendor, info.architecture, info.device, info.description].filter(Boolean);
    return parts.length ? [...new Set(parts)].join(" ") : "WebGPU adapter";
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------
// The page
// ---------------------------------------------------------------------------------

export async function start(engine, api, urls) {
  const parsed = C.parseHash(location.hash);
  let state = parsed.state;
  for (const p of parsed.problems) alertBox(`Link: ${p}`);
  $("version").textContent = engine.version();

  const worker = connect(new Worker(new URL("./worker.js", import.meta.url), { type: "module" }));
  const gpuPromise = detectWebGpu();
  await worker.call("init", { js: urls.js, wasm: urls.module ?? urls.wasm });
  const adapter = await gpuPromise;

  let stats = null; // last parsed snapshot
  // Whether `stats` describes the current configuration: false from a change of the
  // configuration until the first snapshot of the session that follows it.
  let statsFresh = false;
  const told = new Set(); // engine notices already shown
  let fields = null;
  let map = null;
  let playing = false;
  let wantPlay = false; // what the user asked for (offscreen/hidden tab pauses)
  let visible = true;
  let uploaded = null; // {name, data}
  let selected = 0;
  let trace = []; // [{step, med: [...], lo: [...], hi: [...]}]
  let goalTrace = []; // [[step, goal]]
  let viewing = null; // an imported run file
  let creating = Promise.resolve();
  let generation = 0; // of the worker's session: stats of a replaced one are dropped
  let heatGeom = null;
  let fieldsGeom = null;
  let sessionError = null;
  let points = null; // test points of a 2-D task (x0, x1, label)

  // ----- engine badge -------------------------------------------------------
  function badge() {
    const engineName = stats?.engine ?? "cpu";
    const text = engineName === "webgpu" ? `WebGPU · ${stats.adapter}` : "CPU engine";
    $("engine-status").textContent = text;
    $("engine-badge").dataset.engine = engineName;
    const why = [...(stats?.notices ?? [])].reverse().find((n) => n.startsWith("CPU engine") || n.includes("device lost"));
    $("engine-badge").title =
      engineName === "webgpu"
        ? `Training runs on the WebGPU engine: ${stats.adapter}.`
        : adapter
          ? `WebGPU adapter found: ${adapter}. The CPU engine (WebAssembly, in a worker) trains${why ? ` — ${why}` : "."}`
          : "No WebGPU adapter in this browser: the CPU engine (WebAssembly, in a worker) trains.";
    $("engine-rate").textContent = stats && playing ? (stats.steps_per_second > 0 ? `${Math.round(stats.steps_per_second)} steps/s` : "measuring…") : adapter && engineName !== "webgpu" ? "WebGPU detected" : "";
  }
  badge();

  // ----- controls -------------------------------------------------------------
  for (const [value, label] of C.TASKS) $("c-task").append(el("option", { value, text: label }));
  for (const [value, label] of C.MODELS) $("c-model").append(el("option", { value, text: label }));
  const numberKeys = Object.keys(C.NUMBERS);

  function hideControls() {
    const hide = state.page.hide;
    document.querySelectorAll("[data-hide]").forEach((e) => {
      e.hidden = hide.has(e.dataset.hide);
    });
    document.body.classList.toggle("embed", state.page.embed);
  }

  /** Drops the user's uploaded data set, and its entry in the task list. */
  function dropUpload() {
    uploaded = null;
    $("c-task").querySelector("option[value=upload]")?.remove();
  }

  /** The last snapshot if it belongs to the current configuration (or to the viewed run file). */
  function currentStats() {
    return viewing || statsFresh ? stats : null;
  }

  function activationKeys() {
    return C.family(state.config.model) === "trivariate" ? ["c1", "c2", "w1", "w2"] : ["k1", "k2"];
  }

  function renderActivation() {
    const box = $("activation-fields");
    box.replaceChildren();
    if (!C.family(state.config.model)) {
      $("activation-info").textContent = "This model has no infomorphic hidden layer.";
      return;
    }
    for (const key of activationKeys()) {
      const [min, max] = C.ACTIVATION[key];
      const input = el("input", { type: "number", min, max, step: "any", id: `a-${key}` });
      input.value = state.activation[key];
      input.addEventListener("change", () => {
        const problems = C.applyEntries(state, [[key, input.value]]);
        problems.forEach((p) => alertBox(p));
        input.value = state.activation[key];
        updateUrl();
        worker.call("activation", { json: JSON.stringify(state.activation) }).catch((e) => alertBox(e.message));
      });
      box.append(el("label", {}, [document.createTextNode(key + " "), input]));
    }
    $("activation-info").textContent =
      C.family(state.config.model) === "trivariate"
        ? "A = r·((1−c1−c2) + c1·σ(w1·r·c) + c2·σ(w2·r·l)); applies while training."
        : "A = r·(k1 + (1−k1)·2σ(k2·r·c)); applies while training.";
  }

  function termLetters() {
    const s = currentStats();
    if (s?.sources && !viewing) return s.sources;
    const m = state.config.model;
    if (C.family(m) === "trivariate") return ["F", "C", "L"];
    return m === "lateral" ? ["F", "L"] : ["F", "C"];
  }

  let termNames = [];
  let goalWords = null; // the source letters and words the goal editor's tooltips were written with
  const goalWordsKey = () => `${termLetters().join("")}|${isImageTask()}`;
  function currentGamma() {
    const c = state.config;
    if (!C.family(c.model)) return null;
    return c.gamma ?? engine.goalPreset(c.model, c.goal);
  }

  function renderGoalEditor() {
    goalWords = goalWordsKey();
    const c = state.config;
    const fam = C.family(c.model);
    const sel = $("c-goal");
    sel.replaceChildren();
    const box = $("gamma-sliders");
    box.replaceChildren();
    if (!fam) {
      sel.append(el("option", { value: "", text: "no hidden goal" }));
      sel.disabled = true;
      $("gamma-json").value = "";
      return;
    }
    sel.disabled = false;
    for (const g of C.GOALS[fam]) sel.append(el("option", { value: g, text: g }));
    sel.append(el("option", { value: "custom", text: "custom" }));
    sel.value = c.gamma ? "custom" : c.goal;
    const n = fam === "trivariate" ? 3 : 2;
    termNames = Array.from(engine.termNames(n));
    const letters = termLetters();
    const words = sourceWords(c.model, isImageTask());
    const gamma = currentGamma();
    termNames.forEach((name, i) => {
      const label = D.displayName(name, letters);
      const tip = explain(name, letters, words);
      const range = el("input", { type: "range", min: "-1", max: "1", step: "0.01", "aria-label": `γ ${label}`, title: tip, dataset: { term: String(i) } });
      range.value = gamma[i];
      const num = el("output", { text: gamma[i].toFixed(2) });
      range.addEventListener("input", () => {
        const g = currentGamma().slice();
        g[i] = Number(range.value);
        num.textContent = g[i].toFixed(2);
        setGamma(g, false);
      });
      box.append(el("div", { class: "term", title: tip }, [el("span", { class: "sym", text: label }), range, num]));
    });
    $("gamma-json").value = JSON.stringify({ gamma }, null, 0);
  }

  let goalTimer = null;
  function setGamma(gamma, rerender = true) {
    state.config.gamma = gamma;
    $("c-goal").value = "custom";
    $("gamma-json").value = JSON.stringify({ gamma }, null, 0);
    if (rerender) renderGoalEditor();
    updateUrl();
    clearTimeout(goalTimer);
    goalTimer = setTimeout(() => worker.call("goal", { gamma }).catch((e) => alertBox(e.message)), 60);
  }

  /** Picks the goal preset `name` (dropping a custom γ, and a pending send of one). */
  function setPreset(name) {
    clearTimeout(goalTimer);
    state.config.goal = name;
    state.config.gamma = null;
    renderGoalEditor();
    updateUrl();
    worker.call("goal", { gamma: currentGamma() }).catch((e) => alertBox(e.message));
  }

  $("c-goal").addEventListener("change", () => {
    const v = $("c-goal").value;
    if (v === "custom") return;
    setPreset(v);
  });

  $("gamma-apply").addEventListener("click", () => {
    const msg = $("gamma-json-msg");
    try {
      let value = JSON.parse($("gamma-json").value);
      if (Array.isArray(value)) value = { gamma: value };
      if (typeof value !== "object" || value === null) throw new Error("expected {\"gamma\": [...]} or an array");
      const keys = Object.keys(value).filter((k) => k !== "gamma" && k !== "goal");
      if (keys.length) throw new Error(`unknown key '${keys[0]}'`);
      const copy = { ...state, config: { ...state.config }, activation: { ...state.activation } };
      C.applyEntries(copy, Object.entries(value), { strict: true });
      if (copy.config.gamma) setGamma(copy.config.gamma);
      else setPreset(copy.config.goal);
      msg.textContent = "applied";
      msg.classList.remove("bad");
    } catch (error) {
      msg.textContent = `Not applied: ${error.message}`;
      msg.classList.add("bad");
    }
  });

  // Built-in tasks whose inputs are images (TaskData.image in src/tasks).
  const IMAGE_TASKS = new Set(["bars", "bars-2d", "digits8", "mnist10k"]);
  /** Whether the current task's input is an image: from its session's snapshot once there
   *  is one, else from the task (an uploaded IDX set is images; a CSV is known from its snapshot). */
  function isImageTask() {
    const s = currentStats();
    if (s) return !!s.image;
    return uploaded ? uploaded.data.kind === "idx" : IMAGE_TASKS.has(state.config.task);
  }

  function syncControls() {
    const c = state.config;
    $("c-task").value = uploaded ? "upload" : c.task;
    $("c-model").value = c.model;
    for (const key of numberKeys) {
      const input = $(`c-${key}`);
      if (input) input.value = c[key];
    }
    $("row-sparse").hidden = c.model !== "trivariate-sparse" || state.page.hide.has("sparse");
    $("task-info").textContent = uploaded ? `Your data: ${uploaded.name}` : C.TASK_INFO[c.task] ?? "";
    $("model-info").textContent = modelInfo(c.model);
    renderActivation();
    renderGoalEditor();
  }

  function modelInfo(m) {
    return {
      context: "Hidden neurons: F = input, C = one-hot label (zero at test time).",
      lateral: "Hidden neurons: F = input, L = the other hidden neurons (two recurrent steps). Unsupervised.",
      trivariate: "Hidden neurons: F = input, C = label, L = other hidden neurons; 19 PID terms.",
      "trivariate-sparse": "As trivariate, each neuron sees k random lateral inputs.",
      feedback: "As trivariate, but C = the output layer's outputs of a first round.",
      "random-projection": "Baseline: a frozen random hidden layer of threshold units; only the output layer learns.",
      readout: "Baseline: no hidden layer; the output neurons see the input directly.",
      backprop: "Baseline: the trivariate architecture trained end to end by backpropagation.",
    }[m];
  }

  $("c-task").addEventListener("change", () => {
    const v = $("c-task").value;
    if (v === "upload") return;
    dropUpload();
    state.config.task = v;
    if (v === "mnist10k" && state.config.batch < 256) state.config.batch = 256;
    changed();
  });
  $("c-model").addEventListener("change", () => {
    C.applyEntries(state, [["model", $("c-model").value]]).forEach((p) => alertBox(p));
    changed();
  });
  for (const key of numberKeys) {
    const input = $(`c-${key}`);
    if (!input) continue;
    input.addEventListener("change", () => {
      const problems = C.applyEntries(state, [[key, input.value]]);
      problems.forEach((p) => alertBox(p));
      changed();
    });
  }

  function changed() {
    statsFresh = false;
    syncControls();
    updateUrl();
    reset();
  }

  function updateUrl() {
    const hash = C.toHash(state);
    if (location.hash !== hash) history.replaceState(null, "", hash);
  }

  // ----- session lifecycle -------------------------------------------------------
  function dataFor() {
    if (uploaded) return uploaded.data;
    if (state.config.task === "mnist10k") {
      const base = new URL("mnist10k/", document.baseURI);
      return { kind: "url", images: new URL("images-idx3-ubyte", base).href, labels: new URL("labels-idx1-ubyte", base).href };
    }
    return { kind: "builtin" };
  }

  function reset() {
    const resume = wantPlay;
    viewing = null;
    sessionError = null;
    trace = [];
    goalTrace = [];
    selected = 0;
    const gen = ++generation;
    const config = { ...C.runConfig(state) };
    if (uploaded) config.task = uploaded.name;
    $("run-state").textContent = state.config.task === "mnist10k" && !uploaded ? "loading MNIST-10k…" : "";
    creating = creating
      .catch(() => {})
      .then(() => worker.call("pause"))
      .then(() =>
        worker.call("create", {
          config: JSON.stringify(config),
          activation: JSON.stringify(state.activation),
          adapter: adapter ?? "",
          engine: state.page.engine,
          data: dataFor(),
          generation: gen,
        }),
      )
      .then(async () => {
        $("run-state").textContent = "";
        const p = await worker.call("points", { max: 300 });
        points = p && p.length ? p : null;
        setPlaying(resume);
      })
      .catch((error) => {
        sessionError = error.message;
        $("run-state").textContent = "";
        alertBox(`Cannot start this configuration: ${error.message}`);
        setPlaying(false);
        throw error;
      });
    return creating;
  }

  function setPlaying(on) {
    wantPlay = on;
    const run = on && visible && !stats?.finished && !sessionError;
    playing = run;
    $("play").textContent = run ? "Pause" : "Play";
    document.body.classList.toggle("playing", run);
    worker.call(run ? "play" : "pause").catch(() => {});
    badge();
  }

  worker.on((m) => {
    if (m.type === "stats") {
      if (viewing || m.generation !== generation) return;
      stats = JSON.parse(m.stats);
      statsFresh = true;
      for (const n of stats.notices ?? []) {
        // Why the CPU engine runs although WebGPU was found, and device losses: once each.
        const tell = n.includes("device lost") || (adapter && n.startsWith("CPU engine:"));
        if (tell && !told.has(n)) {
          told.add(n);
          alertBox(n, "info");
        }
      }
      fields = m.fields ?? fields;
      if (m.map) map = m.map;
      record();
      render();
    } else if (m.type === "stopped") {
      setPlaying(false);
      if (stats?.error) alertBox(stats.error);
      else $("run-state").textContent = `finished: ${stats?.epoch} epochs`;
    } else if (m.type === "error") {
      alertBox(`Training stopped: ${m.error}`);
      setPlaying(false);
    }
  });

  function quantile(sorted, q) {
    if (!sorted.length) return NaN;
    const i = (sorted.length - 1) * q;
    const lo = Math.floor(i);
    return sorted[lo] + (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (i - lo);
  }

  function record() {
    if (!stats.atoms.length || !stats.atoms[0].length) return;
    const last = trace[trace.length - 1];
    if (last && last.step === stats.step) return;
    if (stats.step === 0) return;
    const t = stats.atoms[0].length;
    const med = [];
    const lo = [];
    const hi = [];
    for (let j = 0; j < t; j++) {
      const col = stats.atoms.map((r) => r[j]).filter(Number.isFinite).sort((a, b) => a - b);
      med.push(quantile(col, 0.5));
      lo.push(quantile(col, 0.1));
      hi.push(quantile(col, 0.9));
    }
    trace.push({ step: stats.step, med, lo, hi });
    if (Number.isFinite(stats.goal)) goalTrace.push([stats.step, stats.goal]);
    if (trace.length > 1200) {
      trace = trace.filter((_, i) => i % 2 === 0);
      goalTrace = goalTrace.filter((_, i) => i % 2 === 0);
    }
  }

  // ----- views -------------------------------------------------------------------------
  const ctx = (id) => $(id).getContext("2d");
  const fmtAcc = (v) => (v === null || v === undefined || !Number.isFinite(v) ? "–" : `${(100 * v).toFixed(1)} %`);

  // Cards that are not displayed (embed mode hides some, the gate view all) are not
  // drawn; those skipped are drawn when showView() shows them again.
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
    if (stats && [...stale].some((card) => $(card).offsetParent !== null)) render();
  }

  function render() {
    if (!stats) return;
    // A session's first snapshot can tell more about its inputs (an upload, a run file).
    if (goalWords !== goalWordsKey()) renderGoalEditor();
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
    badge();
    const letters = stats.sources;
    const labels = stats.names.map((n) => D.displayName(n, letters));
    const gamma = stats.gamma;
    heatGeom = D.heatmap(ctx("heat"), stats.atoms, labels, { selected, gamma });
    if (!heatGeom) D.placeholder(ctx("heat"), "press play or step: atoms appear after the first step");
    drawLattice();
    if (showTrace) drawTrace(labels);
    drawFields();
    drawCurves();
    if (showConfusion) drawConfusion();
    if (selected >= 0) refreshNeuron(false);
  }

  let latticeHits = [];
  // 3 sources: nested regions (default) or the Hasse diagram; a header button toggles.
  let latticeMode = "regions";
  const latticeToggle = document.createElement("button");
  latticeToggle.type = "button";
  latticeToggle.className = "mode";
  latticeToggle.hidden = true;
  latticeToggle.addEventListener("click", () => {
    latticeMode = latticeMode === "regions" ? "hasse" : "regions";
    drawLattice();
  });
  $("card-lattice").querySelector("header button.png").before(latticeToggle);

  function drawLattice() {
    if (!stats) return;
    const three = stats.names.length === 19;
    latticeToggle.hidden = !three;
    latticeToggle.textContent = latticeMode === "regions" ? "show Hasse" : "show regions";
    latticeToggle.title = latticeMode === "regions" ? "Show the Hasse diagram of the lattice instead" : "Show the nested-regions figure instead";
    latticeToggle.setAttribute("aria-pressed", String(latticeMode === "hasse"));
    latticeHits = D.lattice(ctx("lattice"), stats.names, stats.mean_atoms.length ? stats.mean_atoms : stats.names.map(() => 0), stats.sources, {
      gamma: stats.gamma,
      title: `mean over ${stats.atoms.length} ${stats.layer} neurons`,
      mode: latticeMode,
    });
  }

  $("lattice").addEventListener("mousemove", (e) => {
    const r = $("lattice").getBoundingClientRect();
    const sx = $("lattice").width / r.width;
    const x = (e.clientX - r.left) * sx;
    const y = (e.clientY - r.top) * sx;
    // The nearest of the hit regions that contain the pointer.
    let hit = null;
    let best = Infinity;
    for (const h of latticeHits ?? []) {
      if (Math.abs(h.x - x) >= h.r || Math.abs(h.y - y) >= 16) continue;
      const dist = (h.x - x) ** 2 + (h.y - y) ** 2;
      if (dist < best) [hit, best] = [h, dist];
    }
    const names = stats?.names ?? [];
    $("lattice").title = hit ? explain(names[hit.index], termLetters(), sourceWords(state.config.model, isImageTask())) : "";
  });

  function drawTrace(labels) {
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
      D.text(c, Number.isFinite(last) ? last.toFixed(3) : "–", ox + cw - 7, oy + 14, { size: 10, align: "right", color: D.MUTED });
    }
  }

  function drawFields() {
    const c = ctx("fields");
    const n = stats.atoms.length || (fields ? fields.length / stats.dim : 0);
    if (stats.dim === 2 && map && map.length > 4) {
      $("fields-title").textContent = "Decision map";
      $("fields-hint").textContent = "Output class over the input plane (colour = class, strength = confidence) with test points.";
      drawDecision(c);
      fieldsGeom = null;
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
      fieldsGeom = { kind: "grid", cols, size, n };
    } else {
      const rows = [];
      for (let i = 0; i < n; i++) rows.push(Array.from(fields.subarray(i * dim, (i + 1) * dim)));
      const labels = Array.from({ length: dim }, (_, j) => `x${j}`);
      const g = D.heatmap(c, rows, labels.length > 40 ? labels.map(() => "") : labels, { selected });
      fieldsGeom = g ? { kind: "rows", ...g } : null;
    }
  }

  const CLASS_COLORS = [[209, 73, 91], [46, 134, 171], [237, 174, 73], [59, 143, 90], [123, 79, 160], [0, 121, 140], [179, 88, 154], [138, 109, 59], [90, 90, 90], [200, 120, 60]];
  function drawDecision(c) {
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

  function drawCurves() {
    const m = stats.metrics;
    const series = [
      { name: "train", color: "#d1495b", points: m.map((e) => [e.epoch, e.train_accuracy]) },
      { name: "validation", color: "#edae49", points: m.map((e) => [e.epoch, e.val_accuracy]) },
      { name: "test", color: "#2e6eab", points: m.map((e) => [e.epoch, e.test_accuracy]) },
    ];
    const c = ctx("curves");
    if (stats.classes < 2) {
      D.placeholder(c, "one class only (unsupervised task): no accuracy");
    } else if (!m.length) {
      D.placeholder(c, stats.classes > 1 ? "accuracy appears after the first epoch" : "one class only (unsupervised task): no accuracy");
    } else D.lineChart(c, series, { xlabel: "epoch", ylabel: "accuracy", ymin: 0, ymax: 1 });
    const g = ctx("goalcurve");
    if (!goalTrace.length) D.placeholder(g, "goal per step appears once training runs");
    else D.lineChart(g, [{ name: `goal γ·atoms (${stats.layer} mean)`, color: "#0b6e4f", points: goalTrace }], { xlabel: "step", ylabel: "bits", legendCols: 1 });
  }

  function drawConfusion() {
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
  }

  // ----- neuron inspector ----------------------------------------------------------
  let neuronBusy = false;
  let neuronLast = -Infinity;
  let neuronTimer = null;
  // At most once a second while training; a skipped refresh runs later, so the
  // inspector always ends up showing the latest state.
  async function refreshNeuron(force) {
    if (viewing || selected < 0 || !shown("card-neuron")) return;
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
      const table = JSON.parse(await worker.call("histogram", { neuron: selected }));
      const pid = JSON.parse(engine.decompose(JSON.stringify({ shape: table.shape, p: table.p }), undefined, false));
      drawNeuron(table, pid);
    } catch (error) {
      D.placeholder(ctx("neuron"), `cannot inspect neuron ${selected}: ${error.message}`);
    } finally {
      neuronBusy = false;
    }
  }

  function drawNeuron(table, pid) {
    const c = ctx("neuron");
    D.clear(c);
    const H = c.canvas.height;
    const W = c.canvas.width;
    const k = table.shape[0];
    const nsrc = table.shape.length - 1;
    const letters = table.sources;
    $("neuron-title").textContent = `Neuron ${selected} (${stats.layer} layer)`;
    $("neuron-hint").textContent = `Binned joint histogram p(${letters.map((l) => l.toLowerCase()).join(", ")}, y) on ${Math.min(1024, stats.sizes[0])} training samples; its PID (I^sx) on the right, with the neuron's atoms at the last training step.`;
    // p(s1, s2, y): marginalise further sources; colour = P(y=+1 | s1, s2), opacity = p(s1, s2).
    const pairs = nsrc === 3 ? [[0, 1], [0, 2]] : [[0, 1]];
    const side = H - 60;
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
      D.text(c, `p(${letters[a].toLowerCase()}, ${letters[b].toLowerCase()}) · colour: P(y=+1 | …)`, ox, oy + side + 30, { size: 10, color: D.MUTED });
    });
    // atoms: from the histogram's PID and from training
    const ax = 40 + pairs.length * (side + 50) + 20;
    const aw = Math.min(W - ax - 10, 480);
    const names = pid.names;
    const vals = pid.terms;
    const train = stats.atoms[selected] ?? [];
    const scale = D.absMax([...vals, ...train]);
    const bh = Math.min(14, (H - 40) / names.length);
    const mid = ax + 90 + (aw - 90) / 2;
    const half = (aw - 100) / 2;
    D.text(c, "PID of this histogram (bars) · at the last training step (ticks)", ax, 12, { size: 10, color: D.MUTED });
    names.forEach((n, i) => {
      const y = 22 + i * bh;
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
    c.moveTo(mid, 20);
    c.lineTo(mid, 22 + names.length * bh);
    c.stroke();
  }

  function pick(canvas, geom, e) {
    const r = canvas.getBoundingClientRect();
    const s = canvas.width / r.width;
    const x = (e.clientX - r.left) * s;
    const y = (e.clientY - r.top) * s;
    if (!geom) return -1;
    if (geom.kind === "grid") {
      const i = Math.floor(y / geom.size) * geom.cols + Math.floor(x / geom.size);
      return x < geom.cols * geom.size && i < geom.n ? i : -1;
    }
    const i = Math.floor((y - geom.y0) / geom.ch);
    return x >= geom.x0 && i >= 0 && i < geom.rows ? i : -1;
  }
  function select(i) {
    if (i < 0) return;
    selected = i;
    render();
    refreshNeuron(true);
  }
  $("heat").addEventListener("click", (e) => select(pick($("heat"), heatGeom, e)));
  $("fields").addEventListener("click", (e) => {
    if (stats?.fields_layer === stats?.layer) select(pick($("fields"), fieldsGeom, e));
  });

  // ----- transport -------------------------------------------------------------------
  $("play").addEventListener("click", () => setPlaying(!wantPlay));
  $("step").addEventListener("click", () => api.step(1).catch((e) => alertBox(e.message)));
  $("reset").addEventListener("click", () => reset());
  let workerSpeed = null; // steps per second last sent to the worker
  /** Brings the speed select and the worker in line with state.page.speed. */
  function syncSpeed() {
    const sps = C.SPEEDS[state.page.speed];
    $("speed").value = String(sps);
    if (sps === workerSpeed) return;
    workerSpeed = sps;
    worker.call("speed", { stepsPerSecond: sps }).catch((e) => alertBox(e.message));
  }
  $("speed").addEventListener("change", () => {
    const name = Object.entries(C.SPEEDS).find(([, v]) => String(v) === $("speed").value)?.[0] ?? "fast";
    state.page.speed = name;
    syncSpeed();
    updateUrl();
  });
  document.addEventListener("keydown", (e) => {
    if (e.code === "Space" && !["INPUT", "TEXTAREA", "SELECT", "BUTTON"].includes(document.activeElement?.tagName)) {
      e.preventDefault();
      setPlaying(!wantPlay);
    }
  });

  // Pause when the tab is hidden or (embedded) the frame is scrolled offscreen.
  let onscreen = true;
  const updateVisible = () => {
    const v = document.visibilityState !== "hidden" && onscreen;
    if (v === visible) return;
    visible = v;
    setPlaying(wantPlay);
  };
  document.addEventListener("visibilitychange", updateVisible);
  if ("IntersectionObserver" in window) {
    new IntersectionObserver((entries) => {
      onscreen = entries.some((e) => e.isIntersecting);
      updateVisible();
    }).observe(document.querySelector(".plots"));
  }

  // ----- tabs ---------------------------------------------------------------------------
  let gateStarted = false;
  function showView(view) {
    state.page.view = view;
    $("view-network").hidden = view !== "network";
    $("view-gate").hidden = view !== "gate";
    for (const b of document.querySelectorAll(".tabs button")) b.setAttribute("aria-selected", String(b.dataset.view === view));
    if (view === "gate" && !gateStarted) {
      gateStarted = true;
      startGateLab(engine);
    }
    updateUrl();
    redrawStale();
  }
  for (const b of document.querySelectorAll(".tabs button")) b.addEventListener("click", () => showView(b.dataset.view));

  // ----- share, export, import ------------------------------------------------------------
  api.shareUrl = () => {
    const u = new URL(location.href);
    u.hash = C.toHash(state);
    return u.href;
  };
  $("share").addEventListener("click", async () => {
    const url = api.shareUrl();
    let copied = false;
    try {
      await navigator.clipboard.writeText(url);
      copied = true;
    } catch {}
    const note = uploaded ? " (your uploaded data is not part of the link)" : "";
    const box = alertBox(copied ? `Link copied${note}: ${url}` : `Copy this link${note}: ${url}`, "info");
    setTimeout(() => box.remove(), 8000);
  });
  $("export-run").addEventListener("click", async () => {
    const text = viewing ? JSON.stringify(viewing) : await worker.call("export");
    const run = JSON.parse(text);
    run.trace = { steps: trace.map((t) => t.step), median: trace.map((t) => t.med), q10: trace.map((t) => t.lo), q90: trace.map((t) => t.hi) };
    run.url = api.shareUrl();
    download(`infomorph-${state.config.task}-${state.config.model}.json`, new Blob([JSON.stringify(run)], { type: "application/json" }));
  });
  $("export-csv").addEventListener("click", () => {
    const m = (viewing?.metrics ?? stats?.metrics) || [];
    const names = stats?.names ?? [];
    const head = ["epoch", "steps", "train_accuracy", "val_accuracy", "test_accuracy", "seconds", "steps_per_second", ...names.map((n) => `hidden_${n}`)];
    const rows = m.map((e) => [e.epoch, e.steps, e.train_accuracy, e.val_accuracy, e.test_accuracy, e.seconds, e.steps_per_second, ...(e.hidden_atoms ?? [])].join(","));
    download("infomorph-metrics.csv", new Blob([[head.join(","), ...rows].join("\n") + "\n"], { type: "text/csv" }));
  });
  $("export-config").addEventListener("click", () => {
    download("infomorph-config.json", new Blob([JSON.stringify(C.runConfig(state), null, 2) + "\n"], { type: "application/json" }));
    const differs = Object.entries(state.activation).some(([k, v]) => v !== C.ACTIVATION_DEFAULTS[k]);
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
    setPlaying(false);
    const next = C.defaultState();
    next.page = state.page;
    const entries = Object.entries(run.config).filter(([k]) => k !== "gamma" || run.config.gamma);
    const problems = C.applyEntries(next, entries);
    if (run.activation) C.applyEntries(next, Object.entries(run.activation)).forEach((p) => problems.push(p));
    problems.forEach((p) => alertBox(`${name}: ${p}`));
    adopt(next, { reset: false });
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
    stats = {
      step: last?.steps ?? 0,
      epoch: last?.epoch ?? 0,
      engine: "file",
      adapter: "",
      steps_per_second: 0,
      accuracy: { train: last?.train_accuracy ?? null, val: last?.val_accuracy ?? null, test: last?.test_accuracy ?? null },
      layer: run.hidden ? "hidden" : "output",
      sources: kinds.slice(0, n),
      names: layer.names,
      gamma: run.config.gamma ?? (C.family(state.config.model) ? engine.goalPreset(state.config.model, state.config.goal) : new Array(t).fill(0)),
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
    fields = new Float32Array(weights.flat());
    map = null;
    trace = run.trace?.steps
      ? run.trace.steps.map((s, i) => ({ step: s, med: run.trace.median[i], lo: run.trace.q10[i], hi: run.trace.q90[i] }))
      : [];
    goalTrace = [];
    viewing = run;
    selected = -1;
    render();
    $("run-state").textContent = `viewing ${name} — press reset to train this configuration`;
  }

  // ----- uploads ---------------------------------------------------------------------------
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
      useUpload(files.map((f) => f.name).join("+"), data);
    } catch (error) {
      alertBox(`Cannot use these files: ${error.message}`);
    }
  });

  function useUpload(name, data) {
    uploaded = { name, data };
    statsFresh = false;
    const sel = $("c-task");
    sel.querySelector("option[value=upload]")?.remove();
    sel.append(el("option", { value: "upload", text: `your data: ${name}` }));
    syncControls();
    reset();
  }

  function parseCsv(text) {
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

  // ----- the embedding API -------------------------------------------------------------------
  const latest = async () => {
    const gen = generation;
    const s = await worker.call("stats");
    if (s) {
      stats = JSON.parse(s);
      statsFresh = gen === generation;
    }
  };
  api.version = () => engine.version();
  api.defaultConfig = () => engine.defaultConfig();
  api.decompose = (table, gamma, pointwise = false) => engine.decompose(table, gamma, pointwise);
  api.getConfig = () => structuredClone(C.publicConfig(state));
  api.setConfig = (obj) => {
    if (typeof obj !== "object" || obj === null || Array.isArray(obj)) throw new Error("setConfig needs an object");
    const next = { config: { ...state.config }, activation: { ...state.activation }, page: state.page };
    // A goal drops a custom γ; gamma: null is skipped there, so it is cleared here.
    C.applyEntries(next, Object.entries(obj), { strict: true });
    if ("gamma" in obj && obj.gamma === null) next.config.gamma = null;
    return adopt(next);
  };
  api.play = () => setPlaying(true);
  api.pause = () => setPlaying(false);
  api.step = async (n = 1) => {
    if (!Number.isInteger(n) || n < 1 || n > 100000) throw new Error("step(n) needs a whole number n from 1 to 100000");
    await creating;
    setPlaying(false);
    await worker.call("step", { n });
    await latest();
    return api.stats();
  };
  api.reset = () => reset();
  // Test hook: simulates a GPU device loss (the run continues on the CPU engine).
  api.loseDevice = () => worker.call("lose-device");
  api.stats = () => {
    const s = stats ?? {};
    return {
      step: s.step ?? 0,
      epoch: s.epoch ?? 0,
      engine: s.engine === "webgpu" ? "webgpu" : "cpu",
      adapter: s.engine === "webgpu" ? s.adapter : null,
      webgpuAdapter: adapter,
      notices: [...(s.notices ?? [])],
      stepsPerSecond: s.steps_per_second ?? 0,
      playing,
      finished: !!s.finished,
      error: s.error ?? null,
      accuracy: { ...(s.accuracy ?? { train: null, val: null, test: null }) },
      goal: s.goal ?? null,
      names: s.names ?? [],
      gamma: s.gamma ?? [],
      meanAtoms: s.mean_atoms ?? [],
      atoms: (s.atoms ?? []).map((r) => r.slice()),
      metrics: s.metrics ?? [],
    };
  };

  // ----- go --------------------------------------------------------------------------------
  /**
   * Makes `next` the page's state (at startup, from a changed URL, setConfig, an imported
   * run, the fallback to the defaults): drops an uploaded data set, brings the controls,
   * the speed and the view in line with it and writes the URL; with `reset` (the default)
   * starts a session on it and returns that promise. `autoplay`: the page options are new
   * (a URL), so their autoplay applies.
   */
  function adopt(next, { reset: restart = true, autoplay = false } = {}) {
    state = next;
    dropUpload();
    statsFresh = false;
    if (autoplay && state.page.autoplay) wantPlay = true;
    hideControls();
    syncControls();
    syncSpeed();
    showView(state.page.view); // writes the URL
    return restart ? reset() : undefined;
  }

  window.addEventListener("hashchange", () => {
    if (location.hash === C.toHash(state)) return;
    const p = C.parseHash(location.hash);
    p.problems.forEach((m) => alertBox(`Link: ${m}`));
    adopt(p.state, { autoplay: true });
  });
  try {
    await adopt(state, { autoplay: true });
  } catch {
    // The alert is shown; fall back to the defaults (the page options stay, all but the
    // engine) so the page is never blank.
    const next = C.defaultState();
    next.page = { ...state.page, engine: next.page.engine };
    await adopt(next, { autoplay: true }).catch(() => {});
  }
  if (!stats) D.placeholder(ctx("heat"), "press play");
}
