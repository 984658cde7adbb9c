// Smoke test of the built page (dist/, from `trunk build --release`): it loads
// from a sub-path under a strict Content-Security-Policy (no 'unsafe-inline'),
// the wasm engine starts, and the page reports its version.
//
//   INFOMORPH_DIST=dist CHROMIUM=/usr/bin/chromium node --test tests/e2e/page.mjs
//
// Serves dist/ itself on 127.0.0.1 (an ephemeral port) and drives the system
// Chromium with playwright-core.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { chromium } from "playwright-core";

const root = path.resolve(import.meta.dirname, "../..");
const dist = path.resolve(process.env.INFOMORPH_DIST ?? path.join(root, "dist"));
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const subPath = "/some/sub/path/";
const csp = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
].join("; ");
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

let server;
let baseUrl;
let browser;

before(async () => {
  server = http.createServer(async (req, res) => {
    const url = new URL(req.url, "http://localhost");
    if (!url.pathname.startsWith(subPath)) {
      res.writeHead(404).end();
      return;
    }
    let rel = decodeURIComponent(url.pathname.slice(subPath.length)) || "index.html";
    const file = path.resolve(dist, rel);
    if (!file.startsWith(dist + path.sep)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, {
        "content-type": types[path.extname(file)] ?? "application/octet-stream",
        "content-security-policy": csp,
      });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${server.address().port}${subPath}`;
  browser = await chromium.launch({
    executablePath,
    args: [
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
});

test("the page loads the engine from a sub-path under a strict CSP", async () => {
  const cargoToml = await readFile(path.join(root, "Cargo.toml"), "utf8");
  const version = cargoToml.match(/^version\s*=\s*"([^"]+)"/m)[1];

  const page = await browser.newPage();
  const problems = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) => problems.push(`request failed: ${request.url()}`));
  page.on("response", (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });

  await page.goto(baseUrl);
  await page.waitForSelector("html[data-engine]", { timeout: 30_000 });
  const state = await page.getAttribute("html", "data-engine");
  const status = await page.textContent("#engine-status");

  assert.deepEqual(problems, []);
  assert.equal(state, "ready", `engine state; status line: ${status}`);
  assert.match(status, new RegExp(`infomorph ${version.replaceAll(".", "\\.")}\\b`));
  assert.equal(await page.title(), "infomorph");
  assert.equal(await page.evaluate(() => window.infomorph.version()), version);
  await page.close();
});
