; The builtins written in Scheme. Every loop is a tail call, so lists of
; any length take constant frames.

(define (%map1 f l acc)
  (if (null? l) (reverse acc) (%map1 f (cdr l) (cons (f (car l)) acc))))

(define (%cars ls acc)
  (if (null? ls) (reverse acc) (%cars (cdr ls) (cons (car (car ls)) acc))))

(define (%cdrs ls acc)
  (if (null? ls) (reverse acc) (%cdrs (cdr ls) (cons (cdr (car ls)) acc))))

(define (%any-null? ls)
  (cond ((null? ls) #f) ((null? (car ls)) #t) (else (%any-null? (cdr ls)))))

(define (%mapn f ls acc)
  (if (%any-null? ls)
      (reverse acc)
      (%mapn f (%cdrs ls '()) (cons (apply f (%cars ls '())) acc))))

(define (map f first . rest)
  (if (null? rest) (%map1 f first '()) (%mapn f (cons first rest) '())))

(define (%for-each1 f l)
  (if (null? l) '() (begin (f (car l)) (%for-each1 f (cdr l)))))

(define (for-each f first . rest)
  (if (null? rest)
      (%for-each1 f first)
      (begin (%mapn f (cons first rest) '()) '())))

(define (%filter keep? l acc)
  (cond ((null? l) (reverse acc))
        ((keep? (car l)) (%filter keep? (cdr l) (cons (car l) acc)))
        (else (%filter keep? (cdr l) acc))))

(define (filter keep? l) (%filter keep? l '()))

(define (fold-left f init l)
  (if (null? l) init (fold-left f (f init (car l)) (cdr l))))

(define (fold-right f init l)
  (fold-left (lambda (acc x) (f x acc)) init (reverse l)))
