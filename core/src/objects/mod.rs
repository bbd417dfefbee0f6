//! What scripts of every language see of the loop itself: the answers of
//! immediate values (the semantics every interpreter shares),
//! `$interpreter`, continuation and error objects, and the language
//! registry with its script-visible language objects.

pub(crate) mod builtins;
pub mod immediates;
pub(crate) mod language;

pub use builtins::{cont_key, ContObject, ErrorObject, InterpObject};
pub use language::{CallValue, Language, LanguageObject, LineReader};
