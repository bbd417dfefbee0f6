-- Lua functions that another interpreter calls run on pooled driver
-- threads: one that fails closes its pending <close> variables before the
-- caller sees the error (an error in a __close replaces it), and its
-- thread serves later calls; a thread that returns is reused as it is.
-- expect-stdout:
-- | failed:	false	boom	a after boom
-- | replaced:	false	from __close	b after first
-- | returns:	7	c
-- | many calls:	45150
-- | a driver thread inside a coroutine is part of it:	true	2
-- | done
local dir = arg[0]:match("^(.*)/") or "."
local apply = smop.load(dir .. "/lib/apply.m0ld")
local log = {}
local function closing(name, fail)
  return setmetatable({}, { __close = function(_, e)
    log[#log + 1] = name .. (e and (" after " .. tostring(e)) or "")
    if fail then error(fail, 0) end
  end })
end
local ok, e = pcall(apply, function()
  local a <close> = closing("a")
  error("boom", 0)
end)
print("failed:", ok, e, table.concat(log, "; "))
log = {}
ok, e = pcall(apply, function()
  local a <close> = closing("b", "from __close")
  error("first", 0)
end)
print("replaced:", ok, e, table.concat(log, "; "))
log = {}
print("returns:", apply(function() local c <close> = closing("c") return 7 end), table.concat(log, "; "))
local s = 0
for i = 1, 300 do s = s + apply(function(x) return x end, i) end
print("many calls:", s)
local co = coroutine.wrap(function()
  local r = apply(function() return coroutine.isyieldable() end)
  coroutine.yield(r)
  return apply(function() return select("#", coroutine.running()) end)
end)
print("a driver thread inside a coroutine is part of it:", co(), co())
print("done")
