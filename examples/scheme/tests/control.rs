//! Proper tail calls, recursion bounded by the heap, and `call/cc`.

mod common;
use std::cell::Cell;
use std::rc::Rc;

use common::{interp, output, run_on};
use polyeval_core::Value;

/// Runs `src` with a probe every 50 steps whose handler records the
/// deepest backtrace seen: how many frames the program held at most.
fn max_depth(src: &str) -> (Value, usize) {
    let (mut rt, _) = interp();
    let deepest = Rc::new(Cell::new(0usize));
    let d = deepest.clone();
    rt.on_interrupt_fn("probe", move |rt, _| {
        let bt = rt.backtrace();
        d.set(d.get().max(bt.frames.len() + bt.elided));
        Ok(Value::Nil)
    });
    rt.schedule_probes(Some(50), &[]);
    let v = run_on(&mut rt, src).expect("runs");
    (v, deepest.get())
}

#[test]
fn tail_calls_run_in_constant_space() {
    let (v, depth) =
        max_depth("(define (loop n) (if (= n 0) 'done (loop (- n 1)))) (loop 1000000)");
    assert_eq!(
        polyeval_scheme::values::symbol_name(&v).map(|s| s.name()),
        Some("done")
    );
    assert!(depth > 0 && depth < 10, "a tail loop held {depth} frames");
    // Tail positions of cond, and, when, named let and apply count too.
    let src = r#"
        (define (count n acc)
          (cond ((= n 0) acc)
                (else (and #t (apply count (list (- n 1) (+ acc 1)))))))
        (let lp ((i 0)) (when (< i 100000) (lp (+ i 1))))
        (count 100000 0)"#;
    let (v, depth) = max_depth(src);
    assert!(matches!(v, Value::Int(100_000)));
    assert!(depth < 10, "tail calls held {depth} frames");
}

#[test]
fn non_tail_recursion_is_not_constant() {
    let (v, depth) = max_depth("(define (f n) (if (= n 0) 0 (+ 1 (f (- n 1))))) (f 20000)");
    assert!(matches!(v, Value::Int(20000)));
    assert!(depth > 10_000, "depth {depth}");
}

/// Runs `f` on a thread with a 256 KiB stack.
fn small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("the thread ran to the end");
}

#[test]
fn deep_recursion_on_a_small_stack() {
    small_stack(|| {
        let out = output("(define (f n) (if (= n 0) 0 (+ 1 (f (- n 1))))) (display (f 100000))");
        assert_eq!(out, "100000");
    });
}

#[test]
fn deep_structures_drop_on_a_small_stack() {
    small_stack(|| {
        let src = r#"
            (define (build n acc) (if (= n 0) acc (build (- n 1) (cons n acc))))
            (define big (build 1000000 '()))
            (define nested (let loop ((n 100000) (acc '())) (if (= n 0) acc (loop (- n 1) (list acc)))))
            (define k #f)
            (define (deep n) (if (= n 0) (call/cc (lambda (c) (set! k c) 0)) (+ 1 (deep (- n 1)))))
            (deep 100000)
            (display (length big))
            (write (length nested))"#;
        let out = output(src);
        assert_eq!(out, "10000001");
    });
}

#[test]
fn deep_error_unwinds_on_a_small_stack() {
    small_stack(|| {
        let report =
            common::failure("(define (f n) (if (= n 0) (car '()) (+ 1 (f (- n 1))))) (f 100000)");
        assert!(report.contains("car: expected a pair, got ()"), "{report}");
        assert!(report.contains("frames elided"), "{report}");
    });
}

#[test]
fn call_cc_escapes() {
    let src = r#"
        (define (first-negative l)
          (call/cc (lambda (return)
            (for-each (lambda (x) (if (negative? x) (return x))) l)
            'none)))
        (display (list (first-negative '(1 -2 3 -4)) (first-negative '(1 2))))
        (display (+ 1 (call-with-current-continuation (lambda (k) (* 10 (k 2))))))"#;
    assert_eq!(output(src), "(-2 none)3");
}

#[test]
fn call_cc_reenters_at_top_level() {
    let src = r#"
        (define k #f)
        (define n 0)
        (display (+ 100 (call/cc (lambda (c) (set! k c) 0))))
        (newline)
        (set! n (+ n 1))
        (if (< n 4) (k n))
        (display "end")"#;
    assert_eq!(output(src), "100\n101\n102\n103\nend");
}

#[test]
fn reentered_frames_are_not_shared() {
    // The frame of `(list 'a _ 'b)` is resumed three times; each resume
    // must see only 'a evaluated, not the values of earlier resumes.
    let src = r#"
        (define count 0)
        (define kk #f)
        (define result (list 'a (call/cc (lambda (c) (set! kk c) 0)) 'b))
        (display result)
        (set! count (+ count 1))
        (if (< count 3) (kk count))"#;
    assert_eq!(output(src), "(a 0 b)(a 1 b)(a 2 b)");
}

#[test]
fn generator_resumed_many_times() {
    let src = r#"
        (define (make-gen lst)
          (define saved #f)
          (define return #f)
          (define (start)
            (for-each (lambda (x)
                        (call/cc (lambda (resume) (set! saved resume) (return x))))
                      lst)
            (return 'done))
          (lambda ()
            (call/cc (lambda (r)
              (set! return r)
              (if saved (saved #f) (start))))))
        (define g (make-gen '(a b c d)))
        (display (list (g) (g) (g) (g) (g) (g)))"#;
    assert_eq!(output(src), "(a b c d done done)");
}
