//! The Scheme REPL: a root continuation that reads a chunk of forms
//! through the host's line reader (asking for more with `>> ` while a
//! list, string or comment is open), runs it as a program in the run
//! loop's global environment, and shows its value with `write` unless it
//! is `'()` (which `define`, `display` and the like return). An error is
//! reported on the error stream and the session goes on. The end of input
//! ends the REPL with a newline on the output.

use polyeval_core::{Continuation, Cx, FrameInfo, LineReader, ScriptError, Step, Value};

use crate::compile::compile_program;
use crate::cont::SchemeCont;
use crate::env::Globals;
use crate::print::written;
use crate::read::read_chunk;

/// The REPL's continuation.
pub(crate) struct Repl {
    read: LineReader,
    result: Option<Value>,
    error: Option<ScriptError>,
}

impl Repl {
    pub fn new(read: LineReader) -> Repl {
        Repl {
            read,
            result: None,
            error: None,
        }
    }

    /// Reads and compiles the next chunk; `None` at the end of input. A
    /// chunk that does not compile is reported and skipped.
    fn next_chunk(&mut self, rt: &mut Cx) -> Option<SchemeCont> {
        let file: std::rc::Rc<str> = std::rc::Rc::from("stdin");
        loop {
            let mut src = (self.read)(rt, "> ")?;
            let data = loop {
                match read_chunk(src.as_bytes(), &file) {
                    Ok(data) => break Some(data),
                    Err((e, true)) => match (self.read)(rt, ">> ") {
                        Some(more) => {
                            src.push('\n');
                            src.push_str(&more);
                        }
                        None => {
                            report(rt, &e);
                            return None;
                        }
                    },
                    Err((e, false)) => {
                        report(rt, &e);
                        break None;
                    }
                }
            };
            let Some(data) = data else { continue };
            let globals = Globals::of(rt);
            match compile_program(&data, &file, &globals) {
                Ok(forms) if !forms.is_empty() => return Some(SchemeCont::program(forms.into())),
                Ok(_) => {}
                Err(e) => report(rt, &e),
            }
        }
    }
}

fn report(rt: &mut Cx, e: &ScriptError) {
    let _ = rt.out().flush();
    let _ = rt.err().write_all(e.report().as_bytes());
}

impl Continuation for Repl {
    fn interpreter(&self) -> &'static str {
        "scheme"
    }

    fn eval(&mut self, rt: &mut Cx) -> Step {
        if let Some(e) = self.error.take() {
            report(rt, &e);
        }
        if let Some(v) = self.result.take().filter(|v| !matches!(v, Value::Nil)) {
            let mut text = written(&v);
            text.push(b'\n');
            let _ = rt.out().write_all(&text);
        }
        let _ = rt.out().flush();
        let Some(program) = self.next_chunk(rt) else {
            let _ = rt.out().write_all(b"\n");
            let _ = rt.out().flush();
            return Step::Done(Value::Nil);
        };
        Step::Call(Box::new(program))
    }

    fn setr(&mut self, value: Value) {
        self.result = Some(value);
    }

    fn throw(&mut self, err: ScriptError) -> Result<(), ScriptError> {
        self.error = Some(err);
        Ok(())
    }

    fn frames(&self, _out: &mut Vec<FrameInfo>) {}
}
