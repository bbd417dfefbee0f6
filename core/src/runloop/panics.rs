//! Catching panics of native code. A panic inside a step, a native method
//! or a handler becomes a script error ([`crate::ScriptError::from_panic`])
//! that carries its message; [`catch`] also keeps Rust's default panic
//! report off stderr for it, so the user sees the error once, where
//! errors are reported. Panics outside any [`catch`] are reported as
//! usual.

use std::any::Any;
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    /// How many [`catch`] calls are running on this thread.
    static CATCHING: Cell<u32> = const { Cell::new(0) };
}

/// Installs, once per process, a panic hook that stays silent for panics
/// [`catch`] will catch and defers to the previous hook for the others.
/// The loop installs it when it is made; while the thread unwinds a
/// panic no hook may be set, so nothing is done then (a `catch` run by a
/// destructor during unwinding just prints the usual report).
pub(crate) fn install_hook() {
    static ONCE: Once = Once::new();
    if ONCE.is_completed() || std::thread::panicking() {
        return;
    }
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if CATCHING.try_with(Cell::get).unwrap_or(0) == 0 {
                previous(info);
            } else {
                tracing::debug!(panic = %info, "panic caught in native code");
            }
        }));
    });
}

/// Runs `f`, catching a panic (its payload is the `Err`) without printing
/// Rust's panic report.
///
/// # Errors
///
/// The panic's payload when `f` panics.
// Always inlined: it wraps every send from Lua, and left to the compiler
// it was outlined there once the send grew (about 1% of a Lua method call).
#[inline(always)]
pub fn catch<R>(f: impl FnOnce() -> R) -> Result<R, Box<dyn Any + Send>> {
    install_hook();
    struct Depth;
    impl Drop for Depth {
        fn drop(&mut self) {
            CATCHING.with(|c| c.set(c.get().saturating_sub(1)));
        }
    }
    CATCHING.with(|c| c.set(c.get() + 1));
    let _depth = Depth;
    catch_unwind(AssertUnwindSafe(f))
}
