// The page's threaded engine (scripts/build-threads.sh, docs/architecture.md "Threads in
// the page"): on a cross-origin isolated page the training worker runs the step's loops
// on a pool of Web Workers, and trains to the very numbers of the single-threaded engine
// (every sum has a fixed order, whatever the threads); elsewhere it trains on one thread
// and the engine badge says why.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { serve, launch, open, watch, csp } from "./lib/serve.mjs";

let isolated;
let plain;
let browser;

before(async () => {
  isolated = await serve({ isolated: true });
  plain = await serve();
  browser = await launch({ webgpu: false });
});
after(async () => {
  await browser?.close();
  await isolated?.close();
  await plain?.close();
});

// Sparse lateral inputs (PID of three sources, the sparse products in tiles), two epochs of MNIST-10k.
const HASH = "#v=1&task=mnist10k&model=trivariate-sparse&goal=optimized&hidden=120&batch=256&epochs=2&seed=3&engine=cpu";

/** Trains HASH to its end; returns the engine badge, isolation and the epoch metrics without their timings. */
async function train(server) {
  const { page, problems } = await open(browser, server.baseUrl + HASH);
  await page.evaluate(() => window.infomorph.play());
  await page.waitForFunction(() => window.infomorph.stats().finished, null, { timeout: 180_000 });
  const r = await page.evaluate(() => ({
    isolated: self.crossOriginIsolated,
    cores: navigator.hardwareConcurrency,
    badge: document.getElementById("engine-status").textContent,
    title: document.getElementById("engine-badge").title,
    stats: window.infomorph.stats(),
  }));
  await page.close();
  assert.deepEqual(problems, []);
  assert.equal(r.stats.error, null);
  assert.equal(r.stats.engine, "cpu");
  // Wall times and rates differ from run to run; everything else is the same bits.
  const metrics = r.stats.metrics.map(({ seconds, steps_per_second, ...m }) => m);
  return { ...r, metrics };
}

test("a cross-origin isolated page trains on a pool of threads, to the single-threaded page's numbers", async () => {
  const threaded = await train(isolated);
  const single = await train(plain);
  assert.equal(threaded.isolated, true);
  assert.ok(threaded.cores >= 2, `this test needs two cores, the browser reports ${threaded.cores}`);
  const threads = Math.min(threaded.cores, 8);
  assert.equal(threaded.badge, `CPU engine · ${threads} threads`);
  assert.equal(single.isolated, false);
  assert.equal(single.badge, "CPU engine");
  assert.match(single.title, /one thread: the page is not cross-origin isolated/);
  assert.equal(threaded.metrics.length, 2);
  for (const m of threaded.metrics) console.log(`# epoch ${m.epoch}: test ${m.test_accuracy.toFixed(4)} on ${threads} threads`);
  // Bit for bit: accuracies, every atom, the step counts.
  assert.deepEqual(threaded.metrics, single.metrics);
  assert.ok(threaded.metrics[1].test_accuracy > 0.5, `trained: test accuracy ${threaded.metrics[1].test_accuracy}`);
});

test("on a host that sends no COOP/COEP, the service worker adds them: from the second visit on, threads", async () => {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  const problems = watch(page);
  await page.goto(plain.baseUrl + "#v=1&task=bars&engine=cpu");
  await page.evaluate(() => window.infomorph.ready);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30_000 });
  const first = await page.evaluate(() => ({ isolated: self.crossOriginIsolated, badge: document.getElementById("engine-status").textContent }));
  assert.deepEqual(first, { isolated: false, badge: "CPU engine" });
  await page.reload();
  await page.evaluate(() => window.infomorph.ready);
  await page.evaluate(() => window.infomorph.step(5));
  const second = await page.evaluate(() => ({ isolated: self.crossOriginIsolated, badge: document.getElementById("engine-status").textContent }));
  assert.equal(second.isolated, true);
  assert.match(second.badge, /^CPU engine · [0-9]+ threads$/);
  assert.deepEqual(problems, []);
  await context.close();
});

test("a Rust panic on a thread of the pool: an alert names it, the worker restarts, reset trains again on threads", async () => {
  const { page, problems } = await open(browser, isolated.baseUrl + "#v=1&task=bars&model=lateral&hidden=8&engine=cpu");
  assert.equal((await page.evaluate(() => window.infomorph.step(2))).step, 2);
  await page.evaluate(() => window.infomorph.debugPanic(true));
  const alert = page.locator("#alerts [role=alert]", { hasText: "panicked" });
  await alert.waitFor({ timeout: 10_000 });
  const text = await alert.textContent();
  assert.match(text, /a panic on purpose on a pool thread/, text);
  assert.match(text, /src\/web\/mod\.rs/, text);
  await page.evaluate(() => window.infomorph.reset());
  const s = await page.evaluate(() => window.infomorph.step(3));
  assert.equal(s.step, 3);
  assert.match(await page.locator("#engine-status").textContent(), /threads$/);
  // The panic's own console output (console_error_panic_hook) is expected; nothing else.
  assert.deepEqual(problems.filter((p) => !/panicked at|debugPanic|unreachable/.test(p)), []);
  await page.close();
});

test("a pool that cannot start (a policy that refuses blob workers): the plain engine trains, and the badge says why", async () => {
  const strict = await serve({ isolated: true, policy: csp.replace("worker-src 'self' blob:", "worker-src 'self'") });
  try {
    const { page, problems } = await open(browser, strict.baseUrl + "#v=1&task=bars&model=lateral&hidden=8&engine=cpu");
    assert.equal((await page.evaluate(() => window.infomorph.step(3))).step, 3);
    assert.equal(await page.evaluate(() => self.crossOriginIsolated), true);
    assert.equal(await page.locator("#engine-status").textContent(), "CPU engine");
    assert.match(await page.locator("#engine-badge").getAttribute("title"), /one thread: the threaded engine did not start/);
    // The refused workers are the browser's own report (a CSP violation); nothing else.
    console.log(`# ${problems.join(" | ")}`);
    assert.deepEqual(problems.filter((p) => !/Content Security Policy|worker-src/.test(p)), []);
    await page.close();
  } finally {
    await strict.close();
  }
});
