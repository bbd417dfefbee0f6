//! The one place with `unsafe` in polyeval: making a Lua state that has the
//! `debug` library, for `--lua-stdlib all`. mlua only offers that through
//! an `unsafe` constructor, because `debug` can break Lua's own memory
//! safety guarantees (`debug.setupvalue`, `debug.setuservalue`, ...).

use mlua::{Lua, LuaOptions, StdLib};

/// A Lua state with the safe standard libraries plus `debug`.
pub(crate) fn new_lua_with_debug() -> Lua {
    // SAFETY: `unsafe_new_with` is unsafe only because the libraries it may
    // load (`debug`, and C modules through `package`) let Lua scripts break
    // memory safety. We load the safe set plus `debug`, which is what the
    // user asked for with `--lua-stdlib all`; nothing else in polyeval
    // relies on Lua scripts being unable to use `debug`.
    unsafe { Lua::unsafe_new_with(StdLib::ALL_SAFE | StdLib::DEBUG, LuaOptions::default()) }
}
