//! Lua's coroutine library as raw C functions over the run loop's
//! coroutine chains.
//!
//! A user coroutine is a real Lua thread, made by `coroutine.create` as
//! stock Lua makes it, but it is never resumed natively from inside
//! another thread. Its thread runs as a continuation of its own (a
//! [`LuaCont`](crate::cont::LuaCont) of kind coroutine), the *base* of a
//! run-loop chain ([`polyeval_core::Interp::chain_new`]). Whatever that
//! thread calls through the loop (m0ld, and Lua functions m0ld calls, on
//! driver threads) belongs to the same chain, so:
//!
//! - `resume` (a yield of the resumer's thread to its continuation, or a
//!   nested loop where the resumer cannot yield) moves the arguments onto
//!   the stack of the thread where the chain stands and resumes the chain;
//! - `yield`, on any thread of the chain, leaves its values where they
//!   are and suspends the whole chain; the resumer's continuation moves
//!   them onto its own stack as `resume`'s results;
//! - a preemption or a pending call inside the chain goes straight to the
//!   loop from the thread where it happens, at any nesting depth.
//!
//! Every value a resume or a yield carries moves from Lua stack to Lua
//! stack (`lua_xmove`); the loop only switches continuations. Each
//! coroutine has a record here (by id), found from its thread through a
//! weak-keyed registry table whose values are small userdata with a
//! `__gc`: when Lua collects a suspended coroutine, its chain is released
//! (its frames freed, as a collected stock coroutine's are, without running
//! its to-be-closed variables).
//!
//! The C functions end through `outcome.rs`'s [`Outcome`], as `send.rs`'s
//! do: only the shell raises or yields.

use std::cell::{Cell, RefCell};
use std::ffi::{c_int, c_void, CStr};

use mlua::ffi::{self, lua_KContext, lua_State};
use polyeval_core::{ChainKey, Interp};
use slotmap::{Key, SlotMap};

use super::outcome::{conclude, Outcome, NO_LOOP};
use polyeval_core::lend::with_rt;

/// Where a coroutine is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Status {
    /// Not started, or suspended in a yield.
    Suspended,
    /// Resumed and not yet yielded: running, or normal (it resumed
    /// another).
    Active,
    /// Returned or failed.
    Dead,
}

/// What polyeval keeps of one coroutine.
pub(crate) struct CoRec {
    /// The coroutine's own thread.
    pub co: *mut lua_State,
    pub chain: Option<ChainKey>,
    pub status: Status,
    /// The thread where the suspended chain stands (where `resume`'s
    /// arguments go).
    pub top: *mut lua_State,
    /// How many of `resume`'s arguments wait on `top`'s stack.
    pub args: c_int,
    /// What the last yield, return or failure left for the resumer: the
    /// thread the values are on, how many, and whether it went well.
    pub out: (*mut lua_State, c_int, bool),
    /// How many coroutines are active beneath this one, itself included,
    /// while it is active: stock Lua's C-call count grows by one for each
    /// nested resume, and a resume past its limit fails with "C stack
    /// overflow".
    pub depth: u32,
    /// The nested run loop depth the chain was resumed at: a yield is
    /// possible only at that depth (not from inside a nested loop that a
    /// non-yieldable place in the chain started).
    pub nest: u32,
}

slotmap::new_key_type! {
    /// A coroutine record's key; Lua and the continuations hold it as the
    /// `u64` of `KeyData::as_ffi` (never 0).
    struct RecKey;
}

/// The key standing for `id` (an `id` that names no record finds none).
fn key(id: u64) -> RecKey {
    RecKey::from(slotmap::KeyData::from_ffi(id))
}

#[derive(Default)]
struct Coros {
    recs: SlotMap<RecKey, CoRec>,
}

thread_local! {
    static COROS: RefCell<Coros> = RefCell::new(Coros::default());
    /// The coroutine a `resume` that yielded to its continuation wants
    /// resumed.
    static REQUEST: Cell<u64> = const { Cell::new(0) };
    /// Records whose coroutine Lua collected, to release at the next step.
    static RELEASED: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
    /// Whether new coroutines run without a hook (armed preemption).
    static ARMED: Cell<bool> = const { Cell::new(false) };
}

/// Registry keys (their addresses): the weak-keyed table of records and
/// the records' metatable.
static COS_KEY: u8 = 0;
static REC_MT_KEY: u8 = 0;

fn key_of(p: &'static u8) -> *const c_void {
    std::ptr::from_ref(p).cast::<c_void>()
}

/// The marker a `resume` yields to its continuation.
pub(crate) fn resume_marker() -> *mut c_void {
    crate::runtime::marker(4).0
}

/// The marker under the values of a user `yield`.
pub(crate) fn yield_marker() -> *mut c_void {
    crate::runtime::marker(5).0
}

/// Runs `f` on record `id`.
pub(crate) fn with_rec<R>(id: u64, f: impl FnOnce(&mut CoRec) -> R) -> Option<R> {
    COROS.with(|c| c.borrow_mut().recs.get_mut(key(id)).map(f))
}

/// The record of chain `c` of loop `rt`.
pub(crate) fn rec_of_chain(rt: &Interp, c: ChainKey) -> Option<u64> {
    rt.chain_tag(c)
}

/// Notes the chain a coroutine's first resume made.
fn set_chain(id: u64, c: ChainKey) {
    with_rec(id, |r| r.chain = Some(c));
}

/// The resume request a `resume` left before yielding (taken).
pub(crate) fn take_request() -> u64 {
    REQUEST.with(|r| r.replace(0))
}

/// Releases the chains of collected coroutines (from the loop, between
/// Lua's steps).
pub(crate) fn settle(rt: &mut Interp) {
    if RELEASED.with(|r| r.borrow().is_empty()) {
        return;
    }
    let ids = RELEASED.with(|r| std::mem::take(&mut *r.borrow_mut()));
    for id in ids {
        let rec = COROS.with(|c| c.borrow_mut().recs.remove(key(id)));
        // A record of another Lua state of this thread (one that closed)
        // names no chain of this loop.
        if let Some(ch) = rec.and_then(|r| r.chain) {
            if rt.chain_tag(ch) == Some(id) {
                rt.chain_release(ch);
            }
        }
    }
}

/// Forgets a finished coroutine's chain in the loop and here.
pub(crate) fn finished(rt: &mut Interp, id: u64) {
    let chain = with_rec(id, |r| r.chain.take()).flatten();
    if let Some(c) = chain {
        rt.chain_finished(c);
    }
}

/// Installs the library's tables in the registry and sets whether new
/// coroutines start without a hook.
///
/// # Safety
///
/// `l` is a thread of a Lua state of this OS thread, with room for a few
/// values, inside mlua's protected `exec_raw`.
pub(crate) unsafe fn register(l: *mut lua_State, armed: bool) {
    ARMED.with(|a| a.set(armed));
    // SAFETY: table makes and registry stores; errors are Lua's.
    unsafe {
        ffi::lua_createtable(l, 0, 0);
        ffi::lua_createtable(l, 0, 1);
        ffi::lua_pushstring(l, c"k".as_ptr());
        ffi::lua_setfield(l, -2, c"__mode".as_ptr());
        ffi::lua_setmetatable(l, -2);
        ffi::lua_rawsetp(l, ffi::LUA_REGISTRYINDEX, key_of(&COS_KEY));
        ffi::lua_createtable(l, 0, 2);
        ffi::lua_pushcclosure(l, rec_gc, 0);
        ffi::lua_setfield(l, -2, c"__gc".as_ptr());
        ffi::lua_pushboolean(l, 0);
        ffi::lua_setfield(l, -2, c"__metatable".as_ptr());
        ffi::lua_rawsetp(l, ffi::LUA_REGISTRYINDEX, key_of(&REC_MT_KEY));
    }
}

/// Pushes the library's functions as a table (`coroutine`).
///
/// # Safety
///
/// As [`register`], after it.
pub(crate) unsafe fn push_library(l: *mut lua_State) {
    const FUNCS: [(&CStr, ffi::lua_CFunction); 8] = [
        (c"create", create_c),
        (c"resume", resume_c),
        (c"yield", yield_c),
        (c"status", status_c),
        (c"running", running_c),
        (c"isyieldable", isyieldable_c),
        (c"wrap", wrap_c),
        (c"close", close_c),
    ];
    // SAFETY: a table filled with C functions.
    unsafe {
        ffi::lua_createtable(l, 0, 8);
        for (name, f) in FUNCS {
            ffi::lua_pushcclosure(l, f, 0);
            ffi::lua_setfield(l, -2, name.as_ptr());
        }
    }
}

/// `__gc` of a record's userdata: its coroutine was collected.
unsafe extern "C-unwind" fn rec_gc(l: *mut lua_State) -> c_int {
    // SAFETY: the userdata is the record's (eight bytes, the id).
    unsafe {
        let p = ffi::lua_touserdata(l, 1).cast::<u64>();
        if !p.is_null() {
            let id = p.read_unaligned();
            if id != 0 {
                RELEASED.with(|r| r.borrow_mut().push(id));
            }
        }
    }
    0
}

/// The record id of the thread at `idx`, or 0.
///
/// # Safety
///
/// `l` is running, with two free slots; `idx` is absolute.
unsafe fn rec_id(l: *mut lua_State, idx: c_int) -> u64 {
    // SAFETY: raw registry and table reads; nothing raises.
    unsafe {
        if ffi::lua_rawgetp(l, ffi::LUA_REGISTRYINDEX, key_of(&COS_KEY)) != ffi::LUA_TTABLE {
            ffi::lua_settop(l, -2);
            return 0;
        }
        ffi::lua_pushvalue(l, idx);
        let id = if ffi::lua_rawget(l, -2) == ffi::LUA_TUSERDATA {
            let p = ffi::lua_touserdata(l, -1).cast::<u64>();
            if p.is_null() {
                0
            } else {
                p.read_unaligned()
            }
        } else {
            0
        };
        ffi::lua_settop(l, -3);
        id
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

/// Makes a coroutine of the function at index 1 and pushes its thread.
///
/// # Safety
///
/// As [`conclude`]; the value at 1 is a function.
unsafe fn new_coroutine(l: *mut lua_State) {
    // SAFETY: allocations may raise (no Rust value is alive); the record is
    // written after the last one.
    unsafe {
        let co = ffi::lua_newthread(l);
        ffi::lua_pushvalue(l, 1);
        ffi::lua_xmove(l, co, 1);
        // The new thread inherits the creator's hook: an armed one-shot
        // hook must not follow it, and a user hook does not (as pooled
        // threads); counting mode's global hook does.
        super::userhook::forget(co);
        if ARMED.with(Cell::get) {
            ffi::lua_sethook(co, None, 0, 0);
        }
        let ud = ffi::lua_newuserdatauv(l, 8, 0).cast::<u64>();
        ud.write_unaligned(0);
        ffi::lua_rawgetp(l, ffi::LUA_REGISTRYINDEX, key_of(&REC_MT_KEY));
        ffi::lua_setmetatable(l, -2);
        ffi::lua_rawgetp(l, ffi::LUA_REGISTRYINDEX, key_of(&COS_KEY));
        ffi::lua_pushvalue(l, -3); // the thread
        ffi::lua_pushvalue(l, -3); // the record
        ffi::lua_rawset(l, -3);
        ffi::lua_settop(l, -2);
        let id = COROS.with(|c| {
            c.borrow_mut()
                .recs
                .insert(CoRec {
                    co,
                    chain: None,
                    status: Status::Suspended,
                    top: co,
                    args: 0,
                    out: (co, 0, true),
                    depth: 0,
                    nest: 0,
                })
                .data()
                .as_ffi()
        });
        ud.write_unaligned(id);
        ffi::lua_settop(l, -2); // the record; the thread stays on top
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
unsafe extern "C-unwind" fn wrap_c(l: *mut lua_State) -> c_int {
    // SAFETY: as `create_c`; the closure's upvalue is the thread.
    unsafe {
        ffi::luaL_checktype(l, 1, ffi::LUA_TFUNCTION);
        new_coroutine(l);
        ffi::lua_pushcclosure(l, auxwrap_c, 1);
    }
    1
}

/// `coroutine.resume(co, ...)`.
unsafe extern "C-unwind" fn resume_c(l: *mut lua_State) -> c_int {
    // SAFETY: `getco` raises before any Rust value exists; `resume_body`
    // returns with every Rust value dropped.
    unsafe {
        let co = getco(l);
        let narg = ffi::lua_gettop(l) - 1;
        let out = resume_body(l, co, 1, narg, resume_k);
        conclude(l, out)
    }
}

/// A function `coroutine.wrap` made.
unsafe extern "C-unwind" fn auxwrap_c(l: *mut lua_State) -> c_int {
    // SAFETY: as `resume_c`; the upvalue is the coroutine's thread.
    unsafe {
        let co = ffi::lua_tothread(l, ffi::lua_upvalueindex(1));
        let narg = ffi::lua_gettop(l);
        let out = resume_body(l, co, ffi::lua_upvalueindex(1), narg, wrap_k);
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

/// Moves what the chain left for its resumer (`ok, values...`) onto `l`.
///
/// # Safety
///
/// `l` is the resumer's thread, not running or running this call.
pub(crate) unsafe fn take_results(l: *mut lua_State, id: u64) -> c_int {
    let (src, n, ok) = with_rec(id, |r| std::mem::replace(&mut r.out, (r.co, 0, true)))
        .unwrap_or((std::ptr::null_mut(), 0, false));
    // SAFETY: `src` is a thread of the chain, which left `n` values on its
    // top; `l` has the room checked here.
    unsafe {
        if src.is_null() {
            ffi::lua_pushboolean(l, 0);
            ffi::lua_pushstring(l, c"cannot resume dead coroutine".as_ptr());
            return 2;
        }
        if ffi::lua_checkstack(l, n + 1) == 0 {
            ffi::lua_settop(src, -(n + 1));
            ffi::lua_pushboolean(l, 0);
            ffi::lua_pushstring(l, c"too many results to resume".as_ptr());
            return 2;
        }
        ffi::lua_pushboolean(l, c_int::from(ok));
        ffi::lua_xmove(src, l, n);
        n + 1
    }
}

/// The body of `resume` and of wrap functions: arguments `narg` values on
/// top of `l`, the coroutine's thread `co` at `co_idx`.
///
/// # Safety
///
/// As [`conclude`], before it.
unsafe fn resume_body(
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
        let started = with_rt(|rt| start_chain(rt, id, co, narg, yieldable));
        match started {
            None => Outcome::RaiseStatic(NO_LOOP),
            Some(Err(m)) => Outcome::RaiseStatic(m),
            Some(Ok(true)) => {
                REQUEST.with(|r| r.set(id));
                Outcome::YieldResume(k)
            }
            Some(Ok(false)) => Outcome::Return(take_results(l, id)),
        }
    }
}

/// Resumes coroutine `id`'s chain (making it at its first resume): by a
/// yield of the resumer where it can yield (answers true: the caller
/// yields, and its continuation resumes the chain), else in a nested run
/// loop here (answers false once the chain yielded or ended).
fn start_chain(
    rt: &mut Interp,
    id: u64,
    co: *mut lua_State,
    narg: c_int,
    yieldable: bool,
) -> Result<bool, &'static CStr> {
    let depth = rt.nested_depth();
    let chain = with_rec(id, |r| {
        r.args = narg;
        r.chain
    })
    .flatten();
    let chain = match chain {
        Some(c) => c,
        None => {
            let Some(lr) = crate::LuaRuntime::of(rt) else {
                return Err(c"polyeval: the Lua runtime is gone");
            };
            let base = crate::cont::LuaCont::coroutine(lr.shared().clone(), co, id);
            let c = rt.chain_new(Box::new(base), id);
            set_chain(id, c);
            c
        }
    };
    if yieldable {
        with_rec(id, |r| {
            r.nest = depth;
            r.status = Status::Active;
        });
        return Ok(true);
    }
    // Lua cannot yield here: the chain runs in a nested loop, which ends
    // when control comes back to this continuation.
    let Some(me) = rt.continuation() else {
        return Err(c"polyeval: no continuation runs this Lua code");
    };
    with_rec(id, |r| {
        r.nest = depth + 1;
        r.status = Status::Active;
    });
    if rt.chain_resume(chain).is_err() {
        with_rec(id, |r| r.status = Status::Suspended);
        return Err(c"cannot resume non-suspended coroutine");
    }
    match rt.run_nested(me) {
        Ok(_) => Ok(false),
        Err(_) => {
            // The nested loop stopped (a stop of the program, or the depth
            // cap): the chain stays where it is.
            Err(c"polyeval: a coroutine could not run in a nested run loop")
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
        let c = rt.current_chain()?;
        let id = rec_of_chain(rt, c)?;
        let nest = with_rec(id, |r| r.nest)?;
        Some(nest == rt.nested_depth())
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

/// The record of the coroutine the running code belongs to, if any.
fn running_rec() -> Option<(u64, *mut lua_State, bool)> {
    with_rt(|rt| {
        let c = rt.current_chain()?;
        let id = rec_of_chain(rt, c)?;
        let co = with_rec(id, |r| r.co)?;
        let nested_ok = with_rec(id, |r| r.nest == rt.nested_depth()).unwrap_or(false);
        Some((id, co, nested_ok))
    })
    .flatten()
}

/// Whether the running code belongs to a user coroutine.
pub(crate) fn in_coroutine() -> bool {
    running_rec().is_some()
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
unsafe extern "C-unwind" fn close_c(l: *mut lua_State) -> c_int {
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
        let out = close_body(l, co, id);
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
unsafe fn close_body(l: *mut lua_State, co: *mut lua_State, id: u64) -> Outcome {
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
            let frames = with_rt(|rt| rt.chain_take(c)).unwrap_or_default();
            for mut f in frames {
                let Some(lc) = f
                    .as_any_mut()
                    .and_then(|a| a.downcast_mut::<crate::cont::LuaCont>())
                else {
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

#[cfg(test)]
mod tests {
    #[test]
    fn markers_differ() {
        assert_ne!(super::resume_marker(), super::yield_marker());
    }
}
