//! Lua's count of nested C calls (`nCcalls`), kept right across preemption.
//!
//! Lua counts the C calls nested on the native stack (a `pcall`, a
//! metamethod called from C, a resume) and raises "C stack overflow" at
//! 200. A yield unwinds the native stack, so after a preemption yield and
//! the resume the count starts again from the resume's: an endless
//! `pcall` recursion preempted at every instruction would never reach the
//! limit. So a preemption hook yields only where the running thread has no
//! C call above its resume; above one, it gives the loop its turn in place
//! (`serve_in_place`) and the C frames, with their count, stay.
//!
//! The C API does not show the count, so it is read at its offset in the
//! vendored Lua's `lua_State` (5.4.9, mirrored below), and that offset is
//! checked once against counts Lua must have (1 at the top of a fresh
//! resume, `0x10002` one non-yieldable call deeper). If the check fails,
//! nothing is read and preemption yields wherever Lua can yield, as
//! before.

use std::cell::Cell;
use std::ffi::c_int;
use std::sync::atomic::{AtomicU8, Ordering};

use mlua::ffi::{self, lua_State};

/// The prefix of Lua 5.4.9's `CallInfo` (`lstate.h`).
#[repr(C)]
struct CallInfoMirror {
    func: usize,
    top: usize,
    previous: usize,
    next: usize,
    u: [usize; 3],
    u2: c_int,
    nresults: i16,
    callstatus: u16,
}

/// The prefix of Lua 5.4.9's `lua_State` (`lstate.h`), up to `nCcalls`.
#[repr(C)]
struct StateMirror {
    next: usize,
    tt: u8,
    marked: u8,
    status: u8,
    allowhook: u8,
    nci: u16,
    top: usize,
    l_g: usize,
    ci: usize,
    stack_last: usize,
    stack: usize,
    openupval: usize,
    tbclist: usize,
    gclist: usize,
    twups: usize,
    error_jmp: usize,
    base_ci: CallInfoMirror,
    hook: usize,
    errfunc: isize,
    n_ccalls: u32,
}

const OFFSET: usize = std::mem::offset_of!(StateMirror, n_ccalls);

/// 0: not checked; 1: the offset holds the count; 2: it does not.
static CHECKED: AtomicU8 = AtomicU8::new(0);

thread_local! {
    /// What the two probes read.
    static PROBED: Cell<(u32, u32)> = const { Cell::new((0, 0)) };
    /// The count of the innermost thread the driver resumed, right after
    /// the resume (see `resume.rs`).
    static BASE: Cell<u32> = const { Cell::new(1) };
    /// The driver thread being resumed on this OS thread (innermost), the
    /// `from` of a nested resume, so Lua counts C calls across them.
    static RESUMING: Cell<*mut lua_State> = const { Cell::new(std::ptr::null_mut()) };
}

/// The thread the driver resumed last and that has not stopped yet.
#[inline]
pub(crate) fn resuming() -> *mut lua_State {
    RESUMING.with(Cell::get)
}

/// Notes that the driver resumes `l` (see [`resuming`]): answers the
/// thread to resume it from and the previous base, for [`resumed`].
#[inline]
pub(crate) fn resume_from(l: *mut lua_State) -> (*mut lua_State, u32) {
    let from = RESUMING.with(|r| r.replace(l));
    (from, set_base(from))
}

/// Undoes [`resume_from`] once the resume returned.
#[inline]
pub(crate) fn resumed((from, base): (*mut lua_State, u32)) {
    RESUMING.with(|r| r.set(from));
    restore_base(base);
}

/// Reads `l`'s count at the mirrored offset.
///
/// # Safety
///
/// `l` is a live thread of the vendored Lua.
unsafe fn read(l: *mut lua_State) -> u32 {
    // SAFETY: `OFFSET` lies inside `lua_State` (the mirror is a prefix of
    // it); an unaligned read of four bytes there reads plain data.
    unsafe { l.cast::<u8>().add(OFFSET).cast::<u32>().read_unaligned() }
}

unsafe extern "C-unwind" fn probe_inner(l: *mut lua_State) -> c_int {
    // SAFETY: Lua calls this with a live thread.
    let n = unsafe { read(l) };
    PROBED.with(|p| p.set((p.get().0, n)));
    0
}

unsafe extern "C-unwind" fn probe_outer(l: *mut lua_State) -> c_int {
    // SAFETY: Lua calls this at the top of a fresh resume; the inner probe
    // raises nothing.
    unsafe {
        let n = read(l);
        PROBED.with(|p| p.set((n, 0)));
        ffi::lua_pushcclosure(l, probe_inner, 0);
        ffi::lua_callk(l, 0, 0, 0, None);
    }
    0
}

/// Checks the offset once, on a fresh thread of `l`'s state.
///
/// # Safety
///
/// `l` is a thread of a Lua state of this OS thread with room for a value,
/// inside mlua's protected `exec_raw`.
pub(crate) unsafe fn calibrate(l: *mut lua_State) {
    if CHECKED.load(Ordering::Relaxed) != 0 {
        return;
    }
    // SAFETY: a new thread runs the probes, which only read; it is popped
    // after.
    let ok = unsafe {
        let t = ffi::lua_newthread(l);
        ffi::lua_pushcclosure(t, probe_outer, 0);
        let mut n = 0;
        let status = ffi::lua_resume(t, std::ptr::null_mut(), 0, &mut n);
        ffi::lua_settop(l, -2);
        status == ffi::LUA_OK && PROBED.with(Cell::get) == (1, 0x10002)
    };
    CHECKED.store(if ok { 1 } else { 2 }, Ordering::Relaxed);
}

/// The C-call count (without the non-yieldable bits) of live thread `l`,
/// where it can be read.
pub(crate) fn count(l: *mut lua_State) -> Option<u32> {
    if CHECKED.load(Ordering::Relaxed) != 1 {
        return None;
    }
    // SAFETY: the offset was checked against this Lua; `l` is live (the
    // callers pass running or resuming threads).
    Some(unsafe { read(l) } & 0xffff)
}

/// Notes the count a resume of a thread from `from` starts with, and
/// answers the previous one (give it back to [`restore_base`]).
fn set_base(from: *mut lua_State) -> u32 {
    let base = if from.is_null() {
        1
    } else {
        count(from).unwrap_or(0) + 1
    };
    BASE.with(|b| b.replace(base))
}

/// Gives back the base [`set_base`] answered.
fn restore_base(prev: u32) {
    BASE.with(|b| b.set(prev));
}

/// Whether running thread `l` (the one the driver resumed last) has a C
/// call above its resume, so that a preemption yield would lose Lua's
/// count of it.
pub(crate) fn above_base(l: *mut lua_State) -> bool {
    resuming() == l && count(l).is_some_and(|n| n > BASE.with(Cell::get))
}

/// Whether a preemption may yield `l` here: Lua can yield, and no C call
/// would be lost.
///
/// # Safety
///
/// `l` is the running thread.
pub(crate) unsafe fn may_preempt(l: *mut lua_State) -> bool {
    // SAFETY: as the caller guarantees; `lua_isyieldable` only reads.
    unsafe { ffi::lua_isyieldable(l) != 0 && !above_base(l) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_count_is_readable_in_the_vendored_lua() {
        let lua = mlua::Lua::new();
        // SAFETY: `exec_raw` runs the closure protected, on mlua's stack,
        // which has room for the probe thread.
        unsafe { lua.exec_raw::<()>((), |l| calibrate(l)) }.expect("calibrate");
        assert_eq!(
            CHECKED.load(Ordering::Relaxed),
            1,
            "the mirrored offset is Lua's"
        );
        // SAFETY: as above; the main state's count is read while it runs.
        let n = unsafe {
            lua.exec_raw::<u32>((), |l| {
                ffi::lua_pushinteger(l, count(l).map_or(-1, i64::from))
            })
        }
        .expect("read");
        assert!(n < 10, "{n}");
    }
}
