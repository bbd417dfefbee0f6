//! Calls from the run loop into Lua: a driver continuation for a Lua
//! function ([`continuation`]), started by a hand-off ([`call_lua`]), and
//! what a Lua value answers as a run-loop object ([`LuaObject`]'s
//! messages: a call or a method call is such a hand-off; table access is
//! done at once, metamethods included).

use std::rc::Rc;

use mlua::Table;
use polyeval_core::{
    answer_plain, Capture, Cx, ErrorKind, Ident, LazyIdent, Object, Reply, ScriptError, Value,
};

use super::cont::LuaCont;
use super::pool;
use crate::convert::to_lua;
use crate::error::LuaFailure;
use crate::state::{LuaObject, Shared};
use polyeval_core::lend::lend;

impl LuaObject {
    fn table(&self) -> Result<&Table, ScriptError> {
        match &self.value {
            mlua::Value::Table(t) => Ok(t),
            other => Err(ScriptError::wrong_type(
                "the invocant",
                "a Lua table",
                other.type_name(),
            )),
        }
    }
}

/// A driver continuation that will call Lua value `f` with `pre` (if any)
/// and then `args`: a pooled thread, resumed first with `f` and the
/// arguments on its stack.
///
/// # Errors
///
/// A script error when Lua cannot make the thread or a value (out of
/// memory).
pub(crate) fn continuation(
    shared: &Rc<Shared>,
    f: mlua::Value,
    pre: Option<mlua::Value>,
    args: &[Value],
) -> Result<LuaCont, ScriptError> {
    let lua = shared.lua()?;
    let mut input = Vec::with_capacity(args.len() + 2);
    input.push(f);
    if let Some(p) = pre {
        input.push(p);
    }
    for a in args {
        input.push(to_lua(&lua, shared, a).map_err(|e| LuaFailure::Operation.of(&e))?);
    }
    let thread = pool::take(shared, &lua).map_err(|e| LuaFailure::Operation.of(&e))?;
    Ok(LuaCont::new(shared.clone(), thread, input))
}

/// Calls Lua value `f` with `args` by a hand-off: a driver thread runs it
/// as a new continuation whose `back` is the current one.
///
/// # Errors
///
/// A script error when Lua cannot make the thread (out of memory).
pub(crate) fn call_lua(
    shared: &Rc<Shared>,
    f: mlua::Value,
    pre: Option<mlua::Value>,
    args: &[Value],
) -> Result<Reply, ScriptError> {
    let cont = continuation(shared, f, pre, args)?;
    Ok(Reply::Call(Box::new(cont)))
}

/// The methods a Lua table answers besides the shared ones: `at_key(k)`
/// reads `t[k]` and `store(k, v)` writes it (with metamethods).
static AT_KEY: LazyIdent = LazyIdent::new("at_key");
static STORE: LazyIdent = LazyIdent::new("store");

impl Object for LuaObject {
    fn type_name(&self) -> &'static str {
        match &self.value {
            mlua::Value::Table(_) => "LuaTable",
            mlua::Value::Function(_) => "LuaFunction",
            mlua::Value::Thread(_) => "LuaThread",
            _ => "LuaUserdata",
        }
    }

    fn send(&self, rt: &mut Cx, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
        let lua = self.shared.lua()?;
        let sh = &self.shared;
        match method {
            Ident::CALL => call_lua(sh, self.value.clone(), None, cap.positional),
            Ident::FETCH | Ident::DEFINED | Ident::TRUE => {
                answer_plain(self.type_name(), method, cap)
            }
            _ if method == AT_KEY.get() => {
                let t = self.table()?;
                let k = to_lua(&lua, sh, cap.pos(0)?).map_err(|e| LuaFailure::Operation.of(&e))?;
                let v = lend(rt, || t.get::<mlua::Value>(k))
                    .map_err(|e| LuaFailure::Operation.of(&e))?;
                Ok(Reply::Value(crate::memory::from_lua_fitted(rt, sh, v)?))
            }
            _ if method == STORE.get() => {
                let t = self.table()?;
                let k = to_lua(&lua, sh, cap.pos(0)?).map_err(|e| LuaFailure::Operation.of(&e))?;
                let v = to_lua(&lua, sh, &cap.pos_or_nil(1))
                    .map_err(|e| LuaFailure::Operation.of(&e))?;
                lend(rt, || t.set(k, v)).map_err(|e| LuaFailure::Operation.of(&e))?;
                Ok(Reply::Value(cap.pos_or_nil(1)))
            }
            Ident::ELEMS => {
                let t = self.table()?;
                let n = lend(rt, || t.len()).map_err(|e| LuaFailure::Operation.of(&e))?;
                Ok(Reply::Value(Value::Int(n)))
            }
            Ident::STR => {
                let tostring: mlua::Function = lua
                    .globals()
                    .get("tostring")
                    .map_err(|e| LuaFailure::Operation.of(&e))?;
                let v = self.value.clone();
                let s = lend(rt, || tostring.call::<mlua::LuaString>(v))
                    .map_err(|e| LuaFailure::Operation.of(&e))?;
                Ok(Reply::Value(Value::str(&*s.as_bytes())))
            }
            _ => {
                let t = self
                    .table()
                    .map_err(|_| ScriptError::unknown_method(self.type_name(), method))?;
                let name = method.name();
                let f = lend(rt, || t.get::<mlua::Value>(name))
                    .map_err(|e| LuaFailure::Operation.of(&e))?;
                if f.is_nil() {
                    return Err(ScriptError::new(
                        ErrorKind::UnknownMethod,
                        format!("unknown method \"{name}\" for LuaTable (no field of that name)"),
                    ));
                }
                call_lua(sh, f, Some(self.value.clone()), cap.positional)
            }
        }
    }
}
