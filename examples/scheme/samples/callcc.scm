; call/cc: an early exit, a generator resumed many times, and re-entry
; into the rest of the top-level forms.
; expect: first negative: -3
; expect: generated: (1 2 3 done)
; expect: pass 0
; expect: pass 1
; expect: pass 2
; expect: done

(define (first-negative lst)
  (call/cc
    (lambda (return)
      (for-each (lambda (x) (if (negative? x) (return x))) lst)
      #f)))

(display "first negative: ")
(display (first-negative '(4 8 -3 5 -1)))
(newline)

(define (make-generator lst)
  (define resume #f)
  (define return #f)
  (define (walk)
    (for-each (lambda (x)
                (call/cc (lambda (k) (set! resume k) (return x))))
              lst)
    (return 'done))
  (lambda ()
    (call/cc (lambda (r)
      (set! return r)
      (if resume (resume #f) (walk))))))

(define next (make-generator '(1 2 3)))
(define a (next))
(define b (next))
(define c (next))
(display "generated: ")
(display (list a b c (next)))
(newline)

(define again #f)
(define pass (call/cc (lambda (k) (set! again k) 0)))
(display "pass ")
(display pass)
(newline)
(if (< pass 2) (again (+ pass 1)))
(display "done")
(newline)
