//! polyeval's replacements in Lua's standard library, all raw C functions
//! of `ffi/`: the coroutine library (over the run loop's chains),
//! `print`, `io.write` and friends (onto the loop's output), `os.exit`
//! (through the loop's exit hooks), and with `--lua-stdlib all`,
//! `debug.sethook`/`debug.gethook` beside polyeval's own hooks. What the
//! modes remove is `sandbox.rs`'s.

use mlua::{Lua, Table};

use crate::config::Stdlib;
use crate::driver::LuaCont;
use crate::state::HookMode;

/// Installs the replacements in `lua`'s globals.
pub(crate) fn install(lua: &Lua, stdlib: Stdlib, hooks: HookMode) -> mlua::Result<()> {
    let globals = lua.globals();
    let corolib = crate::ffi::coroutine_library::<LuaCont>(lua, hooks == HookMode::Armed)?;
    globals.set("coroutine", corolib.clone())?;
    if let Ok(loaded) = globals
        .get::<Table>("package")
        .and_then(|p| p.get::<Table>("loaded"))
    {
        loaded.set("coroutine", corolib)?;
    }
    globals.set("print", crate::ffi::print_function(lua)?)?;
    crate::ffi::install_io(lua)?;
    if let Ok(os) = globals.get::<Table>("os") {
        os.set("exit", crate::ffi::exit_function(lua)?)?;
    }
    if stdlib == Stdlib::All {
        if let Ok(debug) = globals.get::<Table>("debug") {
            let table = lua.create_table()?;
            let weak_keys = lua.create_table()?;
            weak_keys.set("__mode", "k")?;
            table.set_metatable(Some(weak_keys))?;
            lua.set_named_registry_value(crate::ffi::userhooks_key(), table)?;
            let (sethook, gethook) = crate::ffi::debug_hook_functions(lua)?;
            debug.set("sethook", sethook)?;
            debug.set("gethook", gethook)?;
        }
    }
    Ok(())
}
