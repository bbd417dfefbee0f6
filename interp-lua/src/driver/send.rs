//! The setup of sends from Lua (the raw C functions are `ffi/send.rs`'s):
//! the send layer's tables, the proxy type's metatable, and functions
//! bound to a run-loop object.

use std::rc::Rc;

use mlua::{Function, Lua, Table};
use polyeval_core::{Ident, Value};

use crate::convert::to_lua;
use crate::state::{SendLayer, Shared};

/// Makes the send layer of `shared`'s state: the proxy metatable and the
/// proxy cache (weak values), registered where the raw code finds them,
/// and the proxy type.
pub(crate) fn install_send_layer(lua: &Lua, shared: &Rc<Shared>) -> mlua::Result<()> {
    let proxies = lua.create_table()?;
    let weak_values = lua.create_table()?;
    weak_values.set("__mode", "v")?;
    proxies.set_metatable(Some(weak_values))?;
    let layer = SendLayer {
        mt: lua.create_table()?,
        proxies,
    };
    layer.register(lua)?;
    let _ = shared.sends.set(layer);
    register_proxy_type(lua, shared)
}

/// A Lua function that calls the run-loop object `obj` (sends it
/// `postcircumfix:( )`), waiting for a pending answer as Lua code waits
/// for any call into SMOP.
pub(crate) fn host_function(lua: &Lua, shared: &Shared, obj: &Value) -> mlua::Result<Function> {
    let ud = to_lua(lua, shared, obj)?;
    shared
        .send_layer()?
        .bound(lua, ud, i64::from(Ident::CALL.index()))
}

/// Makes the proxy type (raw userdata, `ffi/proxy.rs`): `obj:m(...)` sends
/// `m`, `obj(...)` sends `postcircumfix:( )`, `tostring(obj)` sends `Str`,
/// `==` is identity. A method function is made the first time its name is
/// looked up, and kept.
fn register_proxy_type(lua: &Lua, shared: &Rc<Shared>) -> mlua::Result<()> {
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
    pmt.raw_set("__tostring", layer.tostring(lua)?)?;
    pmt.raw_set("__name", "smop.object")?;
    pmt.raw_set("__eq", eq)?;
    pmt.raw_set("__gc", gc)?;
    // As mlua's userdata metatables: hidden from scripts.
    pmt.raw_set("__metatable", false)?;
    Ok(())
}
