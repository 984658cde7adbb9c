// The page's service worker: after a first visit the page works offline (a course
// room without network, a train). It keeps every file of one build in one cache and
// answers from it first, so a page, its JS modules and its wasm always come from the
// same build.
//
// BUILD lists that build's files and a version (a hash of their contents). It is
// written into the built copy of this file by scripts/sw-manifest.mjs, a trunk
// post_build hook (Trunk.toml), so every build that changes a file changes this file's
// bytes, and the browser, which compares them on each visit, installs the new worker.
// The new worker fills its own cache ("infomorph-<version>") and waits; the page
// (www/js/offline.js) offers a reload, which lets it take over. It then deletes the
// caches of older versions.
const BUILD = /* infomorph-build */ { version: "unbuilt", files: [], networkFirst: true } /* /infomorph-build */;

const PREFIX = "infomorph-";
const CACHE = PREFIX + BUILD.version;
const scope = self.registration.scope;
const INDEX = new URL("index.html", scope).href;

// MNIST-10k (7.8 MB) is cached after the page's own files and on a best-effort basis:
// a full disk or the user's data saver (Save-Data) leaves it out rather than leaving the
// page without offline use; it is then kept the first time a run fetches it.
const DATA = /^mnist10k\//;

self.addEventListener("install", (event) => {
  // "reload": straight from the server, not from the HTTP cache (which may still hold
  // the previous build's files under the same names, e.g. js/app.js).
  const requests = (files) => files.map((file) => new Request(new URL(file, scope), { cache: "reload" }));
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await cache.addAll(requests(BUILD.files.filter((f) => !DATA.test(f))));
      // A debug build's pages come from the network anyway: take over without asking.
      if (BUILD.networkFirst) self.skipWaiting();
      if (self.navigator.connection?.saveData) return;
      await cache.addAll(requests(BUILD.files.filter((f) => DATA.test(f)))).catch(() => {});
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
      }
      // The first visit's page is controlled at once (no reload needed to work offline).
      await self.clients.claim();
    })(),
  );
});

// The page asks the waiting worker to take over (the user accepted the reload), or
// which build it serves and how (on its MessageChannel port).
self.addEventListener("message", (event) => {
  if (event.data?.type === "activate") self.skipWaiting();
  if (event.data?.type === "build") event.ports[0]?.postMessage({ version: BUILD.version, networkFirst: BUILD.networkFirst });
});

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET" || !request.url.startsWith(scope)) return;
  // Any address of the page (the scope itself, index.html, a query) is index.html; the
  // configuration is in the hash, which requests do not carry.
  const key = request.mode === "navigate" ? INDEX : request;
  event.respondWith(answer(event, key).then(isolated));
});

/**
 * The response with the headers that make the page cross-origin isolated (COOP
 * same-origin, COEP require-corp), as a host may not send them: workers can then share
 * memory, and the training worker runs the threaded engine on all cores
 * (docs/architecture.md, "Threads in the page"). Everything the page loads is its own,
 * so require-corp blocks nothing. The page's first visit, before this worker controls
 * it, trains on one thread.
 */
function isolated(response) {
  if (response.type === "opaque" || response.type === "opaqueredirect" || response.status === 0) return response;
  const headers = new Headers(response.headers);
  headers.set("Cross-Origin-Opener-Policy", "same-origin");
  headers.set("Cross-Origin-Embedder-Policy", "require-corp");
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/**
 * From this build's cache; else from the network, kept for next time when it is ours.
 * A debug build (BUILD.networkFirst, scripts/serve.sh) asks the network first and the
 * cache only when that fails, so that a rebuilt page shows on the next reload.
 */
async function answer(event, key) {
  const { request } = event;
  const cache = await caches.open(CACHE);
  const cached = () => cache.match(key, { ignoreSearch: request.mode === "navigate" });
  if (BUILD.networkFirst) {
    try {
      return await fetch(request);
    } catch (error) {
      const hit = await cached();
      if (hit) return hit;
      throw error;
    }
  }
  const hit = await cached();
  if (hit) return hit;
  const response = await fetch(request);
  // Whole same-origin answers only (not a 206 range, not an error page).
  if (response.status === 200 && response.type === "basic") {
    event.waitUntil(cache.put(key, response.clone()).catch(() => {}));
  }
  return response;
}
