//! The memory limit stops a Scheme program that allocates without end,
//! with a catchable error instead of an abort. (Its own test binary: the
//! limit and the usage source are the process's.)

mod common;
use std::sync::atomic::{AtomicUsize, Ordering};

use polyeval_core::{memory, ErrorKind, RunError};

const LIMIT: usize = 10_000_000;

/// How many looks at the heap count there have been.
static LOOKS: AtomicUsize = AtomicUsize::new(0);

/// A stand-in heap count: full for one check (and its retry) after the program has run
/// a while, as a heap is when a program allocates without end, and empty
/// again after them, as the heap is once the error has unwound the
/// frames that held the data.
fn growing_usage() -> usize {
    let n = LOOKS.fetch_add(1, Ordering::Relaxed);
    if (50_000..50_002).contains(&n) {
        LIMIT * 2
    } else {
        0
    }
}

#[test]
fn the_memory_limit_stops_endless_allocation() {
    assert!(memory::set_usage_source(growing_usage));
    let (mut rt, _) = common::interp();
    memory::set_limit(Some(LIMIT)).unwrap();
    let r = common::run_on(&mut rt, "(define (grow l) (grow (cons 1 l)))\n(grow '())");
    memory::set_limit(None).unwrap();
    match r {
        Err(RunError::Script(e)) => {
            assert_eq!(e.kind, ErrorKind::OutOfMemory, "{}", e.message);
            assert!(e.message.starts_with("test.scm:1:"), "{}", e.message);
        }
        other => panic!("expected out of memory, got {other:?}"),
    }
    LOOKS.store(0, Ordering::Relaxed);
    memory::set_limit(Some(LIMIT)).unwrap();
    let (r, out) = common::run(
        "(define (grow l) (grow (cons 1 l)))\n(display (catch (lambda () (grow '())) (lambda (e) 'out-of-memory)))",
    );
    memory::set_limit(None).unwrap();
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(out, "out-of-memory");
}
