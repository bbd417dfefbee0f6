-- `warn` as stock Lua 5.4's: warnings start off; "@on" and "@off"
-- switch them; other control messages are ignored; pieces are
-- concatenated (numbers too); an error in a __gc metamethod is a
-- warning; bad arguments are stock's errors. Expected outputs from stock
-- `lua` 5.4.8.
-- expect-stdout:
-- | false	bad argument #1 to 'warn' (string expected, got no value)
-- | false	bad argument #2 to 'warn' (string expected, got table)
-- | done
-- expect-stderr: Lua warning: ab1
-- expect-stderr: Lua warning: error in __gc (
-- expect-stderr: warn_stock.lua:19: in gc)
warn("hidden")
warn("@on")
warn("a", "b", 1)
warn("@unknown")
local function gc_fails()
  setmetatable({}, { __gc = function()
    error("in gc")
  end })
end
gc_fails()
collectgarbage()
warn("@off")
warn("hidden2")
print(pcall(warn))
print(pcall(warn, "x", {}))
print("done")
