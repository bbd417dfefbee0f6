//! Preemption on demand ("armed hooks"), for speed, and the one-shot hooks
//! that make a running thread stop or raise `interrupted!`.
//!
//! A count hook makes Lua 5.4 trap on every instruction (a pure Lua loop
//! runs half as fast), so by default driver threads run with no hook at
//! all. When an interrupt is raised from another thread, the loop's waker
//! sends SIGURG to the loop's thread; the handler sets a one-instruction
//! count hook on the Lua thread running there (`lua_sethook` is documented
//! as safe to call from a signal handler; the stand-alone `lua` does the
//! same for Ctrl-C). The hook (`hooks.rs`'s `armed_hook`) removes itself
//! and yields to the run loop.

use std::cell::Cell;
use std::ffi::c_int;
use std::ptr;
use std::sync::atomic::{compiler_fence, Ordering};
use std::sync::Arc;

use mlua::ffi::{self, lua_Debug, lua_State};

use super::hooks::{armed_hook, in_flight, raise_interrupted, stop_hook, METER, PREEMPT};
use super::{ccalls, userhook};
use crate::state::{ArmState, Driver};

thread_local! {
    /// The driver thread Lua is running on this OS thread (null: none).
    static CURRENT: Cell<*mut lua_State> = const { Cell::new(ptr::null_mut()) };
}

/// Makes `l` run [`armed_hook`] after `count` instructions (1: at its
/// next one).
///
/// # Safety
///
/// `l` must be a live Lua thread of a state owned by this OS thread.
unsafe fn arm(l: *mut lua_State, count: c_int) {
    // SAFETY: the caller guarantees `l` is live; `lua_gethook` reads and
    // `lua_sethook` only stores the hook fields (safe even from a signal
    // handler, per Lua's manual). A thread with a user hook keeps it: its
    // combined hook sees the request through `PREEMPT`.
    unsafe {
        let combined: ffi::lua_Hook = userhook::combined_hook;
        if ffi::lua_gethook(l).map(|h| h as usize) == Some(combined as usize) {
            return;
        }
        ffi::lua_sethook(l, Some(armed_hook), ffi::LUA_MASKCOUNT, count);
    }
}

thread_local! {
    /// The hook [`interrupt_hook`] replaced, given back when it fires.
    static BEFORE_INTERRUPT: Cell<Option<(Option<ffi::lua_Hook>, c_int, c_int)>> =
        const { Cell::new(None) };
}

/// A one-shot hook that gives the thread its hook back and raises
/// `interrupted!` (see [`interrupt_thread`]).
unsafe extern "C-unwind" fn interrupt_hook(l: *mut lua_State, _ar: *mut lua_Debug) {
    // SAFETY: as for `armed_hook`; the saved hook is plain data.
    unsafe {
        if in_flight() {
            return;
        }
        let (h, mask, count) = BEFORE_INTERRUPT.with(Cell::take).unwrap_or((None, 0, 0));
        ffi::lua_sethook(l, h, mask, count);
        raise_interrupted(l);
    }
}

/// Makes running thread `t` raise `interrupted!` at its next instruction,
/// for hooks that cannot raise it themselves (mlua's count hook).
pub(crate) fn interrupt_thread(t: &mlua::Thread) {
    let l = t.to_pointer().cast_mut().cast::<lua_State>();
    // SAFETY: `t` is the thread running on this OS thread (held, so
    // alive); reading and storing hook fields.
    unsafe {
        let saved = (
            ffi::lua_gethook(l),
            ffi::lua_gethookmask(l),
            ffi::lua_gethookcount(l),
        );
        BEFORE_INTERRUPT.with(|b| b.set(Some(saved)));
        ffi::lua_sethook(l, Some(interrupt_hook), ffi::LUA_MASKCOUNT, 1);
    }
}

/// Makes running thread `t` unwind to the loop from its next instruction
/// on (see [`stop_hook`]): the program is stopping.
pub(crate) fn stop_thread(t: &mlua::Thread) {
    let l = t.to_pointer().cast_mut().cast::<lua_State>();
    // SAFETY: `t` is the thread running on this OS thread (held, so alive);
    // `lua_sethook` only stores the hook fields.
    unsafe { ffi::lua_sethook(l, Some(stop_hook), ffi::LUA_MASKCOUNT, 1) }
}

/// Whether a preemption may yield Lua thread `t` (the one running now):
/// it can yield, and no C call above its resume would lose its count
/// (`ccalls`).
pub(crate) fn may_preempt(t: &mlua::Thread) -> bool {
    let l = t.to_pointer().cast_mut().cast::<lua_State>();
    // SAFETY: a thread value's pointer is its `lua_State`, alive while `t`
    // is held; `may_preempt` only reads it.
    unsafe { ccalls::may_preempt(l) }
}

/// Where Lua was before [`enter`]; give it back to [`leave`].
pub(crate) struct Entered {
    prev: *mut lua_State,
}

/// Notes that driver thread `t` is about to run (armed mode) and arms it
/// at once if an interrupt already waits (`pending`, or the handle's flag
/// read after the thread is published, so that a raise racing with this
/// call is seen either here or by the signal handler). With `meter` > 0
/// it is armed to yield after that many instructions even when nothing
/// waits: a metered step (see `hooks.rs`'s `METER`).
pub(crate) fn enter(
    t: &Driver,
    arm_state: &ArmState,
    pending: impl Fn() -> bool,
    meter: u32,
) -> Entered {
    let me = t.state();
    arm_state.signalled.store(false, Ordering::SeqCst);
    let prev = CURRENT.with(|c| c.replace(me));
    let meter = c_int::try_from(meter).unwrap_or(c_int::MAX);
    METER.with(|m| m.set(meter));
    compiler_fence(Ordering::SeqCst);
    let count = if pending() { 1 } else { meter };
    if count > 0 {
        PREEMPT.with(|p| p.set(true));
        // SAFETY: `t` is held by the caller and about to be resumed here.
        unsafe { arm(me, count) }
    }
    Entered { prev }
}

/// Undoes [`enter`] after the resume returned. A hook left on the thread
/// removes itself at its next instruction (see [`armed_hook`]).
pub(crate) fn leave(e: Entered) {
    CURRENT.with(|c| c.set(e.prev));
    METER.with(|m| m.set(0));
    compiler_fence(Ordering::SeqCst);
    PREEMPT.with(|p| p.set(false));
}

/// The waker for the run loop on the calling OS thread: it signals that
/// thread (once until Lua next enters), whose handler arms the running
/// driver thread. `None` where signals are not available.
#[cfg(unix)]
pub(crate) fn waker(state: &Arc<ArmState>) -> Option<polyeval_core::Waker> {
    install_signal_handler()?;
    // SAFETY: `pthread_self` has no preconditions.
    let tid = unsafe { libc::pthread_self() };
    let state = state.clone();
    Some(Box::new(move || {
        if state.alive.load(Ordering::SeqCst) && !state.signalled.swap(true, Ordering::SeqCst) {
            // SAFETY: `tid` is the loop's thread, alive while `alive` is set
            // (the loop retires the state before its thread can end).
            unsafe {
                libc::pthread_kill(tid, libc::SIGURG);
            }
        }
    }))
}

#[cfg(not(unix))]
pub(crate) fn waker(_state: &Arc<ArmState>) -> Option<polyeval_core::Waker> {
    None
}

#[cfg(unix)]
fn install_signal_handler() -> Option<()> {
    static INSTALLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *INSTALLED.get_or_init(|| {
        // SAFETY: the action is async-signal-safe: it reads and writes
        // this thread's const-initialised thread-locals (no allocation, no
        // locks) and calls `lua_sethook`, which Lua allows in a signal
        // handler.
        unsafe { signal_hook::low_level::register(libc::SIGURG, on_sigurg) }.is_ok()
    });
    ok.then_some(())
}

#[cfg(unix)]
fn on_sigurg() {
    let l = CURRENT.try_with(Cell::get).unwrap_or(ptr::null_mut());
    if !l.is_null() {
        let _ = PREEMPT.try_with(|p| p.set(true));
        // SAFETY: `CURRENT` names the driver thread this OS thread is
        // running between `enter` and `leave`, so it is live.
        unsafe { arm(l, 1) }
    }
}
