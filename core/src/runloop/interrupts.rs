//! Interrupt delivery (docs/design.md §6): the handler table and defaults, the
//! detour that runs a handler, the probe schedule behind
//! `--interrupt-every-steps`, timers, `sleep`, deferral, and the hand-off
//! record behind `--diagram`.
//!
//! Delivery rules: an interrupt is delivered at a safe point (between
//! steps), one at a time; while a handler runs, new interrupts queue and are
//! delivered once each, in order, after it returns (handlers do not nest).
//! A handler's steps are taken back out of the step count when it ends, so
//! the interrupted program's budget and probe schedule never see them. An
//! error in a handler is reported as a `warning` interrupt (printed, when it
//! happens in a warning handler), and the interrupted program resumes.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tracing::debug;

use super::Cx;
use crate::error::{FrameInfo, RunError, ScriptError};
use crate::interrupts::interrupt::{DefaultAction, InterruptHandle, SignalWatch, Waker};
use crate::interrupts::irqconts::NopHandler;
use crate::interrupts::timer::Timers;
use crate::runloop::cont::{ContKey, Step};
use crate::runloop::record::{Recorder, Segment};
use crate::values::capture::Capture;
use crate::values::ident::Ident;
use crate::values::object::{NativeFn, Reply};
use crate::values::value::{SendValue, Value};

/// When the loop raises `probe` interrupts by itself.
#[derive(Default)]
pub(crate) struct Probes {
    /// Raise one every this many steps (0: never).
    every: u64,
    next_every: u64,
    /// Raise one once the step count reaches each of these (ascending).
    at: VecDeque<u64>,
}

impl Probes {
    fn next(&self) -> u64 {
        let every = if self.every > 0 {
            self.next_every
        } else {
            u64::MAX
        };
        every.min(self.at.front().copied().unwrap_or(u64::MAX))
    }
}

/// The loop's interrupts, as a step or a native method sees them:
/// [`Cx::interrupts`]. [`Cx::should_yield`], the one test every
/// interpreter makes often, stays on [`Cx`] itself.
pub struct Interrupts<'a> {
    cx: &'a mut Cx,
}

impl Cx {
    /// The interrupt operations of the loop: handlers, raising, deferral,
    /// timers and waiting.
    #[inline]
    pub fn interrupts(&mut self) -> Interrupts<'_> {
        Interrupts { cx: self }
    }
}

impl Interrupts<'_> {
    /// A handle that raises interrupts into this loop from any thread.
    pub fn handle(&self) -> InterruptHandle {
        self.cx.irq.handle()
    }

    /// Installs `handler` (a callable object) for interrupts of `kind`, or
    /// removes it with `None`. Returns the previous handler.
    pub fn set_handler(&mut self, kind: Ident, handler: Option<Value>) -> Option<Value> {
        if let Some(i) = crate::interrupts::signals::index_of(kind) {
            let bit = 1u32 << i;
            if handler.is_some() {
                self.cx
                    .irq
                    .state
                    .watch
                    .handled
                    .fetch_or(bit, Ordering::SeqCst);
            } else {
                self.cx
                    .irq
                    .state
                    .watch
                    .handled
                    .fetch_and(!bit, Ordering::SeqCst);
            }
        }
        match handler {
            Some(h) => self.cx.irq.state.handlers.insert(kind, h),
            None => self.cx.irq.state.handlers.remove(&kind),
        }
    }

    /// Whether a handler is installed for `kind`.
    pub fn has_handler(&self, kind: Ident) -> bool {
        self.cx.irq.state.handlers.contains_key(&kind)
    }

    /// Queues an interrupt raised on the loop's own thread (a warning from a
    /// script, say). `origin` defaults to where the current step stands when
    /// it ends.
    pub fn raise(&mut self, kind: Ident, payload: Value, origin: Option<FrameInfo>) {
        self.cx.irq.push_local(kind, payload, origin);
    }

    /// Defers interrupt delivery (nesting); see [`Interrupts::allow`].
    pub fn defer(&mut self) {
        self.cx.irq.state.deferred += 1;
        self.cx.irq.refresh();
    }

    /// Ends one [`Interrupts::defer`]; queued interrupts are then delivered
    /// at the next safe point.
    pub fn allow(&mut self) {
        self.cx.irq.state.deferred = self.cx.irq.state.deferred.saturating_sub(1);
        self.cx.irq.refresh();
    }

    /// Defers delivery while the current continuation lives: freeing it
    /// ends the section, however it ends.
    pub fn defer_while_current(&mut self) {
        if let Some(k) = self.cx.current {
            // The section lasts while this frame lives, not a whole segment.
            self.cx.segments().expose(k);
            self.cx.irq.state.deferring.push(k);
            self.cx.irq.refresh();
        }
    }

    /// How many interrupts were delivered so far.
    pub fn delivered(&self) -> u64 {
        self.cx.irq.state.delivered
    }

    /// How many steps interrupt handlers ran (not counted in
    /// [`Cx::steps`]).
    pub fn handler_steps(&self) -> u64 {
        self.cx.irq.state.handler_steps
    }

    /// For an interpreter whose code is running: if the next interrupt to
    /// deliver is a SIGINT with no handler whose default action ends the
    /// program, takes it and answers true. The interpreter then raises
    /// `interrupted!` where its code stands, as the stand-alone `lua` does
    /// (a `pcall` may catch it; uncaught, it ends the program with status
    /// 130 and the backtrace).
    pub fn take_unhandled_sigint(&mut self) -> bool {
        self.cx.irq.drain();
        if !self.cx.irq.ready
            || self.cx.irq.state.queue.front().map(|q| q.kind) != Some(Ident::SIGINT)
            || self.cx.irq.state.handlers.contains_key(&Ident::SIGINT)
            || !matches!(
                self.cx.irq.default_action(Ident::SIGINT),
                DefaultAction::Exit(_)
            )
        {
            return false;
        }
        self.cx.irq.state.queue.pop_front();
        self.cx.irq.refresh();
        self.cx.irq.state.delivered += 1;
        SignalWatch::note(&self.cx.irq.state.watch.taken, Ident::SIGINT);
        SignalWatch::note(&self.cx.irq.state.watch.finished, Ident::SIGINT);
        self.cx.services.sigint_raised = true;
        debug!(kind = "SIGINT", "raised as an error in running code");
        true
    }

    /// Arms a timer that raises `kind` with `payload` after `after`, then
    /// every `every` if given. Returns the `Timer` object (its `cancel`
    /// method stops it).
    ///
    /// # Errors
    ///
    /// A runtime error when the timer thread cannot start.
    pub fn start_timer(
        &mut self,
        after: Duration,
        every: Option<Duration>,
        kind: Ident,
        payload: SendValue,
    ) -> Result<Value, ScriptError> {
        if self.cx.services.timers.is_none() {
            self.cx.services.timers = Some(Timers::start(self.cx.irq.handle())?);
        }
        match self.cx.services.timers.as_mut() {
            Some(t) => Ok(t.add(after, every, kind, payload)),
            None => Err(ScriptError::runtime("the timer thread is not running")),
        }
    }

    /// Blocks until an interrupt arrives from another thread (a signal, a
    /// timer) or `deadline` passes. For `sleep`.
    pub fn wait_until(&mut self, deadline: Instant) {
        if self.cx.irq.wait_until(deadline) {
            debug!("woken by an interrupt");
        }
    }
}

impl Cx {
    /// Sets what happens to `kind` when no handler is installed.
    pub(crate) fn set_default_action(&mut self, kind: Ident, action: DefaultAction) {
        self.irq.state.defaults.insert(kind, action);
    }

    pub(super) fn poll_interrupts(&mut self) -> Result<(), RunError> {
        self.irq.drain();
        if !self.irq.ready {
            return Ok(());
        }
        // With no current continuation (the program just finished), a
        // handler continuation runs as a detour with no back.
        let interrupted = self.current;
        let Some(q) = self.irq.state.queue.pop_front() else {
            return Ok(());
        };
        self.irq.refresh();
        self.irq.state.delivered += 1;
        SignalWatch::note(&self.irq.state.watch.taken, q.kind);
        debug!(kind = %q.kind, at = interrupted.and_then(|k| self.interpreter_of(k)).unwrap_or("-"), "interrupt");
        let Some(h) = self.irq.state.handlers.get(&q.kind).cloned() else {
            SignalWatch::note(&self.irq.state.watch.finished, q.kind);
            return match self.irq.default_action(q.kind) {
                DefaultAction::Ignore => Ok(()),
                DefaultAction::Warn => {
                    let mut msg = b"warning: ".to_vec();
                    q.payload.render_into(&mut msg);
                    if let Some(o) = &q.origin {
                        msg.extend_from_slice(format!(" ({}:{})", o.file, o.line).as_bytes());
                    }
                    msg.push(b'\n');
                    let _ = self.err().write_all(&msg);
                    Ok(())
                }
                DefaultAction::Exit(status) => Err(RunError::Interrupted {
                    kind: q.kind,
                    status,
                    backtrace: interrupted
                        .map(|k| self.backtrace_from(k))
                        .unwrap_or_default(),
                }),
                DefaultAction::Raise => match interrupted {
                    Some(k) => {
                        if q.kind == Ident::SIGINT {
                            self.services.sigint_raised = true;
                        }
                        debug!(kind = %q.kind, "raised as an error in running code");
                        self.unwind(k, ScriptError::interrupted())
                    }
                    None => Ok(()),
                },
                DefaultAction::Detour => {
                    let hk = self
                        .detour(Box::new(NopHandler))
                        .map_err(RunError::Script)?;
                    self.handler_started(hk, q.kind);
                    Ok(())
                }
            };
        };
        let mut args = vec![Value::str(q.kind.name()), q.payload];
        if let Some(o) = &q.origin {
            args.push(Value::str(&*o.file));
            args.push(Value::Int(i64::from(o.line)));
        }
        // A handler that answers at once has run; one that needs a
        // continuation runs it as a detour, which returns without setr.
        let started = match self.send_caught(Ident::CALL, Capture::new(&h, &args)) {
            Ok(Reply::Value(_)) => Ok(None),
            Ok(Reply::Call(c)) => self.detour(c).map(Some),
            Ok(Reply::Goto(k)) => self.goto(k).map(|()| Some(k)),
            // The handler entered its continuation itself (`Cx::enter`).
            Ok(Reply::Pending) => Ok(self.current.filter(|&hk| Some(hk) != interrupted)),
            Err(e) => Err(e),
        };
        match started {
            Ok(Some(hk)) => self.handler_started(hk, q.kind),
            Ok(None) => SignalWatch::note(&self.irq.state.watch.finished, q.kind),
            Err(e) => {
                SignalWatch::note(&self.irq.state.watch.finished, q.kind);
                self.report_handler_error(Some(q.kind), &e);
                self.current = interrupted;
            }
        }
        Ok(())
    }

    /// Adds a [`Waker`], called after every raise through an
    /// [`InterruptHandle`], from the raising thread. Every interpreter that
    /// runs long stretches without polling may add its own; all of them
    /// are called, in the order they were added.
    pub(crate) fn add_interrupt_waker(&mut self, waker: Waker) {
        let mut wakers = self
            .irq
            .state
            .wakers
            .write()
            .unwrap_or_else(|e| e.into_inner());
        wakers.push(waker);
    }

    /// Asks interpreters to count their work into steps exactly (Lua's
    /// count hook), as budgets, probe schedules and step reports need;
    /// without it an interpreter may run a stretch of pure code as one step
    /// and be preempted on demand instead.
    pub(crate) fn set_exact_step_counting(&mut self, on: bool) {
        self.services.exact_steps = on;
    }

    /// Whether steps must be counted exactly: asked for, or a budget or a
    /// probe schedule is set.
    pub fn exact_step_counting(&self) -> bool {
        self.services.exact_steps
            || self.max_steps != u64::MAX
            || self.services.probes.next() != u64::MAX
    }

    /// Installs a Rust closure as the handler of `kind`; it gets the
    /// handler arguments (`kind`, `payload`, and for warnings `file`,
    /// `line`). Returns the previous handler.
    pub(crate) fn on_interrupt_fn(
        &mut self,
        kind: &str,
        f: impl Fn(&mut Cx, Capture<'_>) -> Result<Value, ScriptError> + 'static,
    ) -> Option<Value> {
        self.interrupts().set_handler(
            Ident::new(kind),
            Some(NativeFn::value("interrupt handler", f)),
        )
    }

    /// Raises a `probe` interrupt every `every` steps of the program (not
    /// counting handlers' steps), and once at each step count in `at`.
    /// A probe due while one is queued or running is merged into it.
    /// As with [`Interp::set_max_steps`], scheduling them before installing
    /// interpreters is faster, and after it works too.
    pub(crate) fn schedule_probes(&mut self, every: Option<u64>, at: &[u64]) {
        let mut points: Vec<u64> = at.to_vec();
        points.sort_unstable();
        points.dedup();
        let every = every.unwrap_or(0);
        self.services.probes = Probes {
            every,
            next_every: self.steps.saturating_add(every),
            at: points.into(),
        };
        self.recompute_limit();
    }

    /// Starts (or stops) recording hand-offs for a diagram.
    pub(crate) fn set_recording(&mut self, on: bool) {
        self.services.record = on.then(|| Box::new(Recorder::new()));
        self.refresh_segments();
    }

    /// The hand-off record so far (empty when not recording).
    pub fn take_record(&mut self) -> Vec<Segment> {
        self.services
            .record
            .as_mut()
            .map(|r| r.take())
            .unwrap_or_default()
    }

    pub(super) fn recompute_limit(&mut self) {
        let limit = self.max_steps.min(self.services.memory_next);
        self.limit = if self.irq.state.active.is_some() {
            limit
        } else {
            limit.min(self.services.probes.next())
        };
    }

    /// The stop of a program (current continuation `k`) whose step budget
    /// ran out.
    #[cold]
    pub(super) fn budget_stop(&self, k: ContKey) -> RunError {
        RunError::StepBudget {
            max_steps: self.max_steps,
            backtrace: self.backtrace_from(k),
        }
    }

    /// The step count reached [`Cx::limit`]: the budget ran out, a
    /// probe is due, or the periodic memory check.
    pub(super) fn reach_limit(&mut self) -> Result<(), RunError> {
        if self.steps >= self.max_steps {
            if let Some(k) = self.current {
                return Err(self.budget_stop(k));
            }
            return Ok(());
        }
        if self.steps >= self.services.memory_next {
            self.check_memory();
        }
        let steps = self.steps;
        let p = &mut self.services.probes;
        let mut due = false;
        while p.at.front().is_some_and(|&a| a <= steps) {
            p.at.pop_front();
            due = true;
        }
        if p.every > 0 && steps >= p.next_every {
            p.next_every = steps.saturating_add(p.every);
            due = true;
        }
        if due && self.current.is_some() && !self.irq.has(Ident::PROBE) {
            self.irq.push_plain(
                Ident::PROBE,
                Value::Int(i64::try_from(steps).unwrap_or(i64::MAX)),
            );
        }
        self.recompute_limit();
        Ok(())
    }

    fn handler_started(&mut self, hk: ContKey, kind: Ident) {
        if let Some(s) = self.slots.get_mut(hk) {
            s.detour = true;
        }
        self.irq.state.active = Some(hk);
        self.irq.state.active_kind = Some(kind);
        self.irq.state.steps_at_handler = self.steps;
        self.irq.refresh();
        self.recompute_limit();
        if let Some(r) = self.services.record.as_mut() {
            r.handler_started(kind.name());
        }
    }

    /// `k` is being freed and is the running handler or defers delivery.
    pub(super) fn handler_or_section_freed(&mut self, k: ContKey) {
        if self.irq.state.active == Some(k) {
            self.irq.state.active = None;
            if let Some(kind) = self.irq.state.active_kind.take() {
                SignalWatch::note(&self.irq.state.watch.finished, kind);
            }
            let ran = self.steps.saturating_sub(self.irq.state.steps_at_handler);
            self.irq.state.handler_steps += ran;
            self.steps = self.irq.state.steps_at_handler;
            self.recompute_limit();
        }
        if let Some(i) = self.irq.state.deferring.iter().position(|&d| d == k) {
            self.irq.state.deferring.swap_remove(i);
        }
        self.irq.refresh();
    }

    /// An error ended a handler: it becomes a `warning` interrupt (printed
    /// directly when the failing handler was a warning's).
    pub(super) fn report_handler_error(&mut self, kind: Option<Ident>, err: &ScriptError) {
        let what = kind.map_or("interrupt", |k| k.name());
        let msg = format!("error in {what} handler: {}", err.located_message());
        debug!(kind = what, error = %err.message, "handler failed");
        if kind.is_none() || kind == Some(Ident::WARNING) {
            let _ = writeln!(self.err(), "warning: {msg}");
        } else {
            self.irq.push_plain(Ident::WARNING, Value::str(msg));
        }
    }

    pub(super) fn record_info(&mut self, k: ContKey) -> (&'static str, u32) {
        let interp = self.interpreter_of(k).unwrap_or("?");
        (interp, self.depth_for_record(k))
    }

    /// `k`'s depth of hand-off, memoised in the recorder: walk `back` up to
    /// a continuation of known depth (or the root), then fill in.
    fn depth_for_record(&mut self, k: ContKey) -> u32 {
        let Some(rec) = self.services.record.as_mut() else {
            return 0;
        };
        let mut chain = Vec::new();
        let mut cur = Some(k);
        let mut base = None;
        while let Some(c) = cur {
            if let Some(d) = rec.known_depth(c) {
                base = Some(d);
                break;
            }
            chain.push(c);
            cur = self.slots.get(c).and_then(|s| s.back);
        }
        let mut depth = base;
        for c in chain.into_iter().rev() {
            let d = depth.map_or(0, |d| d + 1);
            rec.set_depth(c, d);
            depth = Some(d);
        }
        depth.unwrap_or(0)
    }

    pub(super) fn record(
        &mut self,
        k: ContKey,
        interp: &'static str,
        depth: u32,
        ran: u64,
        step: &Step,
    ) {
        if let Some(r) = self.services.record.as_mut() {
            r.note(k, interp, depth, ran, matches!(step, Step::Fail(_)));
        }
    }
}
