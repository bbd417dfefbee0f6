//! `$OUT`: the program's standard output as an object.

use crate::names;
use polyeval_core::{Capture, Cx, Ident, Object, Reply, ScriptError, Value};

use super::ok;

/// `$OUT`: `print` and `say` write their arguments concatenated.
pub struct OutObj;

/// Renders `v` for output: immediates as Lua's `tostring`, objects through
/// their own `Str` method when it answers now.
///
/// # Errors
///
/// Whatever the object's `Str` raises.
pub fn stringify(rt: &mut Cx, v: &Value, out: &mut Vec<u8>) -> Result<(), ScriptError> {
    match v {
        Value::Obj(_) => match rt.send(Ident::STR, Capture::new(v, &[])) {
            Ok(Reply::Value(s)) if !matches!(s, Value::Obj(_)) => {
                s.render_into(out);
                Ok(())
            }
            Ok(_) => {
                v.render_into(out);
                Ok(())
            }
            Err(e) if e.kind == polyeval_core::ErrorKind::UnknownMethod => {
                v.render_into(out);
                Ok(())
            }
            Err(e) => Err(e),
        },
        _ => {
            v.render_into(out);
            Ok(())
        }
    }
}

impl Object for OutObj {
    fn type_name(&self) -> &'static str {
        "OUT"
    }

    fn send(&self, rt: &mut Cx, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
        match method {
            m if m == names::PRINT.get() || m == names::SAY.get() => {
                let len: usize = cap
                    .positional
                    .iter()
                    .map(|a| a.as_bytes().map_or(0, <[u8]>::len))
                    .sum();
                rt.reserve_memory(len)?;
                let mut buf = polyeval_core::memory::try_buffer(len + 1)?;
                for a in cap.positional {
                    stringify(rt, a, &mut buf)?;
                }
                if method == names::SAY.get() {
                    buf.push(b'\n');
                }
                rt.out()
                    .write_all(&buf)
                    .map_err(|e| ScriptError::runtime(format!("cannot write to $OUT: {e}")))?;
                ok(Value::Bool(true))
            }
            Ident::FETCH => ok(cap.invocant.clone()),
            _ => Err(ScriptError::unknown_method("OUT", method)),
        }
    }
}
