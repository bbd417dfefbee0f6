//! Driver threads (`state::Driver`) resumed with raw `lua_resume`.
//!
//! A driver thread is a plain Lua thread: its function and arguments are
//! pushed on its empty stack and it is resumed, with no `xpcall` under the
//! user's code. A thread that returns is left as Lua leaves it (status
//! `LUA_OK`, no frame) once its results are taken, and is reused as it
//! is. A thread that fails keeps its frames until they are read from its
//! own stack ([`dead_frames`]); [`close_dead`] then runs its pending
//! `<close>` variables (as the `pcall` under the user's code used to) and
//! leaves it empty for reuse.
//!
//! Values go onto a thread's stack raw when they need no allocation, and
//! through mlua otherwise (`exec_raw` on mlua's own stack, then
//! `lua_xmove`), so that running out of memory is an error, never a raise
//! on a thread with no protected frame.

use std::ffi::{c_int, CStr};

use mlua::ffi::{self, lua_State};
use mlua::Lua;
use polyeval_core::Value;

use super::ccalls;
use crate::state::Driver;

#[inline]
fn state_of(t: &Driver) -> *mut lua_State {
    t.state()
}

/// How a resume ended.
pub(crate) enum Resumed {
    /// The function returned this many results (on the thread's stack).
    Returned(c_int),
    /// The thread yielded this many values (on its stack).
    Yielded(c_int),
    /// The function failed: the error value is on top of the stack, and
    /// the thread's frames are where the error left them.
    Failed,
}

/// A new, empty driver thread.
pub(crate) fn new_thread(lua: &Lua, any: &mlua::Function) -> mlua::Result<Driver> {
    let t = Driver::new(lua.create_thread(any.clone())?);
    // SAFETY: a new thread that never ran: emptying its stack leaves a
    // thread ready to get a function pushed, as after `lua_newthread`.
    unsafe { ffi::lua_settop(t.state(), 0) };
    Ok(t)
}

/// Resumes `t` with the `nargs` values on top of its stack.
pub(crate) fn resume(t: &Driver, nargs: c_int) -> Resumed {
    let l = state_of(t);
    let (from, base) = ccalls::resume_from(l);
    let mut nres: c_int = 0;
    // SAFETY: `t` is held (alive) and is a fresh, finished or suspended
    // driver thread of the Lua state of this OS thread, with its
    // arguments pushed; `from` is null or a thread being resumed further
    // out on this OS thread.
    let status = unsafe { ffi::lua_resume(l, from, nargs, &mut nres) };
    ccalls::resumed((from, base));
    match status {
        ffi::LUA_OK => Resumed::Returned(nres),
        ffi::LUA_YIELD => Resumed::Yielded(nres),
        _ => Resumed::Failed,
    }
}

/// Pushes `vals` (mlua values) on `t`'s stack; answers how many, or an
/// error when there is no room.
pub(crate) fn push_values(lua: &Lua, t: &Driver, vals: &[mlua::Value]) -> mlua::Result<c_int> {
    // SAFETY: `t` is a held thread of `lua`'s state, not running.
    if unsafe { super::values::push_mlua(lua, state_of(t), vals) } {
        Ok(c_int::try_from(vals.len()).unwrap_or(0))
    } else {
        Err(mlua::Error::MemoryError("stack overflow".to_owned()))
    }
}

/// Pushes `v` on `t`'s stack if that needs no allocation (nil, booleans,
/// numbers, light userdata); answers whether it did.
pub(crate) fn push_plain(t: &Driver, v: &Value) -> bool {
    let l = state_of(t);
    // SAFETY: `t` is held and not running; `lua_checkstack` does not
    // raise, and these pushes do not allocate.
    unsafe {
        if ffi::lua_checkstack(l, 2) == 0 {
            return false;
        }
        match v {
            Value::Nil => ffi::lua_pushnil(l),
            Value::Bool(b) => ffi::lua_pushboolean(l, c_int::from(*b)),
            Value::Int(i) => ffi::lua_pushinteger(l, *i),
            Value::Float(f) => ffi::lua_pushnumber(l, *f),
            _ => return false,
        }
    }
    true
}

/// The value at `idx` of `t`'s stack if it is nil, a boolean or a number.
pub(crate) fn plain_at(t: &Driver, idx: c_int) -> Option<Value> {
    // SAFETY: `t` is held and not running; `idx` is one of its stack's
    // indices.
    unsafe { super::values::plain(state_of(t), idx) }
}

/// Whether the value at `idx` of `t`'s stack is light userdata `p`.
pub(crate) fn is_marker_at(t: &Driver, idx: c_int, p: mlua::LightUserData) -> bool {
    let l = state_of(t);
    // SAFETY: a read of a valid index of a thread that is not running.
    unsafe {
        ffi::lua_type(l, idx) == ffi::LUA_TLIGHTUSERDATA && ffi::lua_touserdata(l, idx) == p.0
    }
}

/// The value at `idx` of `t`'s stack as an mlua value.
pub(crate) fn value_at(lua: &Lua, t: &Driver, idx: c_int) -> mlua::Result<mlua::Value> {
    // SAFETY: `t` is a held thread of `lua`'s state, not running, and
    // `idx` is one of its stack's indices.
    unsafe { super::values::to_mlua(lua, state_of(t), &[idx]) }
        .and_then(|mut v| v.pop())
        .ok_or_else(|| mlua::Error::MemoryError("stack overflow".to_owned()))
}

/// The number of values on `t`'s stack.
pub(crate) fn top(t: &Driver) -> c_int {
    // SAFETY: reads the stack size of a held thread.
    unsafe { ffi::lua_gettop(state_of(t)) }
}

/// Removes the value at `idx` of `t`'s stack.
pub(crate) fn remove(t: &Driver, idx: c_int) {
    // SAFETY: `t` is not running and `idx` is one of its stack's indices;
    // moving values down runs no code.
    unsafe { ffi::lua_remove(state_of(t), idx) }
}

/// Drops the values on `t`'s stack above `n`.
pub(crate) fn set_top(t: &Driver, n: c_int) {
    // SAFETY: `t` is not running; lowering the top of a finished thread
    // or of a suspended one's yielded values runs no code.
    unsafe { ffi::lua_settop(state_of(t), n) }
}

/// A frame of a failed thread: what `lua_getinfo("Sln")` says.
pub(crate) struct DeadFrame {
    pub what: String,
    pub short_src: String,
    pub line: i64,
    pub name: Option<String>,
    pub line_defined: i64,
}

/// The frames of failed thread `t`, innermost first (at most `max`,
/// `keep` deciding which count), read from its own stack.
pub(crate) fn dead_frames(
    t: &Driver,
    max: usize,
    mut keep: impl FnMut(&DeadFrame) -> bool,
) -> Vec<DeadFrame> {
    let l = state_of(t);
    let mut out = Vec::new();
    // SAFETY: a thread that failed keeps its call frames until it is
    // closed; `lua_getstack` and `lua_getinfo("Sln")` only read them, and
    // the strings they give are NUL-terminated.
    unsafe {
        let mut ar: ffi::lua_Debug = std::mem::zeroed();
        let mut level = 0;
        while out.len() < max && level < 200 {
            if ffi::lua_getstack(l, level, &mut ar) == 0 {
                break;
            }
            level += 1;
            if ffi::lua_getinfo(l, c"Sln".as_ptr(), &mut ar) == 0 {
                continue;
            }
            let fr = DeadFrame {
                what: CStr::from_ptr(ar.what).to_string_lossy().into_owned(),
                short_src: CStr::from_ptr(ar.short_src.as_ptr())
                    .to_string_lossy()
                    .into_owned(),
                line: i64::from(ar.currentline),
                name: (!ar.name.is_null())
                    .then(|| CStr::from_ptr(ar.name).to_string_lossy().into_owned()),
                line_defined: i64::from(ar.linedefined),
            };
            if keep(&fr) {
                out.push(fr);
            }
        }
    }
    out
}

/// Closes failed thread `t`: runs its pending `<close>` variables (an
/// error among them replaces the error value) and leaves it empty but
/// for the error value, which it answers, so that it can be reused.
pub(crate) fn close_dead(lua: &Lua, t: &Driver) -> mlua::Result<mlua::Value> {
    let l = state_of(t);
    let from = ccalls::resuming();
    // SAFETY: `t` failed and is not running; `lua_closethread` unwinds
    // it, calling its `__close` metamethods protected, and leaves the
    // error value at index 1 (or nothing when all went well).
    unsafe {
        ffi::lua_closethread(l, from);
    }
    let v = if top(t) >= 1 {
        value_at(lua, t, 1)?
    } else {
        mlua::Value::Nil
    };
    set_top(t, 0);
    Ok(v)
}
