//! Values between Lua and the run loop (docs/design.md §4): nil ↔ undef, booleans,
//! integers, floats and byte strings by value; tables, functions, userdata
//! and threads by reference, as [`LuaObject`]s; run-loop objects as proxy
//! userdata (`ffi::send`). Both directions keep identity: a value that
//! crosses and comes back is the same value, and crossing twice gives the
//! same proxy or object.

use std::rc::Rc;

use mlua::{Lua, Table};
use polyeval_core::{
    answer_plain, Capture, ErrorKind, Ident, Interp, Object, Reply, ScriptError, Value,
};

use crate::cont::LuaCont;
use crate::runtime::Shared;
use polyeval_core::lend::lend;

/// Makes the proxy type (raw userdata, `ffi::send`): `obj:m(...)` sends
/// `m`, `obj(...)` sends `postcircumfix:( )`, `tostring(obj)` sends `Str`,
/// `==` is identity. A method function is made the first time its name is
/// looked up, and kept.
pub(crate) fn register_proxy_type(lua: &Lua, shared: &Rc<Shared>) -> mlua::Result<()> {
    let layer = shared.send_layer()?;
    let methods = lua.create_table()?;
    let sh = shared.clone();
    let on_miss = lua.create_function(move |lua, (t, k): (Table, mlua::Value)| {
        let mlua::Value::String(name) = k else {
            return Ok(mlua::Value::Nil);
        };
        let id = Ident::from_bytes(&name.as_bytes());
        let f = sh.send_layer()?.method(lua, i64::from(id.index()))?;
        t.raw_set(name, f.clone())?;
        Ok(mlua::Value::Function(f))
    })?;
    let mt = lua.create_table()?;
    mt.set("__index", on_miss)?;
    methods.set_metatable(Some(mt))?;
    let (eq, gc) = layer.meta_functions(lua)?;
    let pmt = &layer.mt;
    pmt.raw_set("__index", methods)?;
    pmt.raw_set("__call", layer.method(lua, i64::from(Ident::CALL.index()))?)?;
    pmt.raw_set("__tostring", layer.method(lua, crate::ffi::TOSTRING_ID)?)?;
    pmt.raw_set("__name", "smop.object")?;
    pmt.raw_set("__eq", eq)?;
    pmt.raw_set("__gc", gc)?;
    // As mlua's userdata metatables: hidden from scripts.
    pmt.raw_set("__metatable", false)?;
    Ok(())
}

/// A run-loop value as a Lua value.
pub(crate) fn to_lua(lua: &Lua, shared: &Shared, v: &Value) -> mlua::Result<mlua::Value> {
    Ok(match v {
        Value::Nil => mlua::Value::Nil,
        Value::Bool(b) => mlua::Value::Boolean(*b),
        Value::Int(i) => mlua::Value::Integer(*i),
        Value::Float(f) => mlua::Value::Number(*f),
        Value::Str(s) => {
            polyeval_core::memory::check(s.len())
                .map_err(|_| mlua::Error::MemoryError("not enough memory".to_owned()))?;
            mlua::Value::String(lua.create_string(&**s)?)
        }
        Value::Obj(o) => match v.downcast::<LuaObject>() {
            Some(lo) if std::ptr::eq(&*lo.shared, shared) => lo.value.clone(),
            // mlua aborts on a value of another Lua state.
            Some(_) => return Err(foreign_value()),
            None => crate::ffi::proxy_value(lua, o)?,
        },
    })
}

#[cold]
fn foreign_value() -> mlua::Error {
    mlua::Error::runtime(polyeval_core::HostError::ForeignValue.to_string())
}

/// A Lua value as a run-loop value.
pub(crate) fn from_lua(shared: &Rc<Shared>, v: mlua::Value) -> Value {
    match v {
        mlua::Value::Nil => Value::Nil,
        mlua::Value::Boolean(b) => Value::Bool(b),
        mlua::Value::Integer(i) => Value::Int(i),
        mlua::Value::Number(f) => Value::Float(f),
        mlua::Value::String(s) => Value::str(&*s.as_bytes()),
        mlua::Value::UserData(ud) => match crate::ffi::proxy_object(&ud) {
            Some(o) => Value::Obj(o),
            None => LuaObject::value(shared, mlua::Value::UserData(ud)),
        },
        other => LuaObject::value(shared, other),
    }
}

/// Whether two Lua values are raw-equal (Lua's `rawequal`).
pub(crate) fn raw_equal(a: &mlua::Value, b: &mlua::Value) -> bool {
    match (a, b) {
        (mlua::Value::String(x), mlua::Value::String(y)) => x.as_bytes() == y.as_bytes(),
        (mlua::Value::Integer(x), mlua::Value::Integer(y)) => x == y,
        (mlua::Value::Number(x), mlua::Value::Number(y)) => x == y,
        (mlua::Value::Boolean(x), mlua::Value::Boolean(y)) => x == y,
        (mlua::Value::Nil, mlua::Value::Nil) => true,
        (x, y) => {
            !x.to_pointer().is_null()
                && x.to_pointer() == y.to_pointer()
                && x.type_name() == y.type_name()
        }
    }
}

/// A run-loop error as the Lua error value to raise, and the `level` to
/// raise it at. Errors that came from Lua become their original value
/// again; others become a message naming where they arose, or, with no
/// position of their own, get the position of the Lua caller (level 2).
pub(crate) fn error_to_lua(
    lua: &Lua,
    shared: &Shared,
    e: &ScriptError,
) -> mlua::Result<(mlua::Value, i64)> {
    match e.origin() {
        Some(fr) if fr.interp == "lua" => Ok((to_lua(lua, shared, &e.payload)?, 0)),
        Some(fr) if fr.line > 0 => Ok((
            mlua::Value::String(lua.create_string(e.located_message())?),
            0,
        )),
        _ => Ok((mlua::Value::String(lua.create_string(&e.message)?), 2)),
    }
}

/// The message of a Lua error value, as the standalone `lua` prints it.
pub(crate) fn error_message(lua: &Lua, v: &mlua::Value) -> String {
    match v {
        mlua::Value::String(s) => String::from_utf8_lossy(&s.as_bytes()).into_owned(),
        mlua::Value::Integer(_) | mlua::Value::Number(_) => {
            v.to_string().unwrap_or_else(|_| "?".to_owned())
        }
        mlua::Value::Table(_) | mlua::Value::UserData(_) => {
            let has_tostring = match v {
                mlua::Value::Table(t) => t.metatable().is_some_and(|m| {
                    m.raw_get::<mlua::Value>("__tostring")
                        .is_ok_and(|f| !f.is_nil())
                }),
                _ => true,
            };
            let rendered = if has_tostring {
                lua.globals()
                    .get::<mlua::Function>("tostring")
                    .and_then(|f| f.call::<String>(v.clone()))
                    .ok()
            } else {
                None
            };
            rendered.unwrap_or_else(|| format!("(error object is a {} value)", v.type_name()))
        }
        mlua::Value::Error(e) => root_message(e),
        other => format!("(error object is a {} value)", other.type_name()),
    }
}

/// The message of an mlua error (a Rust function's failure seen from Lua),
/// without mlua's callback wrapping and traceback.
fn root_message(e: &mlua::Error) -> String {
    match e {
        mlua::Error::CallbackError { cause, .. } => root_message(cause),
        mlua::Error::RuntimeError(m) | mlua::Error::MemoryError(m) => m.clone(),
        other => other.to_string(),
    }
}

fn lua_fail(e: &mlua::Error) -> ScriptError {
    match e {
        mlua::Error::RuntimeError(m) => ScriptError::runtime(m.clone()),
        mlua::Error::MemoryError(m) => ScriptError::runtime(m.clone()),
        other => ScriptError::runtime(other.to_string()),
    }
}

/// A Lua table, function, userdata or thread seen from the run loop.
///
/// Functions (and anything with `__call`) answer `postcircumfix:( )` by a
/// hand-off to a Lua continuation. Tables answer `at_key`, `store` and
/// `elems` directly (metamethods included), and any other message `m` as
/// the method call `t:m(...)`, again by hand-off.
pub struct LuaObject {
    pub(crate) shared: Rc<Shared>,
    pub(crate) value: mlua::Value,
    key: usize,
}

impl LuaObject {
    /// The object for Lua value `v`; the same object while it lives.
    pub(crate) fn value(shared: &Rc<Shared>, v: mlua::Value) -> Value {
        let key = v.to_pointer() as usize;
        if key == 0 {
            // A value with no address of its own (an mlua error value):
            // never cached, or every such value would share one entry and
            // answer with the first one's message.
            return Value::obj(LuaObject {
                shared: shared.clone(),
                value: v,
                key,
            });
        }
        if let Some(o) = shared
            .objects
            .borrow()
            .get(&key)
            .and_then(std::rc::Weak::upgrade)
        {
            return Value::Obj(o);
        }
        let o: Rc<LuaObject> = Rc::new(LuaObject {
            shared: shared.clone(),
            value: v,
            key,
        });
        let as_dyn: Rc<dyn Object> = o.clone();
        shared.objects.borrow_mut().insert(key, Rc::downgrade(&o));
        Value::Obj(as_dyn)
    }

    /// The Lua value.
    pub fn lua_value(&self) -> &mlua::Value {
        &self.value
    }

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

impl Drop for LuaObject {
    fn drop(&mut self) {
        if self.key == 0 {
            return;
        }
        if let Ok(mut map) = self.shared.objects.try_borrow_mut() {
            if map.get(&self.key).is_some_and(|w| w.strong_count() == 0) {
                map.remove(&self.key);
            }
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
pub(crate) fn driver(
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
        input.push(to_lua(&lua, shared, a).map_err(|e| lua_fail(&e))?);
    }
    let thread = shared.take_thread(&lua).map_err(|e| lua_fail(&e))?;
    Ok(LuaCont::new(shared.clone(), thread, input))
}

/// Calls Lua value `f` with `args` by a hand-off: a driver thread runs it
/// as a new continuation whose `back` is the current one.
///
/// # Errors
///
/// A script error when Lua cannot make the thread (out of memory).
pub(crate) fn call_lua(
    rt: &mut Interp,
    shared: &Rc<Shared>,
    f: mlua::Value,
    pre: Option<mlua::Value>,
    args: &[Value],
) -> Result<Reply, ScriptError> {
    let cont = driver(shared, f, pre, args)?;
    rt.call_into(Box::new(cont))
}

impl Object for LuaObject {
    fn type_name(&self) -> &'static str {
        match &self.value {
            mlua::Value::Table(_) => "LuaTable",
            mlua::Value::Function(_) => "LuaFunction",
            mlua::Value::Thread(_) => "LuaThread",
            _ => "LuaUserdata",
        }
    }

    fn send(&self, rt: &mut Interp, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
        let lua = self.shared.lua()?;
        let sh = &self.shared;
        match method {
            Ident::CALL => call_lua(rt, sh, self.value.clone(), None, cap.positional),
            Ident::FETCH | Ident::DEFINED | Ident::TRUE => {
                answer_plain(self.type_name(), method, cap)
            }
            Ident::LUA_AT_KEY => {
                let t = self.table()?;
                let k = to_lua(&lua, sh, cap.pos(0)?).map_err(|e| lua_fail(&e))?;
                let v = lend(rt, || t.get::<mlua::Value>(k)).map_err(|e| lua_fail(&e))?;
                Ok(Reply::Value(crate::memory::from_lua_fitted(rt, sh, v)?))
            }
            Ident::LUA_STORE => {
                let t = self.table()?;
                let k = to_lua(&lua, sh, cap.pos(0)?).map_err(|e| lua_fail(&e))?;
                let v = to_lua(&lua, sh, &cap.pos_or_nil(1)).map_err(|e| lua_fail(&e))?;
                lend(rt, || t.set(k, v)).map_err(|e| lua_fail(&e))?;
                Ok(Reply::Value(cap.pos_or_nil(1)))
            }
            Ident::ELEMS => {
                let t = self.table()?;
                let n = lend(rt, || t.len()).map_err(|e| lua_fail(&e))?;
                Ok(Reply::Value(Value::Int(n)))
            }
            Ident::STR => {
                let tostring: mlua::Function =
                    lua.globals().get("tostring").map_err(|e| lua_fail(&e))?;
                let v = self.value.clone();
                let s =
                    lend(rt, || tostring.call::<mlua::LuaString>(v)).map_err(|e| lua_fail(&e))?;
                Ok(Reply::Value(Value::str(&*s.as_bytes())))
            }
            _ => {
                let t = self
                    .table()
                    .map_err(|_| ScriptError::unknown_method(self.type_name(), method))?;
                let name = method.name();
                let f = lend(rt, || t.get::<mlua::Value>(name)).map_err(|e| lua_fail(&e))?;
                if f.is_nil() {
                    return Err(ScriptError::new(
                        ErrorKind::UnknownMethod,
                        format!("unknown method \"{name}\" for LuaTable (no field of that name)"),
                    ));
                }
                call_lua(rt, sh, f, Some(self.value.clone()), cap.positional)
            }
        }
    }
}
