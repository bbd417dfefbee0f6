-- Coroutine error behaviour: errors inside coroutines, wrap re-raising with a
-- position prefix, dead/running/normal resumes, yield outside a coroutine, close.
-- expect-stdout:
-- | (true, 1)
-- | (false, coroutines_errors.lua:56: boom)	dead
-- | (false, cannot resume dead coroutine)
-- | false	true
-- | (false, 42)
-- | (false, nil)
-- | (false, lvl0)
-- | (false, coroutines_errors.lua:72: attempt to index a nil value (local 't'))
-- | 1
-- | (false, coroutines_errors.lua:77: coroutines_errors.lua:75: inner fail)
-- | (false, coroutines_errors.lua:78: cannot resume dead coroutine)
-- | (false, cannot resume dead coroutine)
-- | false	table	7
-- | (true, false, cannot resume non-suspended coroutine)
-- | outer is	normal
-- | (true, true, false, cannot resume non-suspended coroutine)
-- | (false, coroutines_errors.lua:99: cannot resume non-suspended coroutine)
-- | (false, attempt to yield from outside a coroutine)
-- | (false, attempt to yield from outside a coroutine)
-- | (false, attempt to yield across a C-call boundary)
-- | (false, attempt to yield across a C-call boundary)
-- | (true, paused)
-- | closing b	nil
-- | closing a	nil
-- | (true)	dead
-- | (true)
-- | (true)
-- | (false, coroutines_errors.lua:134: died)
-- | (true)
-- | false	true
-- | (false, in close)
-- | (true, false, cannot close a running coroutine)
-- | (true, true, false, cannot close a normal coroutine)
-- | (false, bad argument #1 to 'coroutine.create' (function expected, got number))
-- | (false, bad argument #1 to 'coroutine.resume' (thread expected, got table))
-- | (false, bad argument #1 to 'coroutine.wrap' (function expected, got no value))
-- | (false, bad argument #1 to 'coroutine.status' (thread expected, got string))
-- | done

local function norm(m) return (tostring(m):gsub("[^%s:<>'\"]*[/\\]([%w_]+%.lua)", "%1")) end
local function show(...)
  local t, out = table.pack(...), {}
  for i = 1, t.n do
    local v = t[i]
    out[i] = type(v) == "table" and "table" or norm(v)
  end
  return "(" .. table.concat(out, ", ") .. ")"
end

-- an error inside a coroutine: resume returns false, msg; the coroutine is dead
local co = coroutine.create(function(x)
  coroutine.yield(x)
  error("boom")
end)
print(show(coroutine.resume(co, 1)))
print(show(coroutine.resume(co)), coroutine.status(co))
print(show(coroutine.resume(co)))
assert(select(2, coroutine.resume(co)) == "cannot resume dead coroutine")

-- non-string error values come back unchanged (no position added)
local obj = {}
co = coroutine.create(function() error(obj) end)
local ok, e = coroutine.resume(co)
print(ok, e == obj)
assert(not ok and rawequal(e, obj) and coroutine.status(co) == "dead")
print(show(coroutine.resume(coroutine.create(function() error(42) end))))
print(show(coroutine.resume(coroutine.create(function() error() end))))
print(show(coroutine.resume(coroutine.create(function() error("lvl0", 0) end))))
print(show(coroutine.resume(coroutine.create(function() local t = nil; return t.x end))))

-- wrap re-raises; string errors get the caller's position prepended
local gen = coroutine.wrap(function() coroutine.yield(1); error("inner fail") end)
print(gen())
print(show(pcall(function() local r = gen(); return r end)))
print(show(pcall(function() local r = gen(); return r end)))
print(show(pcall(gen)))   -- called directly from pcall: no Lua caller, no prefix
local tgen = coroutine.wrap(function() error({code = 7}) end)
ok, e = pcall(tgen)
print(ok, type(e), e.code)

-- resuming a running or normal coroutine
co = coroutine.create(function() return coroutine.resume(co) end)
print(show(coroutine.resume(co)))
local outer
outer = coroutine.create(function()
  local inner = coroutine.create(function()
    print("outer is", coroutine.status(outer))
    return coroutine.resume(outer)
  end)
  return coroutine.resume(inner)
end)
print(show(coroutine.resume(outer)))
local w
-- (Not a tail call: under polyeval a tail call to a wrap function drops the
-- caller's position from the error; see "Differences from stock Lua".)
w = coroutine.wrap(function() local r = w(); return r end)
print(show(pcall(w)))

-- yield outside any coroutine
print(show(pcall(coroutine.yield, 1)))
print(show(pcall(function() coroutine.yield() end)))
assert(select(2, pcall(coroutine.yield)) == "attempt to yield from outside a coroutine")

-- yield across a C-call boundary (sort comparator, gsub callback)
co = coroutine.create(function()
  table.sort({3, 2, 1}, function(a, b) coroutine.yield() return a < b end)
end)
print(show(coroutine.resume(co)))
co = coroutine.create(function()
  return (string.gsub("ab", ".", function(c) return coroutine.yield(c) end))
end)
print(show(coroutine.resume(co)))

-- close: suspended with pending to-be-closed variables
local function closer(name)
  return setmetatable({}, {__close = function(_, err) print("closing " .. name, err) end})
end
co = coroutine.create(function()
  local a <close> = closer("a")
  local b <close> = closer("b")
  coroutine.yield("paused")
  print("never reached")
end)
print(show(coroutine.resume(co)))
print(show(coroutine.close(co)), coroutine.status(co))
assert(coroutine.status(co) == "dead")
print(show(coroutine.close(co)))
print(show(coroutine.close(coroutine.create(print))))

-- close: dead with an error returns false, err; a second close returns true
co = coroutine.create(function() error("died") end)
coroutine.resume(co)
print(show(coroutine.close(co)))
print(show(coroutine.close(co)))
co = coroutine.create(function() error(obj) end)
coroutine.resume(co)
ok, e = coroutine.close(co)
print(ok, e == obj)

-- close: an erroring __close turns into close's error
co = coroutine.create(function()
  local x <close> = setmetatable({}, {__close = function() error("in close", 0) end})
  coroutine.yield()
end)
coroutine.resume(co)
print(show(coroutine.close(co)))

-- close: running and normal coroutines cannot be closed
co = coroutine.create(function() return pcall(coroutine.close, co) end)
print(show(coroutine.resume(co)))
outer = coroutine.create(function()
  return coroutine.resume(coroutine.create(function() return pcall(coroutine.close, outer) end))
end)
print(show(coroutine.resume(outer)))

-- bad arguments
print(show(pcall(coroutine.create, 1)))
print(show(pcall(coroutine.resume, {})))
print(show(pcall(coroutine.wrap)))
print(show(pcall(coroutine.status, "x")))
print("done")
