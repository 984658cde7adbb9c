//! The `infomorph` command line: headless runs of the same engine the page uses.

#[cfg(all(feature = "cli", not(target_arch = "wasm32")))]
fn main() {
    std::process::exit(infomorph::cli::run());
}

/// The command line is native only; the wasm build of this binary does nothing.
#[cfg(not(all(feature = "cli", not(target_arch = "wasm32"))))]
fn main() {}
