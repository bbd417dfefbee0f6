//! Lua's coroutine library as raw C functions over the run loop's
//! coroutine chains (see `coro.rs` for the records and chains).
//!
//! The C functions end through `outcome.rs`'s [`Outcome`], as `send.rs`'s
//! do: only the shell raises or yields. Those that resume or close a
//! coroutine are generic over the continuation type that runs Lua threads
//! ([`ThreadCont`]).

use std::ffi::{c_int, CStr};

use mlua::ffi::{self, lua_KContext, lua_State};

use super::coro::{
    new_coroutine, rec_id, rec_of_chain, request, running_rec, start_chain, take_results, with_rec,
    Status, ThreadCont,
};
use super::outcome::{conclude, Outcome, NO_LOOP};
use polyeval_core::lend::with_rt;

/// Pushes the library's functions as a table (`coroutine`).
///
/// # Safety
///
/// As [`register`](super::coro::register), after it.
pub(crate) unsafe fn push_library<C: ThreadCont>(l: *mut lua_State) {
    let funcs: [(&CStr, ffi::lua_CFunction); 8] = [
        (c"create", create_c),
        (c"resume", resume_c::<C>),
        (c"yield", yield_c),
        (c"status", status_c),
        (c"running", running_c),
        (c"isyieldable", isyieldable_c),
        (c"wrap", wrap_c::<C>),
        (c"close", close_c::<C>),
    ];
    // SAFETY: a table filled with C functions.
    unsafe {
        ffi::lua_createtable(l, 0, 8);
        for (name, f) in funcs {
            ffi::lua_pushcclosure(l, f, 0);
            ffi::lua_setfield(l, -2, name.as_ptr());
        }
    }
}

/// Nested resumes allowed: stock Lua's `LUAI_MAXCCALLS` (200) less the
/// C calls beneath the main chunk under `lua`.
const MAX_DEPTH: u32 = 197;

/// Raises Lua's "bad argument" type error for argument `arg`, as
/// `luaL_typeerror` words it.
///
/// # Safety
///
/// As [`conclude`].
unsafe fn type_error(l: *mut lua_State, arg: c_int, expected: &CStr) -> ! {
    // SAFETY: as the caller guarantees.
    unsafe {
        let tname = if ffi::luaL_getmetafield(l, arg, c"__name".as_ptr()) == ffi::LUA_TSTRING {
            ffi::lua_tolstring(l, -1, std::ptr::null_mut())
        } else if ffi::lua_type(l, arg) == ffi::LUA_TLIGHTUSERDATA {
            c"light userdata".as_ptr()
        } else {
            ffi::lua_typename(l, ffi::lua_type(l, arg))
        };
        let msg =
            ffi::lua_pushfstring(l, c"%s expected, got %s".as_ptr(), expected.as_ptr(), tname);
        ffi::luaL_argerror(l, arg, msg);
        unreachable!("luaL_argerror raises")
    }
}

/// The thread argument at 1 (`getco`).
///
/// # Safety
///
/// As [`conclude`].
unsafe fn getco(l: *mut lua_State) -> *mut lua_State {
    // SAFETY: as the caller guarantees.
    unsafe {
        let co = ffi::lua_tothread(l, 1);
        if co.is_null() {
            type_error(l, 1, c"thread");
        }
        co
    }
}

/// `coroutine.create(f)`.
unsafe extern "C-unwind" fn create_c(l: *mut lua_State) -> c_int {
    // SAFETY: Lua calls this with its arguments; nothing of Rust's is
    // alive across the raises.
    unsafe {
        ffi::luaL_checktype(l, 1, ffi::LUA_TFUNCTION);
        new_coroutine(l);
    }
    1
}

/// `coroutine.wrap(f)`.
unsafe extern "C-unwind" fn wrap_c<C: ThreadCont>(l: *mut lua_State) -> c_int {
    // SAFETY: as `create_c`; the closure's upvalue is the thread.
    unsafe {
        ffi::luaL_checktype(l, 1, ffi::LUA_TFUNCTION);
        new_coroutine(l);
        ffi::lua_pushcclosure(l, auxwrap_c::<C>, 1);
    }
    1
}

/// `coroutine.resume(co, ...)`.
unsafe extern "C-unwind" fn resume_c<C: ThreadCont>(l: *mut lua_State) -> c_int {
    // SAFETY: `getco` raises before any Rust value exists; `resume_body`
    // returns with every Rust value dropped.
    unsafe {
        let co = getco(l);
        let narg = ffi::lua_gettop(l) - 1;
        let out = resume_body::<C>(l, co, 1, narg, resume_k);
        conclude(l, out)
    }
}

/// A function `coroutine.wrap` made.
unsafe extern "C-unwind" fn auxwrap_c<C: ThreadCont>(l: *mut lua_State) -> c_int {
    // SAFETY: as `resume_c`; the upvalue is the coroutine's thread.
    unsafe {
        let co = ffi::lua_tothread(l, ffi::lua_upvalueindex(1));
        let narg = ffi::lua_gettop(l);
        let out = resume_body::<C>(l, co, ffi::lua_upvalueindex(1), narg, wrap_k);
        match out {
            Outcome::Return(n) => wrap_results(l, ffi::lua_gettop(l) - n),
            other => conclude(l, other),
        }
    }
}

/// Where a `resume` continues: its results (`ok, ...`) are on top of `co`.
unsafe extern "C-unwind" fn resume_k(l: *mut lua_State, _s: c_int, _c: lua_KContext) -> c_int {
    // SAFETY: the stack holds the thread argument, then what the
    // continuation pushed.
    unsafe { ffi::lua_gettop(l) - 1 }
}

/// Where a wrap function continues.
unsafe extern "C-unwind" fn wrap_k(l: *mut lua_State, _s: c_int, _c: lua_KContext) -> c_int {
    // SAFETY: the stack holds what the continuation pushed.
    unsafe { wrap_results(l, 0) }
}

/// A wrap function's results: `ok, ...` lie above `base`; an error is
/// raised as stock `auxwrap` raises it.
///
/// # Safety
///
/// As [`conclude`]; called from the wrap function's own frame.
unsafe fn wrap_results(l: *mut lua_State, base: c_int) -> c_int {
    // SAFETY: as the caller guarantees.
    unsafe {
        if ffi::lua_toboolean(l, base + 1) != 0 {
            ffi::lua_rotate(l, base + 1, -1);
            ffi::lua_settop(l, -2);
            return ffi::lua_gettop(l) - base;
        }
        let co = ffi::lua_tothread(l, ffi::lua_upvalueindex(1));
        let mut stat = ffi::lua_status(co);
        if stat != ffi::LUA_OK && stat != ffi::LUA_YIELD {
            stat = ffi::lua_closethread(co, l);
            ffi::lua_xmove(co, l, 1);
        }
        if stat != ffi::LUA_ERRMEM && ffi::lua_type(l, -1) == ffi::LUA_TSTRING {
            ffi::luaL_where(l, 1);
            ffi::lua_rotate(l, -2, 1);
            ffi::lua_concat(l, 2);
        }
        ffi::lua_error(l)
    }
}

/// Pushes `false, msg` (resume's failure) and answers how many.
///
/// # Safety
///
/// `l` is running with room for two values.
unsafe fn fail_with(l: *mut lua_State, msg: &CStr) -> Outcome {
    // SAFETY: as the caller guarantees.
    unsafe {
        ffi::lua_pushboolean(l, 0);
        ffi::lua_pushstring(l, msg.as_ptr());
    }
    Outcome::Return(2)
}

/// The body of `resume` and of wrap functions: arguments `narg` values on
/// top of `l`, the coroutine's thread `co` at `co_idx`.
///
/// # Safety
///
/// As [`conclude`], before it.
unsafe fn resume_body<C: ThreadCont>(
    l: *mut lua_State,
    co: *mut lua_State,
    co_idx: c_int,
    narg: c_int,
    k: ffi::lua_KFunction,
) -> Outcome {
    // SAFETY: raw stack work on `l` and the coroutine's threads; the run
    // loop is reached through `with_rt`.
    unsafe {
        let idx = ffi::lua_absindex(l, co_idx);
        let id = rec_id(l, idx);
        if id == 0 {
            return native_resume(l, co, narg);
        }
        let Some((status, top)) = with_rec(id, |r| (r.status, r.top)) else {
            return fail_with(l, c"cannot resume dead coroutine");
        };
        match status {
            Status::Dead => return fail_with(l, c"cannot resume dead coroutine"),
            Status::Active => return fail_with(l, c"cannot resume non-suspended coroutine"),
            Status::Suspended => {}
        }
        if ffi::lua_checkstack(top, narg) == 0 {
            ffi::lua_pushboolean(l, 0);
            ffi::lua_pushstring(l, c"too many arguments to resume".as_ptr());
            return Outcome::Return(2);
        }
        let depth = running_rec()
            .and_then(|(rid, _, _)| with_rec(rid, |r| r.depth))
            .unwrap_or(0)
            + 1;
        if depth >= MAX_DEPTH {
            return fail_with(l, c"C stack overflow");
        }
        with_rec(id, |r| r.depth = depth);
        ffi::lua_xmove(l, top, narg);
        let yieldable = ffi::lua_isyieldable(l) != 0;
        let started = with_rt(|rt| start_chain::<C>(rt, l, id, co, narg, yieldable));
        match started {
            None => Outcome::RaiseStatic(NO_LOOP),
            Some(Err(m)) => Outcome::RaiseStatic(m),
            Some(Ok(true)) => {
                request(id);
                Outcome::YieldResume(k)
            }
            Some(Ok(false)) => Outcome::Return(take_results(l, id)),
        }
    }
}

/// Resumes a thread polyeval did not make (an embedder's) natively, as
/// stock `auxresume` does.
///
/// # Safety
///
/// As [`resume_body`].
unsafe fn native_resume(l: *mut lua_State, co: *mut lua_State, narg: c_int) -> Outcome {
    // SAFETY: as the caller guarantees.
    unsafe {
        if co == l || ffi::lua_status(co) == ffi::LUA_OK && ffi::lua_gettop(co) == 0 {
            let msg = if co == l {
                c"cannot resume non-suspended coroutine"
            } else {
                c"cannot resume dead coroutine"
            };
            return fail_with(l, msg);
        }
        if ffi::lua_checkstack(co, narg) == 0 {
            return fail_with(l, c"too many arguments to resume");
        }
        ffi::lua_xmove(l, co, narg);
        let mut nres = 0;
        let status = ffi::lua_resume(co, l, narg, &mut nres);
        if status == ffi::LUA_OK || status == ffi::LUA_YIELD {
            if ffi::lua_checkstack(l, nres + 1) == 0 {
                ffi::lua_settop(co, -(nres + 1));
                return fail_with(l, c"too many results to resume");
            }
            ffi::lua_pushboolean(l, 1);
            ffi::lua_xmove(co, l, nres);
            Outcome::Return(nres + 1)
        } else {
            ffi::lua_pushboolean(l, 0);
            ffi::lua_xmove(co, l, 1);
            Outcome::Return(2)
        }
    }
}

/// `coroutine.yield(...)`.
unsafe extern "C-unwind" fn yield_c(l: *mut lua_State) -> c_int {
    // SAFETY: the body holds no Rust value when it returns.
    unsafe {
        let n = ffi::lua_gettop(l);
        let out = yield_body(l, n);
        conclude(l, out)
    }
}

fn yield_body(l: *mut lua_State, n: c_int) -> Outcome {
    let verdict = with_rt(|rt| {
        let c = rt.chains().current()?;
        let id = rec_of_chain(rt, c)?;
        let nest = with_rec(id, |r| r.nest)?;
        Some(nest == rt.nested().depth())
    })
    .flatten();
    match verdict {
        None => Outcome::RaiseStatic(c"attempt to yield from outside a coroutine"),
        Some(false) => Outcome::RaiseStatic(c"attempt to yield across a C-call boundary"),
        // SAFETY: `l` is the running thread.
        Some(true) if unsafe { ffi::lua_isyieldable(l) } == 0 => {
            Outcome::RaiseStatic(c"attempt to yield across a C-call boundary")
        }
        Some(true) => Outcome::YieldUser(n),
    }
}

/// Pushes thread `co` on `l`.
///
/// # Safety
///
/// `co` is alive (a running coroutine is on its resumer's stack) and `l`
/// has a free slot.
unsafe fn push_thread(l: *mut lua_State, co: *mut lua_State) {
    // SAFETY: as the caller guarantees; `lua_pushthread` pushes on `co`'s
    // own stack, and the move takes it off at once.
    unsafe {
        if co == l {
            ffi::lua_pushthread(l);
        } else if ffi::lua_checkstack(co, 1) != 0 {
            ffi::lua_pushthread(co);
            ffi::lua_xmove(co, l, 1);
        } else {
            ffi::lua_pushnil(l);
        }
    }
}

/// `coroutine.running()`.
unsafe extern "C-unwind" fn running_c(l: *mut lua_State) -> c_int {
    let rec = running_rec();
    // SAFETY: plain pushes; the main thread is in the registry.
    unsafe {
        match rec {
            Some((_, co, _)) => {
                push_thread(l, co);
                ffi::lua_pushboolean(l, 0);
            }
            None => {
                ffi::lua_rawgeti(l, ffi::LUA_REGISTRYINDEX, ffi::LUA_RIDX_MAINTHREAD);
                ffi::lua_pushboolean(l, 1);
            }
        }
    }
    2
}

/// `coroutine.isyieldable([co])`.
unsafe extern "C-unwind" fn isyieldable_c(l: *mut lua_State) -> c_int {
    // SAFETY: reads only; `getco` raises before any Rust value exists.
    unsafe {
        let yieldable = if ffi::lua_type(l, 1) == ffi::LUA_TNONE {
            running_rec().is_some_and(|(_, _, ok)| ok) && ffi::lua_isyieldable(l) != 0
        } else {
            let co = getco(l);
            let id = rec_id(l, 1);
            match running_rec() {
                Some((rid, _, ok)) if id != 0 && rid == id => ok && ffi::lua_isyieldable(l) != 0,
                _ => ffi::lua_isyieldable(co) != 0,
            }
        };
        ffi::lua_pushboolean(l, c_int::from(yieldable));
    }
    1
}

/// The status name of the thread at 1.
///
/// # Safety
///
/// `l` is running; the value at 1 is a thread.
unsafe fn status_of(l: *mut lua_State, co: *mut lua_State) -> &'static CStr {
    // SAFETY: reads only.
    unsafe {
        if co == l {
            // Also a coroutine whose `__close` runs while it is closed.
            return c"running";
        }
        let id = rec_id(l, 1);
        if id != 0 {
            let status = with_rec(id, |r| r.status).unwrap_or(Status::Dead);
            return match status {
                Status::Dead => c"dead",
                Status::Suspended => c"suspended",
                Status::Active => match running_rec() {
                    Some((rid, _, _)) if rid == id => c"running",
                    _ => c"normal",
                },
            };
        }
        let mut main = false;
        ffi::lua_rawgeti(l, ffi::LUA_REGISTRYINDEX, ffi::LUA_RIDX_MAINTHREAD);
        if ffi::lua_tothread(l, -1) == co {
            main = true;
        }
        ffi::lua_settop(l, -2);
        if main {
            return if running_rec().is_some() {
                c"normal"
            } else {
                c"running"
            };
        }
        // A thread polyeval did not make: stock `auxstatus`.
        if co == l {
            return c"running";
        }
        match ffi::lua_status(co) {
            ffi::LUA_YIELD => c"suspended",
            ffi::LUA_OK => {
                let mut ar: ffi::lua_Debug = std::mem::zeroed();
                if ffi::lua_getstack(co, 0, &mut ar) != 0 {
                    c"normal"
                } else if ffi::lua_gettop(co) == 0 {
                    c"dead"
                } else {
                    c"suspended"
                }
            }
            _ => c"dead",
        }
    }
}

/// `coroutine.status(co)`.
unsafe extern "C-unwind" fn status_c(l: *mut lua_State) -> c_int {
    // SAFETY: `getco` raises before any Rust value exists.
    unsafe {
        let co = getco(l);
        let s = status_of(l, co);
        ffi::lua_pushstring(l, s.as_ptr());
    }
    1
}

/// `coroutine.close(co)`.
unsafe extern "C-unwind" fn close_c<C: ThreadCont>(l: *mut lua_State) -> c_int {
    // SAFETY: `getco` raises before any Rust value exists; the body
    // returns with every Rust value dropped.
    unsafe {
        let co = getco(l);
        let s = status_of(l, co);
        if s == c"running" || s == c"normal" {
            ffi::lua_pushfstring(l, c"cannot close a %s coroutine".as_ptr(), s.as_ptr());
            ffi::luaL_where(l, 1);
            ffi::lua_rotate(l, -2, 1);
            ffi::lua_concat(l, 2);
            ffi::lua_error(l);
        }
        let id = rec_id(l, 1);
        let out = close_body::<C>(l, co, id);
        conclude(l, out)
    }
}

/// Closes a suspended or dead coroutine: every Lua thread of its chain,
/// innermost first, has its pending to-be-closed variables run (an error
/// among them is the result, the outermost one winning); its other frames
/// are freed.
///
/// # Safety
///
/// As [`conclude`], before it.
unsafe fn close_body<C: ThreadCont>(l: *mut lua_State, co: *mut lua_State, id: u64) -> Outcome {
    // SAFETY: the threads closed here are suspended (not running) threads
    // of this state; `lua_closethread` calls `__close` protected.
    unsafe {
        let chain = with_rec(id, |r| {
            r.status = Status::Dead;
            r.chain.take()
        })
        .flatten();
        let mut failed = false;
        if let Some(c) = chain {
            let frames = with_rt(|rt| rt.chains().take(c)).unwrap_or_default();
            for mut f in frames {
                let Some(lc) = f.as_any_mut().and_then(|a| a.downcast_mut::<C>()) else {
                    continue;
                };
                let Some(t) = lc.take_thread() else { continue };
                let own = t.state() == co;
                if own {
                    continue;
                }
                let s = ffi::lua_closethread(t.state(), l);
                if s != ffi::LUA_OK {
                    if failed {
                        ffi::lua_settop(l, -2);
                    }
                    ffi::lua_xmove(t.state(), l, 1);
                    failed = true;
                }
                ffi::lua_settop(t.state(), 0);
                lc.give_back(t);
            }
        }
        let s = ffi::lua_closethread(co, l);
        if s != ffi::LUA_OK {
            if failed {
                ffi::lua_settop(l, -2);
            }
            ffi::lua_xmove(co, l, 1);
            failed = true;
        }
        if failed {
            ffi::lua_pushboolean(l, 0);
            ffi::lua_rotate(l, -2, 1);
            return Outcome::Return(2);
        }
        ffi::lua_pushboolean(l, 1);
        Outcome::Return(1)
    }
}
