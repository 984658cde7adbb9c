// The PID lattice card: mean atoms over neurons on the lattice (3 sources: nested
// regions or the Hasse diagram, toggled in the card's header), with term tooltips.
import * as D from "../draw.js";
import { explain, sourceWords } from "../explain.js";
import { $, ctx } from "../dom.js";
import { describe, num } from "../describe.js";

export function initLattice(app) {
  const S = app.store.s;
  let latticeHits = [];
  // 3 sources: nested regions (default) or the Hasse diagram; a header button toggles.
  let latticeMode = "regions";
  const latticeToggle = document.createElement("button");
  latticeToggle.type = "button";
  latticeToggle.className = "mode";
  latticeToggle.hidden = true;
  latticeToggle.addEventListener("click", () => {
    latticeMode = latticeMode === "regions" ? "hasse" : "regions";
    drawLattice();
  });
  $("card-lattice").querySelector("header button.png").before(latticeToggle);

  function drawLattice() {
    const { stats } = S;
    if (!stats) return;
    const three = stats.names.length === 19;
    latticeToggle.hidden = !three;
    latticeToggle.textContent = latticeMode === "regions" ? "show Hasse" : "show regions";
    latticeToggle.title = latticeMode === "regions" ? "Show the Hasse diagram of the lattice instead" : "Show the nested-regions figure instead";
    latticeToggle.setAttribute("aria-pressed", String(latticeMode === "hasse"));
    latticeHits = D.lattice(ctx("lattice"), stats.names, stats.mean_atoms.length ? stats.mean_atoms : stats.names.map(() => 0), stats.sources, {
      gamma: stats.gamma,
      title: `mean over ${stats.atoms.length} ${stats.layer} neurons`,
      mode: latticeMode,
    });
    describeLattice(stats);
  }

  /** The largest atoms by size and which the goal weights (19 atoms are too many to read out). */
  function describeLattice(stats) {
    const names = stats.names.map((n) => D.displayName(n, stats.sources));
    if (!stats.mean_atoms.length) {
      describe($("lattice"), `${names.length} atoms, not yet measured`);
      return;
    }
    const order = stats.mean_atoms.map((v, i) => i).filter((i) => stats.names[i] !== "H_res");
    order.sort((a, b) => Math.abs(stats.mean_atoms[b]) - Math.abs(stats.mean_atoms[a]));
    const largest = order.slice(0, 3).map((i) => `${names[i]} ${num(stats.mean_atoms[i])}`).join(", ");
    const weighted = names.filter((n, i) => stats.gamma[i] !== 0 && stats.names[i] !== "H_res");
    describe(
      $("lattice"),
      `mean over ${stats.atoms.length} ${stats.layer} neurons, largest atoms (bits): ${largest}; weighted by the goal: ${weighted.join(", ") || "none"}`,
    );
  }

  $("lattice").addEventListener("mousemove", (e) => {
    const r = $("lattice").getBoundingClientRect();
    const sx = $("lattice").width / r.width;
    const x = (e.clientX - r.left) * sx;
    const y = (e.clientY - r.top) * sx;
    // The nearest of the hit regions that contain the pointer.
    let hit = null;
    let best = Infinity;
    for (const h of latticeHits ?? []) {
      if (Math.abs(h.x - x) >= h.r || Math.abs(h.y - y) >= 16) continue;
      const dist = (h.x - x) ** 2 + (h.y - y) ** 2;
      if (dist < best) [hit, best] = [h, dist];
    }
    const names = S.stats?.names ?? [];
    $("lattice").title = hit ? explain(names[hit.index], app.termLetters(), sourceWords(S.state.config.model, app.isImageTask())) : "";
  });

  return drawLattice;
}
