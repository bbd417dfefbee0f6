-- debug.sethook beside polyeval's own hooks (--lua-stdlib all): the
-- user's line, call/return and count hooks see their events; gethook
-- answers what the user set (nil when nothing); clearing the user's hook
-- leaves polyeval's preemption, budgets and probes working (this script
-- runs under probes every step too); interrupts delivered while a user
-- hook is set do not remove it.
-- lua-stdlib: all
-- expect-stdout:
-- | no hook: nil
-- | line hook saw lines: true
-- | cleared: nil
-- | call/return: true	true
-- | count hook fired: true
-- | gethook: function	cl	5
-- | handler ran: true
-- | user hook survived the interrupt: true
-- | coroutine hook: true	nil
print("no hook: " .. tostring(debug.gethook()))
local lines = {}
debug.sethook(function(ev, line)
  assert(ev == "line")
  lines[#lines + 1] = line
end, "l")
local x = 0
for i = 1, 3 do
  x = x + i
end
debug.sethook()
print("line hook saw lines: " .. tostring(#lines >= 3))
print("cleared: " .. tostring(debug.gethook()))

local calls, returns = 0, 0
local function f() return 1 end
debug.sethook(function(ev)
  if ev == "call" or ev == "tail call" then calls = calls + 1 elseif ev == "return" then returns = returns + 1 end
end, "cr")
f(); f()
debug.sethook()
print("call/return: " .. tostring(calls >= 2) .. "\t" .. tostring(returns >= 2))

local counts = 0
debug.sethook(function(ev) assert(ev == "count"); counts = counts + 1 end, "", 10)
for _ = 1, 1000 do end
debug.sethook()
print("count hook fired: " .. tostring(counts >= 50))

debug.sethook(function() end, "lc", 5)
local hf, hm, hc = debug.gethook()
debug.sethook()
print("gethook: " .. type(hf) .. "\t" .. hm .. "\t" .. hc)

local ran = false
polyeval.on_interrupt("note", function() ran = true end)
local seen = 0
debug.sethook(function() seen = seen + 1 end, "l")
polyeval.raise("note")
local before = seen
local y = 0
for i = 1, 5 do
  y = y + i
end
local after = seen
debug.sethook()
print("handler ran: " .. tostring(ran))
print("user hook survived the interrupt: " .. tostring(after > before))

local co = coroutine.create(function()
  local n = 0
  debug.sethook(function() n = n + 1 end, "l")
  local z = 0
  z = z + 1
  z = z + 1
  debug.sethook()
  return n
end)
local _, n = coroutine.resume(co)
print("coroutine hook: " .. tostring(n >= 2) .. "\t" .. tostring(debug.gethook()))
