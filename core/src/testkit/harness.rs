//! What every check does the same way: a fresh loop configured and with
//! the subject installed ([`Session`]), programs loaded into it, root
//! calls run under a watchdog, output captured, failures reported with
//! the check's and the language's names.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::Duration;

use super::{Program, Subject};
use crate::error::{ErrorKind, FrameInfo, RunError, ScriptError};
use crate::interrupts::interrupt::DefaultAction;
use crate::objects::language::CallValue;
use crate::runloop::cont::Continuation;
use crate::runloop::host::Interp;
use crate::values::ident::Ident;
use crate::values::value::{SendValue, Value};

/// How long one root call may run before the watchdog stops it. Generous:
/// a debug build runs the deep hand-off in seconds.
const WATCHDOG: Duration = Duration::from_secs(120);

/// The interrupt kind the watchdog raises; its default action ends the run.
const WATCHDOG_KIND: &str = "conformance-watchdog";

/// The exit status the watchdog's interrupt asks for.
const WATCHDOG_STATUS: i32 = 124;

/// How a check wants its loop configured before the subject is installed.
#[derive(Clone, Copy, Default)]
pub(crate) struct Setup {
    pub quantum: Option<u32>,
    pub max_steps: Option<u64>,
    /// A `probe` at every step.
    pub probes: bool,
}

/// Program output, shared between the loop's writer and the check.
#[derive(Clone, Default)]
struct Captured(Rc<RefCell<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Fails `check` for `subject`: panics with the check's name, the
/// language and `what`.
pub(crate) fn fail(subject: &dyn Subject, check: &str, what: impl std::fmt::Display) -> ! {
    panic!(
        "conformance check `{check}` failed for {}: {what}",
        subject.language()
    )
}

/// One fresh loop with the subject installed, for one check.
pub(crate) struct Session<'s> {
    subject: &'s dyn Subject,
    check: &'static str,
    pub rt: Interp,
    out: Captured,
}

impl<'s> Session<'s> {
    /// A fresh loop set up as `setup` says, with the subject installed and
    /// registered.
    pub fn new(subject: &'s dyn Subject, check: &'static str, setup: Setup) -> Self {
        let mut rt = Interp::new();
        let out = Captured::default();
        rt.set_output(Box::new(out.clone()));
        rt.set_errput(Box::new(std::io::sink()));
        if let Some(q) = setup.quantum {
            rt.set_quantum(q);
        }
        rt.set_max_steps(setup.max_steps);
        if setup.probes {
            rt.schedule_probes(Some(1), &[]);
        }
        rt.set_default_action(
            Ident::new(WATCHDOG_KIND),
            DefaultAction::Exit(WATCHDOG_STATUS),
        );
        let mut s = Session {
            subject,
            check,
            rt,
            out,
        };
        if let Err(e) = subject.install(&mut s.rt) {
            s.fail(format_args!(
                "installing the language failed: {}",
                e.report()
            ));
        }
        if s.rt.language(subject.language()).is_none() {
            s.fail(format_args!(
                "after install, no language is registered as \"{}\"",
                subject.language()
            ));
        }
        s
    }

    /// Fails the check: panics with its name, the language and `what`.
    pub fn fail(&self, what: impl std::fmt::Display) -> ! {
        fail(self.subject, self.check, what)
    }

    /// Fails the check with `what` unless `ok`.
    pub fn ensure(&self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.fail(what());
        }
    }

    /// The subject's interpreter name (its frames' `interp`).
    pub fn interpreter(&self) -> &'static str {
        self.subject.interpreter()
    }

    /// Loads `program` and runs its chunk: answers the function it
    /// describes.
    pub fn load(&mut self, program: Program) -> Value {
        let name = self.subject.language();
        let Some(lang) = self.rt.language(name) else {
            self.fail(format_args!("no language is registered as \"{name}\""));
        };
        let ext = lang.extensions().first().copied().unwrap_or("txt");
        let file = format!("conformance-{}.{ext}", program.name());
        let src = self.subject.source(program);
        let chunk = match lang.load(self.rt.cx(), src.as_bytes(), &file) {
            Ok(c) => c,
            Err(e) => self.fail(format_args!(
                "the {} program does not load: {}",
                program.name(),
                e.report()
            )),
        };
        match self.call(&chunk, Vec::new()) {
            Ok(f @ Value::Obj(_)) => f,
            Ok(other) => self.fail(format_args!(
                "the {} program's chunk answered {other:?}, not a function",
                program.name()
            )),
            Err(e) => self.fail(format_args!(
                "running the {} program's chunk failed: {}",
                program.name(),
                e.report()
            )),
        }
    }

    /// Calls `f` with `args` from a native root continuation and runs the
    /// loop until it ends; a watchdog stops a run that hangs.
    pub fn call(&mut self, f: &Value, args: Vec<Value>) -> Result<Value, RunError> {
        self.run_root(Box::new(CallValue::new(f.clone(), args)))
    }

    /// Starts `root` as the loop's current continuation and runs the loop
    /// until it ends; a watchdog stops a run that hangs.
    pub fn run_root(&mut self, root: Box<dyn Continuation>) -> Result<Value, RunError> {
        self.rt.start(root);
        let (tx, rx) = mpsc::channel::<()>();
        let handle = self.rt.interrupt_handle();
        let dog = std::thread::spawn(move || {
            if rx.recv_timeout(WATCHDOG) == Err(mpsc::RecvTimeoutError::Timeout) {
                let _ = handle.raise(WATCHDOG_KIND, SendValue::Nil);
            }
        });
        let r = self.rt.run();
        drop(tx);
        let _ = dog.join();
        if let Err(RunError::Interrupted { kind, .. }) = &r {
            if kind.name() == WATCHDOG_KIND {
                self.fail(format_args!(
                    "a run did not end within {} s (the watchdog stopped it)",
                    WATCHDOG.as_secs()
                ));
            }
        }
        r
    }

    /// Calls `f` and fails the check unless it answers `want`.
    pub fn expect_value(&mut self, what: &str, f: &Value, args: Vec<Value>, want: &Value) {
        match self.call(f, args) {
            Ok(v) if same_value(&v, want) => {}
            Ok(v) => self.fail(format_args!("{what}: answered {v:?}, expected {want:?}")),
            Err(e) => self.fail(format_args!(
                "{what}: failed, expected {want:?}:\n{}",
                e.report()
            )),
        }
    }

    /// Calls `f` and answers the script error it fails with; fails the
    /// check if it answers a value or stops otherwise.
    pub fn expect_error(&mut self, what: &str, f: &Value, args: Vec<Value>) -> ScriptError {
        match self.call(f, args) {
            Err(RunError::Script(e)) => e,
            Ok(v) => self.fail(format_args!(
                "{what}: answered {v:?}, expected a script error"
            )),
            Err(other) => self.fail(format_args!(
                "{what}: stopped with {}, expected a script error",
                other.report()
            )),
        }
    }

    /// Calls `f` and answers the string it answers; fails the check if it
    /// answers anything else or fails.
    pub fn expect_string(&mut self, what: &str, f: &Value, args: Vec<Value>) -> String {
        match self.call(f, args) {
            Ok(Value::Str(s)) => String::from_utf8_lossy(&s).into_owned(),
            Ok(v) => self.fail(format_args!("{what}: answered {v:?}, expected a string")),
            Err(e) => self.fail(format_args!(
                "{what}: failed, expected a string:\n{}",
                e.report()
            )),
        }
    }

    /// Fails the check unless `e` is of `kind` and its message contains
    /// `needle`.
    pub fn expect_kind(&self, what: &str, e: &ScriptError, kind: ErrorKind, needle: &str) {
        self.ensure(e.kind == kind && e.message.contains(needle), || {
            format!(
                "{what}: expected a {kind:?} error whose message contains {needle:?}, got a \
                 {:?} error: {}",
                e.kind,
                e.report()
            )
        });
    }

    /// Fails the check unless `e`'s message contains `needle`.
    pub fn expect_message(&self, what: &str, e: &ScriptError, needle: &str) {
        self.ensure(e.message.contains(needle), || {
            format!(
                "{what}: expected an error whose message contains {needle:?}, got: {}",
                e.report()
            )
        });
    }

    /// The index in `e`'s backtrace of the innermost frame of the subject
    /// with a line number; fails the check when there is none.
    pub fn subject_frame(&self, what: &str, e: &ScriptError) -> usize {
        let interp = self.interpreter();
        match e
            .backtrace
            .frames
            .iter()
            .position(|f: &FrameInfo| f.interp == interp && f.line > 0)
        {
            Some(i) => i,
            None => self.fail(format_args!(
                "{what}: the backtrace has no frame of interpreter \"{interp}\" with a line \
                 number:\n{}",
                e.report()
            )),
        }
    }

    /// Takes the program output written so far.
    pub fn take_output(&mut self) -> String {
        let _ = self.rt.cx().out().flush();
        let bytes = std::mem::take(&mut *self.out.0.borrow_mut());
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// Equality of two values of the same variant (an integer is not equal to
/// a float here, as Lua's `==` would have it).
pub(crate) fn same_value(a: &Value, b: &Value) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b) && a.raw_eq(b)
}
