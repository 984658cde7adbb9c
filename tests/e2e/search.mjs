// Goal search in the page: a 12-trial TPE search on the `and` task runs in its own
// workers (CPU engine) in under a minute with the main thread never stalled for 500 ms;
// its study is the one in tests/fixtures (which tests/cli_search.rs continues with
// `infomorph search --resume`, so a study moves between the page and the command line);
// its best goal, applied, trains to the same validation accuracy; a stopped search
// keeps its finished trials. INFOMORPH_WRITE_FIXTURES=1 rewrites the fixture.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { serveAndLaunch, open, root } from "./lib/serve.mjs";

const fixture = path.join(root, "tests/fixtures/page-search-and-context-t12-b2.jsonl");
const hash = "#v=1&task=and&model=context&hidden=4&batch=64&seed=0&engine=cpu";

let server;
let browser;

serveAndLaunch({ webgpu: false }, (s, b) => ([server, browser] = [s, b]));

/** Starts recording the longest gap between 20 ms timer ticks of the main thread. */
const watchStalls = (page) =>
  page.evaluate(() => {
    window.__gap = 0;
    let last = performance.now();
    window.__ticker = setInterval(() => {
      const now = performance.now();
      window.__gap = Math.max(window.__gap, now - last);
      last = now;
    }, 20);
  });

test("a 12-trial search runs off the main thread, matches the fixture, and its best goal reproduces", async () => {
  const { page, problems } = await open(browser, server.baseUrl + hash);
  await page.evaluate(() => window.infomorph.pause());
  await watchStalls(page);
  const t0 = Date.now();
  const result = await page.evaluate(() =>
    window.infomorph.search({ trials: 12, epochs: 2, sampler: "tpe", seed: 0, startup: 4, workers: 2 }),
  );
  const seconds = (Date.now() - t0) / 1000;
  const gap = await page.evaluate(() => window.__gap);
  console.log(`# 12 trials in ${seconds.toFixed(1)} s; longest main-thread gap ${gap.toFixed(0)} ms; best ${result.best.value} at trial ${result.best.trial}`);
  assert.ok(seconds < 60, `the search took ${seconds} s`);
  assert.ok(gap < 500, `the main thread stalled for ${gap} ms`);
  assert.equal(result.trials.length, 12);
  assert.deepEqual(result.trials.map((t) => t.trial), [...Array(12).keys()]);
  assert.ok(result.trials.every((t) => t.state === "complete" && t.batch === 2));
  assert.equal(result.best.value, Math.max(...result.trials.map((t) => t.value)));

  const lines = await page.evaluate(() => window.infomorph.searchLines());
  if (process.env.INFOMORPH_WRITE_FIXTURES) await writeFile(fixture, lines);
  const want = (await readFile(fixture, "utf8")).trim().split("\n").map((l) => JSON.parse(l));
  const got = lines.trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(got[0], want[0], "the study's header");
  assert.equal(got.length, want.length);
  for (let k = 1; k < got.length; k++) {
    assert.deepEqual(got[k].gamma, want[k].gamma, `trial ${k - 1}'s γ`);
    assert.equal(got[k].value, want[k].value, `trial ${k - 1}'s value`);
  }

  // Apply: the network view trains the best trial's run to the same value.
  await page.evaluate(() => window.infomorph.applySearch());
  await page.evaluate(() => window.infomorph.play());
  await page.waitForFunction(() => window.infomorph.stats().finished, null, { timeout: 60_000 });
  const s = await page.evaluate(() => window.infomorph.stats());
  assert.deepEqual(s.gamma, result.best.gamma);
  assert.equal(s.accuracy.val, result.best.value);
  assert.deepEqual(problems, []);
  await page.close();
});

test("the Goal search view: stop keeps the finished trials, export gives the study's lines", async () => {
  const { page, problems } = await open(browser, server.baseUrl + hash + "&view=search");
  await page.evaluate(() => window.infomorph.pause());
  assert.equal(await page.locator("#view-search").isVisible(), true);
  // five-term goal: five boxes, all checked for a bivariate goal
  assert.equal(await page.locator("#s-terms input:checked").count(), 5);
  await page.fill("#s-trials", "50");
  await page.fill("#s-epochs", "1");
  await page.click("#s-start");
  await page.waitForFunction(() => /^[1-9]\d* of 50 trials/.test(document.getElementById("s-status").textContent), null, { timeout: 30_000 });
  await page.click("#s-stop");
  await page.waitForFunction(() => !/running/.test(document.getElementById("s-status").textContent), null, { timeout: 10_000 });
  const done = Number((await page.textContent("#s-status")).split(" ")[0]);
  assert.ok(done >= 1 && done < 50, `stopped after ${done} trials`);
  const lines = (await page.evaluate(() => window.infomorph.searchLines())).trim().split("\n");
  assert.equal(lines.length, 1 + done);
  assert.equal(await page.isEnabled("#s-apply"), true);
  assert.match(await page.textContent("#s-best"), /\(F\)\(C\)/);
  const download = page.waitForEvent("download");
  await page.click("#s-export");
  const file = await (await download).path();
  assert.equal((await readFile(file, "utf8")).trim().split("\n").length, 1 + done);
  // a search can start again after a stop (fresh workers)
  const again = await page.evaluate(() => window.infomorph.search({ trials: 2, epochs: 1, workers: 1 }));
  assert.equal(again.trials.length, 2);
  assert.deepEqual(problems, []);
  await page.close();
});

const sensitivityFixture = path.join(root, "tests/fixtures/page-sensitivity-and-context.json");

test("which terms matter: the page's sensitivity analysis is `infomorph sensitivity`'s, drawn as bars", async () => {
  // the context model's optimised goal (the command line's default goal)
  const { page, problems } = await open(browser, server.baseUrl + hash + "&goal=optimized&view=search");
  await page.evaluate(() => window.infomorph.pause());
  const report = await page.evaluate(() =>
    window.infomorph.sensitivity({ epochs: 2, seeds: 2, cumulative: true, workers: 2 }),
  );
  // baseline, 5 terms × 5 changes over 2 seeds, then 5 cumulative steps
  assert.equal(report.baseline.values.length, 2);
  assert.equal(report.rows.length, 25);
  assert.equal(report.cumulative.length, 5);
  assert.ok(report.rows.every((r) => r.deltas.length === 2 && r.deltas.every(Number.isFinite)));
  assert.deepEqual(report.baseline.gamma, [0.0379, 0.3185, 0.7755, 0.1536, 0.0076]);
  if (process.env.INFOMORPH_WRITE_FIXTURES) await writeFile(sensitivityFixture, JSON.stringify(report, null, 1) + "\n");
  // the same numbers as the fixture, which tests/cli_search.rs checks against the CLI
  const want = JSON.parse(await readFile(sensitivityFixture, "utf8"));
  assert.deepEqual(report.baseline.values, want.baseline.values);
  assert.deepEqual(report.rows.map((r) => r.deltas), want.rows.map((r) => r.deltas));
  assert.deepEqual(report.zero_order, want.zero_order);
  assert.deepEqual(report.cumulative.map((s) => s.values), want.cumulative.map((s) => s.values));
  // the chart's text alternative names the most harmful change, and the status says done
  // (a label changes at most once a second)
  await page.waitForFunction(() => /Most harmful/.test(document.getElementById("s-sens").getAttribute("aria-label")), null, { timeout: 5_000 });
  const label = await page.getAttribute("#s-sens", "aria-label");
  const worst = [...report.rows].sort((a, b) => a.delta_mean - b.delta_mean)[0];
  assert.match(label, new RegExp(`Most harmful: ${worst.name.replace(/[()]/g, "\\$&")} ${worst.change.replace("+", "\\+")}`));
  assert.match(await page.textContent("#sens-status"), /done/);
  // the button runs the same analysis (2 seeds, 2 epochs by default)
  await page.click("#sens-start");
  await page.waitForFunction(() => /done/.test(document.getElementById("sens-status").textContent), null, { timeout: 60_000 });
  await page.waitForFunction((l) => document.getElementById("s-sens").getAttribute("aria-label") === l, label, { timeout: 5_000 });
  // a goal-less model is refused in one clear message
  const refused = await page.evaluate(() =>
    window.infomorph.setConfig({ model: "readout" }).then(() => window.infomorph.sensitivity({})).then(() => "ran", (e) => e.message),
  );
  assert.match(refused, /no hidden goal/);
  assert.deepEqual(problems, []);
  await page.close();
});
