-- Running out of Lua memory inside a send (pushing a big string result)
-- is a Lua error that pcall catches; the program goes on.
-- lua-memory-limit: 3000000
-- expect-stdout:
-- | caught: not enough memory
-- | fetched before: true
-- | still answers: 1200000
-- | done
local Scalar = smop.lookup("Scalar")
local s = Scalar:new()
s:STORE(("x"):rep(1200000))
collectgarbage()
local kept = {}
local ok, err = pcall(function()
  for i = 1, 10 do kept[i] = s:FETCH() end
end)
print("caught: " .. tostring(not ok and err))
print("fetched before: " .. tostring(#kept >= 1 and #kept < 10))
kept = nil
collectgarbage()
print("still answers: " .. #s:FETCH())
print("done")
