//! The proxies of run-loop objects in Lua, as raw userdata.
//!
//! A proxy is a full userdata holding an `Option<ObjRef>` (`None` once
//! finalized), with one metatable per Lua state (kept with the proxy
//! cache in the registry and in `Shared`'s [`SendLayer`]). A proxy is told
//! from other userdata by its block being in the set of live proxies
//! (`LIVE`), and in its own metamethods by its metatable's identity. The
//! methods a proxy answers (the send closures) are `send.rs`'s.

use std::ffi::{c_int, c_void};
use std::rc::Rc;

use mlua::ffi::{self, lua_State};
use mlua::Lua;
use polyeval_core::ObjRef;

use crate::state::{AddrHash, SendLayer};

/// What a proxy userdata holds.
pub(super) type Payload = Option<ObjRef>;

/// Registry keys (their addresses) of the proxy metatable and the proxy
/// cache (weak values, keyed by the object's address).
static MT_KEY: u8 = 0;
static PROXIES_KEY: u8 = 1;

fn key_of(p: &'static u8) -> *const c_void {
    std::ptr::from_ref(p).cast::<c_void>()
}

thread_local! {
    /// The payload addresses of the live proxies of this OS thread's Lua
    /// states (addresses of live objects are unique), so that telling a
    /// proxy from other userdata takes no call into Lua.
    static LIVE: std::cell::RefCell<std::collections::HashSet<usize, AddrHash>> =
        std::cell::RefCell::new(std::collections::HashSet::default());
}

#[inline]
pub(super) fn live(p: *const Payload) -> bool {
    LIVE.with(|s| s.borrow().contains(&(p as usize)))
}

impl SendLayer {
    /// Registers the metatable and the cache where the raw code finds
    /// them outside the send closures.
    pub(crate) fn register(&self, lua: &Lua) -> mlua::Result<()> {
        // SAFETY: `exec_raw` runs the closure protected, with the two
        // tables on the stack; each `lua_rawsetp` pops one.
        unsafe {
            lua.exec_raw::<()>((self.mt.clone(), self.proxies.clone()), |l| {
                ffi::lua_rawsetp(l, ffi::LUA_REGISTRYINDEX, key_of(&PROXIES_KEY));
                ffi::lua_rawsetp(l, ffi::LUA_REGISTRYINDEX, key_of(&MT_KEY));
            })
        }
    }

    /// `__eq` and `__gc` of proxies (their upvalue: the metatable).
    pub(crate) fn meta_functions(
        &self,
        lua: &Lua,
    ) -> mlua::Result<(mlua::Function, mlua::Function)> {
        // SAFETY: the metatable is on the stack; `lua_pushcclosure` pops it
        // as the upvalue and pushes the closure.
        unsafe {
            Ok((
                lua.exec_raw(self.mt.clone(), |l| ffi::lua_pushcclosure(l, eq_c, 1))?,
                lua.exec_raw(self.mt.clone(), |l| ffi::lua_pushcclosure(l, gc_c, 1))?,
            ))
        }
    }
}

/// The payload of the proxy at `idx` (an absolute or pseudo index), or
/// null if that value is no proxy. `mt` is where the proxy metatable is.
///
/// # Safety
///
/// `l` is a live thread with one free stack slot; `idx` and `mt` are
/// valid indices that stay valid after a push.
unsafe fn proxy_at(l: *mut lua_State, idx: c_int, mt: c_int) -> *mut Payload {
    // SAFETY: as the caller guarantees; none of these calls raises.
    unsafe {
        if ffi::lua_type(l, idx) != ffi::LUA_TUSERDATA || ffi::lua_getmetatable(l, idx) == 0 {
            return std::ptr::null_mut();
        }
        let same = ffi::lua_rawequal(l, -1, mt) != 0;
        ffi::lua_pop(l, 1);
        if same {
            ffi::lua_touserdata(l, idx).cast::<Payload>()
        } else {
            std::ptr::null_mut()
        }
    }
}

/// The run-loop object proxy `ud` stands for, if it is a live proxy.
pub(crate) fn proxy_object(ud: &mlua::AnyUserData) -> Option<ObjRef> {
    let p = ud.to_pointer().cast::<Payload>();
    if !live(p) {
        return None;
    }
    // SAFETY: `p` is the block of a live proxy (listed from its making
    // to its `__gc`), kept alive by `ud`; the payload is only read.
    unsafe { (*p).clone() }
}

/// The proxy of `o` in `lua`: the cached one while it lives, or a new one.
pub(crate) fn proxy_value(lua: &Lua, o: &ObjRef) -> mlua::Result<mlua::Value> {
    let op = std::ptr::from_ref(o);
    // SAFETY: `exec_raw` runs the closure protected (a raise in the
    // allocation unwinds to it; the closure then holds no Rust value:
    // `op` borrows the caller's `o`). It pushes the metatable and the
    // cache and leaves the proxy alone on the stack.
    unsafe {
        lua.exec_raw::<mlua::Value>((), |l| {
            ffi::luaL_checkstack(l, 6, std::ptr::null());
            ffi::lua_rawgetp(l, ffi::LUA_REGISTRYINDEX, key_of(&MT_KEY));
            let mt = ffi::lua_gettop(l);
            ffi::lua_rawgetp(l, ffi::LUA_REGISTRYINDEX, key_of(&PROXIES_KEY));
            let proxies = mt + 1;
            if !cached_proxy(l, &*op, proxies) {
                make_proxy(l, &*op, mt, proxies);
            }
            ffi::lua_replace(l, mt);
            ffi::lua_settop(l, mt);
        })
    }
}

/// Pushes the cached live proxy of `o` and answers true, or pushes
/// nothing and answers false.
///
/// # Safety
///
/// `l` has two free slots; `proxies` is the cache's absolute index.
#[inline]
pub(super) unsafe fn cached_proxy(l: *mut lua_State, o: &ObjRef, proxies: c_int) -> bool {
    let key = Rc::as_ptr(o).cast::<c_void>();
    // SAFETY: a raw get neither raises nor allocates; a userdata in the
    // cache is a proxy (only `make_proxy` stores there).
    unsafe {
        if ffi::lua_rawgetp(l, proxies, key) == ffi::LUA_TUSERDATA
            && (*ffi::lua_touserdata(l, -1).cast::<Payload>()).is_some()
        {
            return true;
        }
        ffi::lua_pop(l, 1);
        false
    }
}

/// Pushes a new proxy of `o` and caches it. Raises on out of memory.
///
/// # Safety
///
/// Raises: the caller is protected and holds no Rust value with a
/// destructor. `mt` and `proxies` are absolute indices.
unsafe fn make_proxy(l: *mut lua_State, o: &ObjRef, mt: c_int, proxies: c_int) {
    // SAFETY: the userdata's block is fresh, aligned for any Lua value
    // (so for the payload) and of the payload's size; it owns its clone
    // from here on, and the metatable's `__gc` drops it. A raise in the
    // cache's store leaves an uncached proxy, collected as any.
    unsafe {
        let ud = ffi::lua_newuserdatauv(l, std::mem::size_of::<Payload>(), 0).cast::<Payload>();
        ud.write(Some(o.clone()));
        LIVE.with(|s| s.borrow_mut().insert(ud as usize));
        ffi::lua_pushvalue(l, mt);
        ffi::lua_setmetatable(l, -2);
        ffi::lua_pushvalue(l, -1);
        ffi::lua_rawsetp(l, proxies, Rc::as_ptr(o).cast::<c_void>());
    }
}

/// `make_proxy` under `lua_pcall`: arguments the object (light userdata
/// pointing to an `ObjRef`), the metatable and the cache.
pub(super) unsafe extern "C-unwind" fn make_proxy_c(l: *mut lua_State) -> c_int {
    // SAFETY: called only by `push_proxy`, with those arguments; the
    // pointer borrows a value the caller keeps alive meanwhile.
    unsafe {
        let o = &*ffi::lua_touserdata(l, 1).cast::<ObjRef>();
        make_proxy(l, o, 2, 3);
        1
    }
}

/// `__eq` of proxies: the same run-loop object.
unsafe extern "C-unwind" fn eq_c(l: *mut lua_State) -> c_int {
    let mt = ffi::lua_upvalueindex(1);
    // SAFETY: Lua calls this with two operands; the checks raise nothing,
    // and a payload is only read.
    unsafe {
        ffi::lua_settop(l, 2);
        let a = proxy_at(l, 1, mt);
        let b = proxy_at(l, 2, mt);
        let same = !a.is_null()
            && !b.is_null()
            && matches!((&*a, &*b), (Some(x), Some(y)) if polyeval_core::same_object(x, y));
        ffi::lua_pushboolean(l, c_int::from(same));
        1
    }
}

/// `__gc` of proxies: drops the reference (once).
unsafe extern "C-unwind" fn gc_c(l: *mut lua_State) -> c_int {
    // SAFETY: only a proxy's payload is taken; dropping it runs Rust code
    // only (under the panic guard), which never calls into this thread.
    unsafe {
        let p = proxy_at(l, 1, ffi::lua_upvalueindex(1));
        if !p.is_null() {
            LIVE.with(|s| s.borrow_mut().remove(&(p as usize)));
            let old = (*p).take();
            let _ = polyeval_core::panics::catch(move || drop(old));
        }
        0
    }
}
