//! The CEK machine: a control (an expression to evaluate, a value to
//! return, a procedure to apply, or an error to hand to a `catch`), an
//! environment, and a continuation ([`FrameList`]).
//!
//! [`Machine::run`] performs at most `rt.quantum()` transitions and stops
//! early when `rt.should_yield()`, when a call into another interpreter
//! answers pending, or when control moves elsewhere. Tail calls replace
//! the control without pushing a frame, so they run in constant space;
//! every other call pushes a frame on the heap, so recursion is bounded by
//! memory, never by the native stack.

use std::rc::Rc;

use polyeval_core::{ContKey, Cx, ErrorObject, FrameInfo, Ident, ScriptError, Step, Value};

use crate::ast::{Clause, CodeRef, NodeKind, NodeRef, Site};
use crate::builtins::eqv;
use crate::cont::Activation;
use crate::env::{frame_at, is_unassigned, unassigned, Env, EnvFrame, GlobalCell};
use crate::frames::{Frame, FrameList};
use crate::values::{Condition, Procedure, Raised};

mod apply;

/// What the machine does next.
pub(crate) enum Ctl {
    Eval(NodeRef),
    Return(Value),
    Apply(Value, Vec<Value>),
    /// An error for the nearest `catch` frame.
    Handle(Box<ScriptError>),
}

/// One Scheme computation.
pub(crate) struct Machine {
    pub ctl: Ctl,
    pub env: Option<Env>,
    pub k: FrameList,
    /// The call being applied, or where the last error arose.
    pub site: Option<Site>,
    /// A call into another interpreter is pending: its result comes by
    /// `setr` (or its error by `throw`).
    pub waiting: bool,
    /// The activation whose bottom frame ends `k`: this machine's own,
    /// unless a continuation of another activation was resumed here.
    pub owner: Rc<Activation>,
    /// Where a continuation of another activation was last resumed, and
    /// the frames it replaced: a one-shot error is raised there.
    pub resumed: Option<Resumed>,
}

/// The context a continuation of another activation was resumed from.
pub(crate) struct Resumed {
    site: Option<Site>,
    frames: FrameList,
    owner: Rc<Activation>,
}

/// More than one transition allocates (a frame, an environment, a
/// closure, a few pairs): what each asks of the memory limit, when one is
/// set. Builtins that build large values ask for their size themselves.
const TRANSITION_BYTES: usize = 512;

/// A transition's outcome: `Ok(None)` to go on, `Ok(Some(step))` to end
/// the step with it.
type Go = Result<Option<Step>, ScriptError>;

/// Prefixes an error that has not unwound through the loop yet with
/// `site`'s position.
#[cold]
pub(crate) fn locate(mut e: ScriptError, site: Option<&Site>) -> ScriptError {
    if let Some(s) = site {
        if e.backtrace.frames.is_empty() && !e.message.starts_with(&*s.file) {
            let msg = format!("{}{}", s.prefix(), e.message);
            if e.payload
                .as_bytes()
                .is_some_and(|p| p == e.message.as_bytes())
            {
                e.payload = Value::str(&msg);
            }
            e.message = msg;
        }
    }
    e
}

/// A run-time error at `site`.
#[cold]
fn error_at(site: &Site, msg: String) -> ScriptError {
    ScriptError::runtime(format!("{}{msg}", site.prefix()))
}

/// Scheme's truth: everything but `#f` is true.
fn truthy(v: &Value) -> bool {
    !matches!(v, Value::Bool(false))
}

/// What a Scheme `catch` handler receives for `err`.
fn condition_of(err: ScriptError) -> Value {
    if let Some(r) = err.payload.downcast::<Raised>() {
        return r.value.clone();
    }
    if err.payload.downcast::<Condition>().is_some() {
        return err.payload.clone();
    }
    ErrorObject::value(err)
}

impl Machine {
    /// A machine that starts with `ctl` and the continuation `k`.
    pub fn new(ctl: Ctl, k: FrameList, owner: Rc<Activation>) -> Machine {
        Machine {
            ctl,
            env: None,
            k,
            site: None,
            waiting: false,
            owner,
            resumed: None,
        }
    }

    /// Runs one bounded step for the activation `act`.
    pub fn run(&mut self, rt: &mut Cx, act: &Rc<Activation>) -> Step {
        let me = rt.continuation();
        let mut budget = rt.quantum();
        loop {
            if polyeval_core::memory::active() {
                if let Err(e) = rt.reserve_memory(TRANSITION_BYTES) {
                    let e = locate(e, self.site.as_ref());
                    if self.k.catches() == 0 {
                        return Step::Fail(e);
                    }
                    self.ctl = Ctl::Handle(Box::new(e));
                }
            }
            let ctl = std::mem::replace(&mut self.ctl, Ctl::Return(Value::Nil));
            let r = match ctl {
                Ctl::Eval(node) => self.eval(node),
                Ctl::Return(v) => self.ret(rt, v, act, me),
                Ctl::Apply(f, args) => self.apply(rt, f, args, act, me),
                Ctl::Handle(e) => self.handle(*e),
            };
            match r {
                Ok(None) => {}
                Ok(Some(step)) => return step,
                Err(e) => {
                    if self.k.catches() == 0 {
                        return Step::Fail(e);
                    }
                    self.ctl = Ctl::Handle(Box::new(e));
                }
            }
            budget -= 1;
            if budget == 0 || rt.should_yield() {
                return Step::Continue;
            }
        }
    }

    /// Appends the backtrace frames: where it stands, then every frame.
    pub fn frames(&self, out: &mut Vec<FrameInfo>) {
        if let Some(s) = &self.site {
            out.push(s.frame());
        }
        self.k.frames(out);
    }

    fn handle(&mut self, e: ScriptError) -> Go {
        // What the failing code held goes now (the handler is a closure).
        self.env = None;
        match self.k.unwind_to_catch() {
            Some(handler) => {
                self.ctl = Ctl::Apply(handler, vec![condition_of(e)]);
                Ok(None)
            }
            None => Err(e),
        }
    }

    /// The value of a node that needs no frame, or `None`.
    fn simple(&mut self, n: &NodeRef) -> Option<Result<Value, ScriptError>> {
        Some(match &n.kind {
            NodeKind::Const(v) => Ok(v.clone()),
            NodeKind::Local {
                depth,
                index,
                name,
                checked,
            } => self.local(n, *depth, *index, *name, *checked),
            NodeKind::Global(cell) => self.global(n, cell),
            NodeKind::Known { depth, index, name } => {
                let env = frame_at(&self.env, *depth).cloned();
                match self.local(n, *depth, *index, *name, true) {
                    Ok(v) => match (v.downcast::<CodeRef>(), env) {
                        (Some(c), Some(env)) => Ok(Value::obj(Procedure {
                            code: c.0.clone(),
                            env: Some(env),
                        })),
                        _ => Ok(v),
                    },
                    Err(e) => Err(e),
                }
            }
            NodeKind::Lambda(code) => Ok(Value::obj(Procedure {
                code: code.clone(),
                env: self.env.clone(),
            })),
            _ => return None,
        })
    }

    fn local(
        &mut self,
        n: &NodeRef,
        depth: u32,
        index: u32,
        name: Ident,
        checked: bool,
    ) -> Result<Value, ScriptError> {
        let v =
            frame_at(&self.env, depth).and_then(|f| f.slots.borrow().get(index as usize).cloned());
        match v {
            Some(v) if !(checked && is_unassigned(&v)) => Ok(v),
            Some(_) => {
                self.site = Some(n.site.clone());
                Err(error_at(
                    &n.site,
                    format!("{name}: variable used before its definition"),
                ))
            }
            None => Err(error_at(
                &n.site,
                format!("internal error: no slot for {name}"),
            )),
        }
    }

    fn global(&mut self, n: &NodeRef, cell: &GlobalCell) -> Result<Value, ScriptError> {
        match &*cell.value.borrow() {
            Some(v) => Ok(v.clone()),
            None => {
                self.site = Some(n.site.clone());
                Err(error_at(
                    &n.site,
                    format!("unbound variable: {}", cell.name),
                ))
            }
        }
    }

    fn eval(&mut self, node: NodeRef) -> Go {
        if let Some(r) = self.simple(&node) {
            self.ctl = Ctl::Return(r?);
            return Ok(None);
        }
        let env = self.env.clone();
        let next = match &node.kind {
            NodeKind::SetLocal { value, .. } | NodeKind::SetGlobal { value, .. } => value.clone(),
            NodeKind::If { test, .. } => test.clone(),
            NodeKind::Seq(parts) | NodeKind::Logic { parts, .. } => {
                let first = parts[0].clone();
                let frame = if matches!(node.kind, NodeKind::Seq(_)) {
                    Frame::Seq { node, next: 1, env }
                } else {
                    Frame::Logic { node, next: 1, env }
                };
                self.k.push(frame);
                self.ctl = Ctl::Eval(first);
                return Ok(None);
            }
            NodeKind::Call { .. } => return self.call(node, None, Vec::new()),
            NodeKind::Let { .. } => return self.let_inits(node, Vec::new()),
            NodeKind::Cond(_) => return self.cond_from(node, 0),
            NodeKind::Case { key, .. } => key.clone(),
            NodeKind::Const(_)
            | NodeKind::Local { .. }
            | NodeKind::Known { .. }
            | NodeKind::Global(_)
            | NodeKind::Lambda(_) => return Ok(None),
        };
        let frame = match node.kind {
            NodeKind::If { .. } => Frame::If { node, env },
            NodeKind::Case { .. } => Frame::Case { node, env },
            _ => Frame::Set { node, env },
        };
        self.k.push(frame);
        self.ctl = Ctl::Eval(next);
        Ok(None)
    }

    /// Evaluates a call's operator and operands, inline while they are
    /// simple, then applies.
    fn call(&mut self, node: NodeRef, f: Option<Value>, mut vals: Vec<Value>) -> Go {
        let NodeKind::Call { func, args } = &node.kind else {
            return Ok(None);
        };
        let f = match f {
            Some(f) => f,
            None => match self.simple(func) {
                Some(r) => r?,
                None => {
                    let func = func.clone();
                    let env = self.env.clone();
                    self.k.push(Frame::Args {
                        node,
                        f: None,
                        vals,
                        env,
                    });
                    self.ctl = Ctl::Eval(func);
                    return Ok(None);
                }
            },
        };
        if vals.capacity() == 0 {
            vals.reserve_exact(args.len());
        }
        while let Some(a) = args.get(vals.len()) {
            match self.simple(a) {
                Some(r) => vals.push(r?),
                None => {
                    let a = a.clone();
                    let env = self.env.clone();
                    self.k.push(Frame::Args {
                        node,
                        f: Some(f),
                        vals,
                        env,
                    });
                    self.ctl = Ctl::Eval(a);
                    return Ok(None);
                }
            }
        }
        self.site = Some(node.site.clone());
        self.ctl = Ctl::Apply(f, vals);
        Ok(None)
    }

    fn let_inits(&mut self, node: NodeRef, mut vals: Vec<Value>) -> Go {
        let NodeKind::Let {
            inits,
            nlocals,
            body,
        } = &node.kind
        else {
            return Ok(None);
        };
        while let Some(a) = inits.get(vals.len()) {
            match self.simple(a) {
                Some(r) => vals.push(r?),
                None => {
                    let a = a.clone();
                    let env = self.env.clone();
                    self.k.push(Frame::LetInits { node, vals, env });
                    self.ctl = Ctl::Eval(a);
                    return Ok(None);
                }
            }
        }
        vals.resize(*nlocals as usize, unassigned());
        self.env = Some(EnvFrame::new(vals, self.env.take()));
        self.ctl = Ctl::Eval(body.clone());
        Ok(None)
    }

    fn cond_from(&mut self, node: NodeRef, i: usize) -> Go {
        let NodeKind::Cond(clauses) = &node.kind else {
            return Ok(None);
        };
        match clauses.get(i) {
            None => self.ctl = Ctl::Return(Value::Nil),
            Some(Clause::Else(body)) => self.ctl = Ctl::Eval(body.clone()),
            Some(Clause::Test { test, .. } | Clause::Arrow { test, .. }) => {
                let test = test.clone();
                let env = self.env.clone();
                self.k.push(Frame::Cond { node, next: i, env });
                self.ctl = Ctl::Eval(test);
            }
        }
        Ok(None)
    }

    /// Returns `v` to the top frame.
    fn ret(&mut self, rt: &mut Cx, v: Value, act: &Rc<Activation>, me: Option<ContKey>) -> Go {
        let Some(frame) = self.k.pop() else {
            return Ok(Some(Step::Done(v)));
        };
        match frame {
            Frame::Empty => self.ctl = Ctl::Return(v),
            Frame::Bottom(a) => return self.leave(rt, a, v, act, me),
            Frame::TopLevel { forms, next } => {
                self.env = None;
                if next + 1 < forms.len() {
                    self.k.push(Frame::TopLevel {
                        forms: forms.clone(),
                        next: next + 1,
                    });
                }
                self.ctl = match forms.get(next) {
                    Some(f) => Ctl::Eval(f.clone()),
                    None => Ctl::Return(v),
                };
            }
            Frame::If { node, env } => {
                self.env = env;
                if let NodeKind::If { then, els, .. } = &node.kind {
                    self.ctl = match (truthy(&v), els) {
                        (true, _) => Ctl::Eval(then.clone()),
                        (false, Some(e)) => Ctl::Eval(e.clone()),
                        (false, None) => Ctl::Return(Value::Nil),
                    };
                }
            }
            Frame::Seq { node, next, env } => {
                self.env = env.clone();
                if let NodeKind::Seq(parts) = &node.kind {
                    let part = parts[next].clone();
                    if next + 1 < parts.len() {
                        self.k.push(Frame::Seq {
                            node: node.clone(),
                            next: next + 1,
                            env,
                        });
                    }
                    self.ctl = Ctl::Eval(part);
                }
            }
            Frame::Logic { node, next, env } => {
                self.env = env.clone();
                if let NodeKind::Logic { and, parts } = &node.kind {
                    if truthy(&v) != *and {
                        self.ctl = Ctl::Return(v);
                    } else {
                        let part = parts[next].clone();
                        if next + 1 < parts.len() {
                            self.k.push(Frame::Logic {
                                node: node.clone(),
                                next: next + 1,
                                env,
                            });
                        }
                        self.ctl = Ctl::Eval(part);
                    }
                }
            }
            Frame::Args {
                node,
                f,
                mut vals,
                env,
            } => {
                self.env = env;
                let f = match f {
                    None => Some(v),
                    Some(f) => {
                        vals.push(v);
                        Some(f)
                    }
                };
                return self.call(node, f, vals);
            }
            Frame::LetInits {
                node,
                mut vals,
                env,
            } => {
                self.env = env;
                vals.push(v);
                return self.let_inits(node, vals);
            }
            Frame::Set { node, env } => return self.set(node, env, v),
            Frame::Cond { node, next, env } => {
                self.env = env;
                if !truthy(&v) {
                    return self.cond_from(node, next + 1);
                }
                let NodeKind::Cond(clauses) = &node.kind else {
                    return Ok(None);
                };
                self.ctl = match clauses.get(next) {
                    Some(Clause::Test { body: Some(b), .. }) => Ctl::Eval(b.clone()),
                    Some(Clause::Arrow { receiver, .. }) => {
                        let receiver = receiver.clone();
                        self.k.push(Frame::CondArrow {
                            node: node.clone(),
                            value: v,
                        });
                        Ctl::Eval(receiver)
                    }
                    _ => Ctl::Return(v),
                };
            }
            Frame::CondArrow { node, value } => {
                self.site = Some(node.site.clone());
                self.ctl = Ctl::Apply(v, vec![value]);
            }
            Frame::Case { node, env } => {
                self.env = env;
                if let NodeKind::Case { clauses, els, .. } = &node.kind {
                    let hit = clauses.iter().find(|c| c.data.iter().any(|d| eqv(d, &v)));
                    self.ctl = match (hit, els) {
                        (Some(c), _) => Ctl::Eval(c.body.clone()),
                        (None, Some(e)) => Ctl::Eval(e.clone()),
                        (None, None) => Ctl::Return(Value::Nil),
                    };
                }
            }
            Frame::Catch { .. } => self.ctl = Ctl::Return(v),
        }
        Ok(None)
    }

    fn set(&mut self, node: NodeRef, env: Option<Env>, v: Value) -> Go {
        self.env = env;
        match &node.kind {
            NodeKind::SetLocal { depth, index, .. } => {
                if let Some(f) = frame_at(&self.env, *depth) {
                    if let Some(slot) = f.slots.borrow_mut().get_mut(*index as usize) {
                        *slot = v;
                    }
                }
            }
            NodeKind::SetGlobal { cell, define, .. } => {
                let mut slot = cell.value.borrow_mut();
                if !define && slot.is_none() {
                    drop(slot);
                    self.site = Some(node.site.clone());
                    return Err(error_at(
                        &node.site,
                        format!("set!: unbound variable: {}", cell.name),
                    ));
                }
                *slot = Some(v);
            }
            _ => {}
        }
        self.ctl = Ctl::Return(Value::Nil);
        Ok(None)
    }
}
