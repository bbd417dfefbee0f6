//! Budgets and detours: the step budget stops a Scheme loop, and probes
//! at every step are invisible to the program.

mod common;
use common::{interp, run_on};
use polyeval_core::{RunError, Value};

#[test]
fn the_budget_stops_a_spin_loop() {
    let (mut rt, _) = interp();
    rt.set_max_steps(Some(10_000));
    match run_on(&mut rt, "(define (spin) (spin))\n(spin)") {
        Err(RunError::StepBudget {
            max_steps,
            backtrace,
        }) => {
            assert_eq!(max_steps, 10_000);
            let f = &backtrace.frames[0];
            assert_eq!((f.interp, f.name.as_deref()), ("scheme", Some("spin")));
        }
        other => panic!("expected the step budget, got {other:?}"),
    }
}

#[test]
fn the_budget_stops_a_loop_with_a_small_quantum() {
    let (mut rt, _) = interp();
    rt.set_quantum(1);
    rt.set_max_steps(Some(500));
    let r = run_on(&mut rt, "(let loop ((i 0)) (loop (+ i 1)))");
    assert!(matches!(r, Err(RunError::StepBudget { .. })), "{r:?}");
}

#[test]
fn an_unbounded_quantum_still_ends_steps() {
    let (mut rt, _) = interp();
    rt.set_quantum(u32::MAX);
    rt.set_max_steps(Some(1000));
    let r = run_on(&mut rt, "(define (spin) (spin)) (spin)");
    assert!(matches!(r, Err(RunError::StepBudget { .. })), "{r:?}");
}

const PROGRAM: &str = r#"
    (define (fib n) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))
    (define k #f)
    (define n 0)
    (display (list 'fib (fib 15)))
    (newline)
    (display (+ 1 (call/cc (lambda (c) (set! k c) 0))))
    (set! n (+ n 1))
    (if (< n 3) (k n))
    (newline)
    (display (catch (lambda () (car '())) (lambda (e) 'caught)))
    (display (map (lambda (x) (* x x)) '(1 2 3)))
    (fib 10)"#;

fn run_program(probes: Option<u64>, quantum: u32, handler: bool) -> (String, Value, u64, u64) {
    let (mut rt, buf) = interp();
    rt.set_quantum(quantum);
    if handler {
        let setup = r#"(define probes 0)
            (send (interpreter) "on_interrupt" "probe" (lambda args (set! probes (+ probes 1))))"#;
        run_on(&mut rt, setup).expect("setup runs");
        buf.0.borrow_mut().clear();
    }
    rt.schedule_probes(probes, &[]);
    let v = run_on(&mut rt, PROGRAM).expect("runs");
    let seen = polyeval_scheme::global(rt.cx(), "probes");
    let seen = match seen {
        Some(Value::Int(n)) => n as u64,
        _ => 0,
    };
    (buf.text(), v, rt.interrupts_delivered(), seen)
}

#[test]
fn a_detour_at_every_step_is_invisible() {
    for quantum in [1, 7, 1000] {
        let (clean, v, _, _) = run_program(None, quantum, false);
        assert_eq!(clean, "(fib 610)\n123\ncaught(1 4 9)");
        assert!(matches!(v, Value::Int(55)));
        let (probed, pv, delivered, _) = run_program(Some(1), quantum, false);
        assert_eq!(probed, clean, "quantum {quantum}");
        assert!(matches!(pv, Value::Int(55)));
        assert!(delivered > 0);
        let (handled, hv, _, seen) = run_program(Some(1), quantum, true);
        assert_eq!(
            handled, clean,
            "quantum {quantum}, with a Scheme probe handler"
        );
        assert!(matches!(hv, Value::Int(55)));
        assert!(seen > 0, "the Scheme handler ran");
    }
}
