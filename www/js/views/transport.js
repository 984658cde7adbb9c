// Transport (play, step, reset, speed, the space key), pausing while the tab is hidden
// or the embedded frame is offscreen. (The view tabs are in tabs.js.)
import * as C from "../config.js";
import { $, alertBox } from "../dom.js";
import { REQ } from "../worker-client.js";

export function initTransport(app) {
  const { store, worker } = app;
  const S = store.s;

  $("play").addEventListener("click", () => app.setPlaying(!S.wantPlay));
  $("step").addEventListener("click", () =>
    app.api.step(1).catch((e) => {
      if (!e.replaced) alertBox(e.message);
    }),
  );
  $("reset").addEventListener("click", () => app.reset());
  let workerSpeed = null; // steps per second last sent to the worker
  /** Brings the speed select and the worker in line with state.page.speed. */
  function syncSpeed() {
    const sps = C.SPEEDS[S.state.page.speed];
    $("speed").value = String(sps);
    if (sps === workerSpeed) return;
    workerSpeed = sps;
    worker.call(REQ.speed, { stepsPerSecond: sps }).catch((e) => alertBox(e.message));
  }
  $("speed").addEventListener("change", () => {
    const name = Object.entries(C.SPEEDS).find(([, v]) => String(v) === $("speed").value)?.[0] ?? "fast";
    S.state.page.speed = name;
    syncSpeed();
    app.updateUrl();
  });
  document.addEventListener("keydown", (e) => {
    // A key a focused control already handled (a neuron picked with Space) is not play.
    if (e.code === "Space" && !e.defaultPrevented && !["INPUT", "TEXTAREA", "SELECT", "BUTTON"].includes(document.activeElement?.tagName)) {
      e.preventDefault();
      app.setPlaying(!S.wantPlay);
    }
  });

  // Pause when the tab is hidden or (embedded) the frame is scrolled offscreen.
  let onscreen = true;
  const updateVisible = () => {
    const v = document.visibilityState !== "hidden" && onscreen;
    if (v === S.visible) return;
    store.update({ visible: v });
    app.setPlaying(S.wantPlay);
  };
  document.addEventListener("visibilitychange", updateVisible);
  if ("IntersectionObserver" in window) {
    new IntersectionObserver((entries) => {
      onscreen = entries.some((e) => e.isIntersecting);
      updateVisible();
    }).observe(document.querySelector(".plots"));
  }

  Object.assign(app, { syncSpeed });
}
