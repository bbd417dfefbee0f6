//! Values between Lua and the run loop (docs/design.md §4): nil ↔ undef, booleans,
//! integers, floats and byte strings by value; tables, functions, userdata
//! and threads by reference, as [`LuaObject`]s; run-loop objects as proxy
//! userdata (`ffi/proxy.rs`). Both directions keep identity: a value that
//! crosses and comes back is the same value, and crossing twice gives the
//! same proxy or object. Also errors across: a run-loop error as the Lua
//! value to raise, and a Lua error value's message.

use std::rc::Rc;

use mlua::Lua;
use polyeval_core::{ScriptError, Value};

use crate::error::LuaFailure;
use crate::state::{LuaObject, Shared};

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
        mlua::Value::Error(e) => LuaFailure::Callback.message(e),
        other => format!("(error object is a {} value)", other.type_name()),
    }
}
