//! The Mold VM: a [`MoldFrame`] is a run-loop continuation that stands for
//! a *segment* of Mold activations. A `Code` called from m0ld runs on the
//! calling segment's own frame stack, inside the same step, as Lua's VM
//! runs Lua-to-Lua calls; the run loop sees one continuation for the whole
//! segment. [`Continuation::expose`] splits it into one continuation per
//! activation when a script is about to name one (a continuation handle,
//! a catch handler, a section), so scripts always see the chain of
//! per-call continuations. An exposed segment runs its Code calls as
//! ordinary hand-offs.
//!
//! A step runs up to the loop's quantum of instructions, counted across
//! the segment's activations, and ends early when a call answers
//! "pending", when the frame stops being current (a `goto`), or when an
//! interrupt waits (checked after calls and at backward jumps).
//!
//! Falling off the end of the code finishes the activation with the value
//! of the register written last (undef if none): the result of the last
//! statement. The caller below in the segment gets it as its call's
//! result; the segment's bottom activation finishes the step with it, and
//! the run loop delivers it to `back` with `setr`.
//!
//! All activations' registers live in one vector, bottom first. An
//! activation's window holds its free registers, then a copy of the Mold's
//! constants (validation guarantees nothing writes those), then its
//! positional arguments when its `$capture` is elided, so a register read
//! is one index and a call allocates nothing once the vector has grown.

use std::cell::RefCell;
use std::rc::Rc;

use polyeval_core::{
    Args, Capture, Continuation, Cx, FrameInfo, Ident, OwnedCapture, Reply, ScriptError, Step,
    Value,
};

use crate::mold::{CachedLookup, Inst, LookupCache, Lowered, Mold};
use crate::natives;
use crate::prelude::code::{frame_bytes, CaptureObj, CodeObj};
use crate::prelude::containers::ScalarObj;
use crate::prelude::scope::{self, ScopeObj};

/// The most register vectors kept for reuse, and the largest one kept.
const POOL_MAX: usize = 256;
const POOLED_CAPACITY_MAX: usize = 64;

/// "No register" in [`Act::pending`] and [`Act::last`].
const NONE: u32 = u32::MAX;

thread_local! {
    static REG_POOL: RefCell<Vec<Vec<Value>>> = const { RefCell::new(Vec::new()) };
}

/// One activation of a Mold inside a segment.
struct Act {
    mold: Rc<Mold>,
    /// The scope an elided `$scope` hangs from (a Code body's outer).
    outer: Option<Rc<ScopeObj>>,
    /// Where the activation's registers start in the segment's vector.
    base: u32,
    /// Positional arguments stored after the constants.
    nargs: u32,
    /// The next instruction.
    pc: u32,
    /// The instruction running or pending, for positions.
    cur: u32,
    /// The register a pending call's result goes to ([`NONE`]: none).
    pending: u32,
    /// The register written last ([`NONE`]: none): the result if the
    /// activation falls off its end.
    last: u32,
    /// Runs the Code-body lowering ([`Mold::body_lowered`]).
    body: bool,
}

impl Act {
    fn lowered(&self) -> &Lowered {
        self.mold.lowering(self.body)
    }

    fn frame_info(&self) -> FrameInfo {
        let word_pc = self
            .lowered()
            .word_pc
            .get(self.cur as usize)
            .copied()
            .unwrap_or(u32::MAX);
        let pos = self.mold.pos_at(word_pc as usize);
        FrameInfo {
            interp: "smop",
            file: self.mold.file.clone(),
            line: pos.line,
            col: pos.col,
            name: Some(self.mold.name.clone()),
        }
    }
}

/// A segment of Mold activations: the running one and its callers.
pub struct MoldFrame {
    /// Every activation's registers, bottom first.
    stack: Vec<Value>,
    /// The running activation; its window runs to the end of `stack`.
    top: Act,
    /// The suspended callers, outermost first.
    below: Vec<Act>,
    /// Something names this continuation: it stands for `top` alone, and
    /// its Code calls are hand-offs through the run loop.
    exposed: bool,
    /// Called with the bottom activation's registers when the frame is
    /// freed (see [`MoldFrame::keep_registers`]).
    keeper: Option<RegisterKeeper>,
}

/// What [`MoldFrame::keep_registers`] calls: the bottom activation's Mold
/// and its free registers.
pub type RegisterKeeper = Box<dyn FnOnce(&Mold, &[Value])>;

/// Why the interpreter loop stopped.
enum Exit {
    /// The step ends.
    Step(Step),
    /// The instruction at `top.cur` calls this `Code`: push an activation.
    Call(Value),
    /// The activation fell off its end with this value.
    Return(Value),
    /// The run loop asked the segment to split ([`Interp::expose`]).
    Expose,
}

fn pooled_vec(capacity: usize) -> Vec<Value> {
    REG_POOL
        .try_with(|p| p.borrow_mut().pop())
        .ok()
        .flatten()
        .unwrap_or_else(|| Vec::with_capacity(capacity))
}

/// The arguments of a call, as register lists.
fn call_args<'a>(inst: &Inst, arg_lists: &'a [u32]) -> (ArgRegs<'a>, &'a [u32]) {
    match *inst {
        Inst::Call1 { arg, .. } | Inst::Call1If { arg, .. } => (ArgRegs::One(arg), &[]),
        Inst::Call1Imm { imm, .. } | Inst::Call1IfImm { imm, .. } => (ArgRegs::Imm(imm), &[]),
        Inst::Call {
            args, npos, nnamed, ..
        } => {
            let start = args as usize;
            let mid = start + usize::from(npos);
            let end = mid + 2 * usize::from(nnamed);
            match arg_lists.get(start..end) {
                Some(list) => {
                    let (pos, named) = list.split_at(usize::from(npos));
                    (ArgRegs::List(pos), named)
                }
                None => (ArgRegs::List(&[]), &[]),
            }
        }
        _ => (ArgRegs::List(&[]), &[]),
    }
}

#[derive(Clone, Copy)]
enum ArgRegs<'a> {
    One(u32),
    Imm(i64),
    List(&'a [u32]),
}

impl ArgRegs<'_> {
    fn collect(self, regs: &[Value]) -> Args {
        match self {
            ArgRegs::One(r) => std::iter::once(regs[r as usize].clone()).collect(),
            ArgRegs::Imm(i) => std::iter::once(Value::Int(i)).collect(),
            ArgRegs::List(l) => l.iter().map(|&r| regs[r as usize].clone()).collect(),
        }
    }
}

/// Appends the window of a Code body activation to `stack` and returns the
/// activation: `$interpreter`, then `$scope` and `$capture` (objects only
/// where the body needs them), undef up to the free register count, the
/// constants, then the positional arguments where `$capture` is elided.
fn enter(
    stack: &mut Vec<Value>,
    rt: &mut Cx,
    code: &CodeObj,
    callee: &Value,
    positional: Args,
    named: &[(Ident, Value)],
) -> Result<Act, ScriptError> {
    if polyeval_core::memory::active() {
        rt.reserve_memory(frame_bytes(&code.mold))?;
    }
    let mold = &code.mold;
    let lowered = mold.body_lowered();
    let nfree = mold.nfree as usize;
    let base = stack.len();
    polyeval_core::memory::try_grow(stack, nfree + mold.consts.len() + positional.len())?;
    let mut preload = [Value::Nil, Value::Nil, Value::Nil];
    preload[0] = rt.interp_value();
    if lowered.needs_scope {
        preload[1] = Value::Obj(ScopeObj::new_rc(code.outer.clone()));
    }
    let mut nargs = 0;
    let mut positional = Some(positional);
    if lowered.needs_capture {
        preload[2] = Value::obj(CaptureObj {
            cap: OwnedCapture {
                invocant: callee.clone(),
                positional: positional.take().unwrap_or_default(),
                named: named.to_vec(),
            },
        });
    }
    stack.extend(preload.into_iter().take(nfree));
    stack.resize(base + nfree, Value::Nil);
    if lowered.consts_in_window {
        stack.extend(mold.consts.iter().cloned());
    }
    if let Some(args) = positional.filter(|_| nfree > 2) {
        nargs = args.len() as u32;
        stack.extend(args);
    }
    Ok(Act {
        mold: mold.clone(),
        outer: code.outer_scope.clone(),
        base: base as u32,
        nargs,
        pc: 0,
        cur: 0,
        pending: NONE,
        last: NONE,
        body: true,
    })
}

/// `$scope."lookup"(name)` from an elided scope: a search of `outer`'s
/// chain, remembered by the site's cache until the scope epoch moves.
#[inline]
fn lookup(
    outer: Option<&Rc<ScopeObj>>,
    name: &Value,
    cache: &LookupCache,
) -> Result<Rc<ScalarObj>, ScriptError> {
    let name = name.as_bytes().unwrap_or_default();
    let Some(scope) = outer else {
        return Err(scope::not_bound(name));
    };
    let epoch = scope::epoch();
    if let Some(c) = &*cache.0.borrow() {
        if c.epoch == epoch && std::ptr::eq(c.from.as_ptr(), Rc::as_ptr(scope)) {
            if let Some(found) = c.found.upgrade() {
                return Ok(found);
            }
        }
    }
    let found = scope.find(name).ok_or_else(|| scope::not_bound(name))?;
    *cache.0.borrow_mut() = Some(CachedLookup {
        epoch,
        from: Rc::downgrade(scope),
        found: Rc::downgrade(&found),
    });
    Ok(found)
}

impl MoldFrame {
    /// A frame of `mold` whose first free registers are preloaded with
    /// `preload`, in order (extra preload values are dropped when the mold
    /// declares fewer registers).
    pub fn new(mold: Rc<Mold>, preload: &[Value]) -> Self {
        let nfree = mold.nfree as usize;
        let mut stack = pooled_vec(nfree + mold.consts.len());
        stack.extend(preload.iter().take(nfree).cloned());
        stack.resize(nfree, Value::Nil);
        stack.extend(mold.consts.iter().cloned());
        MoldFrame {
            stack,
            top: Act {
                mold,
                outer: None,
                base: 0,
                nargs: 0,
                pc: 0,
                cur: 0,
                pending: NONE,
                last: NONE,
                body: false,
            },
            below: Vec::new(),
            exposed: false,
            keeper: None,
        }
    }

    /// A frame that runs `code`'s body with the arguments of `cap` (whose
    /// invocant is the Code).
    ///
    /// # Errors
    ///
    /// An out-of-memory error when the memory budget has no room for it.
    pub fn for_code(rt: &mut Cx, code: &CodeObj, cap: Capture<'_>) -> Result<Self, ScriptError> {
        let mut stack =
            pooled_vec(code.mold.nfree as usize + code.mold.consts.len() + cap.positional.len());
        let top = enter(
            &mut stack,
            rt,
            code,
            cap.invocant,
            cap.positional.iter().cloned().collect(),
            cap.named,
        )?;
        Ok(MoldFrame {
            stack,
            top,
            below: Vec::new(),
            exposed: false,
            keeper: None,
        })
    }

    /// The Mold this frame runs.
    pub fn mold(&self) -> &Rc<Mold> {
        &self.top.mold
    }

    /// Benchmarks only: one step of this frame with the interpreter loop
    /// compiled without interrupt polls (backward jumps and calls do not
    /// look for pending interrupts). It measures what polling costs. It is
    /// `#[inline]` so that only a crate that calls it compiles this second
    /// copy of the loop: a copy in the same binary moves the real loop's
    /// speed by ~15 % through code layout alone.
    #[doc(hidden)]
    #[inline]
    pub fn eval_without_polls(&mut self, rt: &mut Cx) -> Step {
        self.run_segment::<false>(rt)
    }

    /// Runs the segment: the top activation's instructions, and the calls
    /// and returns among its activations, until the step ends.
    #[inline(always)]
    fn run_segment<const POLL: bool>(&mut self, rt: &mut Cx) -> Step {
        let me = rt.continuation();
        let mut budget = rt.quantum();
        loop {
            let can_push = !self.exposed && rt.segments().allowed();
            let base = self.top.base as usize;
            let exit = run::<POLL>(
                &mut self.top,
                &mut self.stack[base..],
                rt,
                me,
                &mut budget,
                can_push,
            );
            match exit {
                Exit::Step(step) => return step,
                Exit::Return(v) => {
                    let Some(caller) = self.below.pop() else {
                        return Step::Done(v);
                    };
                    self.stack.truncate(base);
                    self.top = caller;
                    if self.top.pending != NONE {
                        let d = self.top.pending;
                        self.stack[self.top.base as usize + d as usize] = v;
                        self.top.last = d;
                        self.top.pending = NONE;
                    }
                }
                Exit::Call(callee) => {
                    if let Err(e) = self.push(rt, callee) {
                        self.top.pending = NONE;
                        return Step::Fail(e);
                    }
                }
                Exit::Expose => {
                    let below = self.split();
                    if let Some(k) = me {
                        rt.segments().insert_below(k, below);
                    }
                }
            }
            if budget == 0 || (POLL && rt.should_yield()) {
                return Step::Continue;
            }
        }
    }

    /// Pushes an activation of `callee` (a Code) for the call at
    /// `top.cur`, reading its arguments from the caller's registers.
    fn push(&mut self, rt: &mut Cx, callee: Value) -> Result<(), ScriptError> {
        let Some(code) = callee.downcast::<CodeObj>() else {
            return Err(ScriptError::runtime(
                "internal error (a bug in polyeval): a segment call to a non-Code",
            ));
        };
        let caller = &self.top;
        let caller_lowered = caller.lowered();
        let Some(&inst) = caller_lowered.insts.get(caller.cur as usize) else {
            return Err(ScriptError::runtime(
                "internal error (a bug in polyeval): a segment call from nowhere",
            ));
        };
        let (pos, named) = call_args(&inst, &caller_lowered.args);
        let caller_base = caller.base as usize;
        let mold = &code.mold;
        let lowered = mold.body_lowered();
        if lowered.needs_scope || lowered.needs_capture {
            let regs = &self.stack[caller_base..];
            let positional = pos.collect(regs);
            let named: Vec<(Ident, Value)> = named
                .chunks_exact(2)
                .map(|p| (Ident::from_raw(p[0]), regs[p[1] as usize].clone()))
                .collect();
            polyeval_core::memory::try_grow(&mut self.below, 1)?;
            let act = enter(&mut self.stack, rt, code, &callee, positional, &named)?;
            self.below.push(std::mem::replace(&mut self.top, act));
            return Ok(());
        }
        // The common case, spelled out: no scope or capture object, the
        // arguments copied from the caller's registers after the constants.
        if polyeval_core::memory::active() {
            rt.reserve_memory(frame_bytes(mold))?;
        }
        let nfree = mold.nfree as usize;
        let stack = &mut self.stack;
        let base = stack.len();
        let nargs = if nfree > 2 {
            match pos {
                ArgRegs::One(_) | ArgRegs::Imm(_) => 1,
                ArgRegs::List(l) => l.len(),
            }
        } else {
            0
        };
        let nconsts = if lowered.consts_in_window {
            mold.consts.len()
        } else {
            0
        };
        // Growth that fails is an error, never an abort: the register
        // vector of a deep recursion is one large block.
        polyeval_core::memory::try_grow(stack, nfree + nconsts + nargs)?;
        polyeval_core::memory::try_grow(&mut self.below, 1)?;
        if nfree > 0 {
            stack.push(rt.interp_value());
            for _ in 1..nfree {
                stack.push(Value::Nil);
            }
        }
        if nconsts > 0 {
            stack.extend(mold.consts.iter().cloned());
        }
        if nargs > 0 {
            match pos {
                ArgRegs::One(r) => {
                    let v = stack[caller_base + r as usize].clone();
                    stack.push(v);
                }
                ArgRegs::Imm(i) => stack.push(Value::Int(i)),
                ArgRegs::List(l) => {
                    for &r in l {
                        let v = stack[caller_base + r as usize].clone();
                        stack.push(v);
                    }
                }
            }
        }
        let outer = if lowered.sites.is_empty() {
            None
        } else {
            code.outer_scope.clone()
        };
        let act = Act {
            mold: mold.clone(),
            outer,
            base: base as u32,
            nargs: nargs as u32,
            pc: 0,
            cur: 0,
            pending: NONE,
            last: NONE,
            body: true,
        };
        self.below.push(std::mem::replace(&mut self.top, act));
        Ok(())
    }

    /// Splits off the activations below the top, outermost first, each a
    /// continuation of its own; this one then stands for the top alone.
    fn split(&mut self) -> Vec<Box<dyn Continuation>> {
        self.exposed = true;
        if self.below.is_empty() {
            return Vec::new();
        }
        let top_regs = self.stack.split_off(self.top.base as usize);
        self.top.base = 0;
        // The bottom activation's registers are what the keeper keeps.
        let mut keeper = self.keeper.take();
        let mut out: Vec<Box<dyn Continuation>> = Vec::with_capacity(self.below.len());
        for mut act in std::mem::take(&mut self.below).into_iter().rev() {
            let regs = self.stack.split_off(act.base as usize);
            let bottom = act.base == 0;
            act.base = 0;
            out.push(Box::new(MoldFrame {
                stack: regs,
                top: act,
                below: Vec::new(),
                exposed: false,
                keeper: if bottom { keeper.take() } else { None },
            }));
        }
        out.reverse();
        self.stack = top_regs;
        out
    }

    /// Has `keeper` called with the bottom activation's Mold and free
    /// registers when this frame is freed, however it ends (its end, an
    /// error, a split that hands the bottom activation to a frame of its
    /// own, which takes the keeper along). The m0ld REPL keeps a line's
    /// registers for the next line this way.
    pub fn keep_registers(&mut self, keeper: RegisterKeeper) {
        self.keeper = Some(keeper);
    }

    /// The Mold of the bottom activation (the frame's first caller, or its
    /// only activation) and that activation's free registers: its `my`
    /// registers and its scratch register, in [`Mold::reg_names`] order.
    fn bottom_registers(&self) -> (&Rc<Mold>, &[Value]) {
        let mold = self.below.first().map_or(&self.top.mold, |a| &a.mold);
        let n = (mold.nfree as usize).min(self.stack.len());
        (mold, &self.stack[..n])
    }
}

/// Every call but the integer fast path: sends with a capture that borrows
/// the registers. Returns `Some(exit)` when the interpreter loop must stop.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn call<const POLL: bool>(
    pending: &mut u32,
    rt: &mut Cx,
    me: Option<polyeval_core::ContKey>,
    regs: &mut [Value],
    last: &mut u32,
    arg_lists: &[u32],
    inst: Inst,
    can_push: bool,
) -> Option<Exit> {
    let (dst, inv, method) = match inst {
        Inst::Call1 {
            dst,
            inv,
            method,
            arg,
            ..
        }
        | Inst::Call1If {
            dst,
            inv,
            method,
            arg,
            ..
        } => {
            let a = &regs[inv as usize];
            let b = &regs[arg as usize];
            if let Some(v) = natives::fast_binop(method, a, b) {
                regs[dst as usize] = v;
                *last = dst;
                return None;
            }
            (dst, inv, method)
        }
        Inst::Call0 { dst, inv, method }
        | Inst::Call {
            dst, inv, method, ..
        } => (dst, inv, method),
        Inst::Call1Imm {
            dst,
            inv,
            method,
            imm,
            ..
        }
        | Inst::Call1IfImm {
            dst,
            inv,
            method,
            imm,
            ..
        } => {
            if let Some(v) = natives::fast_binop(method, &regs[inv as usize], &Value::Int(imm)) {
                regs[dst as usize] = v;
                *last = dst;
                return None;
            }
            (dst, inv, method)
        }
        Inst::Fetch { dst, src } => (dst, src, Ident::FETCH),
        _ => return None,
    };
    *pending = dst;
    let invocant = &regs[inv as usize];
    if method == Ident::CALL && can_push && invocant.downcast::<CodeObj>().is_some() {
        return Some(Exit::Call(invocant.clone()));
    }
    let result = match inst {
        Inst::Call1 { arg, .. } | Inst::Call1If { arg, .. } => rt.send(
            method,
            Capture::new(invocant, std::slice::from_ref(&regs[arg as usize])),
        ),
        Inst::Call1Imm { imm, .. } | Inst::Call1IfImm { imm, .. } => {
            rt.send(method, Capture::new(invocant, &[Value::Int(imm)]))
        }
        Inst::Call { .. } => {
            let (pos, named) = call_args(&inst, arg_lists);
            let positional = pos.collect(regs);
            let named: Vec<(Ident, Value)> = named
                .chunks_exact(2)
                .map(|p| (Ident::from_raw(p[0]), regs[p[1] as usize].clone()))
                .collect();
            let cap = Capture {
                invocant: &regs[inv as usize],
                positional: &positional,
                named: &named,
            };
            rt.send(method, cap)
        }
        _ => rt.send(method, Capture::new(invocant, &[])),
    };
    match result {
        Ok(Reply::Value(v)) => {
            *pending = NONE;
            regs[dst as usize] = v;
            *last = dst;
        }
        Ok(Reply::Call(callee)) => return Some(Exit::Step(Step::Call(callee))),
        Ok(Reply::Goto(k)) => {
            // The frame waits at the call: a later `setr` is its result,
            // and a hand-off back without one finds nil there.
            regs[dst as usize] = Value::Nil;
            *last = dst;
            return Some(Exit::Step(Step::Goto(k)));
        }
        Ok(Reply::Pending) => return Some(Exit::Step(Step::Continue)),
        Err(e) => return Some(Exit::Step(Step::Fail(e))),
    }
    if rt.segments().take_expose_request(me) {
        return Some(Exit::Expose);
    }
    // An interrupt the call raised (a warning, say) ends the step, so that
    // it is delivered here.
    if POLL && rt.should_yield() {
        return Some(Exit::Step(Step::Continue));
    }
    None
}

#[cold]
fn corrupt(mold: &Mold, what: impl std::fmt::Display) -> Exit {
    Exit::Step(Step::Fail(ScriptError::runtime(format!(
        "internal error (a bug in polyeval): corrupt mold {}: {what}",
        mold.name
    ))))
}

/// The interpreter loop proper: runs `act`, whose registers are `regs`,
/// until the step ends or control moves to another activation. The
/// registers and the last-written register are held in locals so they stay
/// in machine registers.
#[inline(always)]
fn run<const POLL: bool>(
    act: &mut Act,
    regs: &mut [Value],
    rt: &mut Cx,
    me: Option<polyeval_core::ContKey>,
    budget: &mut u32,
    can_push: bool,
) -> Exit {
    let Act {
        mold,
        outer,
        nargs,
        pc,
        cur,
        pending,
        last,
        body,
        ..
    } = act;
    let lowered = mold.lowering(*body);
    let insts: &[Inst] = &lowered.insts;
    // Where an elided capture's positional arguments start.
    let arg_base = if lowered.consts_in_window {
        mold.nfree as usize + mold.consts.len()
    } else {
        mold.nfree as usize
    };
    let mut left = *budget;
    let mut ip = *pc as usize;
    let mut lw = *last;
    macro_rules! leave {
        ($exit:expr) => {{
            *last = lw;
            *budget = left;
            return $exit;
        }};
    }
    // The general path of a call at `ip`: the send, then whatever the
    // answer means for the loop (the call counts one instruction).
    macro_rules! send {
        ($inst:expr) => {{
            (*cur, *pc) = (ip as u32, ip as u32 + 1);
            if let Some(exit) = call::<POLL>(
                pending,
                rt,
                me,
                regs,
                &mut lw,
                &lowered.args,
                $inst,
                can_push,
            ) {
                left -= 1;
                leave!(exit);
            }
            None
        }};
    }
    // An integer fast path's result `r`: stored, then on to the next
    // instruction (the step ends when the budget does).
    macro_rules! int_next {
        ($dst:expr, $r:expr) => {{
            $r.store(&mut regs[$dst as usize]);
            lw = $dst;
            ip += 1;
            left -= 1;
            if left == 0 {
                (*cur, *pc) = (ip as u32, ip as u32);
                leave!(Exit::Step(Step::Continue));
            }
            continue;
        }};
    }
    // A fused comparison's result `r`: stored, then the branch the skipped
    // `If` at ip + 1 would take (both count against the budget).
    macro_rules! int_branch {
        ($dst:expr, $r:expr, $then:expr, $otherwise:expr) => {{
            $r.store(&mut regs[$dst as usize]);
            lw = $dst;
            let taken = !matches!($r, natives::IntResult::Bool(false));
            left = left.saturating_sub(1).max(1);
            Some(if taken { $then } else { $otherwise })
        }};
    }
    loop {
        let Some(inst) = insts.get(ip) else {
            *pc = ip as u32;
            if ip > insts.len() {
                leave!(corrupt(mold, format_args!("instruction index {ip}")));
            }
            let v = if lw == NONE {
                Value::Nil
            } else {
                regs[lw as usize].clone()
            };
            leave!(Exit::Return(v));
        };
        // The integer fast paths are spelled out arm by arm, with an early
        // `continue` for `Call1` (their shared parts are macros, which
        // expand in place): folding them into shared helper functions
        // measured 15 % slower on the loop benchmark.
        let jump = match *inst {
            Inst::Call1If {
                dst,
                inv,
                op,
                arg,
                then,
                otherwise,
                ..
            } => match (&regs[inv as usize], &regs[arg as usize]) {
                (&Value::Int(x), &Value::Int(y)) => match natives::int_op(op, x, y) {
                    Some(r) => int_branch!(dst, r, then, otherwise),
                    None => send!(*inst),
                },
                _ => send!(*inst),
            },
            Inst::Call1 {
                dst, inv, arg, op, ..
            } => {
                if let (Value::Int(x), Value::Int(y)) = (&regs[inv as usize], &regs[arg as usize]) {
                    if let Some(r) = natives::int_op(op, *x, *y) {
                        int_next!(dst, r);
                    }
                }
                send!(*inst)
            }
            Inst::Call1IfImm {
                dst,
                inv,
                op,
                imm,
                then,
                otherwise,
                ..
            } => match &regs[inv as usize] {
                &Value::Int(x) => match natives::int_op(op, x, imm) {
                    Some(r) => int_branch!(dst, r, then, otherwise),
                    None => send!(*inst),
                },
                _ => send!(*inst),
            },
            Inst::Call1Imm {
                dst, inv, op, imm, ..
            } => {
                if let Value::Int(x) = &regs[inv as usize] {
                    if let Some(r) = natives::int_op(op, *x, imm) {
                        int_next!(dst, r);
                    }
                }
                send!(*inst)
            }
            Inst::Fetch { dst, src } => {
                let v = match &regs[src as usize] {
                    Value::Obj(o) => {
                        let any: &dyn std::any::Any = &**o;
                        any.downcast_ref::<ScalarObj>()
                            .map(|s| s.value.borrow().clone())
                    }
                    imm => Some(imm.clone()),
                };
                match v {
                    Some(v) => {
                        regs[dst as usize] = v;
                        lw = dst;
                        None
                    }
                    None => {
                        send!(*inst)
                    }
                }
            }
            Inst::Call0 { .. } | Inst::Call { .. } => {
                send!(*inst)
            }
            Inst::Lookup { dst, name, site } => {
                let Some(cache) = lowered.sites.get(site as usize) else {
                    leave!(corrupt(mold, "lookup site out of range"));
                };
                let name = mold.consts.get(name as usize).unwrap_or(&Value::Nil);
                match lookup(outer.as_ref(), name, cache) {
                    Ok(c) => {
                        regs[dst as usize] = Value::Obj(c);
                        lw = dst;
                        None
                    }
                    Err(e) => {
                        (*cur, *pc) = (ip as u32, ip as u32 + 1);
                        leave!(Exit::Step(Step::Fail(e)));
                    }
                }
            }
            Inst::LookupFetch { dst, name, site } => {
                let Some(cache) = lowered.sites.get(site as usize) else {
                    leave!(corrupt(mold, "lookup site out of range"));
                };
                let name = mold.consts.get(name as usize).unwrap_or(&Value::Nil);
                match lookup(outer.as_ref(), name, cache) {
                    Ok(c) => {
                        let v = c.value.borrow().clone();
                        regs[dst as usize] = v;
                        lw = dst;
                        // The fused `Fetch` at ip + 1 is skipped.
                        ip += 1;
                        left = left.saturating_sub(1).max(1);
                        None
                    }
                    Err(e) => {
                        (*cur, *pc) = (ip as u32, ip as u32 + 1);
                        leave!(Exit::Step(Step::Fail(e)));
                    }
                }
            }
            Inst::Arg { dst, index } => {
                if index < *nargs {
                    regs[dst as usize] = regs[arg_base + index as usize].clone();
                    lw = dst;
                    None
                } else {
                    (*cur, *pc) = (ip as u32, ip as u32 + 1);
                    leave!(Exit::Step(Step::Fail(ScriptError::missing_positional(
                        index as usize,
                        *nargs as usize
                    ))));
                }
            }
            Inst::ArgCount { dst } => {
                regs[dst as usize] = Value::Int(i64::from(*nargs));
                lw = dst;
                None
            }
            Inst::Move { dst, src } => {
                regs[dst as usize] = regs[src as usize].clone();
                lw = dst;
                None
            }
            Inst::Goto { target } => Some(target),
            Inst::If {
                cond,
                then,
                otherwise,
            } => Some(if regs[cond as usize].truthy() {
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
                (*cur, *pc) = (ip as u32, target as u32);
                leave!(Exit::Step(Step::Continue));
            }
            ip = target;
        } else {
            ip += 1;
        }
        left -= 1;
        if left == 0 {
            (*cur, *pc) = (ip as u32, ip as u32);
            leave!(Exit::Step(Step::Continue));
        }
    }
}

impl Drop for MoldFrame {
    fn drop(&mut self) {
        if let Some(keeper) = self.keeper.take() {
            let (mold, values) = self.bottom_registers();
            keeper(mold, values);
        }
        let mut regs = std::mem::take(&mut self.stack);
        regs.clear();
        if regs.capacity() > POOLED_CAPACITY_MAX {
            return;
        }
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

    fn eval(&mut self, rt: &mut Cx) -> Step {
        self.run_segment::<true>(rt)
    }

    fn setr(&mut self, value: Value) {
        if self.top.pending != NONE {
            let d = self.top.pending;
            self.top.pending = NONE;
            self.stack[self.top.base as usize + d as usize] = value;
            self.top.last = d;
        }
    }

    fn frames(&self, out: &mut Vec<FrameInfo>) {
        out.push(self.top.frame_info());
        out.extend(self.below.iter().rev().map(Act::frame_info));
    }

    fn expose(&mut self) -> Vec<Box<dyn Continuation>> {
        self.split()
    }
}
