-- Errors: pcall/xpcall, error levels 0/1/2, non-string error values,
-- message handlers, __tostring error objects, assert, runtime error messages.
-- expect-stdout:
-- | (true, 1, nil, 3)
-- | 2
-- | (false, nil)
-- | (false, errors.lua:67: level 1)
-- | (false, errors.lua:68: level 2)
-- | (false, level 0)
-- | (false, plain)
-- | table same:	true
-- | (false, nil)
-- | (false, 42)	integer
-- | (false, 4.5)
-- | (false, false)
-- | (false, true)
-- | false	true	E(404)	404
-- | (false, H:errors.lua:91: bad thing)
-- | (true, 5)
-- | (false, 2)
-- | (false, ERRORS.LUA:94: ATTEMPT TO PERFORM ARITHMETIC ON A TABLE VALUE)
-- | (false, inner rethrown)
-- | (false, assertion failed!)
-- | (false, custom message)
-- | (true, true, unused, extra)
-- | assert table:	true
-- | (false, bad argument #1 to 'assert' (value expected))
-- | 1	(false, errors.lua:114: attempt to perform arithmetic on a nil value (global 'undefined_global'))
-- | 2	(false, errors.lua:115: attempt to index a nil value (field 'a'))
-- | 3	(false, errors.lua:116: attempt to add a 'string' with a 'number')
-- | 4	(false, errors.lua:117: attempt to concatenate a table value)
-- | 5	(false, errors.lua:118: attempt to compare number with string)
-- | 6	(false, errors.lua:119: attempt to compare two table values)
-- | 7	(false, errors.lua:120: attempt to call a nil value (global 'undefined_fn'))
-- | 8	(false, errors.lua:121: attempt to call a nil value (field 'method'))
-- | 9	(false, errors.lua:122: attempt to call a nil value (method 'method'))
-- | 10	(false, errors.lua:123: attempt to get length of a number value)
-- | 11	(false, errors.lua:124: attempt to perform arithmetic on a table value)
-- | 12	(false, errors.lua:125: attempt to mul a 'string' with a 'number')
-- | 13	(false, errors.lua:126: attempt to call a nil value (method 'nosuch'))
-- | 14	(false, errors.lua:127: bad argument #1 to 'floor' (number expected, got string))
-- | 15	(false, errors.lua:128: attempt to concatenate a nil value)
-- | 16	(false, errors.lua:129: table index is nil)
-- | 17	(false, errors.lua:130: table index is NaN)
-- | 18	(true, 9007199254740992)
-- | 19	(false, errors.lua:132: number has no integer representation)
-- | 20	(false, errors.lua:133: attempt to perform bitwise operation on a string value (constant '1.5'))
-- | 21	(false, errors.lua:134: 'for' step is zero)
-- | 22	(false, errors.lua:135: bad 'for' initial value (number expected, got string))
-- | (false, error in error handling)
-- | false	table	custom!
-- | done

local function norm(m) return (tostring(m):gsub("[^%s:<>'\"]*[/\\]([%w_]+%.lua)", "%1")) end
local function show(...)
  local t, out = table.pack(...), {}
  for i = 1, t.n do out[i] = type(t[i]) == "table" and "table" or norm(t[i]) end
  return "(" .. table.concat(out, ", ") .. ")"
end

-- pcall returns true plus every result, or false plus the error value
print(show(pcall(function(...) return ... end, 1, nil, 3)))
print(select("#", pcall(error)))
print(show(pcall(error)))

-- error levels: 1 = where error was called, 2 = the caller, 0 = no position
local function lvl(n) error("level " .. n, n) end
local function caller(n) lvl(n) end
print(show(pcall(caller, 1)))
print(show(pcall(caller, 2)))
print(show(pcall(caller, 0)))
print(show(pcall(error, "plain")))   -- level 1 points into pcall (a C function): no position

-- non-string error values come back unchanged
local tbl = {}
local ok, e = pcall(error, tbl)
assert(not ok and rawequal(e, tbl))
print("table same:", rawequal(e, tbl))
print(show(pcall(error, nil)))
print(show(pcall(error, 42)), math.type(select(2, pcall(error, 42))))
print(show(pcall(error, 4.5)))
print(show(pcall(error, false)))
print(show(pcall(error, true, 2)))

-- error objects with __tostring
local E = setmetatable({code = 404}, {__tostring = function(s) return "E(" .. s.code .. ")" end})
ok, e = pcall(function() error(E) end)
print(ok, rawequal(e, E), tostring(e), e.code)

-- xpcall: the handler sees the original value and its result is returned
print(show(xpcall(function() error("bad thing") end, function(m) return "H:" .. norm(m) end)))
print(show(xpcall(function(a, b) return a + b end, print, 2, 3)))
print(show(xpcall(function() error({n = 1}) end, function(o) return o.n + 1 end)))
print(show(xpcall(function() local x = 1 + {} end, function(m) return norm(m):upper() end)))

-- nested pcall and rethrow with level 0 keeps the original message
ok, e = pcall(function()
  local ok2, e2 = pcall(error, "inner")
  assert(not ok2)
  error(e2 .. " rethrown", 0)
end)
print(show(ok, e))

-- assert
print(show(pcall(assert, false)))
print(show(pcall(assert, nil, "custom message")))
print(show(pcall(assert, 1 == 1, "unused", "extra")))
ok, e = pcall(assert, false, tbl)
print("assert table:", rawequal(e, tbl))
print(show(pcall(assert)))

-- runtime error messages name the culprit
local messages = {
  function() return undefined_global + 1 end,
  function() local t = {} return t.a.b end,
  function() local s = "abc" return s + 1 end,
  function() return {} .. "x" end,
  function() return 1 < "2" end,
  function() return {} < {} end,
  function() undefined_fn() end,
  function() local t = {} t.method() end,
  function() local t = {} t:method() end,
  function() return #5 end,
  function() return -{} end,
  function() local t = setmetatable({}, {__index = function(t, k) return k * 2 end}) return t.x end,
  function() return ("x"):nosuch() end,
  function() return math.floor("a") end,
  function() return ("x"):rep(1, 2, 3) .. nil end,
  function() local t = {} t[nil] = 1 end,
  function() local t = {} t[0/0] = 1 end,
  function() return 2^53 | 0 end,
  function() return 1.5 | 0 end,
  function() return "1.5" | 0 end,
  function() for i = 1, 10, 0 do end end,
  function() for i = "a", 2 do end end,
}
for i, f in ipairs(messages) do print(i, show(pcall(f))) end

-- error inside a message handler
print(show(xpcall(error, function(m) error("again") end, "first")))

-- tostring of error values through pcall/error round trips
ok, e = pcall(error, setmetatable({}, {__tostring = function() return "custom!" end}))
print(ok, type(e), tostring(e))
print("done")
