//! The one place with `unsafe` in polyeval, for two things mlua does not
//! offer safely:
//!
//! 1. A Lua state that has the `debug` library. polyeval reads suspended
//!    threads' stacks with a private `debug.getinfo` (lazily, for
//!    backtraces); scripts see `debug` only with `--lua-stdlib all`.
//! 2. Preemption on demand ("armed hooks"), for speed. A count hook makes
//!    Lua 5.4 trap on every instruction (a pure Lua loop runs half as
//!    fast), so by default driver threads run with no hook at all. When an
//!    interrupt is raised from another thread, the loop's waker sends
//!    SIGURG to the loop's thread; the handler sets a one-instruction count
//!    hook on the Lua thread running there (`lua_sethook` is documented as
//!    safe to call from a signal handler; the stand-alone `lua` does the
//!    same for Ctrl-C). The hook removes itself and yields to the run loop.
//!    User coroutines keep a permanent count hook that yields only when a
//!    preemption was asked for.

use std::cell::Cell;
use std::ffi::c_int;
use std::ptr;
use std::sync::atomic::{compiler_fence, AtomicBool, Ordering};
use std::sync::Arc;

use mlua::ffi::{self, lua_Debug, lua_State};
use mlua::{Lua, LuaOptions, StdLib};

mod ccalls;
pub(crate) mod coro;
pub(crate) mod cstdio;
mod iolib;
mod loadlib;
mod outcome;
pub(crate) mod resume;
mod send;
mod userhook;
mod values;
mod warn;

pub(crate) use send::{proxy_object, proxy_value, SendLayer, TOSTRING_ID};

/// A Lua state with the safe standard libraries plus `debug`.
pub(crate) fn new_lua_with_debug() -> Lua {
    // SAFETY: `unsafe_new_with` is unsafe only because the libraries it may
    // load (`debug`, and C modules through `package`) let Lua scripts break
    // memory safety. We load the safe set plus `debug`. `runtime::setup`
    // then removes `debug` from the globals and `package.loaded`, and the C
    // loaders (`package.loadlib`, the C searchers), unless the user asked
    // for `--lua-stdlib all`; polyeval itself only calls `debug.getinfo`,
    // which reads and never writes.
    unsafe { Lua::unsafe_new_with(StdLib::ALL_SAFE | StdLib::DEBUG, LuaOptions::default()) }
}

thread_local! {
    /// The driver thread Lua is running on this OS thread (null: none).
    static CURRENT: Cell<*mut lua_State> = const { Cell::new(ptr::null_mut()) };
    /// The run loop asked running Lua code to yield to it.
    static PREEMPT: Cell<bool> = const { Cell::new(false) };
    /// A `PENDING` yield is on its way (between a pending send and the
    /// yield that carries it): no preemption may come in between.
    static IN_FLIGHT: Cell<bool> = const { Cell::new(false) };
}

/// Marks (or clears) a `PENDING` yield on its way.
pub(crate) fn set_in_flight(on: bool) {
    IN_FLIGHT.with(|c| c.set(on));
}

/// Whether a `PENDING` yield is on its way.
pub(crate) fn in_flight() -> bool {
    IN_FLIGHT.with(Cell::get)
}

/// Makes `l` run [`armed_hook`] at its next instruction.
///
/// # Safety
///
/// `l` must be a live Lua thread of a state owned by this OS thread.
unsafe fn arm(l: *mut lua_State) {
    // SAFETY: the caller guarantees `l` is live; `lua_gethook` reads and
    // `lua_sethook` only stores the hook fields (safe even from a signal
    // handler, per Lua's manual). A thread with a user hook keeps it: its
    // combined hook sees the request through `PREEMPT`.
    unsafe {
        let combined: ffi::lua_Hook = userhook::combined_hook;
        if ffi::lua_gethook(l).map(|h| h as usize) == Some(combined as usize) {
            return;
        }
        ffi::lua_sethook(l, Some(armed_hook), ffi::LUA_MASKCOUNT, 1);
    }
}

/// The error a hook raises where Lua cannot yield and the program must
/// stop: it unwinds Lua to a place where the hook can yield to the loop,
/// which then reports the real reason (budget, signal, fatal error).
const STOP_MSG: &std::ffi::CStr =
    c"the program is stopping (step budget, a signal, or a fatal error)";

/// Where a hook found that Lua cannot yield: gives the loop its turn in
/// place ([`polyeval_core::Interp::serve_in_place`]: handlers run as
/// detours in a nested run loop). Answers true when the program must stop.
/// Plain Rust: every destructor has run when it returns.
fn serve_here() -> bool {
    polyeval_core::panics::catch(|| {
        polyeval_core::lend::with_rt(|rt| {
            let stop = rt.serve_in_place().is_err();
            signal_again(rt);
            stop
        })
    })
    .ok()
    .flatten()
    .unwrap_or(false)
}

/// Raises [`STOP_MSG`] in `l` after re-arming `hook` at every instruction,
/// so that Lua keeps unwinding (past any `pcall`) until the hook can
/// yield.
///
/// # Safety
///
/// `l` is the thread running the calling hook; no Rust value with a
/// destructor is alive in the caller (this longjmps).
unsafe fn raise_stop(l: *mut lua_State, hook: ffi::lua_Hook) -> ! {
    PREEMPT.with(|p| p.set(true));
    // SAFETY: as the caller guarantees; the message is a static C string.
    unsafe {
        ffi::lua_sethook(l, Some(hook), ffi::LUA_MASKCOUNT, 1);
        ffi::lua_pushstring(l, STOP_MSG.as_ptr());
        ffi::lua_error(l)
    }
}

/// Whether a SIGINT with no handler waits to be raised as `interrupted!`
/// in the running Lua code ([`polyeval_core::Interp::take_unhandled_sigint`],
/// which takes it). Plain Rust: every destructor has run when it returns.
fn sigint_here() -> bool {
    polyeval_core::panics::catch(|| {
        polyeval_core::lend::with_rt(|rt| {
            let taken = rt.take_unhandled_sigint();
            if taken {
                signal_again(rt);
            }
            taken
        })
    })
    .ok()
    .flatten()
    .unwrap_or(false)
}

/// Lua goes on running without re-entering (an interrupt was served in
/// place or raised as an error): the waker must signal again at the next
/// raise, which it does once per entry otherwise.
fn signal_again(rt: &polyeval_core::Interp) {
    if let Some(lr) = crate::LuaRuntime::of(rt) {
        lr.shared().arm.signalled.store(false, Ordering::SeqCst);
    }
}

/// Raises `interrupted!` in `l`, positioned as `luaL_error` positions it,
/// as the stand-alone `lua` does for Ctrl-C.
///
/// # Safety
///
/// `l` is the thread running the calling hook; no Rust value with a
/// destructor is alive in the caller (this longjmps).
unsafe fn raise_interrupted(l: *mut lua_State) -> ! {
    // SAFETY: as the caller guarantees; static strings only.
    unsafe {
        ffi::luaL_where(l, 1);
        ffi::lua_pushstring(l, c"interrupted!".as_ptr());
        ffi::lua_concat(l, 2);
        ffi::lua_error(l)
    }
}

thread_local! {
    /// The hook [`interrupt_hook`] replaced, given back when it fires.
    static BEFORE_INTERRUPT: Cell<Option<(Option<ffi::lua_Hook>, c_int, c_int)>> =
        const { Cell::new(None) };
}

/// A one-shot hook that gives the thread its hook back and raises
/// `interrupted!` (see [`interrupt_thread`]).
unsafe extern "C-unwind" fn interrupt_hook(l: *mut lua_State, _ar: *mut lua_Debug) {
    // SAFETY: as for `armed_hook`; the saved hook is plain data.
    unsafe {
        if in_flight() {
            return;
        }
        let (h, mask, count) = BEFORE_INTERRUPT.with(Cell::take).unwrap_or((None, 0, 0));
        ffi::lua_sethook(l, h, mask, count);
        raise_interrupted(l);
    }
}

/// Makes running thread `t` raise `interrupted!` at its next instruction,
/// for hooks that cannot raise it themselves (mlua's count hook).
pub(crate) fn interrupt_thread(t: &mlua::Thread) {
    let l = t.to_pointer().cast_mut().cast::<lua_State>();
    // SAFETY: `t` is the thread running on this OS thread (held, so
    // alive); reading and storing hook fields.
    unsafe {
        let saved = (
            ffi::lua_gethook(l),
            ffi::lua_gethookmask(l),
            ffi::lua_gethookcount(l),
        );
        BEFORE_INTERRUPT.with(|b| b.set(Some(saved)));
        ffi::lua_sethook(l, Some(interrupt_hook), ffi::LUA_MASKCOUNT, 1);
    }
}

/// The hook of an armed driver thread. If a preemption is asked for, it
/// yields to the run loop where Lua can yield; where it cannot (inside a
/// C call: a sort comparator, a metamethod, a finalizer) the loop is
/// served in place, and a stop unwinds Lua. Otherwise the arming is stale
/// (the loop already had its turn) and the hook removes itself. It stays
/// installed across its own yield: mlua tells a hook's yield from a plain
/// one by the hook's presence, and keeps the suspended frame's stack only
/// for the former.
unsafe extern "C-unwind" fn armed_hook(l: *mut lua_State, _ar: *mut lua_Debug) {
    // SAFETY: Lua calls a hook on the thread it runs, with a valid state.
    // Yielding from a count hook with no results is allowed, and must be
    // the hook's last action; `raise_stop` runs with no Rust value alive.
    unsafe {
        if in_flight() {
            return; // stays armed: the next instruction checks again
        }
        if !PREEMPT.with(Cell::get) {
            ffi::lua_sethook(l, None, 0, 0);
            return;
        }
        if sigint_here() {
            ffi::lua_sethook(l, None, 0, 0);
            raise_interrupted(l);
        }
        if !ccalls::may_preempt(l) {
            if serve_here() {
                raise_stop(l, armed_hook);
            }
            // Served (or nothing was due): look again later.
            ffi::lua_sethook(l, Some(armed_hook), ffi::LUA_MASKCOUNT, 1000);
            return;
        }
        ffi::lua_yield(l, 0);
    }
}

/// The hook of a thread whose program is stopping: at every instruction
/// it yields to the loop where Lua can yield (the loop then reports the
/// stop) and raises [`STOP_MSG`] where it cannot, so that Lua unwinds past
/// any `pcall` to such a place.
unsafe extern "C-unwind" fn stop_hook(l: *mut lua_State, _ar: *mut lua_Debug) {
    // SAFETY: as for `armed_hook`.
    unsafe {
        if in_flight() {
            return;
        }
        if ffi::lua_isyieldable(l) != 0 {
            ffi::lua_yield(l, 0);
        } else {
            raise_stop(l, stop_hook);
        }
    }
}

/// Makes running thread `t` unwind to the loop from its next instruction
/// on (see [`stop_hook`]): the program is stopping.
pub(crate) fn stop_thread(t: &mlua::Thread) {
    let l = t.to_pointer().cast_mut().cast::<lua_State>();
    // SAFETY: `t` is the thread running on this OS thread (held, so alive);
    // `lua_sethook` only stores the hook fields.
    unsafe { ffi::lua_sethook(l, Some(stop_hook), ffi::LUA_MASKCOUNT, 1) }
}

/// Whether a preemption may yield Lua thread `t` (the one running now):
/// it can yield, and no C call above its resume would lose its count
/// (`ccalls`).
pub(crate) fn may_preempt(t: &mlua::Thread) -> bool {
    let l = t.to_pointer().cast_mut().cast::<lua_State>();
    // SAFETY: a thread value's pointer is its `lua_State`, alive while `t`
    // is held; `may_preempt` only reads it.
    unsafe { ccalls::may_preempt(l) }
}

/// Where Lua was before [`enter`]; give it back to [`leave`].
pub(crate) struct Entered {
    prev: *mut lua_State,
}

/// Notes that driver thread `t` is about to run (armed mode) and arms it
/// at once if an interrupt already waits (`pending`, or the handle's flag
/// read after the thread is published, so that a raise racing with this
/// call is seen either here or by the signal handler).
pub(crate) fn enter(
    t: &resume::Driver,
    arm_state: &ArmState,
    pending: impl Fn() -> bool,
) -> Entered {
    let me = t.state();
    arm_state.signalled.store(false, Ordering::SeqCst);
    let prev = CURRENT.with(|c| c.replace(me));
    compiler_fence(Ordering::SeqCst);
    if pending() {
        PREEMPT.with(|p| p.set(true));
        // SAFETY: `t` is held by the caller and about to be resumed here.
        unsafe { arm(me) }
    }
    Entered { prev }
}

/// Undoes [`enter`] after the resume returned. A hook left on the thread
/// removes itself at its next instruction (see [`armed_hook`]).
pub(crate) fn leave(e: Entered) {
    CURRENT.with(|c| c.set(e.prev));
    compiler_fence(Ordering::SeqCst);
    PREEMPT.with(|p| p.set(false));
}

/// The armed mode's shared state: whether the loop's thread was signalled
/// since Lua last entered, and whether the loop still lives.
pub(crate) struct ArmState {
    signalled: AtomicBool,
    alive: AtomicBool,
}

impl ArmState {
    pub(crate) fn new() -> Arc<ArmState> {
        Arc::new(ArmState {
            signalled: AtomicBool::new(false),
            alive: AtomicBool::new(true),
        })
    }

    /// The loop is going away: its waker stops signalling.
    pub(crate) fn retire(&self) {
        self.alive.store(false, Ordering::SeqCst);
    }
}

/// The waker for the run loop on the calling OS thread: it signals that
/// thread (once until Lua next enters), whose handler arms the running
/// driver thread. `None` where signals are not available.
#[cfg(unix)]
pub(crate) fn waker(state: &Arc<ArmState>) -> Option<polyeval_core::Waker> {
    install_signal_handler()?;
    // SAFETY: `pthread_self` has no preconditions.
    let tid = unsafe { libc::pthread_self() };
    let state = state.clone();
    Some(Box::new(move || {
        if state.alive.load(Ordering::SeqCst) && !state.signalled.swap(true, Ordering::SeqCst) {
            // SAFETY: `tid` is the loop's thread, alive while `alive` is set
            // (the loop retires the state before its thread can end).
            unsafe {
                libc::pthread_kill(tid, libc::SIGURG);
            }
        }
    }))
}

#[cfg(not(unix))]
pub(crate) fn waker(_state: &Arc<ArmState>) -> Option<polyeval_core::Waker> {
    None
}

#[cfg(unix)]
fn install_signal_handler() -> Option<()> {
    static INSTALLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *INSTALLED.get_or_init(|| {
        // SAFETY: the action is async-signal-safe: it reads and writes
        // this thread's const-initialised thread-locals (no allocation, no
        // locks) and calls `lua_sethook`, which Lua allows in a signal
        // handler.
        unsafe { signal_hook::low_level::register(libc::SIGURG, on_sigurg) }.is_ok()
    });
    ok.then_some(())
}

#[cfg(unix)]
fn on_sigurg() {
    let l = CURRENT.try_with(Cell::get).unwrap_or(ptr::null_mut());
    if !l.is_null() {
        let _ = PREEMPT.try_with(|p| p.set(true));
        // SAFETY: `CURRENT` names the driver thread this OS thread is
        // running between `enter` and `leave`, so it is live.
        unsafe { arm(l) }
    }
}

/// Writes `bytes` where `print` writes. Plain Rust: every destructor has
/// run when it returns.
pub(super) fn write_output(bytes: &[u8]) -> bool {
    use std::io::Write;
    let r = polyeval_core::panics::catch(|| {
        match polyeval_core::lend::with_rt(|rt| rt.out().write_all(bytes)) {
            Some(r) => r,
            None => std::io::stdout().write_all(bytes),
        }
    });
    matches!(r, Ok(Ok(())))
}

/// `print`, as a C function like stock Lua's (no upvalue): each argument
/// is converted with `luaL_tolstring`, then they are written tab-separated
/// with a newline to the run loop's output ([`write_output`]; with no loop
/// lent, as in a finalizer run when the state closes at exit, to the
/// process's stdout). Raw: it needs no mlua callback, so it works when
/// Lua's memory is short. Errors from `__tostring` propagate unchanged,
/// as stock.
pub(crate) fn print_function(lua: &Lua) -> mlua::Result<mlua::Function> {
    // SAFETY: `exec_raw` runs the closure in protected mode;
    // `lua_pushcclosure` pushes the closure (no upvalues, as stock
    // `print`), the one result.
    unsafe {
        lua.exec_raw((), |l| {
            ffi::lua_pushcclosure(l, print_c, 0);
        })
    }
}

unsafe extern "C-unwind" fn print_c(l: *mut lua_State) -> c_int {
    // SAFETY: Lua calls this with a valid state. The conversion phase
    // calls Lua (`lua_call` may raise or run a nested loop) with no Rust
    // value alive; the write phase reads only strings (no conversion, no
    // raise) and drops its buffer before pushing anything.
    unsafe {
        let n = ffi::lua_gettop(l);
        for i in 1..=n {
            if ffi::lua_type(l, i) != ffi::LUA_TSTRING {
                // As stock `print`: `luaL_tolstring` (`__tostring`, then
                // `__name`), not the global `tostring`.
                ffi::luaL_tolstring(l, i, std::ptr::null_mut());
                ffi::lua_replace(l, i);
            }
        }
        let ok = {
            let mut buf: Vec<u8> = Vec::new();
            for i in 1..=n {
                let mut len = 0usize;
                let p = ffi::lua_tolstring(l, i, &mut len);
                if i > 1 {
                    buf.push(b'\t');
                }
                if !p.is_null() {
                    buf.extend_from_slice(std::slice::from_raw_parts(p.cast::<u8>(), len));
                }
            }
            buf.push(b'\n');
            write_output(&buf)
        };
        let _ = ok; // print ignores write errors, as stock Lua's does
        0
    }
}

/// `os.exit` as a C function with stock Lua's argument rules: a boolean
/// (`true` success, `false` failure) or an optional integer (`2.0` is 2;
/// `{}` and `2.5` are bad arguments). With a true second argument the
/// state is closed first, as stock `lua_close`: pending to-be-closed
/// variables of the running code (which stands for stock's main thread
/// unless it is a coroutine) and every finalizer run. Then the run loop's
/// exit hooks run and its output is flushed.
pub(crate) fn exit_function(lua: &Lua) -> mlua::Result<mlua::Function> {
    // SAFETY: `exec_raw` runs the closure protected; the closure pushes
    // one C function with no upvalues.
    unsafe { lua.exec_raw((), |l| ffi::lua_pushcclosure(l, os_exit_c, 0)) }
}

unsafe extern "C-unwind" fn os_exit_c(l: *mut lua_State) -> c_int {
    // SAFETY: the argument checks raise before any Rust value exists. The
    // close runs Lua code (protected inside `lua_closethread` and
    // `lua_close`); nothing returns to Lua afterwards: `exit_now` ends the
    // process.
    unsafe {
        let status = if ffi::lua_type(l, 1) == ffi::LUA_TBOOLEAN {
            if ffi::lua_toboolean(l, 1) != 0 {
                0
            } else {
                1
            }
        } else {
            let n = ffi::luaL_optinteger(l, 1, 0);
            // As C's `exit((int)n)`.
            n as i32
        };
        if ffi::lua_toboolean(l, 2) != 0 {
            if !coro::in_coroutine() {
                ffi::lua_closethread(l, ptr::null_mut());
            }
            ffi::lua_close(l);
        }
        exit_now(status)
    }
}

/// Ends the process with `status` after the loop's exit hooks (or, with
/// no loop lent, after flushing stdout).
fn exit_now(status: i32) -> ! {
    let _ = polyeval_core::panics::catch(|| {
        polyeval_core::lend::with_rt(|rt| rt.exit_process(status));
    });
    let _ = std::io::Write::flush(&mut std::io::stdout());
    std::process::exit(status)
}

/// `debug.sethook` and `debug.gethook` as C functions beside polyeval's
/// own hooks (see `userhook`).
pub(crate) fn debug_hook_functions(lua: &Lua) -> mlua::Result<(mlua::Function, mlua::Function)> {
    // SAFETY: both follow the lua_CFunction protocol (see their comments).
    unsafe {
        Ok((
            lua.create_c_function(userhook::db_sethook)?,
            lua.create_c_function(userhook::db_gethook)?,
        ))
    }
}

/// Gives thread `t` its own hook back if a user hook was set on it (a
/// pooled driver thread starts without one; a new thread may reuse a dead
/// one's address).
pub(crate) fn forget_user_hook(l: *mut lua_State) {
    // SAFETY: `l` is a held (live) thread of the Lua state running on this
    // OS thread.
    unsafe { userhook::forget(l) }
}

/// The coroutine library (`coroutine.*` as C functions, `coro.rs`);
/// `armed`: new coroutines start with no hook.
pub(crate) fn coroutine_library(lua: &Lua, armed: bool) -> mlua::Result<mlua::Table> {
    // SAFETY: `exec_raw` runs the closure protected, on mlua's stack;
    // `register` stores two tables in the registry and `push_library`
    // pushes the library, the one result.
    unsafe {
        lua.exec_raw((), |l| {
            ccalls::calibrate(l);
            coro::register(l, armed);
            coro::push_library(l);
        })
    }
}

/// Moves what coroutine `id` left for its resumer onto suspended thread
/// `t`'s stack (`ok, values...`); answers how many.
pub(crate) fn take_coroutine_results(t: &resume::Driver, id: u64) -> c_int {
    // SAFETY: `t` is a held thread suspended in the `resume` waiting for
    // coroutine `id`.
    unsafe { coro::take_results(t.state(), id) }
}

/// `traceback(msg, level)`: `luaL_traceback` of the calling thread, as
/// `debug.traceback(msg, level)` gives it for a string message, for hosts
/// that need it where the `debug` library is hidden (the REPL's message
/// handler, as `lua.c`'s).
pub fn traceback_function(lua: &Lua) -> mlua::Result<mlua::Function> {
    // SAFETY: `exec_raw` runs the closure protected; it pushes one C
    // function with no upvalues.
    unsafe { lua.exec_raw((), |l| ffi::lua_pushcclosure(l, traceback_c, 0)) }
}

unsafe extern "C-unwind" fn traceback_c(l: *mut lua_State) -> c_int {
    // SAFETY: argument reads and `luaL_traceback`, which pushes the
    // traceback (raising only when out of memory, with no Rust value
    // alive).
    unsafe {
        let msg = ffi::lua_tolstring(l, 1, ptr::null_mut());
        let level = c_int::try_from(ffi::luaL_optinteger(l, 2, 1)).unwrap_or(1);
        ffi::luaL_traceback(l, l, msg, level);
    }
    1
}

/// Installs `io.write`, the `write` method of files and `io.flush` as C
/// functions writing stdout to the run loop's output (`iolib.rs`).
/// `load`, `loadfile` and `dofile`, text only, as C functions
/// (`loadlib.rs`).
pub(crate) fn install_text_loaders(lua: &Lua) -> mlua::Result<()> {
    loadlib::install(lua)
}

pub(crate) fn install_io(lua: &Lua) -> mlua::Result<()> {
    iolib::install(lua)
}

/// Installs Lua's warning function (warnings start `on`) and answers
/// `warn` (`warn.rs`).
pub(crate) fn warn_function(lua: &Lua, on: bool) -> mlua::Result<mlua::Function> {
    warn::install(lua, on)
}

/// The registry key of the user-hook table (the stock `debug` library's).
pub(crate) fn userhooks_key() -> &'static str {
    userhook::USERHOOKS_KEY.to_str().unwrap_or("_HOOKKEY")
}
