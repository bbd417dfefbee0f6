-- Errors cross both ways: pcall catches SMOP failures (message names the
-- method or the m0ld position), Lua error values cross m0ld unchanged, and
-- m0ld's catch receives Lua errors.
local dir = arg[0]:match("^(.*)/") or "."
local function norm(m) return (tostring(m):gsub("[^%s:]*/", "")) end
local apply = smop.load(dir .. "/lib/apply.m0ld")
local fail = smop.load(dir .. "/lib/die.m0ld")
local catcher = smop.load(dir .. "/lib/catcher.m0ld")
local n = 0
local function check(what, cond, extra)
  n = n + 1
  print((cond and "ok " or "not ok ") .. n .. " - " .. what .. (extra and (" # " .. norm(extra)) or ""))
end
local Hash = smop.lookup("Hash")

local ok, e = pcall(function() local r = Hash:frobnicate(); return r end)
check("unknown SMOP method is a Lua error", not ok and e:find("errors.lua:16: unknown method \"frobnicate\" for Hash", 1, true), e)

ok, e = pcall(fail, "no more")
check("m0ld die reaches pcall with its m0ld position", not ok and norm(e) == "die.m0ld:11:5: no more", e)

ok, e = pcall(apply, function() error("from lua") end)
check("Lua error through m0ld keeps its position", not ok and norm(e) == "errors.lua:22: from lua", e)

local obj = setmetatable({ code = 7 }, { __tostring = function() return "obj7" end })
ok, e = pcall(apply, function() error(obj) end)
check("Lua error value through m0ld is the same value", not ok and rawequal(e, obj))

ok, e = pcall(apply, function() error(nil) end)
check("nil error value survives", not ok and e == nil)

local r = catcher(function() error("lua boom", 0) end)
check("m0ld catch receives a Lua error", r == "caught Raised: lua boom", r)

r = catcher(function() local x = nil; return x.y end)
check("m0ld catch receives a Lua runtime error", r:find("^caught Raised: .*errors.lua:35: attempt to index a nil value") ~= nil, r)

r = catcher(function() return "fine" end)
check("no error, no catch", r == "fine", r)

-- An error from a native SMOP method called by m0ld called by Lua.
ok, e = pcall(apply, function() return Hash:new():nope() end)
check("native failure two crossings deep", not ok and e:find("unknown method \"nope\" for Hash", 1, true) ~= nil, e)

-- xpcall with a traceback handler across the bridge.
ok, e = xpcall(apply, function(m) return "handled: " .. norm(m) end, function() error("deep") end)
check("xpcall handler sees the error", not ok and e == "handled: errors.lua:46: deep", e)
-- Loading bad m0ld from Lua: a missing file and a compile error.
ok, e = pcall(smop.load, dir .. "/lib/no_such_file.m0ld")
check("smop.load of a missing file", not ok and e:find("smop.load: cannot read", 1, true) ~= nil, e)
ok, e = pcall(smop.eval, "my $x = ;")
check("smop.eval of bad m0ld names the position", not ok and e:find("<smop.eval>:1:", 1, true) ~= nil)
ok, e = pcall(smop.eval, 42)
check("smop.eval of a number is a type error", not ok and e:find("string", 1, true) ~= nil, e)
print("1.." .. n)
