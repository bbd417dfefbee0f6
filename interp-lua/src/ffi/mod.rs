//! The one place with `unsafe` in polyeval, for what mlua offers no safe
//! or fast way to do. This file is the folder's face to the crate: the
//! Lua state with `debug`, and safe functions over the raw code below.
//!
//! 1. A Lua state that has the `debug` library. polyeval reads suspended
//!    threads' stacks with a private `debug.getinfo` (lazily, for
//!    backtraces); scripts see `debug` only with `--lua-stdlib all`.
//! 2. Preemption on demand ("armed hooks", `preempt.rs`), for speed, and
//!    the hooks that serve the loop where Lua cannot yield (`hooks.rs`,
//!    `userhook.rs` beside a user's `debug.sethook`, `ccalls.rs`).
//! 3. The raw Lua C layer: sends as C functions (`send.rs`, on proxies of
//!    `proxy.rs`, ending through `outcome.rs`), the coroutine library
//!    (`coro.rs`, `corolib.rs`), driver threads on `lua_resume`
//!    (`resume.rs`, `values.rs`), and stdlib replacements (`baselib.rs`,
//!    `iolib.rs`, `loadlib.rs`, `warn.rs`; `cstdio.rs` is C's `stdout`).
//!
//! No file here imports from the crate above this folder but `state.rs`
//! and the value mapping (`convert.rs`).

use std::ffi::c_int;

use mlua::ffi::lua_State;
use mlua::{Lua, LuaOptions, StdLib};

use crate::state::Driver;

mod baselib;
mod ccalls;
pub(crate) mod coro;
mod corolib;
pub(crate) mod cstdio;
mod hooks;
mod iolib;
mod loadlib;
mod outcome;
mod preempt;
mod proxy;
pub(crate) mod resume;
mod send;
mod userhook;
mod values;
mod warn;

pub use baselib::traceback_function;
pub(crate) use baselib::{exit_function, print_function};
pub(crate) use coro::ThreadCont;
pub(crate) use hooks::{in_flight, set_in_flight};
pub(crate) use preempt::{enter, interrupt_thread, leave, may_preempt, stop_thread, waker};
pub(crate) use proxy::{proxy_object, proxy_value};

/// A Lua state with the safe standard libraries plus `debug`.
pub(crate) fn new_lua_with_debug() -> Lua {
    // SAFETY: `unsafe_new_with` is unsafe only because the libraries it may
    // load (`debug`, and C modules through `package`) let Lua scripts break
    // memory safety. We load the safe set plus `debug`. `sandbox::apply`
    // then removes `debug` from the globals and `package.loaded`, and the C
    // loaders (`package.loadlib`, the C searchers), unless the user asked
    // for `--lua-stdlib all`; polyeval itself only calls `debug.getinfo`,
    // which reads and never writes.
    unsafe { Lua::unsafe_new_with(StdLib::ALL_SAFE | StdLib::DEBUG, LuaOptions::default()) }
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

/// The coroutine library (`coroutine.*` as C functions, `corolib.rs`),
/// whose coroutines run on continuations of type `C`; `armed`: new
/// coroutines start with no hook.
pub(crate) fn coroutine_library<C: ThreadCont>(
    lua: &Lua,
    armed: bool,
) -> mlua::Result<mlua::Table> {
    // SAFETY: `exec_raw` runs the closure protected, on mlua's stack;
    // `register` stores two tables in the registry and `push_library`
    // pushes the library, the one result.
    unsafe {
        lua.exec_raw((), |l| {
            ccalls::calibrate(l);
            coro::register(l, armed);
            corolib::push_library::<C>(l);
        })
    }
}

/// Moves what coroutine `id` left for its resumer onto suspended thread
/// `t`'s stack (`ok, values...`); answers how many.
pub(crate) fn take_coroutine_results(t: &Driver, id: u64) -> c_int {
    // SAFETY: `t` is a held thread suspended in the `resume` waiting for
    // coroutine `id`.
    unsafe { coro::take_results(t.state(), id) }
}

/// Installs `load`, `loadfile` and `dofile`, text only, as C functions
/// (`loadlib.rs`).
pub(crate) fn install_text_loaders(lua: &Lua) -> mlua::Result<()> {
    loadlib::install(lua)
}

/// Installs `io.write`, the `write` method of files and `io.flush` as C
/// functions writing stdout to the run loop's output (`iolib.rs`).
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
