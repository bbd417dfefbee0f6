-- Lua and the Scheme example through the registry: Lua loads and calls
-- Scheme procedures, Scheme calls Lua functions back (each call a hand-off,
-- so the mutual recursion below is 20,000 levels deep with no native
-- stack between them), and errors cross both ways with their positions.
-- expect-stdout:
-- | fact 20 = 2432902008176640000
-- | map via Lua: (2 4 6)
-- | mutual depth: 20000
-- | lua caught: bad.scm:1:2: car: expected a pair, got 5
-- | scheme caught: scheme_lua.lua:26: from lua
-- | identity kept: true
local scm = polyeval.lang("scheme")
local fact = scm:eval("(define (fact n) (if (= n 0) 1 (* n (fact (- n 1))))) fact", "fact.scm")
print("fact 20 = " .. fact(20))
function double(x) return x * 2 end
print("map via Lua: " .. tostring(scm:eval('(map (eval-in "lua" "return double") (list 1 2 3))')))
-- Scheme's down calls Lua's down, which calls Scheme's, ...
local down
local sdown = scm:eval([[
  (define lua-down (eval-in "lua" "return function(n) return lua_down(n) end"))
  (lambda (n) (if (= n 0) 0 (+ 1 (lua-down (- n 1)))))]], "down.scm")
function lua_down(n) if n == 0 then return 0 end return 1 + sdown(n - 1) end
print("mutual depth: " .. sdown(20000))
local ok, e = pcall(scm.eval, scm, " (car 5)", "bad.scm")
print("lua caught: " .. tostring(e))
function fails() error("from lua") end
local msg = scm:eval([[
  (catch (lambda () ((eval-in "lua" "return fails")))
         error-object-message)]])
print("scheme caught: " .. tostring(msg):match("scheme_lua%.lua:%d+: from lua"))
local t = {}
local same = scm:eval("(lambda (x) x)")
print("identity kept: " .. tostring(same(t) == t))
