//! How a Lua state is set up: which standard libraries scripts get, the
//! memory limit, and how running Lua gives the run loop its turn (the
//! count hook's quantum, the preemption mode).

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

/// How to set up the Lua state. Start from the default and change what
/// you need:
///
/// ```
/// use polyeval_lua::{LuaConfig, Stdlib};
///
/// let config = LuaConfig {
///     stdlib: Stdlib::Safe,
///     memory_limit: Some(16 << 20),
///     ..LuaConfig::default()
/// };
/// let mut rt = polyeval_core::Interp::new();
/// let lua = polyeval_lua::LuaRuntime::install(&mut rt, config)?;
/// assert_eq!(lua.config().memory_limit, Some(16 << 20));
/// # Ok::<(), polyeval_core::ScriptError>(())
/// ```
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
