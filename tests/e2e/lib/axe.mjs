// axe-core (npm, pinned in package.json) run inside a page of the e2e tests. The page's
// Content-Security-Policy forbids inline scripts, so axe is not added as a <script> tag:
// its source is evaluated through the DevTools protocol, which the policy does not see,
// and the page under test stays exactly as users get it.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
let source = null;

/** axe's findings on the page as it is now: [{id, impact, nodes: [selector, …]}]. */
export async function axeViolations(page, { impacts = null } = {}) {
  source ??= await readFile(require.resolve("axe-core/axe.min.js"), "utf8");
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(source);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => `${n.target.join(" ")}: ${n.failureSummary?.split("\n").slice(1, 2).join(" ").trim() ?? ""}`),
    }));
  });
  return impacts ? violations.filter((v) => impacts.includes(v.impact)) : violations;
}
