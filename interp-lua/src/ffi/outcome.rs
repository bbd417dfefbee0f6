//! How the raw C functions of this folder end.
//!
//! Every C function here is split in two: a plain-Rust body that returns
//! an [`Outcome`] (plain data) with every Rust value dropped, and an
//! `extern "C-unwind"` shell that hands it to [`conclude`], which returns,
//! raises (`lua_error`) or yields (`lua_yieldk`) holding no Rust value.
//! A `PENDING` yield resumes in [`send_k`].

use std::ffi::{c_int, CStr};

use mlua::ffi::{self, lua_KContext, lua_State};

use crate::state::Marker;

/// How a C function's shell ends.
pub(super) enum Outcome {
    /// Return this many results (on the stack).
    Return(c_int),
    /// Raise the value on top of the stack.
    Raise,
    /// Raise a static message.
    RaiseStatic(&'static CStr),
    /// Raise a static message with the caller's position.
    RaiseWhere(&'static CStr),
    /// Yield `PENDING` to the driver, emptying the stack first; on
    /// resumption, continue in the send's continuation function.
    YieldPending,
    /// Yield the coroutine library's resume marker to the continuation
    /// (a chain is to be resumed); on resumption, continue in `k`.
    YieldResume(ffi::lua_KFunction),
    /// A user `coroutine.yield` of the top `n` values (the yield marker
    /// goes under them).
    YieldUser(c_int),
}

/// The message when no run loop is lent.
pub(super) const NO_LOOP: &CStr = c"polyeval: no run loop is running Lua code here";

/// Ends a C function as `out` says.
///
/// # Safety
///
/// `l` is the running thread; the caller holds no Rust value with a
/// destructor (this may longjmp).
pub(super) unsafe fn conclude(l: *mut lua_State, out: Outcome) -> c_int {
    // SAFETY: as the caller guarantees; the messages are static.
    unsafe {
        match out {
            Outcome::Return(n) => n,
            Outcome::Raise => ffi::lua_error(l),
            Outcome::RaiseStatic(m) => {
                ffi::lua_pushstring(l, m.as_ptr());
                ffi::lua_error(l)
            }
            Outcome::RaiseWhere(m) => {
                ffi::luaL_where(l, 1);
                ffi::lua_pushstring(l, m.as_ptr());
                ffi::lua_concat(l, 2);
                ffi::lua_error(l)
            }
            Outcome::YieldPending => {
                // The arguments go, so the continuation finds only what
                // the resume passed, whoever resumes.
                ffi::lua_settop(l, 0);
                ffi::lua_pushlightuserdata(l, Marker::Pending.ptr());
                ffi::lua_yieldk(l, 1, 0, Some(send_k))
            }
            Outcome::YieldResume(k) => {
                ffi::lua_pushlightuserdata(l, Marker::Resume.ptr());
                ffi::lua_yieldk(l, 1, 0, Some(k))
            }
            Outcome::YieldUser(n) => {
                ffi::lua_pushlightuserdata(l, Marker::Yield.ptr());
                ffi::lua_rotate(l, -(n + 1), 1);
                ffi::lua_yield(l, n + 1)
            }
        }
    }
}

/// Where a pending send resumes: with the result, or `ERR, error`.
unsafe extern "C-unwind" fn send_k(l: *mut lua_State, _status: c_int, _ctx: lua_KContext) -> c_int {
    // SAFETY: Lua calls this on the resumed thread, whose stack holds
    // what the resume passed (the yield emptied it).
    unsafe {
        let top = ffi::lua_gettop(l);
        if top > 0 && ffi::lua_touserdata(l, 1) == Marker::Err.ptr() {
            ffi::lua_settop(l, 2);
            ffi::lua_error(l);
        }
        top
    }
}
