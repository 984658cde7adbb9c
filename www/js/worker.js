// The training worker: owns the engine's Session (src/web/session.rs) so that the
// page never freezes, whatever a step costs. The page talks to it with messages
// ({type, id, ...}); answers are {type: "reply", id, ok, value | error}, and while
// training it posts {type: "stats", generation} snapshots about ten times a second
// (generation: the one the page sent with `create`, so it can drop a replaced session's).
let glue = null;
let session = null;
let playing = false;
let stepsPerSecond = 0; // 0 = as fast as possible
let credit = 0;
let lastTime = 0;
let scheduled = false;
let pending = null; // {id, remaining}
let lastPost = 0;
let lastMap = 0;
let generation = 0; // the page's number for the session; on every stats message
const cache = new Map();

const reply = (id, value) => postMessage({ type: "reply", id, ok: true, value });
const fail = (id, error) =>
  postMessage({ type: "reply", id, ok: false, error: String(error?.message ?? error) });

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

function snapshot(withMap) {
  const msg = { type: "stats", generation, stats: session.statsJson() };
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
  if (!session || (!force && now - lastPost < 100)) return;
  const withMap = force || now - lastMap > 250;
  if (withMap) lastMap = now;
  lastPost = now;
  snapshot(withMap);
}

function schedule(delay = 0) {
  if (scheduled) return;
  scheduled = true;
  setTimeout(loop, delay);
}

// tick() returns a Promise: on the WebGPU engine it awaits the metrics readback of the
// steps it queued. Other messages (stats, goal, histogram, …) are served meanwhile;
// they read the session's CPU copy of the network.
let running = false;
async function loop() {
  scheduled = false;
  if (running) return;
  if (!session || (!playing && !pending)) return;
  let max = 1e9;
  if (pending) {
    max = pending.remaining;
  } else if (stepsPerSecond > 0) {
    const now = performance.now();
    credit = Math.min(credit + ((now - lastTime) * stepsPerSecond) / 1000, 2);
    lastTime = now;
    max = Math.floor(credit);
  }
  let done = 0;
  running = true;
  try {
    done = await session.tick(30, max);
  } catch (error) {
    running = false;
    // A trap inside the engine leaves the session unusable: drop it, say so, and
    // fail a pending step(n); a reset builds a fresh one.
    session = null;
    playing = false;
    const message = `the engine stopped (${String(error?.message ?? error)}); press reset`;
    if (pending) fail(pending.id, message);
    pending = null;
    postMessage({ type: "error", error: message });
    return;
  }
  running = false;
  if (!session) return;
  if (pending) {
    pending.remaining -= done;
    if (pending.remaining <= 0 || session.finished()) {
      const { id } = pending;
      pending = null;
      post(true);
      reply(id, session.step);
    }
  } else if (stepsPerSecond > 0) {
    credit -= done;
  }
  if (session.finished() && playing) {
    playing = false;
    post(true);
    postMessage({ type: "stopped" });
  }
  post(false);
  if (playing || pending) schedule(stepsPerSecond > 0 && done === 0 ? 15 : 0);
}

async function create(m) {
  try {
    session?.free();
  } catch {
    // a session that trapped cannot be freed; drop it
  }
  session = null;
  pending = null;
  const { data } = m;
  let s;
  if (data.kind === "builtin") {
    s = new glue.Session(m.config);
  } else if (data.kind === "url") {
    const [images, labels] = await Promise.all([fetchBytes(data.images), fetchBytes(data.labels)]);
    s = glue.Session.withIdx(m.config, images, labels, undefined, undefined);
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
    s.free();
    throw error;
  }
  session = s;
  generation = m.generation;
  credit = 0;
  lastTime = performance.now();
  post(true);
  return { engine: s.engine, config: s.configJson() };
}

onmessage = async (event) => {
  const m = event.data;
  try {
    switch (m.type) {
      case "init": {
        glue = await import(m.js);
        await glue.default({ module_or_path: m.wasm });
        reply(m.id, glue.version());
        break;
      }
      case "create":
        reply(m.id, await create(m));
        break;
      case "play":
        playing = true;
        lastTime = performance.now();
        schedule();
        reply(m.id, true);
        break;
      case "pause":
        playing = false;
        post(true);
        reply(m.id, true);
        break;
      case "speed":
        stepsPerSecond = m.stepsPerSecond;
        credit = 0;
        lastTime = performance.now();
        reply(m.id, true);
        break;
      case "step":
        if (!session) throw new Error("no session");
        if (pending) throw new Error("a step is already running");
        if (session.finished()) {
          reply(m.id, session.step);
          break;
        }
        pending = { id: m.id, remaining: m.n };
        schedule();
        break;
      case "goal":
        if (!session) throw new Error("no session");
        session.setGoal(new Float64Array(m.gamma));
        post(true);
        reply(m.id, true);
        break;
      case "activation":
        if (!session) throw new Error("no session");
        session.setActivation(m.json);
        post(true);
        reply(m.id, true);
        break;
      case "histogram":
        if (!session) throw new Error("no session");
        reply(m.id, session.histogram(m.neuron));
        break;
      case "points":
        reply(m.id, session ? session.points(m.max) : new Float32Array(0));
        break;
      case "export":
        if (!session) throw new Error("no session");
        reply(m.id, session.exportJson());
        break;
      case "stats":
        reply(m.id, session ? session.statsJson() : null);
        break;
      case "lose-device":
        // Test hook: a simulated GPU device loss (the run continues on the CPU engine).
        session?.simulateDeviceLoss();
        reply(m.id, true);
        break;
      default:
        throw new Error(`unknown message ${m.type}`);
    }
  } catch (error) {
    fail(m.id, error);
  }
};
