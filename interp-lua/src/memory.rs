//! The memory limit at the crossing ([`polyeval_core::memory`]): a Lua
//! string becomes a Rust copy when it crosses into the run loop, and that
//! copy is checked against the limit before it is made. (Lua's own heap is
//! held to its share by mlua's limit, which the host keeps in step.)

use std::rc::Rc;

use mlua::Lua;
use polyeval_core::{Interp, ScriptError, Value};

use crate::convert::{error_to_lua, from_lua};
use crate::lend::with_rt;
use crate::runtime::Shared;

/// The bytes that the Rust copies of the strings among `values` take.
fn string_bytes<'a>(values: impl IntoIterator<Item = &'a mlua::Value>) -> usize {
    values
        .into_iter()
        .map(|v| match v {
            mlua::Value::String(s) => s.as_bytes().len(),
            _ => 0,
        })
        .fold(0, usize::saturating_add)
}

/// [`from_lua`], after checking that a string's Rust copy fits under the
/// memory limit.
///
/// # Errors
///
/// An out-of-memory script error.
pub(crate) fn from_lua_fitted(
    rt: &mut Interp,
    shared: &Rc<Shared>,
    v: mlua::Value,
) -> Result<Value, ScriptError> {
    if polyeval_core::memory::active() {
        rt.reserve_memory(string_bytes([&v]))?;
    }
    Ok(from_lua(shared, v))
}

/// For `send`: when the Rust copies of the strings among `target` and
/// `args` would pass the memory limit, the `ERR, error, level` answer that
/// raises the out-of-memory error in Lua.
pub(crate) fn refuse_copies(
    lua: &Lua,
    shared: &Shared,
    target: &mlua::Value,
    args: &[mlua::Value],
) -> mlua::Result<Option<(mlua::Value, mlua::Value, mlua::Value)>> {
    if !polyeval_core::memory::active() {
        return Ok(None);
    }
    let bytes = string_bytes(std::iter::once(target).chain(args));
    let fits = with_rt(|rt| rt.reserve_memory(bytes))
        .unwrap_or_else(|| polyeval_core::memory::check(bytes).map_err(ScriptError::from));
    let Err(e) = fits else {
        return Ok(None);
    };
    let (ev, level) = error_to_lua(lua, shared, &e)?;
    Ok(Some((
        mlua::Value::LightUserData(shared.err),
        ev,
        mlua::Value::Integer(level),
    )))
}
