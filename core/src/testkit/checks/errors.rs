//! The checks of failures: stale handles, errors crossing with their
//! frames and kinds, and panics in native code.

use crate::error::ErrorKind;
use crate::objects::builtins::ContObject;
use crate::testkit::harness::{Session, Setup};
use crate::testkit::peers::{self, Catcher, When, PEER_FILE};
use crate::testkit::{Program, Subject};
use crate::values::ident::Ident;
use crate::values::value::Value;

/// What the subject's `Raise` is asked to raise.
const RAISED: &str = "conformance: raised by the subject";

/// The message of the failing peers' errors.
const PEER_FAILURE: &str = "conformance: a native peer failed";

/// The message of the panicking peers' panics.
const PANIC: &str = "conformance: a native peer panicked";

/// Stale handles: the subject passes a handle to a freed continuation to
/// a native peer that sends it `setr` or `goto` (from the send itself, or
/// from a continuation it hands off to). Uncaught, that fails the run
/// saying "stale continuation" (a `StaleContinuation` error when it came
/// through the loop; [`error_kinds_cross`] checks the kind of the other),
/// never a panic; the subject's `Catch` catches it; and the same loop then
/// runs `Call` as before.
pub fn stale_handles(subject: &dyn Subject) {
    let mut s = Session::new(subject, "stale_handles", Setup::default());
    let call = s.load(Program::Call);
    let catch = s.load(Program::Catch);
    let handle = stale_handle(&mut s);
    for when in [When::Later, When::Now] {
        for method in [Ident::SETR, Ident::GOTO] {
            let poke = peers::poke(method, when);
            let what = format!("Call(g, handle) where g sends \"{method}\" to it ({when:?})");
            let e = s.expect_error(&what, &call, vec![poke.clone(), handle.clone()]);
            if when == When::Later {
                s.expect_kind(
                    &what,
                    &e,
                    ErrorKind::StaleContinuation,
                    "stale continuation",
                );
            } else {
                s.expect_message(&what, &e, "stale continuation");
            }
            let what = format!("Catch(g, handle) where g sends \"{method}\" to it ({when:?})");
            let m = s.expect_string(&what, &catch, vec![poke, handle.clone()]);
            s.ensure(m.contains("stale continuation"), || {
                format!("{what}: answered {m:?}, which does not say \"stale continuation\"")
            });
            s.expect_value(
                "Call(echo, 42) on the same loop afterwards",
                &call,
                vec![peers::echo(When::Now), Value::Int(42)],
                &Value::Int(42),
            );
        }
    }
}

/// A handle to a continuation of `s`'s loop that has been freed.
fn stale_handle(s: &mut Session<'_>) -> Value {
    let k = match peers::freed_continuation(&mut s.rt) {
        Ok(k) => k,
        Err(e) => s.fail(format_args!(
            "a native continuation failed:\n{}",
            e.report()
        )),
    };
    s.ensure(!s.rt.cx_ref().contains(k), || {
        "a finished continuation is still in the arena".into()
    });
    ContObject::value(k)
}

/// Error kinds cross the subject: a native peer's `Runtime`,
/// `StaleContinuation` or `Panic` error, raised from the send itself or
/// from a continuation the peer handed off to, reaches the root through
/// the subject's `Call` as an error of the same kind.
pub fn error_kinds_cross(subject: &dyn Subject) {
    let mut s = Session::new(subject, "error_kinds_cross", Setup::default());
    let call = s.load(Program::Call);
    let handle = stale_handle(&mut s);
    for when in [When::Later, When::Now] {
        let cases = [
            (
                peers::failing(PEER_FAILURE, when),
                ErrorKind::Runtime,
                PEER_FAILURE,
            ),
            (
                peers::poke(Ident::SETR, when),
                ErrorKind::StaleContinuation,
                "stale continuation",
            ),
            (peers::panicking(PANIC, when), ErrorKind::Panic, PANIC),
        ];
        for (peer, kind, needle) in cases {
            let what = format!("Call(g, handle) where g fails with a {kind:?} error ({when:?})");
            let e = s.expect_error(&what, &call, vec![peer, handle.clone()]);
            s.expect_kind(&what, &e, kind, needle);
        }
    }
}

/// Errors cross both ways with frames. The subject's `Raise`, called from
/// a native root, fails the run with its message and a positioned frame of
/// the subject, and a native catch handler receives the same. A native
/// peer's failure (at once, or in a continuation it handed off to) called
/// by `Call` reaches the root with the subject's positioned frame in the
/// backtrace, below the peer's own; `Catch` catches it and answers its
/// message, and answers a succeeding peer's value untouched.
pub fn errors_cross_with_frames(subject: &dyn Subject) {
    let mut s = Session::new(subject, "errors_cross_with_frames", Setup::default());
    let raise = s.load(Program::Raise);
    let call = s.load(Program::Call);
    let catch = s.load(Program::Catch);

    let what = "Raise(msg) from a native root";
    let e = s.expect_error(what, &raise, vec![Value::str(RAISED)]);
    s.expect_message(what, &e, RAISED);
    s.subject_frame(what, &e);

    let what = "Raise(msg) under a native catch handler";
    let catcher = Catcher::new(raise, vec![Value::str(RAISED)]);
    let caught = catcher.caught();
    match s.run_root(Box::new(catcher)) {
        Ok(Value::Str(m)) if String::from_utf8_lossy(&m).contains(RAISED) => {}
        Ok(v) => s.fail(format_args!("{what}: answered {v:?}, not the message")),
        Err(e) => s.fail(format_args!("{what}: not caught:\n{}", e.report())),
    }
    let Some(e) = caught.borrow_mut().take() else {
        s.fail(format_args!("{what}: the handler never ran"));
    };
    s.subject_frame(what, &e);

    for when in [When::Now, When::Later] {
        let peer = peers::failing(PEER_FAILURE, when);
        let what = format!("Call(g, 1) where g fails ({when:?})");
        let e = s.expect_error(&what, &call, vec![peer.clone(), Value::Int(1)]);
        s.expect_message(&what, &e, PEER_FAILURE);
        let at = s.subject_frame(&what, &e);
        if when == When::Later {
            let peer_at = e
                .backtrace
                .frames
                .iter()
                .position(|f| &*f.file == PEER_FILE);
            s.ensure(peer_at.is_some_and(|p| p < at), || {
                format!(
                    "{what}: the peer's frame is not inside the subject's:\n{}",
                    e.report()
                )
            });
        }
        let what = format!("Catch(g, 1) where g fails ({when:?})");
        let m = s.expect_string(&what, &catch, vec![peer, Value::Int(1)]);
        s.ensure(m.contains(PEER_FAILURE), || {
            format!("{what}: answered {m:?}, which lacks {PEER_FAILURE:?}")
        });
    }
    s.expect_value(
        "Catch(echo, 7) where echo answers through the loop",
        &catch,
        vec![peers::echo(When::Later), Value::Int(7)],
        &Value::Int(7),
    );
}

/// Panics in native code: a native peer that panics (at once, or in a
/// continuation it handed off to), called by `Call`, fails the run with the
/// panic's message (a `Panic` error when it came through the loop;
/// [`error_kinds_cross`] checks the kind of the other); `Catch` catches it;
/// and the same loop then runs `Call` as before.
pub fn native_panics(subject: &dyn Subject) {
    let mut s = Session::new(subject, "native_panics", Setup::default());
    let call = s.load(Program::Call);
    let catch = s.load(Program::Catch);
    for when in [When::Later, When::Now] {
        let peer = peers::panicking(PANIC, when);
        let what = format!("Call(g, 1) where g panics ({when:?})");
        let e = s.expect_error(&what, &call, vec![peer.clone(), Value::Int(1)]);
        if when == When::Later {
            s.expect_kind(&what, &e, ErrorKind::Panic, PANIC);
        } else {
            s.expect_message(&what, &e, PANIC);
        }
        let what = format!("Catch(g, 1) where g panics ({when:?})");
        let m = s.expect_string(&what, &catch, vec![peer, Value::Int(1)]);
        s.ensure(m.contains(PANIC), || {
            format!("{what}: answered {m:?}, which lacks {PANIC:?}")
        });
        s.expect_value(
            "Call(echo, 5) on the same loop afterwards",
            &call,
            vec![peers::echo(When::Later), Value::Int(5)],
            &Value::Int(5),
        );
    }
}
