//! [`SchemeCont`], the run-loop continuation of one Scheme *activation*
//! (a program run, or a call from another interpreter), and
//! [`Activation`], what the bottom frame of its frame lists knows about
//! it.
//!
//! The one-shot rule lives here. Frames above the bottom are Scheme's own
//! and may be resumed any number of times. The bottom frame leaves Scheme
//! into the activation's `back`, and that can happen once: when control
//! reaches a bottom frame a second time (a continuation captured in a
//! callee of Lua or m0ld, resumed after the callee returned), it is an
//! error, raised where the continuation is resumed and before any of its
//! frames run again. A continuation resumed from another activation runs there;
//! when it reaches the bottom of an activation that still waits further
//! down the chain of `back`s, the frames between are abandoned and that
//! activation returns the value (an escape through the other
//! interpreter's frames, also at most once).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use polyeval_core::{ContKey, Continuation, Cx, FrameInfo, ScriptError, Step, Value};

use crate::ast::NodeRef;
use crate::frames::{Frame, FrameList};
use crate::machine::{Ctl, Machine};

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Running,
    /// It returned through its bottom frame.
    Returned,
    /// It was freed without returning (an error unwound it, or control
    /// left it for good).
    Ended,
}

/// One activation, as its bottom frame sees it.
pub(crate) struct Activation {
    state: Cell<State>,
    /// Its run-loop continuation, once it ran.
    key: Cell<Option<ContKey>>,
    /// Where it returns to, and that continuation's interpreter.
    back: Cell<Option<ContKey>>,
    back_interp: Cell<&'static str>,
    /// What another activation asked it to do (an escape): resume these
    /// frames with the value, or with `None`, return the value.
    escape: RefCell<Option<(Option<FrameList>, Value)>>,
}

impl Activation {
    fn new() -> Rc<Activation> {
        Rc::new(Activation {
            state: Cell::new(State::Running),
            key: Cell::new(None),
            back: Cell::new(None),
            back_interp: Cell::new("the host"),
            escape: RefCell::new(None),
        })
    }

    /// The activation returned through its bottom frame.
    pub fn mark_returned(&self) {
        self.state.set(State::Returned);
    }

    /// Where the bottom frame returns to, for messages: the interpreter,
    /// and the position that continuation stands at, if it still exists.
    fn describe_back(&self, rt: &Cx) -> String {
        let interp = self.back_interp.get();
        let pos = self
            .back
            .get()
            .filter(|&b| rt.contains(b))
            .and_then(|b| rt.backtrace_from(b).frames.into_iter().next());
        match pos {
            Some(f) if f.line > 0 => format!("{interp} ({}:{})", f.file, f.line),
            _ => interp.to_owned(),
        }
    }

    /// Whether this activation has not finished and waits along the
    /// chain of `back`s from `me`.
    pub fn waits_below(&self, rt: &Cx, me: Option<ContKey>) -> bool {
        let Some(target) = self.key.get() else {
            return false;
        };
        if self.state.get() != State::Running || !rt.contains(target) {
            return false;
        }
        let mut cur = me;
        while let Some(k) = cur {
            if k == target {
                return true;
            }
            cur = rt.back(k).ok().flatten();
        }
        false
    }

    /// Refuses a continuation of this activation when the activation has
    /// finished: it returned through its bottom frame, or it ended
    /// without returning. Its frames would leave Scheme a second time, so
    /// resuming it is refused before any of them run.
    ///
    /// # Errors
    ///
    /// The message of the one-shot rule, naming where the activation
    /// returns to.
    pub fn refuse_if_finished(&self, rt: &Cx) -> Result<(), String> {
        const RULE: &str =
            "a continuation that reaches into another interpreter may be resumed only once";
        match self.state.get() {
            State::Returned => Err(format!(
                "this continuation returns into {}, which it has already done once; {RULE}",
                self.describe_back(rt)
            )),
            State::Ended => Err(format!(
                "this continuation returns into {} through a Scheme activation that has ended \
                 without returning; {RULE}",
                self.describe_back(rt)
            )),
            State::Running => Ok(()),
        }
    }

    /// Control in activation `me` reached this activation's frames with
    /// `v`: make this activation resume `frames` with `v` (or, with
    /// `None`, return `v`), if it still can and waits below `me`. The
    /// frames between are abandoned. The answer is the continuation to
    /// hand control to ([`polyeval_core::Step::Goto`]).
    ///
    /// # Errors
    ///
    /// The message of the one-shot rule, or why it cannot be reached.
    pub fn escape_to(
        &self,
        rt: &mut Cx,
        me: Option<ContKey>,
        frames: Option<FrameList>,
        v: Value,
    ) -> Result<ContKey, String> {
        self.refuse_if_finished(rt)?;
        let Some(target) = self.key.get().filter(|&k| rt.contains(k)) else {
            return Err(format!(
                "this continuation returns into {} through a Scheme activation that is gone",
                self.describe_back(rt)
            ));
        };
        if self.waits_below(rt, me) {
            *self.escape.borrow_mut() = Some((frames, v));
            return Ok(target);
        }
        Err(format!(
            "this continuation returns into {} through a Scheme activation that is not below this one \
             (it waits in a suspended coroutine); it cannot be resumed from here",
            self.describe_back(rt)
        ))
    }
}

/// The run-loop continuation of one Scheme activation.
pub struct SchemeCont {
    m: Machine,
    act: Rc<Activation>,
    started: bool,
    /// An error offered by `throw` that a `catch` frame will take.
    pending_error: Option<ScriptError>,
}

impl SchemeCont {
    /// An activation that applies `f` to `args` and returns the result.
    pub(crate) fn apply(f: Value, args: Vec<Value>) -> SchemeCont {
        let act = Activation::new();
        let k = FrameList::bottom(act.clone());
        SchemeCont {
            m: Machine::new(Ctl::Apply(f, args), k, act.clone()),
            act,
            started: false,
            pending_error: None,
        }
    }

    /// An activation that runs top-level `forms` in order and returns the
    /// last one's value.
    pub(crate) fn program(forms: Rc<[NodeRef]>) -> SchemeCont {
        let act = Activation::new();
        let mut k = FrameList::bottom(act.clone());
        let ctl = match forms.first() {
            Some(first) => {
                let first = first.clone();
                if forms.len() > 1 {
                    k.push(Frame::TopLevel { forms, next: 1 });
                }
                Ctl::Eval(first)
            }
            None => Ctl::Return(Value::Nil),
        };
        SchemeCont {
            m: Machine::new(ctl, k, act.clone()),
            act,
            started: false,
            pending_error: None,
        }
    }
}

impl Drop for SchemeCont {
    fn drop(&mut self) {
        if self.act.state.get() == State::Running {
            self.act.state.set(State::Ended);
        }
        // An escape not taken holds frames that end in this activation.
        let escape = self.act.escape.borrow_mut().take();
        drop(escape);
    }
}

impl Continuation for SchemeCont {
    fn interpreter(&self) -> &'static str {
        "scheme"
    }

    /// Scheme's run-time errors name their call site in the message.
    fn messages_carry_positions(&self) -> bool {
        true
    }

    fn eval(&mut self, rt: &mut Cx) -> Step {
        if !self.started {
            self.started = true;
            let me = rt.continuation();
            let back = me.and_then(|k| rt.back(k).ok().flatten());
            self.act.key.set(me);
            self.act.back.set(back);
            if let Some(name) = back.and_then(|b| rt.interpreter_of(b)) {
                self.act.back_interp.set(name);
            }
        }
        let escape = self.act.escape.borrow_mut().take();
        if let Some((frames, v)) = escape {
            let Some(frames) = frames else {
                self.act.mark_returned();
                return Step::Done(v);
            };
            self.m.k = frames;
            self.m.owner = self.act.clone();
            self.m.ctl = Ctl::Return(v);
            self.m.waiting = false;
            self.pending_error = None;
        }
        if let Some(e) = self.pending_error.take() {
            self.m.ctl = Ctl::Handle(Box::new(e));
        } else if self.m.waiting {
            // Control came back without a result.
            self.m.waiting = false;
            self.m.ctl = Ctl::Return(Value::Nil);
        }
        self.m.run(rt, &self.act)
    }

    fn setr(&mut self, value: Value) {
        if self.m.waiting {
            self.m.waiting = false;
            self.m.ctl = Ctl::Return(value);
        }
    }

    fn throw(&mut self, err: ScriptError) -> Result<(), ScriptError> {
        if self.m.k.catches() == 0 || self.pending_error.is_some() {
            return Err(err);
        }
        self.m.waiting = false;
        self.pending_error = Some(err);
        Ok(())
    }

    fn frames(&self, out: &mut Vec<FrameInfo>) {
        self.m.frames(out);
    }
}
