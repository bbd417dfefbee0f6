//! The m0ld assembler: compiles m0ld source (docs/design.md §3) into a
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
///
/// ```
/// let err = polyeval_smop::asm::compile("my $x;\n$x = $y;", "bad.m0ld").unwrap_err();
/// assert_eq!(err.items.len(), 1);
/// let text = err.render();
/// assert!(text.contains("undeclared register $y"), "{text}");
/// assert!(text.contains("bad.m0ld:2:6"), "{text}");
///
/// let mold = polyeval_smop::asm::compile("my $x = 1;", "ok.m0ld").unwrap();
/// assert!(mold.disassemble().contains("main"));
/// ```
pub fn compile(src: &str, file: &str) -> Result<Rc<Mold>, Diagnostics> {
    compile_with(src, file, codegen::Limits::ENCODING)
}

/// A chunk compiled by [`compile_continuing`].
#[derive(Debug)]
pub struct Continued {
    /// The compiled chunk.
    pub mold: Rc<Mold>,
    /// Whether its last statement is a bare call (`$x."m"();`): the value
    /// the frame returns is that call's result, which a REPL shows.
    pub ends_in_call: bool,
}

/// [`compile`] for code that continues a frame whose registers are already
/// declared: `registers` (names without `$`) are declared first, in order,
/// as if the source began with `my $name;` for each, so they take `r0`,
/// `r1`, ... Positions in diagnostics are those of `src` alone. The m0ld
/// REPL compiles each line this way.
///
/// # Errors
///
/// [`Diagnostics`], as for [`compile`]; [`Diagnostics::incomplete`] tells
/// whether more input could complete the source.
pub fn compile_continuing(
    src: &str,
    file: &str,
    registers: &[String],
) -> Result<Continued, Diagnostics> {
    let mut ends_in_call = false;
    let mold = compile_units(src, file, codegen::Limits::ENCODING, registers, |units| {
        ends_in_call = units
            .first()
            .and_then(|u| u.stmts.last())
            .is_some_and(|s| matches!(s.kind, parser::StmtKind::Call(_)));
    })?;
    Ok(Continued { mold, ends_in_call })
}

/// [`compile`] with the given limits (tests use small ones).
fn compile_with(src: &str, file: &str, limits: codegen::Limits) -> Result<Rc<Mold>, Diagnostics> {
    compile_units(src, file, limits, &[], |_| {})
}

/// The pipeline, with predeclared registers; `parsed` sees the units.
fn compile_units(
    src: &str,
    file: &str,
    limits: codegen::Limits,
    registers: &[String],
    parsed: impl FnOnce(&[parser::Unit]),
) -> Result<Rc<Mold>, Diagnostics> {
    let mut sink = diag::Sink::new(file);
    let tokens = lexer::lex(src, &mut sink);
    let units = parser::parse(src, &tokens, &mut sink);
    parsed(&units);
    let mold = codegen::generate(&units, file, limits, registers, &mut sink);
    if sink.has_errors() {
        Err(sink.finish(src))
    } else {
        Ok(mold)
    }
}
