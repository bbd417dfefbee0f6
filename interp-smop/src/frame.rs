//! The Mold VM: a [`MoldFrame`] is one activation of a [`Mold`] and a
//! run-loop continuation. A step runs up to the loop's quantum of
//! instructions, and ends early when a call answers "pending", when the
//! frame stops being current (a `goto`), or at a backward jump while an
//! interrupt waits.
//!
//! Falling off the end of the code finishes the frame with the value of the
//! register written last (undef if none): the result of the last statement,
//! which the run loop delivers to `back` with `setr`.

use std::rc::Rc;

use polyeval_core::{Capture, Continuation, FrameInfo, Interp, Reply, ScriptError, Step, Value};

use crate::mold::Mold;
use crate::natives;
use crate::ops::Op;

/// One activation of a Mold.
pub struct MoldFrame {
    mold: Rc<Mold>,
    regs: Vec<Value>,
    /// The next instruction.
    pc: usize,
    /// The instruction running or pending, for positions.
    cur: usize,
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
        let mut regs = Vec::with_capacity(nfree + mold.consts.len());
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
}

impl Continuation for MoldFrame {
    fn interpreter(&self) -> &'static str {
        "smop"
    }

    fn eval(&mut self, rt: &mut Interp) -> Step {
        let me = rt.continuation();
        let mold = self.mold.clone();
        let code: &[u32] = &mold.code;
        let mut budget = rt.quantum();
        loop {
            if self.pc >= code.len() {
                let v = self
                    .last
                    .map(|r| self.regs[r as usize].clone())
                    .unwrap_or_default();
                return Step::Done(v);
            }
            self.cur = self.pc;
            let (op, next) = match Op::decode(code, self.pc) {
                Ok(x) => x,
                Err(e) => return self.corrupt(e),
            };
            self.pc = next;
            match op {
                Op::Call {
                    dst,
                    inv,
                    method,
                    pos,
                    named,
                } => {
                    if pos.len() == 1 && named.is_empty() {
                        if let Some(v) = natives::fast_binop(
                            method,
                            &self.regs[inv as usize],
                            &self.regs[pos[0] as usize],
                        ) {
                            self.regs[dst as usize] = v;
                            self.last = Some(dst);
                            budget -= 1;
                            if budget == 0 {
                                return Step::Continue;
                            }
                            continue;
                        }
                    }
                    let cap = Capture {
                        invocant: Value::Nil,
                        positional: pos.iter().map(|&r| self.regs[r as usize].clone()).collect(),
                        named: named
                            .chunks_exact(2)
                            .map(|p| {
                                (
                                    polyeval_core::Ident::from_raw(p[0]),
                                    self.regs[p[1] as usize].clone(),
                                )
                            })
                            .collect(),
                    };
                    let target = self.regs[inv as usize].clone();
                    self.pending = Some(dst);
                    match rt.send(&target, method, cap) {
                        Ok(Reply::Value(v)) => {
                            self.pending = None;
                            self.regs[dst as usize] = v;
                            self.last = Some(dst);
                        }
                        Ok(Reply::Pending) => return Step::Continue,
                        Err(e) => return Step::Fail(e),
                    }
                    // A goto ends the step; so does an interrupt the call
                    // raised (a warning, say), so it is delivered here.
                    if rt.continuation() != me || rt.should_yield() {
                        return Step::Continue;
                    }
                }
                Op::Move { dst, src } => {
                    self.regs[dst as usize] = self.regs[src as usize].clone();
                    self.last = Some(dst);
                }
                Op::Goto { target } => {
                    self.pc = target as usize;
                    if self.pc <= self.cur && rt.should_yield() {
                        return Step::Continue;
                    }
                }
                Op::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    self.pc = if self.regs[cond as usize].truthy() {
                        then
                    } else {
                        otherwise
                    } as usize;
                    if self.pc <= self.cur && rt.should_yield() {
                        return Step::Continue;
                    }
                }
                Op::Noop {} => {}
            }
            budget -= 1;
            if budget == 0 {
                return Step::Continue;
            }
        }
    }

    fn setr(&mut self, value: Value) {
        if let Some(d) = self.pending.take() {
            self.regs[d as usize] = value;
            self.last = Some(d);
        }
    }

    fn frames(&self, out: &mut Vec<FrameInfo>) {
        let pos = self.mold.pos_at(self.cur);
        out.push(FrameInfo {
            interp: "smop",
            file: self.mold.file.clone(),
            line: pos.line,
            col: pos.col,
            name: Some(self.mold.name.clone()),
        });
    }
}
