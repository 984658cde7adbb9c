// Offline use: registers the service worker (www/sw.js), which caches the page's files
// of one build, and offers a reload when a newer build has been installed beside the
// one that runs (the new worker waits until the page agrees, so a running training is
// never replaced under the user's hands).
import { alertBox, el } from "./dom.js";

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
  const offer = (worker) => {
    if (document.getElementById("update-ready")) return;
    const box = alertBox("A new version of this page is ready.", "info");
    box.id = "update-ready";
    const reload = el("button", { id: "update-reload", text: "Reload" });
    reload.addEventListener("click", () => {
      asked = true;
      worker.postMessage({ type: "activate" });
    });
    box.querySelector(".close").before(reload);
  };
  // The new worker has taken over because the user asked: load the page it serves.
  // (On a first visit the worker also takes over, with no reload wanted.)
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (asked) location.reload();
  });
  const offerWhenInstalled = (worker) => {
    if (!worker) return;
    const check = () => {
      if (worker.state === "installed" && navigator.serviceWorker.controller) offer(worker);
    };
    check();
    worker.addEventListener("statechange", check);
  };
  // An update may have started before this code ran (the browser checks on every visit).
  offerWhenInstalled(registration.waiting ?? registration.installing);
  registration.addEventListener("updatefound", () => offerWhenInstalled(registration.installing));
  return registration;
}
