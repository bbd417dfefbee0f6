//! The memory budget: one limit on the heap of the whole process, Lua's
//! heap and the Rust side together (`--memory-limit`).
//!
//! The heap is counted by the host, not here: a binary installs a counting
//! global allocator (polyeval's uses `cap`) and registers its count with
//! [`set_usage_source`]; then [`set_limit`] turns the budget on. Library
//! code calls [`check`] (or [`Cx::reserve_memory`], which can first
//! ask interpreters to free memory) before it grows memory on a script's
//! request: a push onto an Array, a new Hash entry, a string built by
//! `infix:~`, a string copied across the bridge, a Code call's frame. A
//! request that would take the count past the limit fails with
//! [`OutOfMemory`], which becomes a catchable script error, instead of
//! reaching an allocator that would abort the process. [`reserve`] grows a
//! `Vec` the same way and also turns the system's refusal into an error.
//!
//! Invariant: without a limit, [`check`] is one relaxed atomic load and
//! always succeeds, so the budget costs nothing when it is off. The
//! budget is process-wide, as the allocator is: one limit for every run
//! loop of the process.
//!
//! [`Cx::reserve_memory`]: crate::Cx::reserve_memory

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::OnceLock;

use crate::error::{ErrorKind, ScriptError};

/// Reads how many heap bytes the process has allocated now.
pub type UsageSource = fn() -> usize;

/// `LIMIT` when there is no limit.
const NO_LIMIT: usize = usize::MAX;

/// Requests at least this big are tried on the system first when
/// probing is on (see [`set_probing`]).
pub const PROBE_MIN: usize = 1 << 20;

static LIMIT: AtomicUsize = AtomicUsize::new(NO_LIMIT);
static PROBE: AtomicBool = AtomicBool::new(false);
static SOURCE: OnceLock<UsageSource> = OnceLock::new();

/// Why a request for memory was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OutOfMemory {
    /// The request would take the heap past the memory limit.
    #[error("out of memory: the memory limit ({limit} bytes) is reached")]
    Limit {
        /// The limit in force.
        limit: usize,
        /// The heap in use when the request came.
        used: usize,
        /// The bytes asked for.
        requested: usize,
    },
    /// The system would not give the memory (an address-space limit such
    /// as `ulimit -v`, say).
    #[error("out of memory: the system refused an allocation of {requested} bytes")]
    Refused {
        /// The bytes asked for.
        requested: usize,
    },
}

impl OutOfMemory {
    #[cold]
    #[inline(never)]
    fn limit(limit: usize, used: usize, requested: usize) -> Self {
        OutOfMemory::Limit {
            limit,
            used,
            requested,
        }
    }

    #[cold]
    #[inline(never)]
    fn refused(requested: usize) -> Self {
        OutOfMemory::Refused { requested }
    }
}

impl From<OutOfMemory> for ScriptError {
    #[cold]
    #[inline(never)]
    fn from(e: OutOfMemory) -> Self {
        ScriptError::new(ErrorKind::OutOfMemory, e.to_string())
    }
}

/// A limit was asked for, but no usage source counts the heap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a memory limit needs the heap counted, and this program registered no usage source")]
pub struct NoUsageSource;

/// Registers the process's heap count (once; a later call is ignored and
/// answers false).
pub fn set_usage_source(source: UsageSource) -> bool {
    SOURCE.set(source).is_ok()
}

/// The heap in use, in bytes, when a usage source is registered.
pub fn usage() -> Option<usize> {
    SOURCE.get().map(|f| f())
}

/// Sets (or, with `None`, removes) the memory limit of the process.
///
/// # Errors
///
/// [`NoUsageSource`] when a limit is asked for and no usage source is
/// registered.
pub fn set_limit(limit: Option<usize>) -> Result<(), NoUsageSource> {
    match limit {
        Some(_) if SOURCE.get().is_none() => Err(NoUsageSource),
        Some(n) => {
            LIMIT.store(n.min(NO_LIMIT - 1), Ordering::Relaxed);
            Ok(())
        }
        None => {
            LIMIT.store(NO_LIMIT, Ordering::Relaxed);
            Ok(())
        }
    }
}

/// The memory limit in force, if any.
pub fn limit() -> Option<usize> {
    match LIMIT.load(Ordering::Relaxed) {
        NO_LIMIT => None,
        n => Some(n),
    }
}

/// Whether a memory limit is in force.
#[inline]
pub fn active() -> bool {
    LIMIT.load(Ordering::Relaxed) != NO_LIMIT
}

/// Makes [`check`] also try requests of [`PROBE_MIN`] bytes or more on the
/// system (allocate and free at once) while a limit is in force, so that
/// an address-space limit refuses them here, as an error, rather than at
/// the allocation that follows, which would abort.
pub fn set_probing(on: bool) {
    PROBE.store(on, Ordering::Relaxed);
}

/// Checks that `additional` more bytes fit under the memory limit.
///
/// # Errors
///
/// [`OutOfMemory::Limit`] when the heap in use plus `additional` would
/// pass the limit; [`OutOfMemory::Refused`] when probing is on and the
/// system would not give that much.
#[inline]
pub fn check(additional: usize) -> Result<(), OutOfMemory> {
    let limit = LIMIT.load(Ordering::Relaxed);
    if limit == NO_LIMIT {
        return Ok(());
    }
    check_against(limit, additional)
}

fn check_against(limit: usize, additional: usize) -> Result<(), OutOfMemory> {
    let used = usage().unwrap_or(0);
    if used.saturating_add(additional) > limit {
        return Err(OutOfMemory::limit(limit, used, additional));
    }
    if additional >= PROBE_MIN && PROBE.load(Ordering::Relaxed) && !system_gives(additional) {
        return Err(OutOfMemory::refused(additional));
    }
    Ok(())
}

/// Whether the system gives `bytes` now: allocates them (untouched) and
/// frees them at once.
fn system_gives(bytes: usize) -> bool {
    let mut probe: Vec<u8> = Vec::new();
    probe.try_reserve_exact(bytes).is_ok()
}

/// Whether program output should be flushed at every write, so that it
/// survives even an allocation failure nothing could catch: while a limit
/// is in force and either probing is on (the system limits the address
/// space, so the system may refuse before the limit) or the heap is past
/// half the limit.
#[inline]
pub fn flush_each_write() -> bool {
    let limit = LIMIT.load(Ordering::Relaxed);
    limit != NO_LIMIT && (PROBE.load(Ordering::Relaxed) || usage().unwrap_or(0) > limit / 2)
}

/// The size of the block `v` would allocate to take `additional` more
/// elements, or `None` when its capacity holds them. A `Vec` grows to at
/// least twice its capacity, and the new block exists next to the old one
/// while the elements move.
pub fn growth<T>(v: &Vec<T>, additional: usize) -> Option<usize> {
    let need = v.len().saturating_add(additional);
    if need <= v.capacity() {
        return None;
    }
    Some(
        need.max(v.capacity().saturating_mul(2))
            .saturating_mul(std::mem::size_of::<T>()),
    )
}

/// Makes room in `v` for `additional` more elements as `Vec::reserve`
/// does, but answers the system's refusal (or a size that overflows) with
/// an error instead of aborting. Does not consult the limit; see
/// [`reserve`].
///
/// # Errors
///
/// [`OutOfMemory::Refused`].
pub fn try_grow<T>(v: &mut Vec<T>, additional: usize) -> Result<(), OutOfMemory> {
    v.try_reserve(additional)
        .map_err(|_| OutOfMemory::refused(additional.saturating_mul(std::mem::size_of::<T>())))
}

/// An empty byte buffer with room for `len` bytes, or the system's refusal
/// as an error. Does not consult the limit.
///
/// # Errors
///
/// [`OutOfMemory::Refused`].
pub fn try_buffer(len: usize) -> Result<Vec<u8>, OutOfMemory> {
    let mut v = Vec::new();
    v.try_reserve_exact(len)
        .map_err(|_| OutOfMemory::refused(len))?;
    Ok(v)
}

/// Makes room in `v` for `additional` more elements, after checking the
/// growth against the memory limit (see [`growth`] and [`try_grow`]).
///
/// # Errors
///
/// [`OutOfMemory`] when the limit would be passed, or when the system
/// refuses the memory.
pub fn reserve<T>(v: &mut Vec<T>, additional: usize) -> Result<(), OutOfMemory> {
    match growth(v, additional) {
        None => Ok(()),
        Some(bytes) => {
            check(bytes)?;
            try_grow(v, additional)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static FAKE: AtomicUsize = AtomicUsize::new(0);

    /// One test: the budget is process-wide.
    #[test]
    fn the_budget_refuses_what_would_pass_the_limit() {
        assert!(check(usize::MAX).is_ok(), "no limit: everything passes");
        assert!(set_usage_source(|| FAKE.load(Ordering::Relaxed)) || usage().is_some());
        FAKE.store(1000, Ordering::Relaxed);
        set_limit(Some(1500)).expect("a source is registered");
        assert!(active());
        assert!(check(500).is_ok());
        let e = check(501).expect_err("past the limit");
        assert_eq!(
            e,
            OutOfMemory::Limit {
                limit: 1500,
                used: 1000,
                requested: 501
            }
        );
        assert_eq!(
            ScriptError::from(e).message,
            "out of memory: the memory limit (1500 bytes) is reached"
        );
        assert!(flush_each_write(), "1000 of 1500 is past half");
        let mut v: Vec<u64> = Vec::new();
        assert!(reserve(&mut v, 100).is_err(), "800 bytes do not fit in 500");
        assert!(reserve(&mut v, 10).is_ok());
        assert!(v.capacity() >= 10);
        set_limit(None).expect("removing needs no source");
        assert!(!active() && !flush_each_write());
        let mut huge: Vec<u64> = Vec::new();
        assert!(
            reserve(&mut huge, usize::MAX / 4).is_err(),
            "an impossible size is an error, not an abort"
        );
    }
}
