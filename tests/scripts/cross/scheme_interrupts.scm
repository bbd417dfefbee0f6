; Scheme installs an interrupt handler (a Scheme procedure) through
; `$interpreter`; a raise runs it as a detour before the next step, and a
; timer fires while Scheme waits in `sleep`. The interrupted code never
; notices: its result is the same under every quantum and probe schedule.
; A handler gets the kind and the payload, and for a raise from code the
; file and line it came from.
; expect-stdout:
; | handler: user hello
; | handler: tick 1
; | sum 5050
(define (on-irq kind payload . where)
  (display "handler: ") (display kind) (display " ") (display payload) (newline))
(send (interpreter) "on_interrupt" "user" on-irq)
(send (interpreter) "on_interrupt" "tick" on-irq)
(send (interpreter) "raise" "user" "hello")
(send (interpreter) "timer" 0.01 "tick" 1)
(send (interpreter) "sleep" 0.2)
(define (sum n acc) (if (= n 0) acc (sum (- n 1) (+ acc n))))
(display "sum ") (display (sum 100 0)) (newline)
