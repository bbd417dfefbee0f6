//! Lua code's side of the language registry: `polyeval.lang(name)` and
//! `polyeval.languages()` in the `polyeval` table
//! (`polyeval.lang("m0ld"):eval(src)`). Lua as a registered language
//! itself is `LuaLanguage`, in `runtime.rs`.

use mlua::{Lua, Table};
use polyeval_core::{LanguageObject, NativeFn, ScriptError, Value};

use crate::driver::host_function;
use crate::error::LuaFailure;
use crate::state::Shared;

/// Adds to the `polyeval` global (which [`crate::irq`] made):
/// `polyeval.lang(name)` answers the language registered under `name`,
/// and `polyeval.languages()` the names of all, space-separated.
pub(crate) fn install_table(lua: &Lua, shared: &Shared) -> Result<(), ScriptError> {
    let fail = |e: mlua::Error| LuaFailure::Host.of(&e);
    let t: Table = match lua
        .globals()
        .raw_get::<Option<Table>>("polyeval")
        .map_err(fail)?
    {
        Some(t) => t,
        None => lua.create_table().map_err(fail)?,
    };
    let lang = NativeFn::value("polyeval.lang", |rt, cap| {
        let v = cap.pos(0)?;
        let name = v.as_bytes().ok_or_else(|| {
            ScriptError::wrong_type("polyeval.lang's name", "a string", v.type_name())
        })?;
        LanguageObject::lookup(rt, name)
    });
    let languages = NativeFn::value("polyeval.languages", |rt, _cap| {
        let names = rt.languages().iter().map(|l| l.name()).collect::<Vec<_>>();
        Ok(Value::str(names.join(" ")))
    });
    t.set("lang", host_function(lua, shared, &lang).map_err(fail)?)
        .map_err(fail)?;
    t.set(
        "languages",
        host_function(lua, shared, &languages).map_err(fail)?,
    )
    .map_err(fail)?;
    lua.globals().set("polyeval", t).map_err(fail)
}
