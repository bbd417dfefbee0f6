//! `io.write`, the `write` method of files and `io.flush` as C functions,
//! so that stdout is one stream with `print` and m0ld's `$OUT`.
//!
//! What goes to `io.stdout` (`io.write` while the default output is
//! stdout, `io.stdout:write`) is written to the run loop's output, in
//! program order with everything else the program prints; other files are
//! written by Lua's own functions, kept in the registry. A bad argument
//! is stock Lua's error, raised after the values before it were written
//! (the C functions stand where stock's do, so Lua names them as it names
//! stock's).

use std::ffi::{c_int, c_void};

use mlua::ffi::{self, lua_State};
use mlua::Lua;

/// Registry keys: Lua's `io.stdout`, and Lua's own functions (a table:
/// 1 `io.write`, 2 the `write` method, 3 `io.flush`).
static STDOUT_KEY: u8 = 0;
static ORIGINALS_KEY: u8 = 0;

fn key(k: &'static u8) -> *const c_void {
    std::ptr::from_ref(k).cast::<c_void>()
}

/// Lua's registry key of the default output file (`liolib.c`'s
/// `IO_OUTPUT`).
const IO_OUTPUT: &std::ffi::CStr = c"_IO_output";

/// Installs the three functions in `io` and the file methods.
pub(crate) fn install(lua: &Lua) -> mlua::Result<()> {
    // SAFETY: `exec_raw` runs the closure protected on mlua's stack; the
    // reads are of the `io` table and the `FILE*` metatable, which the io
    // library made; every store is a table store.
    unsafe {
        lua.exec_raw::<()>((), |l| {
            if ffi::lua_getglobal(l, c"io".as_ptr()) != ffi::LUA_TTABLE {
                ffi::lua_settop(l, -2);
                return;
            }
            let io = ffi::lua_gettop(l);
            ffi::lua_getfield(l, io, c"stdout".as_ptr());
            ffi::lua_rawsetp(l, ffi::LUA_REGISTRYINDEX, key(&STDOUT_KEY));
            ffi::lua_createtable(l, 3, 0);
            let orig = ffi::lua_gettop(l);
            ffi::lua_getfield(l, io, c"write".as_ptr());
            ffi::lua_rawseti(l, orig, 1);
            ffi::luaL_getmetatable(l, c"FILE*".as_ptr());
            ffi::lua_getfield(l, -1, c"__index".as_ptr());
            let methods = ffi::lua_gettop(l);
            ffi::lua_getfield(l, methods, c"write".as_ptr());
            ffi::lua_rawseti(l, orig, 2);
            ffi::lua_getfield(l, io, c"flush".as_ptr());
            ffi::lua_rawseti(l, orig, 3);
            ffi::lua_pushcclosure(l, f_write_c, 0);
            ffi::lua_setfield(l, methods, c"write".as_ptr());
            ffi::lua_pushcclosure(l, io_write_c, 0);
            ffi::lua_setfield(l, io, c"write".as_ptr());
            ffi::lua_pushcclosure(l, io_flush_c, 0);
            ffi::lua_setfield(l, io, c"flush".as_ptr());
            ffi::lua_pushvalue(l, orig);
            ffi::lua_rawsetp(l, ffi::LUA_REGISTRYINDEX, key(&ORIGINALS_KEY));
            ffi::lua_settop(l, io - 1);
        })
    }
}

/// Whether the value at `idx` is Lua's `io.stdout`.
///
/// # Safety
///
/// `l` is running with a free slot; `idx` is absolute.
unsafe fn is_stdout(l: *mut lua_State, idx: c_int) -> bool {
    // SAFETY: a registry read and a raw comparison.
    unsafe {
        ffi::lua_rawgetp(l, ffi::LUA_REGISTRYINDEX, key(&STDOUT_KEY));
        let same = ffi::lua_rawequal(l, idx, -1) != 0;
        ffi::lua_settop(l, -2);
        same
    }
}

/// The first of the values `from..=top` that `g_write` refuses (neither a
/// number nor a string), if any.
///
/// # Safety
///
/// `l` is running; the indices are valid.
unsafe fn first_bad(l: *mut lua_State, from: c_int, top: c_int) -> Option<c_int> {
    // SAFETY: type reads only.
    (from..=top)
        .find(|&i| unsafe { !matches!(ffi::lua_type(l, i), ffi::LUA_TNUMBER | ffi::LUA_TSTRING) })
}

/// Writes the values `from..=top` to the run loop's output as `g_write`
/// does: in order, so that the ones before a bad value are written before
/// the bad one raises stock's "bad argument" error.
///
/// # Safety
///
/// As a C function's body; raises with no Rust value alive.
unsafe fn write_checked(l: *mut lua_State, from: c_int, top: c_int) -> bool {
    // SAFETY: as the caller guarantees; `write_values` returns with its
    // buffer dropped before the raise.
    unsafe {
        match first_bad(l, from, top) {
            Some(bad) => {
                write_values(l, from, bad - 1);
                ffi::luaL_checklstring(l, bad, std::ptr::null_mut());
                false
            }
            None => write_values(l, from, top),
        }
    }
}

/// Writes the values `from..=top` (numbers and strings) to the run loop's
/// output, as
/// `g_write` writes them (integers as `%d`, floats as `%.14g`).
///
/// # Safety
///
/// `l` is running; the values are checked.
unsafe fn write_values(l: *mut lua_State, from: c_int, top: c_int) -> bool {
    let mut buf: Vec<u8> = Vec::new();
    // SAFETY: reads of checked values; the strings stay on the stack
    // while they are copied.
    unsafe {
        for i in from..=top {
            if ffi::lua_type(l, i) == ffi::LUA_TNUMBER {
                if ffi::lua_isinteger(l, i) != 0 {
                    buf.extend_from_slice(
                        ffi::lua_tointegerx(l, i, std::ptr::null_mut())
                            .to_string()
                            .as_bytes(),
                    );
                } else {
                    let n = ffi::lua_tonumberx(l, i, std::ptr::null_mut());
                    let mut s = [0u8; 64];
                    let len = libc::snprintf(s.as_mut_ptr().cast(), s.len(), c"%.14g".as_ptr(), n);
                    let len = usize::try_from(len).unwrap_or(0).min(s.len() - 1);
                    buf.extend_from_slice(&s[..len]);
                }
            } else {
                let mut len = 0usize;
                let p = ffi::lua_tolstring(l, i, &mut len);
                if !p.is_null() {
                    buf.extend_from_slice(std::slice::from_raw_parts(p.cast::<u8>(), len));
                }
            }
        }
    }
    super::baselib::write_output(&buf)
}

/// Calls Lua's own function `which` (see `ORIGINALS_KEY`) with the whole
/// stack as its arguments; answers its results.
///
/// # Safety
///
/// As a C function's body; Lua's function may raise.
unsafe fn call_original(l: *mut lua_State, which: ffi::lua_Integer) -> c_int {
    // SAFETY: as the caller guarantees.
    unsafe {
        let n = ffi::lua_gettop(l);
        ffi::lua_rawgetp(l, ffi::LUA_REGISTRYINDEX, key(&ORIGINALS_KEY));
        ffi::lua_rawgeti(l, -1, which);
        ffi::lua_rotate(l, -2, -1);
        ffi::lua_settop(l, -2);
        ffi::lua_rotate(l, 1, 1);
        ffi::lua_callk(l, n, ffi::LUA_MULTRET, 0, None);
        ffi::lua_gettop(l)
    }
}

/// The result of a write to the loop's output: the file at `file`, or
/// `nil, message`.
///
/// # Safety
///
/// `l` is running with two free slots.
unsafe fn write_result(l: *mut lua_State, ok: bool, file: c_int) -> c_int {
    // SAFETY: plain pushes.
    unsafe {
        if ok {
            ffi::lua_pushvalue(l, file);
            1
        } else {
            ffi::lua_pushnil(l);
            ffi::lua_pushstring(l, c"cannot write the program's output".as_ptr());
            2
        }
    }
}

/// `io.write(...)`.
unsafe extern "C-unwind" fn io_write_c(l: *mut lua_State) -> c_int {
    // SAFETY: checks raise before any Rust value exists; `write_values`
    // drops its buffer before returning.
    unsafe {
        let n = ffi::lua_gettop(l);
        ffi::lua_getfield(l, ffi::LUA_REGISTRYINDEX, IO_OUTPUT.as_ptr());
        let out = ffi::lua_gettop(l);
        if !is_stdout(l, out) {
            ffi::lua_settop(l, n);
            return call_original(l, 1);
        }
        let ok = write_checked(l, 1, n);
        write_result(l, ok, out)
    }
}

/// `file:write(...)`.
unsafe extern "C-unwind" fn f_write_c(l: *mut lua_State) -> c_int {
    // SAFETY: as `io_write_c`; a file that is not stdout goes to Lua's own
    // method, which checks it.
    unsafe {
        if !is_stdout(l, 1) {
            return call_original(l, 2);
        }
        let n = ffi::lua_gettop(l);
        let ok = write_checked(l, 2, n);
        write_result(l, ok, 1)
    }
}

/// `io.flush()`: the loop's output, then Lua's own `io.flush`.
unsafe extern "C-unwind" fn io_flush_c(l: *mut lua_State) -> c_int {
    let _ = polyeval_core::panics::catch(|| {
        polyeval_core::lend::with_rt(|rt| std::io::Write::flush(rt.out()));
    });
    // SAFETY: as `call_original`.
    unsafe { call_original(l, 3) }
}
