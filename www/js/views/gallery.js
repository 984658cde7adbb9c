// The experiments gallery (issue 13): the curated experiments of the engine's catalog
// (src/experiments.rs, nothing copied here) as cards in their own view; "Open" loads
// one's configuration, shows the network view and, above the live views, the
// experiment's text and claim. While it runs, the worker evaluates the claim on the run
// so far (the same `experiments::check` that tests/experiments.rs asserts) at most once
// a second, and the panel shows the measured value against the threshold; on the
// finished run it is the claim's verdict ("Claim met"), and the first time a run meets
// it an embedding page gets a `claim` event. The panel carries no `data-hide`: it stays
// in embed mode.
import * as C from "../config.js";
import { $, el } from "../dom.js";
import { REQ } from "../worker-client.js";
import { postToHost } from "../host.js";

/** The shortest gap between two claim requests (ms). */
const POLL_MS = 1000;

const fmt = (v) => (Number.isFinite(v) ? String(+v.toPrecision(4)) : "–");

/** Sets an element's text only when it changes (no needless mutations). */
const setText = (node, text) => {
  if (node.textContent !== text) node.textContent = text;
};

/** "≥ 0.90" / "≤ 0.05" for a claim's comparison. */
const bound = (claim) => `${claim.comparison === "at-most" ? "≤" : "≥"} ${fmt(claim.threshold)}`;

export function initGallery(app) {
  const { store, worker } = app;
  const S = store.s;
  const list = $("gallery-list");
  // The experiment/generation whose met claim was posted to the host (once per run).
  let metPosted = null;

  for (const e of C.CATALOG.experiments) {
    const open = el("button", { class: "primary", text: "Open", "aria-label": `Open ${e.title}` });
    open.addEventListener("click", () => app.openExperiment(e.name));
    list.append(
      el("article", { class: "card experiment", "data-experiment": e.name }, [
        el("header", {}, [el("h3", { text: e.title })]),
        el("p", { text: e.text }),
        el("p", { class: "claim" }, [el("strong", { text: "Claim: " }), document.createTextNode(`${e.claim.text} (${bound(e.claim)})`)]),
        el("p", { class: "hint", text: `${e.config.task}, ${e.config.model}, ${e.config.hidden} neuron${e.config.hidden === 1 ? "" : "s"}, ${e.config.epochs} epochs` }),
        open,
      ]),
    );
  }

  /** Opens experiment `name`: its configuration, the network view, its panel. */
  app.openExperiment = (name) => {
    const e = C.experimentByName(name);
    if (!e) throw new Error(`unknown experiment '${name}' (known: ${C.CATALOG.experiments.map((x) => x.name).join(", ")})`);
    const next = C.defaultState();
    next.page = { ...S.state.page, view: "network", hide: S.state.page.hide };
    C.applyExperiment(next, e);
    return app.adopt(next);
  };

  // The claim's live status: the worker evaluates it on the run so far (its last
  // finished epoch) at most once a second, and once more when the run has finished,
  // when its verdict counts. One request at a time; `last` is what was last asked.
  let last = { key: null, epoch: -1, finished: false, at: -Infinity };
  let inFlight = false;
  let timer = null;

  /** Shows the panel of the open experiment (or hides it) and its claim's status. */
  function render() {
    const e = C.currentExperiment(S.state);
    const panel = $("experiment-panel");
    panel.hidden = !e;
    if (!e) return;
    $("experiment-title").textContent = e.title;
    $("experiment-text").textContent = e.text;
    $("experiment-claim").textContent = `${e.claim.text} (${bound(e.claim)})`;
    const s = S.statsFresh && !S.viewing ? S.stats : null;
    const status = $("experiment-status");
    if (!s || !(s.epoch > 0 || s.finished)) {
      if (status.dataset.live !== "true") {
        setText(status, S.playing ? "Running: the claim's measured value shows from the first epoch on." : "Press play: the claim's measured value shows from the first epoch on.");
      }
      return;
    }
    poll(e, s);
  }

  /** Asks the worker for the claim on the run so far, if due (new epoch, ≥ 1 s since the last ask, or the end). */
  function poll(e, s) {
    const key = `${e.name}/${S.generation}`;
    if (inFlight || timer) return;
    const fresh = last.key !== key;
    if (!fresh && last.finished) return;
    if (!fresh && !s.finished && s.epoch <= last.epoch) return;
    const wait = fresh || s.finished ? 0 : last.at + POLL_MS - performance.now();
    if (wait > 0) {
      timer = setTimeout(() => {
        timer = null;
        render();
      }, wait);
      return;
    }
    ask(e, key);
  }

  async function ask(e, key) {
    inFlight = true;
    last = { key, epoch: last.key === key ? last.epoch : -1, finished: last.key === key && last.finished, at: performance.now() };
    const status = $("experiment-status");
    try {
      const out = await worker.call(REQ.claim, { experiment: e.name });
      if (key !== `${C.currentExperiment(S.state)?.name}/${S.generation}`) return;
      last.epoch = out.epoch;
      last.finished = out.finished;
      status.dataset.live = "true";
      status.dataset.value = String(out.value);
      const measured = `measured ${fmt(out.value)} (claim ${bound(e.claim)})`;
      if (!out.finished) {
        delete status.dataset.met;
        setText(status, `Epoch ${out.epoch} of ${e.config.epochs}: ${measured}; ${out.met ? "holds so far" : "not yet"}. The claim counts when the run has finished.`);
        return;
      }
      status.dataset.met = String(out.met);
      const verdict = out.met ? `Claim met: ${measured}.` : `Claim not met on this run: ${measured}.`;
      setText(status, verdict);
      setText($("experiment-verdict"), verdict);
      if (out.met && metPosted !== key) {
        metPosted = key;
        postToHost("claim", { experiment: e.name, value: out.value, threshold: out.threshold, met: true, epoch: out.epoch });
      }
    } catch (error) {
      if (key === `${C.currentExperiment(S.state)?.name}/${S.generation}`) setText(status, `The claim could not be checked: ${error.message}`);
    } finally {
      inFlight = false;
      // Stats that arrived meanwhile may be due a newer value.
      if (key === `${C.currentExperiment(S.state)?.name}/${S.generation}`) render();
    }
  }

  store.subscribe((s, keys) => {
    if (["state", "stats", "statsFresh", "generation", "playing"].some((k) => keys.includes(k))) {
      if (keys.includes("state") || keys.includes("generation")) {
        // A new configuration or run: no value yet.
        clearTimeout(timer);
        timer = null;
        last = { key: null, epoch: -1, finished: false, at: -Infinity };
        const status = $("experiment-status");
        for (const k of ["met", "live", "value"]) delete status.dataset[k];
        setText($("experiment-verdict"), "");
      }
      render();
    }
  });
  render();
}
