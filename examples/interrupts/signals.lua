-- OS signals as interrupts. Handlers for SIGUSR1, SIGUSR2 and SIGHUP print
-- and let the program go on; SIGTERM's handler asks it to finish cleanly.
-- SIGINT has no handler here: Ctrl-C prints where the program was and
-- exits with status 130. It gives up by itself after SECONDS (default 30).
--   polyeval run examples/interrupts/signals.lua 5 & pid=$!
--   sleep 1; kill -USR1 $pid; kill -HUP $pid; kill -TERM $pid; wait $pid
local seconds = tonumber(arg[1]) or 30
local done = false
local function report(kind, signo)
  print(string.format("got %s (signal %d)", kind, signo))
end
polyeval.on_interrupt("SIGUSR1", report)
polyeval.on_interrupt("SIGUSR2", report)
polyeval.on_interrupt("SIGHUP", report)
polyeval.on_interrupt("SIGTERM", function(kind, signo)
  report(kind, signo)
  done = true
end)
polyeval.timer(seconds, "give-up")
polyeval.on_interrupt("give-up", function() done = true end)
print("waiting for signals")
while not done do
  polyeval.sleep(0.05)
end
print("finished cleanly")
