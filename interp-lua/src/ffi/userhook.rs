//! `debug.sethook` beside polyeval's own hooks. Lua has one hook per
//! thread; polyeval needs it for preemption and step counting, and scripts
//! (with `--lua-stdlib all`) may set their own. A thread with a user hook
//! gets [`combined_hook`], which serves both: the user's events (`call`,
//! `return`, `line`, `count` with the user's count) go to the user's Lua
//! function, as the stock `debug` library calls it, and polyeval's hook
//! (the one the thread had, at its own count) and preemption requests keep
//! working. Clearing the user hook gives the thread its own hook back.
//!
//! The user's functions live where the stock library keeps them (the
//! registry's weak-keyed `_HOOKKEY`, thread -> function); masks, counts
//! and counters live here, per thread, as plain data.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::c_int;

use mlua::ffi::{self, lua_Debug, lua_State};

use super::hooks::{in_flight, raise_stop, serve_here, PREEMPT};

/// Where the user hooks are kept (thread -> function, weak keys), under
/// the stock `debug` library's own registry name.
pub(crate) const USERHOOKS_KEY: &std::ffi::CStr = c"_HOOKKEY";

/// How often a thread with a user hook but no count of polyeval's checks
/// for preemption requests (instructions).
const PREEMPT_EVERY: c_int = 1000;

/// What [`combined_hook`] knows of one thread.
#[derive(Clone, Copy)]
struct Combined {
    /// The hook the thread had before the user's (polyeval's), restored
    /// when the user's is cleared.
    orig: Option<ffi::lua_Hook>,
    orig_mask: c_int,
    orig_count: c_int,
    /// The user's event mask (call, return, line) and count (0: none).
    user_mask: c_int,
    user_count: c_int,
    /// The count Lua calls the hook at, and what is left of each count.
    step: c_int,
    user_left: c_int,
    orig_left: c_int,
    /// What a count event wanted to do (run polyeval's hook, or yield for
    /// a preemption) but left for the line event of the same instruction:
    /// Lua skips the line hook after a count hook yields, so doing it
    /// first would hide every line from a user's line hook.
    deferred: Option<Action>,
    /// How many count events the deferred action has waited for a line
    /// event (it is done anyway after [`MAX_DEFER`]).
    waited: c_int,
    /// The count was set to 1 at a call or return event because something
    /// was due (see [`due_at_event`]).
    rearmed: bool,
}

/// The most count events a deferred action waits for a line event: a
/// loop's backward jump makes one, so only long straight code reaches it.
const MAX_DEFER: c_int = 1000;

/// What polyeval's side of [`combined_hook`] does at a count event.
#[derive(Clone, Copy)]
enum Action {
    Orig(ffi::lua_Hook),
    Preempt,
}

thread_local! {
    static COMBINED: RefCell<HashMap<usize, Combined>> = RefCell::new(HashMap::new());
}

fn key(l: *mut lua_State) -> usize {
    l as usize
}

/// Installs (`mask` or `count` set) or removes the user hook of thread
/// `l`: `mask` holds `LUA_MASKCALL`, `LUA_MASKRET` and `LUA_MASKLINE` bits
/// and `count` the user's instruction count (0: none).
///
/// # Safety
///
/// `l` is a live thread of the Lua state running on this OS thread.
pub(crate) unsafe fn set_user_hook(l: *mut lua_State, mask: c_int, count: c_int) {
    let k = key(l);
    let had = COMBINED.with(|c| c.borrow().get(&k).copied());
    if mask == 0 && count <= 0 {
        if let Some(c) = had {
            COMBINED.with(|m| m.borrow_mut().remove(&k));
            // SAFETY: as the caller guarantees.
            unsafe { ffi::lua_sethook(l, c.orig, c.orig_mask, c.orig_count) };
        }
        return;
    }
    let (orig, orig_mask, orig_count) = match had {
        Some(c) => (c.orig, c.orig_mask, c.orig_count),
        // SAFETY: reading a thread's hook fields.
        None => unsafe {
            let h = ffi::lua_gethook(l);
            // A one-shot armed hook is a pending request, not the thread's
            // own hook: `PREEMPT` carries it from now on.
            let armed: ffi::lua_Hook = super::hooks::armed_hook;
            if h.map(|f| f as usize) == Some(armed as usize) {
                (None, 0, 0)
            } else {
                (h, ffi::lua_gethookmask(l), ffi::lua_gethookcount(l))
            }
        },
    };
    let orig_count = if orig.is_some() && orig_mask & ffi::LUA_MASKCOUNT != 0 {
        orig_count.max(1)
    } else {
        0
    };
    let mut step = PREEMPT_EVERY;
    if count > 0 {
        step = step.min(count);
    }
    if orig_count > 0 {
        step = step.min(orig_count);
    }
    let c = Combined {
        orig,
        orig_mask,
        orig_count,
        user_mask: mask & (ffi::LUA_MASKCALL | ffi::LUA_MASKRET | ffi::LUA_MASKLINE),
        user_count: count.max(0),
        step,
        user_left: count.max(0),
        orig_left: orig_count,
        deferred: None,
        waited: 0,
        rearmed: false,
    };
    COMBINED.with(|m| m.borrow_mut().insert(k, c));
    // SAFETY: as the caller guarantees.
    unsafe {
        ffi::lua_sethook(
            l,
            Some(combined_hook),
            c.user_mask | ffi::LUA_MASKCOUNT,
            step,
        )
    };
}

/// Forgets thread `l`'s user hook and gives it its own hook back (a pooled
/// driver thread starts without a user hook; a new thread may reuse a dead
/// one's address).
///
/// # Safety
///
/// `l` is a live thread of the Lua state running on this OS thread.
pub(crate) unsafe fn forget(l: *mut lua_State) {
    let is_empty = COMBINED.with(|m| m.borrow().is_empty());
    if !is_empty {
        // SAFETY: as the caller guarantees.
        unsafe { set_user_hook(l, 0, 0) };
    }
}

/// Calls the user's hook function of thread `l` for `event`, as the
/// stock `debug` library does: `f(event_name, line_or_nil)`.
///
/// # Safety
///
/// Called from [`combined_hook`] with its arguments; no Rust value with a
/// destructor is alive (the call may raise).
unsafe fn call_user(l: *mut lua_State, event: c_int, line: c_int) {
    // SAFETY: registry and table reads with raw access; the user's function
    // is called with two arguments as ldblib's `hookf` calls it.
    unsafe {
        let top = ffi::lua_gettop(l);
        if ffi::lua_getfield(l, ffi::LUA_REGISTRYINDEX, USERHOOKS_KEY.as_ptr()) != ffi::LUA_TTABLE {
            ffi::lua_settop(l, top);
            return;
        }
        ffi::lua_pushthread(l);
        if ffi::lua_rawget(l, -2) != ffi::LUA_TFUNCTION {
            ffi::lua_settop(l, top);
            return;
        }
        let name = match event {
            ffi::LUA_HOOKCALL => c"call",
            ffi::LUA_HOOKRET => c"return",
            ffi::LUA_HOOKLINE => c"line",
            ffi::LUA_HOOKTAILCALL => c"tail call",
            _ => c"count",
        };
        ffi::lua_pushstring(l, name.as_ptr());
        if line >= 0 {
            ffi::lua_pushinteger(l, ffi::lua_Integer::from(line));
        } else {
            ffi::lua_pushnil(l);
        }
        ffi::lua_call(l, 2, 0);
        ffi::lua_settop(l, top);
    }
}

/// Advances thread `l`'s counters by one hook count. Answers whether the
/// user's count hook fires, and what polyeval's side does now (none when it
/// is deferred to the line event that follows).
fn tick(l: *mut lua_State) -> (bool, Option<Action>) {
    let preempt = PREEMPT.with(std::cell::Cell::get) && !in_flight();
    let (user, action, restore) = COMBINED.with(|m| {
        let mut m = m.borrow_mut();
        let Some(c) = m.get_mut(&key(l)) else {
            return (false, None, None);
        };
        // A re-armed count event comes one instruction after the last
        // user hook, not `step` after the last count event.
        let (ran, restore) = if c.rearmed {
            c.rearmed = false;
            (0, Some((c.user_mask | ffi::LUA_MASKCOUNT, c.step)))
        } else {
            (c.step, None)
        };
        let (user, action) = tick_counts(c, ran, preempt);
        (user, action, restore)
    });
    if let Some((mask, count)) = restore {
        // SAFETY: `l` is the thread whose hook runs; storing hook fields.
        unsafe { ffi::lua_sethook(l, Some(combined_hook), mask, count) };
    }
    (user, action)
}

/// [`tick`]'s bookkeeping for `ran` more instructions of thread record `c`.
fn tick_counts(c: &mut Combined, ran: c_int, preempt: bool) -> (bool, Option<Action>) {
    let mut user = false;
    if c.user_count > 0 {
        c.user_left -= ran;
        if c.user_left <= 0 {
            c.user_left = c.user_count;
            user = true;
        }
    }
    let mut action = None;
    if c.orig_count > 0 {
        c.orig_left -= ran;
        if c.orig_left <= 0 {
            c.orig_left = c.orig_count;
            action = c.orig.map(Action::Orig);
        }
    }
    if action.is_none() && preempt {
        action = Some(Action::Preempt);
    }
    if let Some(d) = c.deferred {
        // Still no line event since it was deferred: wait for one (a
        // yield now would make Lua skip the hooks of the instruction it
        // resumes, its line event too), up to `MAX_DEFER`.
        c.waited += 1;
        if c.waited < MAX_DEFER {
            return (user, None);
        }
        c.deferred = None;
        return (user, Some(d));
    }
    if action.is_some() && c.user_mask & ffi::LUA_MASKLINE != 0 {
        c.deferred = action;
        c.waited = 0;
        return (user, None);
    }
    (user, action)
}

/// What polyeval's side does at a line, call or return event, after the
/// user's hook ran. Lua calls no hook from inside a hook, so a count event
/// that falls inside the user's hook function is lost; in a loop whose
/// length divides `step`, every one of them is. So each such event also
/// counts one instruction toward polyeval's own count hook, and a due
/// count hook or a waiting preemption is done here: at a line event now
/// (it may yield), at a call or return event at the next instruction, by
/// re-arming the count at 1 (see [`Combined::rearmed`]).
///
/// # Safety
///
/// `l` is the thread whose hook runs.
unsafe fn due_at_event(l: *mut lua_State, event: c_int) -> Option<Action> {
    let preempt = PREEMPT.with(std::cell::Cell::get) && !in_flight();
    let (now, rearm) = COMBINED.with(|m| {
        let mut m = m.borrow_mut();
        let c = m.get_mut(&key(l))?;
        let mut due = None;
        if c.orig_count > 0 {
            c.orig_left -= 1;
            if c.orig_left <= 0 {
                due = c.orig.map(Action::Orig);
            }
        }
        if due.is_none() && preempt {
            due = Some(Action::Preempt);
        }
        let due = due?;
        if event == ffi::LUA_HOOKLINE {
            if matches!(due, Action::Orig(_)) {
                c.orig_left = c.orig_count;
            }
            return Some((Some(due), None));
        }
        // The re-armed count event finds `orig_left` still due.
        c.rearmed = true;
        Some((None, Some(c.user_mask | ffi::LUA_MASKCOUNT)))
    })?;
    if let Some(mask) = rearm {
        // SAFETY: as the caller guarantees; storing hook fields.
        unsafe { ffi::lua_sethook(l, Some(combined_hook), mask, 1) };
    }
    now
}

/// The deferred action of thread `l`, taken.
fn take_deferred(l: *mut lua_State) -> Option<Action> {
    COMBINED.with(|m| {
        m.borrow_mut()
            .get_mut(&key(l))
            .and_then(|c| c.deferred.take())
    })
}

/// Runs polyeval's side of the hook.
///
/// # Safety
///
/// Called last in [`combined_hook`], with its arguments and no Rust value
/// alive (this may yield or raise).
unsafe fn perform(l: *mut lua_State, ar: *mut lua_Debug, a: Action) {
    // SAFETY: as the caller guarantees; polyeval's hook gets the same
    // arguments Lua gave this hook.
    unsafe {
        match a {
            Action::Orig(h) => h(l, ar),
            Action::Preempt => {
                if super::hooks::sigint_here(l) {
                    super::hooks::raise_interrupted(l);
                }
                if super::ccalls::may_preempt(l) {
                    ffi::lua_yield(l, 0);
                } else if serve_here(l) {
                    raise_stop(l, combined_hook);
                }
            }
        }
    }
}

/// The hook of a thread with a user hook (see the module's header).
pub(crate) unsafe extern "C-unwind" fn combined_hook(l: *mut lua_State, ar: *mut lua_Debug) {
    // SAFETY: Lua calls a hook with a valid state and debug record. The
    // bookkeeping (`tick`, `take_deferred`) returns plain data before
    // anything that may raise, yield or call Lua; polyeval's side runs
    // last, since it may yield, which must be a hook's last action.
    unsafe {
        // After a count hook that yielded, the thread is suspended and may
        // not call anything.
        if ffi::lua_status(l) != ffi::LUA_OK {
            return;
        }
        let event = (*ar).event;
        if event != ffi::LUA_HOOKCOUNT {
            let line = if event == ffi::LUA_HOOKLINE {
                (*ar).currentline
            } else {
                -1
            };
            call_user(l, event, line);
            let action = match take_deferred(l) {
                Some(a) => Some(a),
                None => due_at_event(l, event),
            };
            if let Some(a) = action {
                perform(l, ar, a);
            }
            return;
        }
        let (user, action) = tick(l);
        if user {
            call_user(l, ffi::LUA_HOOKCOUNT, -1);
        }
        if let Some(a) = action {
            perform(l, ar, a);
        }
    }
}

/// `debug.sethook([thread,] hook, mask [, count])` as the stock `debug`
/// library's `db_sethook`, a C function too (so hooks see its own `return`
/// and no line of polyeval's), beside polyeval's hooks.
pub(crate) unsafe extern "C-unwind" fn db_sethook(l: *mut lua_State) -> c_int {
    // SAFETY: Lua calls this with a valid state. Argument checks may raise;
    // no Rust value with a destructor is alive at any point of this
    // function (only integers and pointers).
    unsafe {
        let (co, arg) = if ffi::lua_type(l, 1) == ffi::LUA_TTHREAD {
            (ffi::lua_tothread(l, 1), 1)
        } else {
            (l, 0)
        };
        let (mask, count) = if ffi::lua_isnoneornil(l, arg + 1) != 0 {
            ffi::lua_settop(l, arg + 1);
            (0, 0)
        } else {
            let smask = ffi::luaL_checklstring(l, arg + 2, std::ptr::null_mut());
            ffi::luaL_checktype(l, arg + 1, ffi::LUA_TFUNCTION);
            let count = ffi::luaL_optinteger(l, arg + 3, 0);
            let smask = std::ffi::CStr::from_ptr(smask).to_bytes();
            let has = |c: u8| smask.contains(&c);
            let mut mask = 0;
            if has(b'c') {
                mask |= ffi::LUA_MASKCALL;
            }
            if has(b'r') {
                mask |= ffi::LUA_MASKRET;
            }
            if has(b'l') {
                mask |= ffi::LUA_MASKLINE;
            }
            (mask, c_int::try_from(count.max(0)).unwrap_or(c_int::MAX))
        };
        // _HOOKKEY[co] = hook, or nil.
        if ffi::lua_getfield(l, ffi::LUA_REGISTRYINDEX, USERHOOKS_KEY.as_ptr()) != ffi::LUA_TTABLE {
            return 0;
        }
        let t = ffi::lua_gettop(l);
        if arg == 1 {
            ffi::lua_pushvalue(l, 1);
        } else {
            ffi::lua_pushthread(l);
        }
        if mask == 0 && count == 0 {
            ffi::lua_pushnil(l);
        } else {
            ffi::lua_pushvalue(l, arg + 1);
        }
        ffi::lua_rawset(l, t);
        set_user_hook(co, mask, count);
        0
    }
}

/// `debug.gethook([thread])` as the stock `db_gethook`, answering what the
/// script set (nil when nothing), never polyeval's own hook.
pub(crate) unsafe extern "C-unwind" fn db_gethook(l: *mut lua_State) -> c_int {
    // SAFETY: as for `db_sethook`; reads of the registry table only.
    unsafe {
        let arg = if ffi::lua_type(l, 1) == ffi::LUA_TTHREAD {
            1
        } else {
            0
        };
        if ffi::lua_getfield(l, ffi::LUA_REGISTRYINDEX, USERHOOKS_KEY.as_ptr()) != ffi::LUA_TTABLE {
            ffi::lua_pushnil(l);
            return 1;
        }
        if arg == 1 {
            ffi::lua_pushvalue(l, 1);
        } else {
            ffi::lua_pushthread(l);
        }
        if ffi::lua_rawget(l, -2) != ffi::LUA_TFUNCTION {
            ffi::lua_pushnil(l);
            return 1;
        }
        let co = if arg == 1 { ffi::lua_tothread(l, 1) } else { l };
        let Some((mask, count)) = COMBINED.with(|m| {
            m.borrow()
                .get(&key(co))
                .map(|c| (c.user_mask, c.user_count))
        }) else {
            // A pooled thread's forgotten hook.
            ffi::lua_pushnil(l);
            return 1;
        };
        let mut buf = [0u8; 4];
        let mut n = 0;
        for (bit, c) in [
            (ffi::LUA_MASKCALL, b'c'),
            (ffi::LUA_MASKRET, b'r'),
            (ffi::LUA_MASKLINE, b'l'),
        ] {
            if mask & bit != 0 {
                buf[n] = c;
                n += 1;
            }
        }
        ffi::lua_pushlstring(l, buf.as_ptr().cast(), n);
        ffi::lua_pushinteger(l, ffi::lua_Integer::from(count));
        3
    }
}
