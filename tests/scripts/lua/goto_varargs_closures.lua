-- goto (continue idiom, nested-loop exits), varargs (select, table.pack/unpack
-- with nils), closures (fresh loop variables, shared upvalues, recursion).
-- expect-stdout:
-- | continue:	1 2 4 5 7 8 10
-- | found:	3x4
-- | backward goto:	1,2,3,4
-- | while exit at	3
-- | 0	1	2	4
-- | b	c
-- | c
-- | b	c
-- | false	bad argument #1 to 'select' (index out of range)
-- | 4	1	nil	3	nil
-- | 1	nil	3	nil
-- | 4	3
-- | 2	2	3
-- | 1	1	2	3
-- | 1
-- | 4
-- | x	y	x	y	z
-- | 3
-- | numeric for:	1	2	3
-- | generic for:	a	b	c
-- | while locals:	10	100	20	30
-- | shared:	2	1
-- | late write seen:	2
-- | fact:	3628800	2432902008176640000	true	true
-- | anonymous self-reference fails:	false
-- | tail:	5000050000
-- | done

local acc = {}

-- goto continue idiom
for i = 1, 10 do
  if i % 3 == 0 then goto continue end
  acc[#acc + 1] = i
  ::continue::
end
print("continue:", table.concat(acc, " "))

-- leaving nested loops with goto
local found
for i = 1, 5 do
  for j = 1, 5 do
    if i * j == 12 then found = i .. "x" .. j; goto out end
  end
end
::out::
print("found:", found)

-- goto backwards as a loop, and a label at the end of a block
local n, steps = 0, {}
::again::
n = n + 1
steps[#steps + 1] = n
if n < 4 then goto again end
print("backward goto:", table.concat(steps, ","))
do
  local k = 0
  while true do
    k = k + 1
    if k > 2 then goto done end
  end
  ::done::
  print("while exit at", k)
end

-- select('#') and negative indices
local function count(...) return select("#", ...) end
print(count(), count(nil), count(nil, nil), count(1, nil, 3, nil))
print(select(2, "a", "b", "c"))
print(select(-1, "a", "b", "c"))
print(select(-2, "a", "b", "c"))
print(pcall(select, -4, "a", "b", "c"))

-- table.pack keeps n; table.unpack with explicit range keeps nils
local t = table.pack(1, nil, 3, nil)
print(t.n, t[1], t[2], t[3], t[4])
print(table.unpack(t, 1, t.n))
print(select("#", table.unpack(t, 1, t.n)), select("#", table.unpack({}, 1, 3)))
print(table.unpack({1, 2, 3}, 2), table.unpack({1, 2, 3}, 2, 3))

-- varargs in the middle of a list are truncated to one value
local function three() return 1, 2, 3 end
print(three(), three())
print((three()))
local packed = {three(), three()}
print(#packed)
local function pass(...) local a, b = ...; return a, b, ... end
print(pass("x", "y", "z"))

-- vararg functions forwarding and counting trailing nils
local function wrap(f) return function(...) return f(...) end end
print(select("#", wrap(function(...) return ... end)(nil, nil, nil)))

-- closures capture a fresh loop variable per iteration
local fns = {}
for i = 1, 3 do fns[i] = function() return i end end
print("numeric for:", fns[1](), fns[2](), fns[3]())
fns = {}
for _, v in ipairs({"a", "b", "c"}) do fns[#fns + 1] = function() return v end end
print("generic for:", fns[1](), fns[2](), fns[3]())
fns = {}
local w = 0
while w < 3 do
  w = w + 1
  local captured = w
  fns[w] = function() captured = captured * 10; return captured end
end
print("while locals:", fns[1](), fns[1](), fns[2](), fns[3]())

-- two closures sharing one upvalue
local function counter()
  local c = 0
  return function() c = c + 1; return c end, function() return c end
end
local inc, get = counter()
inc(); inc()
local inc2, get2 = counter()
inc2()
print("shared:", get(), get2())

-- upvalue shared after the creating scope ends and modified by the owner
local getter
do
  local x = 1
  getter = function() return x end
  x = 2
end
print("late write seen:", getter())

-- recursive local functions and mutual recursion through upvalues
local function fact(k) if k <= 1 then return 1 end return k * fact(k - 1) end
local isodd
local function iseven(k) if k == 0 then return true end return isodd(k - 1) end
function isodd(k) if k == 0 then return false end return iseven(k - 1) end
print("fact:", fact(10), fact(20), iseven(10), isodd(7))
local ok = pcall(function() local f = function(k) if k > 0 then return f(k - 1) end end; f(1) end)
print("anonymous self-reference fails:", ok)

-- deep tail recursion does not grow the stack
local function loop(k, s) if k == 0 then return s end return loop(k - 1, s + k) end
print("tail:", loop(100000, 0))
assert(loop(10, 0) == 55)
print("done")
