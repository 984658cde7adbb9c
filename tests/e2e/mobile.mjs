// The page on a phone (390 × 844, touch, the viewport meta tag honoured): nothing is
// wider than the screen on any view, Share and Export are on screen, and the live views
// come before the configuration. Screenshots go to $INFOMORPH_SCREENSHOTS.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { serveAndLaunch, watch, root } from "./lib/serve.mjs";

const shots = path.resolve(process.env.INFOMORPH_SCREENSHOTS ?? path.join(root, "target/e2e-screenshots"));
const WIDTH = 390;
let server;
let browser;

serveAndLaunch({ webgpu: false }, (s, b) => ([server, browser] = [s, b]));

before(async () => {
  await mkdir(shots, { recursive: true });
});

async function phone(hash = "") {
  const context = await browser.newContext({ viewport: { width: WIDTH, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const problems = watch(page);
  await page.goto(server.baseUrl + hash);
  await page.evaluate(() => window.infomorph.ready);
  return { context, page, problems };
}

/** The page's width and the elements that reach past the screen's right edge. */
const overflow = (page) =>
  page.evaluate((width) => {
    const wide = [...document.querySelectorAll("body *")]
      .filter((e) => e.offsetParent !== null && e.getBoundingClientRect().right > width + 0.5 && !e.closest(".scroll, .scroll-x"))
      .map((e) => `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}${e.className && typeof e.className === "string" ? "." + e.className.split(" ")[0] : ""} (right ${Math.round(e.getBoundingClientRect().right)})`);
    return { scrollWidth: document.documentElement.scrollWidth, wide: wide.slice(0, 8) };
  }, WIDTH);

/** Asserts that `selector` lies inside the screen horizontally. */
async function onScreen(page, selector) {
  const box = await page.locator(selector).boundingBox();
  assert.ok(box, `${selector} is not displayed`);
  assert.ok(box.x >= 0 && box.x + box.width <= WIDTH, `${selector} at x ${box.x.toFixed(0)}…${(box.x + box.width).toFixed(0)}`);
}

test("at 390 px nothing overflows sideways on any view, and Share and Export are on screen", async () => {
  const { context, page, problems } = await phone("#v=1&task=digits8&model=trivariate&hidden=8&batch=64");
  await page.evaluate(() => window.infomorph.step(20));
  await page.waitForTimeout(300);
  const views = await page.$$eval('[role="tab"]', (tabs) => tabs.map((t) => t.dataset.view));
  for (const view of views) {
    await page.click(`[role="tab"][data-view="${view}"]`);
    await page.waitForTimeout(200);
    const o = await overflow(page);
    console.log(`# ${view} view at ${WIDTH} px: scrollWidth ${o.scrollWidth}`);
    assert.ok(o.scrollWidth <= WIDTH, `${view}: page is ${o.scrollWidth} px wide; past the edge: ${o.wide.join(", ")}`);
    assert.deepEqual(o.wide, [], view);
    await onScreen(page, "#share");
    await onScreen(page, ".menu summary");
    // Canvas text keeps its size: each view is drawn at (about) its shown width, not
    // at 560 px scaled down to 60 % (the neuron inspector's 1140 px to 30 %).
    const scales = await page.$$eval(`#view-${view} canvas`, (list) =>
      list.filter((c) => c.offsetParent !== null).map((c) => ({ id: c.id, scale: c.clientWidth / c.width })),
    );
    // (The experiments gallery is text only.)
    if (view !== "gallery") assert.ok(scales.length >= 2, `${view}: ${JSON.stringify(scales)}`);
    for (const { id, scale } of scales) assert.ok(scale >= 0.9, `${view}: #${id} drawn at ${(100 * scale).toFixed(0)} % of its size`);
    for (const tab of views) await onScreen(page, `[role="tab"][data-view="${tab}"]`);
    await page.screenshot({ path: path.join(shots, `phone-${view}.png`) });
  }
  // The gate lab with three inputs has the widest table.
  await page.click('[role="tab"][data-view="gate"]');
  await page.selectOption("#g-n", "3");
  assert.ok((await overflow(page)).scrollWidth <= WIDTH, "gate lab, 3 inputs");
  // The export menu opens inside the screen.
  await page.click('[role="tab"][data-view="network"]');
  await page.click(".menu summary");
  await onScreen(page, ".menu-items");
  assert.ok((await overflow(page)).scrollWidth <= WIDTH, "export menu open");
  assert.deepEqual(problems, []);
  await context.close();
});

test("on a phone the live views come before the configuration", async () => {
  const { context, page, problems } = await phone();
  const top = (selector) => page.locator(selector).first().evaluate((e) => e.getBoundingClientRect().top + window.scrollY);
  const transport = await top(".transport");
  const firstCard = await top(".plots .card");
  const config = await top(".controls");
  assert.ok(transport < firstCard && firstCard < config, `transport ${transport}, first card ${firstCard}, configuration ${config}`);
  // The first view and the play button are on the first screen.
  assert.ok(firstCard < 844, `first card at ${firstCard}`);
  await onScreen(page, "#play");
  // Also for a screen reader or a keyboard: the views are first in the document.
  const follows = await page.evaluate(
    () => !!(document.querySelector(".plots").compareDocumentPosition(document.querySelector(".controls")) & Node.DOCUMENT_POSITION_FOLLOWING),
  );
  assert.ok(follows, "the configuration follows the views in the document");
  await page.screenshot({ path: path.join(shots, "phone-first-screen.png") });
  assert.deepEqual(problems, []);
  await context.close();
});

test("on a wide screen the configuration stays in the left column", async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const problems = watch(page);
  await page.goto(server.baseUrl);
  await page.evaluate(() => window.infomorph.ready);
  const controls = await page.locator(".controls").boundingBox();
  const plots = await page.locator(".plots").boundingBox();
  assert.ok(controls.x + controls.width <= plots.x, `controls ${JSON.stringify(controls)}, views ${JSON.stringify(plots)}`);
  assert.ok(Math.abs(controls.y - plots.y) < 2, "side by side");
  assert.deepEqual(problems, []);
  await page.close();
});
