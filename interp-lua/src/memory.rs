//! The memory limit at the crossing ([`polyeval_core::memory`]): a Lua
//! string becomes a Rust copy when it crosses into the run loop, and that
//! copy is checked against the limit before it is made. (Lua's own heap is
//! held to its share by mlua's limit, which the host keeps in step.)

use std::rc::Rc;

use polyeval_core::{Cx, ScriptError, Value};

use crate::convert::from_lua;
use crate::state::Shared;

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
    rt: &mut Cx,
    shared: &Rc<Shared>,
    v: mlua::Value,
) -> Result<Value, ScriptError> {
    if polyeval_core::memory::active() {
        rt.reserve_memory(string_bytes([&v]))?;
    }
    Ok(from_lua(shared, v))
}
