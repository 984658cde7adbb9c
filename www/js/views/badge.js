// The engine badge: which engine trains, why, and how fast.
import { $ } from "../dom.js";

export function initBadge(app) {
  const S = app.store.s;
  app.badge = function badge() {
    const { stats, adapter, playing } = S;
    const engineName = stats?.engine ?? "cpu";
    const text = engineName === "webgpu" ? `WebGPU · ${stats.adapter}` : "CPU engine";
    $("engine-status").textContent = text;
    $("engine-badge").dataset.engine = engineName;
    const notices = [...(stats?.notices ?? [])].reverse();
    const why = notices.find((n) => n.kind === "fallback" || n.kind === "device-lost")?.text;
    // The engine's own account of the choice (on a hardware adapter: both measured rates).
    const chosen = notices.find((n) => n.kind === "engine-choice")?.text;
    $("engine-badge").title =
      engineName === "webgpu"
        ? `Training runs on the WebGPU engine: ${stats.adapter}.${chosen ? ` ${chosen}.` : ""}`
        : adapter
          ? `WebGPU adapter found: ${adapter}. The CPU engine (WebAssembly, in a worker) trains${why ? ` — ${why}` : "."}`
          : "No WebGPU adapter in this browser: the CPU engine (WebAssembly, in a worker) trains.";
    $("engine-rate").textContent = stats && playing ? (stats.steps_per_second > 0 ? `${Math.round(stats.steps_per_second)} steps/s` : "measuring…") : adapter && engineName !== "webgpu" ? "WebGPU detected" : "";
  };
}
