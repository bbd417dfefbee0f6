; call/cc within Scheme's own frames: an escape from a loop, and a
; continuation captured once and re-entered several times (each re-entry
; resumes the rest of the top-level form and the forms after it).
; expect-stdout:
; | found 7
; | entered 0
; | entered 1
; | entered 2
; | entered 3
; | re-entries done
(define (find-first pred lst)
  (call/cc
    (lambda (return)
      (for-each (lambda (x) (if (pred x) (return x))) lst)
      #f)))
(display "found ") (display (find-first (lambda (x) (> x 5)) '(1 3 7 9))) (newline)
(define k #f)
(define count 0)
(define v (call/cc (lambda (c) (set! k c) 0)))
(display "entered ") (display v) (newline)
(set! count (+ count 1))
(if (< count 4) (k count))
(display "re-entries done") (newline)
