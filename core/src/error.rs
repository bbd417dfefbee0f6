//! Errors in three tiers: script errors (catchable, positioned), host misuse
//! and internal bugs; plus [`RunError`], what the run loop reports when it
//! stops abnormally. Every constructor is `#[cold]`.

use std::fmt;
use std::rc::Rc;

use crate::values::ident::Ident;
use crate::values::value::Value;

/// One frame of a backtrace: which interpreter, where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameInfo {
    /// The interpreter that owns the frame ("smop", "lua", ...).
    pub interp: &'static str,
    /// Source file (or chunk name).
    pub file: Rc<str>,
    /// 1-based line; 0 when unknown.
    pub line: u32,
    /// 1-based column; 0 when unknown or not tracked (Lua).
    pub col: u32,
    /// The function or block name, when known.
    pub name: Option<Rc<str>>,
}

impl fmt::Display for FrameInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.interp, self.file)?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
            if self.col > 0 {
                write!(f, ":{}", self.col)?;
            }
        }
        if let Some(n) = &self.name {
            write!(f, " in {n}")?;
        }
        Ok(())
    }
}

/// A backtrace, innermost frame first.
#[derive(Clone, Debug, Default)]
pub struct Backtrace {
    /// The frames, innermost first, possibly elided in the middle.
    pub frames: Vec<FrameInfo>,
    /// How many frames were left out between the kept head and tail.
    pub elided: usize,
    /// Whether the innermost frame's interpreter puts positions into its
    /// messages itself ([`crate::Continuation::messages_carry_positions`]),
    /// as the loop learned when it built the backtrace.
    pub origin_positioned: bool,
}

impl Backtrace {
    /// How many frames a backtrace keeps at each end before eliding.
    pub const KEEP: usize = 20;

    /// Writes the backtrace, one frame a line, under a `backtrace:` header.
    pub fn write_to(&self, out: &mut String) {
        use std::fmt::Write;
        if self.frames.is_empty() {
            return;
        }
        out.push_str("backtrace (innermost first):\n");
        for (i, fr) in self.frames.iter().enumerate() {
            if self.elided > 0 && i == Self::KEEP {
                let _ = writeln!(out, "  ... {} frames elided ...", self.elided);
            }
            let _ = writeln!(out, "  {fr}");
        }
    }
}

/// What kind of script error this is. Tests and handlers match on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// A method the object does not answer.
    UnknownMethod,
    /// A positional argument that was not passed.
    MissingPositional,
    /// Too many or too few arguments.
    Arity,
    /// A value of the wrong type.
    WrongType,
    /// A continuation handle whose continuation is gone.
    StaleContinuation,
    /// An error a script raised on purpose (`die`, Lua `error`).
    Raised,
    /// A compile error in code loaded at run time.
    Compile,
    /// A Rust panic inside a native method, caught.
    Panic,
    /// A request for memory past the memory limit, or one the system
    /// refused (see [`crate::values::memory`]).
    OutOfMemory,
    /// A nested run loop was asked for past [`crate::Interp::set_max_nested`]
    /// (an interpreter that could not end its step waited too deep).
    NestingLimit,
    /// Native code broke the hand-off contract: a method made another
    /// continuation current and answered something other than
    /// [`crate::Reply::Pending`] (see [`crate::Cx::send`]).
    BrokenHandOff,
    /// A stop raised as an error in running code (`interrupted!`, for a
    /// SIGINT with no handler, as the stand-alone `lua` raises it). Left
    /// uncaught, it ends the run as the interrupt, exit status 130.
    Interrupted,
    /// Any other run-time failure (division by zero, bad conversion, ...).
    Runtime,
}

/// A script error: catchable by scripts, carrying the interpreter and
/// position where it arose and a backtrace once it has unwound.
#[derive(Clone)]
pub struct ScriptError {
    /// What went wrong, in one line.
    pub message: String,
    /// The class of failure.
    pub kind: ErrorKind,
    /// The value the script threw (the message string when none).
    pub payload: Value,
    /// The backtrace, innermost first; filled by the run loop when the error
    /// leaves the continuation that raised it.
    pub backtrace: Backtrace,
}

impl ScriptError {
    /// A script error of `kind` with `message`.
    #[cold]
    #[inline(never)]
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        let message = message.into();
        ScriptError {
            payload: Value::str(&message),
            message,
            kind,
            backtrace: Backtrace::default(),
        }
    }

    /// A script-raised error carrying an arbitrary value.
    #[cold]
    #[inline(never)]
    pub fn raised(message: impl Into<String>, payload: Value) -> Self {
        ScriptError {
            message: message.into(),
            kind: ErrorKind::Raised,
            payload,
            backtrace: Backtrace::default(),
        }
    }

    /// `type_name` does not answer `method`.
    #[cold]
    #[inline(never)]
    pub fn unknown_method(type_name: &str, method: Ident) -> Self {
        Self::new(
            ErrorKind::UnknownMethod,
            format!("unknown method \"{method}\" for {type_name}"),
        )
    }

    /// Positional argument `index` is missing; `len` were passed.
    #[cold]
    #[inline(never)]
    pub fn missing_positional(index: usize, len: usize) -> Self {
        Self::new(
            ErrorKind::MissingPositional,
            format!("missing positional argument {index} (the capture has {len})"),
        )
    }

    /// `method` takes at most `max` arguments but got `got`.
    #[cold]
    #[inline(never)]
    pub fn arity(method: Ident, max: usize, got: usize) -> Self {
        Self::new(
            ErrorKind::Arity,
            format!(
                "wrong arity: \"{method}\" takes at most {max} positional arguments, got {got}"
            ),
        )
    }

    /// `what` should be a `want` but is a `got`.
    #[cold]
    #[inline(never)]
    pub fn wrong_type(what: &str, want: &str, got: &str) -> Self {
        Self::new(
            ErrorKind::WrongType,
            format!("wrong type: {what} must be {want}, got {got}"),
        )
    }

    /// A continuation handle outlived its continuation.
    #[cold]
    #[inline(never)]
    pub fn stale_continuation(what: &str) -> Self {
        Self::new(
            ErrorKind::StaleContinuation,
            format!("stale continuation: {what} refers to a continuation that has finished"),
        )
    }

    /// A caught Rust panic.
    #[cold]
    #[inline(never)]
    pub fn panic(msg: &str) -> Self {
        Self::new(ErrorKind::Panic, format!("panic in native code: {msg}"))
    }

    /// A `Panic` script error from a caught panic's payload (its message
    /// when it is a string).
    #[cold]
    #[inline(never)]
    pub fn from_panic(payload: &(dyn std::any::Any + Send)) -> Self {
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic payload".to_owned());
        Self::panic(&msg)
    }

    /// The error a stop raises in running code: `interrupted!`.
    #[cold]
    #[inline(never)]
    pub fn interrupted() -> Self {
        Self::new(ErrorKind::Interrupted, "interrupted!")
    }

    /// A method that moved control and answered as if it had not.
    #[cold]
    #[inline(never)]
    pub fn broken_hand_off(method: Ident) -> Self {
        Self::new(
            ErrorKind::BrokenHandOff,
            format!(
                "native method `{}` made another continuation current but answered as if it had not \
                 (answer Reply::Call, or Reply::Pending after Cx::enter)",
                method.name()
            ),
        )
    }

    /// A generic run-time failure.
    #[cold]
    #[inline(never)]
    pub fn runtime(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Runtime, message)
    }

    /// Where the error arose: its innermost frame.
    pub fn origin(&self) -> Option<&FrameInfo> {
        self.backtrace.frames.first()
    }

    /// The message with its origin, as `file:line:col: message`. Errors
    /// whose origin is a frame of an interpreter that puts positions into
    /// its messages itself ([`Backtrace::origin_positioned`]; Lua does, at
    /// the `level` its `error` is given) keep their message as it is.
    pub fn located_message(&self) -> String {
        match self.origin() {
            Some(_) if self.backtrace.origin_positioned => self.message.clone(),
            Some(fr) if fr.line > 0 && fr.col > 0 => {
                format!("{}:{}:{}: {}", fr.file, fr.line, fr.col, self.message)
            }
            Some(fr) if fr.line > 0 => format!("{}:{}: {}", fr.file, fr.line, self.message),
            _ => self.message.clone(),
        }
    }

    /// The full report: `error: ...` and the backtrace.
    pub fn report(&self) -> String {
        let mut out = format!("error: {}\n", self.located_message());
        self.backtrace.write_to(&mut out);
        out
    }
}

impl From<crate::memory::NoUsageSource> for HostError {
    fn from(_: crate::memory::NoUsageSource) -> Self {
        HostError::NoUsageSource
    }
}

impl fmt::Debug for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScriptError")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("origin", &self.origin())
            .finish()
    }
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.located_message())
    }
}

impl std::error::Error for ScriptError {}

/// Misuse of the library by its host program.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum HostError {
    /// `run` was called while the loop was already running.
    #[error("the run loop is already running (run() is not re-entrant)")]
    Reentrant,
    /// A continuation handle or key from the host names a continuation
    /// that is gone (it finished, or it is of another loop).
    #[error("stale or foreign continuation handle: the continuation is gone")]
    StaleKey,
    /// The run loop has no current continuation to act on.
    #[error("the run loop has no current continuation")]
    NoContinuation,
    /// The interrupt receiver is gone (its run loop was dropped).
    #[error("the run loop behind this interrupt handle is gone")]
    LoopGone,
    /// A value that belongs to another run loop's interpreter state (a
    /// Lua table of another loop's Lua, say) was passed to this one.
    #[error("a value from another run loop's interpreter state cannot be used in this one")]
    ForeignValue,
    /// A memory limit was asked for, but the program registered no heap
    /// count (see `polyeval_core::memory::set_usage_source`).
    #[error("{}", crate::memory::NoUsageSource)]
    NoUsageSource,
    /// No language of that name is registered.
    #[error("no language named '{0}' is registered")]
    NoLanguage(String),
    /// A result could not be converted to the Rust type asked for.
    #[error("expected {want}, got {got}")]
    Conversion {
        /// The Rust-side type asked for.
        want: &'static str,
        /// The value's type.
        got: &'static str,
    },
}

impl HostError {
    /// Marks the construction site cold; host errors are rare.
    #[cold]
    #[inline(never)]
    pub fn cold(self) -> Self {
        self
    }
}

/// A bug in polyeval itself: an invariant that did not hold.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("internal error (a bug in polyeval): {0}")]
pub struct InternalError(pub String);

impl InternalError {
    /// An internal error with `msg`.
    #[cold]
    #[inline(never)]
    pub fn new(msg: impl Into<String>) -> Self {
        InternalError(msg.into())
    }
}

/// Why the run loop stopped without a result.
#[derive(Debug)]
pub enum RunError {
    /// A script error no handler caught.
    Script(ScriptError),
    /// The step budget ran out.
    StepBudget {
        /// The budget that was exceeded.
        max_steps: u64,
        /// Where the program was.
        backtrace: Backtrace,
    },
    /// An interrupt whose default action ends the program (SIGINT with no
    /// handler, ...).
    Interrupted {
        /// The interrupt kind.
        kind: Ident,
        /// The process exit status the default action asks for.
        status: i32,
        /// Where the program was.
        backtrace: Backtrace,
    },
    /// The host misused the library.
    Host(HostError),
    /// A bug in polyeval.
    Internal(InternalError),
}

impl RunError {
    /// Takes `better`'s frames when this stop only knew that a
    /// continuation was running (it was met inside a step, where the
    /// running frames cannot be read) and `better` has real ones.
    pub(crate) fn adopt_backtrace(&mut self, better: &Backtrace) {
        if let RunError::StepBudget { backtrace, .. } | RunError::Interrupted { backtrace, .. } =
            self
        {
            let vague = backtrace.frames.iter().all(|f| &*f.file == "<running>");
            if vague && !better.frames.is_empty() {
                *backtrace = better.clone();
            }
        }
    }

    /// The exit status `polyeval run` uses for this error.
    pub fn exit_status(&self) -> i32 {
        match self {
            RunError::Interrupted { status, .. } => *status,
            RunError::Host(_) => 2,
            _ => 1,
        }
    }

    /// The report printed on stderr: a message and one backtrace.
    pub fn report(&self) -> String {
        match self {
            RunError::Script(e) => e.report(),
            RunError::StepBudget {
                max_steps,
                backtrace,
            } => {
                let mut out =
                    format!("error: step budget exceeded: stopped after {max_steps} steps\n");
                backtrace.write_to(&mut out);
                out
            }
            RunError::Interrupted {
                kind, backtrace, ..
            } => {
                let mut out = format!("interrupted by {kind}\n");
                backtrace.write_to(&mut out);
                out
            }
            RunError::Host(e) => format!("error: {e}\n"),
            RunError::Internal(e) => format!("error: {e}\n"),
        }
    }
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.report().trim_end())
    }
}

impl std::error::Error for RunError {}

impl From<ScriptError> for RunError {
    fn from(e: ScriptError) -> Self {
        RunError::Script(e)
    }
}
impl From<HostError> for RunError {
    fn from(e: HostError) -> Self {
        RunError::Host(e)
    }
}
impl From<InternalError> for RunError {
    fn from(e: InternalError) -> Self {
        RunError::Internal(e)
    }
}
