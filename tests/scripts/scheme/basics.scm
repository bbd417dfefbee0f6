; The core forms of the Scheme example: define, lambda, let, if, cond,
; begin, set!, quote; numbers, strings, booleans and lists; closures; and
; a tail-recursive loop of 100,000 iterations in constant space.
; expect-stdout:
; | 3628800
; | (1 2 3 4)
; | (a b (c d))
; | #t #f
; | big
; | counter: 3
; | done
; | hello, world
; | 2.5
(define (fact n) (if (= n 0) 1 (* n (fact (- n 1)))))
(display (fact 10)) (newline)
(display (append (list 1 2) '(3 4))) (newline)
(display '(a b (c d))) (newline)
(display (pair? '(1))) (display " ") (display (null? '(1))) (newline)
(define (size n) (cond ((< n 10) 'small) ((< n 100) 'medium) (else 'big)))
(display (size 500)) (newline)
(define (make-counter)
  (let ((n 0))
    (lambda () (set! n (+ n 1)) n)))
(define c (make-counter))
(c) (c)
(display "counter: ") (display (c)) (newline)
(define (loop n) (if (= n 0) 'done (loop (- n 1))))
(display (loop 100000)) (newline)
(begin (display "hello, ") (display "world") (newline))
(display (/ 5 2)) (newline)
