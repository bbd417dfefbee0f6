//! Interrupt delivery rules with native continuations: the probe schedule
//! (`schedule_probes`) and its built-in detour, handler steps kept out of
//! the program's step count, errors in handlers reported as warnings,
//! queueing while a handler runs, `WithoutInterrupts` ending with its
//! continuation (on return and on failure), timers, `Sleep`, and the
//! hand-off record.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use polyeval_core::*;

/// Runs `n` steps, then finishes with the number of steps it ran.
struct Spin {
    left: u64,
    ran: u64,
}

impl Continuation for Spin {
    fn interpreter(&self) -> &'static str {
        "native"
    }
    fn eval(&mut self, _rt: &mut Cx) -> Step {
        if self.left == 0 {
            return Step::Done(Value::Int(self.ran as i64));
        }
        self.left -= 1;
        self.ran += 1;
        Step::Continue
    }
    fn setr(&mut self, _: Value) {
        panic!("a detour must not setr the interrupted continuation");
    }
    fn frames(&self, _: &mut Vec<FrameInfo>) {}
}

/// A handler continuation of `n` steps that logs and may fail.
struct Handler {
    left: u32,
    fail: bool,
    log: Rc<RefCell<Vec<String>>>,
    tag: String,
}

impl Continuation for Handler {
    fn interpreter(&self) -> &'static str {
        "handler"
    }
    fn eval(&mut self, _rt: &mut Cx) -> Step {
        if self.left == 0 {
            self.log.borrow_mut().push(self.tag.clone());
            if self.fail {
                return Step::Fail(ScriptError::runtime(format!("{} failed", self.tag)));
            }
            return Step::Done(Value::Nil);
        }
        self.left -= 1;
        Step::Continue
    }
    fn setr(&mut self, _: Value) {}
    fn frames(&self, _: &mut Vec<FrameInfo>) {}
}

fn quiet() -> Interp {
    let mut rt = Interp::new();
    rt.set_output(Box::new(std::io::sink()));
    rt.set_errput(Box::new(std::io::sink()));
    rt
}

/// A handler value that starts a `Handler` continuation of `steps` steps
/// (a detour), logging `tag:payload`.
fn handler_value(log: &Rc<RefCell<Vec<String>>>, steps: u32, fail: bool) -> Value {
    let log = log.clone();
    NativeFn::replying("test handler", move |_rt, cap| {
        let tag = format!(
            "{}:{}",
            String::from_utf8_lossy(&cap.pos(0)?.render()),
            String::from_utf8_lossy(&cap.pos(1)?.render())
        );
        Ok(Reply::Call(Box::new(Handler {
            left: steps,
            fail,
            log: log.clone(),
            tag,
        })))
    })
}

#[test]
fn probes_every_n_steps_run_the_built_in_detour_and_leave_the_step_count_alone() {
    let mut rt = quiet();
    rt.schedule_probes(Some(10), &[]);
    rt.start(Box::new(Spin { left: 1000, ran: 0 }));
    let v = rt.run().expect("runs");
    assert!(v.raw_eq(&Value::Int(1000)));
    // One probe every 10 program steps; each built-in handler ran one
    // step that the program's count does not include.
    assert_eq!(rt.interrupts_delivered(), 100);
    assert_eq!(rt.handler_steps(), 100);
    assert_eq!(rt.steps(), 1001);
}

#[test]
fn a_probe_at_a_step_and_a_budget_that_ignores_handler_steps() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let mut rt = quiet();
    rt.on_interrupt(Ident::PROBE, Some(handler_value(&log, 50, false)));
    rt.schedule_probes(None, &[3, 7]);
    // The handler runs 51 steps each time. While it runs its steps count
    // (so a runaway handler is stopped), but they are taken back out when
    // it returns: a budget of 80 covers the program's own 21 steps plus one
    // handler at a time, not the 123 steps of both handlers.
    rt.set_max_steps(Some(80));
    rt.start(Box::new(Spin { left: 20, ran: 0 }));
    assert!(rt.run().is_ok());
    assert_eq!(*log.borrow(), ["probe:3", "probe:7"]);
    assert_eq!(rt.handler_steps(), 102);
}

#[test]
fn a_runaway_handler_is_still_stopped_by_the_budget() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let mut rt = quiet();
    rt.on_interrupt(Ident::PROBE, Some(handler_value(&log, 1_000_000, false)));
    rt.schedule_probes(None, &[2]);
    rt.set_max_steps(Some(500));
    rt.start(Box::new(Spin { left: 20, ran: 0 }));
    assert!(matches!(rt.run(), Err(RunError::StepBudget { .. })));
}

#[test]
fn interrupts_raised_during_a_handler_queue_and_arrive_once_each_in_order() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let mut rt = quiet();
    let h = rt.interrupt_handle();
    let inner = log.clone();
    // The first handler raises two more; they wait until it returns.
    let first = NativeFn::replying("first", move |rt, _| {
        h.raise("later", SendValue::Int(1)).expect("alive");
        rt.interrupts()
            .raise(Ident::new("later"), Value::Int(2), None);
        Ok(Reply::Call(Box::new(Handler {
            left: 5,
            fail: false,
            log: inner.clone(),
            tag: "first".into(),
        })))
    });
    rt.on_interrupt(Ident::new("first"), Some(first));
    rt.on_interrupt(Ident::new("later"), Some(handler_value(&log, 2, false)));
    rt.interrupt_handle()
        .raise("first", SendValue::Nil)
        .expect("alive");
    rt.start(Box::new(Spin { left: 50, ran: 0 }));
    assert!(rt.run().is_ok());
    assert_eq!(*log.borrow(), ["first", "later:2", "later:1"]);
}

#[test]
fn an_error_in_a_handler_becomes_a_warning_and_the_program_goes_on() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let mut rt = quiet();
    rt.on_interrupt(Ident::new("bad"), Some(handler_value(&log, 3, true)));
    let warnings = log.clone();
    rt.on_interrupt_fn("warning", move |_, cap| {
        warnings
            .borrow_mut()
            .push(String::from_utf8_lossy(&cap.pos(1)?.render()).into_owned());
        Ok(Value::Nil)
    });
    rt.interrupt_handle()
        .raise("bad", SendValue::Int(5))
        .expect("alive");
    rt.start(Box::new(Spin { left: 30, ran: 0 }));
    let v = rt.run().expect("the program is untouched");
    assert!(v.raw_eq(&Value::Int(30)));
    assert_eq!(log.borrow()[0], "bad:5");
    assert!(
        log.borrow()[1].starts_with("error in bad handler: bad:5 failed"),
        "{:?}",
        log.borrow()
    );
}

/// Calls `code` through `WithoutInterrupts`, then counts steps.
struct Caller {
    code: Option<Value>,
    after: u32,
    got: Option<Value>,
    log: Rc<RefCell<Vec<String>>>,
}

impl Continuation for Caller {
    fn interpreter(&self) -> &'static str {
        "native"
    }
    fn eval(&mut self, _rt: &mut Cx) -> Step {
        if let Some(code) = self.code.take() {
            return Step::Call(Box::new(WithoutInterrupts::new(code)));
        }
        if self.after == 0 {
            return Step::Done(self.got.take().unwrap_or_default());
        }
        self.after -= 1;
        Step::Continue
    }
    fn setr(&mut self, v: Value) {
        self.log.borrow_mut().push("section returned".into());
        self.got = Some(v);
    }
    fn throw(&mut self, _err: ScriptError) -> Result<(), ScriptError> {
        self.log.borrow_mut().push("section failed".into());
        Ok(())
    }
    fn frames(&self, _: &mut Vec<FrameInfo>) {}
}

#[test]
fn without_interrupts_defers_until_its_code_returns_or_fails() {
    for fail in [false, true] {
        let log = Rc::new(RefCell::new(Vec::new()));
        let mut rt = quiet();
        rt.on_interrupt(Ident::new("x"), Some(handler_value(&log, 1, false)));
        let h = rt.interrupt_handle();
        let inner = log.clone();
        // The section raises, then runs a 20-step callee (failing or not).
        let code = NativeFn::replying("section", move |_, _| {
            h.raise("x", SendValue::Int(1)).expect("alive");
            Ok(Reply::Call(Box::new(Handler {
                left: 20,
                fail,
                log: inner.clone(),
                tag: "section body".into(),
            })))
        });
        let caller = Caller {
            code: Some(code),
            after: 5,
            got: None,
            log: log.clone(),
        };
        rt.start(Box::new(caller));
        assert!(rt.run().is_ok());
        // The interrupt raised inside the section waits for its end,
        // however it ends.
        let end = if fail {
            "section failed"
        } else {
            "section returned"
        };
        assert_eq!(*log.borrow(), ["section body", end, "x:1"]);
    }
}

#[test]
fn a_timer_wakes_a_sleep_and_the_sleep_goes_on_to_its_deadline() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let mut rt = quiet();
    rt.on_interrupt(Ident::new("ring"), Some(handler_value(&log, 0, false)));
    let t = rt
        .cx()
        .interrupts()
        .start_timer(
            Duration::from_millis(20),
            None,
            Ident::new("ring"),
            SendValue::Str(b"once".to_vec()),
        )
        .expect("timer");
    assert_eq!(t.type_name(), "Timer");
    let start = Instant::now();
    rt.start(Box::new(Sleep::new(start + Duration::from_millis(120))));
    rt.run().expect("runs");
    assert!(start.elapsed() >= Duration::from_millis(120));
    assert_eq!(*log.borrow(), ["ring:once"]);
}

#[test]
fn the_record_shows_calls_handlers_and_returns() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let mut rt = quiet();
    rt.on_interrupt(Ident::new("h"), Some(handler_value(&log, 2, false)));
    rt.set_recording(true);
    rt.interrupt_handle()
        .raise("h", SendValue::Nil)
        .expect("alive");
    rt.start(Box::new(Spin { left: 4, ran: 0 }));
    rt.run().expect("runs");
    let rec = rt.take_record();
    let entries: Vec<&Entry> = rec.iter().map(|s| &s.entry).collect();
    assert_eq!(entries, [&Entry::Handler("h".into()), &Entry::Return]);
    assert_eq!(rec[0].interp, "handler");
    assert_eq!(rec[0].depth, 1);
    assert_eq!(rec[1].interp, "native");
    assert_eq!(rec[1].depth, 0);
}
