//! Scheme's values as polyeval values. `'()` is [`Value::Nil`], `#t`/`#f`
//! are [`Value::Bool`], numbers are [`Value::Int`] and [`Value::Float`],
//! strings [`Value::Str`]; the rest are core [`Object`]s defined here:
//! [`Pair`], [`Symbol`], closures ([`Procedure`]), builtins
//! ([`Primitive`]), continuations ([`ContinuationObject`]) and the error
//! conditions `error` and `raise` make.
//!
//! Every procedure answers [`Ident::CALL`] for other interpreters by
//! answering `Reply::Call` of a fresh Scheme continuation, so a
//! call from Lua or m0ld never runs Scheme on the caller's native stack.

use std::rc::Rc;

use polyeval_core::{
    answer_plain, drop_values, Capture, Cx, Ident, LazyIdent, Object, Reply, ScriptError, Value,
};

use crate::ast::LambdaCode;
use crate::cont::SchemeCont;
use crate::env::Env;
use crate::frames::FrameList;
use crate::print::written;

static CAR: LazyIdent = LazyIdent::new("car");
static CDR: LazyIdent = LazyIdent::new("cdr");

/// A pair. Pairs are immutable (there is no `set-car!`), so lists can
/// never be circular.
pub struct Pair {
    /// The first element.
    pub car: Value,
    /// The rest.
    pub cdr: Value,
}

/// `(cons car cdr)`.
pub fn cons(car: Value, cdr: Value) -> Value {
    Value::obj(Pair { car, cdr })
}

/// The proper list of `items`, in order.
pub fn list_of(items: impl IntoIterator<Item = Value, IntoIter: DoubleEndedIterator>) -> Value {
    items
        .into_iter()
        .rev()
        .fold(Value::Nil, |tail, v| cons(v, tail))
}

impl Drop for Pair {
    fn drop(&mut self) {
        // A list a million long must not drop recursively.
        drop_values([std::mem::take(&mut self.car), std::mem::take(&mut self.cdr)]);
    }
}

impl Object for Pair {
    fn type_name(&self) -> &'static str {
        "Pair"
    }

    fn send(&self, _rt: &mut Cx, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
        if method == CAR.get() {
            Ok(Reply::Value(self.car.clone()))
        } else if method == CDR.get() {
            Ok(Reply::Value(self.cdr.clone()))
        } else if method == Ident::STR {
            Ok(Reply::Value(Value::str(written(cap.invocant))))
        } else {
            answer_plain("Pair", method, cap)
        }
    }
}

/// A symbol. Two symbols are `eq?` when their names are equal.
pub struct Symbol {
    /// The interned name.
    pub name: Ident,
}

/// The symbol named `name`.
pub fn symbol(name: Ident) -> Value {
    Value::obj(Symbol { name })
}

/// The name of `v` if it is a symbol.
pub fn symbol_name(v: &Value) -> Option<Ident> {
    v.downcast::<Symbol>().map(|s| s.name)
}

impl Object for Symbol {
    fn type_name(&self) -> &'static str {
        "Symbol"
    }

    fn send(&self, _rt: &mut Cx, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
        if method == Ident::STR {
            Ok(Reply::Value(Value::str(self.name.name())))
        } else {
            answer_plain("Symbol", method, cap)
        }
    }
}

/// A closure: a `lambda`'s code and the environment it was made in.
pub struct Procedure {
    pub(crate) code: Rc<LambdaCode>,
    pub(crate) env: Option<Env>,
}

/// A Scheme continuation that applies `f` (any Scheme procedure) to the
/// capture's arguments, for the sender to run as its callee.
fn call_from_outside(cap: &Capture<'_>) -> Result<Reply, ScriptError> {
    let cont = SchemeCont::apply(cap.invocant.clone(), cap.positional.to_vec());
    Ok(Reply::Call(Box::new(cont)))
}

impl Object for Procedure {
    fn type_name(&self) -> &'static str {
        "Procedure"
    }

    fn send(&self, _rt: &mut Cx, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
        if method == Ident::CALL {
            call_from_outside(&cap)
        } else if method == Ident::STR {
            Ok(Reply::Value(Value::str(written(cap.invocant))))
        } else {
            answer_plain("Procedure", method, cap)
        }
    }
}

/// A builtin that needs only its arguments and the run loop.
pub(crate) type PrimFn = fn(&mut Cx, &[Value]) -> Result<Value, ScriptError>;

/// What a builtin does.
pub(crate) enum PrimOp {
    /// Computes its value at once.
    Simple(PrimFn),
    /// `(apply f arg ... list)`.
    Apply,
    /// `(call/cc f)`.
    CallCc,
    /// `(catch thunk handler)`.
    Catch,
    /// `(send obj method arg ...)`.
    Send,
    /// `(eval-in language source arg ...)`.
    EvalIn,
}

/// A builtin procedure.
pub struct Primitive {
    pub(crate) name: &'static str,
    pub(crate) min: usize,
    /// `None`: any number of arguments past `min`.
    pub(crate) max: Option<usize>,
    pub(crate) op: PrimOp,
}

impl Primitive {
    /// Checks the number of arguments.
    pub(crate) fn check_arity(&self, got: usize) -> Result<(), ScriptError> {
        if got < self.min || self.max.is_some_and(|m| got > m) {
            return Err(arity_error(self.name, self.min, self.max, got));
        }
        Ok(())
    }
}

/// `name` got `got` arguments, outside `min..=max`.
#[cold]
pub(crate) fn arity_error(name: &str, min: usize, max: Option<usize>, got: usize) -> ScriptError {
    let want = match max {
        Some(m) if m == min => format!("{min}"),
        Some(m) => format!("{min} to {m}"),
        None => format!("at least {min}"),
    };
    let s = if want == "1" { "" } else { "s" };
    ScriptError::new(
        polyeval_core::ErrorKind::Arity,
        format!("{name}: wrong number of arguments: expected {want} argument{s}, got {got}"),
    )
}

impl Object for Primitive {
    fn type_name(&self) -> &'static str {
        "Primitive"
    }

    fn send(&self, rt: &mut Cx, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
        if method == Ident::CALL {
            match self.op {
                PrimOp::Simple(f) => {
                    self.check_arity(cap.positional.len())?;
                    f(rt, cap.positional).map(Reply::Value)
                }
                _ => call_from_outside(&cap),
            }
        } else if method == Ident::STR {
            Ok(Reply::Value(Value::str(written(cap.invocant))))
        } else {
            answer_plain("Primitive", method, cap)
        }
    }
}

/// A first-class continuation, as `call/cc` hands it out: the machine's
/// frame list at the moment of capture. Applying it replaces the running
/// frame list with this one, so it may be resumed any number of times; the
/// frame at its bottom leaves Scheme into the interpreter that started the
/// activation, and does so only once (see the crate docs).
pub struct ContinuationObject {
    pub(crate) frames: FrameList,
    /// The activation whose bottom frame ends `frames`.
    pub(crate) owner: Rc<crate::cont::Activation>,
}

impl Object for ContinuationObject {
    fn type_name(&self) -> &'static str {
        "Continuation"
    }

    fn send(&self, _rt: &mut Cx, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
        if method == Ident::CALL {
            call_from_outside(&cap)
        } else if method == Ident::STR {
            Ok(Reply::Value(Value::str("#<continuation>")))
        } else {
            answer_plain("Continuation", method, cap)
        }
    }
}

/// What `(error message irritant ...)` raises.
pub struct Condition {
    /// The message, without position.
    pub message: String,
    /// The irritants, as a list.
    pub irritants: Value,
}

impl Drop for Condition {
    fn drop(&mut self) {
        drop_values([std::mem::take(&mut self.irritants)]);
    }
}

impl Object for Condition {
    fn type_name(&self) -> &'static str {
        "Condition"
    }

    fn send(&self, _rt: &mut Cx, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
        if method == Ident::MESSAGE {
            Ok(Reply::Value(Value::str(&self.message)))
        } else if method == Ident::STR {
            Ok(Reply::Value(Value::str(written(cap.invocant))))
        } else {
            answer_plain("Condition", method, cap)
        }
    }
}

/// The payload of an error that `(raise obj)` raised: `obj` goes to a
/// Scheme handler as it is.
pub(crate) struct Raised {
    pub value: Value,
}

impl Drop for Raised {
    fn drop(&mut self) {
        drop_values([std::mem::take(&mut self.value)]);
    }
}

impl Object for Raised {
    fn type_name(&self) -> &'static str {
        "Raised"
    }

    fn send(&self, _rt: &mut Cx, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
        if method == Ident::PAYLOAD {
            Ok(Reply::Value(self.value.clone()))
        } else if method == Ident::STR {
            Ok(Reply::Value(Value::str(written(&self.value))))
        } else {
            answer_plain("Raised", method, cap)
        }
    }
}

/// Whether `v` is something Scheme can apply.
pub(crate) fn is_procedure(v: &Value) -> bool {
    v.downcast::<Procedure>().is_some()
        || v.downcast::<Primitive>().is_some()
        || v.downcast::<ContinuationObject>().is_some()
}
