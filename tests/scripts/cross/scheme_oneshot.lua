-- call/cc in the Scheme example: a continuation captured inside a Scheme
-- activation that Lua called may be resumed only once after that
-- activation returned into Lua (the Lua frame it returns to has moved
-- on); resuming it again is a clear, catchable error. Within Scheme's own
-- frames, re-entry is unlimited.
-- expect-stdout:
-- | first: 1
-- | again: false	one-shot
-- | inside scheme: (3 2 1 0)
local scm = polyeval.lang("scheme")
scm:eval("(define saved #f)")
local capture = scm:eval("(lambda () (call/cc (lambda (k) (set! saved k) 1)))")
print("first: " .. capture())
local ok, e = pcall(scm.eval, scm, "(saved 2)")
print("again: " .. tostring(ok), tostring(e):find("resumed only once", 1, true) and "one-shot" or e)
print("inside scheme: " .. tostring(scm:eval([[
  (define acc '())
  (define k2 #f)
  (define n (call/cc (lambda (c) (set! k2 c) 0)))
  (set! acc (cons n acc))
  (if (< n 3) (k2 (+ n 1)) acc)]])))
