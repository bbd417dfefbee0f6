//! Deep recursion through the run loop, in process (docs/design.md §1: "the nesting
//! depth of cross-interpreter calls is bounded by heap only, never by the
//! native stack").
//!
//! - 100,000 nested m0ld `Code` calls on a thread with a 256 KiB stack, at
//!   the default quantum and at quantum 1: the native stack does not grow
//!   with the depth.
//! - 1,000,000 nested calls complete with the right result (timed; run with
//!   `--nocapture` to see the time).
//! - On the same small stack, an error raised 100,000 frames down unwinds
//!   to a catch handler in the top frame (and, uncaught, reports an elided
//!   backtrace), and a loop holding 100,000 suspended frames is dropped.
//! - The same recursion under a step budget stops with
//!   `RunError::StepBudget` and a backtrace elided to a bounded size.

use std::time::Instant;

use polyeval_core::{Backtrace, Interp, RunError, Value, DEFAULT_QUANTUM};
use polyeval_smop::{asm, prelude};

/// `sum(n) = n + sum(n - 1)`, `sum(0) = 0`, as a Code that calls itself
/// through the lexical scope; the program's result (the register written
/// last) is `sum(depth)`.
fn sum_program(depth: u64) -> String {
    format!(
        r#"my $interpreter;
my $scope;
my $Code = $scope."lookup"("Code");
$Code = $Code."FETCH"();
my $body = mold {{
    my $interpreter;
    my $scope;
    my $capture;
    my $n = $capture."positional"(0);
    my $zero = $n."infix:=="(0);
    if $zero {{ goto base }} else {{ goto recurse }};
    base: $n = 0;
    goto end;
    recurse: noop;
    my $sum = $scope."lookup"("&sum");
    $sum = $sum."FETCH"();
    my $m = $n."infix:-"(1);
    $m = $sum."postcircumfix:( )"($m);
    my $r = $n."infix:+"($m);
    end: noop;
}};
my $sum = $Code."new"(:"outer"($scope), :"mold"($body));
my $cell = $scope."postcircumfix:{{ }}"("&sum");
$cell."STORE"($sum);
my $result = $sum."postcircumfix:( )"({depth});
"#
    )
}

fn expected_sum(depth: u64) -> i64 {
    i64::try_from(depth * (depth + 1) / 2).expect("fits in i64")
}

/// A loop ready to run `sum_program(depth)`.
fn sum_loop(depth: u64, quantum: u32, max_steps: Option<u64>) -> Interp {
    let mold = asm::compile(&sum_program(depth), "deep.m0ld").expect("compiles");
    let mut rt = Interp::new();
    rt.set_output(Box::new(std::io::sink()));
    rt.set_errput(Box::new(std::io::sink()));
    rt.set_quantum(quantum);
    rt.set_max_steps(max_steps);
    prelude::install(&mut rt);
    let frame = prelude::top_frame(rt.cx(), mold);
    rt.start(Box::new(frame));
    rt
}

/// Runs `sum_program(depth)` to completion and returns its value.
fn run_sum(depth: u64, quantum: u32) -> Result<Value, String> {
    sum_loop(depth, quantum, None).run().map_err(|e| e.report())
}

fn assert_int(v: Result<Value, String>, want: i64) {
    match v {
        Ok(Value::Int(got)) => assert_eq!(got, want),
        other => panic!("expected Int({want}), got {other:?}"),
    }
}

#[test]
fn recursion_100k_deep_on_a_256k_stack() {
    // Everything (compiling, the loop, the values) lives on the small
    // thread; a loop that nested native frames per call would overflow a
    // 256 KiB stack long before 100,000 levels and abort the process.
    let results = std::thread::Builder::new()
        .name("deep-256k".into())
        .stack_size(256 * 1024)
        .spawn(|| {
            [DEFAULT_QUANTUM, 1].map(|q| match run_sum(100_000, q) {
                Ok(Value::Int(i)) => Ok(i),
                other => Err(format!("quantum {q}: {other:?}")),
            })
        })
        .expect("spawn")
        .join()
        .expect("the small-stack thread did not panic");
    for r in results {
        assert_eq!(r, Ok(expected_sum(100_000)));
    }
}

#[test]
fn recursion_1m_deep_completes() {
    let start = Instant::now();
    let v = run_sum(1_000_000, DEFAULT_QUANTUM);
    let took = start.elapsed();
    eprintln!("sum(1_000_000), 1M nested Code calls: {took:.2?}");
    assert_int(v, 500_000_500_000);
}

#[test]
fn step_budget_in_deep_recursion_has_an_elided_backtrace() {
    // At quantum 1 a step is one instruction; a level of the descent is
    // eight, so the budget stops the recursion about 18,000 calls deep.
    let budget = 150_000;
    let mut rt = sum_loop(100_000, 1, Some(budget));
    let err = rt.run().expect_err("the budget is far too small");
    assert_eq!(err.exit_status(), 1);
    let report = err.report();
    let RunError::StepBudget {
        max_steps,
        backtrace,
    } = err
    else {
        panic!("expected StepBudget, got {report}");
    };
    assert_eq!(max_steps, budget);
    assert_eq!(rt.steps(), budget, "stopped exactly at the budget");
    let Backtrace { frames, elided, .. } = &backtrace;
    assert!(
        frames.len() <= 2 * Backtrace::KEEP,
        "{} frames",
        frames.len()
    );
    assert!(*elided > 0, "a deep chain must be elided");
    // Every eighth step went one call deeper, so the chain the backtrace
    // summarises is thousands of frames long.
    assert!(
        frames.len() + elided > 10_000,
        "{} + {elided}",
        frames.len()
    );
    // Innermost first: the Code body, ..., the top frame last.
    let first = frames.first().expect("frames");
    let last = frames.last().expect("frames");
    assert_eq!(first.interp, "smop");
    assert_eq!(first.file.as_ref(), "deep.m0ld");
    assert_ne!(first.name.as_deref(), Some("main"), "{report}");
    assert_eq!(last.name.as_deref(), Some("main"), "{report}");
    assert_eq!(last.line, 25, "the top frame's call: {report}");
    // The report stays short: one header, the kept frames and one elision
    // line.
    assert!(report.starts_with("error: step budget exceeded: stopped after 150000 steps\n"));
    assert!(
        report.contains(&format!("... {elided} frames elided ...")),
        "{report}"
    );
    assert!(
        report.lines().count() <= 2 * Backtrace::KEEP + 3,
        "{report}"
    );
    assert!(report.len() < 8 * 1024, "{} bytes", report.len());
}

/// Runs `f` on a thread with a 256 KiB stack and returns its result.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .name("deep-256k".into())
        .stack_size(256 * 1024)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("the small-stack thread did not panic")
}

#[test]
fn unwinding_and_teardown_of_100k_frames_on_a_256k_stack() {
    let (caught, uncaught, budget_stopped) = on_small_stack(|| {
        // The bottom of the recursion dies; the top frame's catch handler
        // turns the failure into the call's result. Unwinding walks 100,000
        // frames.
        let dying =
            sum_program(100_000).replace("base: $n = 0;", r#"base: $interpreter."die"("bottom");"#);
        let handled = dying.replace(
            "my $result =",
            r#"my $handler = $Code."new"(:"outer"($scope), :"mold"(mold {
    my $interpreter;
    my $scope;
    my $capture;
    my $err = $capture."positional"(0);
    my $msg = $err."message"();
    my $r = "caught: "."infix:~"($msg);
}));
my $k = $interpreter."continuation"();
$k."catch"($handler);
my $result ="#,
        );
        let run = |src: &str| {
            let mold = asm::compile(src, "deep.m0ld").expect("compiles");
            let mut rt = Interp::new();
            prelude::install(&mut rt);
            let frame = prelude::top_frame(rt.cx(), mold);
            rt.start(Box::new(frame));
            rt.run()
        };
        let caught = match run(&handled) {
            Ok(Value::Str(s)) => Ok(String::from_utf8_lossy(&s).into_owned()),
            other => Err(format!("{other:?}")),
        };
        let uncaught = match run(&dying) {
            Err(RunError::Script(e)) => Ok((
                e.message.clone(),
                e.backtrace.frames.len(),
                e.backtrace.elided,
            )),
            other => Err(format!("{other:?}")),
        };
        // A loop stopped with about 99,000 suspended frames (eight
        // instructions, one step each at quantum 1, per level of the
        // descent) is dropped here, on the small stack.
        let mut rt = sum_loop(100_000, 1, Some(790_000));
        let stopped = matches!(rt.run(), Err(RunError::StepBudget { .. }));
        drop(rt);
        (caught, uncaught, stopped)
    });
    assert_eq!(caught, Ok("caught: bottom".to_owned()));
    let (message, frames, elided) = uncaught.expect("an uncaught script error");
    assert_eq!(message, "bottom");
    assert!(frames <= 2 * Backtrace::KEEP, "{frames} frames");
    assert!(frames + elided > 100_000, "{frames} + {elided}");
    assert!(budget_stopped);
}
