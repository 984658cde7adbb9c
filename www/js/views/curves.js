// The accuracy card (train, validation, test per epoch) and the goal-over-training card.
import * as D from "../draw.js";
import { ctx } from "../dom.js";
import { describe, num } from "../describe.js";

export function initCurves(app) {
  const S = app.store.s;
  function drawCurves() {
    const { stats, goalTrace } = S;
    const m = stats.metrics;
    const series = [
      { name: "train", color: "#d1495b", points: m.map((e) => [e.epoch, e.train_accuracy]) },
      { name: "validation", color: "#edae49", points: m.map((e) => [e.epoch, e.val_accuracy]) },
      { name: "test", color: "#2e6eab", points: m.map((e) => [e.epoch, e.test_accuracy]) },
    ];
    const ref = publishedReference();
    if (ref && m.length) {
      const last = m[m.length - 1].epoch;
      series.push({ name: `published (${ref.row}, 100 epochs): ${ref.percent} %`, color: "#555b66", dash: [5, 4], width: 1.2, points: [[m[0].epoch, ref.percent / 100], [Math.max(last, m[0].epoch + 1), ref.percent / 100]] });
    }
    const c = ctx("curves");
    if (stats.classes < 2) {
      D.placeholder(c, "one class only (unsupervised task): no accuracy");
    } else if (!m.length) {
      D.placeholder(c, stats.classes > 1 ? "accuracy appears after the first epoch" : "one class only (unsupervised task): no accuracy");
    } else {
      D.lineChart(c, series, { xlabel: "epoch", ylabel: "accuracy", ymin: 0, ymax: 1, legendCols: ref ? 3 : 4 });
      const e = m[m.length - 1];
      const published = ref ? `; published test accuracy for ${ref.row} at this size: ${ref.percent} %` : "";
      describe(c.canvas, `epoch ${e.epoch}: train ${num(e.train_accuracy)}, val ${num(e.val_accuracy)}, test ${num(e.test_accuracy)}${published}`);
    }
    const g = ctx("goalcurve");
    if (!goalTrace.length) D.placeholder(g, "goal per step appears once training runs");
    else {
      D.lineChart(g, [{ name: `goal γ·atoms (${stats.layer} mean)`, color: "#0b6e4f", points: goalTrace }], { xlabel: "step", ylabel: "bits", legendCols: 1 });
      const [step, goal] = goalTrace[goalTrace.length - 1];
      describe(g.canvas, `${stats.layer} mean of γ·atoms per step, ${num(goal, 3)} bits at step ${step}`);
    }
  }

  /** The paper's full-MNIST value for this model, goal and N when the uploaded data is
   *  full MNIST (the engine decides: src/reproduce/published.rs), else null. */
  function publishedReference() {
    const sha = S.uploaded?.imagesSha256;
    if (!sha) return null;
    const c = S.state.config;
    try {
      return app.engine.publishedAccuracy(c.model, c.gamma ? null : c.goal, c.hidden, sha) ?? null;
    } catch {
      return null;
    }
  }

  return drawCurves;
}
