-- Basic coroutines: create/resume/yield/status/running/isyieldable/wrap,
-- values passed both ways, generators, pipelines, yields inside metamethods.
-- expect-stdout:
-- | thread	suspended
-- | body starts with	1	2
-- | (true, 3)	suspended
-- | body got	10
-- | (true, 20, second)	suspended
-- | body got	3	4
-- | (true, fin, 7)	dead
-- | (false, cannot resume dead coroutine)
-- | (true, 2)
-- | (true, 3, nil, x, nil)
-- | 1	1
-- | main:	thread	true	false	running
-- | inside:	false	true	running	normal
-- | isyieldable:	true	false
-- | range:	1 4 7 10
-- | echo a	echo b	echo 1
-- | flatten:	1,2,3,4,5
-- | perms:	bca cba cab acb bac abc
-- | pipe	1:ONE
-- | pipe	2:TWO
-- | pipe	3:THREE
-- | filter status	dead
-- | sched:	3.1 2.1 1.1 3.2 2.2 3.3
-- | need foo	add	got 42 and 7
-- | done

local function show(...)
  local t, out = table.pack(...), {}
  for i = 1, t.n do
    local v = t[i]
    local ty = type(v)
    out[i] = (ty == "table" or ty == "function" or ty == "thread" or ty == "userdata") and ty or tostring(v)
  end
  return "(" .. table.concat(out, ", ") .. ")"
end

-- create / resume / yield / status, values flowing both ways
local co = coroutine.create(function(a, b)
  print("body starts with", a, b)
  local c = coroutine.yield(a + b)
  print("body got", c)
  local d, e = coroutine.yield(c * 2, "second")
  print("body got", d, e)
  return "fin", d + e
end)
print(type(co), coroutine.status(co))
print(show(coroutine.resume(co, 1, 2)), coroutine.status(co))
print(show(coroutine.resume(co, 10)), coroutine.status(co))
print(show(coroutine.resume(co, 3, 4)), coroutine.status(co))
print(show(coroutine.resume(co)))

-- nil arguments and nil results are counted, not dropped
co = coroutine.create(function(...)
  local n = select("#", ...)
  local r = table.pack(coroutine.yield(n))
  return r.n, r[1], r[2], r[3]
end)
print(show(coroutine.resume(co, nil, nil)))
print(show(coroutine.resume(co, nil, "x", nil)))
co = coroutine.create(function() coroutine.yield() end)
print(select("#", coroutine.resume(co)), select("#", coroutine.resume(co)))

-- running / isyieldable / status seen from inside
local main, ismain = coroutine.running()
print("main:", type(main), ismain, coroutine.isyieldable(), coroutine.status(main))
co = coroutine.create(function()
  local me, im = coroutine.running()
  assert(me == co and not im)
  print("inside:", im, coroutine.isyieldable(), coroutine.status(me), coroutine.status(main))
end)
coroutine.resume(co)
local sus = coroutine.create(function() end)
print("isyieldable:", coroutine.isyieldable(sus), coroutine.wrap(function() return coroutine.isyieldable(main) end)())

-- wrap as a generator
local function range(n, step)
  return coroutine.wrap(function()
    for i = 1, n, step or 1 do coroutine.yield(i) end
  end)
end
local acc = {}
for i in range(10, 3) do acc[#acc + 1] = i end
print("range:", table.concat(acc, " "))

-- wrap passes values both ways, like resume but without the status boolean
local echo = coroutine.wrap(function(x)
  while true do x = coroutine.yield("echo " .. x) end
end)
print(echo("a"), echo("b"), echo(1))

-- yielding from nested (non-coroutine-body) functions
local function walk(t)
  for _, v in ipairs(t) do
    if type(v) == "table" then walk(v) else coroutine.yield(v) end
  end
end
acc = {}
for v in coroutine.wrap(function() walk({1, {2, {3, 4}}, {}, 5}) end) do acc[#acc + 1] = v end
print("flatten:", table.concat(acc, ","))

-- permutations generator (classic PIL example)
local function permgen(a, n)
  n = n or #a
  if n <= 1 then coroutine.yield(a) else
    for i = 1, n do
      a[n], a[i] = a[i], a[n]
      permgen(a, n - 1)
      a[n], a[i] = a[i], a[n]
    end
  end
end
acc = {}
for p in coroutine.wrap(function() permgen({"a", "b", "c"}) end) do acc[#acc + 1] = table.concat(p) end
print("perms:", table.concat(acc, " "))

-- producer / filter / consumer pipeline
local function producer()
  return coroutine.create(function()
    for _, w in ipairs({"one", "two", "three"}) do coroutine.yield(w) end
  end)
end
local function filter(src)
  return coroutine.create(function()
    local n = 0
    while true do
      local _, w = coroutine.resume(src)
      if w == nil then return end
      n = n + 1
      coroutine.yield(n .. ":" .. w:upper())
    end
  end)
end
local f = filter(producer())
while true do
  local _, line = coroutine.resume(f)
  if not line then break end
  print("pipe", line)
end
print("filter status", coroutine.status(f))

-- round-robin scheduler over several coroutines
local log, tasks = {}, {}
for id = 1, 3 do
  tasks[#tasks + 1] = coroutine.create(function()
    for step = 1, id do log[#log + 1] = id .. "." .. step; coroutine.yield() end
  end)
end
while #tasks > 0 do
  for i = #tasks, 1, -1 do
    assert(coroutine.resume(tasks[i]))
    if coroutine.status(tasks[i]) == "dead" then table.remove(tasks, i) end
  end
end
print("sched:", table.concat(log, " "))

-- yields from inside metamethods and generic-for iterators (allowed in 5.4)
local lazy = setmetatable({}, {
  __index = function(_, k) return coroutine.yield("need " .. k) end,
  __add = function(a, b) return coroutine.yield("add") end,
})
co = coroutine.wrap(function()
  local v = lazy.foo
  local s = lazy + 1
  return "got " .. v .. " and " .. s
end)
print(co(), co(42), co(7))
print("done")
