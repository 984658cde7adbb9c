// The published reference line (issue 12): with full MNIST uploaded as IDX files, the
// accuracy plot shows the paper's test accuracy for the current model, goal and N;
// with other IDX data of the same shape (here MNIST-10k) it does not.
// Full MNIST comes from `bash scripts/setup.sh mnist` (scripts/test.sh runs it).
//
//   INFOMORPH_DIST=dist node --test tests/e2e/reference.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { serveAndLaunch, open } from "./lib/serve.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const mnist = process.env.INFOMORPH_MNIST_DIR ?? path.join(root, "data/mnist");

let server;
let browser;

serveAndLaunch({ webgpu: false }, (s, b) => ([server, browser] = [s, b]));

/** The accuracy plot's text alternative once the first epoch is measured. */
async function accuracyText(page) {
  await page.evaluate(async () => {
    while ((await window.infomorph.step(8)).epoch < 1);
  });
  await page.waitForFunction(() => /epoch \d+:/.test(document.getElementById("curves").getAttribute("aria-label")), null, { timeout: 60_000 });
  return page.locator("#curves").getAttribute("aria-label");
}

test("full MNIST uploaded: the published value for the model, goal and N is drawn", { timeout: 240_000 }, async () => {
  const { page, problems } = await open(browser, server.baseUrl + "#v=1&model=trivariate&goal=optimized&hidden=10&batch=1024&engine=cpu");
  try {
    await page.locator("#upload-idx").setInputFiles(
      ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"].map((f) => path.join(mnist, f)),
    );
    await page.waitForFunction(() => document.getElementById("c-task").selectedOptions[0]?.textContent.includes("train-images"));
    const text = await accuracyText(page);
    // docs/method.md §5: trivariate, optimised (all-to-all), N = 10: 84.4 %.
    assert.match(text, /published test accuracy for trivariate, optimised \(all-to-all\) at this size: 84\.4 %/);
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
  }
});

test("other IDX data of the same shape: no reference line", { timeout: 120_000 }, async () => {
  const { page, problems } = await open(browser, server.baseUrl + "#v=1&model=trivariate&goal=optimized&hidden=10&batch=1024&engine=cpu");
  try {
    await page.locator("#upload-idx").setInputFiles([
      path.join(root, "assets/mnist10k/images-idx3-ubyte"),
      path.join(root, "assets/mnist10k/labels-idx1-ubyte"),
    ]);
    await page.waitForFunction(() => document.getElementById("c-task").selectedOptions[0]?.textContent.includes("idx3"));
    const text = await accuracyText(page);
    assert.doesNotMatch(text, /published/);
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
  }
});
