// Accessibility of the built page: axe-core finds no serious or critical violation on
// any view (and in the states a user reaches: a trained network, the export menu open,
// a 19-term goal, embed mode); canvases are images with text alternatives that follow
// the run at most once a second; neurons and tabs work from the keyboard; γ sliders
// span the engine's γ range.
import { test } from "node:test";
import assert from "node:assert/strict";
import { serveAndLaunch, open } from "./lib/serve.mjs";
import { axeViolations } from "./lib/axe.mjs";
import { loadCatalog } from "./lib/catalog.mjs";

let server;
let browser;

serveAndLaunch({ webgpu: false }, (s, b) => ([server, browser] = [s, b]));

const SERIOUS = ["serious", "critical"];
const report = (violations) => violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.join("\n    ")}`).join("\n");

/** Asserts axe finds nothing serious on the page as it is now; logs the minor findings. */
async function assertAxeClean(page, what) {
  const all = await axeViolations(page);
  const serious = all.filter((v) => SERIOUS.includes(v.impact));
  const minor = all.filter((v) => !SERIOUS.includes(v.impact));
  console.log(`# axe, ${what}: ${serious.length} serious or critical, ${minor.length} minor${minor.length ? ` (${minor.map((v) => v.id).join(", ")})` : ""}`);
  assert.deepEqual(serious, [], `${what}:\n${report(serious)}`);
}

test("axe: no serious or critical violation on any view", async () => {
  const { page, problems } = await open(browser, server.baseUrl + "#v=1&task=digits8&model=context&hidden=8&batch=64");
  // Every tab of the tablist, whatever tabs there are.
  const views = await page.$$eval('[role="tab"]', (tabs) => tabs.map((t) => t.dataset.view));
  assert.ok(views.length >= 3, `tabs: ${views}`);
  await page.evaluate(() => window.infomorph.step(40));
  await page.waitForTimeout(300);
  for (const view of views) {
    await page.click(`[role="tab"][data-view="${view}"]`);
    assert.equal(await page.locator(`#view-${view}`).isVisible(), true);
    await page.waitForTimeout(200);
    await assertAxeClean(page, `${view} view`);
  }
  // The goal search with trials to show (plots, the best goal, enabled buttons).
  await page.click('[role="tab"][data-view="search"]');
  const result = await page.evaluate(() => window.infomorph.search({ trials: 2, epochs: 1, workers: 1 }));
  assert.equal(result.trials.length, 2);
  await page.waitForTimeout(1100); // labels change at most once a second
  assert.match(await page.getAttribute("#s-values", "aria-label"), /^Value per trial: 2 trials, best \d/);
  await assertAxeClean(page, "search view after a search");
  await page.click('[role="tab"][data-view="network"]');
  await page.click(".menu summary");
  await assertAxeClean(page, "network view, export menu open");
  assert.deepEqual(problems, []);
  await page.close();
});

test("axe: a three-source model (19 γ sliders, Hasse diagram), embed mode, an alert", async () => {
  for (const hash of ["#v=1&task=digits8&model=trivariate&hidden=8&batch=64", "#v=1&embed=1&task=bars&hidden=8", "#v=1&hidden=abc"]) {
    const { page, problems } = await open(browser, server.baseUrl + hash);
    await page.evaluate(() => window.infomorph.step(3));
    await page.waitForTimeout(200);
    if (hash.includes("abc")) assert.equal(await page.locator("#alerts [role=alert]").count(), 1);
    await assertAxeClean(page, hash);
    assert.deepEqual(problems, []);
    await page.close();
  }
});

test("tabs are a tablist: panels, selection, roving tab stop, arrow keys, Home and End", async () => {
  const { page, problems } = await open(browser, server.baseUrl);
  const tabs = await page.$$eval('[role="tablist"] [role="tab"]', (list) =>
    list.map((t) => {
      const panel = document.getElementById(t.getAttribute("aria-controls"));
      return {
        id: t.id,
        view: t.dataset.view,
        selected: t.getAttribute("aria-selected"),
        tabIndex: t.tabIndex,
        panelRole: panel?.getAttribute("role"),
        panelLabel: panel?.getAttribute("aria-labelledby"),
        panelHidden: panel?.hidden,
      };
    }),
  );
  for (const t of tabs) {
    assert.equal(t.panelRole, "tabpanel", t.id);
    assert.equal(t.panelLabel, t.id);
    const on = t.view === "network";
    assert.deepEqual([t.selected, t.tabIndex, t.panelHidden], [String(on), on ? 0 : -1, !on], t.id);
  }
  const state = () =>
    page.evaluate(() => ({
      focused: document.activeElement.id,
      selected: [...document.querySelectorAll('[role="tab"][aria-selected="true"]')].map((t) => t.id),
      visible: [...document.querySelectorAll('[role="tabpanel"]')].filter((p) => !p.hidden).map((p) => p.id),
      hash: location.hash,
    }));
  await page.focus("#tab-network");
  await page.keyboard.press("ArrowRight");
  let s = await state();
  assert.deepEqual([s.focused, s.selected, s.visible], ["tab-gate", ["tab-gate"], ["view-gate"]]);
  assert.match(s.hash, /view=gate/);
  await page.keyboard.press("End");
  s = await state();
  assert.deepEqual([s.focused, s.visible], [tabs[tabs.length - 1].id, [`view-${tabs[tabs.length - 1].view}`]]);
  await page.keyboard.press("ArrowRight"); // wraps around
  s = await state();
  assert.deepEqual([s.focused, s.visible], ["tab-network", ["view-network"]]);
  await page.keyboard.press("ArrowLeft");
  assert.equal((await state()).focused, tabs[tabs.length - 1].id);
  await page.keyboard.press("Home");
  assert.deepEqual((await state()).visible, ["view-network"]);
  // Only the selected tab is a Tab stop: Tab from it leaves the tablist.
  await page.keyboard.press("Tab");
  assert.ok(!(await state()).focused.startsWith("tab-"));
  await page.close();

  // A tab hidden by the page's options is skipped by the arrow keys.
  const hidden = await open(browser, server.baseUrl + "#v=1&gatelab_hide=1");
  await hidden.page.focus("#tab-network");
  await hidden.page.keyboard.press("ArrowRight");
  assert.equal(await hidden.page.evaluate(() => document.activeElement.id), "tab-search");
  assert.deepEqual([...problems, ...hidden.problems], []);
  await hidden.page.close();
});

test("every canvas is an image whose text says what it shows, changing at most once a second", async () => {
  const { page, problems } = await open(browser, server.baseUrl + "#v=1&task=digits8&model=context&hidden=8&batch=64&speed=fast");
  const canvases = async (scope) =>
    page.$$eval(`${scope} canvas`, (list) => list.map((c) => ({ id: c.id, role: c.getAttribute("role"), label: c.getAttribute("aria-label") ?? "" })));
  for (const c of [...(await canvases("#view-network")), ...(await canvases("#view-gate")), ...(await canvases("#view-search"))]) {
    assert.equal(c.role, "img", c.id);
    assert.ok(c.label.length > 10, `${c.id}: "${c.label}"`);
  }
  // Record every label change while the run trains for a few seconds.
  await page.evaluate(() => {
    window.labelChanges = [];
    new MutationObserver((records) => {
      for (const r of records) window.labelChanges.push({ id: r.target.id, at: performance.now(), label: r.target.getAttribute("aria-label") });
    }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ["aria-label"] });
  });
  await page.evaluate(() => window.infomorph.play());
  await page.waitForFunction(() => window.infomorph.stats().epoch >= 2, null, { timeout: 60_000 });
  await page.waitForTimeout(3500);
  await page.evaluate(() => window.infomorph.pause());
  const changes = await page.evaluate(() => window.labelChanges);
  const byCanvas = new Map();
  for (const c of changes) byCanvas.set(c.id, [...(byCanvas.get(c.id) ?? []), c]);
  assert.ok((byCanvas.get("heat") ?? []).length >= 2, `heat label changed ${byCanvas.get("heat")?.length ?? 0} times`);
  for (const [id, list] of byCanvas) {
    for (let i = 1; i < list.length; i++) {
      const gap = list[i].at - list[i - 1].at;
      assert.ok(gap >= 950, `${id}: label changed twice within ${gap.toFixed(0)} ms`);
    }
  }
  // Wait out the last second: the labels then describe the latest snapshot.
  await page.waitForTimeout(1200);
  const s = await page.evaluate(() => window.infomorph.stats());
  const label = (id) => page.getAttribute(`#${id}`, "aria-label");
  assert.match(await label("heat"), new RegExp(`^PID atoms per neuron: 8 hidden neurons × 5 atoms at step ${s.step}; mean over neurons \\(bits\\): \\(F\\) -?\\d`));
  const last = s.metrics[s.metrics.length - 1];
  assert.equal(await label("curves"), `Accuracy curve: epoch ${last.epoch}: train ${last.train_accuracy.toFixed(2)}, val ${last.val_accuracy.toFixed(2)}, test ${last.test_accuracy.toFixed(2)}`);
  assert.match(await label("fields"), /^Receptive fields: feed-forward weights of 8 hidden neurons as 8×8 images/);
  assert.match(await label("confusion"), /^Confusion matrix: 10 classes, \d+\.\d % of \d+ test samples right/);
  assert.match(await label("lattice"), /^PID lattice: mean over 8 hidden neurons, largest atoms \(bits\): /);
  assert.match(await label("trace"), /^Atoms over training: medians over neurons from step \d+ to \d+/);
  assert.match(await label("goalcurve"), /^Goal over training: hidden mean of γ·atoms per step, -?\d+\.\d{3} bits at step \d+/);
  assert.match(await label("neuron"), /^Neuron 0 \(hidden layer\): binned joint histogram/);

  // The gate lab's canvases describe its current gate (XOR), with the atoms it shows.
  await page.click("#tab-gate");
  await page.waitForTimeout(1100);
  const terms = JSON.parse(await page.getAttribute("#g-summary", "data-terms"));
  const names = ["(1)", "(2)", "(1)(2)", "(12)", "H_res"];
  assert.equal(await label("g-atoms"), `PID atoms of the gate: bars of every atom and H_res (bits): ${names.map((n, i) => `${n} ${terms[i].toFixed(3)}`).join(", ")}`);
  assert.match(await label("g-lattice"), /^PID lattice of the gate: 4 atoms on the redundancy lattice of 2 inputs/);
  assert.deepEqual(problems, []);
  await page.close();
});

test("neurons are picked with the keyboard on the heat map and the receptive fields", async () => {
  const { page, problems } = await open(browser, server.baseUrl + "#v=1&task=digits8&model=context&hidden=12&batch=64");
  await page.evaluate(() => window.infomorph.step(2));
  const title = () => page.textContent("#neuron-title");
  await page.focus("#heat");
  await page.keyboard.press("ArrowDown");
  await page.waitForFunction(() => document.getElementById("neuron-title").textContent.startsWith("Neuron 1 "));
  assert.equal(await page.textContent("#neuron-live"), "neuron 1 of 12 selected");
  await page.keyboard.press("End");
  await page.waitForFunction(() => document.getElementById("neuron-title").textContent.startsWith("Neuron 11 "));
  await page.keyboard.press("ArrowDown"); // stays on the last
  await page.keyboard.press("ArrowUp");
  await page.waitForFunction(() => document.getElementById("neuron-title").textContent.startsWith("Neuron 10 "));
  // Space picks the neuron here; it does not start training.
  await page.keyboard.press(" ");
  assert.equal((await page.evaluate(() => window.infomorph.stats())).playing, false);
  await page.keyboard.press("Home");
  await page.waitForFunction(() => document.getElementById("neuron-title").textContent.startsWith("Neuron 0 "));
  // The receptive fields are a grid: down moves by one row of fields.
  await page.focus("#fields");
  const cols = await page.evaluate(() => {
    const m = document.getElementById("fields").getAttribute("aria-label").match(/, (\d+) per row/);
    return m ? Number(m[1]) : 0;
  });
  assert.ok(cols > 1 && cols < 12, `fields per row: ${cols}`);
  await page.keyboard.press("ArrowDown");
  await page.waitForFunction((n) => document.getElementById("neuron-title").textContent.startsWith(`Neuron ${n} `), cols);
  await page.keyboard.press("ArrowRight");
  await page.waitForFunction((n) => document.getElementById("neuron-title").textContent.startsWith(`Neuron ${n} `), cols + 1);
  assert.match(await title(), /^Neuron \d+ \(hidden layer\)/);
  // A 2-D task shows a decision map there: no neurons to pick, so no Tab stop.
  await page.evaluate(() => window.infomorph.setConfig({ task: "xor", model: "context", hidden: 4 }));
  await page.evaluate(() => window.infomorph.step(1));
  await page.waitForFunction(() => document.getElementById("fields-title").textContent === "Decision map");
  assert.deepEqual(await page.evaluate(() => [document.getElementById("fields").tabIndex, document.getElementById("heat").tabIndex]), [-1, 0]);
  assert.deepEqual(problems, []);
  await page.close();
});

test("γ sliders span the engine's γ range: a shared γ of 3 shows as 3", async () => {
  const [min, max] = (await loadCatalog()).limits.gamma;
  assert.ok(min <= -3 && max >= 3, `catalog γ range ${min}…${max}`);
  const { page, problems } = await open(browser, server.baseUrl + "#v=1&model=context&task=bars&gamma=3,-2.5,0.5,0,-4");
  const sliders = await page.$$eval("#gamma-sliders input[type=range]", (list) => list.map((r) => ({ min: r.min, max: r.max, value: r.value })));
  assert.equal(sliders.length, 5);
  for (const s of sliders) assert.deepEqual([Number(s.min), Number(s.max)], [min, max]);
  assert.deepEqual(sliders.map((s) => Number(s.value)), [3, -2.5, 0.5, 0, -4]);
  assert.deepEqual((await page.evaluate(() => window.infomorph.getConfig())).gamma, [3, -2.5, 0.5, 0, -4]);
  // Moving a slider by keyboard changes that γ, within the range.
  await page.focus("#gamma-sliders input[data-term='0']");
  await page.keyboard.press("End");
  assert.equal((await page.evaluate(() => window.infomorph.getConfig())).gamma[0], max);
  assert.deepEqual(problems, []);
  await page.close();
});
