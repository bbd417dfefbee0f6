-- A Lua module for Lua.require from m0ld: runs once, returns a table.
loads = (loads or 0) + 1
local M = { count = 0 }
function M:add(n)
  self.count = self.count + n
  return self.count
end
return M
