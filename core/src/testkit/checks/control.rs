//! The checks of control flow: deep hand-offs, invisible detours, the
//! first `setr`, and budgets.

use std::cell::Cell;
use std::rc::Rc;

use crate::error::RunError;
use crate::runloop::DEFAULT_QUANTUM;
use crate::testkit::harness::{fail, same_value, Session, Setup};
use crate::testkit::peers::{self, Twice};
use crate::testkit::{Program, Subject};
use crate::values::ident::Ident;
use crate::values::value::Value;

/// How many levels the deep hand-off goes down, subject and peer together.
const DEPTH: i64 = 100_000;

/// The stack the deep hand-off runs on.
const SMALL_STACK: usize = 256 * 1024;

/// The `n` of the long `Sum` runs: many steps at the default quantum.
const LONG_SUM: i64 = 20_000;

/// The `n` of the `Sum` runs with a detour at every step.
const PROBED_SUM: i64 = 2_000;

fn sum_to(n: i64) -> i64 {
    n * (n + 1) / 2
}

/// Runs `f` on a thread with a 256 KiB stack and passes its panic on.
fn on_small_stack(f: impl FnOnce() + Send) {
    std::thread::scope(|scope| {
        let joined = std::thread::Builder::new()
            .name("conformance-small-stack".into())
            .stack_size(SMALL_STACK)
            .spawn_scoped(scope, f)
            .unwrap_or_else(|e| panic!("cannot start a thread with a 256 KiB stack: {e}"))
            .join();
        if let Err(payload) = joined {
            std::panic::resume_unwind(payload);
        }
    });
}

/// Hand-off and return, 100,000 levels deep on a 256 KiB stack: the
/// subject's `Recurse` and a native peer call each other alternately,
/// each call a hand-off through the loop, so no native frame stays alive
/// per level. The answer counts the levels of each side (1 per subject
/// level, 2 per peer level), so a level skipped or repeated shows.
pub fn deep_hand_off(subject: &dyn Subject) {
    on_small_stack(|| {
        let mut s = Session::new(subject, "deep_hand_off", Setup::default());
        let f = s.load(Program::Recurse);
        let peer = peers::recurse(f.clone());
        for depth in [10, DEPTH] {
            s.expect_value(
                &format!("Recurse(peer, {depth}), {depth} levels of mutual hand-off"),
                &f,
                vec![peer.clone(), Value::Int(depth)],
                &Value::Int(depth / 2 * 3),
            );
        }
        s.ensure(s.rt.cx_ref().continuation().is_none(), || {
            "a continuation is still current after the deep run returned".into()
        });
    });
}

/// One run's observable outcome: what it answered, what it wrote, and how
/// many detours ran during it.
struct Observed {
    what: String,
    value: Value,
    output: String,
    detours: u64,
}

/// Runs `Sum(PROBED_SUM)` and `Recurse(peer, 40)` on a fresh loop with
/// `quantum`, with a counting detour at every step when `probes`.
fn observe(subject: &dyn Subject, quantum: u32, probes: bool) -> Vec<Observed> {
    let setup = Setup {
        quantum: Some(quantum),
        probes,
        ..Setup::default()
    };
    let mut s = Session::new(subject, "detours_are_invisible", setup);
    let count = Rc::new(Cell::new(0));
    if probes {
        let handler = peers::counting_handler(count.clone());
        s.rt.on_interrupt(Ident::PROBE, Some(handler));
    }
    let sum = s.load(Program::Sum);
    let rec = s.load(Program::Recurse);
    let runs = [
        (
            format!("Sum({PROBED_SUM})"),
            sum,
            vec![Value::Int(PROBED_SUM)],
        ),
        (
            "Recurse(peer, 40)".to_owned(),
            rec.clone(),
            vec![peers::recurse(rec), Value::Int(40)],
        ),
    ];
    let mut seen = Vec::new();
    for (what, f, args) in runs {
        let what = format!("{what} at quantum {quantum}");
        let before = count.get();
        s.take_output();
        let value = match s.call(&f, args) {
            Ok(v) => v,
            Err(e) => s.fail(format_args!(
                "{what}{}: failed:\n{}",
                if probes { ", probed" } else { "" },
                e.report()
            )),
        };
        let output = s.take_output();
        seen.push(Observed {
            what,
            value,
            output,
            detours: count.get() - before,
        });
    }
    seen
}

/// A detour at every step stays invisible: `Sum` and `Recurse` (through a
/// native peer) at quanta 1, 7 and the default answer and write exactly
/// what they do without probes, while a native `probe` handler, a detour
/// that finishes with a value nobody may receive, runs during each.
pub fn detours_are_invisible(subject: &dyn Subject) {
    let ensure = |ok: bool, what: &dyn Fn() -> String| {
        if !ok {
            fail(subject, "detours_are_invisible", what());
        }
    };
    for quantum in [1, 7, DEFAULT_QUANTUM] {
        let plain = observe(subject, quantum, false);
        let probed = observe(subject, quantum, true);
        let sum = &plain[0];
        let want = sum_to(PROBED_SUM);
        ensure(
            same_value(&sum.value, &Value::Int(want)) && sum.output == format!("{want}\n"),
            &|| {
                format!(
                    "{} without probes answered {:?} and wrote {:?}, expected {want} and \
                     \"{want}\\n\"",
                    sum.what, sum.value, sum.output
                )
            },
        );
        for (p, q) in plain.iter().zip(&probed) {
            ensure(
                same_value(&p.value, &q.value) && p.output == q.output,
                &|| {
                    format!(
                        "{} answered {:?} and wrote {:?} with a detour at every step, but {:?} \
                         and {:?} without",
                        q.what, q.value, q.output, p.value, p.output
                    )
                },
            );
            ensure(q.detours > 0, &|| {
                format!(
                    "{} ran with a probe at every step, yet the probe handler never ran",
                    q.what
                )
            });
        }
    }
}

/// Only the first `setr` counts: the subject's `Call` calls a native peer
/// that delivers `1` and then `2` to the subject's waiting continuation
/// (`setr` then finishing with a value; two `setr`s then `goto`), and must
/// answer `1`.
pub fn only_first_setr_counts(subject: &dyn Subject) {
    let mut s = Session::new(subject, "only_first_setr_counts", Setup::default());
    let call = s.load(Program::Call);
    for how in [Twice::SetrThenDone, Twice::SetrSetrGoto] {
        let peer = peers::deliver_twice(Value::Int(1), Value::Int(2), how);
        s.expect_value(
            &format!("Call(g, 0) where g delivers 1, then 2 ({how:?})"),
            &call,
            vec![peer, Value::Int(0)],
            &Value::Int(1),
        );
    }
}

/// Budgets: `Spin` under a budget of 10,000 steps stops with
/// [`RunError::StepBudget`] rather than hanging; `Sum(20000)` finishes
/// under a large budget, and the same run stops under a budget of 3 more
/// steps (the interpreter counts its work in steps).
pub fn budgets(subject: &dyn Subject) {
    let setup = Setup {
        max_steps: Some(10_000),
        ..Setup::default()
    };
    let mut s = Session::new(subject, "budgets", setup);
    let spin = s.load(Program::Spin);
    match s.call(&spin, Vec::new()) {
        Err(RunError::StepBudget { max_steps, .. }) => {
            s.ensure(max_steps == 10_000 && s.rt.steps() >= 10_000, || {
                format!(
                    "Spin stopped at the budget of {max_steps} steps after {} steps, expected \
                     10000 and at least 10000",
                    s.rt.steps()
                )
            });
        }
        Ok(v) => s.fail(format_args!("Spin answered {v:?}")),
        Err(e) => s.fail(format_args!(
            "Spin under a budget of 10,000 steps stopped otherwise:\n{}",
            e.report()
        )),
    }

    let setup = Setup {
        max_steps: Some(10_000_000),
        ..Setup::default()
    };
    let mut s = Session::new(subject, "budgets", setup);
    let sum = s.load(Program::Sum);
    let want = sum_to(LONG_SUM);
    s.take_output();
    s.expect_value(
        &format!("Sum({LONG_SUM}) under a budget of 10,000,000 steps"),
        &sum,
        vec![Value::Int(LONG_SUM)],
        &Value::Int(want),
    );
    let out = s.take_output();
    s.ensure(out == format!("{want}\n"), || {
        format!("Sum({LONG_SUM}) wrote {out:?}, expected \"{want}\\n\"")
    });
    let limit = s.rt.steps() + 3;
    s.rt.set_max_steps(Some(limit));
    match s.call(&sum, vec![Value::Int(LONG_SUM)]) {
        Err(RunError::StepBudget { .. }) => {}
        Ok(v) => s.fail(format_args!(
            "Sum({LONG_SUM}) answered {v:?} within 3 steps: its loop must take many steps"
        )),
        Err(e) => s.fail(format_args!(
            "Sum({LONG_SUM}) under a budget of 3 steps stopped otherwise:\n{}",
            e.report()
        )),
    }
}
