-- Lua counts nested C calls and fails at its limit (200). Preemption,
-- which yields to the run loop, must not reset that count: an endless
-- pcall recursion fails at the same depth under every step quantum.
-- (The main chunk of stock `lua` runs one C call deeper than polyeval's,
-- so the depth is 198 there and 199 here.)
-- expect-stdout:
-- | pcall recursion:	true	C stack overflow
-- | handler overflow:	false	true
-- | nested coroutines:	false	true	true
-- | again:	true	C stack overflow
local depth = 0
local msg
local function loop()
  depth = depth + 1
  local ok, e = pcall(loop)
  if not ok and not msg then msg = e end
end
loop()
print("pcall recursion:", depth == 198 or depth == 199, msg)
-- An xpcall whose handler overflows too: an error in error handling.
local function again() assert(pcall(again)) end
local ok, e = xpcall(again, again)
print("handler overflow:", ok, string.find(e, "error") ~= nil)
-- Coroutines nested without end.
local n = 0
local function nest() n = n + 1; coroutine.wrap(nest)() end
local ok2, e2 = pcall(nest)
print("nested coroutines:", ok2, string.find(e2, "C stack overflow$") ~= nil, n > 150 and n < 200)
-- The count comes back down: the same recursion again fails as deep.
local first = depth
depth, msg = 0, nil
loop()
print("again:", depth == first, msg)
