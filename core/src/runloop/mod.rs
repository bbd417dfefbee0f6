//! The run loop: the only loop that runs steps. It owns the continuation
//! arena, the current continuation, the step budget and interrupt delivery.
//!
//! Continuations live in a `slotmap` arena. A continuation stays alive while
//! it is current, is running a step, or is the `back` of a live
//! continuation; when none of these holds any more it is freed, and every
//! handle to it becomes stale.
//!
//! This module holds the loop's state and what a step may do to it; the
//! loop that runs the steps, and ending and unwinding continuations, are
//! in `step.rs`.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::io::Write;
use std::rc::Rc;
use std::sync::atomic::Ordering;

use slotmap::SlotMap;
use tracing::debug;

use crate::error::{Backtrace, FrameInfo, RunError, ScriptError};
use crate::interrupts::interrupt::IrqQueue;
use crate::interrupts::timer::Timers;
use crate::objects::builtins::InterpObject;
use crate::values::capture::Capture;
use crate::values::ident::Ident;
use crate::values::object::Reply;
use crate::values::value::Value;

mod budget;
mod chains;
pub(crate) mod cont;
pub(crate) mod host;
mod interrupts;
pub mod lend;
mod nested;
pub mod panics;
pub mod record;
mod segments;
mod step;

pub use chains::Chains;
pub use cont::{ChainKey, ContKey, Continuation, Step};
pub use host::{Interp, InterpBuilder};
pub use interrupts::Interrupts;
pub use nested::Nested;
pub use record::{Entry, Recorder, Segment};
pub use segments::Segments;

use budget::Output;
pub use budget::{MemoryEvent, MemoryHook, MEMORY_CHECK_STEPS};
use interrupts::Probes;

/// The default number of instructions a continuation runs in one step.
pub const DEFAULT_QUANTUM: u32 = 1000;

/// The default cap on nested run loops (see [`Nested::run`]). Each
/// level keeps native frames alive, and Lua counts them against its own
/// limit of 200 C calls, so the cap is well below that.
pub const DEFAULT_MAX_NESTED: u32 = 40;

/// Answers messages sent to immediate values (integers, strings, ...).
/// The default is [`crate::objects::immediates::respond`], the semantics every
/// interpreter shares; a host may replace it with
/// [`Interp::set_immediate_responder`].
pub type ImmediateResponder = fn(&mut Cx, Ident, Capture<'_>) -> Result<Reply, ScriptError>;

struct Slot {
    /// `None` while the continuation runs a step.
    cont: Option<Box<dyn Continuation>>,
    /// The interpreter's name, as an index into [`interp_names`] (one byte
    /// instead of a 16-byte `&str`: every suspended continuation has a
    /// slot).
    interp: InterpName,
    back: Option<ContKey>,
    /// How many live continuations have this one as `back`.
    refs: u32,
    /// Boxed: few continuations have one, and every slot carries the field.
    catch: Option<Box<Value>>,
    /// The catch handler is running: a failure that reaches this
    /// continuation meanwhile propagates past it.
    catching: bool,
    /// A detour (interrupt handler): it returns to `back` without `setr`.
    detour: bool,
    /// A `setr` reached this continuation since its last step began: only
    /// the first per pending point counts, so later ones are dropped
    /// here, for every interpreter.
    answered: bool,
    /// The coroutine chain this continuation belongs to (see
    /// `runloop/chains.rs`): inherited from `back` on insertion.
    chain: Option<ChainKey>,
}

/// An interpreter's name, interned per thread as a small index.
#[derive(Clone, Copy)]
struct InterpName(u8);

thread_local! {
    static INTERP_NAMES: std::cell::RefCell<Vec<&'static str>> =
        const { std::cell::RefCell::new(Vec::new()) };
    /// The name interned last, by address and length: inserts mostly
    /// repeat it.
    static LAST_NAME: std::cell::Cell<(usize, usize, u8)> =
        const { std::cell::Cell::new((0, 0, 0)) };
}

impl InterpName {
    #[inline]
    fn of(name: &'static str) -> InterpName {
        let key = (name.as_ptr() as usize, name.len());
        let (addr, len, i) = LAST_NAME.with(std::cell::Cell::get);
        if (addr, len) == key {
            return InterpName(i);
        }
        let n = Self::intern(name);
        LAST_NAME.with(|c| c.set((key.0, key.1, n.0)));
        n
    }

    #[cold]
    fn intern(name: &'static str) -> InterpName {
        INTERP_NAMES.with(|names| {
            let mut names = names.borrow_mut();
            if let Some(i) = names
                .iter()
                .position(|n| std::ptr::eq(*n, name) || *n == name)
            {
                return InterpName(u8::try_from(i).unwrap_or(u8::MAX));
            }
            if names.len() >= usize::from(u8::MAX) {
                // More interpreter names than anyone registers: they share
                // the last index (only traces and backtraces show names).
                return InterpName(u8::MAX);
            }
            names.push(name);
            InterpName(u8::try_from(names.len() - 1).unwrap_or(u8::MAX))
        })
    }

    fn name(self) -> &'static str {
        INTERP_NAMES.with(|names| {
            names
                .borrow()
                .get(usize::from(self.0))
                .copied()
                .unwrap_or("?")
        })
    }
}

/// What the loop provides besides stepping: the host's output and error
/// streams, interpreters' state (`ext`) and languages, the probe
/// schedule, timers, the hand-off recorder, exit and memory hooks,
/// coroutine chains, and what nested loops hand to the outermost one.
/// Boxed, since the loop touches it rarely.
pub(crate) struct Services {
    /// An error that unwound to a continuation running a step, for the
    /// nested run loop waiting on it.
    nested_error: Option<(ContKey, ScriptError)>,
    /// A stop (budget, exit interrupt, internal error) met inside a nested
    /// run loop; the outermost loop reports it.
    fatal: Option<RunError>,
    result: Value,
    ext: HashMap<TypeId, Rc<dyn Any>>,
    interp_obj: Value,
    out: Output,
    err: Box<dyn Write>,
    /// The probe schedule (`--interrupt-every-steps`, injection points).
    probes: Probes,
    timers: Option<Timers>,
    record: Option<Box<Recorder>>,
    /// Run by [`Cx::exit_process`] before the process exits.
    exit_hooks: Vec<ExitHook>,
    /// See [`Interp::set_exact_step_counting`].
    exact_steps: bool,
    /// A SIGINT with no handler was raised as an error in running code
    /// ([`Interrupts::take_unhandled_sigint`]): an uncaught `interrupted!`
    /// then ends the program as the SIGINT would have.
    sigint_raised: bool,
    /// See [`Cx::on_memory_event`].
    memory_hooks: Vec<MemoryHook>,
    /// Coroutine chains (see `runloop/chains.rs`).
    chains: SlotMap<ChainKey, chains::Chain>,
    /// The step count of the next periodic memory check (`u64::MAX`
    /// without a memory limit).
    memory_next: u64,
    /// The registered languages (see [`crate::objects::language`]).
    pub(crate) languages: crate::objects::language::Languages,
}

/// The script error that tells a nested caller the program is stopping.
#[cold]
fn stopping(f: &RunError) -> ScriptError {
    ScriptError::runtime(format!("the run loop stopped: {}", f.report().trim_end()))
}

/// A function [`Cx::exit_process`] runs before the process exits.
pub type ExitHook = Box<dyn FnOnce(&mut Cx, i32)>;

/// What a step sees of the run loop (docs/design.md §1): the
/// continuation arena and the current continuation, `goto`, `setr` and
/// hand-offs, sends, the step budget, interrupts, interpreters' `ext`
/// state, output, and nested loops for engines that cannot end a step
/// where they stand.
///
/// A continuation's [`Continuation::eval`], a native method and an
/// interrupt handler get `&mut Cx`. They cannot start, run, or
/// reconfigure the loop: that is the host's [`crate::Interp`], which owns
/// the `Cx`.
///
/// ```
/// use polyeval_core::{CallValue, Capture, Ident, Interp, NativeFn, Reply, Value};
///
/// let mut rt = Interp::new();
/// // A native function that sends `ADD` to the number it gets.
/// let twice = NativeFn::value("twice", |cx, cap| {
///     let n = cap.pos(0)?.clone();
///     match cx.send(Ident::ADD, Capture::new(&n, std::slice::from_ref(&n)))? {
///         Reply::Value(v) => Ok(v),
///         _ => Ok(Value::Nil),
///     }
/// });
/// rt.start(Box::new(CallValue::new(twice, vec![Value::Int(21)])));
/// assert!(matches!(rt.run(), Ok(Value::Int(42))));
/// ```
pub struct Cx {
    slots: SlotMap<ContKey, Slot>,
    current: Option<ContKey>,
    /// The continuation whose step the innermost loop is running (nested
    /// run loops save and restore it).
    stepping: Option<ContKey>,
    running: bool,
    quantum: u32,
    steps: u64,
    max_steps: u64,
    /// The step count at which the loop must look up from running steps:
    /// the budget, the next scheduled probe, or the next memory check,
    /// whichever comes first.
    limit: u64,
    /// `setr`s that arrived for continuations running a step; each is
    /// delivered when its step ends. Usually one continuation runs at a
    /// time; nested run loops make several.
    parked_setr: Vec<(ContKey, Value)>,
    /// Nested run loops in progress (see [`Nested::run`]).
    nested: u32,
    /// The most nested run loops allowed at once.
    max_nested: u32,
    /// See [`Services`]; boxed so that the loop itself is small (a Lua
    /// step moves it in and out of a thread-local slot).
    pub(crate) services: Box<Services>,
    pub(crate) irq: IrqQueue,
    immediate: ImmediateResponder,
    /// A running continuation that must split before its code goes on
    /// (see [`Segments::expose`]); it looks with
    /// [`Segments::take_expose_request`] after every send.
    expose_wanted: Option<ContKey>,
    /// See [`Segments::allowed`].
    no_segments: bool,
}

impl Cx {
    /// A run loop with no continuation, writing to the process's stdout and
    /// stderr.
    pub(crate) fn new() -> Self {
        crate::runloop::panics::install_hook();
        Cx {
            slots: SlotMap::with_key(),
            current: None,
            stepping: None,
            running: false,
            quantum: DEFAULT_QUANTUM,
            steps: 0,
            max_steps: u64::MAX,
            limit: u64::MAX,
            parked_setr: Vec::new(),
            nested: 0,
            max_nested: DEFAULT_MAX_NESTED,
            services: Box::new(Services {
                nested_error: None,
                fatal: None,
                result: Value::Nil,
                ext: HashMap::new(),
                interp_obj: InterpObject::value(),
                out: Output::new(Box::new(std::io::BufWriter::new(std::io::stdout()))),
                err: Box::new(std::io::stderr()),
                probes: Probes::default(),
                timers: None,
                record: None,
                exit_hooks: Vec::new(),
                exact_steps: false,
                sigint_raised: false,
                memory_hooks: Vec::new(),
                memory_next: u64::MAX,
                chains: SlotMap::with_key(),
                languages: Default::default(),
            }),
            irq: IrqQueue::new(),
            immediate: crate::objects::immediates::respond,
            expose_wanted: None,
            no_segments: false,
        }
    }

    /// An idle loop that writes nowhere: a stand-in for a loop whose state
    /// is lent out for a while (see [`crate::runloop::lend`]).
    pub(crate) fn hollow() -> Self {
        let mut rt = Self::new();
        rt.services.out = Output::new(Box::new(std::io::sink()));
        rt.services.err = Box::new(std::io::sink());
        rt
    }

    // ----- configuration -------------------------------------------------

    /// Sets how many instructions a continuation may run in one step
    /// (`u32::MAX` for unbounded; 0 is taken as 1).
    pub(crate) fn set_quantum(&mut self, quantum: u32) {
        self.quantum = quantum.max(1);
        self.refresh_segments();
    }

    /// The step quantum continuations should honour.
    #[inline]
    pub fn quantum(&self) -> u32 {
        self.quantum
    }

    /// Stops `run` with [`RunError::StepBudget`] once the loop's step
    /// count (over its whole life, see [`Cx::steps`]) reaches `max`.
    ///
    /// It holds whenever it is set. Set before installing interpreters, it
    /// also lets one that runs long stretches inside one step (Lua) pick
    /// its fastest exact way of counting them
    /// ([`Cx::exact_step_counting`]); set after, such an interpreter
    /// meters each step instead, which is slower.
    pub(crate) fn set_max_steps(&mut self, max: Option<u64>) {
        self.max_steps = max.unwrap_or(u64::MAX);
        self.recompute_limit();
    }

    /// How many steps ran so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Redirects program output (`$OUT`, Lua `print`).
    pub(crate) fn set_output(&mut self, out: Box<dyn Write>) {
        self.services.out = Output::new(out);
    }

    /// Redirects diagnostics (warnings).
    pub(crate) fn set_errput(&mut self, err: Box<dyn Write>) {
        self.services.err = err;
    }

    /// Registers `hook` to run before [`Cx::exit_process`] ends the
    /// process (a CLI's end-of-run reports, say).
    pub(crate) fn on_exit(&mut self, hook: ExitHook) {
        self.services.exit_hooks.push(hook);
    }

    /// Ends the process with `status` at a script's request (Lua's
    /// `os.exit`): runs the exit hooks, flushes output, and exits.
    pub fn exit_process(&mut self, status: i32) -> ! {
        for hook in std::mem::take(&mut self.services.exit_hooks) {
            hook(self, status);
        }
        let _ = self.services.out.flush();
        let _ = self.services.err.flush();
        std::process::exit(status)
    }

    /// Runs and removes the exit hooks, for a host that ends the program
    /// itself after [`Interp::run`].
    pub(crate) fn run_exit_hooks(&mut self, status: i32) {
        for hook in std::mem::take(&mut self.services.exit_hooks) {
            hook(self, status);
        }
    }

    /// The program output stream.
    pub fn out(&mut self) -> &mut dyn Write {
        &mut self.services.out
    }

    /// The diagnostics stream. Program output is flushed first, so that
    /// the two interleave in order on a terminal.
    pub fn err(&mut self) -> &mut dyn Write {
        let _ = self.services.out.flush();
        &mut *self.services.err
    }

    /// Replaces the responder for messages sent to immediate values (by
    /// default [`crate::objects::immediates::respond`], shared by every
    /// interpreter).
    pub(crate) fn set_immediate_responder(&mut self, f: ImmediateResponder) {
        self.immediate = f;
    }

    /// Stores interpreter-specific state, one value per type.
    pub fn set_ext<T: Any>(&mut self, value: Rc<T>) {
        self.services.ext.insert(TypeId::of::<T>(), value);
    }

    /// The interpreter-specific state of type `T`, if installed.
    pub fn ext<T: Any>(&self) -> Option<Rc<T>> {
        self.services
            .ext
            .get(&TypeId::of::<T>())
            .and_then(|v| v.clone().downcast::<T>().ok())
    }

    /// The loop's `$interpreter` object (one per loop).
    #[inline]
    pub fn interp_value(&self) -> Value {
        self.services.interp_obj.clone()
    }

    // ----- docs/design.md §1: continuation(), goto(k), setr(v), run() -----

    /// The current continuation.
    #[inline]
    pub fn continuation(&self) -> Option<ContKey> {
        self.current
    }

    /// Whether `k` names a live continuation of this loop.
    pub fn contains(&self, k: ContKey) -> bool {
        self.slots.contains_key(k)
    }

    /// Whether `k` is the continuation running the innermost step right
    /// now: the one whose code is executing. A continuation that waits in
    /// a nested run loop is running a step too, but is not this one.
    pub fn is_running(&self, k: ContKey) -> bool {
        self.stepping == Some(k)
    }

    /// A script's handle to `k` (a continuation object), after `k` is
    /// exposed: a segment splits so that the handle names one frame.
    pub fn handle(&mut self, k: ContKey) -> Value {
        self.segments().expose(k);
        crate::objects::builtins::ContObject::value(k)
    }

    fn refresh_segments(&mut self) {
        self.no_segments = self.quantum == u32::MAX
            || self.services.record.is_some()
            || tracing::enabled!(tracing::Level::DEBUG);
    }

    /// The interpreter name of continuation `k`.
    pub fn interpreter_of(&self, k: ContKey) -> Option<&'static str> {
        self.slots.get(k).map(|s| s.interp.name())
    }

    /// Adds a continuation to the arena with the given `back`. It does not
    /// become current.
    ///
    /// # Errors
    ///
    /// A stale-continuation error when `back` is gone.
    pub fn insert(
        &mut self,
        cont: Box<dyn Continuation>,
        back: Option<ContKey>,
    ) -> Result<ContKey, ScriptError> {
        let mut chain = None;
        if let Some(b) = back {
            match self.slots.get_mut(b) {
                Some(s) => {
                    s.refs += 1;
                    chain = s.chain;
                }
                None => return Err(ScriptError::stale_continuation("the back continuation")),
            }
        }
        let interp = InterpName::of(cont.interpreter());
        Ok(self.slots.insert(Slot {
            cont: Some(cont),
            interp,
            back,
            refs: 0,
            catch: None,
            catching: false,
            detour: false,
            answered: false,
            chain,
        }))
    }

    /// Makes `k` the current continuation. The old one is freed if nothing
    /// else holds it. Steps and methods ask for this with [`Step::Goto`] and
    /// [`Reply::Goto`]; only the loop carries it out, so that a sender never
    /// has to look at which continuation is current to learn what a call did.
    ///
    /// # Errors
    ///
    /// A stale-continuation error when `k` is gone.
    pub(crate) fn goto(&mut self, k: ContKey) -> Result<(), ScriptError> {
        let Some(to) = self.slots.get(k) else {
            return Err(ScriptError::stale_continuation("goto's target"));
        };
        let old = self.current.replace(k);
        if tracing::enabled!(tracing::Level::DEBUG) {
            let from = old.and_then(|o| self.interpreter_of(o)).unwrap_or("-");
            let at = self.position_of(k);
            let to_name = to.interp.name();
            if from != to_name && old.is_some() {
                debug!(from, to = to_name, at = %at, "hand-off");
            } else {
                debug!(from, to = to_name, at = %at, "goto");
            }
        }
        if let Some(o) = old {
            if o != k {
                self.collect(o);
            }
        }
        Ok(())
    }

    /// Inserts `cont` with `back` = the current continuation and makes it
    /// current now, and answers [`Reply::Pending`]: how [`Cx::enter`]
    /// carries out a [`Reply::Call`], and [`Interp::call_into`] a host's.
    ///
    /// # Errors
    ///
    /// A stale-continuation error if the current continuation is gone.
    pub(crate) fn call_into(&mut self, cont: Box<dyn Continuation>) -> Result<Reply, ScriptError> {
        let k = self.insert(cont, self.current)?;
        self.goto(k)?;
        Ok(Reply::Pending)
    }

    /// Carries out a [`Reply::Call`] or a
    /// [`Reply::Goto`] at once and answers [`Reply::Pending`], for a sender
    /// that cannot end its step where it stands (a C call inside Lua, a
    /// catch handler called by the loop); other replies pass through.
    ///
    /// # Errors
    ///
    /// A stale-continuation error if the current continuation or the
    /// target of the `goto` is gone.
    #[inline]
    pub fn enter(&mut self, reply: Reply) -> Result<Reply, ScriptError> {
        match reply {
            Reply::Call(c) => self.call_into(c),
            Reply::Goto(k) => {
                self.goto(k)?;
                Ok(Reply::Pending)
            }
            other => Ok(other),
        }
    }

    /// Inserts `cont` as a detour of the current continuation: it runs with
    /// `back` = the current one and returns there without `setr`.
    ///
    /// # Errors
    ///
    /// A stale-continuation error if the current continuation is gone.
    pub fn detour(&mut self, cont: Box<dyn Continuation>) -> Result<ContKey, ScriptError> {
        let k = self.insert(cont, self.current)?;
        if let Some(s) = self.slots.get_mut(k) {
            s.detour = true;
            // A handler belongs to no coroutine: the interrupted code
            // never notices it, and it cannot yield that code's coroutine.
            s.chain = None;
        }
        self.goto(k)?;
        Ok(k)
    }

    /// Makes `cont` current as a new root (no `back`), e.g. a program's
    /// top frame.
    pub(crate) fn start(&mut self, cont: Box<dyn Continuation>) -> ContKey {
        // A root has no back, so insertion cannot fail.
        let k = self
            .insert(cont, None)
            .unwrap_or_else(|_| unreachable!("a root continuation has no back"));
        let _ = self.goto(k);
        k
    }

    /// Delivers `v` to continuation `k`. If `k` is running a step the value
    /// is delivered when the step ends.
    ///
    /// # Errors
    ///
    /// A stale-continuation error when `k` is gone.
    pub fn setr_to(&mut self, k: ContKey, v: Value) -> Result<(), ScriptError> {
        let Some(slot) = self.slots.get_mut(k) else {
            return Err(ScriptError::stale_continuation("setr's target"));
        };
        if slot.answered {
            debug!(to = slot.interp.name(), "setr dropped: not the first");
            return Ok(());
        }
        slot.catching = false;
        debug!(to = slot.interp.name(), "setr");
        match slot.cont.as_mut() {
            Some(c) => {
                slot.answered = true;
                c.setr(v);
            }
            None => {
                if !self.parked_setr.iter().any(|(pk, _)| *pk == k) {
                    self.parked_setr.push((k, v));
                }
            }
        }
        Ok(())
    }

    /// The `back` of continuation `k`.
    ///
    /// # Errors
    ///
    /// A stale-continuation error when `k` is gone.
    pub fn back(&self, k: ContKey) -> Result<Option<ContKey>, ScriptError> {
        self.slots
            .get(k)
            .map(|s| s.back)
            .ok_or_else(|| ScriptError::stale_continuation("the continuation"))
    }

    /// The catch handler of continuation `k`.
    ///
    /// # Errors
    ///
    /// A stale-continuation error when `k` is gone.
    pub fn catch(&self, k: ContKey) -> Result<Option<Value>, ScriptError> {
        self.slots
            .get(k)
            .map(|s| s.catch.as_deref().cloned())
            .ok_or_else(|| ScriptError::stale_continuation("the continuation"))
    }

    /// Installs (or, with `None`, removes) the catch handler of `k`. A
    /// failure in `k`, or one that propagates to it along `back`, calls the
    /// handler with an error object; the handler's result becomes the
    /// result of `k`'s pending point, and `k` resumes.
    ///
    /// # Errors
    ///
    /// A stale-continuation error when `k` is gone.
    pub fn set_catch(&mut self, k: ContKey, handler: Option<Value>) -> Result<(), ScriptError> {
        let slot = self
            .slots
            .get_mut(k)
            .ok_or_else(|| ScriptError::stale_continuation("the continuation"))?;
        slot.catch = handler.map(Box::new);
        slot.catching = false;
        Ok(())
    }

    /// Sends `method` to `cap.invocant`. Immediate values go to the
    /// installed immediate responder.
    ///
    /// A method that made another continuation current must say so by
    /// answering [`Reply::Pending`]. One that moved control and answered
    /// anything else broke the hand-off contract: the loop makes the
    /// sender current again (freeing what the method started) and the
    /// send fails with [`crate::ErrorKind::BrokenHandOff`], so the sender
    /// never goes on with a value while another continuation runs.
    ///
    /// # Errors
    ///
    /// Whatever the method raises; `BrokenHandOff` as above.
    #[inline]
    pub fn send(&mut self, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
        let sender = self.current;
        let reply = match cap.invocant {
            Value::Obj(o) => o.send(self, method, cap),
            _ => (self.immediate)(self, method, cap),
        };
        if self.current != sender {
            return self.check_hand_off(sender, method, reply);
        }
        reply
    }

    /// The cold half of [`Cx::send`]'s contract check, for a method that
    /// moved control: `Pending` passes; any other answer puts `sender` back
    /// as the current continuation and fails.
    #[cold]
    #[inline(never)]
    fn check_hand_off(
        &mut self,
        sender: Option<ContKey>,
        method: Ident,
        reply: Result<Reply, ScriptError>,
    ) -> Result<Reply, ScriptError> {
        if let Ok(Reply::Pending) = reply {
            return reply;
        }
        let started = self.current;
        match sender {
            Some(k) if self.slots.contains_key(k) => {
                let _ = self.goto(k);
            }
            _ => {
                self.current = sender;
                if let Some(o) = started {
                    self.collect(o);
                }
            }
        }
        match reply {
            // A method that failed after moving control is taken at its
            // word: its error is the answer, and what it started is undone.
            Err(e) => Err(e),
            Ok(_) => Err(ScriptError::broken_hand_off(method)),
        }
    }

    /// Whether the running continuation should end its step early: an
    /// interrupt waits that could be delivered now (none is while a
    /// handler runs or delivery is deferred). Cheap enough to call on every
    /// backward jump.
    #[inline]
    pub fn should_yield(&self) -> bool {
        self.irq.ready || (self.irq.flag.load(Ordering::Relaxed) && self.irq.accepting)
    }

    /// Where continuation `k` stands, as `file:line:col` (or `-`), for
    /// traces.
    fn position_of(&self, k: ContKey) -> String {
        let mut frames = Vec::new();
        if let Some(c) = self.slots.get(k).and_then(|s| s.cont.as_ref()) {
            c.frames(&mut frames);
        }
        match frames.first() {
            Some(f) if f.col == 0 => format!("{}:{}", f.file, f.line),
            Some(f) => format!("{}:{}:{}", f.file, f.line, f.col),
            None => "-".to_owned(),
        }
    }

    /// The backtrace from the current continuation along `back`.
    pub fn backtrace(&self) -> Backtrace {
        match self.current {
            Some(k) => self.backtrace_from(k),
            None => Backtrace::default(),
        }
    }

    /// The backtrace from `k` along `back`, innermost first; long chains are
    /// elided in the middle.
    pub fn backtrace_from(&self, k: ContKey) -> Backtrace {
        let mut frames = Vec::new();
        let mut tail: std::collections::VecDeque<FrameInfo> = std::collections::VecDeque::new();
        let mut elided = 0usize;
        let mut next = Some(k);
        let mut buf = Vec::new();
        let mut origin_positioned = false;
        while let Some(k) = next {
            let Some(slot) = self.slots.get(k) else { break };
            buf.clear();
            match &slot.cont {
                Some(c) => {
                    c.frames(&mut buf);
                    if frames.is_empty() && !buf.is_empty() {
                        origin_positioned = c.messages_carry_positions();
                    }
                }
                None => buf.push(FrameInfo {
                    interp: slot.interp.name(),
                    file: Rc::from("<running>"),
                    line: 0,
                    col: 0,
                    name: None,
                }),
            }
            for fr in buf.drain(..) {
                if frames.len() < Backtrace::KEEP {
                    frames.push(fr);
                } else {
                    tail.push_back(fr);
                    if tail.len() > Backtrace::KEEP {
                        tail.pop_front();
                        elided += 1;
                    }
                }
            }
            next = slot.back;
        }
        frames.extend(tail);
        Backtrace {
            frames,
            elided,
            origin_positioned,
        }
    }
}
