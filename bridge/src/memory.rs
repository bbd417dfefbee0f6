//! The process's memory limit in a run loop: Lua's share of it, and
//! (for `polyeval run`) `--memory-limit` and the default limit under an
//! address-space limit (`ulimit -v`).
//!
//! The limit covers the whole heap ([`polyeval_core::memory`]); Lua's own
//! allocator refuses on its own count, so the memory hook installed here
//! keeps Lua's limit at what the rest of the heap leaves it (and at the
//! Lua configuration's own limit, when that is lower), and collects Lua's
//! garbage when a request on the Rust side fails. An embedder reaches it
//! through [`crate::Builder::memory_limit`].

use polyeval_core::memory::NoUsageSource;
use polyeval_core::{memory, Cx, Interp, MemoryEvent};
use polyeval_lua::LuaRuntime;

/// Sets the process's memory limit to `limit` (or removes it, with
/// `None`) and, with a limit, keeps the Lua share of `rt` in step with it.
///
/// # Errors
///
/// [`NoUsageSource`] when a limit is asked for and the program registered
/// no heap count ([`memory::set_usage_source`]).
pub fn apply(rt: &mut Interp, limit: Option<usize>) -> Result<(), NoUsageSource> {
    memory::set_limit(limit)?;
    if limit.is_some() {
        rt.on_memory_event(Box::new(lua_share));
        rt.check_memory();
    }
    Ok(())
}

/// Sets the process's memory limit for a run: `explicit`
/// (`--memory-limit`), or the default derived from an address-space limit,
/// whichever is lower, and keeps Lua's share in step with it.
///
/// # Errors
///
/// A message when a limit is asked for and the program registered no
/// usage source (a host without a counting allocator).
#[cfg(feature = "cli")]
pub fn install(rt: &mut Interp, explicit: Option<usize>) -> Result<(), String> {
    let derived = default_limit();
    let limit = match (explicit, derived) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    apply(rt, limit).map_err(|e| format!("--memory-limit: {e}"))?;
    // Under an address-space limit, big requests are also tried on the
    // system first: heap bytes and address space differ (fragmentation,
    // thread stacks), and a refusal caught there is an error, not an abort.
    memory::set_probing(derived.is_some());
    Ok(())
}

/// The memory hook: on `Reclaim` collects Lua's garbage, then sets Lua's
/// own limit to what the memory limit leaves after the rest of the heap.
fn lua_share(rt: &mut Cx, event: MemoryEvent) {
    let Some(lua) = LuaRuntime::of(rt) else {
        return;
    };
    if event == MemoryEvent::Reclaim {
        // Finalizers may call into SMOP: the loop is lent meanwhile.
        let _ = polyeval_core::lend::lend(rt, || lua.lua().gc_collect());
    }
    let (Some(limit), Some(used)) = (memory::limit(), memory::usage()) else {
        return;
    };
    let rest = used.saturating_sub(lua.lua().used_memory());
    // mlua reads 0 as "no limit".
    let mut share = limit.saturating_sub(rest).max(1);
    if let Some(own) = lua.config().memory_limit {
        share = share.min(own);
    }
    let _ = lua.lua().set_memory_limit(share);
}

#[cfg(feature = "cli")]
/// Half the address space left now, on top of the heap in use, when the
/// process runs under an address-space limit (`ulimit -v`); `None`
/// without one, or without a heap count.
pub fn default_limit() -> Option<usize> {
    let cap = address_space_limit()?;
    let heap = memory::usage()?;
    // Unknown use of the address space: take half of it as gone.
    let mapped = address_space_used().unwrap_or(cap / 2);
    let room = usize::try_from(cap.saturating_sub(mapped) / 2).unwrap_or(usize::MAX);
    Some(heap.saturating_add(room))
}

/// The soft `RLIMIT_AS`, in bytes, when there is one.
#[cfg(all(unix, feature = "cli"))]
fn address_space_limit() -> Option<u64> {
    let (soft, _hard) = rlimit::getrlimit(rlimit::Resource::AS).ok()?;
    (soft != rlimit::INFINITY).then_some(soft)
}

#[cfg(all(not(unix), feature = "cli"))]
fn address_space_limit() -> Option<u64> {
    None
}

#[cfg(feature = "cli")]
/// The address space mapped now (`VmSize` in `/proc/self/status`), in
/// bytes, where the system tells it.
fn address_space_used() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmSize:"))?;
    let kb: u64 = line
        .trim_start_matches("VmSize:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    kb.checked_mul(1024)
}
