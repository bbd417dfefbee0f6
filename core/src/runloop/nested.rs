//! Nested run loops: the same loop run inside a step, for interpreters
//! that cannot end their step where they stand (Lua inside a C call, or a
//! callback that may not yield).
//!
//! Everything else ends its step and lets the one loop go on; a nested
//! loop is the exception, capped at [`Interp::set_max_nested`] levels. A
//! stop that must end the program (the budget, an exit interrupt) met
//! inside one is kept for the outermost loop, which reports it.

use std::sync::atomic::Ordering;

use tracing::debug;

#[cfg(doc)]
use super::Interp;
use super::{stopping, Cx, RunError};
use crate::error::{ErrorKind, ScriptError};
use crate::runloop::cont::ContKey;
use crate::values::value::Value;

/// The loop's nested-loop operations, as a step sees them: [`Cx::nested`].
/// Only an interpreter that cannot always end its step needs them.
pub struct Nested<'a> {
    cx: &'a mut Cx,
}

impl Cx {
    /// The nested-loop operations of the loop.
    #[inline]
    pub fn nested(&mut self) -> Nested<'_> {
        Nested { cx: self }
    }
}

impl Nested<'_> {
    /// Runs a nested loop for continuation `k`, which is running a step and
    /// has just made a callee current (a pending method call): steps run
    /// until the callee's result comes back to `k`, which is returned. This
    /// is for interpreters that cannot end their step where they stand (a
    /// Lua callback that may not yield); everything else ends its step and
    /// lets the one loop go on.
    ///
    /// # Errors
    ///
    /// The script error that unwound to `k`; a depth-limit error when
    /// [`Interp::set_max_nested`] nested loops are already running; a
    /// runtime error when control left `k`'s chain for good. A stop that
    /// must end the program (budget, exit interrupt) is also kept for the
    /// outermost loop, which reports it.
    pub fn run(&mut self, k: ContKey) -> Result<Value, ScriptError> {
        if !self.cx.running {
            return Err(ScriptError::runtime(
                "a nested run loop needs a running loop",
            ));
        }
        if self.cx.nested >= self.cx.max_nested {
            return Err(ScriptError::new(
                ErrorKind::NestingLimit,
                format!(
                    "nested run loop depth limit ({}) reached",
                    self.cx.max_nested
                ),
            ));
        }
        self.cx.nested += 1;
        debug!(depth = self.cx.nested, "nested run loop");
        let r = self.cx.run_steps(Some(k));
        self.cx.nested -= 1;
        match r {
            Ok(v) => Ok(v),
            Err(RunError::Script(e)) => Err(e),
            Err(other) => {
                let msg = format!("the run loop stopped: {}", other.report().trim_end());
                if self.cx.services.fatal.is_none() {
                    self.cx.services.fatal = Some(other);
                }
                Err(ScriptError::runtime(msg))
            }
        }
    }

    /// Gives the loop its turn where the running continuation cannot end
    /// its step (Lua inside a C call: a `table.sort` comparator, a
    /// metamethod called from C, a finalizer): whatever the loop would do
    /// between steps now (deliver an interrupt to its handler as a detour,
    /// raise a due probe, stop at the budget) happens here, in a nested
    /// run loop that returns once the detour is over. Nothing happens when
    /// nothing is due.
    ///
    /// # Errors
    ///
    /// A stop that must end the program (the step budget, an interrupt
    /// whose default action is to exit, a stop met in a nested loop): it is
    /// kept for the outermost loop, which reports it, and the caller must
    /// unwind to a place where it can end its step.
    pub fn serve_in_place(&mut self) -> Result<(), ScriptError> {
        if let Some(f) = &self.cx.services.fatal {
            return Err(stopping(f));
        }
        let Some(k) = self.cx.current.filter(|&k| self.cx.is_running(k)) else {
            return Ok(());
        };
        let due = self.cx.steps >= self.cx.limit
            || self.cx.irq.ready
            || (self.cx.irq.flag.load(Ordering::Relaxed) && self.cx.irq.accepting);
        if !due {
            return Ok(());
        }
        if self.cx.nested >= self.cx.max_nested {
            // No room for a nested loop: only a stop is served.
            if self.cx.steps >= self.cx.max_steps {
                let f = self.cx.budget_stop(k);
                let e = stopping(&f);
                self.cx.services.fatal = Some(f);
                return Err(e);
            }
            return Ok(());
        }
        self.run(k).map(|_| ())
    }

    /// Whether a stop that must end the program waits for the outermost
    /// loop (see [`Nested::serve_in_place`]).
    pub fn is_stopping(&self) -> bool {
        self.cx.services.fatal.is_some()
    }

    /// How many nested run loops are running now.
    pub fn depth(&self) -> u32 {
        self.cx.nested
    }
}
