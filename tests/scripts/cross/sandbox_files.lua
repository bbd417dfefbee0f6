-- --lua-stdlib sandbox without allow-read: no file loads, by any loader and
-- from either interpreter, and every refusal has the same text whether the
-- file exists, is missing, is a folder, or is reached through `..`.
-- lua-stdlib: sandbox
-- expect-stdout:
-- | smop.load: 6 refusals: smop.load: loading files is not allowed in this sandbox
-- | Lua:require from Lua: 6 refusals: Lua.require: loading files is not allowed in this sandbox
-- | Lua."require" from m0ld: 6 refusals: Lua.require: loading files is not allowed in this sandbox
-- | smop.load from Lua.eval from m0ld: 6 refusals: smop.load: loading files is not allowed in this sandbox
-- | binary chunk through Lua:eval: false
-- | counter.lua never ran: true
local dir = arg[0]:match("^(.*)/") or "."
local Lua = smop.lookup("Lua")

local function m0ld(body)
  return smop.eval('my $interpreter; my $scope; my $Lua = $scope."lookup"("Lua"); $Lua = $Lua."FETCH"(); ' .. body)
end

local loaders = {
  { "smop.load", function(p) return smop.load(p) end },
  { "Lua:require from Lua", function(p) return Lua:require(p) end },
  { 'Lua."require" from m0ld', function(p) return m0ld('$Lua."require"("' .. p .. '");') end },
  { "smop.load from Lua.eval from m0ld",
    function(p) return m0ld('$Lua."eval"("return smop.load([[' .. p .. ']])");') end },
}
local paths = { "lib/identity.m0ld", "lib/counter.lua", "lib/missing.m0ld", "lib",
  "lib/../sandbox.lua", "../../scripts_runner.rs" }

for _, l in ipairs(loaders) do
  local name, load_it = l[1], l[2]
  local seen, texts, n = {}, {}, 0
  for _, p in ipairs(paths) do
    local ok, e = pcall(load_it, dir .. "/" .. p)
    -- An error raised in m0ld code carries its position there, and one
    -- that smop.load raises its caller's, as a C function's error does.
    local text = ok and "loaded " .. p
      or tostring(e):gsub("^<smop%.eval>:%d+:%d+: ", ""):gsub("^[^\n]-:%d+: ", "")
    n = n + 1
    if not seen[text] then
      seen[text] = true
      texts[#texts + 1] = text
    end
  end
  print(name .. ": " .. n .. " refusals: " .. table.concat(texts, " | "))
end
print("binary chunk through Lua:eval: " .. tostring((pcall(Lua.eval, Lua, "\27Lua\84\0junk"))))
print("counter.lua never ran: " .. tostring(loads == nil))
