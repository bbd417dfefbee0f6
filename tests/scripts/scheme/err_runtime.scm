; A run-time error names the file, line and column of the failing
; expression, and the backtrace shows the Scheme frames waiting below it.
; expect-exit: 1
; expect-stderr: err_runtime.scm:8:8: car: expected a pair, got 5
; expect-stderr: [scheme]
(define (first x)
  ; The failing call:
  (+ 1 (car x)))
(define (go) (+ 1 (first 5)))
(go)
