//! Interrupts: the thread-safe [`InterruptHandle`], the per-loop queue and
//! handler table, and the default actions for kinds with no handler.
//!
//! Delivery itself (the detour) is done by the run loop in `runloop.rs`;
//! this module owns only the data.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use crossbeam_channel::{Receiver, Sender};

use crate::error::{FrameInfo, HostError};
use crate::runloop::cont::ContKey;
use crate::values::ident::Ident;
use crate::values::value::{SendValue, Value};

/// An interrupt as it crosses threads.
#[derive(Clone, Debug, PartialEq)]
pub struct Interrupt {
    /// The kind: `SIGINT`, `warning`, `timer`, or any user name.
    pub kind: Ident,
    /// The payload handed to the handler.
    pub payload: SendValue,
}

/// Raises interrupts into one run loop from any thread.
///
/// Raising is a channel send plus an atomic store; the loop polls the flag
/// between steps, so an idle handle costs the loop one relaxed load a step.
#[derive(Clone)]
pub struct InterruptHandle {
    tx: Sender<Interrupt>,
    flag: Arc<AtomicBool>,
    wakers: Arc<RwLock<Vec<Waker>>>,
    accepting: Arc<AtomicBool>,
    pub(crate) watch: Arc<SignalWatch>,
}

/// What the OS-signal thread knows of the loop, so that it can end a
/// program that does not reach a safe point (see `signals.rs`). Indexes
/// are those of [`crate::interrupts::signals::FORWARDED`].
#[derive(Debug, Default)]
pub(crate) struct SignalWatch {
    /// Bit `i`: the kind of signal `i` has a handler installed.
    pub handled: AtomicU32,
    /// Per signal: how many were raised through the signal thread.
    pub raised: [AtomicU64; 5],
    /// Per signal: how many the loop took from its queue (delivery began).
    pub taken: [AtomicU64; 5],
    /// Per signal: how many were dealt with (the handler returned, or the
    /// default action was taken).
    pub finished: [AtomicU64; 5],
}

impl SignalWatch {
    pub(crate) fn note(counter: &[AtomicU64; 5], kind: Ident) {
        if let Some(i) = crate::interrupts::signals::index_of(kind) {
            counter[i].fetch_add(1, Ordering::SeqCst);
        }
    }
}

impl std::fmt::Debug for InterruptHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InterruptHandle")
            .field("pending", &self.is_pending())
            .finish_non_exhaustive()
    }
}

/// Called after every raise through a handle, from the raising thread: an
/// interpreter that runs long stretches without polling (Lua without a
/// count hook) uses it to make its running code look up.
pub type Waker = Box<dyn Fn() + Send + Sync>;

impl InterruptHandle {
    /// Queues an interrupt of `kind` with `payload`.
    ///
    /// # Errors
    ///
    /// [`HostError::LoopGone`] when the run loop was dropped.
    pub fn raise(&self, kind: &str, payload: SendValue) -> Result<(), HostError> {
        self.raise_ident(Ident::new(kind), payload)
    }

    /// Whether an interrupt raised through a handle waits and could be
    /// delivered now (no handler runs, delivery is not deferred). Two
    /// atomic loads: cheap enough for an instruction-count hook.
    pub fn is_pending(&self) -> bool {
        self.flag.load(Ordering::SeqCst) && self.accepting.load(Ordering::SeqCst)
    }

    /// Like [`InterruptHandle::raise`], with an interned kind.
    ///
    /// # Errors
    ///
    /// [`HostError::LoopGone`] when the run loop was dropped.
    pub fn raise_ident(&self, kind: Ident, payload: SendValue) -> Result<(), HostError> {
        self.tx
            .send(Interrupt { kind, payload })
            .map_err(|_| HostError::LoopGone.cold())?;
        // Sequentially consistent, so that a waker's "already signalled"
        // shortcut can never hide this raise (see `polyeval-lua`'s ffi).
        self.flag.store(true, Ordering::SeqCst);
        // While a handler runs (or delivery is deferred) nothing could be
        // delivered: waking running code would only slow it down.
        if self.accepting.load(Ordering::SeqCst) {
            // A poisoned list still holds whole wakers: a waker that
            // panicked cannot leave it half-changed.
            let wakers = self.wakers.read().unwrap_or_else(|e| e.into_inner());
            for w in wakers.iter() {
                w();
            }
        }
        Ok(())
    }
}

/// What happens to an interrupt whose kind has no handler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultAction {
    /// Nothing: the interrupt is counted and dropped.
    Ignore,
    /// Print `warning: PAYLOAD (FILE:LINE)` on the loop's error stream.
    Warn,
    /// Stop the loop with [`crate::RunError::Interrupted`] and this exit status.
    Exit(i32),
    /// Run a built-in handler that does nothing, as a detour: the hand-off
    /// machinery runs exactly as for a user handler (the `probe` default).
    Detour,
    /// Fail the interrupted continuation with the error `interrupted!`, as
    /// if its code had raised it there: a catch handler or `pcall` may
    /// catch it; uncaught, it ends the program with status 130, as an
    /// unhandled SIGINT does. The REPLs set it for SIGINT, so that Ctrl-C
    /// ends the running line and not the session.
    Raise,
}

/// An interrupt waiting in the loop's queue.
#[derive(Debug)]
pub(crate) struct Queued {
    pub kind: Ident,
    pub payload: Value,
    /// Where it was raised, for warnings; filled after the raising step.
    pub origin: Option<FrameInfo>,
    pub needs_origin: bool,
}

/// The run loop's interrupt state. What the loop tests at every step is
/// inline; the rest ([`IrqState`]) is boxed, so that the loop stays small
/// enough to move cheaply (a Lua step lends it out).
pub(crate) struct IrqQueue {
    pub flag: Arc<AtomicBool>,
    /// True when the queue holds something deliverable now. Kept in sync by
    /// [`IrqQueue::refresh`] so the loop's poll is one load and one test.
    pub ready: bool,
    /// Set when an interrupt was queued locally and waits for its origin.
    pub needs_origin: bool,
    /// No handler runs and delivery is not deferred: an interrupt raised
    /// now could be delivered at the next safe point.
    pub accepting: bool,
    pub state: Box<IrqState>,
}

/// The queue, the handler and default tables, the raising side (channel,
/// wakers) and the bookkeeping of the handler now running: the part of
/// [`IrqQueue`] the loop reads only when something is pending.
pub(crate) struct IrqState {
    pub tx: Sender<Interrupt>,
    pub rx: Receiver<Interrupt>,
    pub wakers: Arc<RwLock<Vec<Waker>>>,
    /// [`IrqQueue::accepting`], for raising threads.
    pub accepting_shared: Arc<AtomicBool>,
    pub queue: VecDeque<Queued>,
    pub handlers: HashMap<Ident, Value>,
    pub watch: Arc<SignalWatch>,
    pub defaults: HashMap<Ident, DefaultAction>,
    /// The detour handler continuation now running; handlers do not nest.
    pub active: Option<ContKey>,
    /// The kind of the interrupt whose handler is `active`.
    pub active_kind: Option<Ident>,
    /// The loop's step count when the active handler started: the
    /// handler's steps are taken back out when it ends, so that the
    /// interrupted program's step count (its budget, the probe schedule)
    /// never sees them.
    pub steps_at_handler: u64,
    /// Steps run by handlers so far.
    pub handler_steps: u64,
    /// Depth of `without_interrupts` sections; delivery waits while > 0.
    pub deferred: u32,
    /// Continuations that defer delivery while they live (m0ld's
    /// `without_interrupts`): freeing one ends its section, however it
    /// ends.
    pub deferring: Vec<ContKey>,
    /// How many interrupts were delivered (handled or defaulted).
    pub delivered: u64,
}

impl IrqQueue {
    pub fn new() -> Self {
        let (tx, rx) = crossbeam_channel::unbounded();
        let mut defaults = HashMap::new();
        defaults.insert(Ident::WARNING, DefaultAction::Warn);
        defaults.insert(Ident::SIGINT, DefaultAction::Exit(130));
        defaults.insert(Ident::SIGTERM, DefaultAction::Exit(143));
        // The shell's convention for a death by signal: 128 + its number.
        defaults.insert(Ident::SIGHUP, DefaultAction::Exit(129));
        defaults.insert(Ident::SIGUSR1, DefaultAction::Exit(138));
        defaults.insert(Ident::SIGUSR2, DefaultAction::Exit(140));
        defaults.insert(Ident::PROBE, DefaultAction::Detour);
        IrqQueue {
            flag: Arc::new(AtomicBool::new(false)),
            ready: false,
            needs_origin: false,
            accepting: true,
            state: Box::new(IrqState {
                tx,
                rx,
                wakers: Arc::new(RwLock::new(Vec::new())),
                accepting_shared: Arc::new(AtomicBool::new(true)),
                queue: VecDeque::new(),
                handlers: HashMap::new(),
                watch: Arc::new(SignalWatch::default()),
                defaults,
                active: None,
                active_kind: None,
                steps_at_handler: 0,
                handler_steps: 0,
                deferred: 0,
                deferring: Vec::new(),
                delivered: 0,
            }),
        }
    }

    pub fn handle(&self) -> InterruptHandle {
        InterruptHandle {
            tx: self.state.tx.clone(),
            flag: self.flag.clone(),
            wakers: self.state.wakers.clone(),
            accepting: self.state.accepting_shared.clone(),
            watch: self.state.watch.clone(),
        }
    }

    /// Moves everything raised from other threads into the queue.
    pub fn drain(&mut self) {
        if self.flag.swap(false, Ordering::Acquire) {
            while let Ok(i) = self.state.rx.try_recv() {
                self.push_plain(i.kind, i.payload.into_value());
            }
        }
        self.refresh();
    }

    /// Queues an interrupt raised on the loop's own thread.
    pub fn push_local(&mut self, kind: Ident, payload: Value, origin: Option<FrameInfo>) {
        let needs_origin = origin.is_none();
        self.needs_origin |= needs_origin;
        self.state.queue.push_back(Queued {
            kind,
            payload,
            origin,
            needs_origin,
        });
        self.refresh();
    }

    /// Waits until an interrupt arrives from another thread or `deadline`
    /// passes, and queues what arrived. Returns whether anything did.
    pub fn wait_until(&mut self, deadline: std::time::Instant) -> bool {
        match self.state.rx.recv_deadline(deadline) {
            Ok(i) => {
                self.push_plain(i.kind, i.payload.into_value());
                self.drain();
                true
            }
            Err(_) => false,
        }
    }

    /// Queues an interrupt that needs no origin (one from another thread,
    /// a report of a failed handler, a scheduled probe).
    pub fn push_plain(&mut self, kind: Ident, payload: Value) {
        self.state.queue.push_back(Queued {
            kind,
            payload,
            origin: None,
            needs_origin: false,
        });
        self.refresh();
    }

    /// Whether an interrupt of `kind` waits in the queue or is being
    /// handled.
    pub fn has(&self, kind: Ident) -> bool {
        self.state.active_kind == Some(kind) || self.state.queue.iter().any(|q| q.kind == kind)
    }

    pub fn refresh(&mut self) {
        let accepting = self.state.active.is_none()
            && self.state.deferred == 0
            && self.state.deferring.is_empty();
        self.ready = accepting && !self.state.queue.is_empty();
        if accepting != self.accepting {
            self.accepting = accepting;
            self.state
                .accepting_shared
                .store(accepting, Ordering::SeqCst);
        }
    }

    pub fn default_action(&self, kind: Ident) -> DefaultAction {
        self.state
            .defaults
            .get(&kind)
            .copied()
            .unwrap_or(DefaultAction::Ignore)
    }
}
