; A reader error is a compile error with its position; nothing runs.
; expect-exit: 2
; expect-stderr: err_parse.scm:6:
; expect-stdout:
(display "never")
(display (+ 1 2)
