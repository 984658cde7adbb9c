// The training worker (a module worker): owns the engine's Session (src/web/session)
// so that the page never freezes, whatever a step costs. The messages are in
// protocol.js: requests {type, id, ...} answered by one reply each; while training it
// posts stats snapshots about ten times a second, tagged with the generation the page
// sent with `create` (so the page can drop a replaced session's).
//
// Every await is followed by a check that its session is still the current one: a
// session replaced meanwhile (a reset during a tick on the WebGPU engine, a create
// during another create's data fetch) must neither count its steps against the new
// session's requests nor clear the new session when it fails.
import { EVENTS } from "./protocol.js";

let glue = null;
/** The current session: {session, generation, pending: {id, remaining} | null}, or null. */
let current = null;
let playing = false;
let stepsPerSecond = 0; // 0 = as fast as possible
let credit = 0;
let lastTime = 0;
let scheduled = false;
let lastPost = 0;
let lastMap = 0;
let creating = 0; // number of the latest create request; an older one still loading gives up
let ticking = null; // the run whose tick is in flight
let poisoned = false; // a Rust panic: the module instance is unusable
const cache = new Map();

/** Why the step runs on one thread, or null when it runs on a pool (the badge says it). */
let threading = null;

/** At most this many threads: a step's loops gain little beyond (and memory per thread). */
const MAX_THREADS = 8;
/** How long the pool may take to start before the plain engine is used. */
const POOL_TIMEOUT_MS = 15_000;

/**
 * Loads the threaded engine (scripts/build-threads.sh) from `base` and starts its pool
 * of Web Workers, one per core: only on a cross-origin isolated page, where workers can
 * share memory. Sets `glue` when it succeeds; returns why not otherwise (the plain
 * engine then trains, on this worker alone).
 */
async function loadThreaded(base) {
  const cores = Math.min(navigator.hardwareConcurrency ?? 1, MAX_THREADS);
  if (!base) return "this build has no threaded engine";
  if (!self.crossOriginIsolated) return "the page is not cross-origin isolated (the host sends no COOP/COEP headers; after a first visit the page's service worker adds them)";
  if (cores < 2) return "the browser reports one core";
  let timer;
  // A browser that cannot start the pool's workers (nested or blob workers refused) may
  // leave initThreadPool waiting for ever: the plain engine then trains instead.
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no pool after ${POOL_TIMEOUT_MS / 1000} s`)), POOL_TIMEOUT_MS);
  });
  try {
    const start = async () => {
      const threaded = await import(`${base}infomorph.js`);
      await threaded.default({ module_or_path: `${base}infomorph_bg.wasm` });
      await threaded.initThreadPool(cores);
      return threaded;
    };
    glue = await Promise.race([start(), timeout]);
    return null;
  } catch (error) {
    return `the threaded engine did not start (${String(error?.message ?? error)})`;
  } finally {
    clearTimeout(timer);
  }
}

const reply = (id, value) => postMessage({ type: EVENTS.reply, id, ok: true, value });
const fail = (id, error) =>
  postMessage({ type: EVENTS.reply, id, ok: false, error: String(error?.message ?? error) });

/** A trap inside the module (a Rust panic is `unreachable`): the instance is lost. */
function isTrap(error) {
  return error instanceof WebAssembly.RuntimeError;
}

/** Reports a Rust panic once; the page restarts the worker. */
function panicked(error) {
  if (poisoned) return;
  poisoned = true;
  let message = null;
  try {
    message = glue?.lastPanic?.() ?? null;
  } catch {
    // reading it needs the instance; a broken one may trap again
  }
  // The panic first: the page restarts the worker on it and fails what was waiting.
  postMessage({ type: EVENTS.panic, message: message ?? String(error?.message ?? error) });
  if (current?.pending) fail(current.pending.id, "the engine panicked");
  current = null;
  playing = false;
}

async function fetchBytes(url) {
  if (!cache.has(url)) {
    const p = fetch(url).then(async (r) => {
      if (!r.ok) throw new Error(`cannot fetch ${url}: HTTP ${r.status}`);
      return new Uint8Array(await r.arrayBuffer());
    });
    cache.set(url, p);
    p.catch(() => cache.delete(url));
  }
  return cache.get(url);
}

function snapshot(run, withMap) {
  const { session } = run;
  const msg = { type: EVENTS.stats, generation: run.generation, stats: session.stats() };
  const transfer = [];
  const fields = session.receptiveFields();
  msg.fields = fields;
  transfer.push(fields.buffer);
  if (withMap) {
    const map = session.decisionMap(40);
    if (map.length) {
      msg.map = map;
      transfer.push(map.buffer);
    }
  }
  postMessage(msg, transfer);
}

function post(force) {
  const now = performance.now();
  if (!current || (!force && now - lastPost < 100)) return;
  const withMap = force || now - lastMap > 250;
  if (withMap) lastMap = now;
  lastPost = now;
  snapshot(current, withMap);
}

// The next tick without delay goes through a message to itself, not setTimeout(…, 0):
// chained timers are clamped to 4 ms after five levels (HTML's timer nesting rule),
// a tenth of a step at hidden size 100. A message is a task like any other, so the
// page's requests queued meanwhile are still served between ticks.
const wake = new MessageChannel();
wake.port1.onmessage = loop;

function schedule(delay = 0) {
  if (scheduled) return;
  scheduled = true;
  if (delay > 0) setTimeout(loop, delay);
  else wake.port2.postMessage(null);
}

/** Frees a session that is no longer current (one that trapped cannot be freed). */
function drop(session) {
  try {
    session.free();
  } catch {
    // already freed, or trapped: drop it
  }
}

// tick() returns a Promise: on the WebGPU engine it awaits the metrics readback of the
// steps it queued. Other messages (stats, goal, histogram, a new session, …) are served
// meanwhile; they read the session's CPU copy of the network.
async function loop() {
  scheduled = false;
  if (ticking) return; // the tick in flight reschedules when it ends
  const run = current;
  if (!run || (!playing && !run.pending)) return;
  let max = 1e9;
  if (run.pending) {
    max = run.pending.remaining;
  } else if (stepsPerSecond > 0) {
    const now = performance.now();
    credit = Math.min(credit + ((now - lastTime) * stepsPerSecond) / 1000, 2);
    lastTime = now;
    max = Math.floor(credit);
  }
  if (max < 1) {
    // No step due yet at this speed: wait for credit (tick(…, 0) is not asked for "none").
    schedule(15);
    return;
  }
  let done = 0;
  ticking = run;
  try {
    done = await run.session.tick(30, max);
  } catch (error) {
    ticking = null;
    if (isTrap(error)) {
      panicked(error);
      return;
    }
    if (run !== current) {
      // A replaced session failed: nothing to do with the current one.
      drop(run.session);
      schedule();
      return;
    }
    // An error inside the engine leaves the session unusable: drop it, say so, and
    // fail a pending step(n); a reset builds a fresh one.
    current = null;
    playing = false;
    const message = `the engine stopped (${String(error?.message ?? error)}); press reset`;
    if (run.pending) fail(run.pending.id, message);
    postMessage({ type: EVENTS.error, error: message });
    return;
  }
  ticking = null;
  if (run !== current) {
    // Replaced during the tick: its steps count for nobody; serve the new session.
    if (run.freed) drop(run.session);
    schedule();
    return;
  }
  const { session } = run;
  if (run.pending) {
    run.pending.remaining -= done;
    if (run.pending.remaining <= 0 || session.finished()) {
      const { id } = run.pending;
      run.pending = null;
      post(true);
      reply(id, session.step);
    }
  } else if (stepsPerSecond > 0) {
    credit -= done;
  }
  if (session.finished() && playing) {
    playing = false;
    post(true);
    postMessage({ type: EVENTS.stopped });
  }
  post(false);
  if (playing || run.pending) schedule(stepsPerSecond > 0 && done === 0 ? 15 : 0);
}

/** Ends the current session: a pending step(n) fails, and it is freed (after its tick, if one is in flight). */
function retire() {
  const run = current;
  current = null;
  if (!run) return;
  if (run.pending) fail(run.pending.id, "the session was replaced before its steps ran");
  run.pending = null;
  if (ticking === run) run.freed = true; // freed when its tick returns
  else drop(run.session);
}

async function create(m) {
  retire();
  const token = ++creating;
  const replaced = () => token !== creating;
  const { data } = m;
  let s;
  if (data.kind === "builtin") {
    s = new glue.Session(m.config);
  } else if (data.kind === "url") {
    const [images, labels] = await Promise.all([fetchBytes(data.images), fetchBytes(data.labels)]);
    if (replaced()) throw new Error("replaced by a newer session");
    s = glue.Session.withIdx(m.config, images, labels, undefined, undefined);
  } else if (data.kind === "digits8") {
    const records = await fetchBytes(data.records);
    if (replaced()) throw new Error("replaced by a newer session");
    s = glue.Session.withDigits8(m.config, records);
  } else if (data.kind === "idx") {
    s = glue.Session.withIdx(m.config, data.images, data.labels, data.testImages, data.testLabels);
  } else if (data.kind === "table") {
    s = glue.Session.withTable(m.config, data.x, data.y, data.dim);
  } else {
    throw new Error(`unknown data kind ${data.kind}`);
  }
  if (m.activation) s.setActivation(m.activation);
  if (m.adapter) s.setAdapter(m.adapter);
  // The WebGPU engine when the browser has an adapter and the model runs there
  // ("auto"), else the CPU engine; the reason is in the stats' notices.
  try {
    await s.useGpu(m.engine ?? "auto");
  } catch (error) {
    drop(s);
    throw error;
  }
  if (replaced()) {
    drop(s);
    throw new Error("replaced by a newer session");
  }
  current = { session: s, generation: m.generation, pending: null };
  credit = 0;
  lastTime = performance.now();
  post(true);
  return { engine: s.engine, config: s.config() };
}

function session() {
  if (!current) throw new Error("no session");
  return current.session;
}

const handlers = {
  async init(m) {
    threading = await loadThreaded(m.threads);
    if (!glue) {
      glue = await import(m.js);
      await glue.default({ module_or_path: m.wasm });
    }
    glue.installPanicHook?.();
    // A panic on a pool thread leaves this worker blocked: the hook tells the page directly.
    const panicChannel = glue.setPanicChannel ? `infomorph-panic-${crypto.randomUUID()}` : null;
    if (panicChannel) glue.setPanicChannel(panicChannel);
    return { version: glue.version(), threads: glue.threads(), threading, panicChannel };
  },
  create,
  play() {
    playing = true;
    lastTime = performance.now();
    schedule();
    return true;
  },
  pause() {
    playing = false;
    post(true);
    return true;
  },
  speed(m) {
    stepsPerSecond = m.stepsPerSecond;
    credit = 0;
    lastTime = performance.now();
    return true;
  },
  step(m) {
    const s = session();
    if (current.pending) throw new Error("a step is already running");
    if (s.finished()) return s.step;
    current.pending = { id: m.id, remaining: m.n };
    schedule();
    return undefined; // answered by loop()
  },
  goal(m) {
    session().setGoal(new Float64Array(m.gamma));
    post(true);
    return true;
  },
  activation(m) {
    session().setActivation(m.activation);
    post(true);
    return true;
  },
  histogram: (m) => session().histogram(m.neuron),
  points: (m) => (current ? current.session.points(m.max) : new Float32Array(0)),
  export: () => session().exportRun(),
  stats: () => (current ? current.session.stats() : null),
  claim: (m) => session().claim(m.experiment),
  "lose-device"() {
    current?.session.simulateDeviceLoss();
    return true;
  },
  "debug-panic"(m) {
    if (!glue.debugPanic) throw new Error("this engine build has no debugPanic");
    if (m.onPool && !glue.debugPanicOnPool) throw new Error("this engine runs on one thread: no pool to panic on");
    if (m.onPool) glue.debugPanicOnPool();
    else glue.debugPanic();
    return true;
  },
};

onmessage = async (event) => {
  const m = event.data;
  if (poisoned) {
    fail(m.id, "the engine panicked; the page restarts it");
    return;
  }
  try {
    const handler = handlers[m.type];
    if (!handler) throw new Error(`unknown message ${m.type}`);
    const value = await handler(m);
    if (m.type === "step" && value === undefined) return;
    reply(m.id, value);
  } catch (error) {
    if (isTrap(error)) {
      panicked(error);
      fail(m.id, "the engine panicked");
      return;
    }
    fail(m.id, error);
  }
};
