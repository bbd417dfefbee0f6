//! The Mold VM: a [`MoldFrame`] is one activation of a [`Mold`] and a
//! run-loop continuation. A step runs up to the loop's quantum of
//! instructions, and ends early when a call answers "pending", when the
//! frame stops being current (a `goto`), or when an interrupt waits (checked
//! after calls and at backward jumps).
//!
//! Falling off the end of the code finishes the frame with the value of the
//! register written last (undef if none): the result of the last statement,
//! which the run loop delivers to `back` with `setr`.
//!
//! A frame's register vector holds its free registers followed by a copy of
//! the Mold's constants (validation guarantees nothing writes those), so a
//! register read is one index; copying a few immediates per call costs
//! less than a branch on every read. Register vectors are recycled through
//! a small per-thread pool, so a Code call allocates little.

use std::cell::RefCell;
use std::rc::Rc;

use polyeval_core::{
    Args, Capture, Continuation, FrameInfo, Ident, Interp, Reply, ScriptError, Step, Value,
};

use crate::mold::{Inst, Mold};
use crate::natives;

const POOL_MAX: usize = 256;

thread_local! {
    static REG_POOL: RefCell<Vec<Vec<Value>>> = const { RefCell::new(Vec::new()) };
}

/// Reads register `r` (free registers and the constants copied after
/// them share one vector, so a read is one index).
macro_rules! reg {
    ($regs:expr, $r:expr) => {
        &$regs[$r as usize]
    };
}

/// One activation of a Mold.
pub struct MoldFrame {
    mold: Rc<Mold>,
    /// The free registers `0..nfree`, then the constants.
    regs: Vec<Value>,
    /// The next instruction.
    pc: u32,
    /// The instruction running or pending, for positions.
    cur: u32,
    /// The register a pending call's result goes to.
    pending: Option<u32>,
    /// The register written last: the frame's result if it falls off.
    last: Option<u32>,
}

impl MoldFrame {
    /// A frame of `mold` whose first free registers are preloaded with
    /// `preload`, in order (extra preload values are dropped when the mold
    /// declares fewer registers).
    pub fn new(mold: Rc<Mold>, preload: &[Value]) -> Self {
        let nfree = mold.nfree as usize;
        let mut regs = REG_POOL
            .try_with(|p| p.borrow_mut().pop())
            .ok()
            .flatten()
            .unwrap_or_else(|| Vec::with_capacity(nfree + mold.consts.len()));
        regs.extend(preload.iter().take(nfree).cloned());
        regs.resize(nfree, Value::Nil);
        regs.extend(mold.consts.iter().cloned());
        MoldFrame {
            mold,
            regs,
            pc: 0,
            cur: 0,
            pending: None,
            last: None,
        }
    }

    /// The Mold this frame runs.
    pub fn mold(&self) -> &Rc<Mold> {
        &self.mold
    }

    #[cold]
    fn corrupt(&self, what: impl std::fmt::Display) -> Step {
        Step::Fail(ScriptError::runtime(format!(
            "internal error (a bug in polyeval): corrupt mold {}: {what}",
            self.mold.name
        )))
    }

    /// Every call but the integer fast path: sends with a capture that
    /// borrows the registers. Returns `Some(step)` when the step must end.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn call<const POLL: bool>(
        &mut self,
        rt: &mut Interp,
        me: Option<polyeval_core::ContKey>,
        regs: &mut [Value],
        last: &mut Option<u32>,
        arg_lists: &[u32],
        inst: Inst,
    ) -> Option<Step> {
        let (dst, result) = match inst {
            Inst::Call1 {
                dst,
                inv,
                method,
                arg,
            }
            | Inst::Call1If {
                dst,
                inv,
                method,
                arg,
                ..
            } => {
                let a = reg!(regs, inv);
                let b = reg!(regs, arg);
                if let Some(v) = natives::fast_binop(method, a, b) {
                    regs[dst as usize] = v;
                    *last = Some(dst);
                    return None;
                }
                self.pending = Some(dst);
                (
                    dst,
                    rt.send(method, Capture::new(a, std::slice::from_ref(b))),
                )
            }
            Inst::Call0 { dst, inv, method } => {
                self.pending = Some(dst);
                (dst, rt.send(method, Capture::new(reg!(regs, inv), &[])))
            }
            Inst::Call {
                dst,
                inv,
                method,
                args,
                npos,
                nnamed,
            } => {
                let start = args as usize;
                let mid = start + usize::from(npos);
                let end = mid + 2 * usize::from(nnamed);
                let Some(list) = arg_lists.get(start..end) else {
                    return Some(self.corrupt("argument list out of range"));
                };
                let (pos, named) = list.split_at(usize::from(npos));
                let positional: Args = pos.iter().map(|&r| reg!(regs, r).clone()).collect();
                let named: Vec<(Ident, Value)> = named
                    .chunks_exact(2)
                    .map(|p| (Ident::from_raw(p[0]), reg!(regs, p[1]).clone()))
                    .collect();
                self.pending = Some(dst);
                let cap = Capture {
                    invocant: reg!(regs, inv),
                    positional: &positional,
                    named: &named,
                };
                (dst, rt.send(method, cap))
            }
            _ => return None,
        };
        match result {
            Ok(Reply::Value(v)) => {
                self.pending = None;
                regs[dst as usize] = v;
                *last = Some(dst);
            }
            Ok(Reply::Pending) => return Some(Step::Continue),
            Err(e) => return Some(Step::Fail(e)),
        }
        // A goto ends the step; so does an interrupt the call raised (a
        // warning, say), so that it is delivered here.
        if rt.continuation() != me || (POLL && rt.should_yield()) {
            return Some(Step::Continue);
        }
        None
    }
}

impl MoldFrame {
    /// Benchmarks only: one step of this frame with the interpreter loop
    /// compiled without interrupt polls (backward jumps and calls do not
    /// look for pending interrupts). It measures what polling costs. It is
    /// `#[inline]` so that only a crate that calls it compiles this second
    /// copy of the loop: a copy in the same binary moves the real loop's
    /// speed by ~15 % through code layout alone.
    #[doc(hidden)]
    #[inline]
    pub fn eval_without_polls(&mut self, rt: &mut Interp) -> Step {
        let mut regs = std::mem::take(&mut self.regs);
        let mut last = self.last;
        let step = self.run::<false>(rt, &mut regs, &mut last);
        self.regs = regs;
        self.last = last;
        step
    }

    /// The interpreter loop proper, with the registers and the last-written
    /// register held in locals so they stay in machine registers.
    #[inline(always)]
    fn run<const POLL: bool>(
        &mut self,
        rt: &mut Interp,
        regs: &mut [Value],
        last: &mut Option<u32>,
    ) -> Step {
        let me = rt.continuation();
        let mold = self.mold.clone();
        let lowered = mold.lowered();
        let insts: &[Inst] = &lowered.insts;
        let mut budget = rt.quantum();
        let mut ip = self.pc as usize;
        loop {
            let Some(inst) = insts.get(ip) else {
                self.pc = ip as u32;
                if ip > insts.len() {
                    return self.corrupt(format_args!("instruction index {ip}"));
                }
                let v = last.map(|r| regs[r as usize].clone()).unwrap_or_default();
                return Step::Done(v);
            };
            // The integer fast paths are spelled out arm by arm, with an
            // early `continue` for `Call1`: folding them into shared helpers
            // measured 15 % slower on the loop benchmark.
            let jump = match *inst {
                Inst::Call1If {
                    dst,
                    inv,
                    method,
                    arg,
                    then,
                    otherwise,
                } => {
                    let a = reg!(regs, inv);
                    let b = reg!(regs, arg);
                    if let (&Value::Int(x), &Value::Int(y)) = (a, b) {
                        if let Some(r) = natives::int_binop(method, x, y) {
                            r.store(&mut regs[dst as usize]);
                            *last = Some(dst);
                            // The fused `If` at ip + 1 is skipped: branch now.
                            let taken = !matches!(r, natives::IntResult::Bool(false));
                            budget = budget.saturating_sub(1).max(1);
                            Some(if taken { then } else { otherwise })
                        } else {
                            (self.cur, self.pc) = (ip as u32, ip as u32 + 1);
                            if let Some(step) =
                                self.call::<POLL>(rt, me, regs, last, &lowered.args, *inst)
                            {
                                return step;
                            }
                            None
                        }
                    } else {
                        (self.cur, self.pc) = (ip as u32, ip as u32 + 1);
                        if let Some(step) =
                            self.call::<POLL>(rt, me, regs, last, &lowered.args, *inst)
                        {
                            return step;
                        }
                        None
                    }
                }
                Inst::Call1 {
                    dst,
                    inv,
                    method,
                    arg,
                } => {
                    let a = reg!(regs, inv);
                    let b = reg!(regs, arg);
                    if let (Value::Int(x), Value::Int(y)) = (a, b) {
                        if let Some(r) = natives::int_binop(method, *x, *y) {
                            r.store(&mut regs[dst as usize]);
                            *last = Some(dst);
                            ip += 1;
                            budget -= 1;
                            if budget == 0 {
                                (self.cur, self.pc) = (ip as u32, ip as u32);
                                return Step::Continue;
                            }
                            continue;
                        }
                    }
                    (self.cur, self.pc) = (ip as u32, ip as u32 + 1);
                    if let Some(step) = self.call::<POLL>(rt, me, regs, last, &lowered.args, *inst)
                    {
                        return step;
                    }
                    None
                }
                Inst::Call0 { .. } | Inst::Call { .. } => {
                    (self.cur, self.pc) = (ip as u32, ip as u32 + 1);
                    if let Some(step) = self.call::<POLL>(rt, me, regs, last, &lowered.args, *inst)
                    {
                        return step;
                    }
                    None
                }
                Inst::Move { dst, src } => {
                    regs[dst as usize] = reg!(regs, src).clone();
                    *last = Some(dst);
                    None
                }
                Inst::Goto { target } => Some(target),
                Inst::If {
                    cond,
                    then,
                    otherwise,
                } => Some(if reg!(regs, cond).truthy() {
                    then
                } else {
                    otherwise
                }),
                Inst::Noop => None,
            };
            if let Some(target) = jump {
                let target = target as usize;
                // A backward jump is a safe point for interrupts.
                if POLL && target <= ip && rt.should_yield() {
                    (self.cur, self.pc) = (ip as u32, target as u32);
                    return Step::Continue;
                }
                ip = target;
            } else {
                ip += 1;
            }
            budget -= 1;
            if budget == 0 {
                (self.cur, self.pc) = (ip as u32, ip as u32);
                return Step::Continue;
            }
        }
    }
}

impl Drop for MoldFrame {
    fn drop(&mut self) {
        let mut regs = std::mem::take(&mut self.regs);
        regs.clear();
        let _ = REG_POOL.try_with(|p| {
            let mut p = p.borrow_mut();
            if p.len() < POOL_MAX {
                p.push(regs);
            }
        });
    }
}

impl Continuation for MoldFrame {
    fn interpreter(&self) -> &'static str {
        "smop"
    }

    fn eval(&mut self, rt: &mut Interp) -> Step {
        let mut regs = std::mem::take(&mut self.regs);
        let mut last = self.last;
        let step = self.run::<true>(rt, &mut regs, &mut last);
        self.regs = regs;
        self.last = last;
        step
    }

    fn setr(&mut self, value: Value) {
        if let Some(d) = self.pending.take() {
            self.regs[d as usize] = value;
            self.last = Some(d);
        }
    }

    fn frames(&self, out: &mut Vec<FrameInfo>) {
        let lowered = self.mold.lowered();
        let word_pc = lowered
            .word_pc
            .get(self.cur as usize)
            .copied()
            .unwrap_or(u32::MAX);
        let pos = self.mold.pos_at(word_pc as usize);
        out.push(FrameInfo {
            interp: "smop",
            file: self.mold.file.clone(),
            line: pos.line,
            col: pos.col,
            name: Some(self.mold.name.clone()),
        });
    }
}
