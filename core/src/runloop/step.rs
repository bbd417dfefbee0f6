//! The loop itself: [`Cx::run`] and the steps it runs, one at a time
//! ([`Step`] says what comes next), and what happens when a continuation
//! ends (its value goes to its `back`) or fails (the error unwinds along
//! the `back`s to a catch handler, a `throw` that takes it, or the host).
//! Everything else a step may do to the loop is in the parent module.

use std::io::Write;
use std::sync::atomic::Ordering;

use tracing::{debug, trace_span};

use super::panics::catch;
use super::{ContKey, Continuation, Cx, Step};
use crate::error::{HostError, InternalError, RunError, ScriptError};
use crate::objects::builtins::ErrorObject;
use crate::values::capture::Capture;
use crate::values::ident::Ident;
use crate::values::object::Reply;
use crate::values::value::Value;

impl Cx {
    /// Runs steps until a continuation with nothing left has no `back`
    /// (`run()` in docs/design.md §1), and returns its value.
    ///
    /// # Errors
    ///
    /// An uncaught script error, the step budget, an interrupt whose default
    /// action is to exit, re-entrance, or an internal error.
    pub(crate) fn run(&mut self) -> Result<Value, RunError> {
        if self.running {
            return Err(RunError::Host(HostError::Reentrant));
        }
        self.running = true;
        self.refresh_segments();
        self.start_memory_checks();
        let mut r = self.run_steps(None);
        self.running = false;
        // A stop met where the program could not end its step at once
        // (inside a nested loop, or served in place) is what ended it,
        // whatever error the unwinding raised on its way out.
        if self.services.sigint_raised {
            if let Err(RunError::Script(e)) = &r {
                if e.kind == crate::ErrorKind::Interrupted {
                    r = Err(RunError::Interrupted {
                        kind: Ident::SIGINT,
                        status: 130,
                        backtrace: e.backtrace.clone(),
                    });
                }
            }
        }
        if let Some(mut f) = self.services.fatal.take() {
            if let Err(RunError::Script(e)) = &r {
                f.adopt_backtrace(&e.backtrace);
            }
            r = Err(f);
        }
        let _ = self.services.out.flush();
        r
    }

    /// Sets how many run loops may nest (see [`Nested::run`]).
    pub(crate) fn set_max_nested(&mut self, max: u32) {
        self.max_nested = max;
    }

    /// Counts `n` extra steps against the budget, for interpreters that
    /// run several steps' worth of work inside one `eval` (a Lua step that
    /// passed its instruction-count hook `n` times).
    pub fn add_steps(&mut self, n: u64) {
        self.steps = self.steps.saturating_add(n);
    }

    /// How many steps are left before the loop must look up: the budget,
    /// or the next scheduled probe.
    pub fn steps_left(&self) -> u64 {
        self.limit.saturating_sub(self.steps)
    }

    pub(super) fn take_parked(&mut self, k: ContKey) -> Option<Value> {
        if self.parked_setr.is_empty() {
            return None;
        }
        let i = self.parked_setr.iter().position(|(pk, _)| *pk == k)?;
        Some(self.parked_setr.swap_remove(i).1)
    }

    pub(super) fn run_steps(&mut self, stop: Option<ContKey>) -> Result<Value, RunError> {
        // Whether a subscriber wants step spans is decided once per run, so
        // the loop pays one predictable branch a step without one.
        let trace_steps = tracing::enabled!(tracing::Level::TRACE);
        loop {
            if let Some(f) = &self.services.fatal {
                if stop.is_some() {
                    // Leave it for the outermost loop.
                    let msg = f.report();
                    return Err(RunError::Script(ScriptError::runtime(msg.trim_end())));
                }
                if let Some(f) = self.services.fatal.take() {
                    return Err(f);
                }
            }
            if self.steps >= self.limit {
                self.reach_limit()?;
            }
            if self.irq.ready || self.irq.flag.load(Ordering::Relaxed) {
                self.poll_interrupts()?;
            }
            let Some(k) = self.current else {
                if stop.is_some() {
                    return Err(RunError::Script(ScriptError::runtime(
                        "the program ended while a nested run loop waited for a result",
                    )));
                }
                return Ok(std::mem::take(&mut self.services.result));
            };
            if Some(k) == stop {
                if let Some((ek, e)) = self.services.nested_error.take() {
                    if ek == k {
                        return Err(RunError::Script(e));
                    }
                    self.services.nested_error = Some((ek, e));
                }
                return Ok(self.take_parked(k).unwrap_or(Value::Nil));
            }
            let recording = if self.services.record.is_some() {
                Some(self.record_info(k))
            } else {
                None
            };
            let steps_before = self.steps;
            self.steps += 1;
            let Some(mut cont) = self.slots.get_mut(k).and_then(|s| {
                s.answered = false;
                s.cont.take()
            }) else {
                if stop.is_some() && self.slots.contains_key(k) {
                    // Control went to a continuation an outer nested loop
                    // is running: hand this loop's caller an error.
                    return Err(RunError::Script(ScriptError::runtime(
                        "control passed to a continuation that waits in an outer nested run loop",
                    )));
                }
                return Err(InternalError::new(
                    "the current continuation is missing or already running",
                )
                .into());
            };
            // One panic guard covers the whole run of consecutive steps.
            let outer = self.stepping.replace(k);
            let step = match catch(|| self.run_same(k, &mut *cont, trace_steps)) {
                Ok(step) => step,
                Err(p) => Step::Fail(ScriptError::from_panic(&*p)),
            };
            self.stepping = outer;
            if self.expose_wanted == Some(k) {
                self.expose_wanted = None;
            }
            if let Some((interp, depth)) = recording {
                self.record(k, interp, depth, self.steps - steps_before, &step);
            }
            let parked = self.take_parked(k);
            let answered = parked.is_some();
            if let Some(v) = parked {
                cont.setr(v);
            }
            let Some(slot) = self.slots.get_mut(k) else {
                return Err(InternalError::new("a running continuation was freed").into());
            };
            slot.cont = Some(cont);
            slot.answered = answered;
            let ran = slot.interp;
            if self.irq.needs_origin {
                self.fill_origins(k);
            }
            match step {
                Step::Continue => {
                    if self.current != Some(k) {
                        self.collect(k);
                    }
                }
                Step::Call(callee) => match self.insert(callee, Some(k)) {
                    Ok(nk) => {
                        let _ = self.goto(nk);
                    }
                    Err(e) => self.unwind(k, e)?,
                },
                Step::Goto(to) => {
                    if let Err(e) = self.goto(to) {
                        self.unwind(k, e)?;
                    }
                }
                Step::Done(v) => self.finish(k, v)?,
                Step::Fail(e) => self.unwind(k, e)?,
            }
            if crate::values::memory::active() {
                self.memory_after_step(ran);
            }
        }
    }

    /// Runs steps of `cont` (continuation `k`) while it stays current and
    /// nothing needs the loop's attention, so the common case costs one
    /// `eval` and a few tests a step, without a trip through the slot.
    #[inline]
    pub(super) fn run_same(
        &mut self,
        k: ContKey,
        cont: &mut dyn Continuation,
        trace_steps: bool,
    ) -> Step {
        loop {
            let step = if trace_steps {
                let span = trace_span!("step", interp = cont.interpreter(), n = self.steps);
                let _g = span.enter();
                cont.eval(self)
            } else {
                cont.eval(self)
            };
            if matches!(step, Step::Continue)
                && self.current == Some(k)
                && self.parked_setr.is_empty()
                && !self.irq.needs_origin
                && self.steps < self.limit
                && !self.irq.ready
                && !self.irq.flag.load(Ordering::Relaxed)
            {
                // A `Continue` owns nothing; forgetting it skips the
                // out-of-line drop of a `Step`, a third of a trivial step.
                std::mem::forget(step);
                self.steps += 1;
                continue;
            }
            return step;
        }
    }

    /// [`Cx::send`] with panics caught, for calls the loop itself makes
    /// (handlers) outside any step.
    pub(super) fn send_caught(
        &mut self,
        method: Ident,
        cap: Capture<'_>,
    ) -> Result<Reply, ScriptError> {
        match catch(|| self.send(method, cap)) {
            Ok(r) => r,
            Err(p) => Err(ScriptError::from_panic(&*p)),
        }
    }

    pub(super) fn fill_origins(&mut self, k: ContKey) {
        self.irq.needs_origin = false;
        let origin = self.backtrace_from(k).frames.into_iter().next();
        for q in self.irq.state.queue.iter_mut().filter(|q| q.needs_origin) {
            q.needs_origin = false;
            q.origin = origin.clone();
        }
    }

    /// Removes `k` from the arena and returns its `back` and detour flag.
    /// The caller decides what happens to `back`'s reference.
    pub(super) fn remove(&mut self, k: ContKey) -> (Option<ContKey>, bool) {
        let Some(slot) = self.slots.remove(k) else {
            return (None, false);
        };
        if self.irq.state.active == Some(k) || !self.irq.state.deferring.is_empty() {
            self.handler_or_section_freed(k);
        }
        if let Some(b) = slot.back {
            if let Some(bs) = self.slots.get_mut(b) {
                bs.refs = bs.refs.saturating_sub(1);
            }
        }
        (slot.back, slot.detour)
    }

    /// Frees `k`, and then its `back` chain, while nothing holds them.
    pub(super) fn collect(&mut self, k: ContKey) {
        let mut next = Some(k);
        while let Some(k) = next {
            match self.slots.get(k) {
                Some(s) if s.refs == 0 && s.cont.is_some() && self.current != Some(k) => {}
                _ => return,
            }
            next = self.remove(k).0;
        }
    }

    pub(super) fn finish(&mut self, k: ContKey, v: Value) -> Result<(), RunError> {
        let still_current = self.current == Some(k);
        let (back, detour) = self.remove(k);
        if !still_current {
            // It gave control away before finishing; its value has no taker.
            if let Some(b) = back {
                self.collect(b);
            }
            return Ok(());
        }
        match back {
            Some(b) => {
                if !detour {
                    self.setr_to(b, v)
                        .map_err(|_| InternalError::new("a live continuation's back is gone"))?;
                }
                self.current = Some(b);
                debug!(
                    to = self.interpreter_of(b).unwrap_or("-"),
                    at = %self.position_of(b),
                    detour,
                    "return"
                );
            }
            None => {
                self.current = None;
                if !detour {
                    self.services.result = v;
                }
            }
        }
        Ok(())
    }

    pub(super) fn unwind(&mut self, k: ContKey, mut err: ScriptError) -> Result<(), RunError> {
        if err.backtrace.frames.is_empty() {
            err.backtrace = self.backtrace_from(k);
        }
        if self.current != Some(k) {
            if let Some(o) = self.current.replace(k) {
                self.collect(o);
            }
        }
        let mut k = k;
        loop {
            debug!(at = self.interpreter_of(k).unwrap_or("-"), error = %err.message, "unwind");
            if self.slots.get(k).is_some_and(|s| s.cont.is_none()) {
                // A continuation running a step waits in a nested run loop:
                // the error is its call's result.
                self.current = Some(k);
                self.services.nested_error = Some((k, err));
                return Ok(());
            }
            let handler = self
                .slots
                .get_mut(k)
                .filter(|s| !s.catching)
                .and_then(|s| s.catch.as_deref().cloned());
            if let Some(h) = handler {
                if let Some(s) = self.slots.get_mut(k) {
                    s.catching = true;
                }
                self.current = Some(k);
                let args = [ErrorObject::value(err.clone())];
                let sent = self.send_caught(Ident::CALL, Capture::new(&h, &args));
                match sent.and_then(|r| self.enter(r)) {
                    Ok(Reply::Value(v)) => {
                        let _ = self.setr_to(k, v);
                        return Ok(());
                    }
                    Ok(_) => return Ok(()),
                    Err(mut e2) => {
                        if e2.backtrace.frames.is_empty() {
                            e2.backtrace = self.backtrace_from(k);
                        }
                        err = e2;
                    }
                }
            } else if let Some(c) = self.slots.get_mut(k).and_then(|s| s.cont.as_mut()) {
                match c.throw(err) {
                    Ok(()) => {
                        self.current = Some(k);
                        return Ok(());
                    }
                    Err(e) => err = e,
                }
            }
            let handler_kind = self
                .irq
                .state
                .active_kind
                .filter(|_| self.irq.state.active == Some(k));
            let (back, detour) = self.remove(k);
            if detour {
                self.report_handler_error(handler_kind, &err);
                self.current = back;
                return Ok(());
            }
            match back {
                Some(b) => k = b,
                None => {
                    self.current = None;
                    return Err(RunError::Script(err));
                }
            }
        }
    }
}
