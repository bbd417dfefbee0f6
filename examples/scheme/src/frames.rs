//! The machine's continuation: a persistent list of [`Frame`]s linked by
//! `Rc`, innermost first. Capturing it (`call/cc`) is one reference count;
//! popping a frame nobody else holds takes it by value, popping a shared
//! one copies it, so a captured list is never changed and may be resumed
//! any number of times.
//!
//! Every list ends in a [`Frame::Bottom`], the exit from Scheme to the
//! continuation's `back`. Dropping a list is iterative, and the values
//! frames hold are dropped through [`drop_values`], so a list 100,000
//! frames deep frees without recursion.

use std::rc::Rc;

use polyeval_core::{drop_values, FrameInfo, Value};

use crate::ast::{NodeKind, NodeRef, Site};
use crate::cont::Activation;
use crate::env::Env;

/// What the machine does with a value when it returns to a frame.
#[derive(Clone)]
pub(crate) enum Frame {
    /// A frame whose contents were taken.
    Empty,
    /// Leave Scheme: the value is the activation's result.
    Bottom(Rc<Activation>),
    /// Evaluate top-level form `next` (in the global environment).
    TopLevel { forms: Rc<[NodeRef]>, next: usize },
    /// The test of an `if` node.
    If { node: NodeRef, env: Option<Env> },
    /// Part `next` of a `Seq` node comes after this one.
    Seq {
        node: NodeRef,
        next: usize,
        env: Option<Env>,
    },
    /// The operator (`f` is `None`) or the next operand of a call.
    Args {
        node: NodeRef,
        f: Option<Value>,
        vals: Vec<Value>,
        env: Option<Env>,
    },
    /// The next init of a `Let` node.
    LetInits {
        node: NodeRef,
        vals: Vec<Value>,
        env: Option<Env>,
    },
    /// The value of a `SetLocal` or `SetGlobal` node.
    Set { node: NodeRef, env: Option<Env> },
    /// Part `next` of an `and`/`or` node comes after this one.
    Logic {
        node: NodeRef,
        next: usize,
        env: Option<Env>,
    },
    /// The test of clause `next` of a `cond` node.
    Cond {
        node: NodeRef,
        next: usize,
        env: Option<Env>,
    },
    /// The receiver of a `cond` `=>` clause, to be applied to `value`.
    CondArrow { node: NodeRef, value: Value },
    /// The key of a `case` node.
    Case { node: NodeRef, env: Option<Env> },
    /// `(catch thunk handler)`: errors below this frame go to `handler`.
    Catch { handler: Value, site: Site },
}

impl Frame {
    fn take_values(&mut self, out: &mut Vec<Value>) {
        match self {
            Frame::Args { f, vals, .. } => {
                out.extend(f.take());
                out.append(vals);
            }
            Frame::LetInits { vals, .. } => out.append(vals),
            Frame::CondArrow { value, .. } => out.push(std::mem::take(value)),
            Frame::Catch { handler, .. } => out.push(std::mem::take(handler)),
            _ => {}
        }
    }

    /// Where this frame waits, for backtraces; `None` for the bottom.
    fn site(&self) -> Option<&Site> {
        match self {
            Frame::Empty | Frame::Bottom(_) => None,
            Frame::TopLevel { forms, next } => forms.get(next.wrapping_sub(1)).map(|n| &n.site),
            Frame::Seq { node, next, .. } => match &node.kind {
                NodeKind::Seq(parts) => parts.get(next.wrapping_sub(1)).map(|n| &n.site),
                _ => Some(&node.site),
            },
            Frame::If { node, .. }
            | Frame::Args { node, .. }
            | Frame::LetInits { node, .. }
            | Frame::Set { node, .. }
            | Frame::Logic { node, .. }
            | Frame::Cond { node, .. }
            | Frame::CondArrow { node, .. }
            | Frame::Case { node, .. } => Some(&node.site),
            Frame::Catch { site, .. } => Some(site),
        }
    }
}

pub(crate) struct FrameNode {
    frame: Frame,
    next: Option<Rc<FrameNode>>,
    /// How many `Catch` frames this node and those below it hold.
    catches: u32,
}

impl Drop for FrameNode {
    fn drop(&mut self) {
        let mut values = Vec::new();
        self.frame.take_values(&mut values);
        let mut next = self.next.take();
        while let Some(rc) = next {
            match Rc::try_unwrap(rc) {
                Ok(mut node) => {
                    node.frame.take_values(&mut values);
                    next = node.next.take();
                }
                Err(_) => break,
            }
            if values.len() >= 256 {
                drop_values(values.drain(..));
            }
        }
        drop_values(values);
    }
}

/// A frame list: the continuation of the expression being evaluated.
#[derive(Clone, Default)]
pub(crate) struct FrameList(Option<Rc<FrameNode>>);

impl FrameList {
    /// A list holding only a bottom frame for `act`.
    pub fn bottom(act: Rc<Activation>) -> FrameList {
        let mut l = FrameList(None);
        l.push(Frame::Bottom(act));
        l
    }

    /// Pushes `frame` on top.
    pub fn push(&mut self, frame: Frame) {
        let below = self.catches();
        let catches = below + u32::from(matches!(frame, Frame::Catch { .. }));
        let next = self.0.take();
        self.0 = Some(Rc::new(FrameNode {
            frame,
            next,
            catches,
        }));
    }

    /// Pops the top frame: taken when unshared, copied when a captured
    /// continuation shares it.
    pub fn pop(&mut self) -> Option<Frame> {
        let rc = self.0.take()?;
        match Rc::try_unwrap(rc) {
            Ok(mut node) => {
                self.0 = node.next.take();
                Some(std::mem::replace(&mut node.frame, Frame::Empty))
            }
            Err(rc) => {
                self.0 = rc.next.clone();
                Some(rc.frame.clone())
            }
        }
    }

    /// How many `catch` frames the list holds.
    pub fn catches(&self) -> u32 {
        self.0.as_ref().map_or(0, |n| n.catches)
    }

    /// Drops frames down to the nearest `catch` frame, which it removes
    /// too, and returns that frame's handler.
    pub fn unwind_to_catch(&mut self) -> Option<Value> {
        while let Some(node) = self.0.take() {
            self.0 = node.next.clone();
            if let Frame::Catch { handler, .. } = &node.frame {
                return Some(handler.clone());
            }
        }
        None
    }

    /// Appends a backtrace frame for every frame, innermost first.
    pub fn frames(&self, out: &mut Vec<FrameInfo>) {
        let mut cur = self.0.as_deref();
        while let Some(node) = cur {
            if let Some(site) = node.frame.site() {
                out.push(site.frame());
            }
            cur = node.next.as_deref();
        }
    }
}
