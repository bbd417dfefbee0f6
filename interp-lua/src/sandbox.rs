//! What the `--lua-stdlib` modes take away (docs/design.md §7). Every mode
//! but `all` removes `debug` and C modules (`package.loadlib`, the C
//! searchers) and makes loading text-only: `load`, `loadfile` and `dofile`
//! become text-only C functions (`ffi/loadlib.rs`) and `require`'s
//! searchers text-only ones (`sandbox.lua`), since Lua has no bytecode
//! verifier. `sandbox` also removes `io`, `os`, `package`, `require`,
//! `dofile`, `loadfile` and `string.dump`.

use mlua::{Function, Lua, Table};

use crate::config::Stdlib;

/// Loads `sandbox.lua`; answers its `textonly`, for [`apply`].
pub(crate) fn load_lua(lua: &Lua) -> mlua::Result<Function> {
    lua.load(include_str!("sandbox.lua"))
        .set_name("=polyeval")
        .call(())
}

/// Takes away from `lua`'s globals what `stdlib` leaves out; `textonly`
/// is [`load_lua`]'s.
pub(crate) fn apply(lua: &Lua, stdlib: Stdlib, textonly: &Function) -> mlua::Result<()> {
    let globals = lua.globals();
    if stdlib != Stdlib::All {
        globals.raw_remove("debug")?;
        if let Ok(package) = globals.get::<Table>("package") {
            if let Ok(loaded) = package.get::<Table>("loaded") {
                loaded.raw_remove("debug")?;
            }
            // As mlua's safe mode: no C modules.
            package.raw_remove("loadlib")?;
            if let Ok(searchers) = package.get::<Table>("searchers") {
                searchers.raw_remove(4)?;
                searchers.raw_remove(3)?;
            }
        }
        install_text_only(lua, textonly)?;
    }
    if stdlib == Stdlib::Sandbox {
        for name in [
            "io", "os", "package", "require", "dofile", "loadfile", "debug",
        ] {
            globals.raw_remove(name)?;
        }
        if let Ok(string) = globals.get::<Table>("string") {
            string.raw_remove("dump")?;
        }
    }
    Ok(())
}

/// Replaces `load`, `loadfile` and `dofile` with text-only C functions
/// (`ffi/loadlib.rs`) and `require`'s searchers with text-only ones
/// (`sandbox.lua`'s `textonly`): binary chunks are refused with Lua's own
/// message.
fn install_text_only(lua: &Lua, make: &Function) -> mlua::Result<()> {
    let globals = lua.globals();
    let package = globals.get::<Option<Table>>("package")?;
    type Made = (Option<Function>, Option<Function>, Option<Function>);
    let (searcher, csearcher, croot): Made =
        make.call((globals.get::<Function>("loadfile")?, package.clone()))?;
    if let (Some(package), Some(searcher)) = (package, searcher) {
        if let Ok(searchers) = package.get::<Table>("searchers") {
            searchers.raw_set(2, searcher)?;
            if let (Some(c), Some(r)) = (csearcher, croot) {
                searchers.raw_set(3, c)?;
                searchers.raw_set(4, r)?;
            }
        }
    }
    crate::ffi::install_text_loaders(lua)
}
