// Offline use (www/sw.js, www/js/offline.js): after a first visit the page works with
// the network off, MNIST-10k included, and a new deployment is offered as a reload and
// replaces the old cache. The page is served from a copy of dist/ that the update test
// changes as a deployment would.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdtemp, readFile, appendFile, rm } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { serve, serveAndLaunch, watch, dist, root } from "./lib/serve.mjs";

let site;
let server;
let browser;

/** A fresh copy of dist/, which a test changes as a deployment would. */
async function copyOfDist() {
  const dir = await mkdtemp(path.join(os.tmpdir(), "infomorph-site-"));
  await cp(dist, dir, { recursive: true });
  return dir;
}

serveAndLaunch({ webgpu: false, dir: async () => (site = await copyOfDist()) }, (s, b) => ([server, browser] = [s, b]));

after(async () => {
  if (site) await rm(site, { recursive: true, force: true });
});

/** The build version and file list that scripts/sw-manifest.mjs wrote into sw.js. */
async function build() {
  const source = await readFile(path.join(site, "sw.js"), "utf8");
  return JSON.parse(source.match(/\/\* infomorph-build \*\/(.*)\/\* \/infomorph-build \*\//)[1]);
}

/** Opens the page in a fresh context and waits until the service worker controls it. */
async function firstVisit(hash = "") {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  const problems = watch(page);
  await page.goto(server.baseUrl + hash);
  await page.evaluate(() => window.infomorph.ready);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30_000 });
  // Installed means every file of the build is in its cache.
  await page.evaluate(() => navigator.serviceWorker.ready);
  return { context, page, problems };
}

test("the build lists every file of the page for the service worker", async () => {
  const { version, files, networkFirst } = await build();
  assert.match(version, /^[0-9a-f]{16}$/);
  assert.equal(networkFirst, false, "a release build answers from its cache first");
  for (const want of ["index.html", "boot.js", "js/app.js", "js/worker.js", "mnist10k/images-idx3-ubyte", "mnist10k/labels-idx1-ubyte"]) {
    assert.ok(files.includes(want), `${want} missing from ${files.join(" ")}`);
  }
  assert.ok(files.some((f) => /^infomorph-[0-9a-f]+_bg\.wasm$/.test(f)), "the wasm");
  assert.ok(files.some((f) => /^infomorph-[0-9a-f]+\.js$/.test(f)), "the wasm-bindgen glue");
  // The threaded engine (scripts/build-threads.sh): its glue, wasm and rayon's worker script.
  for (const want of [/^threads-[0-9a-f]{16}\/infomorph\.js$/, /^threads-[0-9a-f]{16}\/infomorph_bg\.wasm$/, /^threads-[0-9a-f]{16}\/snippets\/.*workerHelpers.*\.js$/]) {
    assert.ok(files.some((f) => want.test(f)), `${want} missing from ${files.join(" ")}`);
  }
  assert.ok(!files.includes("sw.js"), "the worker does not cache itself");
});

test("after a first visit the page works offline: reload, a goal search, a new tab training MNIST-10k, no console error", async () => {
  const { context, page, problems } = await firstVisit();
  const { version } = await build();
  assert.deepEqual(await page.evaluate(() => caches.keys()), [`infomorph-${version}`]);
  const before = server.requests.length;

  await context.setOffline(true);
  assert.equal(await page.evaluate(() => navigator.onLine), false);
  // A reload: the page, its modules, the wasm and the training worker's glue.
  await page.reload();
  await page.evaluate(() => window.infomorph.ready);
  assert.equal(await page.getAttribute("html", "data-engine"), "ready");
  assert.equal((await page.evaluate(() => window.infomorph.step(2))).step, 2);
  assert.equal(await page.locator("#view-network").isVisible(), true);
  assert.notEqual(await page.textContent("#stepcount"), "0");
  // The goal search's trials run in workers of their own, started now: from the cache.
  const search = await page.evaluate(() => window.infomorph.search({ trials: 1, epochs: 1, workers: 1 }));
  assert.equal(search.trials.length, 1);
  assert.ok(Number.isFinite(search.trials[0].value), JSON.stringify(search.trials[0]));
  // A new tab opened on a link (the configuration is in the hash) trains MNIST-10k.
  const tab = await context.newPage();
  const tabProblems = watch(tab);
  await tab.goto(server.baseUrl + "#v=1&task=mnist10k&model=context&hidden=8&batch=256");
  await tab.evaluate(() => window.infomorph.ready);
  const s = await tab.evaluate(() => window.infomorph.step(2));
  assert.equal(s.step, 2);
  assert.equal((await tab.evaluate(() => window.infomorph.getConfig())).task, "mnist10k");
  // The receptive fields show 28×28 images: MNIST-10k's, from the cache.
  assert.match(await tab.textContent("#fields-hint"), /28×28 images/);
  assert.equal(server.requests.length, before, `offline, yet the server was asked for ${server.requests.slice(before)}`);
  assert.deepEqual([...problems, ...tabProblems], []);
  await context.close();
});

test("a new deployment is offered as a reload, then served, and the old cache is gone", async () => {
  const { context, page, problems } = await firstVisit();
  // A second tab of the page stays open through the update.
  const other = await context.newPage();
  const otherProblems = watch(other);
  await other.goto(server.baseUrl + "#v=1&view=gate");
  await other.evaluate(() => window.infomorph.ready);
  const old = (await build()).version;
  // Deploy: one module changes, and the build step rewrites the worker's file list.
  await appendFile(path.join(site, "js/dom.js"), "\nglobalThis.infomorphTestDeployment = 2;\n");
  execFileSync(process.execPath, [path.join(root, "scripts/sw-manifest.mjs"), site], { stdio: "pipe" });
  const next = (await build()).version;
  assert.notEqual(next, old);

  // The next visit still runs the old build (from its cache) and offers the new one.
  await page.reload();
  await page.evaluate(() => window.infomorph.ready);
  assert.equal(await page.evaluate(() => globalThis.infomorphTestDeployment), undefined);
  await page.locator("#update-ready").waitFor({ timeout: 30_000 });
  assert.match(await page.textContent("#update-ready"), /A new version of this page is ready/);
  await Promise.all([page.waitForEvent("load"), page.click("#update-reload")]);
  await page.evaluate(() => window.infomorph.ready);
  assert.equal(await page.evaluate(() => globalThis.infomorphTestDeployment), 2);
  assert.deepEqual(await page.evaluate(() => caches.keys()), [`infomorph-${next}`]);
  assert.equal(await page.locator("#update-ready").count(), 0);

  // The other tab runs the old code under the new worker: it says so, and its reload
  // brings the new version.
  await other.locator("#update-ready", { hasText: /updated in another tab/ }).waitFor({ timeout: 10_000 });
  assert.equal(await other.evaluate(() => globalThis.infomorphTestDeployment), undefined);
  await Promise.all([other.waitForEvent("load"), other.click("#update-reload")]);
  await other.evaluate(() => window.infomorph.ready);
  assert.equal(await other.evaluate(() => globalThis.infomorphTestDeployment), 2);
  assert.equal(await other.locator("#view-gate").isVisible(), true);
  assert.deepEqual([...problems, ...otherProblems], []);
  await context.close();
});

test("a debug build (scripts/serve.sh) asks the network first: a rebuild shows on reload, offline still works", async () => {
  const dir = await copyOfDist();
  const manifest = (extra = {}) =>
    execFileSync(process.execPath, [path.join(root, "scripts/sw-manifest.mjs"), dir], { env: { ...process.env, TRUNK_PROFILE: "debug", ...extra }, stdio: "pipe" });
  manifest();
  const debugServer = await serve({ dir });
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = watch(page);
  try {
    await page.goto(debugServer.baseUrl);
    await page.evaluate(() => window.infomorph.ready);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30_000 });
    await page.evaluate(() => navigator.serviceWorker.ready);
    // A rebuild: the next reload runs it at once, and nothing asks for a second reload.
    await appendFile(path.join(dir, "js/dom.js"), "\nglobalThis.infomorphTestDeployment = 3;\n");
    manifest();
    await page.reload();
    await page.evaluate(() => window.infomorph.ready);
    assert.equal(await page.evaluate(() => globalThis.infomorphTestDeployment), 3);
    await page.waitForFunction(async () => (await caches.keys()).length === 1 && navigator.serviceWorker.controller !== null, null, { timeout: 30_000 });
    await page.waitForTimeout(2500);
    assert.equal(await page.locator("#update-ready").count(), 0, "no update notice in a debug build");
    // Offline, the cache answers.
    await context.setOffline(true);
    await page.reload();
    await page.evaluate(() => window.infomorph.ready);
    assert.equal(await page.evaluate(() => globalThis.infomorphTestDeployment), 3);
    assert.equal((await page.evaluate(() => window.infomorph.step(1))).step, 1);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    await debugServer.close();
    await rm(dir, { recursive: true, force: true });
  }
});
