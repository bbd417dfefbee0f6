-- --lua-stdlib sandbox with --allow-read lib: files under lib/ load through
-- every loader; nothing outside it does, `..` and all; errors inside the
-- allowed folder are the usual ones.
-- lua-stdlib: sandbox
-- allow-read: lib
-- expect-stdout:
-- | smop.load inside: 42
-- | Lua:require inside: loads 1, count 2
-- | Lua."require" from m0ld, cached: count 5, loads 1
-- | missing inside: smop.load: cannot read <dir>/lib/missing.m0ld: No such file or directory (os error 2)
-- | folder inside: cannot read <dir>/lib: Is a directory (os error 21)
-- | lib/../sandbox.lua: smop.load: loading files is not allowed in this sandbox
-- | sandbox.lua: Lua.require: loading files is not allowed in this sandbox
-- | ../../scripts_runner.rs: smop.load: loading files is not allowed in this sandbox
local dir = arg[0]:match("^(.*)/") or "."
local Lua = smop.lookup("Lua")
local function show(e)
  local s = tostring(e)
  local i, j = s:find(dir, 1, true)
  while i do
    s = s:sub(1, i - 1) .. "<dir>" .. s:sub(j + 1)
    i, j = s:find(dir, i + 5, true)
  end
  return s
end

local id = smop.load(dir .. "/lib/identity.m0ld")
print("smop.load inside: " .. id(42))
local m = Lua:require(dir .. "/lib/counter.lua")
print("Lua:require inside: loads " .. loads .. ", count " .. m:add(2))
local again = smop.eval('my $interpreter; my $scope; my $Lua = $scope."lookup"("Lua"); $Lua = $Lua."FETCH"(); '
  .. '$Lua."require"("' .. dir .. '/lib/counter.lua");')
print('Lua."require" from m0ld, cached: count ' .. again:add(3) .. ", loads " .. loads)
print("missing inside: " .. show(select(2, pcall(smop.load, dir .. "/lib/missing.m0ld"))))
print("folder inside: " .. show(select(2, pcall(Lua.require, Lua, dir .. "/lib"))))
print("lib/../sandbox.lua: " .. show(select(2, pcall(smop.load, dir .. "/lib/../sandbox.lua"))))
print("sandbox.lua: " .. show(select(2, pcall(Lua.require, Lua, dir .. "/sandbox.lua"))))
print("../../scripts_runner.rs: " .. show(select(2, pcall(smop.load, dir .. "/../../scripts_runner.rs"))))
