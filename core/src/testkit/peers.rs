//! The native peers the checks hand to a subject's programs: run-loop
//! objects and continuations written in Rust. Each peer answers
//! [`Ident::CALL`]; a peer that works [`When::Later`] hands off to a
//! continuation of its own through the loop (`Reply::Call`), never
//! by calling back on the native stack. Their frames are `"native"` ones
//! in the file [`PEER_FILE`], named after the peer.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::error::{FrameInfo, RunError, ScriptError};
use crate::objects::builtins::ErrorObject;
use crate::runloop::cont::{ContKey, Continuation, Step};
use crate::runloop::host::Interp;
use crate::runloop::Cx;
use crate::values::capture::Capture;
use crate::values::ident::Ident;
use crate::values::object::{answer_plain, NativeFn, Object, Reply};
use crate::values::value::Value;

/// The file name of every peer continuation's frame.
pub const PEER_FILE: &str = "<conformance kit>";

/// When a peer does its work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// While answering the call: the caller gets a value, an error or a
    /// panic from the send itself.
    Now,
    /// In a continuation the peer hands off to: the caller's send answers
    /// pending, and the result (or failure) comes through the loop.
    Later,
}

/// How [`deliver_twice`]'s continuation delivers its two values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Twice {
    /// `setr` the first value to `back`, then finish with the second.
    SetrThenDone,
    /// `setr` both values to `back`, then `goto` it.
    SetrSetrGoto,
}

type CallFn = dyn Fn(&mut Cx, Capture<'_>) -> Result<Reply, ScriptError>;

/// A callable object whose call may answer a value or hand off.
struct Peer {
    name: &'static str,
    call: Box<CallFn>,
}

impl Object for Peer {
    fn type_name(&self) -> &'static str {
        self.name
    }

    fn send(&self, rt: &mut Cx, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
        if method == Ident::CALL {
            (self.call)(rt, cap)
        } else {
            answer_plain(self.name, method, cap)
        }
    }
}

fn peer(
    name: &'static str,
    call: impl Fn(&mut Cx, Capture<'_>) -> Result<Reply, ScriptError> + 'static,
) -> Value {
    Value::obj(Peer {
        name,
        call: Box::new(call),
    })
}

fn peer_frame(name: &'static str, out: &mut Vec<FrameInfo>) {
    out.push(FrameInfo {
        interp: "native",
        file: PEER_FILE.into(),
        line: 0,
        col: 0,
        name: Some(name.into()),
    });
}

type StepFn = Box<dyn FnOnce(&mut Cx) -> Step>;

/// A continuation whose one step runs a closure.
struct Once {
    name: &'static str,
    step: Option<StepFn>,
}

impl Once {
    fn boxed(name: &'static str, step: impl FnOnce(&mut Cx) -> Step + 'static) -> Box<Self> {
        Box::new(Once {
            name,
            step: Some(Box::new(step)),
        })
    }
}

impl Continuation for Once {
    fn interpreter(&self) -> &'static str {
        "native"
    }
    fn eval(&mut self, rt: &mut Cx) -> Step {
        match self.step.take() {
            Some(step) => step(rt),
            None => Step::Fail(ScriptError::runtime(format!(
                "the conformance kit's {} continuation was stepped twice",
                self.name
            ))),
        }
    }
    fn setr(&mut self, _value: Value) {}
    fn frames(&self, out: &mut Vec<FrameInfo>) {
        peer_frame(self.name, out);
    }
}

/// Answers its first argument: at once, or from a continuation it hands
/// off to.
pub fn echo(when: When) -> Value {
    peer("echo peer", move |_rt, cap| {
        let v = cap.pos_or_nil(0);
        match when {
            When::Now => Ok(Reply::Value(v)),
            When::Later => Ok(Reply::Call(Once::boxed("echo peer", move |_| {
                Step::Done(v)
            }))),
        }
    })
}

/// Fails with a runtime error whose message is `msg`.
pub fn failing(msg: &'static str, when: When) -> Value {
    peer("failing peer", move |_rt, _cap| match when {
        When::Now => Err(ScriptError::runtime(msg)),
        When::Later => Ok(Reply::Call(Once::boxed("failing peer", move |_| {
            Step::Fail(ScriptError::runtime(msg))
        }))),
    })
}

/// Panics with `msg`.
pub fn panicking(msg: &'static str, when: When) -> Value {
    peer("panicking peer", move |_rt, _cap| match when {
        When::Now => panic!("{msg}"),
        When::Later => Ok(Reply::Call(Once::boxed("panicking peer", move |_| {
            panic!("{msg}")
        }))),
    })
}

/// Hands off to a continuation that delivers `first` and then `second` to
/// its `back`, as `how` says.
pub fn deliver_twice(first: Value, second: Value, how: Twice) -> Value {
    peer("twice peer", move |_rt, _cap| {
        let (first, second) = (first.clone(), second.clone());
        Ok(Reply::Call(Once::boxed("twice peer", move |rt| {
            let back = match rt.continuation().map(|k| rt.back(k)) {
                Some(Ok(Some(b))) => b,
                _ => return Step::Fail(ScriptError::runtime("the twice peer has no back")),
            };
            if let Err(e) = rt.setr_to(back, first) {
                return Step::Fail(e);
            }
            match how {
                Twice::SetrThenDone => Step::Done(second),
                Twice::SetrSetrGoto => match rt.setr_to(back, second) {
                    Ok(()) => Step::Goto(back),
                    Err(e) => Step::Fail(e),
                },
            }
        })))
    })
}

/// Sends `method` (`setr`, `goto`) to its first argument, a continuation
/// handle, with the argument `0`, and answers what that answers: from the
/// send itself, or from a continuation it hands off to.
pub fn poke(method: Ident, when: When) -> Value {
    peer("poking peer", move |rt, cap| {
        let handle = cap.pos(0)?.clone();
        let poke = move |rt: &mut Cx| rt.send(method, Capture::new(&handle, &[Value::Int(0)]));
        match when {
            When::Now => poke(rt),
            When::Later => Ok(Reply::Call(Once::boxed("poking peer", move |rt| {
                Step::from_reply(poke(rt))
            }))),
        }
    })
}

/// The native half of [`super::Program::Recurse`]: `p(m)` answers `0` when
/// `m == 0`, otherwise hands off to a continuation that calls `f(p, m - 1)`
/// and answers its result plus 2.
pub fn recurse(f: Value) -> Value {
    peer("recursing peer", move |_rt, cap| {
        let m = match cap.pos(0)? {
            Value::Int(m) => *m,
            other => {
                return Err(ScriptError::wrong_type(
                    "the recursing peer's argument",
                    "an integer",
                    other.type_name(),
                ))
            }
        };
        if m == 0 {
            return Ok(Reply::Value(Value::Int(0)));
        }
        Ok(Reply::Call(Box::new(CallThenAdd {
            f: f.clone(),
            args: vec![cap.invocant.clone(), Value::Int(m - 1)],
            add: 2,
            state: CallState::Start,
        })))
    })
}

enum CallState {
    Start,
    Waiting,
    Got(Value),
}

/// Calls `f(args)` through the loop and finishes with its integer result
/// plus `add`.
struct CallThenAdd {
    f: Value,
    args: Vec<Value>,
    add: i64,
    state: CallState,
}

impl CallThenAdd {
    fn finish(&self, v: Value) -> Step {
        match v {
            Value::Int(n) => Step::Done(Value::Int(n + self.add)),
            other => Step::Fail(ScriptError::wrong_type(
                "the subject's answer to the recursing peer",
                "an integer",
                other.type_name(),
            )),
        }
    }
}

impl Continuation for CallThenAdd {
    fn interpreter(&self) -> &'static str {
        "native"
    }
    fn eval(&mut self, rt: &mut Cx) -> Step {
        match std::mem::replace(&mut self.state, CallState::Waiting) {
            CallState::Start => {
                match rt
                    .send(Ident::CALL, Capture::new(&self.f, &self.args))
                    .map(Reply::into_step)
                {
                    Ok(Ok(v)) => self.finish(v),
                    Ok(Err(step)) => step,
                    Err(e) => Step::Fail(e),
                }
            }
            CallState::Got(v) => self.finish(v),
            CallState::Waiting => Step::Fail(ScriptError::runtime(
                "the recursing peer was stepped before its call answered",
            )),
        }
    }
    fn setr(&mut self, value: Value) {
        if matches!(self.state, CallState::Waiting) {
            self.state = CallState::Got(value);
        }
    }
    fn frames(&self, out: &mut Vec<FrameInfo>) {
        peer_frame("recursing peer", out);
    }
}

/// A `probe` handler that hands off to a detour continuation, which adds
/// one to `count` and finishes with a string the loop must not deliver
/// anywhere.
pub fn counting_handler(count: Rc<Cell<u64>>) -> Value {
    peer("counting handler", move |_rt, _cap| {
        let count = count.clone();
        Ok(Reply::Call(Once::boxed("counting detour", move |_| {
            count.set(count.get() + 1);
            Step::Done(Value::str("a detour's value, which no one may see"))
        })))
    })
}

/// Runs a continuation on `rt` to its end and answers its key, which then
/// names a freed continuation.
///
/// # Errors
///
/// Whatever stops the run (it has nothing that fails).
pub fn freed_continuation(rt: &mut Interp) -> Result<ContKey, RunError> {
    let k = rt.start(Once::boxed("short-lived", |_| Step::Done(Value::Nil)));
    rt.run()?;
    Ok(k)
}

/// A root continuation that calls `f(args)` with a native catch handler
/// installed on itself. The handler keeps the error it receives in
/// [`Catcher::caught`] and answers its message, which becomes the result.
pub struct Catcher {
    f: Value,
    args: Vec<Value>,
    state: CallState,
    caught: Rc<RefCell<Option<ScriptError>>>,
}

impl Catcher {
    /// A catcher that calls `f` with `args`.
    pub fn new(f: Value, args: Vec<Value>) -> Self {
        Catcher {
            f,
            args,
            state: CallState::Start,
            caught: Rc::default(),
        }
    }

    /// Where the handler keeps the error it caught.
    pub fn caught(&self) -> Rc<RefCell<Option<ScriptError>>> {
        self.caught.clone()
    }
}

impl Continuation for Catcher {
    fn interpreter(&self) -> &'static str {
        "native"
    }
    fn eval(&mut self, rt: &mut Cx) -> Step {
        match std::mem::replace(&mut self.state, CallState::Waiting) {
            CallState::Start => {
                let caught = self.caught.clone();
                let handler = NativeFn::value("conformance catch handler", move |_, cap| {
                    let e = cap.pos(0)?;
                    let e = e.downcast::<ErrorObject>().ok_or_else(|| {
                        ScriptError::wrong_type("a caught error", "an Error", e.type_name())
                    })?;
                    *caught.borrow_mut() = Some(e.err.clone());
                    Ok(Value::str(&e.err.message))
                });
                let installed = match rt.continuation() {
                    Some(me) => rt.set_catch(me, Some(handler)),
                    None => Err(ScriptError::runtime("the catcher is not current")),
                };
                if let Err(e) = installed {
                    return Step::Fail(e);
                }
                Step::from_reply(rt.send(Ident::CALL, Capture::new(&self.f, &self.args)))
            }
            CallState::Got(v) => Step::Done(v),
            CallState::Waiting => Step::Done(Value::Nil),
        }
    }
    fn setr(&mut self, value: Value) {
        if matches!(self.state, CallState::Waiting) {
            self.state = CallState::Got(value);
        }
    }
    fn frames(&self, out: &mut Vec<FrameInfo>) {
        peer_frame("catcher", out);
    }
}
