// The training worker's protocol under races and failures (www/js/worker.js,
// worker-client.js): a reset while a step is still running on the old session, and a
// Rust panic inside the engine (the page names it, restarts the worker, and a reset
// trains again).
import { test } from "node:test";
import assert from "node:assert/strict";
import { serveAndLaunch, open } from "./lib/serve.mjs";

let server;
let browser;

serveAndLaunch({ webgpu: true }, (s, b) => ([server, browser] = [s, b]));

/** step(20) left running, then reset() and step(3): the new session's count is its own. */
async function resetDuringStep(page) {
  return page.evaluate(async () => {
    const api = window.infomorph;
    const first = api.step(20).then(
      (s) => ({ step: s.step }),
      (e) => ({ error: e.message }),
    );
    // Let the worker start ticking the old session.
    await new Promise((r) => setTimeout(r, 150));
    await api.reset();
    const s = await api.step(3);
    const after = await api.step(2);
    return { step: s.step, after: after.step, first: await first, engine: s.engine };
  });
}

for (const [engine, hash] of [
  // engine=gpu: "auto" leaves a software adapter (SwiftShader here) to the CPU engine.
  ["webgpu", "#v=1&task=bars&model=lateral&hidden=16&engine=gpu"],
  // A slow CPU config, so that the old session's tick is still running at the reset.
  ["cpu", "#v=1&task=digits8&model=trivariate&hidden=100&batch=1024&engine=cpu"],
]) {
  test(`${engine} engine: a reset while step(20) runs; step(3) counts only the new session's steps`, async () => {
    const { page, problems } = await open(browser, server.baseUrl + hash);
    const r = await resetDuringStep(page);
    assert.equal(r.engine, engine);
    assert.equal(r.step, 3, JSON.stringify(r));
    assert.equal(r.after, 5, JSON.stringify(r));
    // The replaced request ends: failed (its session is gone) or finished before the reset.
    assert.ok(r.first.error ? /replaced/.test(r.first.error) : r.first.step <= 20, JSON.stringify(r.first));
    assert.equal(await page.locator("#alerts [role=alert]").count(), 0);
    assert.deepEqual(problems, []);
    await page.close();
  });
}

test("a Rust panic in the worker: an alert names it, the worker restarts, reset trains again", async () => {
  const { page, problems } = await open(browser, server.baseUrl + "#v=1&task=bars&model=lateral&hidden=8");
  assert.equal((await page.evaluate(() => window.infomorph.step(2))).step, 2);
  await page.evaluate(() => window.infomorph.debugPanic());
  const alert = page.locator("#alerts [role=alert]", { hasText: "panicked" });
  await alert.waitFor({ timeout: 10_000 });
  const text = await alert.textContent();
  assert.match(text, /debugPanic: a panic on purpose/, text);
  assert.match(text, /src\/web\/mod\.rs/, text);
  assert.equal((await page.evaluate(() => window.infomorph.stats())).playing, false);
  await page.evaluate(() => window.infomorph.reset());
  const s = await page.evaluate(() => window.infomorph.step(3));
  assert.equal(s.step, 3);
  assert.equal(s.atoms.length, 8);
  // The panic's own console output (console_error_panic_hook) is expected; nothing else.
  assert.deepEqual(problems.filter((p) => !/panicked at|debugPanic|unreachable/.test(p)), []);
  await page.close();
});
