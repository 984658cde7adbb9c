// Shared by the e2e tests: serves dist/ on 127.0.0.1 under a sub-path with a strict
// Content-Security-Policy header, and launches the system Chromium.
import http from "node:http";
import { readFile } from "node:fs/promises";
import path from "node:path";
import os from "node:os";
import { mkdtempSync } from "node:fs";
import { chromium } from "playwright-core";
import { before, after } from "node:test";

export const root = path.resolve(import.meta.dirname, "../../..");
export const dist = path.resolve(process.env.INFOMORPH_DIST ?? path.join(root, "dist"));
export const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
export const subPath = "/some/sub/path/";
export const csp = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
].join("; ");
/** The headers of a cross-origin isolated page (Trunk.toml's [serve] headers). */
export const isolation = {
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-embedder-policy": "require-corp",
};
const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".bin": "application/octet-stream",
};

/**
 * Starts the server; returns {baseUrl, requests (every path asked for), close()}.
 * `dir`: the built page to serve (default dist/), e.g. a copy a test changes to
 * play a new deployment. `isolated`: send COOP/COEP (a cross-origin isolated page,
 * where the training worker runs the threaded engine), as trunk serve does. `policy`:
 * the Content-Security-Policy header to send instead of `csp`.
 */
export async function serve({ dir = dist, isolated = false, policy = csp } = {}) {
  const requests = [];
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, "http://localhost");
    requests.push(url.pathname);
    if (url.pathname === "/embed.html") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(`<!doctype html><title>course</title><p>Some course text.</p>
<iframe id="f" src="${subPath}#embed=1&autoplay=1" width="720" height="520"></iframe>
<div id="after" style="height: 3000px">More course text.</div>`);
      return;
    }
    if (!url.pathname.startsWith(subPath)) {
      res.writeHead(404).end();
      return;
    }
    const rel = decodeURIComponent(url.pathname.slice(subPath.length)) || "index.html";
    const file = path.resolve(dir, rel);
    if (!file.startsWith(path.resolve(dir) + path.sep)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, {
        "content-type": types[path.extname(file)] ?? "application/octet-stream",
        "content-security-policy": policy,
        ...(isolated ? isolation : {}),
      });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    baseUrl: `${origin}${subPath}`,
    requests,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** Chromium as CI runs it; `webgpu: false` leaves out --enable-unsafe-webgpu. */
export async function launch({ webgpu = true } = {}) {
  const args = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
  ];
  if (webgpu) args.push("--enable-unsafe-webgpu");
  return chromium.launch({
    executablePath,
    headless: true,
    args,
    env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? mkdtempSync(path.join(os.tmpdir(), "xdg-")) },
  });
}

/** Collects console errors, page errors, failed requests and HTTP errors of a page. */
export function watch(page) {
  const problems = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return problems;
}

/** Opens the page (with a hash) and waits for window.infomorph.ready. */
export async function open(browser, url) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const problems = watch(page);
  await page.goto(url);
  await page.waitForFunction(() => window.infomorph && document.documentElement.dataset.engine, null, { timeout: 30_000 });
  await page.evaluate(() => window.infomorph.ready);
  return { page, problems };
}

/**
 * A test file's usual set-up: before its tests, the page's server and a browser
 * (`launch(options)`), handed to `set(server, browser)`; after them, both closed.
 * `options.dir` (optional, a path or an async function returning one, called before
 * the tests) is the built page to serve instead of dist/.
 */
export function serveAndLaunch({ dir, ...options }, set) {
  let server;
  let browser;
  before(async () => {
    server = await serve(dir === undefined ? {} : { dir: typeof dir === "function" ? await dir() : dir });
    browser = await launch(options);
    set(server, browser);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
}

/**
 * A course page on the test server's origin (`/course/NAME`) whose body is `html` (the
 * iframe code under test) and which records every message from infomorph in
 * `window.messages` as {origin, data, at}. Returns {host, problems} once it is loaded.
 */
export async function hostPage(browser, server, html, { name = "host.html", viewport = { width: 1200, height: 900 } } = {}) {
  const host = await browser.newPage({ viewport });
  const problems = watch(host);
  const url = `${server.origin}/course/${name}`;
  await host.route(url, (route) =>
    route.fulfill({
      contentType: "text/html",
      body: `<!doctype html><html lang="en"><title>course</title>
<script>
  window.messages = [];
  addEventListener("message", (e) => { if (e.data && e.data.source === "infomorph") messages.push({ origin: e.origin, data: e.data, at: performance.now() }); });
</script>
<h1>A course page</h1>
${html}
</html>`,
    }),
  );
  await host.goto(url);
  return { host, problems };
}
