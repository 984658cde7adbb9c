// trunk post_build hook (Trunk.toml): writes the build's file list and version into the
// staged copy of the service worker (www/sw.js → sw.js), before trunk moves the staging
// folder to dist/. The version is a hash of every file's name and bytes, so any change
// to the page, its JS, the wasm or the MNIST-10k assets makes a new service worker (and
// cache), and an unchanged build keeps its cache.
//
//   TRUNK_STAGING_DIR=dist node scripts/sw-manifest.mjs     # what trunk runs
import { createHash } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

const dir = process.env.TRUNK_STAGING_DIR ?? process.argv[2];
if (!dir) throw new Error("usage: TRUNK_STAGING_DIR=<built page> node scripts/sw-manifest.mjs");
const WORKER = "sw.js";
const START = "/* infomorph-build */";
const END = "/* /infomorph-build */";

const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
  .filter((e) => e.isFile())
  .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join("/"))
  .filter((f) => f !== WORKER)
  .sort();
const hash = createHash("sha256");
for (const file of files) {
  hash.update(`${file}\0`);
  hash.update(await readFile(path.join(dir, file)));
  hash.update("\0");
}
const version = hash.digest("hex").slice(0, 16);

const workerPath = path.join(dir, WORKER);
const source = await readFile(workerPath, "utf8");
const start = source.indexOf(START);
const end = source.indexOf(END);
if (start < 0 || end < start) throw new Error(`${workerPath} has no ${START} … ${END} block`);
// A debug build (scripts/serve.sh) asks the network first, so a reload after a rebuild
// shows the rebuilt page; the cache then only serves when offline.
const networkFirst = process.env.TRUNK_PROFILE === "debug";
const build = JSON.stringify({ version, files, networkFirst });
await writeFile(workerPath, source.slice(0, start + START.length) + ` ${build} ` + source.slice(end));
const bytes = (await Promise.all(files.map((f) => readFile(path.join(dir, f))))).reduce((n, b) => n + b.length, 0);
console.log(`sw.js: build ${version}, ${files.length} files, ${(bytes / 1e6).toFixed(1)} MB cached for offline use${networkFirst ? " (debug: network first)" : ""}`);
