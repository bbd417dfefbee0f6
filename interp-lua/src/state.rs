//! The lowest layer: the data every part of the crate shares about one Lua
//! state. [`Shared`] (the pool of driver threads, the object cache, the
//! send layer's tables, the armed mode's state, the private
//! `debug.getinfo`), the objects it caches ([`LuaObject`]; what they answer
//! is in `driver/call.rs`), the driver-protocol markers, [`HookMode`], and
//! the plain types the raw layer (`ffi/`) works on: [`Driver`],
//! [`SendLayer`], [`ArmState`]. It imports no other module of the crate.

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::ffi::c_void;
use std::rc::{Rc, Weak};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use mlua::ffi::lua_State;
use mlua::{Function, LightUserData, Lua, Table, Thread};
use polyeval_core::{Object, ScriptError, Value};

/// The private markers of the driver protocol (see `driver`): distinct
/// addresses, passed to Lua as light userdata, that no Lua value equals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Marker {
    /// A send went pending: the thread waits for its result.
    Pending,
    /// Under an error value a pending send is resumed with: raise it.
    Err,
    /// A `coroutine.resume` asks its continuation to resume a chain.
    Resume,
    /// Under the values of a user `coroutine.yield`.
    Yield,
}

static MARKERS: [u8; 4] = [0; 4];

impl Marker {
    /// The marker's address.
    #[inline]
    pub(crate) fn ptr(self) -> *mut c_void {
        std::ptr::from_ref(&MARKERS[self as usize])
            .cast_mut()
            .cast::<c_void>()
    }

    /// The marker as a Lua value.
    #[inline]
    pub(crate) fn light(self) -> LightUserData {
        LightUserData(self.ptr())
    }
}

/// Hashes addresses (already well spread) with one multiplication instead
/// of SipHash: the object cache is looked up at every crossing.
#[derive(Clone, Copy, Default)]
pub(crate) struct AddrHash;

impl std::hash::BuildHasher for AddrHash {
    type Hasher = AddrHasher;
    fn build_hasher(&self) -> AddrHasher {
        AddrHasher(0)
    }
}

#[derive(Default)]
pub(crate) struct AddrHasher(u64);

impl std::hash::Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(29);
    }
}

/// How running Lua gives the run loop its turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HookMode {
    /// A count hook every `--lua-quantum` instructions counts steps and
    /// yields when the loop needs it (budgets, probes, step reports).
    Counting,
    /// No hook while nothing is pending; a raise from another thread arms
    /// a one-shot hook on the running thread (`ffi`). User coroutines
    /// keep a light hook.
    Armed,
    /// `--lua-quantum 0`: never preempted.
    None,
}

/// A driver thread and its `lua_State` (read once: mlua answers it by a
/// call into Lua each time). A user coroutine's own thread is held by no
/// `Thread` (see [`Driver::coroutine`]). Resumed by `ffi/resume.rs`.
pub(crate) struct Driver {
    thread: Option<Thread>,
    l: *mut lua_State,
}

impl Driver {
    /// Driver thread `thread`.
    pub(crate) fn new(thread: Thread) -> Driver {
        let l = thread.to_pointer().cast_mut().cast::<lua_State>();
        Driver {
            thread: Some(thread),
            l,
        }
    }

    /// A user coroutine's thread, which the run loop resumes as it resumes
    /// driver threads but does not keep alive: Lua collects it when user
    /// code drops it (the coroutine library then releases its chain), and
    /// while it runs it is on its resumer's stack.
    pub(crate) fn coroutine(l: *mut lua_State) -> Driver {
        Driver { thread: None, l }
    }

    /// The thread, for mlua's own uses (`None` for a coroutine's thread).
    #[inline]
    pub(crate) fn thread(&self) -> Option<&Thread> {
        self.thread.as_ref()
    }

    /// The thread's `lua_State`.
    #[inline]
    pub(crate) fn state(&self) -> *mut lua_State {
        self.l
    }
}

/// The mlua handles the raw send layer (`ffi/send.rs`, `ffi/proxy.rs`)
/// is built from: the proxy metatable and the proxy cache (weak values).
pub(crate) struct SendLayer {
    pub mt: Table,
    pub proxies: Table,
}

/// The armed mode's shared state: whether the loop's thread was signalled
/// since Lua last entered, and whether the loop still lives (see
/// `ffi/preempt.rs`).
pub(crate) struct ArmState {
    pub(crate) signalled: AtomicBool,
    pub(crate) alive: AtomicBool,
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
        self.alive.store(false, std::sync::atomic::Ordering::SeqCst);
    }
}

/// What Rust keeps about the Lua state; shared by the runtime, its
/// continuations, its objects and the Rust functions installed in Lua.
/// It holds only weak handles into Lua, so it keeps no Lua state alive.
pub(crate) struct Shared {
    pub lua: mlua::WeakLua,
    pub pending: LightUserData,
    pub err: LightUserData,
    pub pool: RefCell<Vec<Driver>>,
    /// The raw send layer's tables (`ffi::send`); set once,
    /// right after `Shared` exists.
    pub sends: OnceCell<SendLayer>,
    /// Objects standing for Lua values on the SMOP side, by Lua address.
    pub objects: RefCell<HashMap<usize, Weak<LuaObject>, AddrHash>>,
    /// How running Lua gives the run loop its turn (see [`HookMode`]).
    pub hooks: HookMode,
    /// Armed mode's state, shared with the loop's waker.
    pub arm: Arc<ArmState>,
    /// `--lua-quantum`: in armed mode, how many instructions a step runs
    /// when the loop needs steps counted after all (see
    /// `ffi::preempt::enter`).
    pub quantum: u32,
    /// The loop's interrupt handle (its flag is read before each resume).
    pub irq: polyeval_core::InterruptHandle,
    /// Run-loop errors recently raised into Lua, with their Lua values:
    /// when such a value comes back out of a driver thread uncaught, the
    /// original error (with its backtrace across interpreters) goes on.
    pub reraised: RefCell<Vec<(mlua::Value, ScriptError)>>,
    /// The message of the last `interrupted!` a hook raised in Lua: when
    /// that value leaves a driver thread uncaught, its error is of kind
    /// [`polyeval_core::ErrorKind::Interrupted`].
    interrupted: RefCell<Option<Vec<u8>>>,
    /// `debug.getinfo`, kept private: reads where a suspended thread
    /// stands.
    pub getinfo: Function,
    /// Interned chunk names.
    files: RefCell<HashMap<String, Rc<str>>>,
}

impl Shared {
    /// The shared data of `lua`'s state, which has the `debug` library.
    pub fn new(
        lua: &Lua,
        hooks: HookMode,
        quantum: u32,
        irq: polyeval_core::InterruptHandle,
    ) -> mlua::Result<Shared> {
        Ok(Shared {
            lua: lua.weak(),
            pending: Marker::Pending.light(),
            err: Marker::Err.light(),
            pool: RefCell::new(Vec::new()),
            sends: OnceCell::new(),
            objects: RefCell::new(HashMap::default()),
            hooks,
            arm: ArmState::new(),
            quantum,
            irq,
            getinfo: lua
                .globals()
                .get::<Table>("debug")?
                .get::<Function>("getinfo")?,
            reraised: RefCell::new(Vec::new()),
            interrupted: RefCell::new(None),
            files: RefCell::new(HashMap::new()),
        })
    }

    /// The shared data of `lua`'s state, while the runtime lives.
    pub fn of(lua: &Lua) -> Option<Rc<Shared>> {
        lua.app_data_ref::<Weak<Shared>>()?.upgrade()
    }

    /// The raw send layer.
    pub fn send_layer(&self) -> mlua::Result<&SendLayer> {
        self.sends
            .get()
            .ok_or_else(|| mlua::Error::runtime("polyeval: the Lua state is not set up"))
    }

    /// Remembers that `err` was raised into Lua as `v`.
    pub fn note_reraised(&self, v: &mlua::Value, err: &ScriptError) {
        let mut r = self.reraised.borrow_mut();
        if r.len() >= 16 {
            r.remove(0);
        }
        r.push((v.clone(), err.clone()));
    }

    /// Remembers `msg` as the `interrupted!` a hook is raising.
    pub fn note_interrupted(&self, msg: &[u8]) {
        *self.interrupted.borrow_mut() = Some(msg.to_vec());
    }

    /// Whether `v` is the `interrupted!` a hook raised last; forgets it
    /// when it is.
    pub fn take_interrupted(&self, v: &mlua::Value) -> bool {
        let mlua::Value::String(s) = v else {
            return false;
        };
        let mut noted = self.interrupted.borrow_mut();
        let hit = noted.as_deref() == Some(&*s.as_bytes());
        if hit {
            *noted = None;
        }
        hit
    }

    /// The run-loop error that was raised into Lua as `v`, if any.
    pub fn take_reraised(&self, v: &mlua::Value) -> Option<ScriptError> {
        let mut r = self.reraised.borrow_mut();
        let i = r.iter().rposition(|(x, _)| raw_equal(x, v))?;
        Some(r.remove(i).1)
    }

    pub fn file(&self, name: &str) -> Rc<str> {
        let mut files = self.files.borrow_mut();
        if let Some(f) = files.get(name) {
            return f.clone();
        }
        let f: Rc<str> = Rc::from(name);
        files.insert(name.to_owned(), f.clone());
        f
    }

    /// The Lua state, while it exists.
    pub fn lua(&self) -> Result<Lua, ScriptError> {
        self.lua
            .try_upgrade()
            .ok_or_else(|| ScriptError::runtime("the Lua state is gone"))
    }
}

/// Whether two Lua values are raw-equal (Lua's `rawequal`).
fn raw_equal(a: &mlua::Value, b: &mlua::Value) -> bool {
    match (a, b) {
        (mlua::Value::String(x), mlua::Value::String(y)) => x.as_bytes() == y.as_bytes(),
        (mlua::Value::Integer(x), mlua::Value::Integer(y)) => x == y,
        (mlua::Value::Number(x), mlua::Value::Number(y)) => x == y,
        (mlua::Value::Boolean(x), mlua::Value::Boolean(y)) => x == y,
        (mlua::Value::Nil, mlua::Value::Nil) => true,
        (x, y) => {
            !x.to_pointer().is_null()
                && x.to_pointer() == y.to_pointer()
                && x.type_name() == y.type_name()
        }
    }
}

/// A Lua table, function, userdata or thread seen from the run loop.
///
/// Functions (and anything with `__call`) answer `postcircumfix:( )` by a
/// hand-off to a Lua continuation. Tables answer `at_key`, `store` and
/// `elems` directly (metamethods included), and any other message `m` as
/// the method call `t:m(...)`, again by hand-off.
pub struct LuaObject {
    pub(crate) shared: Rc<Shared>,
    pub(crate) value: mlua::Value,
    key: usize,
}

impl LuaObject {
    /// The object for Lua value `v`; the same object while it lives.
    pub(crate) fn value(shared: &Rc<Shared>, v: mlua::Value) -> Value {
        let key = v.to_pointer() as usize;
        if key == 0 {
            // A value with no address of its own (an mlua error value):
            // never cached, or every such value would share one entry and
            // answer with the first one's message.
            return Value::obj(LuaObject {
                shared: shared.clone(),
                value: v,
                key,
            });
        }
        if let Some(o) = shared.objects.borrow().get(&key).and_then(Weak::upgrade) {
            return Value::Obj(o);
        }
        let o: Rc<LuaObject> = Rc::new(LuaObject {
            shared: shared.clone(),
            value: v,
            key,
        });
        let as_dyn: Rc<dyn Object> = o.clone();
        shared.objects.borrow_mut().insert(key, Rc::downgrade(&o));
        Value::Obj(as_dyn)
    }

    /// The Lua value.
    pub fn lua_value(&self) -> &mlua::Value {
        &self.value
    }
}

impl Drop for LuaObject {
    fn drop(&mut self) {
        if self.key == 0 {
            return;
        }
        if let Ok(mut map) = self.shared.objects.try_borrow_mut() {
            if map.get(&self.key).is_some_and(|w| w.strong_count() == 0) {
                map.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Marker;

    #[test]
    fn markers_differ() {
        let all = [Marker::Pending, Marker::Err, Marker::Resume, Marker::Yield];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a.ptr(), b.ptr());
            }
        }
    }
}
