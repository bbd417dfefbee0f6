//! The responder interface: every object answers messages named by an
//! [`Ident`] with a [`Capture`], either with a value now or "pending".

use std::any::Any;
use std::rc::Rc;

use crate::error::ScriptError;
use crate::runloop::Cx;
use crate::values::capture::Capture;
use crate::values::ident::Ident;
use crate::values::value::Value;

/// A shared reference to an object. Identity is pointer identity.
pub type ObjRef = Rc<dyn Object>;

/// How a method call answered, said by what the sender does next.
pub enum Reply {
    /// The method finished and this is its result. The sender is still
    /// the current continuation and goes on.
    Value(Value),
    /// The answer needs a callee run first: the sender ends its step with
    /// [`crate::Step::Call`] of it (the loop runs it with `back` = the
    /// sender, and its result comes back by `setr`). A sender that cannot
    /// end its step where it stands hands it to [`Cx::enter`] instead.
    Call(Box<dyn crate::runloop::cont::Continuation>),
    /// The method already moved control: it made another continuation
    /// current (a `goto`, or a callee entered with [`Cx::call_into`]).
    /// The sender ends its step with [`crate::Step::Continue`]; an answer,
    /// if one comes, arrives by `setr`.
    Pending,
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reply::Value(v) => f.debug_tuple("Value").field(v).finish(),
            Reply::Call(c) => write!(f, "Call({})", c.interpreter()),
            Reply::Pending => f.write_str("Pending"),
        }
    }
}

/// An object in SMOP's sense: it answers messages through a responder
/// interface.
pub trait Object: Any {
    /// The object's type name, as error messages show it.
    fn type_name(&self) -> &'static str;

    /// Answers `method` with `cap`. `cap.invocant` is this object.
    ///
    /// # Errors
    ///
    /// A script error, such as an unknown method
    /// ([`ScriptError::unknown_method`]) or a wrong argument.
    fn send(&self, rt: &mut Cx, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError>;
}

/// The methods every plain (non-container) object answers: `FETCH` gives
/// the object itself, `defined` and `true` give true. Anything else is an
/// unknown method of `type_name`. Objects call this from their fallback
/// arm.
///
/// # Errors
///
/// [`ScriptError::unknown_method`] for any other method.
pub fn answer_plain(
    type_name: &str,
    method: Ident,
    cap: Capture<'_>,
) -> Result<Reply, ScriptError> {
    match method {
        Ident::FETCH => Ok(Reply::Value(cap.invocant.clone())),
        Ident::DEFINED | Ident::TRUE => Ok(Reply::Value(Value::Bool(true))),
        _ => Err(ScriptError::unknown_method(type_name, method)),
    }
}

/// Whether two object references are the same object.
#[inline]
pub fn same_object(a: &ObjRef, b: &ObjRef) -> bool {
    std::ptr::addr_eq(Rc::as_ptr(a), Rc::as_ptr(b))
}

/// A native object built from a closure. Calling it (`postcircumfix:( )`)
/// runs the closure; it answers nothing else.
pub struct NativeFn {
    name: &'static str,
    #[allow(clippy::type_complexity)]
    f: Box<dyn Fn(&mut Cx, Capture<'_>) -> Result<Value, ScriptError>>,
}

impl NativeFn {
    /// Wraps `f` as a callable object named `name`.
    pub fn new(
        name: &'static str,
        f: impl Fn(&mut Cx, Capture<'_>) -> Result<Value, ScriptError> + 'static,
    ) -> Self {
        NativeFn {
            name,
            f: Box::new(f),
        }
    }

    /// Wraps `f` as a callable object value.
    pub fn value(
        name: &'static str,
        f: impl Fn(&mut Cx, Capture<'_>) -> Result<Value, ScriptError> + 'static,
    ) -> Value {
        Value::obj(NativeFn::new(name, f))
    }
}

impl Object for NativeFn {
    fn type_name(&self) -> &'static str {
        self.name
    }

    fn send(&self, rt: &mut Cx, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
        if method == Ident::CALL {
            (self.f)(rt, cap).map(Reply::Value)
        } else {
            Err(ScriptError::unknown_method(self.name, method))
        }
    }
}
