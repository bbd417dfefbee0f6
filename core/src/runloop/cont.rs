//! The continuation trait every interpreter implements, and [`Step`], what a
//! step tells the run loop to do next.

use crate::error::{FrameInfo, ScriptError};
use crate::runloop::Cx;
use crate::values::value::Value;

slotmap::new_key_type! {
    /// A generational handle to a continuation in one run loop's arena.
    /// Using it after its continuation is gone is a checked error.
    pub struct ContKey;
}

slotmap::new_key_type! {
    /// A generational handle to a coroutine chain of one run loop (see
    /// [`crate::Chains::make`]).
    pub struct ChainKey;
}

/// What the run loop does after a step.
pub enum Step {
    /// The loop evaluates the current continuation next. That is this one
    /// again, unless the step entered a callee at once ([`Cx::enter`])
    /// because it could not return [`Step::Call`] or [`Step::Goto`] where
    /// it stood.
    Continue,
    /// This continuation calls another: the loop inserts the callee with
    /// `back` = this continuation and makes it current. The callee's
    /// result reaches this continuation by `setr` before its next step.
    /// What a step returns when a send answered [`crate::Reply::Call`].
    Call(Box<dyn Continuation>),
    /// This continuation hands control to `k`: the loop makes `k` current
    /// and evaluates it next. This one stays suspended at its pending point
    /// (the call that answered [`crate::Reply::Goto`], say): a later `setr`
    /// answers that point, and a later hand-off back resumes it there. A
    /// continuation that is no live continuation's `back` and belongs to
    /// no coroutine chain is freed at once (a handle does not keep it),
    /// and so is the chain of `back`s below it that only it held. A stale
    /// `k` fails this continuation with a stale-continuation error. What a
    /// step returns when a send answered [`crate::Reply::Goto`].
    Goto(ContKey),
    /// This continuation has nothing left to do. The loop frees it. If it
    /// has a `back`, the loop delivers the value there with `setr` (not for a
    /// detour, which resumes its `back` untouched) and makes `back` current;
    /// otherwise `run` returns the value.
    Done(Value),
    /// This continuation failed. The loop unwinds: the nearest continuation
    /// along `back`, starting with this one, that has a catch handler or
    /// handles the error itself resumes; the others are freed.
    Fail(ScriptError),
}

impl Step {
    /// The step of a sender that is done once its send answers: `Done`
    /// with a value answered now, the reply's own step for a hand-off
    /// ([`crate::Reply::into_step`]), `Fail` for an error.
    #[inline]
    pub fn from_reply(reply: Result<crate::Reply, ScriptError>) -> Step {
        match reply.map(crate::Reply::into_step) {
            Ok(Ok(v)) => Step::Done(v),
            Ok(Err(step)) => step,
            Err(e) => Step::Fail(e),
        }
    }
}

impl std::fmt::Debug for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::Continue => f.write_str("Continue"),
            Step::Call(c) => write!(f, "Call({})", c.interpreter()),
            Step::Goto(k) => f.debug_tuple("Goto").field(k).finish(),
            Step::Done(v) => f.debug_tuple("Done").field(v).finish(),
            Step::Fail(e) => f.debug_tuple("Fail").field(e).finish(),
        }
    }
}

/// The suspended state of one interpreter at one moment.
///
/// `back` and the catch handler are kept by the run loop beside each
/// continuation (see [`Cx::back`] and [`Cx::catch`]), so that
/// scripts can read and set them while the continuation runs.
pub trait Continuation: 'static {
    /// The interpreter's name: "smop", "lua", "native", ...
    fn interpreter(&self) -> &'static str;

    /// Runs one bounded step. A long computation must return between steps
    /// (see [`Cx::quantum`] and [`Cx::should_yield`]).
    fn eval(&mut self, rt: &mut Cx) -> Step;

    /// "The result of your current point of evaluation is `value`." A fresh
    /// continuation receives its arguments this way before its first step.
    fn setr(&mut self, value: Value);

    /// Offers an error to the continuation, at its pending point. Return
    /// `Ok` if it will handle the error itself when next evaluated (as a Lua
    /// coroutine does, raising it inside `pcall`); return it to let it
    /// propagate along `back`.
    ///
    /// # Errors
    ///
    /// The error, handed back, when this continuation does not handle it.
    fn throw(&mut self, err: ScriptError) -> Result<(), ScriptError> {
        Err(err)
    }

    /// The continuation's lexical scope, where its interpreter has one.
    fn lexical(&self) -> Option<Value> {
        None
    }

    /// Appends this continuation's frames, innermost first, for backtraces.
    fn frames(&self, out: &mut Vec<FrameInfo>);

    /// Whether the error messages this continuation raises already say
    /// where they arose, as Lua's `error` puts `file:line:` in its message
    /// at the level it is given. Reports then show such a message as it
    /// is, without the origin frame's position in front
    /// ([`crate::ScriptError::located_message`]). The default is `false`:
    /// the loop prefixes the position of your innermost frame.
    fn messages_carry_positions(&self) -> bool {
        false
    }

    /// A script is about to name this continuation (a handle to it, a
    /// catch handler, a section that lasts while it lives). A continuation
    /// that stands for several frames of its interpreter (a *segment*:
    /// calls run inside one step on a frame stack of its own) splits here:
    /// it returns the frames below its top one, outermost first, each a
    /// continuation of its own, and from now on stands for its top frame
    /// alone and takes on no further frames. The run loop chains them
    /// between this continuation and its `back`, so the script sees the
    /// chain of per-frame continuations the calls would have made.
    ///
    /// The default, for continuations that are one frame, splits nothing.
    fn expose(&mut self) -> Vec<Box<dyn Continuation>> {
        Vec::new()
    }

    /// The continuation as `Any`, for the interpreter that made it: a
    /// coroutine's `close` gets its frames back from the loop
    /// ([`crate::Chains::take`]) and finishes those of its own kind (Lua
    /// runs their to-be-closed variables). The default is `None`.
    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        None
    }
}
