//! Moving values between a raw `lua_State` and mlua, for the values only
//! mlua can hold (tables, functions, threads, userdata, strings it keeps):
//! a copy goes from the thread's stack to mlua's own stack with
//! `lua_xmove` and becomes an mlua reference there, or the other way.
//! Neither direction allocates on the raw thread (room is checked with
//! `lua_checkstack`, which does not raise) or runs Lua code. [`plain`]
//! reads the values that need neither mlua nor an allocation, and
//! [`runtime_of`] finds mlua's handle and polyeval's state from a raw
//! thread.

use std::ffi::c_int;
use std::rc::Rc;

use mlua::ffi::{self, lua_State};
use mlua::Lua;
use polyeval_core::Value;

use crate::state::Shared;

/// The Lua state of `l` and polyeval's state for it.
///
/// # Safety
///
/// `l` is the running thread, with a free stack slot.
pub(super) unsafe fn runtime_of(l: *mut lua_State) -> Option<(&'static Lua, Rc<Shared>)> {
    // SAFETY: `l` belongs to a state mlua made; the `Lua` it answers lives
    // as long as the state, which outlives this C call.
    let lua: &'static Lua = unsafe { Lua::get_or_init_from_ptr(l) };
    let sh = Shared::of(lua)?;
    Some((lua, sh))
}

/// The values at `idxs` of thread `l` as mlua values; `None` when there
/// is no room on either stack.
///
/// # Safety
///
/// `l` is a live thread of `lua`'s state, not running or the one
/// running, and the indices are valid in it.
pub(crate) unsafe fn to_mlua(
    lua: &Lua,
    l: *mut lua_State,
    idxs: &[c_int],
) -> Option<Vec<mlua::Value>> {
    lua.exec_raw_lua(|raw| {
        let state = raw.state();
        // SAFETY: room is checked on both stacks before any push; each
        // copy is moved to mlua's stack and popped into a reference there.
        unsafe {
            if ffi::lua_checkstack(l, 1) == 0 || ffi::lua_checkstack(state, 2) == 0 {
                return None;
            }
            let mut out = Vec::with_capacity(idxs.len());
            for &i in idxs {
                ffi::lua_pushvalue(l, i);
                ffi::lua_xmove(l, state, 1);
                out.push(raw.pop_value());
            }
            Some(out)
        }
    })
}

/// Pushes `vals` on thread `l`; false (nothing pushed) when there is no
/// room or a value cannot be pushed.
///
/// # Safety
///
/// As [`to_mlua`].
pub(crate) unsafe fn push_mlua(lua: &Lua, l: *mut lua_State, vals: &[mlua::Value]) -> bool {
    let Ok(n) = c_int::try_from(vals.len()) else {
        return false;
    };
    lua.exec_raw_lua(|raw| {
        let state = raw.state();
        // SAFETY: room is checked on both stacks; the values are pushed on
        // mlua's stack (references copy without allocating) and moved over
        // together, or mlua's stack is put back as it was.
        unsafe {
            if ffi::lua_checkstack(l, n + 1) == 0 || ffi::lua_checkstack(state, n + 2) == 0 {
                return false;
            }
            let base = ffi::lua_gettop(state);
            for v in vals {
                if raw.push_value(v).is_err() {
                    ffi::lua_settop(state, base);
                    return false;
                }
            }
            ffi::lua_xmove(state, l, n);
            true
        }
    })
}

/// The value at `idx` of `l`'s stack if it is nil, a boolean or a number
/// (what needs neither mlua nor an allocation).
///
/// # Safety
///
/// `l` is a live thread of this OS thread's Lua state and `idx` one of its
/// stack's indices (or an unused one above the top).
#[inline]
pub(super) unsafe fn plain(l: *mut lua_State, idx: c_int) -> Option<Value> {
    // SAFETY: type-checked reads; nothing raises.
    unsafe {
        Some(match ffi::lua_type(l, idx) {
            ffi::LUA_TNIL | ffi::LUA_TNONE => Value::Nil,
            ffi::LUA_TBOOLEAN => Value::Bool(ffi::lua_toboolean(l, idx) != 0),
            ffi::LUA_TNUMBER => {
                if ffi::lua_isinteger(l, idx) != 0 {
                    Value::Int(ffi::lua_tointegerx(l, idx, std::ptr::null_mut()))
                } else {
                    Value::Float(ffi::lua_tonumberx(l, idx, std::ptr::null_mut()))
                }
            }
            _ => return None,
        })
    }
}
