-- A `warning` handler gets every Lua warning, whether Lua's warnings are
-- on or off, Lua's own ones (an error in __gc) too, and never control
-- messages; with it gone, warnings are Lua's again.
-- expect-stdout:
-- | got: plain | two pieces | error in __gc (boom)
-- | done
-- expect-stderr: Lua warning: after the handler
local seen = {}
polyeval.on_interrupt("warning", function(_, msg) seen[#seen + 1] = msg end)
warn("plain")
warn("@on")
warn("two ", "pieces")
setmetatable({}, { __gc = function() error("boom", 0) end })
collectgarbage()
warn("@off")
polyeval.on_interrupt("warning", nil)
print("got: " .. table.concat(seen, " | "))
warn("@on")
warn("after the handler")
print("done")
