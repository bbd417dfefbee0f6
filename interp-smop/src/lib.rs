//! polyeval-smop: SMOP for polyeval. The m0ld assembler ([`asm`]), the
//! instruction set ([`ops`]), the Mold register VM ([`frame`]) and the SMOP
//! prelude ([`prelude`]).
#![forbid(unsafe_code)]

pub mod asm;
pub mod frame;
pub mod lang;
pub mod mold;
pub mod names;
/// Methods of immediates: the shared semantics in core, under the name
/// the VM has always used.
pub use polyeval_core::immediates as natives;
pub mod ops;
pub mod prelude;
pub mod repl;
