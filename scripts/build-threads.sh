#!/usr/bin/env bash
# trunk post_build hook (Trunk.toml): the page's threaded engine, beside the plain one
# trunk builds. The same crate, compiled with WebAssembly threads (atomics and a shared
# memory), whose rayon loops and matrix panels run on a pool of Web Workers
# (wasm-bindgen-rayon), as natively on the CPU's cores. Browsers share memory between
# workers only on a cross-origin isolated page (COOP + COEP headers: trunk serve, the
# service worker after a first visit, a host that sends them); elsewhere the page
# trains on the plain build. docs/architecture.md, "Threads in the page".
#
#   TRUNK_STAGING_DIR=dist bash scripts/build-threads.sh     # what trunk runs
#
# Writes <staging>/threads-<hash>/ (the wasm-bindgen glue, its snippets and the wasm)
# and names that folder in index.html's loader tag (data-infomorph-threads), which
# www/boot.js reads. Threads need a nightly toolchain (atomics need std rebuilt with
# them: -Z build-std): `bash scripts/setup.sh threads` installs the pinned one. Without
# it, or with INFOMORPH_THREADS=0, the page is built without the threaded engine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

stage="${TRUNK_STAGING_DIR:-${1:-}}"
[[ -n "$stage" ]] || { echo "usage: TRUNK_STAGING_DIR=<built page> bash scripts/build-threads.sh" >&2; exit 2; }
. scripts/setup.sh
setup_path

if [[ "${INFOMORPH_THREADS:-1}" == 0 ]]; then
    echo "threads: not built (INFOMORPH_THREADS=0): the page trains on one thread"
    exit 0
fi
if ! threads_toolchain_ready; then
    echo "threads: not built ($INFOMORPH_NIGHTLY with rust-src is missing: bash scripts/setup.sh threads): the page trains on one thread"
    exit 0
fi

# The flags of .cargo/config.toml's wasm32 build (RUSTFLAGS replaces them, so they are
# repeated here), plus threads: atomics, and a memory that the module imports and that
# is shared (the pool's workers instantiate the module on the same memory), with the
# thread-local storage symbols wasm-bindgen's thread set-up calls (this nightly's rustc
# does not add these linker flags by itself). 4 GiB of memory at most: a shared memory
# declares its maximum, and full MNIST's training copy plus a large network need more
# than 1 GiB.
flags=(-C target-feature=+atomics,+bulk-memory,+mutable-globals,+simd128 -C llvm-args=-inline-threshold=40)
for arg in --shared-memory --import-memory --max-memory=4294967296 \
    --export=__wasm_init_tls --export=__tls_size --export=__tls_align --export=__tls_base; do
    flags+=(-C "link-arg=$arg")
done
export RUSTFLAGS="${flags[*]}"
# Its own target folder: other RUSTFLAGS would rebuild the plain build's every time.
cargo "+$INFOMORPH_NIGHTLY" build --quiet --lib --target wasm32-unknown-unknown --no-default-features \
    --profile wasm-release -Z build-std=panic_abort,std --target-dir target/threads
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
wasm-bindgen --target web --no-typescript --out-dir "$out" --out-name infomorph \
    target/threads/wasm32-unknown-unknown/wasm-release/infomorph.wasm
# As trunk's data-wasm-opt="z" for the plain build (a debug page skips it: faster rebuilds).
if [[ "${TRUNK_PROFILE:-release}" == release ]]; then
    wasm-opt -Oz "$out/infomorph_bg.wasm" -o "$out/infomorph_bg.wasm"
fi

# The folder's name carries a hash of its files, as trunk's names do: a new build is
# never served from an HTTP cache's older copy.
hash="$(cd "$out" && find . -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)"
rm -rf "$stage"/threads-*
dir="threads-$hash"
cp -r "$out" "$stage/$dir"
chmod -R a+rX "$stage/$dir"
# The loader tag gets the folder: <script … data-infomorph-js=… data-infomorph-threads="threads-<hash>/">.
sed -i "s|data-infomorph-js=|data-infomorph-threads=\"$dir/\" data-infomorph-js=|" "$stage/index.html"
grep -q "data-infomorph-threads=\"$dir/\"" "$stage/index.html" || { echo "threads: index.html has no loader tag" >&2; exit 1; }
size="$(gzip -9c "$stage/$dir/infomorph_bg.wasm" | wc -c)"
echo "threads: $dir (wasm $((size / 1024)) KB gzipped)"
