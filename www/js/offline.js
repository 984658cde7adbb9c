// Offline use: registers the service worker (www/sw.js), which caches the page's files
// of one build, and offers a reload when a newer build has been installed beside the
// one that runs (the new worker waits until the page agrees, so a running training is
// never replaced under the user's hands).
import { alertBox, el } from "./dom.js";

/** The build a service worker serves, {version, networkFirst}, or null if it does not say. */
function buildOf(worker) {
  if (!worker) return Promise.resolve(null);
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = (event) => resolve(event.data);
    setTimeout(() => resolve(null), 2000);
    worker.postMessage({ type: "build" }, [channel.port2]);
  });
}

/**
 * Registers ../sw.js (its scope is the page's folder, so the page works from any
 * sub-path). Resolves to the registration, or null where service workers are not
 * available (a file:// page, a non-secure origin, some private modes).
 */
export async function registerOffline() {
  if (!("serviceWorker" in navigator)) return null;
  let registration;
  try {
    registration = await navigator.serviceWorker.register(new URL("../sw.js", import.meta.url));
  } catch (error) {
    // The page works as before, only not offline: say so without an error.
    console.warn(`offline use is not available: ${error.message}`);
    return null;
  }
  if (!registration) return null; // an automated browser that blocks service workers
  let asked = false;
  const hadController = navigator.serviceWorker.controller !== null;
  /** The update notice; its button lets `worker` take over, or (none) just reloads. */
  const offer = (worker, text = "A new version of this page is ready.") => {
    document.getElementById("update-ready")?.remove();
    const box = alertBox(text, "info");
    box.id = "update-ready";
    const reload = el("button", { id: "update-reload", text: "Reload" });
    reload.addEventListener("click", () => {
      asked = true;
      // Waiting: it takes over, then controllerchange reloads. Already in charge (another
      // tab let it): only this tab is behind.
      if (worker?.state === "installed") worker.postMessage({ type: "activate" });
      else location.reload();
    });
    box.querySelector(".close").before(reload);
  };
  navigator.serviceWorker.addEventListener("controllerchange", async () => {
    // The new worker has taken over because the user asked here: load what it serves.
    if (asked) location.reload();
    // Another tab's reload let a new version take over; this tab still runs the old
    // code, which the new cache no longer holds (a later search worker would be the
    // new version's): say so. On a first visit the worker takes over silently, and a
    // debug build's worker (network first, scripts/serve.sh) always does.
    else if (hadController && !(await buildOf(navigator.serviceWorker.controller))?.networkFirst) {
      offer(null, "This page was updated in another tab: reload to use the new version.");
    }
  });
  const offerWhenInstalled = (worker) => {
    if (!worker) return;
    const check = async () => {
      if (worker.state !== "installed" || !navigator.serviceWorker.controller || document.getElementById("update-ready")) return;
      if (!(await buildOf(worker))?.networkFirst) offer(worker);
    };
    check();
    worker.addEventListener("statechange", check);
  };
  // An update may have started before this code ran (the browser checks on every visit).
  offerWhenInstalled(registration.waiting ?? registration.installing);
  registration.addEventListener("updatefound", () => offerWhenInstalled(registration.installing));
  return registration;
}
