-- A program that waits for SIGUSR1 (its handler runs as a detour while it
-- sleeps), then spins in pure Lua until SIGINT, which has no handler.
local got = 0
polyeval.on_interrupt("SIGUSR1", function(kind, signo)
  got = got + 1
  print("handler: " .. kind .. " " .. signo)
end)
print("ready")
while got == 0 do
  polyeval.sleep(0.01)
end
print("spinning")
io.flush()
local function spin()
  local i = 0
  while true do
    i = i + 1
  end
end
spin()
