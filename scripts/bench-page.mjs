// The page's CPU engine in headless Chromium, beside `infomorph train` natively: trains a
// configuration to its end on the plain engine (one thread) and on the threaded one (a
// cross-origin isolated page), ROUNDS times each, alternated, and prints per variant
//   - step: the median over epochs 2… of the driver's own step time (EpochMetrics'
//     steps_per_second: the training calls only, the same code as the command line's
//     `train --json`), and
//   - wall: the whole run's wall time per step after load (evaluation, the worker's
//     ticks and the page's views included).
//
//   node scripts/bench-page.mjs [DIST] [HASH] [ROUNDS]
//   node scripts/bench-page.mjs dist "task=mnist10k&model=trivariate&goal=optimized&hidden=100&batch=1024&epochs=8" 3
//
// Compare with: infomorph train --task mnist10k --model trivariate --goal optimized
// --hidden 100 --batch 1024 --epochs 8 --engine cpu --json (its steps_per_second per epoch).
import { serve, launch, open, dist as defaultDist } from "../tests/e2e/lib/serve.mjs";

const [dir = defaultDist, hash = "task=mnist10k&model=trivariate&goal=optimized&hidden=100&batch=1024&epochs=8", rounds = "3"] = process.argv.slice(2);
const variants = [
  { name: "plain (one thread)", server: await serve({ dir }), step: [], wall: [] },
  { name: "threaded (isolated page)", server: await serve({ dir, isolated: true }), step: [], wall: [] },
];
const browser = await launch({ webgpu: false });
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (let round = 0; round < Number(rounds); round++) {
  for (const v of variants) {
    const { page } = await open(browser, `${v.server.baseUrl}#v=1&engine=cpu&${hash}`);
    const start = Date.now();
    await page.evaluate(() => window.infomorph.play());
    await page.waitForFunction(() => window.infomorph.stats().finished, null, { timeout: 600_000, polling: 50 });
    const wall = Date.now() - start;
    const r = await page.evaluate(() => ({
      metrics: window.infomorph.stats().metrics,
      badge: document.getElementById("engine-status").textContent,
    }));
    const steps = r.metrics.at(-1).steps;
    v.step.push(median(r.metrics.slice(1).map((m) => 1000 / m.steps_per_second)));
    v.wall.push(wall / steps);
    v.badge = r.badge;
    await page.close();
  }
}
for (const v of variants) {
  const f = (xs) => xs.map((x) => x.toFixed(1)).join(" / ");
  console.log(`${v.name} [${v.badge}]: step ${f(v.step)} ms, wall ${f(v.wall)} ms per step`);
}
await browser.close();
for (const v of variants) await v.server.close();
