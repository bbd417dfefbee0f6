//! The Lua ↔ SMOP bridge (docs/design.md §4): the `smop` table in Lua (`load`,
//! `eval`, `lookup`) and the `Lua` object in the m0ld prelude (`eval`,
//! `require`, `global`). Values cross through `polyeval_lua`'s mapping;
//! every call that runs code in the other interpreter is a hand-off through
//! the run loop. Both file loaders (`smop.load`, `Lua.require`) read through
//! [`crate::fsaccess::FileAccess`].

use std::rc::Rc;

use mlua::Function;
use polyeval_core::{
    answer_plain, Capture, Cx, Ident, Interp, Language, LazyIdent, Object, Reply, ScriptError,
    Value,
};
use polyeval_lua::{lua_error, LuaConfig, LuaRuntime, Stdlib};
use polyeval_smop::lang::M0ldLanguage;
use polyeval_smop::prelude;

use crate::fsaccess::FileAccess;

/// The file policy as the loaders see it: what may be read, and under
/// which standard-library mode.
struct Files {
    access: FileAccess,
    stdlib: Stdlib,
}

/// A host function that may answer "pending": what `smop.load` and friends
/// are on the run-loop side.
struct HostFn {
    name: &'static str,
    #[allow(clippy::type_complexity)]
    f: Box<dyn Fn(&mut Cx, Capture<'_>) -> Result<Reply, ScriptError>>,
}

impl Object for HostFn {
    fn type_name(&self) -> &'static str {
        self.name
    }

    fn send(&self, rt: &mut Cx, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
        if method == Ident::CALL {
            (self.f)(rt, cap)
        } else {
            answer_plain(self.name, method, cap)
        }
    }
}

fn string_arg(cap: &Capture<'_>, i: usize, what: &str) -> Result<String, ScriptError> {
    let v = cap.pos(i)?;
    match v.as_bytes() {
        Some(b) => Ok(String::from_utf8_lossy(b).into_owned()),
        None => Err(ScriptError::wrong_type(what, "a string", v.type_name())),
    }
}

/// Runs m0ld source through the m0ld language: `smop.load` and
/// `smop.eval` are thin names for it.
fn run_m0ld(rt: &mut Cx, src: &str, file: &str) -> Result<Reply, ScriptError> {
    M0ldLanguage.eval(rt, src.as_bytes(), file, &[])
}

fn smop_table(lua_rt: &LuaRuntime, files: &Rc<Files>) -> Result<mlua::Table, ScriptError> {
    let lua = lua_rt.lua();
    let fail = |e: mlua::Error| lua_error(&e);
    let t = lua.create_table().map_err(fail)?;
    let files = files.clone();
    let load = Value::obj(HostFn {
        name: "smop.load",
        f: Box::new(move |rt, cap| {
            let path = string_arg(&cap, 0, "smop.load's path")?;
            let bytes = files
                .access
                .read(files.stdlib, &path)
                .map_err(|e| ScriptError::runtime(format!("smop.load: {e}")))?;
            let src = String::from_utf8(bytes).map_err(|_| {
                ScriptError::runtime(format!("smop.load: cannot read {path}: not valid UTF-8"))
            })?;
            run_m0ld(rt, &src, &path)
        }),
    });
    let eval = Value::obj(HostFn {
        name: "smop.eval",
        f: Box::new(|rt, cap| {
            let src = string_arg(&cap, 0, "smop.eval's source")?;
            run_m0ld(rt, &src, "<smop.eval>")
        }),
    });
    let lookup = Value::obj(HostFn {
        name: "smop.lookup",
        f: Box::new(|rt, cap| {
            let name = string_arg(&cap, 0, "smop.lookup's name")?;
            Ok(Reply::Value(
                prelude::lookup(rt, name.as_bytes()).unwrap_or(Value::Nil),
            ))
        }),
    });
    for (name, obj) in [("load", load), ("eval", eval), ("lookup", lookup)] {
        let f: Function = lua_rt.host_function(&obj)?;
        t.set(name, f).map_err(fail)?;
    }
    Ok(t)
}

/// Lua's side of `Lua.require`: runs a file once and caches its result.
/// `loadfile_text` answers the compiled chunk, or `nil` and a message,
/// raised here as a plain string.
const REQUIRE_SRC: &str = r#"
local loadfile_text, error = ...
local cache = {}
return function(path)
  local v = cache[path]
  if v == nil then
    local f, err = loadfile_text(path)
    if not f then error(err, 0) end
    v = f()
    if v == nil then v = true end
    cache[path] = v
  end
  return v
end
"#;

static REQUIRE: LazyIdent = LazyIdent::new("require");
static GLOBAL: LazyIdent = LazyIdent::new("global");

/// The `Lua` object of the m0ld prelude.
struct LuaPrelude {
    lua: Rc<LuaRuntime>,
    require: Function,
}

impl Object for LuaPrelude {
    fn type_name(&self) -> &'static str {
        "Lua"
    }

    fn send(&self, rt: &mut Cx, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
        if method == Ident::EVAL {
            let src = string_arg(&cap, 0, "Lua.eval's source")?;
            let f = self.lua.load(src.as_bytes(), "<Lua.eval>")?;
            polyeval_lua::call(&self.lua, mlua::Value::Function(f), &cap.positional[1..])
        } else if method == REQUIRE.get() {
            let path = cap.pos(0)?.clone();
            polyeval_lua::call(
                &self.lua,
                mlua::Value::Function(self.require.clone()),
                &[path],
            )
        } else if method == GLOBAL.get() {
            let name = string_arg(&cap, 0, "Lua.global's name")?;
            self.lua.global(rt, name.as_bytes()).map(Reply::Value)
        } else {
            answer_plain("Lua", method, cap)
        }
    }
}

/// Installs Lua in `rt` with `config`, and both halves of the bridge: the
/// `smop` global in Lua and `Lua` in the m0ld prelude. File loads follow
/// [`FileAccess::default`]: none in sandbox mode, any in the others.
///
/// # Errors
///
/// A script error when the Lua state cannot be set up.
pub fn install(rt: &mut Interp, config: LuaConfig) -> Result<Rc<LuaRuntime>, ScriptError> {
    install_with_access(rt, config, FileAccess::default())
}

/// [`install`], with `access` deciding which files `smop.load` and
/// `Lua.require` may read (see [`crate::fsaccess`]).
///
/// # Errors
///
/// A script error when the Lua state cannot be set up.
pub fn install_with_access(
    rt: &mut Interp,
    config: LuaConfig,
    access: FileAccess,
) -> Result<Rc<LuaRuntime>, ScriptError> {
    let files = Rc::new(Files {
        access,
        stdlib: config.stdlib,
    });
    let lua_rt = LuaRuntime::install(rt, config)?;
    let fail = |e: mlua::Error| lua_error(&e);
    let t = smop_table(&lua_rt, &files)?;
    lua_rt.lua().globals().set("smop", t).map_err(fail)?;
    let loader = {
        let weak = Rc::downgrade(&lua_rt);
        lua_rt
            .lua()
            .create_function(move |lua, path: mlua::Value| {
                let fail = |msg: String| Ok((mlua::Value::Nil, Some(lua.create_string(msg)?)));
                let Some(l) = weak.upgrade() else {
                    return fail("the Lua state is gone".to_owned());
                };
                let mlua::Value::String(path) = path else {
                    return fail(format!(
                        "Lua.require: expected a string path, got {}",
                        path.type_name()
                    ));
                };
                let path = String::from_utf8_lossy(&path.as_bytes()).into_owned();
                let src = match files.access.read(files.stdlib, &path) {
                    Ok(src) => src,
                    Err(e @ crate::fsaccess::LoadError::Read { .. }) => return fail(e.to_string()),
                    Err(e) => return fail(format!("Lua.require: {e}")),
                };
                match l.load(&src, &path) {
                    Ok(f) => Ok((mlua::Value::Function(f), None)),
                    Err(e) => fail(e.message),
                }
            })
            .map_err(fail)?
    };
    let error: Function = lua_rt.lua().globals().get("error").map_err(fail)?;
    let require: Function = lua_rt
        .lua()
        .load(REQUIRE_SRC)
        .set_name("=polyeval")
        .call((loader, error))
        .map_err(fail)?;
    prelude::bind(
        rt.cx(),
        "Lua",
        Value::obj(LuaPrelude {
            lua: lua_rt.clone(),
            require,
        }),
    );
    Ok(lua_rt)
}
