-- Timers: polyeval.timer(seconds, kind [, payload [, every]]) raises `kind`
-- once after `seconds`, or, with `every`, again every `every` seconds until
-- its :cancel(). The handler runs as a detour, here while the program
-- sleeps (polyeval.sleep lets interrupts in and then goes on sleeping).
--   polyeval run examples/interrupts/timers.lua
local ticks = 0
polyeval.on_interrupt("tick", function(kind, payload)
  ticks = ticks + 1
  print(string.format("%s %d (%s)", kind, ticks, payload))
end)
local t = polyeval.timer(0.05, "tick", "every 50 ms", 0.05)
polyeval.on_interrupt("alarm", function(kind, payload)
  print("alarm: " .. payload)
  t:cancel()
end)
polyeval.timer(0.22, "alarm", "stop ticking")
polyeval.sleep(0.4)
print(string.format("ticked %d times", ticks))
