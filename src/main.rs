//! The `infomorph` command line: headless runs of the same engine the page uses.

#[cfg(all(feature = "cli", not(target_arch = "wasm32")))]
fn main() {
    keep_freed_memory();
    std::process::exit(infomorph::cli::run());
}

/// A training step allocates and frees a few dozen batch × neuron arrays (2 MB each at
/// hidden 500). glibc serves blocks that big with fresh `mmap`s and unmaps them on free,
/// so every step re-faulted ~1000 zeroed pages (a tenth of a hidden-500 step). Serving
/// them from the heap and not trimming it keeps the pages mapped; the peak footprint
/// is unchanged.
#[cfg(all(feature = "cli", target_os = "linux", target_env = "gnu"))]
fn keep_freed_memory() {
    const LARGE: libc::c_int = 1 << 30;
    // SAFETY: mallopt only tunes the allocator; it is called before any other thread
    // exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, LARGE);
        libc::mallopt(libc::M_TRIM_THRESHOLD, LARGE);
    }
}

#[cfg(not(all(feature = "cli", target_os = "linux", target_env = "gnu")))]
fn keep_freed_memory() {}

/// The command line is native only; the wasm build of this binary does nothing.
#[cfg(not(all(feature = "cli", not(target_arch = "wasm32"))))]
fn main() {}
