// The view tabs (network, gate lab, goal search, experiments) as an ARIA tablist: each tab controls
// its tabpanel (index.html), only the selected tab is in the Tab order (roving
// tabindex), and the arrow keys, Home and End move between the visible tabs and show
// their views at once (the WAI-ARIA "automatic activation" pattern: showing a view is
// cheap). Tabs hidden by the page's options (`_hide=gatelab`) are skipped.
import { $ } from "../dom.js";
import { startGateLab } from "../gatelab.js";
import { VIEWS } from "../config.js";

export function initTabs(app) {
  const S = app.store.s;
  const tabs = () => [...document.querySelectorAll('[role="tablist"] [role="tab"]')];
  let gateStarted = false;

  /** Shows `view` (one of VIEWS), selects its tab and writes the URL. */
  function showView(view) {
    S.state.page.view = view;
    for (const v of VIEWS) $(`view-${v}`).hidden = v !== view;
    if (view === "search") app.openSearch?.();
    for (const tab of tabs()) {
      const selected = tab.dataset.view === view;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
    }
    if (view === "gate" && !gateStarted) {
      gateStarted = true;
      startGateLab(app.engine);
    }
    app.updateUrl();
    app.redrawStale();
  }

  for (const tab of tabs()) {
    tab.addEventListener("click", () => showView(tab.dataset.view));
    tab.addEventListener("keydown", (e) => {
      const visible = tabs().filter((t) => !t.hidden);
      const i = visible.indexOf(tab);
      const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: visible.length - 1 }[e.key];
      if (to === undefined || i < 0) return;
      e.preventDefault();
      const next = visible[(to + visible.length) % visible.length];
      showView(next.dataset.view);
      next.focus();
    });
  }

  Object.assign(app, { showView });
}
