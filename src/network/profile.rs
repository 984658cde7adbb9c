//! Optional per-stage wall times of the CPU step (`INFOMORPH_PROFILE=1 infomorph bench
//! --engine cpu`): where a step's milliseconds go, to guide optimisation. Off by
//! default, when it costs one relaxed atomic load per stage; always off on wasm.

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Mutex;
    use std::time::Instant;

    static ON: AtomicBool = AtomicBool::new(false);
    static TOTALS: Mutex<Vec<(&'static str, f64, u32)>> = Mutex::new(Vec::new());

    pub fn enable(on: bool) {
        ON.store(on, Ordering::Relaxed);
    }

    /// Runs `f`, adding its wall time to the stage `name` when profiling is on.
    #[inline]
    pub fn stage<R>(name: &'static str, f: impl FnOnce() -> R) -> R {
        if !ON.load(Ordering::Relaxed) {
            return f();
        }
        let start = Instant::now();
        let r = f();
        let ms = start.elapsed().as_secs_f64() * 1e3;
        let mut totals = TOTALS.lock().expect("profile lock");
        match totals.iter_mut().find(|(n, _, _)| *n == name) {
            Some(t) => {
                t.1 += ms;
                t.2 += 1;
            }
            None => totals.push((name, ms, 1)),
        }
        r
    }

    /// Stage totals in first-seen order (name, total ms, calls), then cleared.
    pub fn take() -> Vec<(&'static str, f64, u32)> {
        std::mem::take(&mut *TOTALS.lock().expect("profile lock"))
    }
}

#[cfg(target_arch = "wasm32")]
mod imp {
    #[allow(dead_code)]
    pub fn enable(_: bool) {}
    #[inline(always)]
    pub fn stage<R>(_: &'static str, f: impl FnOnce() -> R) -> R {
        f()
    }
    #[allow(dead_code)]
    pub fn take() -> Vec<(&'static str, f64, u32)> {
        Vec::new()
    }
}

pub use imp::*;
