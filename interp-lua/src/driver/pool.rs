//! The pool of driver threads (`Shared::pool`): a thread that returned,
//! or failed and was closed, waits there empty for the next call.

use mlua::Lua;

use crate::state::{Driver, Shared};

/// A driver thread from the pool, or a new one.
pub(crate) fn take(sh: &Shared, lua: &Lua) -> mlua::Result<Driver> {
    if let Some(t) = sh.pool.borrow_mut().pop() {
        return Ok(t);
    }
    let t = crate::ffi::resume::new_thread(lua, &sh.getinfo)?;
    crate::ffi::forget_user_hook(t.state());
    Ok(t)
}

/// Returns a driver thread whose function returned (or that was closed
/// after failing) to the pool, as it is: empty, ready for the next
/// function. A coroutine's own thread is not pooled.
pub(crate) fn give(sh: &Shared, t: Driver) {
    if t.thread().is_none() {
        return;
    }
    crate::ffi::forget_user_hook(t.state());
    let mut pool = sh.pool.borrow_mut();
    if pool.len() < 256 {
        pool.push(t);
    }
}
