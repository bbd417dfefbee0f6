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
    /// The method hands control to this continuation (a `goto`): the
    /// sender ends its step with [`crate::Step::Goto`] of it and stays
    /// suspended at the call. A later `setr` is the call's result; a
    /// hand-off back without one resumes it with none (nil). A sender that
    /// cannot end its step where it stands hands it to [`Cx::enter`].
    Goto(crate::runloop::cont::ContKey),
    /// The method already moved control: [`Cx::enter`] made another
    /// continuation current. The sender ends its step with
    /// [`crate::Step::Continue`]; an answer, if one comes, arrives by
    /// `setr`. This is the only answer a method may give after moving
    /// control: [`Cx::send`] turns any other into a
    /// [`crate::ErrorKind::BrokenHandOff`] error and makes the sender
    /// current again.
    Pending,
}

impl Reply {
    /// The value the sender goes on with (`Ok`), or the step it ends with
    /// to carry this reply out (`Err`): [`crate::Step::Call`],
    /// [`crate::Step::Goto`], or [`crate::Step::Continue`] for
    /// [`Reply::Pending`].
    ///
    /// ```
    /// use polyeval_core::{Reply, Step, Value};
    ///
    /// assert!(matches!(Reply::Value(Value::Int(1)).into_step(), Ok(Value::Int(1))));
    /// assert!(matches!(Reply::Pending.into_step(), Err(Step::Continue)));
    /// ```
    ///
    /// # Errors
    ///
    /// `Err` is not a failure: it is the step that hands control on.
    #[inline]
    pub fn into_step(self) -> Result<Value, crate::Step> {
        match self {
            Reply::Value(v) => Ok(v),
            Reply::Call(c) => Err(crate::Step::Call(c)),
            Reply::Goto(k) => Err(crate::Step::Goto(k)),
            Reply::Pending => Err(crate::Step::Continue),
        }
    }
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reply::Value(v) => f.debug_tuple("Value").field(v).finish(),
            Reply::Call(c) => write!(f, "Call({})", c.interpreter()),
            Reply::Goto(k) => f.debug_tuple("Goto").field(k).finish(),
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
    /// Callers reach an object through [`Cx::send`], never by calling this
    /// directly: `Cx::send` answers immediate values and checks the
    /// hand-off contract (a method that moved control must answer
    /// [`Reply::Pending`]). An object that forwards a message to another
    /// one forwards it through `Cx::send` too.
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
///
/// A closure made with [`NativeFn::new`] or [`NativeFn::value`] answers a
/// value now. One that hands control on (calls a continuation, or does a
/// `goto`) must say so in its answer: make it with [`NativeFn::replying`]
/// and return the [`Reply`].
pub struct NativeFn {
    name: &'static str,
    f: NativeBody,
}

type ValueFn = dyn Fn(&mut Cx, Capture<'_>) -> Result<Value, ScriptError>;
type ReplyFn = dyn Fn(&mut Cx, Capture<'_>) -> Result<Reply, ScriptError>;

enum NativeBody {
    Value(Box<ValueFn>),
    Reply(Box<ReplyFn>),
}

impl NativeFn {
    /// Wraps `f` as a callable object named `name`.
    pub fn new(
        name: &'static str,
        f: impl Fn(&mut Cx, Capture<'_>) -> Result<Value, ScriptError> + 'static,
    ) -> Self {
        NativeFn {
            name,
            f: NativeBody::Value(Box::new(f)),
        }
    }

    /// Wraps `f` as a callable object value.
    pub fn value(
        name: &'static str,
        f: impl Fn(&mut Cx, Capture<'_>) -> Result<Value, ScriptError> + 'static,
    ) -> Value {
        Value::obj(NativeFn::new(name, f))
    }

    /// Wraps `f`, which answers a [`Reply`], as a callable object value:
    /// for a native that hands control on, for example to a continuation
    /// that runs with `back` = the caller.
    ///
    /// ```
    /// use polyeval_core::{Cx, NativeFn, Reply, Step, Value};
    ///
    /// struct Later(i64);
    /// impl polyeval_core::Continuation for Later {
    ///     fn interpreter(&self) -> &'static str { "native" }
    ///     fn eval(&mut self, _cx: &mut Cx) -> Step { Step::Done(Value::Int(self.0)) }
    ///     fn setr(&mut self, _v: Value) {}
    ///     fn frames(&self, _out: &mut Vec<polyeval_core::FrameInfo>) {}
    /// }
    ///
    /// let later = NativeFn::replying("later", |_cx, cap| {
    ///     let n = match cap.pos(0)? {
    ///         Value::Int(n) => *n,
    ///         _ => 0,
    ///     };
    ///     Ok(Reply::Call(Box::new(Later(n + 1))))
    /// });
    /// # let _ = later;
    /// ```
    pub fn replying(
        name: &'static str,
        f: impl Fn(&mut Cx, Capture<'_>) -> Result<Reply, ScriptError> + 'static,
    ) -> Value {
        Value::obj(NativeFn {
            name,
            f: NativeBody::Reply(Box::new(f)),
        })
    }
}

impl Object for NativeFn {
    fn type_name(&self) -> &'static str {
        self.name
    }

    fn send(&self, rt: &mut Cx, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
        if method == Ident::CALL {
            match &self.f {
                NativeBody::Value(f) => f(rt, cap).map(Reply::Value),
                NativeBody::Reply(f) => f(rt, cap),
            }
        } else {
            Err(ScriptError::unknown_method(self.name, method))
        }
    }
}
