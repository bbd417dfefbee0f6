//! The host's side of the run loop: [`Interp`], which a host builds,
//! configures, installs languages into, starts and runs, and its
//! [`InterpBuilder`]. What runs inside the loop (a continuation's step, a
//! native method, an interrupt handler) sees the narrower [`Cx`] instead
//! and cannot reconfigure, restart or re-enter the loop.

use std::io::Write;
use std::rc::Rc;

use crate::error::{HostError, RunError, ScriptError};
use crate::interrupts::interrupt::{DefaultAction, InterruptHandle, Waker};
use crate::objects::language::Language;
use crate::runloop::cont::{ContKey, Continuation};
use crate::runloop::record::Segment;
use crate::runloop::{Cx, ExitHook, ImmediateResponder, MemoryHook};
use crate::values::capture::Capture;
use crate::values::ident::Ident;
use crate::values::value::Value;

/// A run loop as its host holds it (docs/design.md §1): one thread of
/// execution that holds only the current continuation.
///
/// A host builds one, installs languages, starts a root continuation and
/// runs it. Code inside the loop gets a [`Cx`]; the host reaches the same
/// view with [`Interp::cx`] to set up state before a run.
///
/// ```
/// use polyeval_core::{CallValue, Continuation, Cx, FrameInfo, Interp, NativeFn, RunError, Step, Value};
///
/// let mut rt = Interp::builder().max_steps(1_000).build();
/// // A native function whose value is the step count it sees.
/// let steps = NativeFn::value("steps", |cx, _cap| Ok(Value::Int(cx.steps() as i64)));
/// rt.start(Box::new(CallValue::new(steps, vec![])));
/// assert!(matches!(rt.run(), Ok(Value::Int(_))));
/// // A continuation that never ends stops at the budget.
/// struct Spin;
/// impl Continuation for Spin {
///     fn interpreter(&self) -> &'static str { "spin" }
///     fn eval(&mut self, _cx: &mut Cx) -> Step { Step::Continue }
///     fn setr(&mut self, _v: Value) {}
///     fn frames(&self, _out: &mut Vec<FrameInfo>) {}
/// }
/// rt.start(Box::new(Spin));
/// assert!(matches!(rt.run(), Err(RunError::StepBudget { .. })));
/// ```
pub struct Interp {
    cx: Cx,
}

impl Default for Interp {
    fn default() -> Self {
        Self::new()
    }
}

impl Interp {
    /// A run loop with no continuation, writing to the process's stdout and
    /// stderr, with the default quantum and no step budget.
    pub fn new() -> Self {
        Interp { cx: Cx::new() }
    }

    /// A builder for a run loop with chosen limits and streams.
    pub fn builder() -> InterpBuilder {
        InterpBuilder::default()
    }

    /// The view of the loop that its steps get: for setting up state
    /// before a run (interpreters' `ext` state, globals, a send to an
    /// object) and reading it afterwards.
    #[inline]
    pub fn cx(&mut self) -> &mut Cx {
        &mut self.cx
    }

    /// Read-only access to the loop's view (step counts, `ext` state).
    #[inline]
    pub fn cx_ref(&self) -> &Cx {
        &self.cx
    }

    /// How many steps ran so far (see [`Cx::steps`]).
    pub fn steps(&self) -> u64 {
        self.cx.steps()
    }

    /// How many interrupts were delivered so far.
    pub fn interrupts_delivered(&self) -> u64 {
        self.cx.irq.state.delivered
    }

    /// How many steps interrupt handlers ran (not counted in
    /// [`Interp::steps`]).
    pub fn handler_steps(&self) -> u64 {
        self.cx.irq.state.handler_steps
    }

    /// The program output stream.
    pub fn out(&mut self) -> &mut dyn Write {
        self.cx.out()
    }

    /// The diagnostics stream (program output is flushed first).
    pub fn err(&mut self) -> &mut dyn Write {
        self.cx.err()
    }

    /// Runs the periodic memory check now (see [`Cx::check_memory`]).
    pub fn check_memory(&mut self) {
        self.cx.check_memory();
    }

    // ----- running -------------------------------------------------------

    /// Makes `cont` the root continuation (no `back`). Returns its handle.
    pub fn start(&mut self, cont: Box<dyn Continuation>) -> ContKey {
        self.cx.start(cont)
    }

    /// Makes `cont` current with `back` = the current continuation, before
    /// [`Interp::run`]: a host that started a root (a REPL) runs a first
    /// callee under it this way, and the callee's result reaches the root
    /// by `setr`. Code that runs inside the loop never needs this: a step
    /// returns [`crate::Step::Call`], a method [`crate::Reply::Call`].
    ///
    /// # Errors
    ///
    /// [`HostError::NoContinuation`] when nothing was started.
    pub fn call_into(&mut self, cont: Box<dyn Continuation>) -> Result<ContKey, HostError> {
        if self.cx.continuation().is_none() {
            return Err(HostError::NoContinuation);
        }
        self.cx.call_into(cont).map_err(|_| HostError::StaleKey)?;
        self.cx.continuation().ok_or(HostError::NoContinuation)
    }

    /// Runs steps until a continuation with nothing left has no `back`
    /// (`run()` in docs/design.md §1), and returns its value.
    ///
    /// # Errors
    ///
    /// An uncaught script error, the step budget, an interrupt whose default
    /// action is to exit, or an internal error.
    pub fn run(&mut self) -> Result<Value, RunError> {
        self.cx.run()
    }

    /// Runs and removes the exit hooks, for a host that ends the program
    /// itself after [`Interp::run`].
    pub fn run_exit_hooks(&mut self, status: i32) {
        self.cx.run_exit_hooks(status);
    }

    // ----- configuration -------------------------------------------------

    /// Sets how many instructions a continuation may run in one step
    /// (`u32::MAX` for unbounded; 0 is taken as 1).
    pub fn set_quantum(&mut self, quantum: u32) {
        self.cx.set_quantum(quantum);
    }

    /// Stops `run` with [`RunError::StepBudget`] once the loop's step
    /// count (over its whole life, see [`Cx::steps`]) reaches `max`.
    ///
    /// It holds whenever it is set. Set before installing interpreters, it
    /// also lets one that runs long stretches inside one step (Lua) pick
    /// its fastest exact way of counting them
    /// ([`Cx::exact_step_counting`]); set after, such an interpreter
    /// meters each step instead, which is slower.
    pub fn set_max_steps(&mut self, max: Option<u64>) {
        self.cx.set_max_steps(max);
    }

    /// Sets how many run loops may nest (see [`Cx::nested`]).
    pub fn set_max_nested(&mut self, max: u32) {
        self.cx.set_max_nested(max);
    }

    /// Redirects program output (`$OUT`, Lua `print`).
    pub fn set_output(&mut self, out: Box<dyn Write>) {
        self.cx.set_output(out);
    }

    /// Redirects diagnostics (warnings).
    pub fn set_errput(&mut self, err: Box<dyn Write>) {
        self.cx.set_errput(err);
    }

    /// Registers `hook` to run before [`Cx::exit_process`] ends the
    /// process (a CLI's end-of-run reports, say).
    pub fn on_exit(&mut self, hook: ExitHook) {
        self.cx.on_exit(hook);
    }

    /// Registers `hook` for memory events: the periodic check while a
    /// memory limit is in force, and a failed [`Cx::reserve_memory`].
    pub fn on_memory_event(&mut self, hook: MemoryHook) {
        self.cx.on_memory_event(hook);
    }

    /// Replaces the responder for messages sent to immediate values (by
    /// default [`crate::objects::immediates::respond`], shared by every
    /// interpreter).
    pub fn set_immediate_responder(&mut self, f: ImmediateResponder) {
        self.cx.set_immediate_responder(f);
    }

    /// Stores interpreter-specific state, one value per type (an
    /// interpreter's install function does this; steps read it with
    /// [`Cx::ext`]).
    pub fn set_ext<T: std::any::Any>(&mut self, value: Rc<T>) {
        self.cx.set_ext(value);
    }

    /// The interpreter-specific state of type `T`, if installed.
    pub fn ext<T: std::any::Any>(&self) -> Option<Rc<T>> {
        self.cx.ext()
    }

    /// Registers `lang`, replacing a language of the same name.
    pub fn register_language(&mut self, lang: Rc<dyn Language>) {
        self.cx.register_language(lang);
    }

    /// The language registered under `name` or one of its aliases.
    pub fn language(&self, name: &str) -> Option<Rc<dyn Language>> {
        self.cx.language(name)
    }

    /// The language whose files end in `.ext`.
    pub fn language_for_extension(&self, ext: &str) -> Option<Rc<dyn Language>> {
        self.cx.language_for_extension(ext)
    }

    /// Every registered language, in registration order.
    pub fn languages(&self) -> Vec<Rc<dyn Language>> {
        self.cx.languages()
    }

    // ----- interrupts ----------------------------------------------------

    /// A handle that raises interrupts into this loop from any thread.
    pub fn interrupt_handle(&self) -> InterruptHandle {
        self.cx.irq.handle()
    }

    /// Adds a [`Waker`], called after every raise through an
    /// [`InterruptHandle`], from the raising thread. Every interpreter that
    /// runs long stretches without polling may add its own; all of them
    /// are called, in the order they were added.
    pub fn add_interrupt_waker(&mut self, waker: Waker) {
        self.cx.add_interrupt_waker(waker);
    }

    /// Installs `handler` (a callable object) for interrupts of `kind`, or
    /// removes it with `None`. Returns the previous handler.
    pub fn on_interrupt(&mut self, kind: Ident, handler: Option<Value>) -> Option<Value> {
        self.cx.interrupts().set_handler(kind, handler)
    }

    /// Installs a Rust closure as the handler of `kind`; it gets the
    /// handler arguments (`kind`, `payload`, and for warnings `file`,
    /// `line`). Returns the previous handler.
    pub fn on_interrupt_fn(
        &mut self,
        kind: &str,
        f: impl Fn(&mut Cx, Capture<'_>) -> Result<Value, ScriptError> + 'static,
    ) -> Option<Value> {
        self.cx.on_interrupt_fn(kind, f)
    }

    /// Sets what happens to `kind` when no handler is installed.
    pub fn set_default_action(&mut self, kind: Ident, action: DefaultAction) {
        self.cx.set_default_action(kind, action);
    }

    /// Asks interpreters to count their work into steps exactly (Lua's
    /// count hook), as budgets, probe schedules and step reports need.
    pub fn set_exact_step_counting(&mut self, on: bool) {
        self.cx.set_exact_step_counting(on);
    }

    /// Raises a `probe` interrupt every `every` steps of the program (not
    /// counting handlers' steps), and once at each step count in `at`.
    /// A probe due while one is queued or running is merged into it.
    /// As with [`Interp::set_max_steps`], scheduling them before installing
    /// interpreters is faster, and after it works too.
    pub fn schedule_probes(&mut self, every: Option<u64>, at: &[u64]) {
        self.cx.schedule_probes(every, at);
    }

    /// Starts (or stops) recording hand-offs for a diagram.
    pub fn set_recording(&mut self, on: bool) {
        self.cx.set_recording(on);
    }

    /// The hand-off record so far (empty when not recording).
    pub fn take_record(&mut self) -> Vec<Segment> {
        self.cx.take_record()
    }
}

/// Builds an [`Interp`] with chosen limits and streams; each setting
/// left alone keeps [`Interp::new`]'s default.
#[derive(Default)]
#[must_use]
pub struct InterpBuilder {
    quantum: Option<u32>,
    max_steps: Option<u64>,
    max_nested: Option<u32>,
    output: Option<Box<dyn Write>>,
    errput: Option<Box<dyn Write>>,
    exact_steps: bool,
    probes: Option<(Option<u64>, Vec<u64>)>,
    recording: bool,
}

impl InterpBuilder {
    /// See [`Interp::set_quantum`].
    pub fn quantum(mut self, quantum: u32) -> Self {
        self.quantum = Some(quantum);
        self
    }

    /// See [`Interp::set_max_steps`].
    pub fn max_steps(mut self, max: u64) -> Self {
        self.max_steps = Some(max);
        self
    }

    /// See [`Interp::set_max_nested`].
    pub fn max_nested(mut self, max: u32) -> Self {
        self.max_nested = Some(max);
        self
    }

    /// See [`Interp::set_output`].
    pub fn output(mut self, out: Box<dyn Write>) -> Self {
        self.output = Some(out);
        self
    }

    /// See [`Interp::set_errput`].
    pub fn errput(mut self, err: Box<dyn Write>) -> Self {
        self.errput = Some(err);
        self
    }

    /// See [`Interp::set_exact_step_counting`].
    pub fn exact_step_counting(mut self, on: bool) -> Self {
        self.exact_steps = on;
        self
    }

    /// See [`Interp::schedule_probes`].
    pub fn probes(mut self, every: Option<u64>, at: &[u64]) -> Self {
        self.probes = Some((every, at.to_vec()));
        self
    }

    /// See [`Interp::set_recording`].
    pub fn recording(mut self, on: bool) -> Self {
        self.recording = on;
        self
    }

    /// The run loop. Budgets and probes are in place before any
    /// interpreter is installed, as those need.
    pub fn build(self) -> Interp {
        let mut rt = Interp::new();
        if let Some(q) = self.quantum {
            rt.set_quantum(q);
        }
        if self.max_steps.is_some() {
            rt.set_max_steps(self.max_steps);
        }
        if let Some(n) = self.max_nested {
            rt.set_max_nested(n);
        }
        if let Some(out) = self.output {
            rt.set_output(out);
        }
        if let Some(err) = self.errput {
            rt.set_errput(err);
        }
        rt.set_exact_step_counting(self.exact_steps);
        if let Some((every, at)) = self.probes {
            rt.schedule_probes(every, &at);
        }
        if self.recording {
            rt.set_recording(true);
        }
        rt
    }
}
