; Fibonacci three ways: tree recursion, a tail-recursive loop, and a list.
; expect: 6765
; expect: 12586269025
; expect: (0 1 1 2 3 5 8 13 21 34)

(define (fib n)
  (if (< n 2)
      n
      (+ (fib (- n 1)) (fib (- n 2)))))

(define (fast-fib n)
  (let loop ((a 0) (b 1) (i 0))
    (if (= i n) a (loop b (+ a b) (+ i 1)))))

(define (iota n)
  (let loop ((i (- n 1)) (acc '()))
    (if (< i 0) acc (loop (- i 1) (cons i acc)))))

(display (fib 20))
(newline)
(display (fast-fib 50))
(newline)
(display (map fast-fib (iota 10)))
(newline)
