//! polyeval-core: the run loop, the continuation trait, the value and object
//! model, errors and interrupts. It knows no interpreter and no Lua.
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

pub mod builtins;
pub mod capture;
pub mod cont;
pub mod drop;
pub mod error;
pub mod host;
pub mod ident;
pub mod immediates;
pub mod interrupt;
pub mod irqconts;
pub mod language;
pub mod lend;
pub mod memory;
pub mod object;
pub mod panics;
pub mod record;
pub mod runloop;
pub mod signals;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod timer;
pub mod value;

pub use builtins::{cont_key, ContObject, ErrorObject, InterpObject};
pub use capture::{Args, Capture, OwnedCapture};
pub use cont::{ChainKey, ContKey, Continuation, Step};
pub use drop::{drop_values, is_last_ref};
pub use error::{Backtrace, ErrorKind, FrameInfo, HostError, InternalError, RunError, ScriptError};
pub use host::{Interp, InterpBuilder};
pub use ident::{Ident, LazyIdent};
pub use interrupt::{DefaultAction, Interrupt, InterruptHandle, Waker};
pub use irqconts::{NopHandler, Sleep, WithoutInterrupts};
pub use language::{CallValue, Language, LanguageObject, LineReader};
pub use memory::OutOfMemory;
pub use object::{answer_plain, same_object, NativeFn, ObjRef, Object, Reply};
pub use record::{Entry, Recorder, Segment};
pub use runloop::{
    Cx, ExitHook, ImmediateResponder, MemoryEvent, MemoryHook, DEFAULT_QUANTUM, MEMORY_CHECK_STEPS,
};
pub use timer::TimerObject;
pub use value::{format_float, Bytes, SendValue, Value};

/// `docs/bridges.md`, whose worked example runs as this crate's doctest.
#[cfg(doctest)]
#[doc = include_str!("../../docs/bridges.md")]
pub struct BridgeGuide;
