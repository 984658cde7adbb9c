// Text alternatives of the page's canvases. Every canvas is role="img" (index.html) and
// its aria-label summarises what it shows now ("accuracy curve: epoch 12, val 0.91").
// The views redraw many times a second while training; a screen reader that re-reads a
// changed label would then talk without pause, so a canvas's label changes at most once
// a second: a newer text within that second waits and replaces the one shown when the
// second is over (the label always ends up describing the latest drawing).
//
// A label is "name: summary". index.html gives every canvas its name in its first
// label ("Accuracy curve: no run yet"); callers pass the summary, and a name only when
// what the canvas shows changes (the fields card becomes a decision map).

const INTERVAL_MS = 1000;
const shown = new WeakMap(); // canvas → {name, at: when its label last changed, timer, next}

/** Sets `canvas`'s aria-label to "name: summary", at most once a second per canvas. */
export function describe(canvas, summary, name = null) {
  let entry = shown.get(canvas);
  if (!entry) {
    const first = canvas.getAttribute("aria-label") ?? "";
    entry = { name: first.split(": ")[0] || canvas.id, at: -Infinity, timer: null, next: null };
    shown.set(canvas, entry);
  }
  const title = name ?? entry.name;
  // A placeholder may already name its canvas ("value per trial: start a search").
  entry.next = summary.toLowerCase().startsWith(title.toLowerCase()) ? summary : `${title}: ${summary}`;
  if (entry.timer) return;
  const wait = entry.at + INTERVAL_MS - performance.now();
  if (wait <= 0) flush(canvas, entry);
  else entry.timer = setTimeout(() => flush(canvas, entry), wait);
}

function flush(canvas, entry) {
  entry.timer = null;
  if (canvas.getAttribute("aria-label") === entry.next) return;
  canvas.setAttribute("aria-label", entry.next);
  entry.at = performance.now();
}

/** A number for a label: fixed digits, or "–" when there is none. */
export const num = (v, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : "–");

/** "(F) 0.12, (L) 0.03, …": named values for a label. */
export const namedValues = (names, values, digits = 2) => names.map((n, i) => `${n} ${num(values[i], digits)}`).join(", ");
