//! Interrupts from Lua: the `polyeval` table (`on_interrupt`, `raise`,
//! `timer`, `sleep`, `without_interrupts`, `pending`) and Lua's `warn`,
//! which raises the `warning` kind. The Lua half lives in `runtime.lua`;
//! this module gives it the Rust helpers it needs.

use std::cell::Cell;
use std::rc::Rc;

use mlua::{Function, Lua, Table};
use polyeval_core::{Ident, Interp};

use crate::runtime::{LuaRuntime, Shared};
use polyeval_core::lend::with_rt;

thread_local! {
    /// `without_interrupts` sections that ended while no run loop was lent.
    static LOST_ALLOWS: Cell<u32> = const { Cell::new(0) };
}

/// Ends the `without_interrupts` sections whose guards were collected
/// while no run loop was lent.
pub(crate) fn settle_sections(rt: &mut Interp) {
    let n = LOST_ALLOWS.with(|n| n.replace(0));
    for _ in 0..n {
        rt.allow_interrupts();
    }
}

/// Sets the globals `polyeval` and `warn` of `runtime`'s Lua state.
pub(crate) fn install(rt: &Interp, runtime: &LuaRuntime, make: &Function) -> mlua::Result<()> {
    let lua = runtime.lua();
    let helpers = lua.create_table()?;
    helpers.set(
        "pending",
        lua.create_function(|_, ()| Ok(with_rt(|rt| rt.should_yield()).unwrap_or(false)))?,
    )?;
    helpers.set(
        "defer",
        lua.create_function(|_, ()| {
            with_rt(Interp::defer_interrupts);
            Ok(())
        })?,
    )?;
    helpers.set(
        "allow",
        lua.create_function(|_, ()| {
            if with_rt(Interp::allow_interrupts).is_none() {
                // A section's guard collected while no loop was lent (a
                // collection the host started): ended at the next step.
                LOST_ALLOWS.with(|n| n.set(n.get() + 1));
            }
            Ok(())
        })?,
    )?;
    helpers.set("raise", make_raise(lua, runtime.shared())?)?;
    let interp = runtime
        .to_lua(&rt.interp_value())
        .map_err(|e| mlua::Error::runtime(e.message))?;
    let table: Table = make.call((interp, helpers))?;
    let globals = lua.globals();
    globals.set("polyeval", table)?;
    globals.set(
        "warn",
        crate::ffi::warn_function(lua, runtime.config().warnings)?,
    )
}

/// `raise(kind, payload)`: queues an interrupt raised by Lua code, with
/// the position of the Lua code that raised it (for warnings' messages).
fn make_raise(lua: &Lua, shared: &Rc<Shared>) -> mlua::Result<Function> {
    let sh = shared.clone();
    lua.create_function(
        move |lua, (kind, payload): (mlua::LuaString, mlua::Value)| {
            let mut frames = Vec::new();
            sh.record_frames(lua, 1, 1, &mut frames);
            let payload = crate::convert::from_lua(&sh, payload);
            let kind = Ident::from_bytes(&kind.as_bytes());
            with_rt(|rt| rt.raise_local(kind, payload, frames.into_iter().next()));
            Ok(())
        },
    )
}
