//! The hand-off record behind `polyeval run --diagram`: which continuation
//! ran how many steps, at what depth of hand-off, and how control got there.
//!
//! The run loop feeds a [`Recorder`] only when one is installed (see
//! [`crate::Interp::set_recording`]); otherwise it costs one test per run of
//! steps. Rendering is the CLI's business.

use std::collections::HashMap;

use crate::runloop::cont::ContKey;

/// How control reached a [`Segment`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// The program's first continuation.
    Start,
    /// A hand-off down into a callee (its `back` is the previous segment's
    /// continuation, or deeper in the same chain).
    Call,
    /// An interrupt handler of this kind started as a detour.
    Handler(String),
    /// A return up to a waiting continuation (with `setr`, or, after a
    /// handler, without).
    Return,
    /// An error unwound up to this continuation.
    Unwind,
    /// A `goto` to a continuation at the same depth (a tail hand-off).
    Goto,
}

/// A run of consecutive steps of one continuation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// The interpreter that ran ("lua", "smop", "native", ...).
    pub interp: &'static str,
    /// Hand-off depth: the length of the continuation's `back` chain (the
    /// program's first continuation is at 0).
    pub depth: u32,
    /// Run-loop steps in this run (at least 1).
    pub steps: u64,
    /// How control got here.
    pub entry: Entry,
}

/// Collects [`Segment`]s while the loop runs.
#[derive(Default)]
pub struct Recorder {
    segments: Vec<Segment>,
    last: Option<ContKey>,
    depths: HashMap<ContKey, u32>,
    /// Set when a handler was made current; the next segment is its entry.
    handler: Option<String>,
    /// The last run ended in a failure: the next segment was unwound to.
    failed: bool,
}

impl Recorder {
    /// An empty record.
    pub fn new() -> Self {
        Self::default()
    }

    /// The segments recorded so far.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Takes the segments out.
    pub fn take(&mut self) -> Vec<Segment> {
        std::mem::take(&mut self.segments)
    }

    pub(crate) fn known_depth(&self, k: ContKey) -> Option<u32> {
        self.depths.get(&k).copied()
    }

    pub(crate) fn set_depth(&mut self, k: ContKey, d: u32) {
        self.depths.insert(k, d);
    }

    pub(crate) fn handler_started(&mut self, kind: &str) {
        self.handler = Some(kind.to_owned());
    }

    /// Notes `steps` steps of `k` (at `depth`); `failed` says the run ended
    /// in a failure.
    pub(crate) fn note(
        &mut self,
        k: ContKey,
        interp: &'static str,
        depth: u32,
        steps: u64,
        failed: bool,
    ) {
        let steps = steps.max(1);
        if self.last == Some(k) && self.handler.is_none() {
            if let Some(s) = self.segments.last_mut() {
                s.steps += steps;
                self.failed = failed;
                return;
            }
        }
        let entry = match (self.handler.take(), self.segments.last()) {
            (Some(kind), _) => Entry::Handler(kind),
            (None, None) => Entry::Start,
            (None, Some(prev)) if depth > prev.depth => Entry::Call,
            (None, Some(prev)) if depth < prev.depth => {
                if self.failed {
                    Entry::Unwind
                } else {
                    Entry::Return
                }
            }
            (None, Some(_)) => Entry::Goto,
        };
        self.segments.push(Segment {
            interp,
            depth,
            steps,
            entry,
        });
        self.last = Some(k);
        self.failed = failed;
    }
}
