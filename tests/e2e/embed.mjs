// Embedding (issue 13 item 4): the Embed dialog writes the <iframe> code of the current
// configuration with the chosen controls hidden and previews exactly that frame; the code
// put into a host page round-trips the configuration, hides those controls, and the frame
// posts `ready` and `epoch` events (finite metrics) to its host and answers commands.
//
//   INFOMORPH_DIST=dist node --test tests/e2e/embed.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { serveAndLaunch, open, watch, hostPage } from "./lib/serve.mjs";
import { axeViolations } from "./lib/axe.mjs";

let server;
let browser;

serveAndLaunch({ webgpu: false }, (s, b) => ([server, browser] = [s, b]));

const SERIOUS = ["serious", "critical"];
// A small supervised run whose epochs end within a second (train, val and test accuracy).
const HASH = "#v=1&task=xor&model=context&goal=heuristic&hidden=8&batch=64&epochs=40&seed=7&lr_hidden=0.004";

/** The iframe code's attributes. */
function parseCode(code) {
  const m = code.match(/^<iframe src="([^"]+)" width="(\d+)" height="(\d+)" title="[^"]+"[^>]*><\/iframe>$/);
  assert.ok(m, `iframe code: ${code}`);
  return { src: m[1].replace(/&amp;/g, "&"), width: Number(m[2]), height: Number(m[3]) };
}

test("the Embed dialog writes the iframe code, previews it, and the code round-trips in a host page that gets ready and epoch events", async () => {
  const { page, problems } = await open(browser, server.baseUrl + HASH);
  const config = await page.evaluate(() => window.infomorph.getConfig());
  assert.equal(config.task, "xor");
  assert.equal(config.hidden, 8);

  // Outside a frame the page posts nothing.
  assert.equal(await page.evaluate(async () => (await import(new URL("js/host.js", document.baseURI))).postToHost("ready")), false);

  // The dialog: opened by the button, modal, labelled, one box per `_hide` key.
  await page.click("#embed");
  const dialog = page.locator("#embed-dialog");
  await dialog.waitFor({ state: "visible" });
  assert.equal(await dialog.evaluate((d) => d.open && d.matches(":modal")), true);
  assert.equal(await page.textContent("#embed-title"), "Embed this configuration");
  const hideKeys = await page.$$eval(".embed-hide input[type=checkbox]", (boxes) => boxes.map((b) => b.id.replace("embed-hide-", "")));
  assert.ok(hideKeys.includes("play") && hideKeys.includes("speed") && hideKeys.includes("task"), hideKeys.join(","));
  assert.equal(hideKeys.length, 21);

  const before = parseCode(await page.inputValue("#embed-code"));
  assert.equal(before.width, 720);
  assert.equal(before.height, 520);
  assert.match(before.src, /#v=1&task=xor&model=context&goal=heuristic&hidden=8&batch=64/);
  assert.match(before.src, /&embed=1&autoplay=1/);
  assert.doesNotMatch(before.src, /_hide/);

  // Hide the training buttons and the speed, change the size.
  await page.check("#embed-hide-play");
  await page.check("#embed-hide-speed");
  await page.fill("#embed-width", "800");
  await page.fill("#embed-height", "560");
  const code = await page.inputValue("#embed-code");
  const embed = parseCode(code);
  assert.equal(embed.width, 800);
  assert.equal(embed.height, 560);
  assert.match(embed.src, /play_hide=1/);
  assert.match(embed.src, /speed_hide=1/);
  assert.doesNotMatch(embed.src, /task_hide/);
  assert.ok(embed.src.startsWith(server.baseUrl + "#"), embed.src);
  assert.equal(await page.evaluate(() => window.infomorph.embedCode()), code);

  // The live preview is the code's frame: same URL and size, the hidden controls hidden.
  await page.waitForFunction((src) => {
    const f = document.getElementById("embed-preview");
    return f.src === src && f.width === "800" && f.height === "560";
  }, embed.src, { timeout: 5_000 });
  const preview = page.frame({ url: embed.src });
  assert.ok(preview, "the preview frame");
  await preview.waitForFunction(() => document.documentElement.dataset.engine === "ready", null, { timeout: 30_000 });
  assert.equal(await preview.locator("#play").isHidden(), true);
  assert.equal(await preview.locator("#epoch").isVisible(), true);

  // axe on the open dialog.
  const violations = (await axeViolations(page)).filter((v) => SERIOUS.includes(v.impact));
  console.log(`# axe, embed dialog: ${violations.length} serious or critical`);
  assert.deepEqual(violations, [], violations.map((v) => `${v.id}: ${v.help}\n  ${v.nodes.join("\n  ")}`).join("\n"));

  // Copy (the clipboard may be denied headless; then the code is selected and the page says so).
  // The clipboard answers asynchronously: wait for the status before reading it.
  await page.click("#embed-copy");
  await page.waitForFunction(() => document.getElementById("embed-status").textContent !== "", null, { timeout: 5_000 });
  assert.match(await page.textContent("#embed-status"), /^(Copied\.|Selected: press Ctrl\+C)/);
  // Escape closes it; focus returns to the button.
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "hidden" });
  assert.equal(await page.evaluate(() => document.activeElement?.id), "embed");

  // A host page with exactly this code, on the same server's origin.
  const { host, problems: hostProblems } = await hostPage(browser, server, code);
  await host.waitForFunction(() => messages.some((m) => m.data.type === "ready"), null, { timeout: 30_000 });
  const ready = await host.evaluate(() => messages.find((m) => m.data.type === "ready"));
  assert.equal(ready.origin, server.origin);
  assert.equal(ready.data.hash, new URL(embed.src).hash);

  // Round trip: the frame's configuration is the page's.
  const frame = host.frame({ url: embed.src });
  assert.ok(frame, "the embedded frame");
  assert.deepEqual(await frame.evaluate(() => window.infomorph.getConfig()), config);
  assert.deepEqual(ready.data.config, config);
  // Hidden controls are hidden, the read-outs are not; compact layout.
  assert.equal(await frame.evaluate(() => document.body.classList.contains("embed")), true);
  for (const sel of ["#play", "#reset", "#step", ".speed"]) assert.equal(await frame.locator(sel).isHidden(), true, sel);
  for (const sel of ["#epoch", "#acc-test", "#heat"]) assert.equal(await frame.locator(sel).isVisible(), true, sel);

  // autoplay: the frame trains and posts `epoch` messages with finite metrics.
  await host.waitForFunction(() => messages.filter((m) => m.data.type === "epoch").length >= 2, null, { timeout: 60_000 });
  const received = await host.evaluate(() => messages.filter((m) => m.data.type === "epoch"));
  const epochs = received.map((m) => m.data);
  const last = epochs[epochs.length - 1];
  console.log(`# epoch messages: ${epochs.length}, last: ${JSON.stringify(last)}`);
  for (const e of epochs) {
    assert.ok(Number.isInteger(e.epoch) && e.epoch >= 1, JSON.stringify(e));
    for (const k of ["train", "val", "test"]) assert.ok(Number.isFinite(e.metrics[k]) && e.metrics[k] >= 0 && e.metrics[k] <= 1, `${k}: ${JSON.stringify(e)}`);
    assert.ok(Number.isFinite(e.metrics.goal), JSON.stringify(e));
  }
  // Increasing epochs. (They are posted at most every 250 ms; when they arrive depends
  // on the machine's load, so the gaps are not asserted here.)
  for (let i = 1; i < epochs.length; i++) {
    assert.ok(epochs[i].epoch > epochs[i - 1].epoch);
  }

  // Commands from the host: answered to the host's origin; an unknown one is refused.
  const replies = await host.evaluate(async () => {
    const frame = document.querySelector("iframe").contentWindow;
    const reply = (id) => new Promise((resolve) => addEventListener("message", function on(e) {
      if (e.data?.type === "reply" && e.data.id === id) { removeEventListener("message", on); resolve(e.data); }
    }));
    frame.postMessage({ type: "command", id: 1, command: "getConfig" }, "*");
    const a = await reply(1);
    frame.postMessage({ type: "command", id: 2, command: "debugPanic" }, "*");
    const b = await reply(2);
    frame.postMessage({ type: "command", id: 3, command: "pause" }, "*");
    const c = await reply(3);
    return [a, b, c];
  });
  assert.equal(replies[0].ok, true);
  assert.deepEqual(replies[0].result, config);
  assert.equal(replies[1].ok, false);
  assert.match(replies[1].error, /unknown command 'debugPanic'/);
  assert.equal(replies[2].ok, true);
  assert.equal(await frame.evaluate(() => window.infomorph.stats().playing), false);

  assert.deepEqual(hostProblems, []);
  assert.deepEqual(problems, []);
  await host.close();
  await page.close();
});

test("on a 390 px phone the Embed dialog fits the screen", async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const problems = watch(page);
  await page.goto(server.baseUrl + HASH);
  await page.waitForFunction(() => document.documentElement.dataset.engine === "ready", null, { timeout: 30_000 });
  await page.click("#embed");
  await page.locator("#embed-dialog").waitFor({ state: "visible" });
  const box = await page.locator("#embed-dialog").boundingBox();
  console.log(`# embed dialog at 390 px: x ${box.x.toFixed(0)}, width ${box.width.toFixed(0)}; page scrollWidth ${await page.evaluate(() => document.documentElement.scrollWidth)}`);
  assert.ok(box.x >= 0 && box.x + box.width <= 390, JSON.stringify(box));
  assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 390);
  for (const id of ["#embed-code", "#embed-copy", "#embed-hide-play"]) {
    const b = await page.locator(id).boundingBox();
    assert.ok(b && b.x >= 0 && b.x + b.width <= 390, `${id}: ${JSON.stringify(b)}`);
  }
  assert.deepEqual(problems, []);
  await context.close();
});
