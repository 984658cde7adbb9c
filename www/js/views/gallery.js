// The experiments gallery (issue 13): the curated experiments of the engine's catalog
// (src/experiments.rs, nothing copied here) as cards in their own view; "Open" loads
// one's configuration, shows the network view and, above the live views, the
// experiment's text and claim. When its run has finished, the worker evaluates the
// claim on it (the same `experiments::check` that tests/experiments.rs asserts) and the
// panel shows the measured value; the first time it holds, an embedding page gets a
// `claim` event. The panel carries no `data-hide`: it stays in embed mode.
import * as C from "../config.js";
import { $, el } from "../dom.js";
import { REQ } from "../worker-client.js";
import { postToHost } from "../host.js";

const fmt = (v) => (Number.isFinite(v) ? String(+v.toPrecision(4)) : "–");

/** "≥ 0.90" / "≤ 0.05" for a claim's comparison. */
const bound = (claim) => `${claim.comparison === "at-most" ? "≤" : "≥"} ${fmt(claim.threshold)}`;

export function initGallery(app) {
  const { store, worker } = app;
  const S = store.s;
  const list = $("gallery-list");
  // Claims already evaluated, by experiment and session generation (one request per run).
  let asked = null;
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

  /** Shows the panel of the open experiment (or hides it) and its claim's status. */
  function render() {
    const e = C.currentExperiment(S.state);
    const panel = $("experiment-panel");
    panel.hidden = !e;
    if (!e) return;
    $("experiment-title").textContent = e.title;
    $("experiment-text").textContent = e.text;
    $("experiment-claim").textContent = `${e.claim.text} (${bound(e.claim)})`;
    const s = S.statsFresh ? S.stats : null;
    const status = $("experiment-status");
    if (!s) status.textContent = "Press play: the claim is checked when the run has finished.";
    else if (!s.finished) status.textContent = `Running: epoch ${s.epoch} of ${e.config.epochs}; the claim is checked when the run has finished.`;
    else checkClaim(e, s);
  }

  async function checkClaim(e, s) {
    const key = `${e.name}/${S.generation}`;
    if (asked === key) return;
    asked = key;
    const status = $("experiment-status");
    status.textContent = "Checking the claim…";
    try {
      const out = await worker.call(REQ.claim, { experiment: e.name });
      if (asked !== key) return;
      status.dataset.met = String(out.met);
      status.textContent = out.met
        ? `Claim met: measured ${fmt(out.value)} (${bound(e.claim)}).`
        : `Claim not met on this run: measured ${fmt(out.value)} (${bound(e.claim)}).`;
      if (out.met && metPosted !== key) {
        metPosted = key;
        postToHost("claim", { experiment: e.name, value: out.value, threshold: out.threshold, met: true, epoch: s.epoch });
      }
    } catch (error) {
      if (asked === key) status.textContent = `The claim could not be checked: ${error.message}`;
    }
  }

  store.subscribe((s, keys) => {
    if (keys.includes("state") || keys.includes("stats") || keys.includes("statsFresh")) {
      if (keys.includes("state")) {
        asked = null;
        delete $("experiment-status").dataset.met;
      }
      render();
    }
  });
  render();
}
