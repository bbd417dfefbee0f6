//! Objects every interpreter sees: the run loop itself (`$interpreter`),
//! continuation handles and error objects.

use crate::error::ScriptError;
use crate::interrupts::irqconts::{Sleep, WithoutInterrupts};
use crate::interrupts::timer::seconds;
use crate::objects::language::LanguageObject;
use crate::runloop::cont::ContKey;
use crate::runloop::Cx;
use crate::values::capture::Capture;
use crate::values::ident::{Ident, LazyIdent};
use crate::values::object::{answer_plain, Object, Reply};
use crate::values::value::{SendValue, Value};
use std::time::Instant;

/// A script's handle to a continuation: a generational key, checked on use.
/// It does not keep the continuation alive.
pub struct ContObject {
    /// The continuation this handle names.
    pub key: ContKey,
}

impl ContObject {
    /// A handle value for `key`.
    pub fn value(key: ContKey) -> Value {
        Value::obj(ContObject { key })
    }
}

/// Extracts a continuation key from a handle value.
///
/// # Errors
///
/// A wrong-type error naming `what` when `v` is not a continuation.
pub fn cont_key(v: &Value, what: &str) -> Result<ContKey, ScriptError> {
    v.downcast::<ContObject>()
        .map(|c| c.key)
        .ok_or_else(|| ScriptError::wrong_type(what, "a continuation", v.type_name()))
}

/// The answer of a `goto` method: a hand-off to `k`, checked now so that a
/// stale handle is an error at the call.
fn goto_reply(rt: &Cx, k: ContKey) -> Result<Reply, ScriptError> {
    if !rt.contains(k) {
        return Err(ScriptError::stale_continuation("goto's target"));
    }
    Ok(Reply::Goto(k))
}

impl Object for ContObject {
    fn type_name(&self) -> &'static str {
        "Continuation"
    }

    fn send(&self, rt: &mut Cx, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
        let k = self.key;
        let v = match method {
            Ident::BACK => match rt.back(k)? {
                Some(b) => rt.handle(b),
                None => Value::Nil,
            },
            Ident::SETR => {
                let v = cap.pos_or_nil(0);
                if rt.is_running(k) {
                    // The running continuation's pending point is this very
                    // call, so the value is its result.
                    return Ok(Reply::Value(v));
                }
                rt.setr_to(k, v)?;
                Value::Nil
            }
            Ident::CATCH => {
                if cap.positional.is_empty() {
                    rt.catch(k)?.unwrap_or_default()
                } else {
                    let h = cap.pos_or_nil(0);
                    rt.set_catch(k, h.is_defined().then_some(h))?;
                    Value::Nil
                }
            }
            Ident::GOTO => {
                return goto_reply(rt, k);
            }
            Ident::STR => {
                let interp = rt
                    .interpreter_of(k)
                    .ok_or_else(|| ScriptError::stale_continuation("the continuation"))?;
                Value::str(format!("Continuation({interp})"))
            }
            Ident::DEFINED | Ident::TRUE => Value::Bool(rt.contains(k)),
            Ident::FETCH => cap.invocant.clone(),
            _ => return Err(ScriptError::unknown_method("Continuation", method)),
        };
        Ok(Reply::Value(v))
    }
}

static LANG: LazyIdent = LazyIdent::new("lang");

/// The run loop as scripts see it (`$interpreter` in m0ld).
pub struct InterpObject;

impl InterpObject {
    /// The `$interpreter` value.
    pub fn value() -> Value {
        Value::obj(InterpObject)
    }
}

impl Object for InterpObject {
    fn type_name(&self) -> &'static str {
        "Interpreter"
    }

    fn send(&self, rt: &mut Cx, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
        let v = match method {
            Ident::CONTINUATION => match rt.continuation() {
                Some(k) => rt.handle(k),
                None => Value::Nil,
            },
            Ident::GOTO => {
                let k = cont_key(cap.pos(0)?, "goto's argument")?;
                return goto_reply(rt, k);
            }
            Ident::WARN => {
                let mut msg = Vec::new();
                for a in cap.positional {
                    a.render_into(&mut msg);
                }
                rt.interrupts().raise(Ident::WARNING, Value::str(msg), None);
                Value::Nil
            }
            Ident::DIE => {
                let payload = cap.pos_or_nil(0);
                let msg = String::from_utf8_lossy(&payload.render()).into_owned();
                return Err(ScriptError::raised(msg, payload));
            }
            Ident::ON_INTERRUPT => {
                let kind = interrupt_kind(cap.pos(0)?)?;
                let h = cap.pos_or_nil(1);
                rt.interrupts()
                    .set_handler(kind, h.is_defined().then_some(h))
                    .unwrap_or_default()
            }
            Ident::RAISE => {
                let kind = interrupt_kind(cap.pos(0)?)?;
                rt.interrupts().raise(kind, cap.pos_or_nil(1), None);
                Value::Nil
            }
            Ident::TIMER => {
                let after = seconds(cap.pos(0)?, "timer's delay")?;
                let kind = interrupt_kind(cap.pos(1)?)?;
                let payload = cap.pos_or_nil(2);
                let payload = SendValue::from_value(&payload).ok_or_else(|| {
                    ScriptError::wrong_type(
                        "a timer's payload",
                        "nil, a boolean, a number or a string",
                        payload.type_name(),
                    )
                })?;
                let every = match cap.pos_or_nil(3) {
                    Value::Nil => None,
                    v => Some(seconds(&v, "timer's repeat interval")?).filter(|d| !d.is_zero()),
                };
                rt.interrupts().start_timer(after, every, kind, payload)?
            }
            Ident::SLEEP => {
                let d = seconds(cap.pos(0)?, "sleep's duration")?;
                return Ok(Reply::Call(Box::new(Sleep::new(Instant::now() + d))));
            }
            Ident::WITHOUT_INTERRUPTS => {
                let code = cap.pos(0)?.clone();
                return Ok(Reply::Call(Box::new(WithoutInterrupts::new(code))));
            }
            Ident::FETCH => cap.invocant.clone(),
            Ident::STR => Value::str("Interpreter"),
            _ if method == LANG.get() => {
                let v = cap.pos(0)?;
                let name = v.as_bytes().ok_or_else(|| {
                    ScriptError::wrong_type("lang's name", "a string", v.type_name())
                })?;
                LanguageObject::lookup(rt, name)?
            }
            _ => return Err(ScriptError::unknown_method("Interpreter", method)),
        };
        Ok(Reply::Value(v))
    }
}

fn interrupt_kind(v: &Value) -> Result<Ident, ScriptError> {
    v.as_bytes()
        .map(Ident::from_bytes)
        .ok_or_else(|| ScriptError::wrong_type("an interrupt kind", "a string", v.type_name()))
}

/// A caught error as scripts see it.
pub struct ErrorObject {
    /// The error.
    pub err: ScriptError,
}

impl ErrorObject {
    /// An error object value.
    pub fn value(err: ScriptError) -> Value {
        Value::obj(ErrorObject { err })
    }
}

impl Object for ErrorObject {
    fn type_name(&self) -> &'static str {
        "Error"
    }

    fn send(&self, _rt: &mut Cx, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
        let e = &self.err;
        let origin = e.origin();
        let v = match method {
            Ident::MESSAGE => Value::str(&e.message),
            Ident::STR => Value::str(e.located_message()),
            Ident::PAYLOAD => e.payload.clone(),
            Ident::KIND => Value::str(format!("{:?}", e.kind)),
            Ident::INTERPRETER => origin.map(|o| Value::str(o.interp)).unwrap_or_default(),
            Ident::FILE => origin.map(|o| Value::str(&*o.file)).unwrap_or_default(),
            Ident::LINE => origin
                .map(|o| Value::Int(o.line.into()))
                .unwrap_or_default(),
            Ident::COLUMN => origin.map(|o| Value::Int(o.col.into())).unwrap_or_default(),
            Ident::BACKTRACE => {
                let mut s = String::new();
                e.backtrace.write_to(&mut s);
                Value::str(s)
            }
            _ => return answer_plain("Error", method, cap),
        };
        Ok(Reply::Value(v))
    }
}
