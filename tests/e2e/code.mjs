// The code read-out on the page (method §9): stats().code on the default task (bars)
// carries bits about which rows are on, measured against initialisation, and its card
// is shown with a text alternative; a task without causes has no code.
//
//   INFOMORPH_DIST=dist node --test tests/e2e/code.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { serveAndLaunch, open } from "./lib/serve.mjs";

let server;
let browser;

serveAndLaunch({ webgpu: false }, (s, b) => ([server, browser] = [s, b]));

test("stats().code on bars: bits rise from initialisation", async () => {
  const { page, problems } = await open(browser, server.baseUrl);
  try {
    const first = await page.evaluate(() => window.infomorph.stats().code);
    assert.ok(first, "bars has a code read-out");
    assert.ok(first.maxBits > 7.6 && first.maxBits < 8.0, `maxBits ${first.maxBits}`);
    assert.ok(first.initBits > 0.2 && first.initBits < 1.5, `initBits ${first.initBits}`);
    assert.equal(first.perNeuron.length, 16);
    assert.equal(first.causes.length, 8);
    // 20 epochs of 16 steps: the command line measures 6.3 bits after them.
    // The read-out is measured at most once a second: a step after a pause measures it.
    const after = await page.evaluate(async () => {
      await window.infomorph.step(320);
      await new Promise((r) => setTimeout(r, 1100));
      return (await window.infomorph.step(1)).code;
    });
    assert.equal(after.initBits, first.initBits);
    assert.ok(after.step >= 320, `measured at step ${after.step}`);
    assert.ok(after.bits > first.initBits + 4, `bits ${first.initBits} → ${after.bits}`);
    assert.ok(after.bits <= after.maxBits + 1e-9);
    for (const p of after.perNeuron) {
      assert.ok(p.name.startsWith("row "), p.name);
      assert.ok(p.bits <= p.total + 1e-12);
    }
    const card = await page.evaluate(() => ({
      hidden: document.getElementById("card-code").hidden,
      label: document.getElementById("code").getAttribute("role") + " " + document.getElementById("code").getAttribute("aria-label"),
      summary: document.getElementById("code-summary").textContent,
    }));
    assert.equal(card.hidden, false);
    assert.match(card.label, /^img .*bits/);
    assert.match(card.summary, /at initialisation/);
    const none = await page.evaluate(async () => {
      await window.infomorph.setConfig({ task: "xor", model: "context" });
      return window.infomorph.stats().code;
    });
    assert.equal(none, null);
    assert.equal(await page.evaluate(() => document.getElementById("card-code").hidden), true);
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
  }
});

test("first impression: the default page's code bits rise within 10 s of play (CPU engine)", async () => {
  const { page, problems } = await open(browser, server.baseUrl + "#v=1&engine=cpu");
  try {
    const init = await page.evaluate(() => window.infomorph.stats().code.initBits);
    const seen = await page.evaluate(async () => {
      const api = window.infomorph;
      api.play();
      const out = [];
      const t0 = performance.now();
      for (let s = 1; s <= 10; s++) {
        await new Promise((r) => setTimeout(r, t0 + 1000 * s - performance.now()));
        const st = api.stats();
        out.push({ s, step: st.step, bits: st.code.bits, codeStep: st.code.step });
      }
      api.pause();
      return out;
    });
    console.log(`initBits ${init.toFixed(3)}; ` + seen.map((o) => `${o.s} s: step ${o.step}, ${o.bits.toFixed(2)} bits`).join("; "));
    const last = seen[seen.length - 1];
    assert.ok(last.bits > init + 2, `bits ${init} → ${last.bits} in 10 s`);
    const text = await page.evaluate(() => document.getElementById("task-info").textContent);
    assert.match(text, /What the code carries/);
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
  }
});
