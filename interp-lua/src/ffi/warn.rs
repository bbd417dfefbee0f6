//! Lua's warnings: stock `warn` as a C function, and the state's warning
//! function (`lua_setwarnf`), which also receives the warnings Lua itself
//! emits (an error in a `__gc` metamethod).
//!
//! The rule: a complete warning message goes to the run loop's `warning`
//! interrupt when a handler for it is installed (every warning, whether
//! Lua's warnings are on or off). Otherwise it is Lua's own: warnings are
//! off until `@on` (or `-W`), and print as `Lua warning: MSG` on the loop's
//! error stream. Control messages (`@on`, `@off`, any other one-piece
//! message starting with `@`) are never warnings.

use std::cell::RefCell;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::rc::Rc;

use mlua::ffi::{self, lua_KContext, lua_State};
use mlua::Lua;
use polyeval_core::{FrameInfo, Ident, Value};

/// What the warning function keeps per Lua state: a block of a userdata
/// held by the registry, so that it lives exactly as long as the state
/// (plain data, no destructor).
#[repr(C)]
struct WarnBlock {
    on: bool,
    /// The previous piece asked for a continuation.
    cont: bool,
}

static BLOCK_KEY: u8 = 0;

thread_local! {
    /// The pieces of the message being assembled.
    static BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// Where the `warn` being run was called from.
    static ORIGIN: RefCell<Option<FrameInfo>> = const { RefCell::new(None) };
}

/// Installs the warning function on `lua`'s state (warnings start `on`)
/// and answers `warn`.
pub(crate) fn install(lua: &Lua, on: bool) -> mlua::Result<mlua::Function> {
    // SAFETY: `exec_raw` runs the closure protected on mlua's stack. The
    // block is a new userdata stored in the registry (so never collected
    // before the state closes, and freed with it after every finalizer
    // ran); the warning function gets its address.
    unsafe {
        lua.exec_raw((), |l| {
            let b =
                ffi::lua_newuserdatauv(l, std::mem::size_of::<WarnBlock>(), 0).cast::<WarnBlock>();
            b.write(WarnBlock { on, cont: false });
            ffi::lua_rawsetp(
                l,
                ffi::LUA_REGISTRYINDEX,
                std::ptr::from_ref(&BLOCK_KEY).cast::<c_void>(),
            );
            ffi::lua_setwarnf(l, Some(warnf), b.cast::<c_void>());
            ffi::lua_pushcclosure(l, warn_c, 0);
        })
    }
}

/// The state's warning function (`lua_WarnFunction`).
unsafe extern "C-unwind" fn warnf(ud: *mut c_void, msg: *const c_char, tocont: c_int) {
    // SAFETY: `ud` is the state's block (see `install`) and `msg` a
    // NUL-terminated string Lua passes.
    let (piece, block) = unsafe { (CStr::from_ptr(msg).to_bytes(), &mut *ud.cast::<WarnBlock>()) };
    if !block.cont && tocont == 0 && piece.first() == Some(&b'@') {
        match piece {
            b"@on" => block.on = true,
            b"@off" => block.on = false,
            _ => {}
        }
        return;
    }
    BUF.with(|b| b.borrow_mut().extend_from_slice(piece));
    block.cont = tocont != 0;
    if block.cont {
        return;
    }
    let msg = BUF.with(|b| std::mem::take(&mut *b.borrow_mut()));
    let on = block.on;
    let _ = polyeval_core::panics::catch(move || deliver(msg, on));
}

/// Hands a complete warning to the `warning` handler, or prints it as Lua
/// does when warnings are on.
fn deliver(msg: Vec<u8>, on: bool) {
    use std::io::Write;
    let origin = ORIGIN.with(|o| o.borrow().clone());
    let handled = polyeval_core::lend::with_rt(|rt| {
        if rt.interrupts().has_handler(Ident::WARNING) {
            rt.interrupts()
                .raise(Ident::WARNING, Value::str(&msg), origin);
            return true;
        }
        if on {
            let err = rt.err();
            let _ = err.write_all(b"Lua warning: ");
            let _ = err.write_all(&msg);
            let _ = err.write_all(b"\n");
            let _ = err.flush();
        }
        true
    });
    if handled.is_none() && on {
        let mut err = std::io::stderr();
        let _ = err.write_all(b"Lua warning: ");
        let _ = err.write_all(&msg);
        let _ = err.write_all(b"\n");
    }
}

/// Where level 1 of `l` stands, as a backtrace frame.
///
/// # Safety
///
/// `l` is the running thread.
unsafe fn caller(l: *mut lua_State) -> Option<FrameInfo> {
    // SAFETY: `lua_getstack` and `lua_getinfo("Sl")` only read; the
    // strings are NUL-terminated.
    unsafe {
        let mut ar: ffi::lua_Debug = std::mem::zeroed();
        if ffi::lua_getstack(l, 1, &mut ar) == 0
            || ffi::lua_getinfo(l, c"Sl".as_ptr(), &mut ar) == 0
        {
            return None;
        }
        let line = ar.currentline;
        if line < 0 {
            return None;
        }
        let src = CStr::from_ptr(ar.short_src.as_ptr()).to_string_lossy();
        Some(FrameInfo {
            interp: "lua",
            file: Rc::from(src.as_ref()),
            line: u32::try_from(line).unwrap_or(0),
            col: 0,
            name: None,
        })
    }
}

/// `warn(msg1, ...)`, as stock `luaB_warn`; then, if a `warning` handler
/// has something to run, the loop's turn where Lua can yield, so that it
/// runs before the caller's next statement.
unsafe extern "C-unwind" fn warn_c(l: *mut lua_State) -> c_int {
    // SAFETY: the argument checks raise before any Rust value exists; the
    // pieces are strings on the stack while `lua_warning` reads them; the
    // origin is set and cleared around them (plain Rust, dropped before
    // the yield).
    unsafe {
        let n = ffi::lua_gettop(l);
        ffi::luaL_checklstring(l, 1, std::ptr::null_mut());
        for i in 2..=n {
            ffi::luaL_checklstring(l, i, std::ptr::null_mut());
        }
        let origin = caller(l);
        ORIGIN.with(|o| *o.borrow_mut() = origin);
        for i in 1..n {
            ffi::lua_warning(l, ffi::lua_tolstring(l, i, std::ptr::null_mut()), 1);
        }
        ffi::lua_warning(l, ffi::lua_tolstring(l, n, std::ptr::null_mut()), 0);
        ORIGIN.with(|o| o.borrow_mut().take());
        let due = polyeval_core::lend::with_rt(|rt| rt.should_yield()).unwrap_or(false);
        if due && super::ccalls::may_preempt(l) {
            ffi::lua_settop(l, 0);
            return ffi::lua_yieldk(l, 0, 0, Some(warn_k));
        }
        0
    }
}

/// Where `warn` goes on after the loop's turn: it returns nothing.
unsafe extern "C-unwind" fn warn_k(_l: *mut lua_State, _s: c_int, _c: lua_KContext) -> c_int {
    0
}
