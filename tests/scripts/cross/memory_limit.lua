-- With --lua-memory-limit, running out of memory is a Lua error that
-- pcall catches; the program goes on, and calls into SMOP still work.
-- lua-memory-limit: 3000000
-- expect-stdout:
-- | caught: not enough memory
-- | table freed, Lua still runs: 6
-- | SMOP still answers: 0
-- | done
local ok, err = pcall(function()
  local t = {}
  for i = 1, 1e7 do t[i] = ("x"):rep(64) .. i end
  return #t
end)
print("caught: " .. tostring(not ok and err))
collectgarbage()
local s = 0
for i = 1, 3 do s = s + i end
print("table freed, Lua still runs: " .. s)
print("SMOP still answers: " .. smop.lookup("Hash"):new():elems())
print("done")
