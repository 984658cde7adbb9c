// The playground page: wires the state store, the training worker, the views, the
// files in and out and the embedding API (window.infomorph). Each concept lives in its
// own module; this file only connects them and starts the first session.
import * as C from "./config.js";
import * as D from "./draw.js";
import { $, ctx, alertBox } from "./dom.js";
import { createStore, initialState } from "./store.js";
import { connectWorker, detectWebGpu } from "./worker-client.js";
import { initRun } from "./run.js";
import { initBadge } from "./views/badge.js";
import { initControls } from "./views/controls.js";
import { initCards } from "./views/cards.js";
import { initTransport } from "./views/transport.js";
import { initTabs } from "./views/tabs.js";
import { initIo } from "./io.js";
import { initApi } from "./api.js";
import { initEmbed } from "./views/embed.js";
import { initHost } from "./host.js";
import { initSearch } from "./views/search.js";
import { initGallery } from "./views/gallery.js";
import { registerOffline } from "./offline.js";

export async function start(engine, api, urls) {
  // The configuration tables (models, goals, tasks, terms, limits) come from the engine.
  C.init(engine.catalog());
  const parsed = C.parseHash(location.hash);
  for (const p of parsed.problems) alertBox(`Link: ${p}`);
  $("version").textContent = engine.version();

  const gpuPromise = detectWebGpu();
  const spawnWorker = () => new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
  const workerInit = { js: urls.js, wasm: urls.module ?? urls.wasm, threads: urls.threads ?? null };
  const worker = await connectWorker(spawnWorker, workerInit);
  const store = createStore(initialState(parsed.state));
  store.update({ adapter: await gpuPromise });

  // The page's parts register their actions on `app` (render, reset, adopt, …).
  const app = { store, worker, engine, spawnWorker, workerInit };
  initBadge(app);
  app.badge();
  initControls(app);
  initRun(app);
  initCards(app);
  initTransport(app);
  initTabs(app);
  initIo(app);
  initApi(app, api);
  initEmbed(app);
  initHost(app);
  initSearch(app);
  initGallery(app);

  const S = store.s;
  /**
   * Makes `next` the page's state (at startup, from a changed URL, setConfig, an imported
   * run, the fallback to the defaults): drops an uploaded data set, brings the controls,
   * the speed and the view in line with it and writes the URL; with `reset` (the default)
   * starts a session on it and returns that promise. `autoplay`: the page options are new
   * (a URL), so their autoplay applies.
   */
  app.adopt = function adopt(next, { reset: restart = true, autoplay = false } = {}) {
    store.update({ state: next });
    app.dropUpload();
    store.update({ statsFresh: false });
    if (autoplay && S.state.page.autoplay) store.update({ wantPlay: true });
    app.hideControls();
    app.syncControls();
    app.syncSpeed();
    app.showView(S.state.page.view); // writes the URL
    return restart ? app.reset() : undefined;
  };

  window.addEventListener("hashchange", () => {
    if (location.hash === C.toHash(S.state)) return;
    const p = C.parseHash(location.hash);
    p.problems.forEach((m) => alertBox(`Link: ${m}`));
    app.adopt(p.state, { autoplay: true });
  });
  try {
    await app.adopt(S.state, { autoplay: true });
  } catch {
    // The alert is shown; fall back to the defaults (the page options stay, all but the
    // engine) so the page is never blank.
    const next = C.defaultState();
    next.page = { ...S.state.page, engine: next.page.engine };
    await app.adopt(next, { autoplay: true }).catch(() => {});
  }
  if (!S.stats) D.placeholder(ctx("heat"), "press play");
  // Once the page is idle after its start (at most 3 s later), so that installing the
  // service worker and caching the files for offline use (9 MB) do not compete with
  // the page's first moments.
  const idle = window.requestIdleCallback ?? ((f) => setTimeout(f, 1000));
  idle(() => registerOffline(), { timeout: 3000 });
}
