//! mlua's errors as run-loop errors: one conversion, [`LuaFailure::of`],
//! whose message depends on where the error arose. (Run-loop errors as
//! Lua error values, and Lua error values as messages, are in
//! `convert.rs`.)

use polyeval_core::{ErrorKind, ScriptError};

/// Where an mlua error arose, which decides the script error it becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LuaFailure {
    /// Outside any script: setting up the state, building a value for the
    /// host. `lua: ` and mlua's whole message ([`lua_error`]).
    Host,
    /// Compiling a chunk: a compile error with Lua's own message.
    Compile,
    /// A Lua operation done for a running script (a table access, a
    /// call's arguments): the message Lua raised, without mlua's framing.
    Operation,
    /// A Rust function called from Lua failed, and its error came back as
    /// a Lua error value: as [`LuaFailure::Operation`], without mlua's
    /// callback wrapping and traceback either.
    Callback,
    /// The driver could not move a value off a driver thread: mlua's
    /// message.
    Driver,
}

impl LuaFailure {
    /// The message of mlua error `e`.
    pub(crate) fn message(self, e: &mlua::Error) -> String {
        use mlua::Error::{CallbackError, MemoryError, RuntimeError, SyntaxError};
        match (self, e) {
            (LuaFailure::Host, e) => format!("lua: {e}"),
            (LuaFailure::Compile, SyntaxError { message, .. }) => message.clone(),
            (LuaFailure::Callback, CallbackError { cause, .. }) => self.message(cause),
            (LuaFailure::Operation | LuaFailure::Callback, RuntimeError(m) | MemoryError(m)) => {
                m.clone()
            }
            (_, e) => e.to_string(),
        }
    }

    /// Mlua error `e` as a run-loop error.
    #[cold]
    pub(crate) fn of(self, e: &mlua::Error) -> ScriptError {
        let kind = if self == LuaFailure::Compile {
            ErrorKind::Compile
        } else {
            ErrorKind::Runtime
        };
        ScriptError::new(kind, self.message(e))
    }
}

/// A Lua failure outside any script (setting up the state, building a
/// value) as a run-loop error: `lua: ` and mlua's message.
#[cold]
pub fn lua_error(e: &mlua::Error) -> ScriptError {
    LuaFailure::Host.of(e)
}
