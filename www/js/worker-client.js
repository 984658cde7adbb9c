// The page's side of the training worker: requests and their replies, and the
// worker's unasked messages (stats, stopped, error, panic) over protocol.js. A Rust
// panic leaves the worker's module instance unusable: the client starts a fresh worker
// (re-initialised with the same engine) and tells its listeners; the next session
// (a reset) runs there.
import { EVENTS, REQ, request } from "./protocol.js";

export { REQ };

/**
 * `spawn()` makes a new Worker; `init` the fields of the init request. Returns
 * {call(type, fields, transfer), on(listener), restarting (a promise while a restart
 * runs, else null)}.
 */
export async function connectWorker(spawn, init) {
  let next = 1;
  const waiting = new Map();
  const listeners = new Set();
  const emit = (m) => listeners.forEach((f) => f(m));
  let worker = null;
  let ready = null; // resolves once the current worker has loaded the engine
  let panics = null; // the threaded engine's panic channel

  function failAll(message) {
    for (const w of waiting.values()) w.reject(new Error(message));
    waiting.clear();
  }

  function post(type, fields, transfer) {
    const id = next++;
    const message = request(type, id, fields);
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      worker.postMessage(message, transfer);
    });
  }

  function start() {
    worker = spawn();
    const mine = worker;
    worker.addEventListener("message", (event) => {
      if (mine !== worker) return;
      const m = event.data;
      if (m.type === EVENTS.reply) {
        const w = waiting.get(m.id);
        waiting.delete(m.id);
        if (w) (m.ok ? w.resolve(m.value) : w.reject(new Error(m.error)));
      } else if (m.type === EVENTS.panic) {
        restart(m.message);
      } else {
        emit(m);
      }
    });
    worker.addEventListener("error", (e) => {
      if (mine === worker) emit({ type: EVENTS.error, error: e.message });
    });
    // The worker's engine: {version, threads (a step's threads), threading (why one, or
    // null), panicChannel}. A panic on a thread of the threaded engine's pool blocks the
    // worker; the engine tells it here instead, and the worker is restarted as for any.
    ready = post(REQ.init, init).then((engine) => {
      client.engine = engine;
      panics?.close();
      panics = engine.panicChannel ? new BroadcastChannel(engine.panicChannel) : null;
      if (panics) panics.onmessage = (event) => mine === worker && restart(String(event.data));
      return engine;
    });
    return ready;
  }

  function restart(message) {
    panics?.close();
    panics = null;
    worker.terminate();
    failAll(`the engine panicked: ${message}`);
    const started = start();
    client.restarting = started.then(
      () => {
        client.restarting = null;
      },
      () => {
        client.restarting = null;
      },
    );
    emit({ type: EVENTS.panic, message });
  }

  const client = {
    restarting: null,
    engine: null,
    /** Sends a request (protocol.js REQUESTS) once the worker is ready; resolves with its value. */
    async call(type, fields = {}, transfer = []) {
      await ready;
      return post(type, fields, transfer);
    },
    on(f) {
      listeners.add(f);
    },
    /** Ends the worker for good (a stopped goal search): its calls in flight fail. */
    terminate() {
      failAll("the worker was stopped");
      panics?.close();
      worker.terminate();
      ready = Promise.reject(new Error("the worker was stopped"));
      ready.catch(() => {});
    },
  };
  await start();
  return client;
}

/** The WebGPU adapter in words, or null (none, or no answer within 1.5 s). */
export async function detectWebGpu() {
  try {
    if (!navigator.gpu) return null;
    const adapter = await Promise.race([
      navigator.gpu.requestAdapter(),
      new Promise((r) => setTimeout(() => r(null), 1500)),
    ]);
    if (!adapter) return null;
    const info = adapter.info ?? {};
    const parts = [info.vendor, info.architecture, info.device, info.description].filter(Boolean);
    return parts.length ? [...new Set(parts)].join(" ") : "WebGPU adapter";
  } catch {
    return null;
  }
}
