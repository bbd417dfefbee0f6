//! The one place with `unsafe` in polyeval: making a Lua state that has the
//! `debug` library. polyeval reads suspended threads' stacks with a private
//! `debug.getinfo` (lazily, for backtraces, instead of recording positions
//! at every crossing); scripts see `debug` only with `--lua-stdlib all`.
//! mlua offers this only through an `unsafe` constructor, because `debug`
//! can break Lua's own memory-safety guarantees (`debug.setupvalue`,
//! `debug.setuservalue`, ...).

use mlua::{Lua, LuaOptions, StdLib};

/// A Lua state with the safe standard libraries plus `debug`.
pub(crate) fn new_lua_with_debug() -> Lua {
    // SAFETY: `unsafe_new_with` is unsafe only because the libraries it may
    // load (`debug`, and C modules through `package`) let Lua scripts break
    // memory safety. We load the safe set plus `debug`. `runtime::setup`
    // then removes `debug` from the globals and `package.loaded`, and the C
    // loaders (`package.loadlib`, the C searchers), unless the user asked
    // for `--lua-stdlib all`; polyeval itself only calls `debug.getinfo`,
    // which reads and never writes.
    unsafe { Lua::unsafe_new_with(StdLib::ALL_SAFE | StdLib::DEBUG, LuaOptions::default()) }
}
