//! What polyeval's C hooks do when the run loop wants its turn: the
//! request flags (`PREEMPT`, `IN_FLIGHT`), serving the loop in place where
//! Lua cannot yield, raising the stop or `interrupted!`, and the armed and
//! stop hooks themselves. Arming a thread is `preempt.rs`'s; the hook of a
//! thread with a user hook is `userhook.rs`'s.

use std::cell::Cell;
use std::ffi::c_int;
use std::sync::atomic::Ordering;

use mlua::ffi::{self, lua_Debug, lua_State};

use super::ccalls;

thread_local! {
    /// The run loop asked running Lua code to yield to it.
    pub(super) static PREEMPT: Cell<bool> = const { Cell::new(false) };
    /// In armed mode, the instructions a metered step runs (0: the step is
    /// not metered): the loop needs steps counted, though Lua was installed
    /// before it did (`preempt::enter`).
    pub(super) static METER: Cell<c_int> = const { Cell::new(0) };
    /// A `PENDING` yield is on its way (between a pending send and the
    /// yield that carries it): no preemption may come in between.
    static IN_FLIGHT: Cell<bool> = const { Cell::new(false) };
}

/// Marks (or clears) a `PENDING` yield on its way.
pub(crate) fn set_in_flight(on: bool) {
    IN_FLIGHT.with(|c| c.set(on));
}

/// Whether a `PENDING` yield is on its way.
pub(crate) fn in_flight() -> bool {
    IN_FLIGHT.with(Cell::get)
}

/// The error a hook raises where Lua cannot yield and the program must
/// stop: it unwinds Lua to a place where the hook can yield to the loop,
/// which then reports the real reason (budget, signal, fatal error).
const STOP_MSG: &std::ffi::CStr =
    c"the program is stopping (step budget, a signal, or a fatal error)";

/// Where a hook found that Lua cannot yield: gives the loop its turn in
/// place ([`polyeval_core::Nested::serve_in_place`]: handlers run as
/// detours in a nested run loop). Answers true when the program must stop.
/// Plain Rust: every destructor has run when it returns.
///
/// # Safety
///
/// `l` is the thread running the calling hook.
pub(super) unsafe fn serve_here(l: *mut lua_State) -> bool {
    polyeval_core::panics::catch(|| {
        polyeval_core::lend::with_rt(|rt| {
            let stop = rt.nested().serve_in_place().is_err();
            // SAFETY: as the caller guarantees.
            unsafe { signal_again(l) };
            stop
        })
    })
    .ok()
    .flatten()
    .unwrap_or(false)
}

/// Counts one step of the running code: a metered stretch that ended
/// where Lua cannot yield. Plain Rust: every destructor has run when it
/// returns.
fn count_step() {
    let _ = polyeval_core::panics::catch(|| polyeval_core::lend::with_rt(|rt| rt.add_steps(1)));
}

/// Raises [`STOP_MSG`] in `l` after re-arming `hook` at every instruction,
/// so that Lua keeps unwinding (past any `pcall`) until the hook can
/// yield.
///
/// # Safety
///
/// `l` is the thread running the calling hook; no Rust value with a
/// destructor is alive in the caller (this longjmps).
pub(super) unsafe fn raise_stop(l: *mut lua_State, hook: ffi::lua_Hook) -> ! {
    PREEMPT.with(|p| p.set(true));
    // SAFETY: as the caller guarantees; the message is a static C string.
    unsafe {
        ffi::lua_sethook(l, Some(hook), ffi::LUA_MASKCOUNT, 1);
        ffi::lua_pushstring(l, STOP_MSG.as_ptr());
        ffi::lua_error(l)
    }
}

/// Whether a SIGINT with no handler waits to be raised as `interrupted!`
/// in the running Lua code ([`polyeval_core::Interrupts::take_unhandled_sigint`],
/// which takes it). Plain Rust: every destructor has run when it returns.
///
/// # Safety
///
/// `l` is the thread running the calling hook.
pub(super) unsafe fn sigint_here(l: *mut lua_State) -> bool {
    polyeval_core::panics::catch(|| {
        polyeval_core::lend::with_rt(|rt| {
            let taken = rt.interrupts().take_unhandled_sigint();
            if taken {
                // SAFETY: as the caller guarantees.
                unsafe { signal_again(l) };
            }
            taken
        })
    })
    .ok()
    .flatten()
    .unwrap_or(false)
}

/// Lua goes on running without re-entering (an interrupt was served in
/// place or raised as an error): the waker must signal again at the next
/// raise, which it does once per entry otherwise.
///
/// # Safety
///
/// `l` is the running thread.
unsafe fn signal_again(l: *mut lua_State) {
    // SAFETY: as the caller guarantees.
    if let Some((_, sh)) = unsafe { super::values::runtime_of(l) } {
        sh.arm.signalled.store(false, Ordering::SeqCst);
    }
}

/// Raises `interrupted!` in `l`, positioned as `luaL_error` positions it,
/// as the stand-alone `lua` does for Ctrl-C.
///
/// # Safety
///
/// `l` is the thread running the calling hook; no Rust value with a
/// destructor is alive in the caller (this longjmps).
pub(super) unsafe fn raise_interrupted(l: *mut lua_State) -> ! {
    // SAFETY: as the caller guarantees; static strings only, and
    // `note_interrupted` has returned (its values dropped) before the
    // longjmp.
    unsafe {
        ffi::luaL_where(l, 1);
        ffi::lua_pushstring(l, c"interrupted!".as_ptr());
        ffi::lua_concat(l, 2);
        note_interrupted(l);
        ffi::lua_error(l)
    }
}

/// Remembers the message on top of `l` as the `interrupted!` being
/// raised, so that the error it becomes when it leaves Lua uncaught is of
/// kind [`polyeval_core::ErrorKind::Interrupted`] (see
/// `Shared::take_interrupted`).
///
/// # Safety
///
/// `l` is the running thread of a polyeval state, with a string on top.
unsafe fn note_interrupted(l: *mut lua_State) {
    let mut len = 0usize;
    // SAFETY: as the caller guarantees; the top value is a string, so
    // `lua_tolstring` converts nothing and cannot raise.
    let p = unsafe { ffi::lua_tolstring(l, -1, &mut len) };
    if p.is_null() {
        return;
    }
    // SAFETY: Lua keeps the string alive while it is on the stack, and it
    // stays there for this call.
    let msg = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) };
    // SAFETY: as the caller guarantees.
    if let Some((_, sh)) = unsafe { super::values::runtime_of(l) } {
        sh.note_interrupted(msg);
    }
}

/// The hook of an armed driver thread. If a preemption is asked for, it
/// yields to the run loop where Lua can yield; where it cannot (inside a
/// C call: a sort comparator, a metamethod, a finalizer) the loop is
/// served in place, and a stop unwinds Lua. Otherwise the arming is stale
/// (the loop already had its turn) and the hook removes itself. It stays
/// installed across its own yield: mlua tells a hook's yield from a plain
/// one by the hook's presence, and keeps the suspended frame's stack only
/// for the former.
pub(super) unsafe extern "C-unwind" fn armed_hook(l: *mut lua_State, _ar: *mut lua_Debug) {
    // SAFETY: Lua calls a hook on the thread it runs, with a valid state.
    // Yielding from a count hook with no results is allowed, and must be
    // the hook's last action; `raise_stop` runs with no Rust value alive.
    unsafe {
        if in_flight() {
            return; // stays armed: the next instruction checks again
        }
        if !PREEMPT.with(Cell::get) {
            ffi::lua_sethook(l, None, 0, 0);
            return;
        }
        if sigint_here(l) {
            ffi::lua_sethook(l, None, 0, 0);
            raise_interrupted(l);
        }
        if !ccalls::may_preempt(l) {
            let meter = METER.with(Cell::get);
            if meter > 0 {
                // Where Lua cannot yield, a metered stretch counts as a
                // step here, so that a budget is met inside a C call too.
                count_step();
            }
            if serve_here(l) {
                raise_stop(l, armed_hook);
            }
            // Served (or nothing was due): look again later.
            let again = if meter > 0 { meter } else { 1000 };
            ffi::lua_sethook(l, Some(armed_hook), ffi::LUA_MASKCOUNT, again);
            return;
        }
        ffi::lua_yield(l, 0);
    }
}

/// The hook of a thread whose program is stopping: at every instruction
/// it yields to the loop where Lua can yield (the loop then reports the
/// stop) and raises [`STOP_MSG`] where it cannot, so that Lua unwinds past
/// any `pcall` to such a place.
pub(super) unsafe extern "C-unwind" fn stop_hook(l: *mut lua_State, _ar: *mut lua_Debug) {
    // SAFETY: as for `armed_hook`.
    unsafe {
        if in_flight() {
            return;
        }
        if ffi::lua_isyieldable(l) != 0 {
            ffi::lua_yield(l, 0);
        } else {
            raise_stop(l, stop_hook);
        }
    }
}
