#!/usr/bin/env bash
# Builds the hosted page: the static folder that GitHub Pages (.github/workflows/pages.yml)
# or any static host serves, from any sub-path.
#
#   bash scripts/build-site.sh            # → dist/
#   bash scripts/build-site.sh OUT        # → OUT/ (a copy of dist/)
#
# What it holds: index.html, boot.js, the page's JS modules (js/), the style sheet, the
# wasm-bindgen glue and the release wasm (wasm-opt -Oz) under hashed names, MNIST-10k
# (mnist10k/, fetched when chosen), and the service worker sw.js with the build's file
# list (offline use; written by scripts/sw-manifest.mjs, trunk's post_build hook), and
# the threaded engine in threads-<hash>/ (scripts/build-threads.sh, the same hook).
# Installs what the build needs first (wasm32 target, wasm-bindgen-cli, trunk, npm's
# binaryen; see scripts/setup.sh), then checks the folder and prints its sizes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

. scripts/setup.sh
setup_serve

# trunk runs cargo with --offline: fetch the locked dependencies first.
cargo fetch --locked
# A trunk error is one line, not a stack dump (where RUST_BACKTRACE=1 is set).
RUST_LIB_BACKTRACE=0 trunk build --release --offline --skip-version-check

# The folder is complete: the page, its loader, the engine, the data, the worker.
wasm="$(ls dist/infomorph-*_bg.wasm)"
for f in dist/index.html dist/boot.js dist/js/app.js dist/js/worker.js dist/sw.js \
    dist/mnist10k/images-idx3-ubyte dist/mnist10k/labels-idx1-ubyte "$wasm"; do
    [[ -s "$f" ]] || { echo "build-site: $f is missing" >&2; exit 1; }
done
grep -q '"version":"[0-9a-f]\{16\}"' dist/sw.js || { echo "build-site: sw.js has no build list (did the trunk hook run?)" >&2; exit 1; }
# The threaded engine (scripts/build-threads.sh; loaded instead of the plain one on a
# cross-origin isolated page).
threads="$(ls dist/threads-*/infomorph_bg.wasm 2>/dev/null || true)"
[[ -s "$threads" ]] || { echo "build-site: the threaded engine (dist/threads-*/) is missing (did the trunk hook run?)" >&2; exit 1; }

# The wasm's budget is 400 KB gzipped (what a first visit downloads from a host that
# compresses; GitHub Pages does).
gz=$(gzip -9 -c "$wasm" | wc -c)
echo "build-site: wasm $(($(wc -c <"$wasm") / 1024)) KiB, $((gz / 1024)) KiB gzipped; folder $(du -sh dist | cut -f1)"
echo "build-site: threaded wasm $(($(gzip -9 -c "$threads" | wc -c) / 1024)) KiB gzipped (the training worker's, downloaded besides the plain one on isolated pages)"
if ((gz > 400 * 1000)); then
    # A warning, not a failure: a larger page still deploys; the budget is kept by
    # whoever grows the engine (docs/architecture.md lists what stays native-only).
    echo "build-site: WARNING: the wasm is over its 400 KB gzipped budget ($gz bytes)" >&2
fi

if [[ $# -gt 0 ]]; then
    out="$1"
    rm -rf "$out"
    mkdir -p "$(dirname "$out")"
    cp -r dist "$out"
    echo "build-site: copied to $out"
fi
