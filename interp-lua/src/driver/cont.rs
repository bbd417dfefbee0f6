//! [`LuaCont`]: a running piece of Lua as a run-loop continuation.
//!
//! It is a pooled driver thread running one function call, resumed with
//! raw `lua_resume` (`ffi::resume`), or a user coroutine's own thread. A
//! step resumes the thread with what is due (the function and the
//! arguments; the result `setr` delivered; an error to raise; nothing
//! after a preemption; a coroutine's values) and reads how it stopped
//! (see the protocol in `driver/mod.rs`): it returned (the thread goes
//! back to the pool as it is), it yielded a marker or was preempted, or
//! it failed (its frames are read from its own stack, then it is closed).

use std::rc::Rc;

use polyeval_core::{Continuation, Cx, FrameInfo, ScriptError, Step, Value};

use super::pool;
use crate::convert::{self, error_message, from_lua};
use crate::error::LuaFailure;
use crate::ffi::ThreadCont;
use crate::frames;
use crate::state::{Driver, HookMode, Marker, Shared};
use polyeval_core::lend::lend;

enum Input {
    /// The function and its arguments, for the first step.
    Start(Vec<mlua::Value>),
    /// The result of the call that went pending.
    Result(Value),
    /// An error to raise where the call went pending (boxed: it is rare,
    /// and every suspended Lua continuation carries an `Input`).
    Error(Box<ScriptError>),
    /// Nothing: going on after a preemption.
    Nothing,
    /// A coroutine's chain resumed here: the resume's arguments (as many
    /// as coroutine record `id` says) are already on the thread's stack.
    FromChain(u64),
    /// Waiting for coroutine `id`, which this thread resumed: its results
    /// come from where the coroutine's chain left them.
    Resuming(u64),
}

/// What kind of thread a Lua continuation runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A pooled driver thread, running one function call.
    Driver,
    /// User coroutine `id`'s own thread: the base of its chain.
    Coroutine(u64),
}

/// A Lua continuation: one driver thread running one function call.
pub struct LuaCont {
    shared: Rc<Shared>,
    /// `None` once the thread finished (it went back to the pool) or died.
    thread: Option<Driver>,
    input: Input,
    /// Waiting for a pending call's result (so `throw` can deliver errors).
    waiting: bool,
    /// Where the thread failed, innermost first (read from the failed
    /// thread; a suspended thread is read when a backtrace asks).
    // Boxed on purpose: every suspended Lua continuation has the field and
    // few ever fill it; the box keeps `LuaCont` in a smaller allocation.
    #[allow(clippy::box_collection)]
    frames: Option<Box<Vec<FrameInfo>>>,
    kind: Kind,
}

impl LuaCont {
    pub(crate) fn new(shared: Rc<Shared>, thread: Driver, start: Vec<mlua::Value>) -> Self {
        LuaCont {
            shared,
            thread: Some(thread),
            input: Input::Start(start),
            waiting: false,
            frames: None,
            kind: Kind::Driver,
        }
    }

    /// A coroutine's thread ended (`ok`: returned `n` values; else failed,
    /// its error on top): the resumer takes what it left.
    fn coroutine_ended(&mut self, rt: &mut Cx, id: u64, thread: Driver, n: i32, ok: bool) -> Step {
        crate::ffi::coro::with_rec(id, |r| {
            r.out = (thread.state(), n, ok);
            r.status = crate::ffi::coro::Status::Dead;
        });
        crate::ffi::coro::finished(rt, id);
        Step::Done(Value::Nil)
    }

    /// Thread `thread` yielded `n` values to its coroutine's resumer: the
    /// whole chain suspends here, and the resumer takes the values.
    fn user_yield(&mut self, rt: &mut Cx, thread: Driver, n: i32) -> Step {
        let id = rt
            .chains()
            .current()
            .and_then(|c| crate::ffi::coro::rec_of_chain(rt, c))
            .unwrap_or(0);
        let state = thread.state();
        self.thread = Some(thread);
        self.input = Input::FromChain(id);
        let known = crate::ffi::coro::with_rec(id, |r| {
            r.out = (state, n, true);
            r.top = state;
            r.status = crate::ffi::coro::Status::Suspended;
        });
        if known.is_none() {
            return Step::Fail(ScriptError::runtime(
                "attempt to yield from outside a coroutine",
            ));
        }
        match rt.chains().suspend() {
            Ok(_) => Step::Continue,
            Err(e) => Step::Fail(e),
        }
    }

    fn fail_from_lua(&mut self, lua: &mlua::Lua, err: &mlua::Value) -> ScriptError {
        if let Some(e) = self.shared.take_reraised(err) {
            return e;
        }
        let message = error_message(lua, err);
        let mut e = ScriptError::raised(message, from_lua(&self.shared, err.clone()));
        if self.shared.take_interrupted(err) {
            e.kind = polyeval_core::ErrorKind::Interrupted;
        }
        e
    }
}

impl Continuation for LuaCont {
    fn interpreter(&self) -> &'static str {
        "lua"
    }

    /// Lua puts the position it wants (the `level` of `error`) into its
    /// messages itself.
    fn messages_carry_positions(&self) -> bool {
        true
    }

    fn eval(&mut self, rt: &mut Cx) -> Step {
        let lua = match self.shared.lua() {
            Ok(l) => l,
            Err(e) => return Step::Fail(e),
        };
        let Some(thread) = self.thread.take() else {
            return Step::Fail(ScriptError::runtime(
                "this Lua continuation has already finished",
            ));
        };
        let sh = &self.shared;
        crate::irq::settle_sections(rt);
        crate::ffi::coro::settle(rt);
        use crate::ffi::resume::{self as raw, Resumed};
        let pushed = match std::mem::replace(&mut self.input, Input::Nothing) {
            Input::FromChain(id) => {
                Ok(crate::ffi::coro::with_rec(id, |r| std::mem::take(&mut r.args)).unwrap_or(0))
            }
            Input::Resuming(id) => Ok(crate::ffi::take_coroutine_results(&thread, id)),
            // The function is no argument of its own.
            Input::Start(m) => raw::push_values(&lua, &thread, &m).map(|n| n - 1),
            Input::Nothing => Ok(0),
            Input::Result(v) => {
                if raw::push_plain(&thread, &v) {
                    Ok(1)
                } else {
                    match convert::to_lua(&lua, sh, &v) {
                        Ok(lv) => raw::push_values(&lua, &thread, &[lv]),
                        Err(e) => lua.create_string(e.to_string()).and_then(|s| {
                            raw::push_values(
                                &lua,
                                &thread,
                                &[mlua::Value::LightUserData(sh.err), mlua::Value::String(s)],
                            )
                        }),
                    }
                }
            }
            Input::Error(e) => match convert::error_to_lua(&lua, sh, &e) {
                Ok((ev, _)) => {
                    sh.note_reraised(&ev, &e);
                    raw::push_values(&lua, &thread, &[mlua::Value::LightUserData(sh.err), ev])
                }
                Err(_) => return Step::Fail(*e),
            },
        };
        let nargs = match pushed {
            Ok(n) => n,
            Err(_) => return Step::Fail(ScriptError::runtime("not enough memory")),
        };
        self.waiting = false;
        let r = if sh.hooks == HookMode::Armed {
            let local = rt.should_yield();
            // A budget or a probe schedule set after Lua was installed:
            // meter this step instead of letting it run unbounded.
            let meter = if rt.exact_step_counting() {
                sh.quantum
            } else {
                0
            };
            let entered =
                crate::ffi::enter(&thread, &sh.arm, || local || sh.irq.is_pending(), meter);
            let r = lend(rt, || raw::resume(&thread, nargs));
            crate::ffi::leave(entered);
            r
        } else {
            lend(rt, || raw::resume(&thread, nargs))
        };
        crate::ffi::set_in_flight(false);
        match (r, self.kind) {
            (Resumed::Returned(n), Kind::Coroutine(id)) => {
                self.coroutine_ended(rt, id, thread, n, true)
            }
            (Resumed::Failed, Kind::Coroutine(id)) => {
                self.coroutine_ended(rt, id, thread, 1, false)
            }
            (Resumed::Returned(n), Kind::Driver) => {
                let first = raw::top(&thread) - n + 1;
                let v = if n == 0 {
                    Ok(Value::Nil)
                } else if let Some(v) = raw::plain_at(&thread, first) {
                    Ok(v)
                } else {
                    match raw::value_at(&lua, &thread, first) {
                        Ok(lv) => crate::memory::from_lua_fitted(rt, sh, lv),
                        Err(e) => Err(LuaFailure::Driver.of(&e)),
                    }
                };
                raw::set_top(&thread, 0);
                pool::give(sh, thread);
                v.map_or_else(Step::Fail, Step::Done)
            }
            (Resumed::Yielded(0), _) => {
                self.thread = Some(thread);
                Step::Continue
            }
            (Resumed::Yielded(n), _) => {
                let first = raw::top(&thread) - n + 1;
                if raw::is_marker_at(&thread, first, sh.pending) {
                    raw::set_top(&thread, first - 1);
                    self.thread = Some(thread);
                    self.waiting = true;
                    Step::Continue
                } else if raw::is_marker_at(&thread, first, Marker::Yield.light()) {
                    raw::remove(&thread, first);
                    self.user_yield(rt, thread, n - 1)
                } else if raw::is_marker_at(&thread, first, Marker::Resume.light()) {
                    raw::set_top(&thread, first - 1);
                    let id = crate::ffi::coro::take_request();
                    self.thread = Some(thread);
                    self.input = Input::Resuming(id);
                    let chain = crate::ffi::coro::with_rec(id, |r| r.chain).flatten();
                    match chain.map(|c| rt.chains().resume(c)) {
                        Some(Ok(())) => Step::Continue,
                        _ => Step::Fail(ScriptError::runtime("a coroutine could not be resumed")),
                    }
                } else {
                    raw::set_top(&thread, first - 1);
                    Step::Fail(ScriptError::runtime(
                        "a Lua driver thread yielded outside the protocol",
                    ))
                }
            }
            (Resumed::Failed, Kind::Driver) => {
                self.frames = Some(Box::new(frames::dead_frames(sh, &thread)));
                match raw::close_dead(&lua, &thread) {
                    Ok(err) => {
                        pool::give(sh, thread);
                        Step::Fail(self.fail_from_lua(&lua, &err))
                    }
                    Err(e) => Step::Fail(LuaFailure::Driver.of(&e)),
                }
            }
        }
    }

    fn setr(&mut self, value: Value) {
        // A resumer waits for its coroutine's values, not for a run-loop
        // value (the chain's base delivers nil when it ends).
        if !matches!(self.input, Input::Resuming(_)) {
            self.input = Input::Result(value);
        }
    }

    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        Some(self)
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
                match t.thread() {
                    Some(th) => frames::thread_frames(&self.shared, th, 8, out),
                    None => out.extend(frames::dead_frames(&self.shared, t).into_iter().take(8)),
                }
            }
            _ => out.extend(self.frames.iter().flat_map(|f| f.iter().cloned())),
        }
    }
}

impl ThreadCont for LuaCont {
    fn coroutine(shared: Rc<Shared>, co: *mut mlua::ffi::lua_State, id: u64) -> Self {
        LuaCont {
            shared,
            thread: Some(Driver::coroutine(co)),
            input: Input::FromChain(id),
            waiting: false,
            frames: None,
            kind: Kind::Coroutine(id),
        }
    }

    fn take_thread(&mut self) -> Option<Driver> {
        self.thread.take()
    }

    fn give_back(&self, t: Driver) {
        pool::give(&self.shared, t);
    }
}
