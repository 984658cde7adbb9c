#!/usr/bin/env bash
# Builds the page (debug) and serves it with live reload:
#
#   bash scripts/serve.sh                 # http://127.0.0.1:8080/
#   PORT=9000 bash scripts/serve.sh       # another port
#   bash scripts/serve.sh --release       # any further trunk serve flags
#   INFOMORPH_THREADS=0 bash scripts/serve.sh   # without the threaded engine (faster rebuilds)
#
# Installs what serving needs first (wasm32 target, wasm-bindgen-cli, trunk,
# npm's binaryen, the pinned nightly of the threaded engine); see scripts/setup.sh.
# 127.0.0.1 is a secure context, so WebGPU is allowed there; trunk sends COOP/COEP
# (Trunk.toml), so the page is cross-origin isolated and trains on every core.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

. scripts/setup.sh
setup_serve

# trunk runs cargo with --offline: fetch the locked dependencies first.
cargo fetch --locked

# A trunk error is one line, not a stack dump (where RUST_BACKTRACE=1 is set).
export RUST_LIB_BACKTRACE="${RUST_LIB_BACKTRACE:-0}"

# Through the environment, so that --address/--port on the command line win.
export TRUNK_SERVE_ADDRESS="${TRUNK_SERVE_ADDRESS:-127.0.0.1}"
export TRUNK_SERVE_PORT="${TRUNK_SERVE_PORT:-${PORT:-8080}}"
# Rebuild on changes to the crate and the page (trunk's default is www/ only).
watch=()
for path in www src assets shaders Cargo.toml Cargo.lock Trunk.toml; do
    if [[ -e "$path" ]]; then watch+=(--watch "$path"); fi
done
exec trunk serve --offline --skip-version-check "${watch[@]}" "$@"
