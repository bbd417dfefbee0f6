//! m0ld as a registered [`Language`] (also known as `smop`): `check` and
//! `load` run the assembler, a loaded chunk is a [`Chunk`] value that runs
//! a fresh top frame each time it is called, and the REPL hook is
//! [`crate::repl::Repl`].

use std::rc::Rc;

use polyeval_core::{
    answer_plain, Capture, Continuation, Cx, ErrorKind, Ident, Language, LineReader, Object, Reply,
    ScriptError, Value,
};

use crate::asm;
use crate::mold::Mold;
use crate::prelude;

/// The m0ld language ([`prelude::install`] registers it).
pub struct M0ldLanguage;

#[cold]
fn not_text(file: &str, e: std::str::Utf8Error) -> ScriptError {
    ScriptError::new(
        ErrorKind::Compile,
        format!("{file}: m0ld source is not valid UTF-8 ({e})"),
    )
}

/// Compiles m0ld source; the error carries the rendered diagnostics (file,
/// line and column of each).
///
/// # Errors
///
/// A compile error when `src` is not UTF-8 or does not assemble.
pub fn compile(src: &[u8], file: &str) -> Result<Rc<Mold>, ScriptError> {
    let text = std::str::from_utf8(src).map_err(|e| not_text(file, e))?;
    asm::compile(text, file)
        .map_err(|d| ScriptError::new(ErrorKind::Compile, d.render().trim_end().to_owned()))
}

impl Language for M0ldLanguage {
    fn name(&self) -> &'static str {
        "m0ld"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["smop"]
    }

    fn type_name(&self, v: &Value) -> &'static str {
        crate::prelude::type_name(v)
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["m0ld"]
    }

    fn check(&self, _rt: &mut Cx, src: &[u8], file: &str) -> Result<(), ScriptError> {
        compile(src, file).map(drop)
    }

    fn load(&self, _rt: &mut Cx, src: &[u8], file: &str) -> Result<Value, ScriptError> {
        Ok(Value::obj(Chunk(compile(src, file)?)))
    }

    fn eval(
        &self,
        rt: &mut Cx,
        src: &[u8],
        file: &str,
        _args: &[Value],
    ) -> Result<Reply, ScriptError> {
        let frame = prelude::top_frame(rt, compile(src, file)?);
        Ok(Reply::Call(Box::new(frame)))
    }

    fn define_global(&self, rt: &mut Cx, name: &str, value: Value) -> Result<(), ScriptError> {
        prelude::bind(rt, name, value);
        Ok(())
    }

    fn repl(
        &self,
        rt: &mut Cx,
        read: LineReader,
    ) -> Result<Option<Box<dyn Continuation>>, ScriptError> {
        Ok(Some(Box::new(crate::repl::Repl::new(rt, read, "stdin"))))
    }
}

/// A loaded m0ld program: calling it runs a fresh top frame of it (with
/// `$interpreter` and the prelude scope, as a program's top frame has
/// them; an m0ld chunk takes no arguments) and answers the frame's result.
pub struct Chunk(pub Rc<Mold>);

impl Object for Chunk {
    fn type_name(&self) -> &'static str {
        "Chunk"
    }

    fn send(&self, rt: &mut Cx, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
        if method == Ident::CALL {
            let frame = prelude::top_frame(rt, self.0.clone());
            Ok(Reply::Call(Box::new(frame)))
        } else {
            answer_plain("Chunk", method, cap)
        }
    }
}
