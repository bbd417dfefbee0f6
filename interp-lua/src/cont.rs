//! [`LuaCont`]: a running piece of Lua as a run-loop continuation.
//!
//! It is a pooled driver thread whose body is Lua's `xpcall`: it calls one
//! function and ends with the outcome. A step resumes the thread with what
//! is due (the function, the message handler and the arguments; the result
//! `setr` delivered; an error to raise; nothing after a preemption) and
//! reads what the thread yielded back (see `runtime.lua` for the protocol).

use std::rc::Rc;

use mlua::{MultiValue, Thread};
use polyeval_core::{Continuation, FrameInfo, Interp, ScriptError, Step, Value};

use crate::convert::{self, error_message, from_lua};
use crate::lend::lend;
use crate::runtime::HookMode;
use crate::runtime::Shared;

enum Input {
    /// The function and its arguments, for the first step.
    Start(MultiValue),
    /// The result of the call that went pending.
    Result(Value),
    /// An error to raise where the call went pending (boxed: it is rare,
    /// and every suspended Lua continuation carries an `Input`).
    Error(Box<ScriptError>),
    /// Nothing: going on after a preemption.
    Nothing,
}

/// A Lua continuation: one driver thread running one function call.
pub struct LuaCont {
    shared: Rc<Shared>,
    /// `None` once the thread finished (it went back to the pool) or died.
    thread: Option<Thread>,
    input: Input,
    /// Waiting for a pending call's result (so `throw` can deliver errors).
    waiting: bool,
    /// Where the thread failed, innermost first (recorded by the error
    /// handler; a suspended thread is read when a backtrace asks).
    // Boxed on purpose: every suspended Lua continuation has the field and
    // few ever fill it; the box keeps `LuaCont` in a smaller allocation.
    #[allow(clippy::box_collection)]
    frames: Option<Box<Vec<FrameInfo>>>,
}

impl LuaCont {
    pub(crate) fn new(shared: Rc<Shared>, thread: Thread, start: MultiValue) -> Self {
        LuaCont {
            shared,
            thread: Some(thread),
            input: Input::Start(start),
            waiting: false,
            frames: None,
        }
    }

    fn fail_from_lua(&mut self, lua: &mlua::Lua, err: &mlua::Value) -> ScriptError {
        if let Some(e) = self.shared.take_reraised(err) {
            return e;
        }
        let message = error_message(lua, err);
        ScriptError::raised(message, from_lua(&self.shared, err.clone()))
    }
}

impl Continuation for LuaCont {
    fn interpreter(&self) -> &'static str {
        "lua"
    }

    fn eval(&mut self, rt: &mut Interp) -> Step {
        let lua = match self.shared.lua() {
            Ok(l) => l,
            Err(e) => return Step::Fail(e),
        };
        let Some(thread) = self.thread.clone() else {
            return Step::Fail(ScriptError::runtime(
                "this Lua continuation has already finished",
            ));
        };
        let sh = &self.shared;
        crate::irq::settle_sections(rt);
        let args = match std::mem::replace(&mut self.input, Input::Nothing) {
            Input::Start(m) => m,
            Input::Nothing => MultiValue::new(),
            Input::Result(v) => match convert::to_lua(&lua, sh, &v) {
                Ok(lv) => MultiValue::from_vec(vec![lv]),
                Err(e) => MultiValue::from_vec(vec![
                    mlua::Value::LightUserData(sh.err),
                    mlua::Value::String(match lua.create_string(e.to_string()) {
                        Ok(s) => s,
                        Err(_) => return Step::Fail(ScriptError::runtime("not enough memory")),
                    }),
                ]),
            },
            Input::Error(e) => match convert::error_to_lua(&lua, sh, &e) {
                Ok((ev, _)) => {
                    sh.note_reraised(&ev, &e);
                    MultiValue::from_vec(vec![mlua::Value::LightUserData(sh.err), ev])
                }
                Err(_) => return Step::Fail(*e),
            },
        };
        self.waiting = false;
        let r = if sh.hooks == HookMode::Armed {
            let local = rt.should_yield();
            let entered = crate::ffi::enter(&thread, &sh.arm, || local || sh.irq.is_pending());
            let r = lend(rt, || thread.resume::<MultiValue>(args));
            crate::ffi::leave(entered);
            r
        } else {
            lend(rt, || thread.resume::<MultiValue>(args))
        };
        crate::ffi::set_in_flight(false);
        let mut vals = match r {
            Ok(v) => v,
            Err(e) => {
                // Only the thread's body itself can fail here (out of memory
                // where not even `xpcall` could run): the thread is dead.
                self.thread = None;
                return Step::Fail(match e {
                    mlua::Error::MemoryError(m) => ScriptError::runtime(m),
                    other => ScriptError::runtime(other.to_string()),
                });
            }
        };
        if thread.status() == mlua::prelude::LuaThreadStatus::Finished {
            self.thread = None;
            sh.give_thread(thread);
            let ok = matches!(vals.pop_front(), Some(mlua::Value::Boolean(true)));
            let first = vals.pop_front().unwrap_or(mlua::Value::Nil);
            if ok {
                return crate::memory::from_lua_fitted(rt, sh, first)
                    .map_or_else(Step::Fail, Step::Done);
            }
            self.frames = Some(Box::new(std::mem::take(&mut *sh.error_frames.borrow_mut())));
            return Step::Fail(self.fail_from_lua(&lua, &first));
        }
        match vals.pop_front() {
            None => Step::Continue,
            Some(mlua::Value::LightUserData(m)) if m == sh.pending => {
                self.waiting = true;
                Step::Continue
            }
            Some(_) => {
                self.thread = None;
                Step::Fail(ScriptError::runtime(
                    "a Lua driver thread yielded outside the protocol",
                ))
            }
        }
    }

    fn setr(&mut self, value: Value) {
        self.input = Input::Result(value);
    }

    fn throw(&mut self, err: ScriptError) -> Result<(), ScriptError> {
        if self.waiting && self.thread.is_some() {
            self.waiting = false;
            self.input = Input::Error(Box::new(err));
            Ok(())
        } else {
            Err(err)
        }
    }

    fn frames(&self, out: &mut Vec<FrameInfo>) {
        match &self.thread {
            Some(t) if self.frames.is_none() && !matches!(self.input, Input::Start(_)) => {
                self.shared.thread_frames(t, 8, out);
            }
            _ => out.extend(self.frames.iter().flat_map(|f| f.iter().cloned())),
        }
    }
}
