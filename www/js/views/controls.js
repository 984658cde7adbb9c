// The configuration card: task, model, numbers, activation, and the goal editor (preset,
// γ sliders, JSON); the URL kept in step with the configuration.
import * as C from "../config.js";
import * as D from "../draw.js";
import { explain, sourceWords } from "../explain.js";
import { $, el, alertBox } from "../dom.js";
import { currentStats } from "../store.js";
import { REQ } from "../worker-client.js";

// Built-in tasks whose inputs are images (TaskData.image in src/tasks).
const IMAGE_TASKS = new Set(["bars", "bars-2d", "digits8", "mnist10k"]);

const MODEL_INFO = {
  context: "Hidden neurons: F = input, C = one-hot label (zero at test time).",
  lateral: "Hidden neurons: F = input, L = the other hidden neurons (two recurrent steps). Unsupervised.",
  trivariate: "Hidden neurons: F = input, C = label, L = other hidden neurons; 19 PID terms.",
  "trivariate-sparse": "As trivariate, each neuron sees k random lateral inputs.",
  feedback: "As trivariate, but C = the output layer's outputs of a first round.",
  "random-projection": "Baseline: a frozen random hidden layer of threshold units; only the output layer learns.",
  readout: "Baseline: no hidden layer; the output neurons see the input directly.",
  backprop: "Baseline: the trivariate architecture trained end to end by backpropagation.",
};

export function initControls(app) {
  const { store, worker } = app;
  const S = store.s;

  for (const [value, label] of C.TASKS) $("c-task").append(el("option", { value, text: label }));
  for (const [value, label] of C.MODELS) $("c-model").append(el("option", { value, text: label }));
  const numberKeys = Object.keys(C.NUMBERS);
  const BINNING_LABELS = { "": "model's own", fixed: "fixed [−20, 20]", "max-abs": "max-abs per batch" };
  for (const value of ["", ...C.HIDDEN_BINNINGS]) {
    $("c-hidden_binning").append(el("option", { value, text: BINNING_LABELS[value] ?? value }));
  }

  function hideControls() {
    const hide = S.state.page.hide;
    document.querySelectorAll("[data-hide]").forEach((e) => {
      e.hidden = hide.has(e.dataset.hide);
    });
    document.body.classList.toggle("embed", S.state.page.embed);
  }

  /** Drops the user's uploaded data set, and its entry in the task list. */
  function dropUpload() {
    store.update({ uploaded: null });
    $("c-task").querySelector("option[value=upload]")?.remove();
  }

  function activationKeys() {
    return C.family(S.state.config.model) === "trivariate" ? ["c1", "c2", "w1", "w2"] : ["k1", "k2"];
  }

  function renderActivation() {
    const { state } = S;
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
        const problems = C.applyEntries(S.state, [[key, input.value]]);
        problems.forEach((p) => alertBox(p));
        input.value = S.state.activation[key];
        updateUrl();
        worker.call(REQ.activation, { activation: { ...S.state.activation } }).catch((e) => alertBox(e.message));
      });
      box.append(el("label", {}, [document.createTextNode(key + " "), input]));
    }
    $("activation-info").textContent =
      C.family(state.config.model) === "trivariate"
        ? "A = r·((1−c1−c2) + c1·σ(w1·r·c) + c2·σ(w2·r·l)); applies while training."
        : "A = r·(k1 + (1−k1)·2σ(k2·r·c)); applies while training.";
  }

  function termLetters() {
    const s = currentStats(S);
    if (s?.sources && !S.viewing) return s.sources;
    return C.sourceLetters(S.state.config.model);
  }

  /** Whether the current task's input is an image: from its session's snapshot once there
   *  is one, else from the task (an uploaded IDX set is images; a CSV is known from its snapshot). */
  function isImageTask() {
    const s = currentStats(S);
    if (s) return !!s.image;
    return S.uploaded ? S.uploaded.data.kind === "idx" : IMAGE_TASKS.has(S.state.config.task);
  }

  let goalWords = null; // the source letters and words the goal editor's tooltips were written with
  const goalWordsKey = () => `${termLetters().join("")}|${isImageTask()}`;
  function currentGamma() {
    const c = S.state.config;
    if (!C.family(c.model)) return null;
    return c.gamma ?? C.goalPreset(c.model, c.goal);
  }

  function renderGoalEditor() {
    goalWords = goalWordsKey();
    const c = S.state.config;
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
    for (const g of C.goalsFor(c.model)) sel.append(el("option", { value: g, text: g }));
    sel.append(el("option", { value: "custom", text: "custom" }));
    sel.value = c.gamma ? "custom" : c.goal;
    const termNames = C.termNames(C.termCount(c.model) === 19 ? 3 : 2);
    const letters = termLetters();
    const words = sourceWords(c.model, isImageTask());
    const gamma = currentGamma();
    termNames.forEach((name, i) => {
      const label = D.displayName(name, letters);
      const tip = explain(name, letters, words);
      // The slider spans every γ the engine accepts (the catalog's limit, as URLs and
      // JSON do), so a shared γ = 3 shows as 3, not as the end of a shorter slider.
      const [min, max] = C.GAMMA_RANGE;
      const range = el("input", { type: "range", min: String(min), max: String(max), step: "0.01", "aria-label": `γ ${label}`, title: tip, dataset: { term: String(i) } });
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
  /** Rewrites the goal editor if a snapshot told more about the inputs (an upload, a run file). */
  function refreshGoalWords() {
    if (goalWords !== goalWordsKey()) renderGoalEditor();
  }

  let goalTimer = null;
  function setGamma(gamma, rerender = true) {
    S.state.config.gamma = gamma;
    $("c-goal").value = "custom";
    $("gamma-json").value = JSON.stringify({ gamma }, null, 0);
    if (rerender) renderGoalEditor();
    updateUrl();
    clearTimeout(goalTimer);
    goalTimer = setTimeout(() => worker.call(REQ.goal, { gamma }).catch((e) => alertBox(e.message)), 60);
  }

  /** Picks the goal preset `name` (dropping a custom γ, and a pending send of one). */
  function setPreset(name) {
    clearTimeout(goalTimer);
    S.state.config.goal = name;
    S.state.config.gamma = null;
    renderGoalEditor();
    updateUrl();
    worker.call(REQ.goal, { gamma: currentGamma() }).catch((e) => alertBox(e.message));
  }

  $("c-goal").addEventListener("change", () => {
    const v = $("c-goal").value;
    if (v === "custom") return;
    setPreset(v);
  });

  $("gamma-apply").addEventListener("click", () => {
    const msg = $("gamma-json-msg");
    const { state } = S;
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

  function syncControls() {
    const c = S.state.config;
    $("c-task").value = S.uploaded ? "upload" : c.task;
    $("c-model").value = c.model;
    for (const key of numberKeys) {
      const input = $(`c-${key}`);
      if (input) input.value = c[key];
    }
    $("c-hidden_binning").value = c.hidden_binning ?? "";
    // Only a hidden layer that learns with a goal bins its inputs.
    $("c-hidden_binning").disabled = !C.family(c.model) || c.model === "random-projection";
    $("row-sparse").hidden = c.model !== "trivariate-sparse" || S.state.page.hide.has("sparse");
    $("task-info").textContent = S.uploaded ? `Your data: ${S.uploaded.name}` : C.TASK_INFO[c.task] ?? "";
    $("model-info").textContent = MODEL_INFO[c.model] ?? "";
    renderActivation();
    renderGoalEditor();
  }

  $("c-task").addEventListener("change", () => {
    const v = $("c-task").value;
    if (v === "upload") return;
    dropUpload();
    S.state.config.task = v;
    if (v === "mnist10k" && S.state.config.batch < 256) S.state.config.batch = 256;
    changed();
  });
  $("c-model").addEventListener("change", () => {
    C.applyEntries(S.state, [["model", $("c-model").value]]).forEach((p) => alertBox(p));
    changed();
  });
  $("c-hidden_binning").addEventListener("change", () => {
    C.applyEntries(S.state, [["hidden_binning", $("c-hidden_binning").value]]).forEach((p) => alertBox(p));
    changed();
  });
  for (const key of numberKeys) {
    const input = $(`c-${key}`);
    if (!input) continue;
    input.addEventListener("change", () => {
      const problems = C.applyEntries(S.state, [[key, input.value]]);
      problems.forEach((p) => alertBox(p));
      changed();
    });
  }

  function changed() {
    store.update({ statsFresh: false });
    syncControls();
    updateUrl();
    app.reset();
  }

  function updateUrl() {
    const hash = C.toHash(S.state);
    if (location.hash !== hash) history.replaceState(null, "", hash);
  }

  Object.assign(app, { hideControls, dropUpload, syncControls, updateUrl, termLetters, isImageTask, currentGamma, refreshGoalWords });
}
