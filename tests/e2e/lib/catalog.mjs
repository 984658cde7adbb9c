// The engine's catalog (src/web/catalog.rs) for tests that run www/js/config.js in
// node: the real wasm module of the built page (dist/, $INFOMORPH_DIST), loaded by its
// own wasm-bindgen glue, so the tables config.js derives are the page's, never a copy.
import { readFile, readdir, mkdtemp, copyFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { dist } from "./serve.mjs";

let loaded = null;
/** The engine module of dist/ (wasm-bindgen glue, initialised once per process). */
export function loadEngine() {
  loaded ??= load();
  return loaded;
}

async function load() {
  let files;
  try {
    files = await readdir(dist);
  } catch {
    throw new Error(`no built page at ${dist}: run trunk build --release (or set INFOMORPH_DIST)`);
  }
  const js = files.find((f) => /^infomorph-[0-9a-f]+\.js$/.test(f));
  const wasm = files.find((f) => /^infomorph-[0-9a-f]+_bg\.wasm$/.test(f));
  if (!js || !wasm) throw new Error(`${dist} has no infomorph-*.js and *_bg.wasm`);
  // As .mjs: node then loads the glue as the ES module it is, without a warning.
  const copy = path.join(await mkdtemp(path.join(os.tmpdir(), "infomorph-glue-")), "glue.mjs");
  await copyFile(path.join(dist, js), copy);
  const glue = await import(copy);
  await glue.default({ module_or_path: await readFile(path.join(dist, wasm)) });
  return glue;
}

/** The catalog the page's config.js is initialised with. */
export async function loadCatalog() {
  return (await loadEngine()).catalog();
}
