//! polyeval-core: the run loop, the continuation trait, the value and object
//! model, errors and interrupts. It knows no interpreter and no Lua.
//!
//! Four folders hold its themes, each with a face (`mod.rs`) that says
//! what it exports: [`values`] (values and objects), [`runloop`] (the loop,
//! its host face [`Interp`] and the steps' [`Cx`]), [`interrupts`], and
//! [`objects`] (what scripts see of the loop: immediates, `$interpreter`,
//! languages). [`error`] is shared by all four.
//!
//! Start at [`Interp`] (the run loop, as its host holds it), [`Cx`] (what
//! a step sees of it) and [`Continuation`]; an interpreter
//! joins through [`Language`] (the guide is `docs/bridges.md`, whose toy
//! interpreter is this crate's doctest), and checks itself with the
//! conformance kit (`testkit`, behind the feature of that name).
//!
//! ```
//! use polyeval_core::{CallValue, Interp, NativeFn, Value};
//!
//! // A native function, called by the loop's root continuation.
//! let mut rt = Interp::new();
//! let add = NativeFn::value("add", |_rt, cap| match (cap.pos(0)?, cap.pos(1)?) {
//!     (Value::Int(a), Value::Int(b)) => Ok(Value::Int(a + b)),
//!     _ => Ok(Value::Nil),
//! });
//! rt.start(Box::new(CallValue::new(add, vec![Value::Int(40), Value::Int(2)])));
//! assert!(matches!(rt.run(), Ok(Value::Int(42))));
//! ```
#![forbid(unsafe_code)]

pub mod error;
pub mod interrupts;
pub mod objects;
pub mod runloop;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod values;

// The modules hosts and interpreters reach by path.
pub use interrupts::signals;
pub use objects::immediates;
pub use runloop::{lend, panics, record};
pub use values::memory;

pub use error::{Backtrace, ErrorKind, FrameInfo, HostError, InternalError, RunError, ScriptError};
pub use interrupts::{
    DefaultAction, Interrupt, InterruptHandle, NopHandler, Sleep, TimerObject, Waker,
    WithoutInterrupts,
};
pub use objects::{
    cont_key, CallValue, ContObject, ErrorObject, InterpObject, Language, LanguageObject,
    LineReader,
};
pub use runloop::{
    ChainKey, Chains, ContKey, Continuation, Cx, Entry, ExitHook, ImmediateResponder, Interp,
    InterpBuilder, Interrupts, MemoryEvent, MemoryHook, Nested, Recorder, Segment, Segments, Step,
    DEFAULT_QUANTUM, MEMORY_CHECK_STEPS,
};
pub use values::{
    answer_plain, drop_values, format_float, is_last_ref, same_object, Args, Bytes, Capture, Ident,
    LazyIdent, NativeFn, ObjRef, Object, OutOfMemory, OwnedCapture, Reply, SendValue, Value,
};

/// `docs/bridges.md`, whose worked example runs as this crate's doctest.
#[cfg(doctest)]
#[doc = include_str!("../../docs/bridges.md")]
pub struct BridgeGuide;
