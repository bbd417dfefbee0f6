//! The run loop's side of the memory budget ([`crate::values::memory`]): requests
//! that may first ask interpreters to free memory, the periodic check that
//! keeps interpreters' own limits in step with the total, and program
//! output that survives running out of memory.
//!
//! While a memory limit is in force the loop looks up every
//! [`MEMORY_CHECK_STEPS`] steps (through the same step limit as budgets and
//! probes, so nothing is paid without one), flushes program output and
//! tells the memory hooks ([`MemoryEvent::Check`]); it tells them too at
//! every hand-off between interpreters. That is where an interpreter with
//! a heap of its own (Lua) learns how much of the limit is left to it.
//! Past half the limit, or under an address-space limit, output is flushed
//! at every write (see [`memory::flush_each_write`]).

use std::io::Write;

use super::{Cx, InterpName};
use crate::error::ScriptError;
use crate::values::memory::{self, OutOfMemory};

/// Run-loop steps between two periodic memory checks.
pub const MEMORY_CHECK_STEPS: u64 = 64;

/// What a memory hook is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryEvent {
    /// The periodic check, or a hand-off between interpreters: bring any
    /// limit of your own in step with the memory limit and the heap in use
    /// now.
    Check,
    /// A request failed for want of memory: free what you can (collect
    /// garbage), then bring your limit in step as for `Check`.
    Reclaim,
}

/// A function the loop calls on memory events (see
/// [`crate::Interp::on_memory_event`]).
pub type MemoryHook = Box<dyn FnMut(&mut Cx, MemoryEvent)>;

/// Program output: the host's writer, flushed after every write while
/// [`memory::flush_each_write`] says so.
pub(super) struct Output {
    sink: Box<dyn Write>,
}

impl Output {
    pub(super) fn new(sink: Box<dyn Write>) -> Output {
        Output { sink }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.sink.write(buf)?;
        if memory::flush_each_write() {
            self.sink.flush()?;
        }
        Ok(n)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.sink.write_all(buf)?;
        if memory::flush_each_write() {
            self.sink.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.sink.flush()
    }
}

impl Cx {
    /// Registers `hook` for memory events: the periodic check while a
    /// memory limit is in force, and a failed [`Cx::reserve_memory`].
    pub(crate) fn on_memory_event(&mut self, hook: MemoryHook) {
        self.services.memory_hooks.push(hook);
    }

    /// Checks that `bytes` more fit under the memory limit before a script's
    /// request grows memory. When they do not, the memory hooks are asked
    /// to free memory ([`MemoryEvent::Reclaim`]) and the check is made once
    /// more. Costs one atomic load without a limit.
    ///
    /// # Errors
    ///
    /// An [`crate::ErrorKind::OutOfMemory`] script error ("out of memory:
    /// the memory limit (N bytes) is reached") when they still do not fit.
    #[inline]
    pub fn reserve_memory(&mut self, bytes: usize) -> Result<(), ScriptError> {
        match memory::check(bytes) {
            Ok(()) => Ok(()),
            Err(e) => self.reserve_after_reclaim(bytes, e),
        }
    }

    #[cold]
    #[inline(never)]
    fn reserve_after_reclaim(&mut self, bytes: usize, e: OutOfMemory) -> Result<(), ScriptError> {
        let e = if matches!(e, OutOfMemory::Limit { .. }) {
            self.memory_event(MemoryEvent::Reclaim);
            match memory::check(bytes) {
                Ok(()) => return Ok(()),
                Err(e) => e,
            }
        } else {
            e
        };
        let _ = self.services.out.flush();
        Err(e.into())
    }

    /// The periodic memory check, also for hosts that want one now (after
    /// setting a limit, say): flushes program output and tells the memory
    /// hooks ([`MemoryEvent::Check`]). Does nothing without a limit.
    pub fn check_memory(&mut self) {
        if !memory::active() {
            self.services.memory_next = u64::MAX;
            return;
        }
        self.services.memory_next = self.steps.saturating_add(MEMORY_CHECK_STEPS);
        let _ = self.services.out.flush();
        self.memory_event(MemoryEvent::Check);
    }

    /// After a step of interpreter `ran`, with a limit in force: a hand-off
    /// to another interpreter is a memory check too, so that an interpreter
    /// with a limit of its own starts every stretch with its share of what
    /// the others left.
    pub(super) fn memory_after_step(&mut self, ran: InterpName) {
        let next = self
            .current
            .and_then(|c| self.slots.get(c))
            .map(|s| s.interp);
        if next.is_some_and(|n| n.0 != ran.0) {
            self.memory_event(MemoryEvent::Check);
        }
    }

    /// Starts (or, without a limit, stops) the periodic checks; `run` calls
    /// it, so a limit set before the run is watched from its first step.
    pub(super) fn start_memory_checks(&mut self) {
        self.check_memory();
        self.recompute_limit();
    }

    fn memory_event(&mut self, event: MemoryEvent) {
        // Taken out while they run, so that a hook that needs memory
        // checked (a Lua finalizer during a collection) finds none to call
        // again.
        let mut hooks = std::mem::take(&mut self.services.memory_hooks);
        for hook in &mut hooks {
            hook(self, event);
        }
        hooks.append(&mut self.services.memory_hooks);
        self.services.memory_hooks = hooks;
    }
}
