//! Lending the run loop to callbacks: a core service for every
//! callback-based engine (Lua through mlua is one).
//!
//! While such an engine's step runs, Rust functions that the engine calls
//! (a send to another interpreter's object, `print`, a hook) need the run
//! loop, but the loop's `&mut Cx` belongs to the step. [`lend`] moves the loop's
//! state into a thread-local slot for the duration of a Lua call, leaving a
//! spare, empty `Cx` behind; [`with_rt`] borrows it from there. Both
//! nest: a callback that runs a nested loop lends it again. No pointer to
//! the loop is ever stored.

use std::cell::{Cell, RefCell};

use crate::runloop::Cx;

thread_local! {
    /// The lent run loop, while the engine's code runs.
    static ACTIVE: Cell<Option<Box<Cx>>> = const { Cell::new(None) };
    /// Empty run loops to stand in while the real one is lent; boxed so
    /// that lending moves a pointer into `ACTIVE`, not the whole loop.
    #[allow(clippy::vec_box)]
    static SPARE: RefCell<Vec<Box<Cx>>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with the run loop `rt` lent to callbacks (see
/// [`with_rt`]). `rt` holds an empty stand-in meanwhile and gets its state
/// back afterwards, also when `f` panics.
pub fn lend<R>(rt: &mut Cx, f: impl FnOnce() -> R) -> R {
    let mut boxed = SPARE
        .with(|s| s.borrow_mut().pop())
        .unwrap_or_else(|| Box::new(Cx::hollow()));
    std::mem::swap(rt, &mut *boxed);
    let prev = ACTIVE.with(|a| a.replace(Some(boxed)));
    struct Restore<'a> {
        rt: &'a mut Cx,
        prev: Option<Option<Box<Cx>>>,
    }
    impl Drop for Restore<'_> {
        fn drop(&mut self) {
            let prev = self.prev.take().unwrap_or(None);
            let lent = ACTIVE.with(|a| a.replace(prev));
            if let Some(mut boxed) = lent {
                std::mem::swap(self.rt, &mut *boxed);
                SPARE.with(|s| s.borrow_mut().push(boxed));
            }
        }
    }
    let _restore = Restore {
        rt,
        prev: Some(prev),
    };
    f()
}

/// Runs `f` on the lent run loop, or returns `None` when no loop is lent
/// (engine code running outside any step, such as a Lua finalizer during a
/// collection the host started).
pub fn with_rt<R>(f: impl FnOnce(&mut Cx) -> R) -> Option<R> {
    struct PutBack(Option<Box<Cx>>);
    impl Drop for PutBack {
        fn drop(&mut self) {
            if let Some(rt) = self.0.take() {
                ACTIVE.with(|a| a.set(Some(rt)));
            }
        }
    }
    let rt = ACTIVE.with(Cell::take)?;
    // The loop goes back into the slot when `guard` drops, also on panic.
    let mut guard = PutBack(Some(rt));
    let rt = guard.0.as_deref_mut()?;
    Some(f(rt))
}

/// Whether a run loop is lent right now.
pub fn is_lent() -> bool {
    ACTIVE.with(|a| {
        let rt = a.take();
        let lent = rt.is_some();
        a.set(rt);
        lent
    })
}
