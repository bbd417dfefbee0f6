-- Interrupts from Lua (docs/design.md §6): a handler gets the kind and the payload
-- (the same Lua value); `polyeval.raise` delivers before the next
-- statement; interrupts raised while a handler runs queue and arrive once
-- each, in order, after it; `without_interrupts` defers delivery until its
-- function returns or fails; an error in a handler becomes a warning and
-- the program goes on; `warn` is stock Lua's (off until "@on", then
-- `Lua warning: MSG` on stderr) unless a `warning` handler is installed,
-- which then gets every warning with its position.
-- expect-stdout:
-- | note:1 end-of-handler-1 note:2 note:3
-- | same payload: true
-- | section handler:one
-- | results: 3 two
-- | pcall: false inner
-- | after the failed section: section handler:one handler:two
-- | still running
-- | W	w1	interrupts.lua	68
-- | bad raise: bad argument #1 to 'polyeval.raise' (string expected, got number)
-- | bad warn: bad argument #1 to 'warn' (string expected, got no value)
-- | bad timer: bad argument #1 to 'polyeval.timer' (number expected, got string)
-- | previous handler kept: true
-- | done
-- expect-stderr: warning: error in bad handler:
-- expect-stderr: interrupts.lua:54: handler failed
-- expect-stderr: Lua warning: careful: x
local log = {}
polyeval.on_interrupt("note", function(kind, payload)
  log[#log + 1] = kind .. ":" .. tostring(payload)
  if payload == 1 then
    polyeval.raise("note", 2)
    polyeval.raise("note", 3)
    log[#log + 1] = "end-of-handler-1"
  end
end)
polyeval.raise("note", 1)
print(table.concat(log, " "))

local tbl = {}
local got
polyeval.on_interrupt("table", function(_, p) got = p end)
polyeval.raise("table", tbl)
print("same payload: " .. tostring(got == tbl))

local order = {}
local function note(_, p) order[#order + 1] = "handler:" .. p end
polyeval.on_interrupt("x", note)
local r1, r2 = polyeval.without_interrupts(function(a, b)
  polyeval.raise("x", "one")
  order[#order + 1] = "section"
  return a + b, "two"
end, 1, 2)
print(table.concat(order, " "))
print("results: " .. r1 .. " " .. r2)
polyeval.on_interrupt("bad", function() error("handler failed") end)
local ok, e = pcall(polyeval.without_interrupts, function()
  polyeval.raise("x", "two")
  error("inner", 0)
end)
print("pcall: " .. tostring(ok) .. " " .. e)
print("after the failed section: " .. table.concat(order, " "))
polyeval.raise("bad")
print("still running")
warn("hidden: warnings start off")
warn("@on")
warn("careful: ", "x")
warn("@off")
polyeval.on_interrupt("warning", function(kind, msg, file, line) print("W", msg, file:match("[^/]*$"), line) end)
warn("w1")
polyeval.on_interrupt("warning", nil)
print("bad raise: " .. select(2, pcall(polyeval.raise, 42)))
print("bad warn: " .. select(2, pcall(warn)))
print("bad timer: " .. select(2, pcall(polyeval.timer, "soon", "x")))
print("previous handler kept: " .. tostring(polyeval.on_interrupt("x", nil) == note))
print("done")
