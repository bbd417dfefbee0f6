//! Shared helpers: run Scheme source on a fresh run loop and capture its
//! output.
#![allow(dead_code)]

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

use polyeval_core::{CallValue, Interp, RunError, Value};

/// A writer whose bytes the test can read afterwards.
#[derive(Clone, Default)]
pub struct Buf(pub Rc<RefCell<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buf {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.borrow()).into_owned()
    }
}

/// A run loop with Scheme installed and output captured.
pub fn interp() -> (Interp, Buf) {
    let mut rt = Interp::new();
    let buf = Buf::default();
    rt.set_output(Box::new(buf.clone()));
    polyeval_scheme::install(&mut rt);
    (rt, buf)
}

/// Loads `src` as `test.scm` on `rt` and runs it to the end.
pub fn run_on(rt: &mut Interp, src: &str) -> Result<Value, RunError> {
    let lang = rt.language("scheme").expect("scheme is installed");
    let program = lang.load(rt.cx(), src.as_bytes(), "test.scm")?;
    rt.start(Box::new(CallValue::new(program, Vec::new())));
    rt.run()
}

/// Runs `src` on a fresh loop: its result and its output.
pub fn run(src: &str) -> (Result<Value, RunError>, String) {
    let (mut rt, buf) = interp();
    let r = run_on(&mut rt, src);
    (r, buf.text())
}

/// The output of `src`, which must succeed.
pub fn output(src: &str) -> String {
    let (r, out) = run(src);
    if let Err(e) = r {
        panic!("program failed: {}\noutput so far: {out}", e.report());
    }
    out
}

/// The report of `src`'s failure, which must fail.
pub fn failure(src: &str) -> String {
    match run(src) {
        (Ok(v), out) => panic!("program succeeded with {v:?}; output: {out}"),
        (Err(e), _) => e.report(),
    }
}
