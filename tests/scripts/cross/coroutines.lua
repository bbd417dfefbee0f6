-- User coroutines and coroutine.wrap generators that call into SMOP (m0ld
-- Code that calls Lua back), nested coroutines, and yields after the calls.
-- expect-stdout:
-- | gen 1 2 3 4 5
-- | sum 15
-- | inner status while running: running
-- | outer status seen from inner: normal
-- | nested: outer got 10 then 20
-- | yield across pcall after a SMOP call: 7 true
-- | coroutine error from m0ld callback: false boom
-- | wrap error: true
-- | statuses: dead suspended
-- | done
local dir = arg[0]:match("^(.*)/") or "."
local apply = smop.load(dir .. "/lib/apply.m0ld")
local id = smop.load(dir .. "/lib/identity.m0ld")

-- A generator: each value goes through m0ld and back into Lua.
local gen = coroutine.wrap(function()
  for i = 1, 5 do
    coroutine.yield(apply(function(x) return id(x) end, i))
  end
end)
local got = {}
for _ = 1, 5 do got[#got + 1] = gen() end
print("gen " .. table.concat(got, " "))

-- coroutine.resume / yield with values passing through SMOP.
local sum = 0
local co = coroutine.create(function(a)
  while a do
    sum = sum + apply(function(x) return x end, a)
    a = coroutine.yield(sum)
  end
end)
for i = 1, 5 do assert(coroutine.resume(co, i)) end
print("sum " .. sum)

-- Nested: the inner coroutine calls SMOP, which calls Lua, which yields
-- nothing; the outer one resumes the inner one twice.
local outer
outer = coroutine.create(function()
  local inner = coroutine.create(function()
    print("inner status while running: " .. apply(function() return coroutine.status(coroutine.running()) end))
    print("outer status seen from inner: " .. coroutine.status(outer))
    coroutine.yield(apply(function(x) return x * 10 end, 1))
    return apply(function(x) return x * 10 end, 2)
  end)
  local _, a = coroutine.resume(inner)
  local _, b = coroutine.resume(inner)
  coroutine.yield(a, b)
end)
local _, a, b = coroutine.resume(outer)
print("nested: outer got " .. a .. " then " .. b)

-- Yield across pcall inside a coroutine, after a call into SMOP.
co = coroutine.create(function()
  local ok = pcall(function()
    local v = apply(function() return 7 end)
    coroutine.yield(v)
  end)
  return ok
end)
local _, v = coroutine.resume(co)
local _, ok = coroutine.resume(co)
print("yield across pcall after a SMOP call: " .. v .. " " .. tostring(ok))

-- An error raised in a Lua callback called by m0ld inside a coroutine ends
-- the coroutine with that error.
co = coroutine.create(function() return apply(function() error("boom", 0) end) end)
local cok, cerr = coroutine.resume(co)
print("coroutine error from m0ld callback: " .. tostring(cok) .. " " .. cerr)
local w = coroutine.wrap(function() apply(function() error("wrapped", 0) end) end)
local wok, werr = pcall(w)
print("wrap error: " .. tostring(not wok and werr == "wrapped"))
print("statuses: " .. coroutine.status(co) .. " " .. coroutine.status(outer))
print("done")
