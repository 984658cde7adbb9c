// The accuracy card (train, validation, test per epoch) and the goal-over-training card.
import * as D from "../draw.js";
import { ctx } from "../dom.js";

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
    const c = ctx("curves");
    if (stats.classes < 2) {
      D.placeholder(c, "one class only (unsupervised task): no accuracy");
    } else if (!m.length) {
      D.placeholder(c, stats.classes > 1 ? "accuracy appears after the first epoch" : "one class only (unsupervised task): no accuracy");
    } else D.lineChart(c, series, { xlabel: "epoch", ylabel: "accuracy", ymin: 0, ymax: 1 });
    const g = ctx("goalcurve");
    if (!goalTrace.length) D.placeholder(g, "goal per step appears once training runs");
    else D.lineChart(g, [{ name: `goal γ·atoms (${stats.layer} mean)`, color: "#0b6e4f", points: goalTrace }], { xlabel: "step", ylabel: "bits", legendCols: 1 });
  }

  return drawCurves;
}
