-- Values cross the bridge unchanged: binary strings, integers vs floats,
-- nil vs false; tables, functions, threads and SMOP objects by reference.
local dir = arg[0]:match("^(.*)/") or "."
local id = smop.load(dir .. "/lib/identity.m0ld")
local n = 0
local function check(what, cond)
  n = n + 1
  print((cond and "ok " or "not ok ") .. n .. " - " .. what)
end
local t, f, co = {}, function() end, coroutine.create(function() end)
check("table keeps identity", id(t) == t and rawequal(id(t), t))
check("function keeps identity", id(f) == f)
check("thread keeps identity", id(co) == co)
local Hash = smop.lookup("Hash")
local h = Hash:new()
check("SMOP object keeps identity", rawequal(id(h), h) and id(h) == h)
check("same SMOP object, same proxy", rawequal(smop.lookup("Hash"), Hash))
check("different SMOP objects differ", Hash:new() ~= h)
local bin = "\0\1\2\255\254 tail\0"
check("binary string round-trips", id(bin) == bin and #id(bin) == #bin)
check("integer stays integer", math.type(id(3)) == "integer" and id(3) == 3)
check("float stays float", math.type(id(3.0)) == "float")
check("big integer exact", id(math.maxinteger) == math.maxinteger)
check("nil stays nil", id(nil) == nil and select("#", id(nil)) == 1)
check("false stays false", id(false) == false)
check("true stays true", id(true) == true)
-- A Lua table stored in a SMOP Hash comes back as the same table.
local slot = h["postcircumfix:{ }"](h, "key")
slot:STORE(t)
check("table stored in a SMOP Hash comes back", slot:FETCH() == t)
check("Hash counts it", h:elems() == 1)
-- Userdata from Lua (a file handle is not available everywhere; use a
-- SMOP object wrapped twice) and tostring of SMOP values.
local s = smop.lookup("Scalar"):new(42)
check("Scalar holds a Lua number", s:FETCH() == 42)
s:STORE(t)
check("Scalar holds a Lua table by reference", s:FETCH() == t)
check("tostring of a SMOP string result", tostring(id("x")) == "x")
check("tostring of an object without Str", tostring(h):match("^Hash: 0x%x+$") ~= nil)
check("print works on any SMOP object", pcall(print, "  #", Hash, h))
print("1.." .. n)
