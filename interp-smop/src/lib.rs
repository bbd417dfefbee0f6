//! polyeval-smop: SMOP for polyeval. The m0ld assembler ([`asm`]), the
//! instruction set ([`ops`]), the Mold register VM ([`frame`]) and the SMOP
//! prelude ([`prelude`]).
#![forbid(unsafe_code)]

pub mod asm;
pub mod frame;
pub mod mold;
pub mod natives;
pub mod ops;
pub mod prelude;
pub mod repl;
