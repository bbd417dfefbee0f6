; The step budget stops an endless Scheme loop.
; max-steps: 5000
; expect-exit: 1
; expect-stderr: step budget
(define (spin) (spin))
(spin)
