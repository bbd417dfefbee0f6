//! The continuations behind the interrupt operations every interpreter
//! shares: the do-nothing handler of `probe`, `sleep`, and
//! `without_interrupts` for callers that hand it a callable (m0ld).
//!
//! Lua runs its own `without_interrupts` (a `pcall` between the same two
//! loop calls), so that a Lua function keeps running on its own thread.

use std::time::Instant;

use crate::error::FrameInfo;
use crate::runloop::cont::{Continuation, Step};
use crate::runloop::Cx;
use crate::values::capture::Capture;
use crate::values::ident::Ident;
use crate::values::value::Value;

fn native_frame(name: &str, out: &mut Vec<FrameInfo>) {
    out.push(FrameInfo {
        interp: "native",
        file: "<polyeval>".into(),
        line: 0,
        col: 0,
        name: Some(name.into()),
    });
}

/// The built-in handler of a kind whose default is
/// [`crate::DefaultAction::Detour`]: one step that does nothing.
pub struct NopHandler;

impl Continuation for NopHandler {
    fn interpreter(&self) -> &'static str {
        "native"
    }
    fn eval(&mut self, _rt: &mut Cx) -> Step {
        Step::Done(Value::Nil)
    }
    fn setr(&mut self, _value: Value) {}
    fn frames(&self, out: &mut Vec<FrameInfo>) {
        native_frame("built-in probe handler", out);
    }
}

/// `sleep(seconds)`: waits until a deadline, letting interrupts in. The
/// handlers run as detours; the sleep then goes on until its deadline.
pub struct Sleep {
    until: Instant,
}

impl Sleep {
    /// A sleep that ends at `until`.
    pub fn new(until: Instant) -> Self {
        Sleep { until }
    }
}

impl Continuation for Sleep {
    fn interpreter(&self) -> &'static str {
        "native"
    }
    fn eval(&mut self, rt: &mut Cx) -> Step {
        if Instant::now() >= self.until {
            return Step::Done(Value::Nil);
        }
        if !rt.should_yield() {
            // What the program printed shows before it blocks.
            let _ = rt.out().flush();
            rt.interrupts().wait_until(self.until);
        }
        Step::Continue
    }
    fn setr(&mut self, _value: Value) {}
    fn frames(&self, out: &mut Vec<FrameInfo>) {
        native_frame("sleep", out);
    }
}

/// `without_interrupts(code)`: calls `code` with delivery deferred while
/// this continuation lives. The loop allows delivery again when it is
/// freed: after `code` returned, or when an error unwound past it.
pub struct WithoutInterrupts {
    code: Option<Value>,
    result: Value,
}

impl WithoutInterrupts {
    /// Calls `code` (any callable object) when first evaluated.
    pub fn new(code: Value) -> Self {
        WithoutInterrupts {
            code: Some(code),
            result: Value::Nil,
        }
    }
}

impl Continuation for WithoutInterrupts {
    fn interpreter(&self) -> &'static str {
        "native"
    }
    fn eval(&mut self, rt: &mut Cx) -> Step {
        let Some(code) = self.code.take() else {
            // The callee's result arrived by `setr`.
            return Step::Done(std::mem::take(&mut self.result));
        };
        rt.interrupts().defer_while_current();
        // A callee's answer, or one after a `goto`, arrives by `setr`.
        Step::from_reply(rt.send(Ident::CALL, Capture::new(&code, &[])))
    }
    fn setr(&mut self, value: Value) {
        self.result = value;
    }
    fn frames(&self, out: &mut Vec<FrameInfo>) {
        native_frame("without_interrupts", out);
    }
}
