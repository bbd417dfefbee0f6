//! Errors: reader, syntax and run-time errors with positions, backtraces
//! of Scheme frames, `catch`, and no panic on any input.

mod common;
use common::{failure, interp, output};
use polyeval_core::{ErrorKind, RunError};

fn compile_error(src: &str) -> String {
    let (mut rt, _) = interp();
    let lang = rt.language("scheme").unwrap();
    let e = lang.load(rt.cx(), src.as_bytes(), "bad.scm").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Compile, "{}", e.message);
    // `check` reports the same error and binds nothing.
    let c = lang.check(rt.cx(), src.as_bytes(), "bad.scm").unwrap_err();
    assert_eq!(c.message, e.message);
    e.message
}

#[test]
fn reader_errors_have_positions() {
    let cases = [
        ("(display \"x\"", "bad.scm:1:1: unbalanced '('"),
        ("(+ 1 2))", "bad.scm:1:8: unexpected ')'"),
        ("(display\n  \"abc)", "bad.scm:2:3: unterminated string"),
        ("(list #z)", "bad.scm:1:7: bad token '#z'"),
    ];
    for (src, want) in cases {
        let msg = compile_error(src);
        assert!(msg.starts_with(want), "{src:?}: {msg}");
    }
}

#[test]
fn syntax_errors_have_positions() {
    let cases = [
        ("(if)", "bad.scm:1:1: bad if"),
        ("(define x 1)\n(lambda 5 x)", "bad.scm:2:9: bad lambda"),
        ("(define)", "bad.scm:1:1: bad define"),
        (
            "(let ((x)) x)",
            "bad.scm:1:7: bad let: a binding must be (name value)",
        ),
        ("(set! 5 1)", "bad.scm:1:7: bad set!"),
        ("(f ())", "bad.scm:1:4: empty application"),
        (
            "(lambda (x x) x)",
            "bad.scm:1:9: bad lambda: duplicate parameter x",
        ),
        ("(display if)", "bad.scm:1:10: bad syntax: the keyword if"),
        (
            "(cond (else 1) (#t 2))",
            "bad.scm:1:7: bad cond: else must be the last",
        ),
        (
            "(+ 1 (if 1 (define y 2) 3))",
            "bad.scm:1:12: define is allowed only",
        ),
        (
            "(define if 3)",
            "bad.scm:1:9: cannot define or set the keyword if",
        ),
    ];
    for (src, want) in cases {
        let msg = compile_error(src);
        assert!(msg.starts_with(want), "{src:?}: {msg}");
    }
}

fn runtime_error(src: &str) -> polyeval_core::ScriptError {
    let (mut rt, _) = interp();
    match common::run_on(&mut rt, src) {
        Err(RunError::Script(e)) => e,
        other => panic!("expected a script error, got {other:?}"),
    }
}

#[test]
fn runtime_errors_have_positions() {
    let cases = [
        (
            "(display (car 5))",
            "test.scm:1:10: car: expected a pair, got 5",
        ),
        ("(display\n   y)", "test.scm:2:4: unbound variable: y"),
        (
            "(define (f x) x)\n(f 1 2)",
            "test.scm:2:1: f: wrong number of arguments: expected 1 argument, got 2",
        ),
        ("(5 3)", "test.scm:1:1: not a procedure: 5"),
        ("(set! zz 1)", "test.scm:1:1: set!: unbound variable: zz"),
        ("(/ 1 0)", "test.scm:1:1: /: division by zero"),
        (
            "(define (f) (g) (define (g) 1)) (f)",
            "test.scm:1:14: g: variable used before its definition",
        ),
        (
            "(error \"bad thing:\" 1 \"two\")",
            "test.scm:1:1: bad thing: 1 \"two\"",
        ),
        ("(raise 'oops)", "test.scm:1:1: uncaught raise: oops"),
        (
            "(apply + 1 2)",
            "test.scm:1:1: wrong type: apply's last argument",
        ),
    ];
    for (src, want) in cases {
        let e = runtime_error(src);
        assert!(e.message.starts_with(want), "{src:?}: {}", e.message);
        assert_eq!(
            e.located_message(),
            e.message,
            "the message carries the position once"
        );
        let origin = e.origin().expect("a backtrace");
        assert_eq!(origin.interp, "scheme");
    }
}

#[test]
fn backtraces_show_scheme_frames() {
    let src =
        "(define (g x) (car x))\n(define (f x) (+ 1 (g x)))\n(define (h) (f 5))\n(display (h))";
    let e = runtime_error(src);
    let frames = &e.backtrace.frames;
    let named: Vec<_> = frames
        .iter()
        .map(|f| (f.name.as_deref(), f.line, f.col))
        .collect();
    assert_eq!(named[0], (Some("g"), 1, 15), "{named:?}");
    assert!(named.contains(&(Some("f"), 2, 15)), "{named:?}");
    assert!(named.iter().any(|n| n.0.is_none() && n.1 == 4), "{named:?}");
    assert!(frames
        .iter()
        .all(|f| f.interp == "scheme" || f.interp == "native"));
    let report = RunError::Script(e).report();
    assert!(report.contains("[scheme] test.scm:1:15 in g"), "{report}");
}

#[test]
fn catch_handles_errors() {
    let src = r#"
        (define (safe thunk) (catch thunk (lambda (e) (list 'caught (error-object-message e)))))
        (display (safe (lambda () (car 5)))) (newline)
        (display (catch (lambda () (raise 'oops)) (lambda (e) e))) (newline)
        (display (catch (lambda () (error "bad thing" 1 2))
                        (lambda (e) (list (error-object? e) (error-object-message e) (error-object-irritants e)))))
        (newline)
        (display (catch (lambda () 'fine) (lambda (e) 'not-called))) (newline)
        (display (catch (lambda () (catch (lambda () (raise 1)) (lambda (e) (raise (+ e 1)))))
                        (lambda (e) (* e 10)))) (newline)
        (define (deep n) (if (= n 0) (raise 'bottom) (+ 1 (deep (- n 1)))))
        (display (catch (lambda () (deep 10000)) (lambda (e) e)))"#;
    assert_eq!(
        output(src),
        "(caught test.scm:3:35: car: expected a pair, got 5)\noops\n(#t bad thing (1 2))\nfine\n20\nbottom"
    );
}

#[test]
fn uncaught_errors_end_the_run() {
    let report = failure("(display 1)\n(car '())\n(display 2)");
    assert!(
        report.starts_with("error: test.scm:2:1: car: expected a pair, got ()"),
        "{report}"
    );
}

#[test]
fn no_input_panics() {
    let (mut rt, _) = interp();
    let lang = rt.language("scheme").unwrap();
    let sample = br#"(define (f x . r) `(a ,x ,@r)) (let loop ((i 0)) (cond ((> i 3) 'd) (else (loop (+ i 1))))) "s\n" #t #f 1.5 '(1 . 2) #;(x) #| c |# [a] (begin . 1) (define . x) (if . 2) (case 1 ((1) . 2)) (cond . 3) (let loop . 4) (quote . 5)"#;
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for n in 0..3000 {
        // Prefixes, and random splices of the sample's bytes.
        let src: Vec<u8> = if n < sample.len() {
            sample[..n].to_vec()
        } else {
            (0..(n % 40))
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    sample[(seed % sample.len() as u64) as usize]
                })
                .collect()
        };
        let _ = lang.check(rt.cx(), &src, "fuzz.scm");
    }
}

#[test]
fn random_programs_never_panic() {
    const TOKENS: &str = "( ( ( ) ) ) [ ] . ' ` , ,@ #; begin define lambda if let let* letrec \
        named set! quote quasiquote unquote cond case else => and or when unless x y f 1 -2 2.5 \
        \"s\" #t #f car cdr cons list + - / apply call/cc catch error raise map display append \
        length eval-in send vector 0";
    let tokens: Vec<&str> = TOKENS.split_whitespace().collect();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut compiled = 0;
    for _ in 0..4000 {
        let n = 1 + (next() % 24) as usize;
        let src: Vec<&str> = (0..n)
            .map(|_| tokens[(next() % tokens.len() as u64) as usize])
            .collect();
        let src = src.join(" ");
        let (mut rt, _) = interp();
        rt.set_errput(Box::new(std::io::sink()));
        rt.set_max_steps(Some(200));
        let lang = rt.language("scheme").unwrap();
        let Ok(program) = lang.load(rt.cx(), src.as_bytes(), "fuzz.scm") else {
            continue;
        };
        compiled += 1;
        rt.start(Box::new(polyeval_core::CallValue::new(program, Vec::new())));
        if let Err(RunError::Script(e)) = rt.run() {
            assert_ne!(e.kind, ErrorKind::Panic, "{src}: {}", e.message);
        }
    }
    assert!(compiled > 100, "only {compiled} programs compiled");
}

#[test]
fn shared_messages_name_types_the_scheme_way() {
    // Core answers messages to immediates for every language, and names
    // the types in the language of the step that sent them.
    let e = runtime_error("(send 1 \"frobnicate\")");
    assert_eq!(e.kind, ErrorKind::UnknownMethod, "{}", e.message);
    assert!(
        e.message
            .contains("unknown method \"frobnicate\" for number"),
        "{}",
        e.message
    );
    let e = runtime_error("(send \"a\" \"infix:+\" 1)");
    assert_eq!(e.kind, ErrorKind::WrongType, "{}", e.message);
    assert!(e.message.contains("string"), "{}", e.message);
    assert!(!e.message.contains("Str"), "{}", e.message);
}
