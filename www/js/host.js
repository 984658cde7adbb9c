// Messages to and from the page that embeds this one in an <iframe> (README, "Embedding"):
// the page posts `ready`, `epoch` (at most a few times a second, always the last one) and
// `claim` events to its parent, each {source: "infomorph", type, ...}; the parent may send
// {type: "command", id, command, args} (play, pause, reset, step, setConfig, getConfig,
// stats: the window.infomorph API) and gets {type: "reply", id, ok, result | error}.
// Outside an iframe nothing is posted and no command is accepted.
import * as C from "./config.js";
import { currentStats } from "./store.js";

/** Whether the page runs inside a frame. */
export const embedded = () => window.parent !== window;

/**
 * Posts {source: "infomorph", type, ...data} to the embedding page; false when the page
 * is not embedded. The messages hold nothing private (the configuration and metrics a
 * host could read from the URL and the page), so any host may listen ("*").
 * The experiments gallery calls it with ("claim", {experiment, value, threshold, met: true,
 * epoch}) when a finished run meets the open experiment's claim.
 */
export function postToHost(type, data = {}) {
  if (!embedded()) return false;
  window.parent.postMessage({ source: "infomorph", type, ...data }, "*");
  return true;
}

/** The smallest gap between two `epoch` messages (ms); the last epoch is always posted. */
export const EPOCH_INTERVAL_MS = 250;

const finite = (v) => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** The `metrics` of an epoch message from a stats snapshot: accuracies, goal, code read-out. */
export function epochMetrics(stats) {
  const a = stats.accuracy ?? {};
  const metrics = { train: finite(a.train), val: finite(a.val), test: finite(a.test), goal: finite(stats.goal) };
  if (stats.code && typeof stats.code === "object") metrics.code = { bits: finite(stats.code.bits), maxBits: finite(stats.code.max_bits ?? stats.code.maxBits) };
  return metrics;
}

// What a host may ask (the names of window.infomorph's members); anything else is refused.
const COMMANDS = ["play", "pause", "reset", "step", "setConfig", "getConfig", "stats", "shareUrl"];

/** Wires the events and commands; a no-op outside a frame. */
export function initHost(app) {
  if (!embedded()) return;
  const { store } = app;
  const S = store.s;

  addEventListener("infomorph-ready", () => {
    postToHost("ready", { version: app.engine.version(), config: C.publicConfig(S.state), hash: C.toHash(S.state) });
  });

  // One `epoch` message per finished epoch, throttled: a fast run finishes hundreds of
  // epochs a second; the host gets the latest at most every EPOCH_INTERVAL_MS.
  let posted = { generation: -1, epoch: 0 };
  let lastAt = 0;
  let timer = null;
  const send = () => {
    timer = null;
    const s = currentStats(S);
    if (!s || S.viewing || !(s.epoch > 0)) return;
    if (posted.generation === S.generation && posted.epoch >= s.epoch) return;
    posted = { generation: S.generation, epoch: s.epoch };
    lastAt = performance.now();
    postToHost("epoch", { epoch: s.epoch, step: s.step, finished: !!s.finished, metrics: epochMetrics(s) });
  };
  store.subscribe((_, keys) => {
    if (!keys.includes("stats") || timer) return;
    const wait = Math.max(0, lastAt + EPOCH_INTERVAL_MS - performance.now());
    timer = setTimeout(send, wait);
  });

  // Commands: only from the frame's own parent, and only from the origin that embeds it
  // (the parent's origin as the browser reports it); replies go to that origin alone.
  const parentOrigin = () => location.ancestorOrigins?.[0] ?? (document.referrer ? new URL(document.referrer).origin : null);
  addEventListener("message", async (event) => {
    const m = event.data;
    if (event.source !== window.parent || !m || typeof m !== "object" || m.type !== "command") return;
    if (event.origin !== parentOrigin()) return;
    const reply = (body) => event.source.postMessage({ source: "infomorph", type: "reply", id: m.id ?? null, ...body }, event.origin);
    try {
      if (!COMMANDS.includes(m.command)) throw new Error(`unknown command '${m.command}' (${COMMANDS.join(", ")})`);
      await app.api.ready;
      const args = Array.isArray(m.args) ? m.args : m.args === undefined ? [] : [m.args];
      const result = await app.api[m.command](...args);
      reply({ ok: true, result: result ?? null });
    } catch (error) {
      reply({ ok: false, error: error?.message ?? String(error) });
    }
  });
}
