//! Run-loop contract tests with native continuations: hand-off, detours,
//! interrupts from other threads, stale handles, budgets, panics, catch.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use polyeval_core::*;

/// Counts down, recording every value it is given; finishes with the sum.
struct Counter {
    left: u32,
    log: Rc<RefCell<Vec<String>>>,
    name: &'static str,
    /// Calls `callee` (a fresh Counter) when `left` reaches this value.
    call_at: Option<u32>,
    got: i64,
}

impl Continuation for Counter {
    fn interpreter(&self) -> &'static str {
        "native"
    }
    fn eval(&mut self, _rt: &mut Cx) -> Step {
        if self.left == 0 {
            return Step::Done(Value::Int(self.got + 1));
        }
        self.left -= 1;
        self.log
            .borrow_mut()
            .push(format!("{}:{}", self.name, self.left));
        if Some(self.left) == self.call_at {
            let callee = Counter {
                left: 3,
                log: self.log.clone(),
                name: "callee",
                call_at: None,
                got: 100,
            };
            return Step::Call(Box::new(callee));
        }
        Step::Continue
    }
    fn setr(&mut self, value: Value) {
        if let Value::Int(i) = value {
            self.got += i;
        }
        self.log
            .borrow_mut()
            .push(format!("{}<-{:?}", self.name, value));
    }
    fn frames(&self, out: &mut Vec<FrameInfo>) {
        out.push(FrameInfo {
            interp: "native",
            file: Rc::from(self.name),
            line: self.left,
            col: 0,
            name: None,
        });
    }
}

fn counter(left: u32, log: &Rc<RefCell<Vec<String>>>, call_at: Option<u32>) -> Box<Counter> {
    Box::new(Counter {
        left,
        log: log.clone(),
        name: "main",
        call_at,
        got: 0,
    })
}

fn quiet() -> Interp {
    let mut rt = Interp::new();
    rt.set_output(Box::new(std::io::sink()));
    rt.set_errput(Box::new(std::io::sink()));
    rt
}

#[test]
fn hand_off_returns_through_setr() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let mut rt = quiet();
    rt.start(counter(4, &log, Some(2)));
    let v = rt.run().unwrap();
    // The callee finished with 101 and the main counter received it.
    assert!(v.raw_eq(&Value::Int(102)), "{v:?}");
    let log = log.borrow().join(" ");
    assert_eq!(
        log,
        "main:3 main:2 callee:2 callee:1 callee:0 main<-101 main:1 main:0"
    );
}

#[test]
fn stale_key_is_a_script_error_not_a_panic() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let mut rt = quiet();
    let k = rt.start(counter(1, &log, None));
    rt.run().unwrap();
    assert!(!rt.cx().contains(k));
    let handle = ContObject::value(k);
    let e = rt
        .cx()
        .send(Ident::GOTO, Capture::new(&handle, &[]))
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::StaleContinuation);
    assert_eq!(
        rt.cx().setr_to(k, Value::Nil).unwrap_err().kind,
        ErrorKind::StaleContinuation
    );
    assert!(rt.cx().back(k).is_err());
}

/// A continuation that hands control to `to` once, then is done with
/// what it was given by `setr` meanwhile (the string `none` if nothing).
struct GotoOnce {
    to: Option<ContKey>,
    got: Option<Value>,
}

impl Continuation for GotoOnce {
    fn interpreter(&self) -> &'static str {
        "native"
    }
    fn eval(&mut self, _rt: &mut Cx) -> Step {
        match self.to.take() {
            Some(k) => Step::Goto(k),
            None => Step::Done(self.got.take().unwrap_or(Value::str("none"))),
        }
    }
    fn setr(&mut self, value: Value) {
        self.got = Some(value);
    }
    fn frames(&self, _out: &mut Vec<FrameInfo>) {}
}

/// Answers its `back` with `v` by `setr` and a `Goto` step, not `Done`.
struct SetrGoto(Value);

impl Continuation for SetrGoto {
    fn interpreter(&self) -> &'static str {
        "native"
    }
    fn eval(&mut self, rt: &mut Cx) -> Step {
        let me = rt.continuation().expect("a step runs as the current one");
        match rt.back(me) {
            Ok(Some(b)) => match rt.setr_to(b, std::mem::take(&mut self.0)) {
                Ok(()) => Step::Goto(b),
                Err(e) => Step::Fail(e),
            },
            _ => Step::Fail(ScriptError::runtime("no back")),
        }
    }
    fn setr(&mut self, _value: Value) {}
    fn frames(&self, _out: &mut Vec<FrameInfo>) {}
}

#[test]
fn a_goto_step_to_a_stale_key_fails_that_continuation() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let mut rt = quiet();
    let k = rt.start(counter(1, &log, None));
    rt.run().unwrap();
    rt.start(Box::new(GotoOnce {
        to: Some(k),
        got: None,
    }));
    let e = rt.run().unwrap_err();
    let RunError::Script(e) = e else {
        panic!("not a script error: {e:?}")
    };
    assert_eq!(e.kind, ErrorKind::StaleContinuation, "{e}");
}

#[test]
fn a_goto_step_leaves_the_sender_waiting_for_setr() {
    // The caller calls SetrGoto, which answers by `setr` and a `goto`
    // instead of `Done`; the caller resumes with the value.
    struct Caller(Option<Value>);
    impl Continuation for Caller {
        fn interpreter(&self) -> &'static str {
            "native"
        }
        fn eval(&mut self, _rt: &mut Cx) -> Step {
            match self.0.take() {
                None => {
                    self.0 = Some(Value::Nil);
                    Step::Call(Box::new(SetrGoto(Value::Int(7))))
                }
                Some(v) => Step::Done(v),
            }
        }
        fn setr(&mut self, value: Value) {
            self.0 = Some(value);
        }
        fn frames(&self, _out: &mut Vec<FrameInfo>) {}
    }
    let mut rt = quiet();
    rt.start(Box::new(Caller(None)));
    assert!(rt.run().unwrap().raw_eq(&Value::Int(7)));
}

#[test]
fn step_budget_stops_the_loop() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let mut rt = quiet();
    rt.set_max_steps(Some(3));
    rt.start(counter(100, &log, None));
    match rt.run() {
        Err(RunError::StepBudget {
            max_steps,
            backtrace,
        }) => {
            assert_eq!(max_steps, 3);
            assert_eq!(backtrace.frames.len(), 1);
        }
        other => panic!("expected a budget error, got {other:?}"),
    }
}

struct Panicker;
impl Continuation for Panicker {
    fn interpreter(&self) -> &'static str {
        "native"
    }
    fn eval(&mut self, _rt: &mut Cx) -> Step {
        panic!("boom in native code")
    }
    fn setr(&mut self, _: Value) {}
    fn frames(&self, out: &mut Vec<FrameInfo>) {
        out.push(FrameInfo {
            interp: "native",
            file: Rc::from("panicker"),
            line: 7,
            col: 1,
            name: None,
        });
    }
}

#[test]
fn a_panic_becomes_a_script_error() {
    let mut rt = quiet();
    rt.start(Box::new(Panicker));
    match rt.run() {
        Err(RunError::Script(e)) => {
            assert_eq!(e.kind, ErrorKind::Panic);
            assert!(e.message.contains("boom in native code"));
            assert_eq!(e.origin().map(|o| o.line), Some(7));
        }
        other => panic!("expected a script error, got {other:?}"),
    }
}

#[test]
fn catch_handler_result_resumes_the_failing_continuation() {
    struct Failer {
        state: u8,
        got: Rc<RefCell<Option<Value>>>,
    }
    impl Continuation for Failer {
        fn interpreter(&self) -> &'static str {
            "native"
        }
        fn eval(&mut self, _rt: &mut Cx) -> Step {
            self.state += 1;
            match self.state {
                1 => Step::Fail(ScriptError::runtime("first failure")),
                _ => Step::Done(self.got.borrow().clone().unwrap_or_default()),
            }
        }
        fn setr(&mut self, v: Value) {
            *self.got.borrow_mut() = Some(v);
        }
        fn frames(&self, _: &mut Vec<FrameInfo>) {}
    }
    let got = Rc::new(RefCell::new(None));
    let mut rt = quiet();
    let k = rt.start(Box::new(Failer {
        state: 0,
        got: got.clone(),
    }));
    let handler = NativeFn::value("handler", |rt, cap| {
        let err = cap.pos(0)?.clone();
        match rt.send(Ident::new("message"), Capture::new(&err, &[]))? {
            Reply::Value(m) => Ok(m),
            other => panic!("an error object answered {other:?}"),
        }
    });
    rt.cx().set_catch(k, Some(handler)).unwrap();
    let v = rt.run().unwrap();
    assert_eq!(v.as_bytes(), Some(&b"first failure"[..]));
}

/// Loops until told to stop by a flag the test sets after enough interrupts.
struct Spinner {
    steps: u64,
    stop_after: u64,
    received: u32,
}

impl Continuation for Spinner {
    fn interpreter(&self) -> &'static str {
        "native"
    }
    fn eval(&mut self, _rt: &mut Cx) -> Step {
        self.steps += 1;
        if self.steps >= self.stop_after {
            Step::Done(Value::Int(self.steps as i64))
        } else {
            Step::Continue
        }
    }
    fn setr(&mut self, _: Value) {
        self.received += 1;
    }
    fn frames(&self, _: &mut Vec<FrameInfo>) {}
}

#[test]
fn interrupts_from_other_threads_run_native_handlers_as_detours() {
    let mut rt = quiet();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let s2 = seen.clone();
    rt.on_interrupt(
        Ident::new("tick"),
        Some(NativeFn::value("tick-handler", move |_rt, cap| {
            s2.borrow_mut().push(cap.pos(1)?.clone());
            Ok(Value::Nil)
        })),
    );
    let handle = rt.interrupt_handle();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let h = handle.clone();
            std::thread::spawn(move || {
                for i in 0..250 {
                    h.raise("tick", SendValue::Int(t * 1000 + i)).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    rt.start(Box::new(Spinner {
        steps: 0,
        stop_after: 5000,
        received: 0,
    }));
    let v = rt.run().unwrap();
    // The spinner ran exactly its own steps and never received a value.
    assert!(v.raw_eq(&Value::Int(5000)));
    let mut got: Vec<i64> = seen
        .borrow()
        .iter()
        .map(|v| if let Value::Int(i) = v { *i } else { -1 })
        .collect();
    assert_eq!(got.len(), 1000);
    assert_eq!(rt.interrupts_delivered(), 1000);
    // Each thread's interrupts arrive in the order it raised them.
    for t in 0..4 {
        let mine: Vec<i64> = got.iter().copied().filter(|v| v / 1000 == t).collect();
        assert!(mine.windows(2).all(|w| w[0] < w[1]));
    }
    got.sort_unstable();
    got.dedup();
    assert_eq!(got.len(), 1000, "each interrupt handled exactly once");
}

/// A handler continuation: runs `n` steps, then finishes with a value that
/// must NOT reach the interrupted continuation.
struct HandlerCont {
    n: u32,
    runs: Arc<AtomicUsize>,
}
impl Continuation for HandlerCont {
    fn interpreter(&self) -> &'static str {
        "handler"
    }
    fn eval(&mut self, _rt: &mut Cx) -> Step {
        if self.n == 0 {
            self.runs.fetch_add(1, Ordering::SeqCst);
            return Step::Done(Value::Int(999));
        }
        self.n -= 1;
        Step::Continue
    }
    fn setr(&mut self, _: Value) {}
    fn frames(&self, _: &mut Vec<FrameInfo>) {}
}

#[test]
fn continuation_handlers_detour_without_setr_and_do_not_nest() {
    let mut rt = quiet();
    let runs = Arc::new(AtomicUsize::new(0));
    let r2 = runs.clone();
    let handle = rt.interrupt_handle();
    let h2 = handle.clone();
    rt.on_interrupt(
        Ident::new("user"),
        Some(NativeFn::replying("spawner", move |_rt, _cap| {
            // Raising inside a handler queues; it is delivered after this one.
            let _ = h2.raise("late", SendValue::Nil);
            Ok(Reply::Call(Box::new(HandlerCont {
                n: 3,
                runs: r2.clone(),
            })))
        })),
    );
    let late = Rc::new(RefCell::new(0usize));
    let l2 = late.clone();
    let r3 = runs.clone();
    rt.on_interrupt(
        Ident::new("late"),
        Some(NativeFn::value("late", move |_rt, _| {
            // Queued behind the three "user" interrupts, in order, and
            // never nested inside a running handler.
            assert_eq!(r3.load(Ordering::SeqCst), 3);
            *l2.borrow_mut() += 1;
            Ok(Value::Nil)
        })),
    );
    for _ in 0..3 {
        handle
            .raise("user", SendValue::Str(b"payload".to_vec()))
            .unwrap();
    }
    let spinner = Spinner {
        steps: 0,
        stop_after: 200,
        received: 0,
    };
    rt.start(Box::new(spinner));
    let v = rt.run().unwrap();
    assert!(v.raw_eq(&Value::Int(200)));
    assert_eq!(runs.load(Ordering::SeqCst), 3);
    assert_eq!(*late.borrow(), 3);
}

#[test]
fn sigint_without_handler_stops_with_status_130() {
    let mut rt = quiet();
    rt.interrupt_handle()
        .raise("SIGINT", SendValue::Nil)
        .unwrap();
    rt.start(Box::new(Spinner {
        steps: 0,
        stop_after: 10,
        received: 0,
    }));
    match rt.run() {
        Err(e @ RunError::Interrupted { .. }) => assert_eq!(e.exit_status(), 130),
        other => panic!("{other:?}"),
    }
}

/// Recurses `depth` levels through the arena, each level a continuation
/// whose back is the previous one.
struct Deep {
    depth: u32,
    state: u8,
    got: i64,
}
impl Continuation for Deep {
    fn interpreter(&self) -> &'static str {
        "native"
    }
    fn eval(&mut self, _rt: &mut Cx) -> Step {
        if self.state == 0 && self.depth > 0 {
            self.state = 1;
            return Step::Call(Box::new(Deep {
                depth: self.depth - 1,
                state: 0,
                got: 0,
            }));
        }
        Step::Done(Value::Int(self.got + 1))
    }
    fn setr(&mut self, v: Value) {
        if let Value::Int(i) = v {
            self.got = i;
        }
    }
    fn frames(&self, out: &mut Vec<FrameInfo>) {
        out.push(FrameInfo {
            interp: "native",
            file: Rc::from("deep"),
            line: self.depth,
            col: 0,
            name: None,
        });
    }
}

#[test]
fn deep_chains_do_not_grow_the_native_stack() {
    let t = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            let mut rt = quiet();
            rt.start(Box::new(Deep {
                depth: 100_000,
                state: 0,
                got: 0,
            }));
            let v = rt.run().unwrap();
            assert!(v.raw_eq(&Value::Int(100_001)));
        })
        .unwrap();
    t.join().unwrap();
}

#[test]
fn backtraces_elide_long_chains() {
    let mut rt = quiet();
    rt.set_max_steps(Some(5000));
    rt.start(Box::new(Deep {
        depth: 1_000_000,
        state: 0,
        got: 0,
    }));
    match rt.run() {
        Err(RunError::StepBudget { backtrace, .. }) => {
            assert_eq!(backtrace.frames.len(), 2 * Backtrace::KEEP);
            assert!(backtrace.elided > 4000);
            assert_eq!(backtrace.frames.last().map(|f| f.line), Some(1_000_000));
        }
        other => panic!("{other:?}"),
    }
}

/// Finishes at once with 7, counting how often it ran.
struct Ran(Rc<std::cell::Cell<u32>>);

impl Continuation for Ran {
    fn interpreter(&self) -> &'static str {
        "native"
    }
    fn eval(&mut self, _rt: &mut Cx) -> Step {
        self.0.set(self.0.get() + 1);
        Step::Done(Value::Int(7))
    }
    fn setr(&mut self, _: Value) {}
    fn frames(&self, _: &mut Vec<FrameInfo>) {}
}

/// A value-answering native function that also enters a `Ran`: it breaks
/// the hand-off contract.
fn liar(ran: &Rc<std::cell::Cell<u32>>) -> Value {
    let ran = ran.clone();
    NativeFn::value("liar", move |rt, _| {
        rt.enter(Reply::Call(Box::new(Ran(ran.clone()))))?;
        Ok(Value::Int(5))
    })
}

#[test]
fn a_method_that_moves_control_but_answers_a_value_fails_and_is_undone() {
    struct Sender(Value);
    impl Continuation for Sender {
        fn interpreter(&self) -> &'static str {
            "native"
        }
        fn eval(&mut self, rt: &mut Cx) -> Step {
            let me = rt.continuation();
            match rt.send(Ident::CALL, Capture::new(&self.0, &[])) {
                Err(e) if e.kind == ErrorKind::BrokenHandOff && rt.continuation() == me => {
                    assert!(e.message.contains("Reply::Pending"), "{}", e.message);
                    Step::Done(Value::str("undone"))
                }
                Err(e) => Step::Fail(e),
                Ok(_) => Step::Fail(ScriptError::runtime(
                    "a broken hand-off was taken as an answer",
                )),
            }
        }
        fn setr(&mut self, _: Value) {}
        fn frames(&self, _: &mut Vec<FrameInfo>) {}
    }
    let ran = Rc::new(std::cell::Cell::new(0));
    let mut rt = quiet();
    rt.start(Box::new(Sender(liar(&ran))));
    let v = rt.run().expect("the sender catches the error");
    assert_eq!(v.render(), b"undone");
    assert_eq!(ran.get(), 0, "what the liar entered must not run");
}

#[test]
fn an_interrupt_handler_that_breaks_the_hand_off_is_reported_and_the_program_resumes() {
    #[derive(Clone, Default)]
    struct Buf(Rc<RefCell<Vec<u8>>>);
    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    struct Steps(i64);
    impl Continuation for Steps {
        fn interpreter(&self) -> &'static str {
            "native"
        }
        fn eval(&mut self, _rt: &mut Cx) -> Step {
            if self.0 == 10 {
                return Step::Done(Value::Int(self.0));
            }
            self.0 += 1;
            Step::Continue
        }
        fn setr(&mut self, _: Value) {
            panic!("a handler's value reached the interrupted code");
        }
        fn frames(&self, _: &mut Vec<FrameInfo>) {}
    }
    let ran = Rc::new(std::cell::Cell::new(0));
    let err = Buf::default();
    let mut rt = quiet();
    rt.set_errput(Box::new(err.clone()));
    rt.on_interrupt(Ident::new("user"), Some(liar(&ran)));
    rt.interrupt_handle()
        .raise("user", SendValue::Nil)
        .expect("alive");
    rt.start(Box::new(Steps(0)));
    let v = rt.run().expect("the program resumes");
    assert!(matches!(v, Value::Int(10)));
    assert_eq!(ran.get(), 0);
    assert_eq!(
        rt.interrupts_delivered(),
        2,
        "the user interrupt and its warning"
    );
    let text = String::from_utf8_lossy(&err.0.borrow()).into_owned();
    assert!(text.contains("answered as if it had not"), "{text}");
}
