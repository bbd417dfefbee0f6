-- Timers: a repeating timer raises its kind until cancelled; a one-shot
-- timer fires once with its payload; `polyeval.sleep` lets handlers run
-- as detours while it waits; a timer's payload must cross threads.
-- expect-stdout:
-- | ticks reached 3
-- | at most one tick after cancel: true
-- | one-shot payload: hello
-- | fired once: 1
-- | bad payload: false
-- | timer object: Timer
local ticks = 0
polyeval.on_interrupt("tick", function() ticks = ticks + 1 end)
local t = polyeval.timer(0.01, "tick", nil, 0.01)
local guard = 0
while ticks < 3 do
  polyeval.sleep(0.005)
  guard = guard + 1
  assert(guard < 4000, "the repeating timer did not fire")
end
t:cancel()
print("ticks reached 3")
local seen = ticks
polyeval.sleep(0.05)
print("at most one tick after cancel: " .. tostring(ticks - seen <= 1))

local fired, count = nil, 0
polyeval.on_interrupt("once", function(_, p) fired, count = p, count + 1 end)
polyeval.timer(0.02, "once", "hello")
guard = 0
while not fired do
  polyeval.sleep(0.01)
  guard = guard + 1
  assert(guard < 2000, "the one-shot timer did not fire")
end
polyeval.sleep(0.05)
print("one-shot payload: " .. fired)
print("fired once: " .. count)
print("bad payload: " .. tostring((pcall(polyeval.timer, 1, "x", {}))))
print("timer object: " .. tostring(t):match("^Timer"))
