//! `load`, `loadfile` and `dofile` as C functions that load text only, for
//! every mode but `--lua-stdlib all`: Lua has no bytecode verifier, so a
//! crafted binary chunk could crash the process.
//!
//! `load` and `loadfile` are Lua's own C functions, called directly from
//! ours (a plain C call, so no frame of its own) after the mode argument
//! is made text-only; `dofile` is stock's, with mode `"t"`. They stand where
//! stock's stand: hooks, `debug.getinfo` and tracebacks see one C function,
//! and argument errors name it as stock's name theirs. Which mode Lua gets:
//! never one with `b`, so a binary chunk is refused with Lua's message for
//! mode `"t"`; a text string under a mode without `t` keeps that mode, so
//! Lua refuses it as stock does. A mode of the wrong type is left for Lua
//! to report.

use std::ffi::{c_char, c_int, c_void, CStr};

use mlua::ffi::{self, lua_KContext, lua_State};
use mlua::Lua;

/// Registry key of Lua's own functions (a table: 1 `load`, 2 `loadfile`).
static ORIGINALS_KEY: u8 = 0;

fn key() -> *const c_void {
    std::ptr::from_ref(&ORIGINALS_KEY).cast::<c_void>()
}

/// Replaces the three globals, keeping Lua's `load` and `loadfile`.
pub(crate) fn install(lua: &Lua) -> mlua::Result<()> {
    // SAFETY: `exec_raw` runs the closure protected on mlua's stack; it
    // reads two globals and stores into the registry and the globals.
    unsafe {
        lua.exec_raw::<()>((), |l| {
            ffi::lua_createtable(l, 2, 0);
            ffi::lua_getglobal(l, c"load".as_ptr());
            ffi::lua_rawseti(l, -2, 1);
            ffi::lua_getglobal(l, c"loadfile".as_ptr());
            ffi::lua_rawseti(l, -2, 2);
            ffi::lua_rawsetp(l, ffi::LUA_REGISTRYINDEX, key());
            ffi::lua_pushcclosure(l, load_c, 0);
            ffi::lua_setglobal(l, c"load".as_ptr());
            ffi::lua_pushcclosure(l, loadfile_c, 0);
            ffi::lua_setglobal(l, c"loadfile".as_ptr());
            ffi::lua_pushcclosure(l, dofile_c, 0);
            ffi::lua_setglobal(l, c"dofile".as_ptr());
        })
    }
}

/// Makes the mode argument at `mode` text-only (see the module header),
/// first padding the stack to `mode` slots; `chunk` is the index of
/// `load`'s chunk, 0 for `loadfile`.
///
/// # Safety
///
/// As a C function's body.
unsafe fn text_only(l: *mut lua_State, mode: c_int, chunk: c_int) {
    // SAFETY: reads of stack slots and one push; a pushed string may raise
    // only for memory, with no Rust value alive.
    unsafe {
        if ffi::lua_gettop(l) < mode {
            ffi::lua_settop(l, mode);
        }
        let t = ffi::lua_type(l, mode);
        if t != ffi::LUA_TNIL && t != ffi::LUA_TSTRING && t != ffi::LUA_TNUMBER {
            return; // Lua reports the bad argument.
        }
        if t != ffi::LUA_TNIL && chunk > 0 && ffi::lua_type(l, chunk) == ffi::LUA_TSTRING {
            let mut len = 0usize;
            let p = ffi::lua_tolstring(l, chunk, &mut len);
            let binary = len > 0 && !p.is_null() && *p.cast::<u8>() == 0x1b;
            let m = ffi::lua_tolstring(l, mode, std::ptr::null_mut());
            let has_t = !m.is_null() && CStr::from_ptr(m).to_bytes().contains(&b't');
            if !binary && !has_t {
                return; // Lua refuses the text, as stock does.
            }
        }
        ffi::lua_pushstring(l, c"t".as_ptr());
        ffi::lua_replace(l, mode);
    }
}

/// Calls Lua's own function `which` (see `ORIGINALS_KEY`) as a plain C
/// call on this frame's stack: its results are this function's.
///
/// # Safety
///
/// As a C function's body; Lua's function may raise.
unsafe fn call_original(l: *mut lua_State, which: ffi::lua_Integer) -> c_int {
    // SAFETY: the registry table holds C functions put there by `install`;
    // one is read and popped before the call, so the stack is the
    // caller's arguments, as the function expects.
    unsafe {
        ffi::lua_rawgetp(l, ffi::LUA_REGISTRYINDEX, key());
        ffi::lua_rawgeti(l, -1, which);
        let f = ffi::lua_tocfunction(l, -1);
        ffi::lua_settop(l, -3);
        match f {
            Some(f) => f(l),
            None => ffi::luaL_error(l, c"polyeval: Lua's loader is missing".as_ptr()),
        }
    }
}

unsafe extern "C-unwind" fn load_c(l: *mut lua_State) -> c_int {
    // SAFETY: Lua calls this with a valid state; no Rust value with a
    // destructor exists while Lua may raise.
    unsafe {
        text_only(l, 3, 1);
        call_original(l, 1)
    }
}

unsafe extern "C-unwind" fn loadfile_c(l: *mut lua_State) -> c_int {
    // SAFETY: as `load_c`.
    unsafe {
        text_only(l, 2, 0);
        call_original(l, 2)
    }
}

/// Stock `dofile`, loading text only.
unsafe extern "C-unwind" fn dofile_c(l: *mut lua_State) -> c_int {
    // SAFETY: as `load_c`; the call has a continuation, so the chunk may
    // yield through this frame as it may through stock's.
    unsafe {
        let fname: *const c_char =
            ffi::luaL_optlstring(l, 1, std::ptr::null(), std::ptr::null_mut());
        ffi::lua_settop(l, 1);
        if ffi::luaL_loadfilex(l, fname, c"t".as_ptr()) != ffi::LUA_OK {
            ffi::lua_error(l);
        }
        ffi::lua_callk(l, 0, ffi::LUA_MULTRET, 0, Some(dofile_cont));
        dofile_cont(l, 0, 0)
    }
}

unsafe extern "C-unwind" fn dofile_cont(
    l: *mut lua_State,
    _status: c_int,
    _ctx: lua_KContext,
) -> c_int {
    // SAFETY: the results of the chunk sit above the file name.
    unsafe { ffi::lua_gettop(l) - 1 }
}
