; Errors are values a handler can inspect; positions are in the messages.
; expect: (caught: bad input (42))
; expect: (raised: (my-error 7))
; expect: test: samples/errors.scm:15:28: car: expected a pair, got ()

(define (check x)
  (if (> x 10) (error "bad input" x) x))

(display (catch (lambda () (check 42))
                (lambda (e) (list 'caught: (error-object-message e) (error-object-irritants e)))))
(newline)
(display (catch (lambda () (raise (list 'my-error 7))) (lambda (e) (list 'raised: e))))
(newline)
(display "test: ")
(display (catch (lambda () (car '())) error-object-message))
(newline)
