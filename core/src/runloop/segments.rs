//! Segments: one continuation standing for several frames of its
//! interpreter (calls run inside one step), split on demand when a script
//! is about to name one of its frames (docs/design.md §1).

use super::{Cx, InterpName, Slot};
use crate::runloop::cont::{ContKey, Continuation};

/// The loop's segment operations, as a step sees them: [`Cx::segments`].
/// Only an interpreter that runs calls among its own frames inside one
/// step needs them.
pub struct Segments<'a> {
    cx: &'a mut Cx,
}

impl Cx {
    /// The segment operations of the loop.
    #[inline]
    pub fn segments(&mut self) -> Segments<'_> {
        Segments { cx: self }
    }
}

impl Segments<'_> {
    /// Makes `k` stand for one frame from now on (see
    /// [`Continuation::expose`]): the frames a segment splits off are
    /// chained between `k` and its `back`. A continuation running a step
    /// cannot be reached here; it is asked to split itself before its code
    /// goes on ([`Segments::take_expose_request`]).
    pub fn expose(&mut self, k: ContKey) {
        let Some(slot) = self.cx.slots.get_mut(k) else {
            return;
        };
        match slot.cont.as_mut() {
            Some(c) => {
                let below = c.expose();
                self.insert_below(k, below);
            }
            None => self.cx.expose_wanted = Some(k),
        }
    }

    /// Whether running continuation `k` was asked to split (and clears the
    /// request). A segment checks after every send that returns a value,
    /// then splits and hands its lower frames to [`Segments::insert_below`].
    #[inline]
    pub fn take_expose_request(&mut self, k: Option<ContKey>) -> bool {
        if self.cx.expose_wanted.is_some() && self.cx.expose_wanted == k {
            self.cx.expose_wanted = None;
            return true;
        }
        false
    }

    /// Chains `frames` (outermost first) between `k` and its `back`: the
    /// first gets `k`'s old `back`, each next one the previous, and `k` the
    /// last. A detour's mark and the running-handler mark move to the
    /// outermost frame, which is where the detour began.
    pub fn insert_below(&mut self, k: ContKey, frames: Vec<Box<dyn Continuation>>) {
        if frames.is_empty() {
            return;
        }
        let Some(slot) = self.cx.slots.get_mut(k) else {
            return;
        };
        let old_back = slot.back;
        let chain = slot.chain;
        let detour = std::mem::take(&mut slot.detour);
        let mut back = old_back;
        let mut first = None;
        for f in frames {
            let interp = InterpName::of(f.interpreter());
            let nk = self.cx.slots.insert(Slot {
                cont: Some(f),
                interp,
                back,
                refs: 1,
                catch: None,
                catching: false,
                detour: false,
                answered: false,
                chain,
            });
            first.get_or_insert(nk);
            back = Some(nk);
        }
        // Each new frame is the back of the next one (refs 1 above), the
        // last of `k`; `old_back` keeps one reference, now from the first.
        if let Some(s) = self.cx.slots.get_mut(k) {
            s.back = back;
        }
        if let Some(f) = first {
            if let Some(s) = self.cx.slots.get_mut(f) {
                s.detour = detour;
            }
            if self.cx.irq.state.active == Some(k) {
                self.cx.irq.state.active = Some(f);
            }
        }
    }

    /// Whether an interpreter may run calls among its own frames inside one
    /// step (a segment). Not while hand-offs are recorded for a diagram or
    /// traced at debug level (both show every call's continuation), and not
    /// with an unbounded quantum, where the step would never end: there
    /// every call is a hand-off, and the step budget counts them.
    #[inline]
    pub fn allowed(&self) -> bool {
        !self.cx.no_segments
    }
}
