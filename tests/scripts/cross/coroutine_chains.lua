-- A coroutine is one chain of continuations across interpreters: Lua
-- calling m0ld (lib/each.m0ld, lib/apply.m0ld) calling Lua again, all
-- inside one coroutine. Under stock Lua the two m0ld Codes are replaced
-- by the same functions written in Lua, and this file prints the same:
-- that is how its expected output was made.
-- expect-stdout:
-- | gen:	a	b	c	walked 3
-- | for-in:	1 2 3
-- | inside m0ld: running is co	true	false	running	true	true
-- | then:	dead
-- | values:	true	11
-- | values:	true	r=60
-- | values:	suspended	true	42
-- | values:	dead	false	cannot resume dead coroutine
-- | nested:	inner x via outer 1	inner y via outer 2
-- | close:	true	suspended
-- | close:	true	dead	callback:nil coroutine:nil
-- | close:	false	cannot resume dead coroutine
-- | close error:	false	in close
-- | error:	true	1
-- | error:	false	boom
-- | error:	dead
-- | caught:	before
-- | caught:	false	7
-- | caught:	after
-- | wrap error:	false	wrapped
-- | non-yieldable:	true	false	attempt to yield across a C-call boundary
-- | non-yieldable:	true	false	attempt to yield across a C-call boundary
-- | 100000 yields:	5050000	true
-- | collected:	true
-- | done
local each, apply
if smop then
  local dir = arg[0]:match("^(.*)/") or "."
  each = smop.load(dir .. "/lib/each.m0ld")
  apply = smop.load(dir .. "/lib/apply.m0ld")
else
  each = function(t, f)
    for i = 1, #t do f(t[i]) end
    return #t
  end
  apply = function(f, ...) return f(...) end
end

-- 1. A generator: m0ld walks the array, the Lua callback yields each
-- element to the coroutine's resumer.
local gen = coroutine.wrap(function(t)
  local n = each(t, function(v) coroutine.yield(v) end)
  return "walked " .. n
end)
print("gen:", gen({ "a", "b", "c" }), gen(), gen(), gen())

-- coroutine.yield itself as the callback, and a for-in loop over it.
local got = {}
for v in coroutine.wrap(function() each({ 1, 2, 3 }, coroutine.yield) end) do
  got[#got + 1] = v
end
print("for-in:", table.concat(got, " "))

-- 2. What the callback sees: the coroutine, running, yieldable.
local co
co = coroutine.create(function()
  apply(function()
    local me, ismain = coroutine.running()
    print("inside m0ld: running is co", me == co, ismain, coroutine.status(co),
      coroutine.isyieldable(), coroutine.isyieldable(co))
  end)
end)
assert(coroutine.resume(co))
print("then:", coroutine.status(co))

-- resume's values arrive where the chain stopped; yield's go to the
-- resumer.
co = coroutine.create(function(a)
  local r = apply(function(x)
    local b, c = coroutine.yield(x + 1)
    return x + b + c
  end, a)
  local z = coroutine.yield("r=" .. r)
  return z * 2
end)
print("values:", coroutine.resume(co, 10))
print("values:", coroutine.resume(co, 20, 30))
print("values:", coroutine.status(co), coroutine.resume(co, 21))
print("values:", coroutine.status(co), coroutine.resume(co))

-- 3. Nested coroutines, each suspended inside m0ld.
local outer = coroutine.wrap(function()
  local inner = coroutine.wrap(function()
    each({ "x", "y" }, function(v) coroutine.yield("inner " .. v) end)
  end)
  each({ 1, 2 }, function(i)
    coroutine.yield(inner() .. " via outer " .. i)
  end)
end)
print("nested:", outer(), outer())

-- 4. close of a coroutine suspended inside m0ld: the to-be-closed
-- variables of both Lua sides run, innermost first.
local log = {}
local function closing(name)
  return setmetatable({}, { __close = function(_, e) log[#log + 1] = name .. ":" .. tostring(e) end })
end
co = coroutine.create(function()
  local a <close> = closing("coroutine")
  apply(function()
    local b <close> = closing("callback")
    coroutine.yield("suspended")
  end)
  log[#log + 1] = "never"
end)
print("close:", coroutine.resume(co))
print("close:", coroutine.close(co), coroutine.status(co), table.concat(log, " "))
print("close:", coroutine.resume(co))

-- An error in a __close is close's result.
co = coroutine.create(function()
  local a <close> = setmetatable({}, { __close = function() error("in close", 0) end })
  apply(function() coroutine.yield() end)
end)
coroutine.resume(co)
print("close error:", coroutine.close(co))

-- 5. Errors through the chain: raised in the callback, through m0ld, to
-- the coroutine's resumer; or caught by a pcall inside the coroutine
-- after the chain was suspended and resumed.
co = coroutine.create(function()
  apply(function()
    coroutine.yield(1)
    error("boom", 0)
  end)
end)
print("error:", coroutine.resume(co))
print("error:", coroutine.resume(co))
print("error:", coroutine.status(co))
co = coroutine.wrap(function()
  local ok, e = pcall(apply, function()
    coroutine.yield("before")
    error({ code = 7 })
  end)
  coroutine.yield(ok, type(e) == "table" and e.code)
  return "after"
end)
print("caught:", co())
print("caught:", co())
print("caught:", co())
local w = coroutine.wrap(function() apply(function() error("wrapped", 0) end) end)
print("wrap error:", pcall(w))

-- 6. A yield from a place inside the chain that cannot yield is Lua's own
-- error, and the coroutine goes on.
co = coroutine.create(function()
  local ok, e = pcall(table.sort, { 3, 1, 2 }, function(a, b)
    apply(function() coroutine.yield("no") end)
    return a < b
  end)
  coroutine.yield(ok, e)
  local ok2, e2 = pcall(apply, function()
    return string.gsub("ab", ".", function(c) coroutine.yield(c) end)
  end)
  return ok2, e2
end)
print("non-yieldable:", coroutine.resume(co))
print("non-yieldable:", coroutine.resume(co))

-- 7. Many yields across m0ld, in flat memory.
collectgarbage()
collectgarbage()
local before = collectgarbage("count")
local count = 0
local big = coroutine.wrap(function()
  local t = {}
  for i = 1, 100 do t[i] = i end
  while true do each(t, coroutine.yield) end
end)
for _ = 1, 100000 do count = count + big() end
collectgarbage()
collectgarbage()
local grew = collectgarbage("count") - before
print("100000 yields:", count, grew < 256)

-- 8. A coroutine dropped while suspended inside m0ld is collected, and
-- with it what only its frames held.
local released = false
do
  local c = coroutine.create(function()
    local held = setmetatable({}, { __gc = function() released = true end })
    apply(function() coroutine.yield(held) end)
  end)
  coroutine.resume(c)
end
for _ = 1, 3 do
  collectgarbage()
  coroutine.wrap(function() end)()
end
print("collected:", released)
print("done")
