//! The top of the crate: [`LuaRuntime`], the Lua state of one run loop
//! (kept in the loop's `ext`), which [`LuaRuntime::install`] sets up from
//! the pieces below (state, send layer, stdlib, sandbox, interrupts), and
//! [`LuaLanguage`], Lua as the loop's registered language. No other
//! module imports this one.

use std::rc::Rc;

use mlua::{chunk::ChunkMode, Function, Lua};
use polyeval_core::{Cx, Interp, Language, ScriptError, Value};

use crate::config::LuaConfig;
use crate::error::LuaFailure;
use crate::state::{HookMode, LuaObject, Shared};
use crate::{convert, driver, irq, lang, sandbox, stdlib};
use polyeval_core::lend::lend;

/// The Lua interpreter of one run loop. Install it with
/// [`LuaRuntime::install`]; find it again with [`LuaRuntime::of`].
pub struct LuaRuntime {
    lua: Lua,
    pub(crate) shared: Rc<Shared>,
    config: LuaConfig,
}

impl std::fmt::Debug for LuaRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LuaRuntime")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Drop for LuaRuntime {
    fn drop(&mut self) {
        // The loop's waker must stop signalling a thread that may end.
        self.shared.arm.retire();
    }
}

impl LuaRuntime {
    /// Creates the Lua state for `rt` and registers it as the loop's Lua
    /// interpreter.
    ///
    /// # Errors
    ///
    /// A script error when the Lua state cannot be set up (for instance a
    /// memory limit too small for the standard libraries).
    pub fn install(rt: &mut Interp, config: LuaConfig) -> Result<Rc<LuaRuntime>, ScriptError> {
        let fail = |e: mlua::Error| LuaFailure::Host.of(&e);
        // The debug library is always loaded: polyeval keeps `debug.getinfo`
        // to read where suspended Lua threads stand (for backtraces) only
        // when it needs to, instead of recording it at every crossing.
        // Scripts see `debug` only with `--lua-stdlib all`.
        let lua = crate::ffi::new_lua_with_debug();
        let hooks = irq::hook_mode(rt.cx_ref(), &config);
        let shared = setup(&lua, &config, hooks, rt.interrupt_handle()).map_err(fail)?;
        irq::start_preemption(rt, &lua, &shared, &config).map_err(fail)?;
        if let Some(limit) = config.memory_limit {
            lua.set_memory_limit(limit).map_err(fail)?;
        }
        let runtime = Rc::new(LuaRuntime {
            lua,
            shared,
            config,
        });
        rt.set_ext(runtime.clone());
        rt.register_language(Rc::new(LuaLanguage));
        irq::install(
            rt.cx_ref(),
            &runtime.lua,
            &runtime.shared,
            runtime.config.warnings,
        )
        .map_err(fail)?;
        lang::install_table(&runtime.lua, &runtime.shared)?;
        Ok(runtime)
    }

    /// The Lua interpreter installed in `rt`.
    pub fn of(rt: &Cx) -> Option<Rc<LuaRuntime>> {
        rt.ext::<LuaRuntime>()
    }

    /// The Lua state.
    pub fn lua(&self) -> &Lua {
        &self.lua
    }

    /// The configuration it was made with.
    pub fn config(&self) -> &LuaConfig {
        &self.config
    }

    /// Compiles Lua source as a function; `name` is the chunk name shown in
    /// messages (a file path, say).
    ///
    /// # Errors
    ///
    /// A [`polyeval_core::ErrorKind::Compile`] script error with Lua's
    /// message (`name:line: ...`).
    pub fn load(&self, src: &[u8], name: &str) -> Result<Function, ScriptError> {
        self.lua
            .load(src)
            .set_name(format!("@{name}"))
            .set_mode(ChunkMode::Text)
            .into_function()
            .map_err(|e| LuaFailure::Compile.of(&e))
    }

    /// Converts a run-loop value to Lua (by reference for objects).
    ///
    /// # Errors
    ///
    /// A script error when Lua is out of memory.
    pub fn to_lua(&self, v: &Value) -> Result<mlua::Value, ScriptError> {
        convert::to_lua(&self.lua, &self.shared, v).map_err(|e| LuaFailure::Host.of(&e))
    }

    /// Converts a Lua value to a run-loop value (by reference for tables,
    /// functions, userdata and threads).
    pub fn from_lua(&self, v: mlua::Value) -> Value {
        convert::from_lua(&self.shared, v)
    }

    /// A Lua function that calls the run-loop object `obj` (sends it
    /// `postcircumfix:( )`), waiting for a pending answer as Lua code
    /// waits for any call into SMOP.
    ///
    /// # Errors
    ///
    /// A script error when Lua is out of memory.
    pub fn host_function(&self, obj: &Value) -> Result<Function, ScriptError> {
        driver::host_function(&self.lua, &self.shared, obj).map_err(|e| LuaFailure::Host.of(&e))
    }

    /// Reads a global variable.
    ///
    /// # Errors
    ///
    /// A script error from a metamethod on the globals table.
    pub fn global(&self, rt: &mut Cx, name: &[u8]) -> Result<Value, ScriptError> {
        let fail = |e: mlua::Error| LuaFailure::Host.of(&e);
        let globals = self.lua.globals();
        let name = self.lua.create_string(name).map_err(fail)?;
        let v = lend(rt, || globals.get::<mlua::Value>(name)).map_err(fail)?;
        Ok(self.from_lua(v))
    }

    /// Sets a global variable.
    ///
    /// # Errors
    ///
    /// A script error when Lua is out of memory.
    pub fn set_global(&self, name: &str, v: &Value) -> Result<(), ScriptError> {
        let lv = self.to_lua(v)?;
        self.lua
            .globals()
            .set(name, lv)
            .map_err(|e| LuaFailure::Host.of(&e))
    }

    /// Whether `v` may be used with this Lua state: false only for a Lua
    /// table, function, userdata or thread of another state.
    pub fn owns(&self, v: &Value) -> bool {
        Self::owns_in(Some(self), v)
    }

    /// Whether `v` may be used in a loop whose Lua is `lua`: as
    /// [`LuaRuntime::owns`], and a loop without Lua (`None`) owns no Lua
    /// value at all.
    pub fn owns_in(lua: Option<&LuaRuntime>, v: &Value) -> bool {
        v.downcast::<LuaObject>()
            .is_none_or(|lo| lua.is_some_and(|l| Rc::ptr_eq(&lo.shared, &l.shared)))
    }

    pub(crate) fn shared(&self) -> &Rc<Shared> {
        &self.shared
    }
}

/// Sets up `lua`'s state: polyeval's Lua chunks (before anything they
/// capture is replaced), the shared data, the send layer, the stdlib
/// replacements and what `config.stdlib` takes away.
fn setup(
    lua: &Lua,
    config: &LuaConfig,
    hooks: HookMode,
    irq: polyeval_core::InterruptHandle,
) -> mlua::Result<Rc<Shared>> {
    irq::load_lua(lua)?;
    let textonly = sandbox::load_lua(lua)?;
    let shared = Rc::new(Shared::new(lua, hooks, config.quantum, irq)?);
    lua.set_app_data(Rc::downgrade(&shared));
    driver::install_send_layer(lua, &shared)?;
    stdlib::install(lua, config.stdlib, hooks)?;
    sandbox::apply(lua, config.stdlib, &textonly)?;
    Ok(shared)
}

/// The Lua language of a run loop that has Lua installed
/// ([`LuaRuntime::install`] registers it): `check` and `load` compile text
/// chunks as `load` does, and the loaded function is a run-loop value any
/// language calls.
pub struct LuaLanguage;

#[cold]
fn not_installed() -> ScriptError {
    ScriptError::runtime("Lua is not installed in this run loop")
}

fn runtime(rt: &Cx) -> Result<Rc<LuaRuntime>, ScriptError> {
    LuaRuntime::of(rt).ok_or_else(not_installed)
}

impl Language for LuaLanguage {
    fn name(&self) -> &'static str {
        "lua"
    }

    /// Lua's own names (`type()`'s), and an object's name for objects of
    /// other interpreters.
    fn type_name(&self, v: &Value) -> &'static str {
        match v {
            Value::Nil => "nil",
            Value::Bool(_) => "boolean",
            Value::Int(_) | Value::Float(_) => "number",
            Value::Str(_) => "string",
            Value::Obj(o) => o.type_name(),
        }
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["lua"]
    }

    fn check(&self, rt: &mut Cx, src: &[u8], file: &str) -> Result<(), ScriptError> {
        runtime(rt)?.load(src, file).map(drop)
    }

    fn load(&self, rt: &mut Cx, src: &[u8], file: &str) -> Result<Value, ScriptError> {
        let lua = runtime(rt)?;
        let f = lua.load(src, file)?;
        Ok(lua.from_lua(mlua::Value::Function(f)))
    }

    fn define_global(&self, rt: &mut Cx, name: &str, value: Value) -> Result<(), ScriptError> {
        runtime(rt)?.set_global(name, &value)
    }
}
