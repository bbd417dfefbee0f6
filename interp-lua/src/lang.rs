//! Lua as a registered [`Language`]: `check` and `load` compile text
//! chunks as `load` does, the loaded function is a run-loop value any
//! language calls, and the `polyeval` table gives Lua code the registry
//! (`polyeval.lang("m0ld"):eval(src)`).

use std::rc::Rc;

use mlua::Table;
use polyeval_core::{Interp, Language, LanguageObject, NativeFn, ScriptError, Value};

use crate::runtime::{lua_error, LuaRuntime};

/// The Lua language of a run loop that has Lua installed
/// ([`LuaRuntime::install`] registers it).
pub struct LuaLanguage;

#[cold]
fn not_installed() -> ScriptError {
    ScriptError::runtime("Lua is not installed in this run loop")
}

fn runtime(rt: &Interp) -> Result<Rc<LuaRuntime>, ScriptError> {
    LuaRuntime::of(rt).ok_or_else(not_installed)
}

impl Language for LuaLanguage {
    fn name(&self) -> &'static str {
        "lua"
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["lua"]
    }

    fn check(&self, rt: &mut Interp, src: &[u8], file: &str) -> Result<(), ScriptError> {
        runtime(rt)?.load(src, file).map(drop)
    }

    fn load(&self, rt: &mut Interp, src: &[u8], file: &str) -> Result<Value, ScriptError> {
        let lua = runtime(rt)?;
        let f = lua.load(src, file)?;
        Ok(lua.from_lua(mlua::Value::Function(f)))
    }

    fn define_global(&self, rt: &mut Interp, name: &str, value: Value) -> Result<(), ScriptError> {
        runtime(rt)?.set_global(name, &value)
    }
}

/// Adds to the `polyeval` global (which [`crate::irq`] made):
/// `polyeval.lang(name)` answers the language registered under `name`,
/// and `polyeval.languages()` the names of all, space-separated.
pub(crate) fn install_table(lua_rt: &LuaRuntime) -> Result<(), ScriptError> {
    let fail = |e: mlua::Error| lua_error(&e);
    let lua = lua_rt.lua();
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
    t.set("lang", lua_rt.host_function(&lang)?).map_err(fail)?;
    t.set("languages", lua_rt.host_function(&languages)?)
        .map_err(fail)?;
    lua.globals().set("polyeval", t).map_err(fail)
}
