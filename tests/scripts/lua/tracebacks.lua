-- Tracebacks: debug.traceback message/level arguments, frame names (local,
-- upvalue, global, field, method), tail calls, coroutines, xpcall, getinfo.
-- lua-stdlib: all
-- expect-stdout:
-- | message placement checked
-- | table message:	true	true	1
-- | from inner
-- | inner/outer:
-- |   > tracebacks.lua:80: in upvalue 'inner'
-- |   > tracebacks.lua:81: in local 'outer'
-- |   > tracebacks.lua:82: in main chunk
-- | global/field/method:
-- |   > tracebacks.lua:86: in function 'global_fn'
-- |   > tracebacks.lua:88: in field 'field_fn'
-- |   > tracebacks.lua:89: in method 'method_fn'
-- |   > tracebacks.lua:90: in main chunk
-- | level 1:
-- |   > tracebacks.lua:95: in upvalue 'lv'
-- |   > tracebacks.lua:96: in local 'calls_lv'
-- | level 2:
-- |   > tracebacks.lua:96: in local 'calls_lv'
-- |   > tracebacks.lua:98: in main chunk
-- | recursion:
-- |   > tracebacks.lua:101: in upvalue 'rec'
-- |   > tracebacks.lua:101: in upvalue 'rec'
-- |   > tracebacks.lua:101: in upvalue 'rec'
-- |   > tracebacks.lua:101: in local 'rec'
-- |   > tracebacks.lua:102: in main chunk
-- | tail call:
-- |   > tracebacks.lua:103: in function <tracebacks.lua:103>
-- |   > (...tail calls...)
-- |   > tracebacks.lua:105: in main chunk
-- | deep traceback abbreviated:	true
-- | false	tracebacks.lua:116: attempt to index a nil value (local 'x')
-- | xpcall:
-- |   > tracebacks.lua:116: in function <tracebacks.lua:116>
-- | suspended coroutine shows waiter:	true
-- | level 1 shows waiter:	true
-- | msg
-- | tracebacks.lua:136: crashed
-- | dead coroutine:
-- |   > [C]: in function 'error'
-- |   > tracebacks.lua:136: in local 'crash'
-- | probe	local	Lua	tracebacks.lua	143	143	144
-- | C	[C]	=[C]
-- | done

local function norm(m) return (tostring(m):gsub("[^%s:<>'\"]*[/\\]([%w_]+%.lua)", "%1")) end
-- print the frames of a traceback down to the main chunk (at most max frames);
-- the frames below the main chunk depend on the host, so they are never shown
local function frames(label, tb, max)
  print(label .. ":")
  local n = 0
  for line in (tb .. "\n"):gmatch("(.-)\n") do
    if line:sub(1, 1) == "\t" then
      n = n + 1
      if n > (max or math.huge) then break end
      print("  > " .. norm(line:sub(2)))
      if line:find("in main chunk", 1, true) then break end
    end
  end
end

-- the message, if any, comes first, then "stack traceback:"
local tb = debug.traceback()
assert(tb:sub(1, 17) == "stack traceback:\n")
tb = debug.traceback("hello")
assert(tb:find("^hello\nstack traceback:\n\t"))
tb = debug.traceback(12)
assert(tb:find("^12\nstack traceback:\n"))
assert(debug.traceback(nil):find("^stack traceback:\n"))
print("message placement checked")

-- non-string, non-number messages are returned untouched
local t = {}
assert(rawequal(debug.traceback(t), t))
print("table message:", rawequal(debug.traceback(t), t), debug.traceback(true), select("#", debug.traceback(t)))

-- frame names: upvalue, local, global, field, method
local function inner() return debug.traceback("from inner") end
local function outer() local s = inner(); return s end
tb = outer()
print((tb:match("^[^\n]*")))
assert(tb:find("in upvalue 'inner'", 1, true) and tb:find("in local 'outer'", 1, true))
frames("inner/outer", tb)
function global_fn() return debug.traceback() end
local obj = {}
function obj.field_fn() local s = global_fn(); return s end
function obj:method_fn() local s = obj.field_fn(); return s end
tb = obj:method_fn()
assert(tb:find("in function 'global_fn'", 1, true))
frames("global/field/method", tb)

-- the level argument skips frames (level 1 = the caller of traceback)
local function lv(level) return debug.traceback("lv", level) end
local function calls_lv(level) local s = lv(level); return s end
frames("level 1", calls_lv(1), 2)
frames("level 2", calls_lv(2), 2)

-- recursion and tail calls
local function rec(n) if n == 0 then return debug.traceback() end local s = rec(n - 1); return s end
frames("recursion", rec(3))
local function tail_target() return debug.traceback() end
local function tail_caller() return tail_target() end
tb = tail_caller()
assert(tb:find("(...tail calls...)", 1, true))
frames("tail call", tb)

-- very deep stacks are abbreviated
local function deep(n) if n == 0 then return debug.traceback() end local s = deep(n - 1); return s end
tb = deep(60)
assert(tb:find("\n\t...\t(skipping ", 1, true))
print("deep traceback abbreviated:", tb:find("(skipping", 1, true) ~= nil)

-- xpcall with debug.traceback as the message handler
local ok, msg = xpcall(function() local x = nil; return x.y end, debug.traceback)
assert(not ok and msg:find("\nstack traceback:\n", 1, true))
print(ok, norm(msg:match("^[^\n]*")))
frames("xpcall", msg, 1)
assert(msg:find("in function 'xpcall'", 1, true))

-- traceback of a suspended coroutine, and of one that died with an error
local co = coroutine.create(function()
  local function waiter() coroutine.yield() end
  waiter()
end)
coroutine.resume(co)
tb = debug.traceback(co)
assert(tb:find("^stack traceback:\n"))
-- (The frames above `waiter` differ under polyeval, whose coroutine.yield
-- is a Lua wrapper: see "Differences from stock Lua" in the README.)
print("suspended coroutine shows waiter:", tb:find("in local 'waiter'", 1, true) ~= nil)
print("level 1 shows waiter:", debug.traceback(co, "m", 1):find("in local 'waiter'", 1, true) ~= nil)
print((debug.traceback(co, "msg"):match("^[^\n]*")))
co = coroutine.create(function()
  local function crash() error("crashed") end
  crash()
end)
print(norm(select(2, coroutine.resume(co))))
frames("dead coroutine", debug.traceback(co), 2)

-- debug.getinfo basics
local function probe() return debug.getinfo(1, "nSl"), debug.getinfo(2, "l") end
local info, callerinfo = probe()
print(info.name, info.namewhat, info.what, norm(info.short_src), info.currentline, info.linedefined, callerinfo.currentline)
local cinfo = debug.getinfo(print, "S")
print(cinfo.what, cinfo.short_src, cinfo.source)
print("done")
