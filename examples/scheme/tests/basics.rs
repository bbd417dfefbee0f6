//! The core language: arithmetic, lists, closures, `set!`, `let`, `cond`
//! and friends, printed through `display`.

mod common;
use common::{output, run};
use polyeval_core::Value;

#[test]
fn arithmetic() {
    assert_eq!(output("(display (+ 1 2 (* 3 4) (- 10 4) (/ 9 3)))"), "24");
    assert_eq!(
        output("(display (/ 1 2)) (display \" \") (display (- 5))"),
        "0.5 -5"
    );
    assert_eq!(
        output("(display (list (quotient 17 5) (remainder -7 3) (modulo -7 3) (expt 2 10)))"),
        "(3 -1 2 1024)"
    );
    assert_eq!(
        output("(display (list (< 1 2 3) (>= 3 3 1) (= 1 1.0) (max 1 2.0) (abs -3)))"),
        "(#t #t #t 2.0 3)"
    );
    assert_eq!(
        output("(display (+ 9223372036854775807 1))"),
        "9.2233720368548e+18"
    );
}

#[test]
fn lists() {
    let src = r#"
        (define l (list 1 2 3))
        (display (cons 0 l)) (newline)
        (display (append l '(4 5) '() (list 6))) (newline)
        (display (reverse l)) (newline)
        (display (length l)) (newline)
        (display (map (lambda (x) (* x x)) l)) (newline)
        (display (map + l '(10 20 30))) (newline)
        (display (list (car l) (cdr l) (cadr l) (null? '()) (pair? l) (list? '(1 . 2)))) (newline)
        (write (list "s" 'sym 1.5 #t '(a . b))) (newline)
        (display (assoc 2 '((1 . one) (2 . two)))) (newline)
        (display (member '(1) '(a (1) b))) (newline)
        (display (filter odd? '(1 2 3 4 5))) (newline)
        (display (fold-left + 0 '(1 2 3 4)))
    "#;
    assert_eq!(
        output(src),
        "(0 1 2 3)\n(1 2 3 4 5 6)\n(3 2 1)\n3\n(1 4 9)\n(11 22 33)\n(1 (2 3) 2 #t #t #f)\n(\"s\" sym 1.5 #t (a . b))\n(2 . two)\n((1) b)\n(1 3 5)\n10"
    );
}

#[test]
fn closures_and_set() {
    let src = r#"
        (define (make-counter)
          (let ((n 0))
            (lambda () (set! n (+ n 1)) n)))
        (define c1 (make-counter))
        (define c2 (make-counter))
        (c1) (c1) (c2)
        (display (list (c1) (c2)))
    "#;
    assert_eq!(output(src), "(3 2)");
}

#[test]
fn binding_forms() {
    let src = r#"
        (define x 10)
        (display (let ((x 1) (y x)) (+ x y))) (newline)
        (display (let* ((x 1) (y (+ x 1)) (x (* y 10))) x)) (newline)
        (display (letrec ((ev? (lambda (n) (if (= n 0) #t (od? (- n 1)))))
                          (od? (lambda (n) (if (= n 0) #f (ev? (- n 1))))))
                   (ev? 100))) (newline)
        (display (let loop ((i 0) (acc '())) (if (= i 3) acc (loop (+ i 1) (cons i acc))))) (newline)
        (define (f n)
          (define a (* n 2))
          (define (g m) (+ a m))
          (g 1))
        (display (f 5))
    "#;
    assert_eq!(output(src), "11\n20\n#t\n(2 1 0)\n11");
}

#[test]
fn conditionals() {
    let src = r#"
        (define (classify n)
          (cond ((< n 0) 'negative)
                ((= n 0) 'zero)
                ((assv n '((1 . one))) => cdr)
                (else 'many)))
        (display (map classify '(-5 0 1 7))) (newline)
        (display (case (* 2 3) ((2 3 5 7) 'prime) ((1 4 6 8 9) 'composite))) (newline)
        (display (list (and 1 2) (and) (or #f 3) (or) (if '() 'yes 'no))) (newline)
        (when (> 1 0) (display "when"))
        (unless (> 1 0) (display "unless"))
        (display (if #f #f))
        (display `(1 ,(+ 1 1) ,@(list 3 4) five))
    "#;
    assert_eq!(
        output(src),
        "(negative zero one many)\ncomposite\n(2 #t 3 #f yes)\nwhen()(1 2 3 4 five)"
    );
}

#[test]
fn strings_and_symbols() {
    let src = r#"
        (display (string-append "foo" "bar")) (newline)
        (display (list (string-length "hello") (substring "hello" 1 3) (string=? "a" "a")
                       (symbol->string 'abc) (eq? 'a (string->symbol "a"))
                       (number->string 42) (string->number "2.5") (equal? "ab" "ab")))
    "#;
    assert_eq!(output(src), "foobar\n(5 el #t abc #t 42 2.5 #t)");
}

#[test]
fn program_value_is_the_last_form() {
    let (r, _) = run("(define x 4) (* x x)");
    assert!(matches!(r, Ok(Value::Int(16))));
    let (r, _) = run("");
    assert!(matches!(r, Ok(Value::Nil)));
}

#[test]
fn local_procedures_keep_their_semantics() {
    // Internal defines and named lets that are only called are compiled
    // without a closure in their frame; used as values, set!, or called
    // before their definition, they behave as any variable.
    let src = r#"
        (define (a) (define (g n) (if (= n 0) 'ok (g (- n 1)))) (g 10))
        (define (b) (define (g) 1) (eq? g g))
        (define (c) (define (g) 1) (set! g (lambda () 2)) (g))
        (define (d) (define (h) (g)) (define (g) 'late) (h))
        (define (e) (let loop ((i 0)) (if (< i 5) (loop (+ i 1)) (list i loop))))
        (define (f) (define (g) (lambda () (g2))) (define (g2) 'inner) ((g)))
        (display (list (a) (b) (c) (d) (car (e)) (procedure? (cadr (e))) (f)))"#;
    assert_eq!(output(src), "(ok #t 2 late 5 #t inner)");
}

#[test]
fn redefinition_and_shadowing() {
    let src = r#"
        (define (list . xs) (cons 'mine xs))
        (display (list 1 2))
        (display `(1 ,(+ 1 1)))
        (define (f if) (+ if 1))
        (display (f 1))
        (display (let ((define 3)) define))"#;
    assert_eq!(output(src), "(mine 1 2)(1 2)23");
}
