//! The embedding API: [`Runtime`], built with [`Builder`], is one run loop
//! with the languages a host asks for, the bridge between them, and the
//! limits it sets. It evaluates code in any language and converts results
//! to Rust types ([`FromValue`]), calls functions of any language with
//! Rust arguments ([`IntoArgs`]), shares Rust functions and objects with
//! every language ([`Runtime::register`]) and hands out the handle that
//! raises interrupts from other threads. `docs/embedding.md` shows each
//! by example. It needs none of the command line's dependencies (build
//! with `default-features = false`).

use std::io::Write;
use std::path::PathBuf;
use std::rc::Rc;

use polyeval_core::{
    CallValue, Capture, ContObject, Cx, HostError, Interp, InterpBuilder, InterruptHandle,
    NativeFn, RunError, ScriptError, Value,
};
use polyeval_lua::{LuaConfig, LuaRuntime, Stdlib};

use crate::fsaccess::FileAccess;

/// Installs a language into a loop (registers it): what
/// [`Builder::language`] takes, e.g. `polyeval_scheme::install`.
pub type Installer = Box<dyn FnOnce(&mut Interp)>;

/// Configures a [`Runtime`]. [`Builder::new`] has m0ld and Lua (safe
/// standard libraries), no step budget and the process's stdout.
pub struct Builder {
    m0ld: bool,
    lua: Option<LuaConfig>,
    installers: Vec<Installer>,
    allow_read: Vec<PathBuf>,
    /// The process's memory limit, in bytes.
    memory_limit: Option<usize>,
    /// The loop's own settings (budget, quantum, streams).
    interp: InterpBuilder,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    /// m0ld and Lua with default settings.
    pub fn new() -> Self {
        Builder {
            m0ld: true,
            lua: Some(LuaConfig::default()),
            installers: Vec::new(),
            allow_read: Vec::new(),
            memory_limit: None,
            interp: Interp::builder(),
        }
    }

    /// No language yet: add them with [`Builder::m0ld`], [`Builder::lua`]
    /// and [`Builder::language`].
    pub fn empty() -> Self {
        Builder {
            m0ld: false,
            lua: None,
            ..Self::new()
        }
    }

    /// Includes m0ld (SMOP).
    pub fn m0ld(mut self) -> Self {
        self.m0ld = true;
        self
    }

    /// Includes Lua, set up by `config` (standard libraries, Lua's own
    /// memory limit, preemption).
    pub fn lua(mut self, config: LuaConfig) -> Self {
        self.lua = Some(config);
        self
    }

    /// Includes another language: `install` registers it on the loop.
    pub fn language(mut self, install: impl FnOnce(&mut Interp) + 'static) -> Self {
        self.installers.push(Box::new(install));
        self
    }

    /// Stops a call with [`RunError::StepBudget`] after `n` run-loop
    /// steps (counted over the runtime's life).
    pub fn max_steps(mut self, n: u64) -> Self {
        self.interp = self.interp.max_steps(n);
        self
    }

    /// Instructions a continuation runs per step.
    pub fn quantum(mut self, n: u32) -> Self {
        self.interp = self.interp.quantum(n);
        self
    }

    /// Lua's sandbox (no `io`, `os`, `package`, file loaders or `debug`),
    /// and no file reads from any language unless [`Builder::allow_read`]
    /// names a folder.
    pub fn sandbox(mut self) -> Self {
        self.lua_config().stdlib = Stdlib::Sandbox;
        self
    }

    /// Limits Lua's heap to `bytes` (a Lua memory error past it).
    pub fn lua_memory_limit(mut self, bytes: usize) -> Self {
        self.lua_config().memory_limit = Some(bytes);
        self
    }

    /// Limits the heap of the whole process, Lua's and the Rust side's
    /// together, to `bytes`: a request past it (a Lua table growing, a
    /// string built by m0ld, an Array push) is a catchable "out of memory"
    /// script error instead of an abort. The limit is process-wide, as
    /// the allocator is, so it holds for every runtime of the process; it
    /// needs the heap counted, by a counting global allocator registered
    /// with [`polyeval_core::memory::set_usage_source`] before
    /// [`Builder::build`] (`docs/embedding.md` shows one).
    pub fn memory_limit(mut self, bytes: usize) -> Self {
        self.memory_limit = Some(bytes);
        self
    }

    /// Lua's configuration, including Lua with defaults if it was not.
    fn lua_config(&mut self) -> &mut LuaConfig {
        self.lua.get_or_insert_with(LuaConfig::default)
    }

    /// Lets code load files under `dir` (and only there).
    pub fn allow_read(mut self, dir: impl Into<PathBuf>) -> Self {
        self.allow_read.push(dir.into());
        self
    }

    /// Where program output goes (the process's stdout by default).
    pub fn output(mut self, out: impl Write + 'static) -> Self {
        self.interp = self.interp.output(Box::new(out));
        self
    }

    /// Where warnings and reports go (the process's stderr by default).
    pub fn errors(mut self, err: impl Write + 'static) -> Self {
        self.interp = self.interp.errput(Box::new(err));
        self
    }

    /// Builds the runtime.
    ///
    /// # Errors
    ///
    /// A script error when a language cannot be set up (a Lua memory
    /// limit too small for its standard libraries, or a folder of
    /// [`Builder::allow_read`] that does not exist);
    /// [`HostError::NoUsageSource`] for a [`Builder::memory_limit`] in a
    /// program that does not count its heap.
    pub fn build(self) -> Result<Runtime, RunError> {
        let mut rt = self.interp.build();
        if self.m0ld {
            polyeval_smop::prelude::install(&mut rt);
        }
        let lua = match self.lua {
            Some(config) => {
                let mut access = FileAccess::default();
                for dir in &self.allow_read {
                    access
                        .allow_dir(dir)
                        .map_err(|e| RunError::Script(ScriptError::runtime(e.to_string())))?;
                }
                if self.m0ld {
                    Some(
                        crate::lua_bridge::install_with_access(&mut rt, config, access)
                            .map_err(RunError::Script)?,
                    )
                } else {
                    Some(LuaRuntime::install(&mut rt, config).map_err(RunError::Script)?)
                }
            }
            None => None,
        };
        for install in self.installers {
            install(&mut rt);
        }
        if let Some(bytes) = self.memory_limit {
            crate::memory::apply(&mut rt, Some(bytes)).map_err(|e| RunError::Host(e.into()))?;
        }
        Ok(Runtime { rt, lua })
    }
}

/// One run loop with its languages (see the module header and
/// `docs/embedding.md`).
///
/// ```
/// use polyeval_bridge::Runtime;
///
/// let mut rt = Runtime::new()?;
/// let f = rt.load("lua", "local a, b = ... return a * b", "mul.lua")?;
/// assert_eq!(rt.call::<i64>(&f, (6, 7))?, 42);
/// # Ok::<(), polyeval_core::RunError>(())
/// ```
pub struct Runtime {
    rt: Interp,
    lua: Option<Rc<LuaRuntime>>,
}

impl Runtime {
    /// m0ld and Lua with default settings ([`Builder::new`]).
    ///
    /// # Errors
    ///
    /// As [`Builder::build`].
    pub fn new() -> Result<Runtime, RunError> {
        Builder::new().build()
    }

    /// A builder, to choose languages and limits.
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// Runs `src` in `lang` and converts its result.
    ///
    /// # Errors
    ///
    /// [`HostError::NoLanguage`] for a language not in this runtime; a
    /// script error (compile errors included) the code did not catch; the
    /// step budget; [`HostError::Conversion`] when the result is not a `T`.
    pub fn eval<T: FromValue>(&mut self, lang: &str, src: &str) -> Result<T, RunError> {
        let f = self.load(lang, src, &format!("<{lang}>"))?;
        self.call(&f, ())
    }

    /// Compiles `src` in `lang` into a function value, named `name` in
    /// messages; call it with [`Runtime::call`] or hand it to any
    /// language.
    ///
    /// # Errors
    ///
    /// [`HostError::NoLanguage`], or the compile error (with positions).
    pub fn load(&mut self, lang: &str, src: &str, name: &str) -> Result<Value, RunError> {
        let l = self
            .rt
            .language(lang)
            .ok_or_else(|| RunError::Host(HostError::NoLanguage(lang.to_owned())))?;
        l.load(self.rt.cx(), src.as_bytes(), name)
            .map_err(RunError::Script)
    }

    /// Calls `f` (a function of any language, or any object that answers
    /// calls) with `args`, runs the loop until it returns, and converts the
    /// result.
    ///
    /// # Errors
    ///
    /// [`HostError::ForeignValue`] when `f` or an argument belongs to
    /// another runtime's Lua; [`HostError::StaleKey`] when `f` is a handle
    /// to a continuation that is gone; the script error `f` raised; the
    /// step budget; [`HostError::Conversion`].
    pub fn call<T: FromValue>(&mut self, f: &Value, args: impl IntoArgs) -> Result<T, RunError> {
        let args = args.into_args();
        if !self.owns(f) || !args.iter().all(|a| self.owns(a)) {
            return Err(RunError::Host(HostError::ForeignValue));
        }
        if let Some(k) = f.downcast::<ContObject>() {
            if !self.rt.cx_ref().contains(k.key) {
                return Err(RunError::Host(HostError::StaleKey));
            }
        }
        self.rt.start(Box::new(CallValue::new(f.clone(), args)));
        let v = self.rt.run()?;
        T::from_value(v).map_err(RunError::Host)
    }

    /// Makes `value` the global `name` of every language of the runtime.
    ///
    /// # Errors
    ///
    /// [`HostError::ForeignValue`] when `value` belongs to another
    /// runtime's Lua (nothing is bound then); the script error of a
    /// language that cannot bind it.
    pub fn register(&mut self, name: &str, value: Value) -> Result<(), RunError> {
        if !self.owns(&value) {
            return Err(RunError::Host(HostError::ForeignValue));
        }
        for l in self.rt.languages() {
            l.define_global(self.rt.cx(), name, value.clone())
                .map_err(RunError::Script)?;
        }
        Ok(())
    }

    /// Whether `v` may be used in this runtime: a Lua value only with the
    /// Lua state it came from (a runtime without Lua owns none).
    fn owns(&self, v: &Value) -> bool {
        LuaRuntime::owns_in(self.lua.as_deref(), v)
    }

    /// Registers a Rust function as the global `name` of every language.
    /// It gets the loop and the call's arguments; an `Err` is a script
    /// error the caller may catch.
    ///
    /// # Errors
    ///
    /// As [`Runtime::register`].
    pub fn register_fn(
        &mut self,
        name: &'static str,
        f: impl Fn(&mut Cx, Capture<'_>) -> Result<Value, ScriptError> + 'static,
    ) -> Result<(), RunError> {
        self.register(name, NativeFn::value(name, f))
    }

    /// The handle that raises interrupts into this runtime from any
    /// thread; handlers run at the next step boundary.
    pub fn interrupt_handle(&self) -> InterruptHandle {
        self.rt.interrupt_handle()
    }

    /// The run loop itself, for what this API does not cover (interrupt
    /// handlers, timers, recording).
    pub fn interp(&mut self) -> &mut Interp {
        &mut self.rt
    }
}

/// Conversion of a result to a Rust type.
pub trait FromValue: Sized {
    /// Converts `v`.
    ///
    /// # Errors
    ///
    /// [`HostError::Conversion`] naming both types.
    fn from_value(v: Value) -> Result<Self, HostError>;
}

#[cold]
fn mismatch(want: &'static str, v: &Value) -> HostError {
    HostError::Conversion {
        want,
        got: v.type_name(),
    }
}

impl FromValue for Value {
    fn from_value(v: Value) -> Result<Self, HostError> {
        Ok(v)
    }
}

impl FromValue for () {
    fn from_value(_: Value) -> Result<Self, HostError> {
        Ok(())
    }
}

impl FromValue for i64 {
    fn from_value(v: Value) -> Result<Self, HostError> {
        match v {
            Value::Int(i) => Ok(i),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Ok(f as i64),
            other => Err(mismatch("an integer", &other)),
        }
    }
}

impl FromValue for f64 {
    fn from_value(v: Value) -> Result<Self, HostError> {
        match v {
            Value::Float(f) => Ok(f),
            Value::Int(i) => Ok(i as f64),
            other => Err(mismatch("a number", &other)),
        }
    }
}

impl FromValue for bool {
    fn from_value(v: Value) -> Result<Self, HostError> {
        match v {
            Value::Bool(b) => Ok(b),
            other => Err(mismatch("a boolean", &other)),
        }
    }
}

impl FromValue for String {
    fn from_value(v: Value) -> Result<Self, HostError> {
        match v.as_bytes().map(|b| String::from_utf8(b.to_vec())) {
            Some(Ok(s)) => Ok(s),
            _ => Err(mismatch("a UTF-8 string", &v)),
        }
    }
}

impl FromValue for Vec<u8> {
    fn from_value(v: Value) -> Result<Self, HostError> {
        match v.as_bytes() {
            Some(b) => Ok(b.to_vec()),
            None => Err(mismatch("a string", &v)),
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: Value) -> Result<Self, HostError> {
        match v {
            Value::Nil => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
}

/// Arguments of a call: `()`, a value, a tuple of up to four, or a
/// vector of values.
pub trait IntoArgs {
    /// The arguments as run-loop values.
    fn into_args(self) -> Vec<Value>;
}

/// A Rust value as a run-loop value.
pub trait IntoValue {
    /// Converts it.
    fn into_value(self) -> Value;
}

impl IntoValue for Value {
    fn into_value(self) -> Value {
        self
    }
}

impl IntoValue for &Value {
    fn into_value(self) -> Value {
        self.clone()
    }
}

impl IntoValue for i64 {
    fn into_value(self) -> Value {
        Value::Int(self)
    }
}

impl IntoValue for i32 {
    fn into_value(self) -> Value {
        Value::Int(i64::from(self))
    }
}

impl IntoValue for f64 {
    fn into_value(self) -> Value {
        Value::Float(self)
    }
}

impl IntoValue for bool {
    fn into_value(self) -> Value {
        Value::Bool(self)
    }
}

impl IntoValue for &str {
    fn into_value(self) -> Value {
        Value::str(self)
    }
}

impl IntoValue for String {
    fn into_value(self) -> Value {
        Value::str(self)
    }
}

impl IntoArgs for () {
    fn into_args(self) -> Vec<Value> {
        Vec::new()
    }
}

impl IntoArgs for Vec<Value> {
    fn into_args(self) -> Vec<Value> {
        self
    }
}

impl<A: IntoValue> IntoArgs for (A,) {
    fn into_args(self) -> Vec<Value> {
        vec![self.0.into_value()]
    }
}

impl<A: IntoValue, B: IntoValue> IntoArgs for (A, B) {
    fn into_args(self) -> Vec<Value> {
        vec![self.0.into_value(), self.1.into_value()]
    }
}

impl<A: IntoValue, B: IntoValue, C: IntoValue> IntoArgs for (A, B, C) {
    fn into_args(self) -> Vec<Value> {
        vec![
            self.0.into_value(),
            self.1.into_value(),
            self.2.into_value(),
        ]
    }
}

impl<A: IntoValue, B: IntoValue, C: IntoValue, D: IntoValue> IntoArgs for (A, B, C, D) {
    fn into_args(self) -> Vec<Value> {
        vec![
            self.0.into_value(),
            self.1.into_value(),
            self.2.into_value(),
            self.3.into_value(),
        ]
    }
}
