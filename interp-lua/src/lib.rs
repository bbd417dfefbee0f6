//! polyeval-lua: Lua 5.4 (through mlua) as run-loop continuations.
//!
//! Every running piece of Lua is a [`LuaCont`]: a pooled Lua thread with a
//! `back`. Calls into other interpreters hand off through the run loop
//! (the thread yields; the result comes back by `setr`), so no interpreter
//! nests on the native stack. User coroutines are native Lua coroutines
//! whose `coroutine.*` functions pass such waits up to the driver thread
//! (`runtime.lua`). Start at [`LuaRuntime::install`] and [`start_main`].
#![deny(unsafe_code)]

mod cont;
mod convert;
#[allow(unsafe_code)]
mod ffi;
mod irq;
mod lang;
/// Lending the run loop to Lua callbacks: the core service
/// [`polyeval_core::lend`], re-exported under its old path.
pub use polyeval_core::lend;
mod memory;
mod runtime;

use std::rc::Rc;

pub use cont::LuaCont;
pub use convert::LuaObject;
#[cfg(target_os = "linux")]
pub use ffi::cstdio::CStdout;
pub use ffi::traceback_function;
pub use lang::LuaLanguage;
pub use runtime::{lua_error, LuaConfig, LuaRuntime, Preempt, Stdlib, DEFAULT_LUA_QUANTUM};

use polyeval_core::{Interp, Reply, ScriptError, Value};

/// Makes a Lua function call the current continuation, as a new root:
/// a program's main chunk, say. `args` are its arguments.
///
/// # Errors
///
/// A script error when Lua is out of memory.
pub fn start_main(
    rt: &mut Interp,
    lua: &Rc<LuaRuntime>,
    f: mlua::Function,
    args: &[Value],
) -> Result<(), ScriptError> {
    let cont = convert::driver(lua.shared(), mlua::Value::Function(f), None, args)?;
    rt.start(Box::new(cont));
    Ok(())
}

/// Calls Lua value `f` with `args` by a hand-off from the current
/// continuation: answers [`Reply::Pending`]; the result comes back by
/// `setr`.
///
/// # Errors
///
/// A script error when Lua is out of memory.
pub fn call(
    rt: &mut Interp,
    lua: &Rc<LuaRuntime>,
    f: mlua::Value,
    args: &[Value],
) -> Result<Reply, ScriptError> {
    convert::call_lua(rt, lua.shared(), f, None, args)
}
