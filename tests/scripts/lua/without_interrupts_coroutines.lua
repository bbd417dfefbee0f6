-- A `polyeval.without_interrupts` section belongs to the coroutine that
-- opened it: while that coroutine is suspended inside the section,
-- delivery stays deferred; the section ends when the coroutine finishes,
-- fails, is closed, or is abandoned and collected. Nothing is lost.
-- expect-stdout:
-- | abandoned and collected: 1
-- | deferred while suspended inside: 1
-- | closed, then delivered in order: 1 2 3
-- | finished: 1 2 3 4 5
-- | failed: 1 2 3 4 5 6 7 (false)
local seen = {}
polyeval.on_interrupt("note", function(_, p) seen[#seen + 1] = p end)
local function section_that_yields()
  polyeval.without_interrupts(function() coroutine.yield() end)
end

local c = coroutine.create(section_that_yields)
coroutine.resume(c)
c = nil
collectgarbage()
collectgarbage()
polyeval.raise("note", 1)
print("abandoned and collected: " .. table.concat(seen, " "))

local c2 = coroutine.create(section_that_yields)
coroutine.resume(c2)
polyeval.raise("note", 2)
print("deferred while suspended inside: " .. table.concat(seen, " "))
coroutine.close(c2)
polyeval.raise("note", 3)
print("closed, then delivered in order: " .. table.concat(seen, " "))

local c3 = coroutine.create(section_that_yields)
coroutine.resume(c3)
polyeval.raise("note", 4)
coroutine.resume(c3)
polyeval.raise("note", 5)
print("finished: " .. table.concat(seen, " "))

local c4 = coroutine.create(function()
  polyeval.without_interrupts(function() coroutine.yield(); error("boom") end)
end)
coroutine.resume(c4)
polyeval.raise("note", 6)
local ok = coroutine.resume(c4)
polyeval.raise("note", 7)
print("failed: " .. table.concat(seen, " ") .. " (" .. tostring(ok) .. ")")
