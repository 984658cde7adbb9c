#!/usr/bin/env bash
# The whole test suite (what CI runs through .ci/run):
#
#   bash scripts/test.sh
#
# Installs what is missing first (scripts/setup.sh; minutes on a fresh
# machine, about a second on a ready one), then: formatting, clippy (native
# and wasm32), a release build of the page with trunk (wasm-opt included), the
# browser end-to-end tests (tests/e2e/*.mjs, if any), the wasm-bindgen tests
# in headless Chromium (tests/web.rs, tests/*_web.rs), and last the native `cargo test`, so
# that its summary lines close the output. Benchmarks are not run here.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"

. scripts/setup.sh

# Mesa/wgpu want a runtime dir; a fresh one per run.
XDG_RUNTIME_DIR="$(mktemp -d -t infomorph-xdg.XXXXXX)"
chmod 700 "$XDG_RUNTIME_DIR"
export XDG_RUNTIME_DIR
trap 'rm -rf "$XDG_RUNTIME_DIR"' EXIT

# wasm-bindgen-test-runner drives /usr/bin/chromium through chromedriver, with
# the capabilities in ./webdriver.json (read from the working directory).
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-120}"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# GPU tests fail instead of skipping when no adapter is found: setup installs Mesa's
# software Vulkan (lavapipe), and Chromium gets WebGPU from --enable-unsafe-webgpu.
# Browser tests read it at compile time (option_env!).
export INFOMORPH_REQUIRE_GPU=1

# wasm32 builds use --no-default-features: the default `cli` feature is what
# builds the native-only `infomorph` bin (which would collide with the
# cdylib's infomorph.wasm); www/index.html asks trunk for the same.
WASM=(--target wasm32-unknown-unknown --no-default-features)
# The test files that run in headless Chromium (the others are native-only).
WASM_TESTS=()
for t in tests/web.rs tests/*_web.rs; do
    [[ -f "$t" ]] && WASM_TESTS+=(--test "$(basename "$t" .rs)")
done

STAGE=""
STAGE_START=0
stage() {
    stage_done
    STAGE="$1"
    STAGE_START=$SECONDS
    printf '\n==> %s\n' "$STAGE"
}
stage_done() {
    if [[ -n "$STAGE" ]]; then
        printf -- '--- %s: %ds\n' "$STAGE" $((SECONDS - STAGE_START))
    fi
    STAGE=""
}

stage "setup: install missing tools (scripts/setup.sh)"
setup_test
cargo fetch --locked

stage "cargo fmt --check"
cargo fmt --check

stage "cargo clippy --all-targets (native)"
cargo clippy --all-targets -- -D warnings

stage "cargo clippy (wasm32: lib and browser tests)"
cargo clippy "${WASM[@]}" --lib "${WASM_TESTS[@]}" -- -D warnings

stage "trunk build --release (page, wasm-opt -Oz)"
trunk_log="$(mktemp -t infomorph-trunk.XXXXXX.log)"
# RUST_LIB_BACKTRACE=0: a trunk error is one line, not a stack dump (CI sets RUST_BACKTRACE=1).
if ! RUST_LIB_BACKTRACE=0 trunk build --release --offline --skip-version-check 2>&1 | tee "$trunk_log"; then
    if grep -q 'more than one target artifact' "$trunk_log"; then
        echo "trunk found both the lib (cdylib) and the bin as infomorph.wasm: the bin must be" >&2
        echo "behind a default feature (Cargo.toml: [[bin]] required-features = [\"cli\"]) so" >&2
        echo "that --no-default-features (www/index.html) builds the library alone." >&2
    fi
    rm -f "$trunk_log"
    exit 1
fi
rm -f "$trunk_log"
if [[ -n "$(grep -oE '<script[^>]*>' dist/index.html | grep -v ' src=' || true)" ]]; then
    echo "dist/index.html has an inline <script> (the page must work without 'unsafe-inline')" >&2
    exit 1
fi
# The engine's module, optimised by npm's wasm-opt (smaller than wasm-bindgen's output).
shopt -s nullglob
engine_wasm=(dist/infomorph-*_bg.wasm)
shopt -u nullglob
if ((${#engine_wasm[@]} != 1)); then
    echo "expected one dist/infomorph-*_bg.wasm, found ${#engine_wasm[@]}" >&2
    exit 1
fi
unoptimized="${CARGO_TARGET_DIR:-target}/wasm-bindgen/release/infomorph_bg.wasm"
if [[ -f "$unoptimized" ]] && (($(stat -c %s "$unoptimized") <= $(stat -c %s "${engine_wasm[0]}"))); then
    echo "wasm-opt did not shrink the module ($unoptimized: $(stat -c %s "$unoptimized") bytes)" >&2
    exit 1
fi
if [[ -f "$unoptimized" ]]; then
    echo "wasm-bindgen output: $(stat -c %s "$unoptimized") bytes; after wasm-opt -Oz:"
fi
for wasm in dist/*.wasm; do
    echo "$wasm: $(stat -c %s "$wasm") bytes, $(gzip -9 -c "$wasm" | wc -c) gzipped"
done

stage "browser end-to-end tests (tests/e2e/*.mjs, Playwright + system Chromium)"
# Each tests/e2e/*.mjs is a node:test file that serves dist/ itself (on
# 127.0.0.1) and drives $CHROMIUM with playwright-core (never `npx playwright
# install`: no browser downloads here).
shopt -s nullglob
e2e_tests=(tests/e2e/*.mjs)
shopt -u nullglob
if ((${#e2e_tests[@]})); then
    INFOMORPH_DIST="$ROOT/dist" node --test --test-reporter=spec "${e2e_tests[@]}"
else
    echo "(no tests/e2e/*.mjs)"
fi

# Every cargo test summary is also kept, to close the log with one total.
results="$(mktemp -t infomorph-results.XXXXXX)"

stage "wasm-bindgen tests in headless Chromium (cargo test --target wasm32 ${WASM_TESTS[*]})"
cargo test "${WASM[@]}" "${WASM_TESTS[@]}" -- --nocapture 2>&1 | tee -a "$results"

stage "cargo test (native)"
cargo test 2>&1 | tee -a "$results"
stage_done

# One closing line for the whole run (pipefail above already stopped on a failure).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed/) p += $(i-1); if ($(i) ~ /^failed/) f += $(i-1) } }
     END { printf "%d passed, %d failed\n", p, f }' "$results"
rm -f "$results"
