//! polyeval-smop: SMOP for polyeval. The m0ld assembler ([`asm`]), the
//! instruction set ([`ops`]), the Mold register VM ([`frame`]) and the SMOP
//! prelude ([`prelude`]).
//!
//! A host that wires its own run loop compiles m0ld with [`asm::compile`]
//! and runs the result as the loop's root continuation, a
//! [`frame::MoldFrame`] with `$interpreter` and the prelude scope
//! preloaded ([`prelude::top_frame`]). The value of a frame is the value
//! of its last assignment. (Embedders who want every language at once use
//! `polyeval_bridge::Runtime`.)
//!
//! ```
//! use polyeval_core::{Interp, Value};
//! use polyeval_smop::{asm, prelude};
//!
//! let mut rt = Interp::new();
//! prelude::install(&mut rt);
//! let mold = asm::compile(
//!     r#"my $interpreter; my $scope;
//!        my $Array = $scope."lookup"("Array");
//!        $Array = $Array."FETCH"();
//!        my $a = $Array."new"();
//!        $a."push"(20);
//!        $a."push"(22);
//!        my $x = $a."elems"();"#,
//!     "demo.m0ld",
//! )?;
//! let frame = prelude::top_frame(rt.cx(), mold);
//! rt.start(Box::new(frame));
//! assert!(matches!(rt.run(), Ok(Value::Int(2))));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
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
