//! The browser side of the engine. [`session`] is the page's training run (the driver
//! and what the views read), compiled on every target so that native tests drive the
//! page's own code; `bindings` is the `wasm-bindgen` layer over it, for `wasm32`.

pub mod session;

#[cfg(target_arch = "wasm32")]
mod bindings;
#[cfg(target_arch = "wasm32")]
mod search;
#[cfg(target_arch = "wasm32")]
pub use bindings::*;
#[cfg(target_arch = "wasm32")]
pub use search::{SearchStudy, SensitivityStudy};

/// What the engine offers the page (models, goal presets, tasks, terms, limits):
/// `catalog()` for `www/js/config.js`.
pub mod catalog;

/// Rust panics for the page: the message of the last one, kept by a hook that also
/// writes it to the console (`console_error_panic_hook`). A panic aborts the module
/// instance (its next call traps with "unreachable"); the worker reads `lastPanic()` to
/// name it, posts it to the page, and the page starts a fresh worker. In the threaded
/// build a panic on one of the pool's threads aborts that thread while the training
/// worker waits for it, blocked: the hook then tells the page itself, on the
/// BroadcastChannel the worker named (`setPanicChannel`), and the page restarts the
/// worker as for any panic.
#[cfg(target_arch = "wasm32")]
pub mod panic {
    use std::cell::RefCell;
    use wasm_bindgen::prelude::*;

    thread_local! {
        static LAST: RefCell<Option<String>> = const { RefCell::new(None) };
    }

    /// Installs the hook (once; later calls do nothing). The page's worker calls it
    /// right after instantiating the module (`www/js/worker.js`), as does `boot.js`.
    #[wasm_bindgen(js_name = installPanicHook)]
    pub fn install() {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            std::panic::set_hook(Box::new(|info| {
                let message = info.to_string();
                #[cfg(target_feature = "atomics")]
                pool::tell_page(&message);
                // try_with/try_borrow_mut: a panic while the cell is borrowed keeps the
                // previous message rather than panicking inside the hook.
                let _ = LAST.try_with(|last| {
                    if let Ok(mut last) = last.try_borrow_mut() {
                        *last = Some(message);
                    }
                });
                console_error_panic_hook::hook(info);
            }));
        });
    }

    /// The message of the last Rust panic in this module instance (`panicked at
    /// src/…: …`), or `undefined` if there was none.
    #[wasm_bindgen(js_name = lastPanic)]
    pub fn last_panic() -> Option<String> {
        LAST.with(|last| last.borrow().clone())
    }

    /// Test hook: panics on purpose (the e2e test of the page's panic alert and worker
    /// restart, `tests/e2e/worker.mjs`). Only the module instance that calls it is lost.
    #[wasm_bindgen(js_name = debugPanic)]
    pub fn debug_panic() {
        install();
        panic!("debugPanic: a panic on purpose (test hook)");
    }

    /// A panic on a thread of the threaded build's pool, told to the page.
    #[cfg(target_feature = "atomics")]
    mod pool {
        use std::sync::Mutex;
        use wasm_bindgen::prelude::*;

        static CHANNEL: Mutex<Option<String>> = Mutex::new(None);

        #[wasm_bindgen(
            inline_js = "export function broadcast(name, message) { const c = new BroadcastChannel(name); c.postMessage(message); c.close(); }"
        )]
        extern "C" {
            fn broadcast(name: &str, message: &str);
        }

        /// The BroadcastChannel on which the page listens for this instance's pool panics
        /// (a name of its own, as other tabs of the page share the origin).
        #[wasm_bindgen(js_name = setPanicChannel)]
        pub fn set_panic_channel(name: String) {
            if let Ok(mut channel) = CHANNEL.lock() {
                *channel = Some(name);
            }
        }

        /// Called by the hook: on a pool thread, posts the panic's message to the page.
        pub fn tell_page(message: &str) {
            if rayon::current_thread_index().is_none() {
                return;
            }
            if let Ok(channel) = CHANNEL.try_lock() {
                if let Some(name) = channel.as_deref() {
                    broadcast(name, message);
                }
            }
        }

        /// Test hook: a panic on one of the pool's threads (`tests/e2e/threads.mjs`).
        #[wasm_bindgen(js_name = debugPanicOnPool)]
        pub fn debug_panic_on_pool() {
            super::install();
            rayon::scope(|_| panic!("debugPanic: a panic on purpose on a pool thread (test hook)"));
        }
    }
}
