//! Scheme and other interpreters, simulated by native objects and native
//! continuations: calls both ways (answered at once or by a hand-off),
//! errors crossing both ways, deep alternation on a small stack, and the
//! one-shot rule for continuations that reach into another interpreter.

mod common;
use common::{interp, run_on};
use polyeval_core::{
    answer_plain, CallValue, Capture, Continuation, Cx, FrameInfo, Ident, Interp, NativeFn, Object,
    Reply, RunError, ScriptError, Step, Value,
};

/// A native continuation that is done with twice its argument.
struct Twice(i64);

impl Continuation for Twice {
    fn interpreter(&self) -> &'static str {
        "native"
    }
    fn eval(&mut self, _rt: &mut Cx) -> Step {
        Step::Done(Value::Int(self.0 * 2))
    }
    fn setr(&mut self, _value: Value) {}
    fn frames(&self, out: &mut Vec<FrameInfo>) {
        out.push(native_frame("twice"));
    }
}

/// A native continuation that fails.
struct FailLater;

impl Continuation for FailLater {
    fn interpreter(&self) -> &'static str {
        "native"
    }
    fn eval(&mut self, _rt: &mut Cx) -> Step {
        Step::Fail(ScriptError::runtime("native failure"))
    }
    fn setr(&mut self, _value: Value) {}
    fn frames(&self, out: &mut Vec<FrameInfo>) {
        out.push(native_frame("fail-later"));
    }
}

fn native_frame(name: &str) -> FrameInfo {
    FrameInfo {
        interp: "native",
        file: "<native>".into(),
        line: 7,
        col: 0,
        name: Some(name.into()),
    }
}

/// An object with methods answered at once (`twice`) and by a hand-off
/// (`later`), callable by a hand-off too.
struct Thing;

impl Object for Thing {
    fn type_name(&self) -> &'static str {
        "Thing"
    }
    fn send(&self, _rt: &mut Cx, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
        let n = match cap.positional.first() {
            Some(Value::Int(n)) => *n,
            _ => 0,
        };
        match method.name() {
            "twice" => Ok(Reply::Value(Value::Int(n * 2))),
            "later" | "postcircumfix:( )" => Ok(Reply::Call(Box::new(Twice(n)))),
            _ => answer_plain("Thing", method, cap),
        }
    }
}

/// Installs the stand-ins for another interpreter as Scheme globals.
fn setup() -> (Interp, common::Buf) {
    let (mut rt, buf) = interp();
    let add = NativeFn::value("native-add", |_, cap| match cap.positional {
        [Value::Int(a), Value::Int(b)] => Ok(Value::Int(a + b)),
        _ => Err(ScriptError::runtime("native-add wants two integers")),
    });
    polyeval_scheme::define(rt.cx(), "native-add", add);
    polyeval_scheme::define(rt.cx(), "thing", Value::obj(Thing));
    // `(call-native f arg ...)`: a native continuation calls `f` through
    // `CALL` and is done with its result, which arrives by `setr`.
    polyeval_scheme::define(rt.cx(), "call-native", Value::obj(CallNative));
    let fail = NativeFn::value("native-fail", |_, _| Err(ScriptError::runtime("boom")));
    polyeval_scheme::define(rt.cx(), "native-fail", fail);
    polyeval_scheme::define(rt.cx(), "fail-later", Value::obj(FailLaterObj));
    let show = NativeFn::value("native-show", |rt, cap| {
        match rt.send(Ident::STR, Capture::new(cap.pos(0)?, &[]))? {
            Reply::Value(v) => Ok(v),
            Reply::Pending | Reply::Call(_) | Reply::Goto(_) => {
                Err(ScriptError::runtime("unexpected hand-off"))
            }
        }
    });
    polyeval_scheme::define(rt.cx(), "native-show", show);
    (rt, buf)
}

struct CallNative;

impl Object for CallNative {
    fn type_name(&self) -> &'static str {
        "CallNative"
    }
    fn send(&self, rt: &mut Cx, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
        if method != Ident::CALL {
            return answer_plain("CallNative", method, cap);
        }
        let f = cap.pos(0)?.clone();
        let args = cap.positional[1..].to_vec();
        // Entered at once, so Scheme sees `Reply::Pending`.
        rt.enter(Reply::Call(Box::new(CallValue::new(f, args))))
    }
}

struct FailLaterObj;

impl Object for FailLaterObj {
    fn type_name(&self) -> &'static str {
        "FailLater"
    }
    fn send(&self, _rt: &mut Cx, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
        if method == Ident::CALL {
            Ok(Reply::Call(Box::new(FailLater)))
        } else {
            answer_plain("FailLater", method, cap)
        }
    }
}

fn out(src: &str) -> String {
    let (mut rt, buf) = setup();
    if let Err(e) = run_on(&mut rt, src) {
        panic!("failed: {}\noutput: {}", e.report(), buf.text());
    }
    buf.text()
}

fn script_error(src: &str) -> (ScriptError, String) {
    let (mut rt, buf) = setup();
    match run_on(&mut rt, src) {
        Err(RunError::Script(e)) => (e, buf.text()),
        other => panic!("expected a script error, got {other:?}"),
    }
}

#[test]
fn scheme_calls_foreign_objects() {
    let src = r#"
        (display (list (native-add 1 2) (thing 20) (call-native (lambda (x) (* x 3)) 5)))
        (display (list (send thing "twice" 4) (send thing 'later 5) (+ 1 (thing 1))))
        (display (native-show '(1 "two" (3))))
        (display (eq? (interpreter) (send (interpreter) "FETCH")))"#;
    assert_eq!(out(src), "(3 40 15)(8 10 3)(1 \"two\" (3))#t");
}

#[test]
fn eval_in_runs_another_language() {
    assert_eq!(
        out("(display (+ 1 (eval-in \"scheme\" \"(define z 41) (+ z 1)\")))"),
        "43"
    );
    let (e, _) = script_error("(eval-in \"cobol\" \"x\")");
    assert!(
        e.message
            .contains("no language named 'cobol' (registered: scheme)"),
        "{}",
        e.message
    );
    let (e, _) = script_error("(eval-in \"scheme\" \"(car\")");
    assert!(
        e.message.contains("<eval-in>:1:1: unbalanced"),
        "{}",
        e.message
    );
}

#[test]
fn native_code_calls_scheme() {
    let (mut rt, _) = setup();
    run_on(
        &mut rt,
        "(define (sq x) (* x x)) (define (apply-twice f x) (f (f x)))",
    )
    .unwrap();
    let sq = polyeval_scheme::global(rt.cx(), "sq").unwrap();
    rt.start(Box::new(CallValue::new(sq.clone(), vec![Value::Int(7)])));
    assert!(matches!(rt.run(), Ok(Value::Int(49))));
    // Scheme calls back into what native code handed it.
    let twice = polyeval_scheme::global(rt.cx(), "apply-twice").unwrap();
    rt.start(Box::new(CallValue::new(
        twice,
        vec![Value::obj(Thing), Value::Int(3)],
    )));
    assert!(matches!(rt.run(), Ok(Value::Int(12))));
    // Builtins answer at once; the wrong number of arguments is an error.
    let car = polyeval_scheme::global(rt.cx(), "car").unwrap();
    rt.start(Box::new(CallValue::new(car, vec![])));
    let e = rt.run().unwrap_err().report();
    assert!(
        e.contains("car: wrong number of arguments: expected 1 argument, got 0"),
        "{e}"
    );
    rt.start(Box::new(CallValue::new(sq, vec![])));
    let e = rt.run().unwrap_err().report();
    assert!(
        e.contains("test.scm:1:1: sq: wrong number of arguments"),
        "{e}"
    );
}

#[test]
fn deep_alternation_on_a_small_stack() {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            let src = "(define (down n) (if (= n 0) 0 (+ 1 (call-native down (- n 1))))) (display (down 100000))";
            assert_eq!(out(src), "100000");
            let (e, _) = script_error("(define (down n) (if (= n 0) (car 0) (+ 1 (call-native down (- n 1))))) (down 100000)");
            assert!(e.message.starts_with("test.scm:1:30: car: expected a pair, got 0"), "{}", e.message);
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn errors_cross_both_ways() {
    let src = r#"
        (define (msg thunk) (catch thunk (lambda (e) (error-object-message e))))
        (display (msg (lambda () (native-fail)))) (newline)
        (display (msg (lambda () (fail-later)))) (newline)
        (display (msg (lambda () (call-native (lambda () (car 1)))))) (newline)
        (display (catch (lambda () (call-native (lambda () (raise 'x)))) (lambda (e) e)))
        (display (catch (lambda () (call-native (lambda () (error "e" 1)))) error-object-irritants))"#;
    assert_eq!(
        out(src),
        "test.scm:3:34: boom\nnative failure\ntest.scm:5:58: car: expected a pair, got 1\nx(1)"
    );
    // Uncaught, a native failure keeps its frames and gains Scheme's.
    let (e, _) = script_error("(define (f) (fail-later))\n(display (f))");
    let frames: Vec<_> = e
        .backtrace
        .frames
        .iter()
        .map(|f| (f.interp, f.name.as_deref()))
        .collect();
    assert_eq!(frames[0], ("native", Some("fail-later")), "{frames:?}");
    assert!(frames.contains(&("scheme", Some("f"))), "{frames:?}");
    // A Scheme error inside a callee of native code keeps both sides' frames.
    let (e, _) = script_error(
        "(define (inner) (car 1))\n(define (outer) (+ 1 (call-native inner)))\n(outer)",
    );
    let frames: Vec<_> = e
        .backtrace
        .frames
        .iter()
        .map(|f| (f.interp, f.name.as_deref(), f.line))
        .collect();
    assert_eq!(frames[0], ("scheme", Some("inner"), 1), "{frames:?}");
    assert!(frames.contains(&("scheme", Some("outer"), 2)), "{frames:?}");
}

#[test]
fn a_continuation_into_another_interpreter_resumes_once() {
    let src = r#"
        (define saved #f)
        (define (callee) (let ((v (call/cc (lambda (k) (set! saved k) 1)))) (display v) (+ v 1)))
        (display (call-native callee))
        (newline)
        (saved 10)
        (display "not reached")"#;
    let (e, output) = script_error(src);
    // The resume is refused before the Scheme frames above the bottom
    // run again: `display` does not show 10.
    assert_eq!(output, "12\n");
    assert!(
        e.message
            .starts_with("test.scm:6:9: this continuation returns into native"),
        "{}",
        e.message
    );
    assert!(
        e.message.contains("which it has already done once"),
        "{}",
        e.message
    );
    assert!(
        e.message.ends_with(
            "a continuation that reaches into another interpreter may be resumed only once"
        ),
        "{}",
        e.message
    );
    // The error is raised where the continuation was resumed, so a catch
    // there sees it, and the resuming code goes on.
    let src = r#"
        (define saved #f)
        (define (callee) (+ 1 (call/cc (lambda (k) (set! saved k) 1))))
        (call-native callee)
        (display (catch (lambda () (saved 10)) (lambda (e) 'refused)))
        (display (catch (lambda () (list (saved 20))) error-object-message))"#;
    let text = out(src);
    assert!(
        text.starts_with("refusedtest.scm:6:42: this continuation returns into native"),
        "{text}"
    );
}

#[test]
fn a_refused_resume_runs_none_of_its_frames() {
    // Each pass through the frames above the capture counts; a second
    // resume after the callee returned must count nothing, caught or
    // not, and the program's own state stays as it was.
    let src = r#"
        (define passes 0)
        (define saved #f)
        (define (callee)
          (let ((v (call/cc (lambda (k) (set! saved k) 1))))
            (set! passes (+ passes 1))
            (* v 10)))
        (display (call-native callee))
        (display (catch (lambda () (saved 2)) (lambda (e) 'refused)))
        (display (catch (lambda () (saved 3)) (lambda (e) 'refused-again)))
        (display passes)"#;
    assert_eq!(out(src), "10refusedrefused-again1");
    // Resumed while the callee still runs, the same frames count again.
    let src = r#"
        (define passes 0)
        (define (callee)
          (let ((k #f))
            (let ((v (call/cc (lambda (c) (set! k c) 0))))
              (set! passes (+ passes 1))
              (if (< v 2) (k (+ v 1)) v))))
        (display (list (call-native callee) passes))"#;
    assert_eq!(out(src), "(2 3)");
}

#[test]
fn reentry_inside_a_callee_is_unlimited() {
    let src = r#"
        (define (callee)
          (let ((n 0) (k #f))
            (call/cc (lambda (c) (set! k c)))
            (set! n (+ n 1))
            (if (< n 5) (k #f))
            n))
        (display (call-native callee))"#;
    assert_eq!(out(src), "5");
}

#[test]
fn escaping_through_native_frames() {
    let src = r#"
        (display (call/cc (lambda (k) (call-native (lambda () (k 'escaped))) 'not-reached)))
        (define (search l)
          (call/cc (lambda (return)
            (for-each (lambda (x) (call-native (lambda () (if (> x 2) (return x))))) l)
            #f)))
        (display (list (search '(1 2 3 4)) (search '(1))))"#;
    assert_eq!(out(src), "escaped(3 #f)");
    // After the escape no native frame is left below the program.
    let (mut rt, _) = setup();
    let v = run_on(
        &mut rt,
        "(+ 1 (call/cc (lambda (k) (call-native (lambda () (k 41))))))",
    )
    .unwrap();
    assert!(matches!(v, Value::Int(42)));
    assert!(rt.cx().continuation().is_none());
}

#[test]
fn programs_and_procedures_answer_str() {
    let (mut rt, _) = setup();
    run_on(&mut rt, "(define (f) 1) (define l '(a \"b\" 2.5))").unwrap();
    for (name, want) in [
        ("f", "#<procedure f>"),
        ("l", "(a \"b\" 2.5)"),
        ("car", "#<procedure car>"),
    ] {
        let v = polyeval_scheme::global(rt.cx(), name).unwrap();
        match rt.cx().send(Ident::STR, Capture::new(&v, &[])) {
            Ok(Reply::Value(Value::Str(s))) => assert_eq!(&*s, want.as_bytes()),
            other => panic!("{name}: {other:?}"),
        }
    }
}
