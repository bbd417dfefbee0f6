//! Coroutine chains: a coroutine as a run of continuations that may span
//! interpreters.
//!
//! A chain has a *base* (the continuation a coroutine starts as) and, while
//! it runs, any number of continuations above it: every continuation
//! inserted with a `back` in the chain belongs to it too (the tag is
//! inherited on insertion), so a Lua coroutine that calls m0ld that calls
//! Lua again is one chain. Detours (interrupt handlers) belong to none.
//!
//! - [`Chains::resume`] links the base's `back` to the resumer (the
//!   current continuation) and makes the chain's top current.
//! - [`Chains::suspend`] suspends the whole chain where it stands: the
//!   current continuation becomes the chain's top, held by the chain; the
//!   base's `back` is cut, and the resumer becomes current again. No frame
//!   of the chain is run or freed.
//! - [`Chains::take`] hands a suspended chain's frames to the caller,
//!   innermost first (a coroutine's `close`), and
//!   [`Chains::release`] frees them (a collected coroutine).
//!
//! What a resume or a yield carries is the interpreters' business: the
//! loop only switches continuations.

use super::{Cx, Slot};
use crate::error::ScriptError;
use crate::runloop::cont::{ChainKey, ContKey, Continuation};

/// A chain's record in the loop.
pub(crate) struct Chain {
    base: ContKey,
    /// What the interpreter that made the chain knows it by.
    tag: u64,
    /// Where the chain stands while it is suspended (or not started: the
    /// base); the chain holds a reference to it. `None` while it runs.
    top: Option<ContKey>,
}

/// The loop's coroutine chains, as a step or a native method sees them:
/// [`Cx::chains`]. Only an interpreter with coroutines needs them.
pub struct Chains<'a> {
    cx: &'a mut Cx,
}

impl Cx {
    /// The coroutine-chain operations of the loop.
    #[inline]
    pub fn chains(&mut self) -> Chains<'_> {
        Chains { cx: self }
    }
}

impl Chains<'_> {
    /// Makes a chain whose base is `base`, not started: the first
    /// [`Chains::resume`] runs `base`. The chain holds it meanwhile.
    /// `tag` is what the interpreter knows the chain by (its coroutine's
    /// record), answered by [`Chains::tag`].
    pub fn make(&mut self, base: Box<dyn Continuation>, tag: u64) -> ChainKey {
        let interp = super::InterpName::of(base.interpreter());
        let c = self.cx.services.chains.insert(Chain {
            base: ContKey::default(),
            tag,
            top: None,
        });
        let k = self.cx.slots.insert(Slot {
            cont: Some(base),
            interp,
            back: None,
            refs: 1,
            catch: None,
            catching: false,
            detour: false,
            answered: false,
            chain: Some(c),
        });
        if let Some(ch) = self.cx.services.chains.get_mut(c) {
            ch.base = k;
            ch.top = Some(k);
        }
        c
    }

    /// The chain continuation `k` belongs to.
    pub fn of(&self, k: ContKey) -> Option<ChainKey> {
        self.cx.slots.get(k).and_then(|s| s.chain)
    }

    /// The tag chain `c` was made with, while it exists.
    pub fn tag(&self, c: ChainKey) -> Option<u64> {
        self.cx.services.chains.get(c).map(|ch| ch.tag)
    }

    /// The chain of the current continuation.
    #[inline]
    pub fn current(&self) -> Option<ChainKey> {
        self.cx.current.and_then(|k| self.of(k))
    }

    /// Whether chain `c` is suspended (or not started) and can be resumed.
    pub fn is_suspended(&self, c: ChainKey) -> bool {
        self.cx
            .services
            .chains
            .get(c)
            .and_then(|ch| ch.top)
            .is_some_and(|t| self.cx.slots.contains_key(t))
    }

    /// Resumes suspended chain `c` for the current continuation, its
    /// resumer: the base's `back` becomes the resumer and the chain's top
    /// becomes current. The resumer gets control back when the chain
    /// yields ([`Chains::suspend`]) or its base finishes.
    ///
    /// # Errors
    ///
    /// A runtime error when there is no current continuation or the chain
    /// is not suspended.
    pub fn resume(&mut self, c: ChainKey) -> Result<(), ScriptError> {
        let Some(resumer) = self.cx.current else {
            return Err(ScriptError::runtime("resuming a coroutine needs a resumer"));
        };
        let Some((base, top)) = self
            .cx
            .services
            .chains
            .get_mut(c)
            .and_then(|ch| ch.top.take().map(|t| (ch.base, t)))
        else {
            return Err(ScriptError::runtime(
                "cannot resume non-suspended coroutine",
            ));
        };
        let Some(bs) = self.cx.slots.get_mut(base) else {
            return Err(ScriptError::stale_continuation("the coroutine"));
        };
        let old = bs.back.replace(resumer);
        if let Some(rs) = self.cx.slots.get_mut(resumer) {
            rs.refs += 1;
        }
        if let Some(o) = old {
            if let Some(os) = self.cx.slots.get_mut(o) {
                os.refs = os.refs.saturating_sub(1);
            }
            self.cx.collect(o);
        }
        self.cx.current = Some(top);
        // The chain's reference to its top passes to "current".
        if let Some(ts) = self.cx.slots.get_mut(top) {
            ts.refs = ts.refs.saturating_sub(1);
        }
        Ok(())
    }

    /// Suspends the chain of the current continuation: that continuation
    /// becomes the chain's top (the chain holds it), the base's `back` is
    /// cut, and the resumer becomes current. Answers the chain.
    ///
    /// # Errors
    ///
    /// A runtime error when the current continuation is in no chain or the
    /// chain has no resumer.
    pub fn suspend(&mut self) -> Result<ChainKey, ScriptError> {
        let (Some(k), Some(c)) = (self.cx.current, self.current()) else {
            return Err(ScriptError::runtime(
                "attempt to yield from outside a coroutine",
            ));
        };
        let Some(base) = self.cx.services.chains.get(c).map(|ch| ch.base) else {
            return Err(ScriptError::runtime("the coroutine is gone"));
        };
        let Some(resumer) = self.cx.slots.get_mut(base).and_then(|s| s.back.take()) else {
            return Err(ScriptError::runtime("the coroutine has no resumer"));
        };
        if let Some(ks) = self.cx.slots.get_mut(k) {
            ks.refs += 1;
        }
        if let Some(ch) = self.cx.services.chains.get_mut(c) {
            ch.top = Some(k);
        }
        self.cx.current = Some(resumer);
        if let Some(rs) = self.cx.slots.get_mut(resumer) {
            rs.refs = rs.refs.saturating_sub(1);
        }
        Ok(c)
    }

    /// Ends suspended chain `c` and hands its frames to the caller,
    /// innermost first, out of the loop (a coroutine's `close`: the
    /// interpreters finish their own frames). A chain that is running
    /// gives nothing.
    pub fn take(&mut self, c: ChainKey) -> Vec<Box<dyn Continuation>> {
        let mut out = Vec::new();
        let Some(ch) = self.cx.services.chains.get(c) else {
            return out;
        };
        let (Some(top), base) = (ch.top, ch.base) else {
            return out;
        };
        self.cx.services.chains.remove(c);
        let mut next = Some(top);
        while let Some(k) = next {
            let Some(cont) = self.cx.slots.get_mut(k).and_then(|s| s.cont.take()) else {
                break;
            };
            out.push(cont);
            let (back, _) = self.cx.remove(k);
            next = if k == base { None } else { back };
        }
        out
    }

    /// Forgets chain `c`: a suspended chain's frames are freed (a collected
    /// coroutine), with no interpreter finishing them.
    pub fn release(&mut self, c: ChainKey) {
        let Some(ch) = self.cx.services.chains.remove(c) else {
            return;
        };
        if let Some(t) = ch.top {
            if let Some(ts) = self.cx.slots.get_mut(t) {
                ts.refs = ts.refs.saturating_sub(1);
            }
            self.cx.collect(t);
        }
    }

    /// Forgets chain `c` once its base has finished (its record only).
    pub fn finished(&mut self, c: ChainKey) {
        if self
            .cx
            .services
            .chains
            .get(c)
            .is_some_and(|ch| ch.top.is_none())
        {
            self.cx.services.chains.remove(c);
        }
    }
}
