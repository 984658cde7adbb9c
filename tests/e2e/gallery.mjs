// The experiments gallery (issue 13): every curated experiment of the engine's catalog
// opens from the gallery without an alert or console error and shows its text and claim;
// `#v=1&experiment=NAME` opens one and sharing gives that link back; a changed control
// leaves the experiment; infomorph.experiments() is the catalog's list; axe finds
// nothing serious on the gallery; and a quick experiment's claim shows its measured
// value while it runs (the worker's claim on the run so far) and, on the finished run,
// is met in the page and posted to an embedding page.
//
//   INFOMORPH_DIST=dist node --test tests/e2e/gallery.mjs
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { serveAndLaunch, open, hostPage } from "./lib/serve.mjs";
import { axeViolations } from "./lib/axe.mjs";
import { loadCatalog } from "./lib/catalog.mjs";

let server;
let browser;
let catalog;

serveAndLaunch({ webgpu: false }, (s, b) => ([server, browser] = [s, b]));

before(async () => {
  catalog = await loadCatalog();
});

test("the gallery lists and opens every experiment, text and claim shown", { timeout: 240_000 }, async () => {
  const { page, problems } = await open(browser, server.baseUrl + "#v=1&view=gallery");
  try {
    const listed = await page.evaluate(() => window.infomorph.experiments());
    assert.deepEqual(listed, catalog.experiments.map(({ name, title, hash }) => ({ name, title, hash })));
    assert.ok(listed.length >= 12, `${listed.length} experiments`);
    assert.equal(await page.locator("#gallery-list .experiment").count(), listed.length);
    const serious = (await axeViolations(page)).filter((v) => ["serious", "critical"].includes(v.impact));
    assert.deepEqual(serious, [], JSON.stringify(serious, null, 1));
    for (const e of catalog.experiments) {
      await page.click('[role="tab"][data-view="gallery"]');
      await page.locator(`[data-experiment="${e.name}"] button`).click();
      await page.waitForFunction((hash) => location.hash === hash, e.hash);
      assert.equal(await page.locator("#view-network").isVisible(), true, e.name);
      assert.equal(await page.locator("#experiment-title").textContent(), e.title);
      assert.equal(await page.locator("#experiment-text").textContent(), e.text);
      assert.match(await page.locator("#experiment-claim").textContent(), new RegExp(e.claim.text.slice(0, 20).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
      const config = await page.evaluate(() => window.infomorph.getConfig());
      for (const key of ["task", "model", "hidden", "epochs", "batch"]) assert.equal(config[key], e.config[key], `${e.name}: ${key}`);
      assert.equal(await page.evaluate(() => window.infomorph.shareUrl()).then((u) => new URL(u).hash), e.hash);
    }
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
  }
});

test("#experiment=NAME opens it; a changed control leaves it; an unknown name is a message", { timeout: 120_000 }, async () => {
  const { page, problems } = await open(browser, server.baseUrl + "#v=1&experiment=copy-shared");
  try {
    assert.equal(await page.locator("#experiment-panel").isVisible(), true);
    assert.equal(await page.locator("#experiment-title").textContent(), catalog.experiments.find((e) => e.name === "copy-shared").title);
    const serious = (await axeViolations(page)).filter((v) => ["serious", "critical"].includes(v.impact));
    assert.deepEqual(serious, [], "the open experiment's panel: " + JSON.stringify(serious, null, 1));
    await page.evaluate(() => window.infomorph.setConfig({ hidden: 3 }));
    assert.equal(await page.locator("#experiment-panel").isVisible(), false);
    assert.ok(!(await page.evaluate(() => location.hash)).includes("experiment="));
    await page.evaluate(() => { location.hash = "#v=1&experiment=no-such-thing"; });
    await page.locator("#alerts [role=alert]").filter({ hasText: "unknown experiment 'no-such-thing'" }).waitFor();
    assert.equal(await page.locator("#experiment-panel").isVisible(), false);
    assert.ok(await page.evaluate(() => window.infomorph.stats()), "the page still runs");
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
  }
});

test("a quick experiment's claim is met in the page and posted to the host", { timeout: 180_000 }, async () => {
  // The experiment in an iframe of a host page that records the messages.
  const e = catalog.experiments.find((x) => x.name === "copy-shared");
  const { host, problems: hostProblems } = await hostPage(
    browser,
    server,
    `<iframe id="f" title="infomorph" src="${server.baseUrl}#v=1&experiment=${e.name}&embed=1&engine=cpu" width="1200" height="900"></iframe>`,
    { name: "gallery-host.html", viewport: { width: 1300, height: 1000 } },
  );
  const frame = await (await host.$("#f")).contentFrame();
  await frame.waitForFunction(() => window.infomorph && document.documentElement.dataset.engine, null, { timeout: 30_000 });
  await frame.evaluate(() => window.infomorph.ready);
  assert.equal(await frame.locator("#experiment-panel").isVisible(), true, "the panel stays in embed mode");
  // The live status: after a first epoch, the measured value against the threshold
  // (the worker's claim on the run so far), not yet the verdict.
  await frame.evaluate(async () => {
    while ((await window.infomorph.step(1)).epoch < 1);
  });
  const live = frame.locator("#experiment-status[data-live=true]");
  await live.waitFor({ timeout: 15_000 });
  assert.match(await live.textContent(), new RegExp(`^Epoch \\d+ of ${e.config.epochs}: measured -?[\\d.e-]+ \\(claim [≥≤] [\\d.]+\\); (holds so far|not yet)\\.`));
  assert.ok(Number.isFinite(Number(await live.getAttribute("data-value"))));
  assert.equal(await frame.locator("#experiment-status").getAttribute("data-met"), null, "no verdict before the end");
  assert.equal(await frame.locator("#experiment-verdict").textContent(), "");
  assert.ok(!(await host.evaluate(() => window.messages.some((m) => m.data.type === "claim"))), "no claim event before the end");
  await frame.evaluate(async () => {
    while (!(await window.infomorph.step(200)).finished);
  });
  await frame.locator("#experiment-status[data-met=true]").waitFor({ timeout: 30_000 });
  assert.match(await frame.locator("#experiment-status").textContent(), /^Claim met: measured /);
  assert.match(await frame.locator("#experiment-verdict[role=status]").textContent(), /^Claim met: measured /, "the verdict is announced");
  await host.waitForFunction(() => window.messages.some((m) => m.data.type === "claim"), null, { timeout: 10_000 });
  const claim = await host.evaluate(() => window.messages.find((m) => m.data.type === "claim").data);
  assert.equal(claim.source, "infomorph");
  assert.equal(claim.experiment, e.name);
  assert.equal(claim.met, true);
  assert.ok(e.claim.comparison === "at-least" ? claim.value >= claim.threshold : claim.value <= claim.threshold, JSON.stringify(claim));
  assert.deepEqual(hostProblems, []);
  await host.close();
});
