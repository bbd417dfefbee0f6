//! The m0ld REPL: one top frame whose registers persist from line to line.
//!
//! [`Repl`] is a continuation at the root of the run loop. Each of its steps
//! reads one chunk through the host's line reader, compiles it with
//! [`crate::asm::compile_continuing`] so that the registers declared so far
//! (`$interpreter` and `$scope` first) are already declared, and calls a
//! frame of it preloaded with their values. The frame writes its registers
//! back when it is freed, however it ends ([`MoldFrame::keep_registers`]):
//! falling off its end, an error, or a split of its segment.
//! A line that ends in a bare call (`$OUT."say"(1);`, `$x."elems"();`)
//! shows the call's result unless it is undef, and a line that names one
//! register (`$x`) shows its value, as Lua's REPL shows an expression's
//! values and not a statement's; an error is reported on the error stream and the session goes on
//! with the registers as the line left them.
//!
//! A chunk whose only errors lie at its end is incomplete: the reader is
//! asked for more with the second prompt, as Lua's REPL does for an
//! unfinished `mold { ... }`. The end of input ends the REPL with a
//! newline on the output.

use std::cell::RefCell;
use std::rc::Rc;

use polyeval_core::{Continuation, Cx, FrameInfo, ScriptError, Step, Value};

use crate::asm;
use crate::frame::MoldFrame;
use crate::prelude;

/// Reads one line of input after showing `prompt`; `None` at the end of
/// input. The REPL calls it inside its step, with the loop at hand.
pub use polyeval_core::LineReader;

/// The persistent registers: names (without `$`) in declaration order, and
/// their values.
#[derive(Default)]
struct Registers {
    names: Vec<String>,
    values: Vec<Value>,
}

impl Registers {
    /// Records the registers a line's frame ends with: each declared name
    /// takes the value of its last declaration; new names come last.
    fn absorb(&mut self, names: &[Option<String>], values: &[Value]) {
        for (name, v) in names.iter().zip(values) {
            let Some(name) = name.as_deref().and_then(|n| n.strip_prefix('$')) else {
                continue;
            };
            match self.names.iter().position(|n| n == name) {
                Some(i) => self.values[i] = v.clone(),
                None => {
                    self.names.push(name.to_owned());
                    self.values.push(v.clone());
                }
            }
        }
    }
}

/// The m0ld REPL's root continuation (see the module header).
pub struct Repl {
    read: LineReader,
    regs: Rc<RefCell<Registers>>,
    /// The chunk name in diagnostics and backtraces.
    file: String,
    /// The result of the line that just ended, to print.
    result: Option<Value>,
    /// The error of the line that just ended, to report.
    error: Option<ScriptError>,
    /// Whether the running line ends in a bare call, whose result is
    /// shown.
    shows_result: bool,
}

impl Repl {
    /// A REPL of `rt` reading lines with `read`; diagnostics name the
    /// input `file` (`stdin`, as Lua's REPL names it). Its first registers
    /// are `$interpreter` and `$scope`, as a program's top frame has them.
    pub fn new(rt: &mut Cx, read: LineReader, file: &str) -> Self {
        let scope = Value::Obj(prelude::state(rt).prelude.clone());
        let regs = Registers {
            names: vec!["interpreter".to_owned(), "scope".to_owned()],
            values: vec![rt.interp_value(), scope],
        };
        Repl {
            read,
            regs: Rc::new(RefCell::new(regs)),
            file: file.to_owned(),
            result: None,
            error: None,
            shows_result: false,
        }
    }

    /// A frame for `mold`, a program run before the first line (the script
    /// of `polyeval -i script.m0ld`): its registers become the REPL's.
    /// Make it current with [`polyeval_core::Interp::call_into`] while this REPL is
    /// current, or return it from a step.
    pub fn first_frame(&self, rt: &mut Cx, mold: Rc<crate::mold::Mold>) -> MoldFrame {
        let mut frame = prelude::top_frame(rt, mold);
        self.keep(&mut frame);
        frame
    }

    /// Has `frame`'s registers written back to the REPL's when it is freed.
    fn keep(&self, frame: &mut MoldFrame) {
        let regs = self.regs.clone();
        frame.keep_registers(Box::new(move |mold, values| {
            regs.borrow_mut().absorb(&mold.reg_names, values);
        }));
    }

    /// Reads the next complete chunk and compiles it; `None` at the end of
    /// input. A chunk that does not compile is reported and skipped; a
    /// chunk that is one register (`$x`) shows its value at once.
    fn next_chunk(&mut self, rt: &mut Cx) -> Option<asm::Continued> {
        let names = self.regs.borrow().names.clone();
        loop {
            let mut src = (self.read)(rt, "> ")?;
            if let Some(v) = self.register_named(&src) {
                show(rt, &v);
                continue;
            }
            loop {
                match asm::compile_continuing(&src, &self.file, &names) {
                    Ok(c) => return Some(c),
                    Err(d) if d.incomplete() => match (self.read)(rt, ">> ") {
                        Some(more) => {
                            src.push('\n');
                            src.push_str(&more);
                        }
                        None => {
                            let _ = rt.err().write_all(d.render().as_bytes());
                            return None;
                        }
                    },
                    Err(d) => {
                        let _ = rt.err().write_all(d.render().as_bytes());
                        break;
                    }
                }
            }
        }
    }

    /// The value of the register `src` names alone (`$x`, or `$x;`), when
    /// it is declared.
    fn register_named(&self, src: &str) -> Option<Value> {
        let name = src
            .trim()
            .trim_end_matches(';')
            .trim_end()
            .strip_prefix('$')?;
        let regs = self.regs.borrow();
        let i = regs.names.iter().position(|n| n == name)?;
        Some(regs.values[i].clone())
    }
}

/// Writes `v` and a newline on the output, as `$OUT."say"` would.
fn show(rt: &mut Cx, v: &Value) {
    let mut text = Vec::new();
    match prelude::out::stringify(rt, v, &mut text) {
        Ok(()) => {
            text.push(b'\n');
            let _ = rt.out().write_all(&text);
        }
        Err(e) => {
            let _ = rt.out().flush();
            let _ = rt.err().write_all(e.report().as_bytes());
        }
    }
}

impl Continuation for Repl {
    fn interpreter(&self) -> &'static str {
        "smop"
    }

    fn eval(&mut self, rt: &mut Cx) -> Step {
        if let Some(e) = self.error.take() {
            let _ = rt.out().flush();
            let _ = rt.err().write_all(e.report().as_bytes());
        }
        if let Some(v) = self.result.take() {
            if self.shows_result && !matches!(v, Value::Nil) {
                show(rt, &v);
            }
        }
        let _ = rt.out().flush();
        let Some(chunk) = self.next_chunk(rt) else {
            let _ = rt.out().write_all(b"\n");
            let _ = rt.out().flush();
            return Step::Done(Value::Nil);
        };
        self.shows_result = chunk.ends_in_call;
        let values = self.regs.borrow().values.clone();
        let mut line = MoldFrame::new(chunk.mold, &values);
        self.keep(&mut line);
        Step::Call(Box::new(line))
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
