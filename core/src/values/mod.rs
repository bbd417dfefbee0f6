//! Values and objects: the [`Value`] every interpreter passes around,
//! interned [`Ident`]s, the [`Object`] trait and the captures a message
//! carries, dropping deep values without deep recursion, and the
//! process-wide memory limit.

pub(crate) mod capture;
pub(crate) mod drop;
pub(crate) mod ident;
pub mod memory;
pub(crate) mod object;
pub(crate) mod value;

pub use capture::{Args, Capture, OwnedCapture};
pub use drop::{drop_values, is_last_ref};
pub use ident::{Ident, LazyIdent};
pub use memory::OutOfMemory;
pub use object::{answer_plain, same_object, NativeFn, ObjRef, Object, Reply};
pub use value::{format_float, Bytes, SendValue, Value};
