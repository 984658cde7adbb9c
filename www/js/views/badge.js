// The engine badge: which engine trains, why, and how fast.
import { $ } from "../dom.js";

export function initBadge(app) {
  const S = app.store.s;
  app.badge = function badge() {
    const { stats, adapter, playing } = S;
    const engineName = stats?.engine ?? "cpu";
    // The CPU engine's threads (the worker's pool; one where the page is not cross-origin isolated).
    const threads = app.worker.engine?.threads ?? 1;
    const cpu = threads > 1 ? `CPU engine · ${threads} threads` : "CPU engine";
    const text = engineName === "webgpu" ? `WebGPU · ${stats.adapter}` : cpu;
    $("engine-status").textContent = text;
    $("engine-badge").dataset.engine = engineName;
    const notices = [...(stats?.notices ?? [])].reverse();
    const why = notices.find((n) => n.kind === "fallback" || n.kind === "device-lost")?.text;
    // The engine's own account of the choice (on a hardware adapter: both measured rates).
    const chosen = notices.find((n) => n.kind === "engine-choice")?.text;
    const oneThread = threads > 1 ? "" : app.worker.engine?.threading ? ` It runs on one thread: ${app.worker.engine.threading}.` : "";
    $("engine-badge").title =
      engineName === "webgpu"
        ? `Training runs on the WebGPU engine: ${stats.adapter}.${chosen ? ` ${chosen}.` : ""}`
        : adapter
          ? `WebGPU adapter found: ${adapter}. The CPU engine (WebAssembly, in a worker) trains${why ? ` — ${why}` : "."}`
          : "No WebGPU adapter in this browser: the CPU engine (WebAssembly, in a worker) trains.";
    if (engineName !== "webgpu") $("engine-badge").title += oneThread;
    $("engine-rate").textContent = stats && playing ? (stats.steps_per_second > 0 ? `${Math.round(stats.steps_per_second)} steps/s` : "measuring…") : adapter && engineName !== "webgpu" ? "WebGPU detected" : "";
  };
}
