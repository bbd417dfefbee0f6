//! What polyeval keeps of each user coroutine, and the run loop's
//! coroutine chains (`corolib.rs` is the `coroutine.*` library on them).
//!
//! A user coroutine is a real Lua thread, made by `coroutine.create` as
//! stock Lua makes it, but it is never resumed natively from inside
//! another thread. Its thread runs as a continuation of its own (the
//! driver's `LuaCont` of kind coroutine, made through [`ThreadCont`]), the
//! *base* of a run-loop chain ([`polyeval_core::Chains::make`]).
//! Whatever that thread calls through the loop (m0ld, and Lua functions
//! m0ld calls, on driver threads) belongs to the same chain, so:
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

use std::cell::{Cell, RefCell};
use std::ffi::{c_int, c_void, CStr};
use std::rc::Rc;

use mlua::ffi::{self, lua_State};
use polyeval_core::{ChainKey, Continuation, Cx};
use slotmap::{Key, SlotMap};

use crate::state::{Driver, Shared};
use polyeval_core::lend::with_rt;

/// What the coroutine library needs of the continuation that runs Lua
/// threads (the driver's `LuaCont`). It is a type parameter of the
/// library's C functions because the driver is above this folder.
pub(crate) trait ThreadCont: Continuation + Sized + 'static {
    /// The base of user coroutine `id`'s chain: its thread `co`, whose
    /// function and first arguments are on its stack when first resumed.
    fn coroutine(shared: Rc<Shared>, co: *mut lua_State, id: u64) -> Self;
    /// Takes the thread out (a closed coroutine's frames).
    fn take_thread(&mut self) -> Option<Driver>;
    /// Gives a thread taken out and emptied back to the pool.
    fn give_back(&self, t: Driver);
}

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

/// Runs `f` on record `id`.
pub(crate) fn with_rec<R>(id: u64, f: impl FnOnce(&mut CoRec) -> R) -> Option<R> {
    COROS.with(|c| c.borrow_mut().recs.get_mut(key(id)).map(f))
}

/// The record of chain `c` of loop `rt`.
pub(crate) fn rec_of_chain(rt: &mut Cx, c: ChainKey) -> Option<u64> {
    rt.chains().tag(c)
}

/// Notes the chain a coroutine's first resume made.
fn set_chain(id: u64, c: ChainKey) {
    with_rec(id, |r| r.chain = Some(c));
}

/// The resume request a `resume` left before yielding (taken).
pub(crate) fn take_request() -> u64 {
    REQUEST.with(|r| r.replace(0))
}

/// Leaves the request to resume coroutine `id`, for the continuation of
/// the `resume` that yields next.
pub(super) fn request(id: u64) {
    REQUEST.with(|r| r.set(id));
}

/// Releases the chains of collected coroutines (from the loop, between
/// Lua's steps).
pub(crate) fn settle(rt: &mut Cx) {
    if RELEASED.with(|r| r.borrow().is_empty()) {
        return;
    }
    let ids = RELEASED.with(|r| std::mem::take(&mut *r.borrow_mut()));
    for id in ids {
        let rec = COROS.with(|c| c.borrow_mut().recs.remove(key(id)));
        // A record of another Lua state of this thread (one that closed)
        // names no chain of this loop.
        if let Some(ch) = rec.and_then(|r| r.chain) {
            if rt.chains().tag(ch) == Some(id) {
                rt.chains().release(ch);
            }
        }
    }
}

/// Forgets a finished coroutine's chain in the loop and here.
pub(crate) fn finished(rt: &mut Cx, id: u64) {
    let chain = with_rec(id, |r| r.chain.take()).flatten();
    if let Some(c) = chain {
        rt.chains().finished(c);
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
pub(super) unsafe fn rec_id(l: *mut lua_State, idx: c_int) -> u64 {
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

/// Makes a coroutine of the function at index 1 and pushes its thread.
///
/// # Safety
///
/// As [`conclude`](super::outcome::conclude); the value at 1 is a function.
pub(super) unsafe fn new_coroutine(l: *mut lua_State) {
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

/// Resumes coroutine `id`'s chain (making it at its first resume): by a
/// yield of the resumer where it can yield (answers true: the caller
/// yields, and its continuation resumes the chain), else in a nested run
/// loop here (answers false once the chain yielded or ended).
///
/// # Safety
///
/// `l` is the resumer's thread, running.
pub(super) unsafe fn start_chain<C: ThreadCont>(
    rt: &mut Cx,
    l: *mut lua_State,
    id: u64,
    co: *mut lua_State,
    narg: c_int,
    yieldable: bool,
) -> Result<bool, &'static CStr> {
    let depth = rt.nested().depth();
    let chain = with_rec(id, |r| {
        r.args = narg;
        r.chain
    })
    .flatten();
    let chain = match chain {
        Some(c) => c,
        None => {
            // SAFETY: as the caller guarantees.
            let Some((_, sh)) = (unsafe { super::values::runtime_of(l) }) else {
                return Err(c"polyeval: the Lua runtime is gone");
            };
            let base = C::coroutine(sh, co, id);
            let c = rt.chains().make(Box::new(base), id);
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
    if rt.chains().resume(chain).is_err() {
        with_rec(id, |r| r.status = Status::Suspended);
        return Err(c"cannot resume non-suspended coroutine");
    }
    match rt.nested().run(me) {
        Ok(_) => Ok(false),
        Err(_) => {
            // The nested loop stopped (a stop of the program, or the depth
            // cap): the chain stays where it is.
            Err(c"polyeval: a coroutine could not run in a nested run loop")
        }
    }
}

/// The record of the coroutine the running code belongs to, if any.
pub(super) fn running_rec() -> Option<(u64, *mut lua_State, bool)> {
    with_rt(|rt| {
        let c = rt.chains().current()?;
        let id = rec_of_chain(rt, c)?;
        let co = with_rec(id, |r| r.co)?;
        let nested_ok = with_rec(id, |r| r.nest == rt.nested().depth()).unwrap_or(false);
        Some((id, co, nested_ok))
    })
    .flatten()
}

/// Whether the running code belongs to a user coroutine.
pub(crate) fn in_coroutine() -> bool {
    running_rec().is_some()
}
