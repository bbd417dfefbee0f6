-- Sends to SMOP objects are C functions: a pending answer (an m0ld Code)
-- from every kind of Lua place, errors raised inside a send caught by
-- pcall with their messages, and proxy identity.
-- expect-stdout:
-- | ok 1 - main chunk
-- | ok 2 - main chunk, as a method
-- | ok 3 - inside pcall
-- | ok 4 - coroutine
-- | ok 5 - nested coroutine
-- | ok 6 - coroutine yields around a pending send
-- | ok 7 - __index metamethod
-- | ok 8 - __add metamethod
-- | ok 9 - table.sort comparator (no yield)
-- | ok 10 - string.gsub callback (no yield)
-- | ok 11 - coroutine resumed where Lua cannot yield
-- | unknown method:	false	raw_sends.lua:84: unknown method "nosuch" for Hash
-- | missing argument:	false	missing positional argument 0 (the capture has 0)
-- | m0ld failure:	false	die.m0ld:11:5: boom
-- | Lua error through m0ld:	false	from Lua
-- | error value kept:	false	7
-- | failure where Lua cannot yield:	false	die.m0ld:11:5: in sort
-- | ok 12 - a proxy comes back as itself
-- | ok 13 - == is identity
-- | ok 14 - the same object, the same proxy
-- | ok 15 - tostring sends Str
-- | ok 16 - a proxy's metatable is hidden
-- | done
local dir = arg[0]:match("^(.*)/") or "."
local apply = smop.load(dir .. "/lib/apply.m0ld")
local fail = smop.load(dir .. "/lib/die.m0ld")
local n = 0
local function check(what, cond)
  n = n + 1
  print((cond and "ok " or "not ok ") .. n .. " - " .. what)
end
local function inc(x) return x + 1 end
local call = apply["postcircumfix:( )"]

check("main chunk", apply(inc, 1) == 2)
check("main chunk, as a method", call(apply, inc, 2) == 3)
check("inside pcall", select(2, pcall(apply, inc, 3)) == 4)
check("coroutine", coroutine.wrap(function() return apply(inc, 4) end)() == 5)
check("nested coroutine", coroutine.wrap(function()
  local inner = coroutine.wrap(function()
    coroutine.yield(apply(inc, 5))
    return apply(inc, 6)
  end)
  local a = inner()
  return a + inner()
end)() == 13)
check("coroutine yields around a pending send", (function()
  local co = coroutine.create(function(x)
    local y = coroutine.yield(apply(inc, x))
    return apply(inc, y)
  end)
  local _, a = coroutine.resume(co, 10)
  local _, b = coroutine.resume(co, a * 2)
  return a == 11 and b == 23 and coroutine.status(co) == "dead"
end)())
local mt = {
  __index = function(_, k) return apply(inc, k) end,
  __add = function(a, b) return apply(inc, a.v + b.v) end,
}
local o = setmetatable({ v = 1 }, mt)
check("__index metamethod", o[41] == 42)
check("__add metamethod", o + o == 3)
local t = { 3, 1, 2 }
table.sort(t, function(a, b) return apply(inc, a) < apply(inc, b) end)
check("table.sort comparator (no yield)", table.concat(t, ",") == "1,2,3")
check("string.gsub callback (no yield)",
  ("1 2"):gsub("%d", function(d) return apply(inc, tonumber(d)) end) == "2 3")
check("coroutine resumed where Lua cannot yield", (function()
  local co = coroutine.wrap(function(x) return apply(inc, x) end)
  local u = { 2, 1 }
  local got
  table.sort(u, function(a, b) got = got or co(40) return a < b end)
  return got == 41
end)())

-- Errors raised inside a send (positions without their folders).
local function msg(ok_, err) return ok_, (tostring(err):gsub("^[^ ]*/", "")) end
local Hash = smop.lookup("Hash")
local h = Hash:new()
local ok, e = pcall(function() local r = h:nosuch() return r end)
print("unknown method:", msg(ok, e))
ok, e = pcall(h["postcircumfix:{ }"], h)
print("missing argument:", msg(ok, e))
ok, e = pcall(fail, "boom")
print("m0ld failure:", msg(ok, e))
ok, e = pcall(function() local r = apply(function() error("from Lua", 0) end) return r end)
print("Lua error through m0ld:", ok, e)
ok, e = pcall(function() local r = apply(function() error({ code = 7 }) end) return r end)
print("error value kept:", ok, type(e) == "table" and e.code)
local shown = false
table.sort({ 2, 1 }, function(a, b)
  local okk, ee = pcall(fail, "in sort")
  if not shown then print("failure where Lua cannot yield:", msg(okk, ee)) end
  shown = true
  return a < b
end)

-- Identity.
check("a proxy comes back as itself", rawequal(apply(function(x) return x end, h), h))
check("== is identity", apply(function(x) return x end, h) == h and h ~= Hash:new())
check("the same object, the same proxy", rawequal(smop.lookup("Hash"), Hash))
check("tostring sends Str", type(tostring(h)) == "string")
check("a proxy's metatable is hidden", getmetatable(h) == false)
print("done")
