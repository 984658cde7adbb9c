// The code read-out card (method §9, src/network/code.rs): how many bits about the
// task's hidden causes (bars, sources, patterns) the hidden layer's sampled outputs carry
// on held-out rows, now against initialisation, and each neuron's best-matching cause.
// Shown only for tasks with known causes (stats.code is null otherwise).
import * as D from "../draw.js";
import { $, ctx } from "../dom.js";
import { describe, num } from "../describe.js";

export function initCode(app) {
  const S = app.store.s;
  let trace = []; // [[step, bits]] of this run
  let run = null;

  return function drawCode() {
    const { stats } = S;
    const code = stats?.code ?? null;
    $("card-code").hidden = !code;
    if (!code) return;
    if (run !== S.generation || (trace.length && code.step < trace[trace.length - 1][0])) {
      run = S.generation;
      trace = [[0, code.init_bits]];
    }
    const last = trace[trace.length - 1];
    if (code.step > last[0]) trace.push([code.step, code.bits]);
    if (trace.length > 600) trace = trace.filter((_, i) => i % 2 === 0 || i === trace.length - 1);
    if (!app.shown("card-code")) return;
    const end = Math.max(1, trace[trace.length - 1][0]);
    const c = ctx("code");
    D.lineChart(c, [
      { name: "bits about the causes", color: "#0b6e4f", points: trace },
      { name: "at initialisation", color: "#888888", points: [[0, code.init_bits], [end, code.init_bits]] },
      { name: "all of the causes", color: "#2e6eab", points: [[0, code.max_bits], [end, code.max_bits]] },
    ], { xlabel: "step", ylabel: "bits", ymin: 0, legendCols: 3 });
    const n = code.per_neuron.length;
    const summary = `${num(code.bits)} of ${num(code.max_bits)} bits at step ${code.step} (${num(code.init_bits)} at initialisation)`;
    describe(c.canvas, summary);
    $("code-summary").textContent =
      `${summary}; ${code.specialised} of ${n} neurons dominated by one cause (its bits ≥ half of the neuron's); ` +
      `neurons' outputs share ${num(code.redundancy, 3)} bits pairwise on average.`;
    $("code-neurons").textContent = code.per_neuron
      .map((p, i) => `${i}: ${p.name} ${num(p.bits)} of ${num(p.total)}`)
      .join(" · ");
  };
}
