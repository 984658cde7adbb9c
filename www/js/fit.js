// Canvas resolution on narrow screens. The views draw in canvas pixels at fixed text
// sizes (10–13 px) on canvases 560 px wide, scaled to their card's width by CSS: on a
// phone (cards ≈ 340 px) that shrinks every label to about 6 px. Where a canvas is shown
// much narrower than it is drawn, it is drawn at its shown width instead (its height
// stays), so text keeps its size; the drawing code lays out from canvas.width, so only
// the number changes. Wide screens keep the designed width.

/** Narrowest width a view is drawn at (its layout needs the room). */
const MIN_WIDTH = 320;
/** Shown at less than this share of its width, a canvas is redrawn at the shown width. */
const SHRINK_BELOW = 0.9;

/**
 * Keeps each of `canvases` drawn at its shown width when that is narrower than its
 * designed width (the width attribute in index.html), and calls `redraw()` after a
 * change (changing a canvas's width clears it). Hidden canvases wait until shown.
 */
export function fitCanvases(canvases, redraw) {
  const designed = new Map(canvases.map((c) => [c, c.width]));
  let pending = false;
  const fit = () => {
    pending = false;
    let changed = false;
    for (const [canvas, width] of designed) {
      const shown = canvas.clientWidth;
      if (!shown) continue;
      const want = shown < width * SHRINK_BELOW ? Math.max(MIN_WIDTH, Math.round(shown)) : width;
      if (canvas.width !== want) {
        canvas.width = want;
        changed = true;
      }
    }
    if (changed) redraw();
  };
  // Sizes settle in the same frame for all canvases of a view: fit them once.
  const observer = new ResizeObserver(() => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(fit);
  });
  for (const canvas of canvases) observer.observe(canvas);
  fit();
}
