//! Base-library replacements as raw C functions: `print` (with
//! [`write_output`], where `io.write` writes too), `os.exit`, and the
//! host's `traceback` (for the REPL, where `debug` is hidden).

use std::ffi::c_int;
use std::ptr;

use mlua::ffi::{self, lua_State};
use mlua::Lua;

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
            if !super::coro::in_coroutine() {
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
