//! polyeval-lua: Lua 5.4 (through mlua) as run-loop continuations.
//!
//! Every running piece of Lua is a [`LuaCont`]: a pooled Lua thread with a
//! `back`. Calls into other interpreters hand off through the run loop
//! (the thread yields; the result comes back by `setr`), so no interpreter
//! nests on the native stack (the protocol: `driver/mod.rs`). User
//! coroutines are native Lua coroutines whose `coroutine.*` functions pass
//! such waits up to the driver thread.
//!
//! To embed Lua together with the other languages (its `smop` table,
//! `polyeval.lang`), use `polyeval_bridge::Runtime` (docs/embedding.md),
//! which needs none of the command line's dependencies.
//! [`LuaRuntime::install`] and [`start_main`] are the level below it, for
//! a host that wires its own loop:
//!
//! ```
//! use polyeval_core::{Interp, NativeFn, Value};
//! use polyeval_lua::{LuaConfig, LuaRuntime};
//!
//! let mut rt = Interp::new();
//! let lua = LuaRuntime::install(&mut rt, LuaConfig::default())?;
//! // A native function of the loop, called from Lua: the call hands off
//! // through the run loop and the result comes back to the Lua thread.
//! let double = NativeFn::value("double", |_cx, cap| match cap.pos(0)? {
//!     Value::Int(n) => Ok(Value::Int(n * 2)),
//!     v => Ok(v.clone()),
//! });
//! lua.set_global("double", &double)?;
//! let f = lua.load(b"local a, b = ... return double(a) + b", "sum.lua")?;
//! polyeval_lua::start_main(&mut rt, &lua, f, &[Value::Int(20), Value::Int(2)])?;
//! assert!(matches!(rt.run(), Ok(Value::Int(42))));
//!
//! // Compile errors carry Lua's own position.
//! let e = lua.load(b"return +", "bad.lua").unwrap_err();
//! assert!(e.message.starts_with("bad.lua:1:"), "{}", e.message);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Modules, lowest first; each imports only from lower ones: `config`,
//! `state`, `error`; `ffi` (the only unsafe code) and the value mapping
//! (`convert`, `memory`), which meet at the proxies: `convert` uses
//! `ffi/proxy.rs`, and only `ffi/send.rs` uses `convert`; `frames`;
//! `irq`; `driver`; `stdlib`, `sandbox`, `lang`; `runtime` on top.
#![deny(unsafe_code)]

mod config;
mod convert;
mod driver;
mod error;
#[allow(unsafe_code)]
mod ffi;
mod frames;
mod irq;
mod lang;
/// Lending the run loop to Lua callbacks: the core service
/// [`polyeval_core::lend`], re-exported under its old path.
pub use polyeval_core::lend;
mod memory;
mod runtime;
mod sandbox;
mod state;
mod stdlib;

use std::rc::Rc;

pub use config::{LuaConfig, Preempt, Stdlib, DEFAULT_LUA_QUANTUM};
pub use driver::LuaCont;
pub use error::lua_error;
#[cfg(target_os = "linux")]
pub use ffi::cstdio::CStdout;
pub use ffi::traceback_function;
pub use runtime::{LuaLanguage, LuaRuntime};
pub use state::LuaObject;

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
    let cont = driver::continuation(lua.shared(), mlua::Value::Function(f), None, args)?;
    rt.start(Box::new(cont));
    Ok(())
}

/// A call of Lua value `f` with `args`, as [`Reply::Call`] of the Lua
/// continuation that runs it: an object's `send` answers it as it is (the
/// sender runs it as its callee, and the result comes back by `setr`); a
/// host that made a root runs the callee under it with
/// [`polyeval_core::Interp::call_into`].
///
/// # Errors
///
/// A script error when Lua is out of memory.
pub fn call(lua: &Rc<LuaRuntime>, f: mlua::Value, args: &[Value]) -> Result<Reply, ScriptError> {
    driver::call_lua(lua.shared(), f, None, args)
}
