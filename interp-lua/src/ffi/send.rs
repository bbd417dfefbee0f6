//! Sends from Lua to run-loop objects as raw C functions.
//!
//! Every method is a C closure ([`method_c`], or [`bound_c`] for a fixed
//! invocant) whose upvalues are the message identifier, the proxy
//! metatable and the proxy cache (`proxy.rs`). The values only mlua can
//! hold (tables, functions, threads, foreign userdata, Lua-valued errors)
//! go through mlua's own stack (`ffi::values`), never through an mlua
//! callback.
//!
//! Every C function here is split in two. The body is plain Rust under a
//! panic guard, the one of a send from Lua (a native method's panic is a
//! script error raised here): it converts, sends, and pushes the results,
//! calling Lua only where Lua cannot raise or under `lua_pcall`
//! (allocating pushes); it returns an [`Outcome`] (`outcome.rs`), plain
//! data, with every Rust value dropped. The `extern "C-unwind"` shell then
//! returns, raises (`lua_error`) or yields (`lua_yieldk`), holding no Rust
//! value. Only raw ffi is used on the `lua_State` Lua passes: mlua's idea
//! of the running thread is stale inside a C function.

use std::ffi::{c_int, c_void, CStr};
use std::rc::Rc;

use mlua::ffi::{self, lua_State};
use mlua::Lua;
use polyeval_core::{Args, Capture, ContKey, Ident, ObjRef, Reply, ScriptError, Value};

use super::hooks::set_in_flight;
use super::outcome::{conclude, Outcome, NO_LOOP};
use super::proxy::{cached_proxy, live, make_proxy_c, Payload};
use super::values::runtime_of;
use crate::state::{LuaObject, SendLayer};
use polyeval_core::lend::with_rt;

/// Upvalues of the send closures.
const UP_ID: c_int = 1;
const UP_MT: c_int = 2;
const UP_PROXIES: c_int = 3;
/// [`bound_c`]'s invocant.
const UP_SELF: c_int = 4;

/// The identifier value that stands for `tostring` (`__tostring`): `Str`,
/// with a fallback for objects that do not answer it.
const TOSTRING_ID: i64 = -1;

impl SendLayer {
    /// A method: a C function sending message `id` (an identifier index,
    /// or [`TOSTRING_ID`]) to its first argument.
    pub(crate) fn method(&self, lua: &Lua, id: i64) -> mlua::Result<mlua::Function> {
        let up = (id, self.mt.clone(), self.proxies.clone());
        // SAFETY: the three upvalues are on the stack; `lua_pushcclosure`
        // pops them and pushes the closure, the one result.
        unsafe { lua.exec_raw(up, |l| ffi::lua_pushcclosure(l, method_c, 3)) }
    }

    /// `tostring` of proxies (`__tostring`): sends [`TOSTRING_ID`].
    pub(crate) fn tostring(&self, lua: &Lua) -> mlua::Result<mlua::Function> {
        self.method(lua, TOSTRING_ID)
    }

    /// A C function sending message `id` to `target` with its arguments.
    pub(crate) fn bound(
        &self,
        lua: &Lua,
        target: mlua::Value,
        id: i64,
    ) -> mlua::Result<mlua::Function> {
        let up = (id, self.mt.clone(), self.proxies.clone(), target);
        // SAFETY: as in `method`, with four upvalues.
        unsafe { lua.exec_raw(up, |l| ffi::lua_pushcclosure(l, bound_c, 4)) }
    }
}

/// `lua_pushlstring` under `lua_pcall`: arguments a light userdata (the
/// bytes) and their length.
unsafe extern "C-unwind" fn push_bytes_c(l: *mut lua_State) -> c_int {
    // SAFETY: called only by `push_bytes`, whose slice outlives the call.
    unsafe {
        let p = ffi::lua_touserdata(l, 1).cast::<std::ffi::c_char>();
        let n = usize::try_from(ffi::lua_tointegerx(l, 2, std::ptr::null_mut())).unwrap_or(0);
        ffi::lua_pushlstring(l, p, n);
        1
    }
}

/// Pushes `b` as a Lua string. False: out of memory, and the error value
/// is pushed instead.
///
/// # Safety
///
/// `l` is the running thread with four free slots.
unsafe fn push_bytes(l: *mut lua_State, b: &[u8]) -> bool {
    // SAFETY: light C functions, light userdata and integers push without
    // allocating; `lua_pcall` contains any raise.
    unsafe {
        ffi::lua_pushcfunction(l, push_bytes_c);
        ffi::lua_pushlightuserdata(l, b.as_ptr().cast_mut().cast::<c_void>());
        ffi::lua_pushinteger(l, i64::try_from(b.len()).unwrap_or(i64::MAX));
        ffi::lua_pcall(l, 2, 1, 0) == ffi::LUA_OK
    }
}

/// Pushes the proxy of `o` (see `push_bytes` for the answer).
///
/// # Safety
///
/// As `push_bytes`; `l` runs one of the send closures (its upvalues).
unsafe fn push_proxy(l: *mut lua_State, o: &ObjRef) -> bool {
    let proxies = ffi::lua_upvalueindex(UP_PROXIES);
    // SAFETY: as the caller guarantees; `o` outlives the protected call.
    unsafe {
        if cached_proxy(l, o, proxies) {
            return true;
        }
        ffi::lua_pushcfunction(l, make_proxy_c);
        ffi::lua_pushlightuserdata(l, std::ptr::from_ref(o).cast_mut().cast::<c_void>());
        ffi::lua_pushvalue(l, ffi::lua_upvalueindex(UP_MT));
        ffi::lua_pushvalue(l, proxies);
        ffi::lua_pcall(l, 3, 1, 0) == ffi::LUA_OK
    }
}

const OUT_OF_MEMORY: &CStr = c"not enough memory";

/// `obj:m(...)`: sends upvalue `UP_ID` to the first argument.
unsafe extern "C-unwind" fn method_c(l: *mut lua_State) -> c_int {
    let out = body(l, false);
    // SAFETY: `body` returned; nothing of Rust's is alive here.
    unsafe { conclude(l, out) }
}

/// A function sending upvalue `UP_ID` to upvalue `UP_SELF`.
unsafe extern "C-unwind" fn bound_c(l: *mut lua_State) -> c_int {
    let out = body(l, true);
    // SAFETY: as in `method_c`.
    unsafe { conclude(l, out) }
}

/// The body of `method_c` and `bound_c`, as plain Rust, under the panic
/// guard of a send from Lua: a panic of the native method (or of the send
/// itself) is a script error, raised where the send was as any error the
/// method answers.
fn body(l: *mut lua_State, bound: bool) -> Outcome {
    match polyeval_core::panics::catch(|| {
        // SAFETY: Lua called the shell with `l` running one of the send
        // closures.
        unsafe { send(l, bound) }
    }) {
        Ok(out) => out,
        // SAFETY: as above. The unwinding dropped what `send` held, and
        // `send` pushes only within the room it checked, which leaves
        // `push_bytes` its four slots; a message without a position is
        // formatted and pushed, which does not panic.
        Err(p) => unsafe { raise_error(l, ScriptError::from_panic(&*p)) },
    }
}

/// The value at `idx` if it converts without mlua. A proxy is known by
/// its block being listed in `LIVE` (from its making to its `__gc`, while
/// no other object can have that address).
///
/// # Safety
///
/// `l` runs a send closure; `idx` is valid.
unsafe fn simple_value(l: *mut lua_State, idx: c_int) -> Option<Value> {
    // SAFETY: type-checked reads; a string is read in place.
    unsafe {
        Some(match ffi::lua_type(l, idx) {
            ffi::LUA_TNIL | ffi::LUA_TNONE | ffi::LUA_TBOOLEAN | ffi::LUA_TNUMBER => {
                return super::values::plain(l, idx);
            }
            ffi::LUA_TSTRING => {
                let mut len = 0usize;
                let p = ffi::lua_tolstring(l, idx, &mut len);
                Value::str(std::slice::from_raw_parts(p.cast::<u8>(), len))
            }
            ffi::LUA_TUSERDATA => {
                let p = ffi::lua_touserdata(l, idx).cast::<Payload>();
                if !live(p) {
                    return None;
                }
                (*p).clone().map_or(Value::Nil, Value::Obj)
            }
            _ => return None,
        })
    }
}

/// The bytes of the strings among `idxs` (what their Rust copies take).
///
/// # Safety
///
/// The indices are valid in `l`.
unsafe fn string_bytes(l: *mut lua_State, idxs: impl Iterator<Item = c_int>) -> usize {
    // SAFETY: `lua_rawlen` of a string reads its length.
    unsafe {
        idxs.filter(|&i| ffi::lua_type(l, i) == ffi::LUA_TSTRING)
            .map(|i| ffi::lua_rawlen(l, i))
            .fold(0, usize::saturating_add)
    }
}

/// Converts the values at `idxs` with mlua.
///
/// # Safety
///
/// As `send`.
unsafe fn converted(l: *mut lua_State, idxs: &[c_int]) -> Option<Vec<Value>> {
    // SAFETY: as the caller guarantees.
    let (lua, sh) = unsafe { runtime_of(l) }?;
    // SAFETY: the indices are valid in `l`, the running thread.
    let vals = unsafe { super::values::to_mlua(lua, l, idxs) }?;
    Some(
        vals.into_iter()
            .map(|v| crate::convert::from_lua(&sh, v))
            .collect(),
    )
}

/// Pushes mlua's conversions of `vals` (or, for `err`, the Lua error
/// value, noted as re-raised when `note`); answers how many, or `None`
/// when the conversion failed (the memory error then is on the stack).
///
/// # Safety
///
/// As `send`.
unsafe fn push_converted(
    l: *mut lua_State,
    vals: &[Value],
    err: Option<(&ScriptError, bool)>,
) -> Option<c_int> {
    // SAFETY: as the caller guarantees.
    let (lua, sh) = unsafe { runtime_of(l) }?;
    let lvs: mlua::Result<Vec<mlua::Value>> = match err {
        Some((e, note)) => crate::convert::error_to_lua(lua, &sh, e).map(|(ev, _)| {
            if note {
                sh.note_reraised(&ev, e);
            }
            vec![ev]
        }),
        None => vals
            .iter()
            .map(|v| crate::convert::to_lua(lua, &sh, v))
            .collect(),
    };
    let ok = match &lvs {
        // SAFETY: `l` is the running thread of `lua`'s state.
        Ok(lvs) => unsafe { super::values::push_mlua(lua, l, lvs) },
        Err(_) => false,
    };
    if ok {
        lvs.ok().map(|v| c_int::try_from(v.len()).unwrap_or(0))
    } else {
        // SAFETY: a static string; Lua's LUA_MINSTACK slots leave room for it.
        unsafe { push_bytes(l, OUT_OF_MEMORY.to_bytes()) };
        None
    }
}

/// Pushes `vals` for Lua.
///
/// # Safety
///
/// As `send`.
unsafe fn push_results(l: *mut lua_State, vals: &[Value]) -> Outcome {
    if vals.iter().any(|v| v.downcast::<LuaObject>().is_some()) {
        // SAFETY: as the caller guarantees.
        return match unsafe { push_converted(l, vals, None) } {
            Some(n) => Outcome::Return(n),
            None => Outcome::Raise,
        };
    }
    // SAFETY: Lua leaves LUA_MINSTACK free slots (see `send`); pushes that allocate
    // are protected, and each value outlives its push.
    unsafe {
        // Lua's LUA_MINSTACK slots hold one value and a protected call's
        // four; more values need room checked.
        if vals.len() > 1
            && ffi::lua_checkstack(
                l,
                c_int::try_from(vals.len())
                    .unwrap_or(c_int::MAX)
                    .saturating_add(4),
            ) == 0
        {
            return Outcome::RaiseStatic(c"stack overflow");
        }
        for v in vals {
            match v {
                Value::Nil => ffi::lua_pushnil(l),
                Value::Bool(b) => ffi::lua_pushboolean(l, c_int::from(*b)),
                Value::Int(i) => ffi::lua_pushinteger(l, *i),
                Value::Float(f) => ffi::lua_pushnumber(l, *f),
                Value::Str(s) => {
                    if polyeval_core::memory::check(s.len()).is_err() {
                        return Outcome::RaiseStatic(OUT_OF_MEMORY);
                    }
                    if !push_bytes(l, s) {
                        return Outcome::Raise;
                    }
                }
                Value::Obj(o) => {
                    if !push_proxy(l, o) {
                        return Outcome::Raise;
                    }
                }
            }
        }
    }
    Outcome::Return(c_int::try_from(vals.len()).unwrap_or(0))
}

/// Where the Lua code calling this C function stands, as `luaL_where(l,
/// 1)` says it (`file:line: `, or empty under a C caller), but passing
/// over functions of polyeval's own chunk (the wrapper of `smop.*`).
///
/// # Safety
///
/// `l` is the running thread.
unsafe fn position(l: *mut lua_State) -> String {
    // SAFETY: `lua_getstack` and `lua_getinfo("Sl")` fill `ar` and raise
    // nothing; `what` and `short_src` are NUL-terminated strings.
    unsafe {
        let mut ar: ffi::lua_Debug = std::mem::zeroed();
        for level in 1..32 {
            if ffi::lua_getstack(l, level, &mut ar) == 0 {
                break;
            }
            ffi::lua_getinfo(l, c"Sl".as_ptr(), &mut ar);
            let src = CStr::from_ptr(ar.short_src.as_ptr()).to_string_lossy();
            if src == "polyeval" {
                continue;
            }
            if CStr::from_ptr(ar.what).to_bytes() != b"C" && ar.currentline > 0 {
                return format!("{src}:{}: ", ar.currentline);
            }
            break;
        }
        String::new()
    }
}

/// Pushes the Lua error value for `e` (see `convert::error_to_lua`).
///
/// # Safety
///
/// As `send`.
unsafe fn raise_error(l: *mut lua_State, e: ScriptError) -> Outcome {
    // SAFETY: as the caller guarantees.
    unsafe {
        match e.origin() {
            Some(fr) if fr.interp == "lua" => {
                push_converted(l, &[], Some((&e, false)));
                Outcome::Raise
            }
            Some(fr) if fr.line > 0 => raise_message(l, e.located_message(), &e),
            _ => {
                let msg = format!("{}{}", position(l), e.message);
                raise_message(l, msg, &e)
            }
        }
    }
}

/// Pushes `msg`, the message Lua code sees for `e`, and notes that it
/// stands for `e`: if it leaves Lua uncaught, `e` goes on with its kind
/// (and with `msg`, positioned as Lua positions errors).
///
/// # Safety
///
/// As `send`.
unsafe fn raise_message(l: *mut lua_State, msg: String, e: &ScriptError) -> Outcome {
    // SAFETY: as the caller guarantees; `push_mlua` and `push_bytes` push
    // under a protected call.
    unsafe {
        if let Some((lua, sh)) = runtime_of(l) {
            if let Ok(s) = lua.create_string(&msg) {
                let ev = mlua::Value::String(s);
                let mut noted = e.clone();
                if noted.payload.as_bytes() == Some(noted.message.as_bytes()) {
                    noted.payload = Value::str(&msg);
                }
                noted.message = msg;
                sh.note_reraised(&ev, &noted);
                if super::values::push_mlua(lua, l, &[ev]) {
                    return Outcome::Raise;
                }
            }
        }
        push_bytes(l, e.message.as_bytes());
        Outcome::Raise
    }
}

/// Sends the message of the running closure and pushes its outcome.
///
/// # Safety
///
/// `l` is the running thread, inside `method_c` or `bound_c`.
unsafe fn send(l: *mut lua_State, bound: bool) -> Outcome {
    // SAFETY: reads of the closure's own upvalues and arguments; see the
    // helpers for the rest.
    unsafe {
        // Lua calls a C function with LUA_MINSTACK (20) free slots; the
        // body needs at most six (a result and a protected call's four,
        // or a copy on its way to mlua), and the helpers that push more
        // check for room themselves.
        let top = ffi::lua_gettop(l);
        let raw_id = ffi::lua_tointegerx(l, ffi::lua_upvalueindex(UP_ID), std::ptr::null_mut());
        let method = if raw_id == TOSTRING_ID {
            None
        } else {
            // Only the layer sets the upvalue (an index it interned); any
            // other index names `<unknown identifier>`, which no object
            // answers.
            match u32::try_from(raw_id) {
                Ok(i) => Some(Ident::from_raw(i)),
                Err(_) => return Outcome::RaiseStatic(c"polyeval: bad message identifier"),
            }
        };
        let (invocant_idx, first) = if bound {
            (ffi::lua_upvalueindex(UP_SELF), 1)
        } else {
            (1, 2)
        };
        if polyeval_core::memory::active() {
            let bytes = string_bytes(l, std::iter::once(invocant_idx).chain(first..=top));
            let fits = with_rt(|rt| rt.reserve_memory(bytes))
                .unwrap_or_else(|| polyeval_core::memory::check(bytes).map_err(ScriptError::from));
            if let Err(e) = fits {
                return raise_error(l, e);
            }
        }
        // Values only mlua converts (tables, functions, threads, other
        // userdata) are left as nil here and converted together.
        let mut later: Vec<c_int> = Vec::new();
        let mut invocant = simple_value(l, invocant_idx).unwrap_or_else(|| {
            later.push(invocant_idx);
            Value::Nil
        });
        let mut args = Args::new();
        for i in first..=top {
            args.push(simple_value(l, i).unwrap_or_else(|| {
                later.push(i);
                Value::Nil
            }));
        }
        if !later.is_empty() {
            let Some(vals) = converted(l, &later) else {
                return Outcome::RaiseStatic(OUT_OF_MEMORY);
            };
            for (&i, v) in later.iter().zip(vals) {
                if i == invocant_idx {
                    invocant = v;
                } else if let Some(slot) = usize::try_from(i - first)
                    .ok()
                    .and_then(|k| args.get_mut(k))
                {
                    *slot = v;
                }
            }
        }
        let reply = with_rt(|rt| {
            let r = match method {
                Some(m) => rt.send(m, Capture::new(&invocant, &args)),
                None => tostring_of(rt, &invocant, &args),
            };
            if let Ok(Reply::Goto(to)) = r {
                return goto_from_c(rt, l, to);
            }
            // A Lua thread inside a C function cannot return a step: a
            // callee is entered here, and the thread waits for it.
            let r = r.and_then(|r| rt.enter(r));
            let waiter = match r {
                Ok(Reply::Pending) => rt.continuation().and_then(|k| rt.back(k).ok().flatten()),
                _ => None,
            };
            (r, waiter)
        });
        drop(args);
        drop(invocant);
        match reply {
            None => Outcome::RaiseWhere(NO_LOOP),
            Some((Ok(Reply::Value(v)), _)) => push_results(l, std::slice::from_ref(&v)),
            Some((Ok(Reply::Pending | Reply::Call(_) | Reply::Goto(_)), waiter)) => {
                if ffi::lua_isyieldable(l) != 0 {
                    // No preemption may come between this and the yield
                    // reaching the driver thread (see `IN_FLIGHT`).
                    set_in_flight(true);
                    Outcome::YieldPending
                } else {
                    wait_nested(l, waiter)
                }
            }
            Some((Err(e), _)) => raise_error(l, e),
        }
    }
}

/// A send answered [`Reply::Goto`]: the loop makes `to` current now, and
/// the thread waits for control to come back to its own continuation.
/// Where Lua cannot yield (a metamethod or a `table.sort` comparator called
/// from C), it cannot leave either: a `goto` elsewhere is refused there,
/// as stock Lua refuses a yield.
#[cold]
#[inline(never)]
fn goto_from_c(
    rt: &mut polyeval_core::Cx,
    l: *mut lua_State,
    to: ContKey,
) -> (Result<Reply, ScriptError>, Option<ContKey>) {
    let me = rt.continuation();
    // SAFETY: `l` is the running thread, inside `send` (its caller's
    // guarantee); asking whether it may yield reads its call state only.
    if me != Some(to) && unsafe { ffi::lua_isyieldable(l) } == 0 {
        let e = ScriptError::runtime("attempt to goto across a C-call boundary");
        return (Err(e), None);
    }
    (rt.enter(Reply::Goto(to)), me)
}

/// Waits for a pending send in a nested run loop, where Lua cannot yield.
///
/// # Safety
///
/// As `send`.
unsafe fn wait_nested(l: *mut lua_State, waiter: Option<ContKey>) -> Outcome {
    set_in_flight(false);
    let Some(waiter) = waiter else {
        return Outcome::RaiseStatic(c"polyeval: nothing to wait for in a nested run loop");
    };
    match with_rt(|rt| rt.nested().run(waiter)) {
        // SAFETY: as the caller guarantees.
        Some(Ok(v)) => unsafe { push_results(l, std::slice::from_ref(&v)) },
        Some(Err(mut e)) => {
            explain_nested(&mut e, || {
                // SAFETY: as the caller guarantees.
                unsafe { position(l) }
            });
            // SAFETY: as the caller guarantees.
            unsafe { push_converted(l, &[], Some((&e, true))) };
            Outcome::Raise
        }
        None => Outcome::RaiseStatic(NO_LOOP),
    }
}

/// `tostring(obj)`: `Str`, or `TypeName: 0x...` for objects that do not
/// answer `Str` (Lua prints any userdata).
fn tostring_of(
    rt: &mut polyeval_core::Cx,
    invocant: &Value,
    argv: &[Value],
) -> Result<Reply, ScriptError> {
    match rt.send(Ident::STR, Capture::new(invocant, argv)) {
        Err(e) if e.kind == polyeval_core::ErrorKind::UnknownMethod => {
            let addr = invocant
                .as_obj()
                .map_or(std::ptr::null(), |o| Rc::as_ptr(o).cast::<()>());
            Ok(Reply::Value(Value::str(format!(
                "{}: {addr:p}",
                invocant.type_name()
            ))))
        }
        other => other,
    }
}

/// Makes a nested wait's error say why it failed where Lua cannot yield,
/// and gives it the Lua caller's position (`here`, as `file:line: `) when
/// it has none of its own, as Lua's own errors have.
fn explain_nested(e: &mut ScriptError, here: impl FnOnce() -> String) {
    if e.kind == polyeval_core::ErrorKind::NestingLimit {
        e.message = format!(
            "cannot wait for a call into another interpreter from a place where \
             Lua cannot yield (a table.sort comparator, a string.gsub callback, a \
             metamethod or finalizer called from C): {}",
            e.message
        );
    }
    if e.origin().is_none() {
        e.message = format!("{}{}", here(), e.message);
    }
    if e.payload.as_bytes().is_some() {
        e.payload = Value::str(&e.message);
    }
}
