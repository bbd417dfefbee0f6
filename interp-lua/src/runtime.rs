//! The Lua state of one run loop: its configuration (standard libraries,
//! memory limit, count hook), the Lua-side runtime (`runtime.lua`), the
//! pool of driver threads, and the Rust functions Lua calls (nested waits,
//! argument messages, `io.flush`, `os.exit`; message sends are C functions
//! of `ffi::send`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::c_void;
use std::rc::{Rc, Weak};
use std::sync::Arc;

use mlua::{
    chunk::ChunkMode, Function, HookTriggers, LightUserData, Lua, MultiValue, Table, Thread,
    VmState,
};
use polyeval_core::{Capture, FrameInfo, Ident, Interp, Reply, ScriptError, Value};

use crate::convert::{self, LuaObject};
use polyeval_core::lend::{lend, with_rt};

/// Which standard libraries Lua code gets (docs/design.md §7).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Stdlib {
    /// Everything but `debug`; `load`, `loadfile`, `dofile` and `require`
    /// take text chunks only (Lua has no bytecode verifier).
    #[default]
    Safe,
    /// Everything, `debug` and binary chunks included.
    All,
    /// No `io`, `os`, `package`, `require`, `dofile`, `loadfile`, `debug`;
    /// `load` takes text chunks only.
    Sandbox,
}

impl std::str::FromStr for Stdlib {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "safe" => Ok(Stdlib::Safe),
            "all" => Ok(Stdlib::All),
            "sandbox" => Ok(Stdlib::Sandbox),
            other => Err(format!(
                "unknown Lua stdlib mode {other:?}: expected safe, all or sandbox"
            )),
        }
    }
}

/// How running Lua code is made to give the run loop its turn when an
/// interrupt comes from another thread.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Preempt {
    /// No hook while nothing is pending (full speed); a raise signals the
    /// loop's thread (SIGURG), whose handler arms a one-shot hook. Latency
    /// is the OS's signal delivery (~10 µs; more in a VM).
    #[default]
    Signal,
    /// A count hook every `--lua-quantum` instructions checks for pending
    /// interrupts: lower latency, but Lua 5.4 then traps on every
    /// instruction (a pure Lua loop runs about half as fast).
    Count,
}

impl std::str::FromStr for Preempt {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "signal" => Ok(Preempt::Signal),
            "count" => Ok(Preempt::Count),
            other => Err(format!(
                "unknown Lua preemption mode {other:?}: expected signal or count"
            )),
        }
    }
}

/// The default number of Lua VM instructions between two count-hook
/// checks.
pub const DEFAULT_LUA_QUANTUM: u32 = 1000;

/// How to set up the Lua state.
#[derive(Clone, Debug)]
pub struct LuaConfig {
    /// Standard libraries.
    pub stdlib: Stdlib,
    /// Memory limit in bytes for the Lua state, if any.
    pub memory_limit: Option<usize>,
    /// Instructions between count-hook checks (`--lua-quantum`); 0 sets
    /// no hook, so pure Lua code is never preempted.
    pub quantum: u32,
    /// Yield to the run loop at every count-hook check, needed or not. A
    /// stress mode for tests: interleaving must stay invisible to scripts.
    pub always_preempt: bool,
    /// How pure Lua code is preempted (`--lua-preempt`). Budgets, probe
    /// schedules and step reports always use the count hook, which counts
    /// steps.
    pub preempt: Preempt,
    /// Lua's warnings start on (the stand-alone `lua`'s `-W`); otherwise
    /// they are off until `warn("@on")`, as stock.
    pub warnings: bool,
}

impl Default for LuaConfig {
    fn default() -> Self {
        LuaConfig {
            stdlib: Stdlib::Safe,
            memory_limit: None,
            quantum: DEFAULT_LUA_QUANTUM,
            always_preempt: false,
            preempt: Preempt::Signal,
            warnings: false,
        }
    }
}

/// Private markers of the driver protocol (see `runtime.lua`): distinct
/// addresses, passed to Lua as light userdata, that no Lua value equals.
static MARKERS: [u8; 6] = [0; 6];

pub(crate) fn marker(i: usize) -> LightUserData {
    LightUserData(std::ptr::from_ref(&MARKERS[i]).cast_mut().cast::<c_void>())
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

/// What Rust keeps about the Lua state; shared by the runtime, its
/// continuations, its objects and the Rust functions installed in Lua.
/// It holds only weak handles into Lua, so it keeps no Lua state alive.
pub(crate) struct Shared {
    pub lua: mlua::WeakLua,
    pub pending: LightUserData,
    pub err: LightUserData,
    pub pool: RefCell<Vec<crate::ffi::resume::Driver>>,
    /// The raw send layer's tables (`ffi::send`); set once,
    /// right after `Shared` exists.
    pub sends: std::cell::OnceCell<crate::ffi::SendLayer>,
    /// Objects standing for Lua values on the SMOP side, by Lua address.
    pub objects: RefCell<HashMap<usize, Weak<LuaObject>, AddrHash>>,
    /// How running Lua gives the run loop its turn (see [`HookMode`]).
    pub hooks: HookMode,
    /// Armed mode's state, shared with the loop's waker.
    pub arm: Arc<crate::ffi::ArmState>,
    /// The loop's interrupt handle (its flag is read before each resume).
    pub irq: polyeval_core::InterruptHandle,
    /// Run-loop errors recently raised into Lua, with their Lua values:
    /// when such a value comes back out of a driver thread uncaught, the
    /// original error (with its backtrace across interpreters) goes on.
    pub reraised: RefCell<Vec<(mlua::Value, ScriptError)>>,
    /// `debug.getinfo`, kept private: reads where a suspended thread
    /// stands.
    pub getinfo: Function,
    /// Interned chunk names.
    files: RefCell<HashMap<String, Rc<str>>>,
}

impl Shared {
    /// The raw send layer.
    pub fn send_layer(&self) -> mlua::Result<&crate::ffi::SendLayer> {
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

    /// The run-loop error that was raised into Lua as `v`, if any.
    pub fn take_reraised(&self, v: &mlua::Value) -> Option<ScriptError> {
        let mut r = self.reraised.borrow_mut();
        let i = r
            .iter()
            .rposition(|(x, _)| crate::convert::raw_equal(x, v))?;
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

    /// A driver thread from the pool, or a new one.
    pub fn take_thread(&self, lua: &Lua) -> mlua::Result<crate::ffi::resume::Driver> {
        if let Some(t) = self.pool.borrow_mut().pop() {
            return Ok(t);
        }
        let t = crate::ffi::resume::new_thread(lua, &self.getinfo)?;
        crate::ffi::forget_user_hook(t.state());
        Ok(t)
    }

    /// Returns a driver thread whose function returned (or that was
    /// closed after failing) to the pool, as it is: empty, ready for the
    /// next function.
    pub fn give_thread(&self, t: crate::ffi::resume::Driver) {
        if t.thread().is_none() {
            return;
        }
        crate::ffi::forget_user_hook(t.state());
        let mut pool = self.pool.borrow_mut();
        if pool.len() < 256 {
            pool.push(t);
        }
    }

    /// Where failed driver thread `t` failed, innermost first, read from
    /// its own stack.
    pub fn dead_frames(&self, t: &crate::ffi::resume::Driver) -> Vec<FrameInfo> {
        let max = polyeval_core::Backtrace::KEEP;
        let mut out = Vec::new();
        for d in crate::ffi::resume::dead_frames(t, 200, |_| true) {
            if out.len() >= max {
                break;
            }
            out.extend(self.frame(
                &d.what,
                &d.short_src,
                d.line,
                d.name.as_deref(),
                d.line_defined,
            ));
        }
        out
    }

    /// A backtrace frame for a Lua stack level, named as Lua's tracebacks
    /// name frames; `None` for C functions and polyeval's own Lua code.
    fn frame(
        &self,
        what: &str,
        short_src: &str,
        line: i64,
        name: Option<&str>,
        line_defined: i64,
    ) -> Option<FrameInfo> {
        if what == "C" || short_src == "polyeval" {
            return None;
        }
        let fname = match (name, what) {
            (Some(n), _) => format!("function '{n}'"),
            (None, "main") => "main chunk".to_owned(),
            (None, _) => format!("function <{short_src}:{line_defined}>"),
        };
        Some(FrameInfo {
            interp: "lua",
            file: self.file(short_src),
            line: u32::try_from(line.max(0)).unwrap_or(u32::MAX),
            col: 0,
            name: Some(Rc::from(fname)),
        })
    }

    /// Records where Lua code stands now (the current thread, innermost
    /// first, at most `max` Lua frames), from stack level `from`.
    pub fn record_frames(&self, lua: &Lua, from: usize, max: usize, out: &mut Vec<FrameInfo>) {
        let mut level = from;
        while out.len() < max {
            let Some(fr) = lua.inspect_stack(level, |d| {
                let src = d.source();
                self.frame(
                    src.what,
                    src.short_src.as_deref().unwrap_or("?"),
                    d.current_line()
                        .map_or(0, |l| i64::try_from(l).unwrap_or(0)),
                    d.names().name.as_deref(),
                    src.line_defined
                        .map_or(0, |l| i64::try_from(l).unwrap_or(0)),
                )
            }) else {
                break;
            };
            level += 1;
            out.extend(fr);
        }
    }

    /// Appends where suspended `thread` stands, innermost first, at most
    /// `max` Lua frames (read with the private `debug.getinfo`).
    pub fn thread_frames(&self, thread: &Thread, max: usize, out: &mut Vec<FrameInfo>) {
        let mut n = 0;
        for level in 0..200 {
            if n >= max {
                break;
            }
            let Ok(Some(info)) = self
                .getinfo
                .call::<Option<Table>>((thread.clone(), level, "Sln"))
            else {
                break;
            };
            let what: String = info.get("what").unwrap_or_default();
            let src: String = info.get("short_src").unwrap_or_default();
            let line: i64 = info.get("currentline").unwrap_or(0);
            let name: Option<String> = info.get("name").unwrap_or(None);
            let defined: i64 = info.get("linedefined").unwrap_or(0);
            if let Some(f) = self.frame(&what, &src, line, name.as_deref(), defined) {
                out.push(f);
                n += 1;
            }
        }
    }
}

/// The Lua interpreter of one run loop. Install it with
/// [`LuaRuntime::install`]; find it again with [`LuaRuntime::of`].
pub struct LuaRuntime {
    lua: Lua,
    pub(crate) shared: Rc<Shared>,
    config: LuaConfig,
}

impl std::fmt::Debug for LuaRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LuaRuntime")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// A Lua failure outside any script (setting up the state, building a
/// value) as a run-loop error.
#[cold]
pub fn lua_error(e: &mlua::Error) -> ScriptError {
    ScriptError::runtime(format!("lua: {e}"))
}

impl Drop for LuaRuntime {
    fn drop(&mut self) {
        // The loop's waker must stop signalling a thread that may end.
        self.shared.arm.retire();
    }
}

impl LuaRuntime {
    /// Creates the Lua state for `rt` and registers it as the loop's Lua
    /// interpreter.
    ///
    /// # Errors
    ///
    /// A script error when the Lua state cannot be set up (for instance a
    /// memory limit too small for the standard libraries).
    pub fn install(rt: &mut Interp, config: LuaConfig) -> Result<Rc<LuaRuntime>, ScriptError> {
        // Lua puts the position it wants (the `level` of `error`) into its
        // messages itself.
        polyeval_core::error::messages_carry_positions("lua");
        // The debug library is always loaded: polyeval keeps `debug.getinfo`
        // to read where suspended Lua threads stand (for backtraces) only
        // when it needs to, instead of recording it at every crossing.
        // Scripts see `debug` only with `--lua-stdlib all`.
        let lua = crate::ffi::new_lua_with_debug();
        let hooks = if config.quantum == 0 {
            HookMode::None
        } else if config.always_preempt
            || config.preempt == Preempt::Count
            || rt.exact_step_counting()
            || !cfg!(unix)
        {
            HookMode::Counting
        } else {
            HookMode::Armed
        };
        let shared =
            setup(&lua, &config, hooks, rt.interrupt_handle()).map_err(|e| lua_error(&e))?;
        let hooks = shared.hooks;
        match hooks {
            HookMode::Counting => {
                set_counting_hook(
                    &lua,
                    rt.interrupt_handle(),
                    config.quantum,
                    config.always_preempt,
                )
                .map_err(|e| lua_error(&e))?;
            }
            HookMode::Armed => match crate::ffi::waker(&shared.arm) {
                Some(w) => {
                    rt.add_interrupt_waker(w);
                }
                None => {
                    set_counting_hook(&lua, rt.interrupt_handle(), config.quantum, false)
                        .map_err(|e| lua_error(&e))?;
                }
            },
            HookMode::None => {}
        }
        if let Some(limit) = config.memory_limit {
            lua.set_memory_limit(limit).map_err(|e| lua_error(&e))?;
        }
        let runtime = Rc::new(LuaRuntime {
            lua,
            shared,
            config,
        });
        rt.set_ext(runtime.clone());
        rt.register_language(Rc::new(crate::lang::LuaLanguage));
        let make: Function = runtime
            .lua
            .named_registry_value(RUNTIME_KEY)
            .and_then(|t: Table| t.get("interrupts"))
            .map_err(|e| lua_error(&e))?;
        crate::irq::install(rt, &runtime, &make).map_err(|e| lua_error(&e))?;
        crate::lang::install_table(&runtime)?;
        Ok(runtime)
    }

    /// The Lua interpreter installed in `rt`.
    pub fn of(rt: &Interp) -> Option<Rc<LuaRuntime>> {
        rt.ext::<LuaRuntime>()
    }

    /// The Lua state.
    pub fn lua(&self) -> &Lua {
        &self.lua
    }

    /// The configuration it was made with.
    pub fn config(&self) -> &LuaConfig {
        &self.config
    }

    /// Compiles Lua source as a function; `name` is the chunk name shown in
    /// messages (a file path, say).
    ///
    /// # Errors
    ///
    /// A [`polyeval_core::ErrorKind::Compile`] script error with Lua's
    /// message (`name:line: ...`).
    pub fn load(&self, src: &[u8], name: &str) -> Result<Function, ScriptError> {
        self.lua
            .load(src)
            .set_name(format!("@{name}"))
            .set_mode(ChunkMode::Text)
            .into_function()
            .map_err(|e| {
                let msg = match &e {
                    mlua::Error::SyntaxError { message, .. } => message.clone(),
                    other => other.to_string(),
                };
                ScriptError::new(polyeval_core::ErrorKind::Compile, msg)
            })
    }

    /// Converts a run-loop value to Lua (by reference for objects).
    ///
    /// # Errors
    ///
    /// A script error when Lua is out of memory.
    pub fn to_lua(&self, v: &Value) -> Result<mlua::Value, ScriptError> {
        convert::to_lua(&self.lua, &self.shared, v).map_err(|e| lua_error(&e))
    }

    /// Converts a Lua value to a run-loop value (by reference for tables,
    /// functions, userdata and threads).
    pub fn from_lua(&self, v: mlua::Value) -> Value {
        convert::from_lua(&self.shared, v)
    }

    /// A Lua function that calls the run-loop object `obj` (sends it
    /// `postcircumfix:( )`), waiting for a pending answer as Lua code
    /// waits for any call into SMOP.
    ///
    /// # Errors
    ///
    /// A script error when Lua is out of memory.
    pub fn host_function(&self, obj: &Value) -> Result<Function, ScriptError> {
        let ud = self.to_lua(obj)?;
        let wrap = || -> mlua::Result<Function> {
            self.shared
                .send_layer()?
                .bound(&self.lua, ud, i64::from(Ident::CALL.index()))
        };
        wrap().map_err(|e| lua_error(&e))
    }

    /// Reads a global variable.
    ///
    /// # Errors
    ///
    /// A script error from a metamethod on the globals table.
    pub fn global(&self, rt: &mut Interp, name: &[u8]) -> Result<Value, ScriptError> {
        let globals = self.lua.globals();
        let name = self.lua.create_string(name).map_err(|e| lua_error(&e))?;
        let v = lend(rt, || globals.get::<mlua::Value>(name)).map_err(|e| lua_error(&e))?;
        Ok(self.from_lua(v))
    }

    /// Sets a global variable.
    ///
    /// # Errors
    ///
    /// A script error when Lua is out of memory.
    pub fn set_global(&self, name: &str, v: &Value) -> Result<(), ScriptError> {
        let lv = self.to_lua(v)?;
        self.lua.globals().set(name, lv).map_err(|e| lua_error(&e))
    }

    /// Whether `v` may be used with this Lua state: false only for a Lua
    /// table, function, userdata or thread of another state.
    pub fn owns(&self, v: &Value) -> bool {
        v.downcast::<crate::convert::LuaObject>()
            .is_none_or(|lo| Rc::ptr_eq(&lo.shared, &self.shared))
    }

    pub(crate) fn shared(&self) -> &Rc<Shared> {
        &self.shared
    }
}

/// Sets up the Lua side: overrides, the runtime chunk, the sandbox.
/// Where the table `runtime.lua` returned is kept.
const RUNTIME_KEY: &str = "polyeval.runtime";

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

/// The count hook of [`HookMode::Counting`]: every `q` instructions it
/// counts a step and yields when an interrupt waits or the step limit is
/// reached (every time with `always`).
fn set_counting_hook(
    lua: &Lua,
    irq: polyeval_core::InterruptHandle,
    q: u32,
    always: bool,
) -> mlua::Result<()> {
    lua.set_global_hook(
        HookTriggers::new().every_nth_instruction(q),
        move |lua, _debug| {
            if crate::ffi::in_flight() {
                return Ok(VmState::Continue);
            }
            let needed = with_rt(|rt| {
                rt.add_steps(1);
                rt.should_yield() || rt.steps_left() == 0 || rt.is_stopping()
            })
            .unwrap_or(false)
                || irq.is_pending();
            if needed && with_rt(Interp::take_unhandled_sigint) == Some(true) {
                // As the stand-alone `lua`: `interrupted!` at the next
                // instruction, which `pcall` may catch.
                crate::ffi::interrupt_thread(&lua.current_thread());
                return Ok(VmState::Continue);
            }
            if !needed {
                // The stress mode's yields need no service where they may
                // not yield.
                return Ok(
                    if always && crate::ffi::may_preempt(&lua.current_thread()) {
                        VmState::Yield
                    } else {
                        VmState::Continue
                    },
                );
            }
            if crate::ffi::may_preempt(&lua.current_thread()) {
                return Ok(VmState::Yield);
            }
            // Lua cannot yield here, or a yield would lose Lua's count of
            // the C calls above it (inside a C call): the loop's turn
            // happens in place, and a stop unwinds Lua until it can yield.
            if let Some(Err(_)) = with_rt(Interp::serve_in_place) {
                crate::ffi::stop_thread(&lua.current_thread());
            }
            Ok(VmState::Continue)
        },
    )
}

fn setup(
    lua: &Lua,
    config: &LuaConfig,
    hooks: HookMode,
    irq: polyeval_core::InterruptHandle,
) -> mlua::Result<Rc<Shared>> {
    let globals = lua.globals();
    let helpers = lua.create_table()?;
    helpers.set("PENDING", marker(1))?;
    helpers.set("ERR", marker(2))?;
    helpers.set("Y", marker(3))?;
    helpers.set("main", lua.current_thread())?;
    let runtime: Table = lua
        .load(include_str!("runtime.lua"))
        .set_name("=polyeval")
        .call(helpers.clone())?;
    lua.set_named_registry_value(RUNTIME_KEY, runtime.clone())?;
    let shared = Rc::new(Shared {
        lua: lua.weak(),
        pending: marker(1),
        err: marker(2),
        pool: RefCell::new(Vec::new()),
        sends: std::cell::OnceCell::new(),
        objects: RefCell::new(HashMap::default()),
        hooks,
        arm: crate::ffi::ArmState::new(),
        irq,
        getinfo: lua
            .globals()
            .get::<Table>("debug")?
            .get::<Function>("getinfo")?,
        reraised: RefCell::new(Vec::new()),
        files: RefCell::new(HashMap::new()),
    });
    lua.set_app_data(Rc::downgrade(&shared));
    let proxies = lua.create_table()?;
    let weak_values = lua.create_table()?;
    weak_values.set("__mode", "v")?;
    proxies.set_metatable(Some(weak_values))?;
    let layer = crate::ffi::SendLayer {
        mt: lua.create_table()?,
        proxies,
    };
    layer.register(lua)?;
    let _ = shared.sends.set(layer);
    let init: Function = runtime.get("init")?;
    init.call::<()>(make_argmsg(lua)?)?;
    convert::register_proxy_type(lua, &shared)?;

    let corolib = crate::ffi::coroutine_library(lua, hooks == HookMode::Armed)?;
    globals.set("coroutine", corolib.clone())?;
    if let Ok(loaded) = globals
        .get::<Table>("package")
        .and_then(|p| p.get::<Table>("loaded"))
    {
        loaded.set("coroutine", corolib)?;
    }
    globals.set("print", crate::ffi::print_function(lua)?)?;
    crate::ffi::install_io(lua)?;
    if let Ok(os) = globals.get::<Table>("os") {
        os.set("exit", crate::ffi::exit_function(lua)?)?;
    }
    if config.stdlib != Stdlib::All {
        globals.raw_remove("debug")?;
        if let Ok(package) = globals.get::<Table>("package") {
            if let Ok(loaded) = package.get::<Table>("loaded") {
                loaded.raw_remove("debug")?;
            }
            // As mlua's safe mode: no C modules.
            package.raw_remove("loadlib")?;
            if let Ok(searchers) = package.get::<Table>("searchers") {
                searchers.raw_remove(4)?;
                searchers.raw_remove(3)?;
            }
        }
    }
    if config.stdlib != Stdlib::All {
        install_text_only(lua, &runtime)?;
    } else if let Ok(debug) = globals.get::<Table>("debug") {
        let table = lua.create_table()?;
        let weak_keys = lua.create_table()?;
        weak_keys.set("__mode", "k")?;
        table.set_metatable(Some(weak_keys))?;
        lua.set_named_registry_value(crate::ffi::userhooks_key(), table)?;
        let (sethook, gethook) = crate::ffi::debug_hook_functions(lua)?;
        debug.set("sethook", sethook)?;
        debug.set("gethook", gethook)?;
    }
    if config.stdlib == Stdlib::Sandbox {
        for name in [
            "io", "os", "package", "require", "dofile", "loadfile", "debug",
        ] {
            globals.raw_remove(name)?;
        }
        if let Ok(string) = globals.get::<Table>("string") {
            string.raw_remove("dump")?;
        }
    }
    Ok(shared)
}

/// Replaces `load`, `loadfile` and `dofile` with text-only C functions
/// (`ffi/loadlib.rs`) and `require`'s searchers with text-only ones
/// (`runtime.lua`'s `textonly`): binary chunks are refused with Lua's own
/// message.
fn install_text_only(lua: &Lua, runtime: &Table) -> mlua::Result<()> {
    let globals = lua.globals();
    let package = globals.get::<Option<Table>>("package")?;
    let make: Function = runtime.get("textonly")?;
    type Made = (Option<Function>, Option<Function>, Option<Function>);
    let (searcher, csearcher, croot): Made =
        make.call((globals.get::<Function>("loadfile")?, package.clone()))?;
    if let (Some(package), Some(searcher)) = (package, searcher) {
        if let Ok(searchers) = package.get::<Table>("searchers") {
            searchers.raw_set(2, searcher)?;
            if let (Some(c), Some(r)) = (csearcher, croot) {
                searchers.raw_set(3, c)?;
                searchers.raw_set(4, r)?;
            }
        }
    }
    crate::ffi::install_text_loaders(lua)
}

/// `rt.send`, with a panic in a native method turned into a script error
/// here, before it could reach mlua (which would carry it through Lua and
/// resume it on the Rust side).
pub(crate) fn guarded_send(
    rt: &mut Interp,
    method: Ident,
    cap: Capture<'_>,
) -> Result<Reply, ScriptError> {
    match polyeval_core::panics::catch(|| rt.send(method, cap)) {
        Ok(r) => r,
        Err(p) => Err(ScriptError::from_panic(&*p)),
    }
}

/// `tostring(obj)`: `Str`, or `TypeName: 0x...` for objects that do not
/// answer `Str` (Lua prints any userdata).
pub(crate) fn tostring_of(
    rt: &mut Interp,
    invocant: &Value,
    argv: &[Value],
) -> Result<Reply, ScriptError> {
    match guarded_send(rt, Ident::STR, Capture::new(invocant, argv)) {
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
pub(crate) fn explain_nested(e: &mut ScriptError, here: impl FnOnce() -> String) {
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

/// `argmsg(n, expected, fname, [arg])`: Lua's "bad argument" message for
/// the Lua function that called it, named as its caller calls it (as
/// `luaL_argerror` does), with the caller's position.
fn make_argmsg(lua: &Lua) -> mlua::Result<Function> {
    lua.create_function(
        |lua, (n, expected, fname, rest): (i64, String, String, MultiValue)| {
            let got = match rest.front() {
                None => "no value".to_owned(),
                Some(v) => {
                    let named = match v {
                        mlua::Value::Table(t) => t
                            .metatable()
                            .and_then(|m| m.raw_get::<String>("__name").ok()),
                        _ => None,
                    };
                    named.unwrap_or_else(|| match v {
                        mlua::Value::Integer(_) | mlua::Value::Number(_) => "number".to_owned(),
                        other => other.type_name().to_owned(),
                    })
                }
            };
            // Level 1 is runtime.lua's `check`, level 2 the library
            // function, level 3 its caller.
            let name = lua
                .inspect_stack(2, |d| d.names().name.map(|n| n.into_owned()))
                .flatten()
                .unwrap_or(fname);
            let at = lua
                .inspect_stack(3, |d| {
                    let src = d.source();
                    match (src.what, d.current_line()) {
                        ("C", _) | (_, None) => String::new(),
                        (_, Some(line)) => {
                            format!("{}:{line}: ", src.short_src.as_deref().unwrap_or("?"))
                        }
                    }
                })
                .unwrap_or_default();
            Ok(format!(
                "{at}bad argument #{n} to '{name}' ({expected} expected, got {got})"
            ))
        },
    )
}
