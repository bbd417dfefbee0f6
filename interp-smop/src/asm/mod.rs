//! The m0ld assembler: compiles m0ld source (DESIGN.md §3) into a
//! [`Mold`]. It owns the pipeline `lexer` → `parser` → `codegen` and
//! the public entry point [`compile`]; errors come back as
//! [`Diagnostics`] (rendered by `diag`), never as a panic.
//!
//! Register layout of the result: the `my` registers in declaration order
//! (so a file that starts `my $interpreter; my $scope;` gets them in `r0`
//! and `r1`), then one scratch register if a bare call statement needs
//! somewhere to drop its result, then one register per constant. Identical
//! literals share one constant; each `mold { ... }` is its own constant,
//! holding a separately compiled [`Mold`] named `mold@LINE`.

mod codegen;
mod diag;
mod lexer;
mod parser;

#[cfg(test)]
mod scale_tests;
#[cfg(test)]
mod tests;

use std::rc::Rc;

use crate::mold::Mold;

pub use diag::{Diagnostic, Diagnostics};

/// Compiles m0ld source text into its top-level [`Mold`], named `main`.
/// `file` names the source in diagnostics and backtraces.
///
/// # Errors
///
/// [`Diagnostics`] listing the lexical, syntax and semantic errors found
/// (undeclared registers, undefined or duplicate labels, a call, a mold's
/// registers or its code past the encoding's limits, ...), in source
/// order: the first 50 in full, the rest counted. Malformed input never
/// panics.
pub fn compile(src: &str, file: &str) -> Result<Rc<Mold>, Diagnostics> {
    compile_with(src, file, codegen::Limits::ENCODING)
}

/// [`compile`] with the given limits (tests use small ones).
fn compile_with(src: &str, file: &str, limits: codegen::Limits) -> Result<Rc<Mold>, Diagnostics> {
    let mut sink = diag::Sink::new(file);
    let tokens = lexer::lex(src, &mut sink);
    let units = parser::parse(src, &tokens, &mut sink);
    let mold = codegen::generate(&units, file, limits, &mut sink);
    if sink.has_errors() {
        Err(sink.finish(src))
    } else {
        Ok(mold)
    }
}
