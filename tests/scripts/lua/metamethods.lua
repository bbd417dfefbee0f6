-- Metatables: __index/__newindex (function and table), __call, arithmetic,
-- comparison, __concat, __len, __unm, __tostring, __name, __close, __pairs, raw*.
-- expect-stdout:
-- | base	mid	hello from obj	nil	nil
-- | 49	nil
-- | a=1	2	5
-- | nil	to store
-- | 15	second
-- | (4,6)	(2,4)	(3,6)	(-1,-2)	5.0
-- | (1,2)&(3,4)	(1,2)&s	s&(3,4)	1&(1,2)
-- | idiv	band	shl	bnot
-- | true	true	false	true	false	true	true
-- | false	true
-- | false	metamethods.lua:85: attempt to index a number value (local 'b')
-- | custom
-- | MyType: ADDR
-- | metamethods.lua:98: attempt to perform arithmetic on a MyType value (upvalue 'named')
-- | b a c:err
-- | metamethods.lua:113: variable 'bad' got a non-closable value
-- | pairs	1	100
-- | pairs	2	200
-- | pairs	3	300
-- | ipairs	1	v1
-- | ipairs	2	v2
-- | ipairs	3	v3
-- | meta	nil	2	3	locked
-- | false	cannot change a protected metatable
-- | true	ABC
-- | done

local function norm(m) return (tostring(m):gsub("[^%s:<>'\"]*[/\\]([%w_]+%.lua)", "%1")) end

-- __index as a table gives inheritance chains; as a function computes values
local Base = {kind = "base"}
function Base.hello(self) return "hello from " .. self.name end
local Mid = setmetatable({level = "mid"}, {__index = Base})
local obj = setmetatable({name = "obj"}, {__index = Mid})
print(obj.kind, obj.level, obj:hello(), obj.missing, rawget(obj, "kind"))
local squares = setmetatable({}, {__index = function(t, k) return k * k end})
print(squares[7], rawget(squares, 7))

-- __newindex as a function and as a table; existing keys bypass it
local log = {}
local store = {}
local proxy = setmetatable({existing = 1}, {
  __newindex = function(t, k, v) log[#log + 1] = k .. "=" .. tostring(v); rawset(t, k, v * 10) end,
})
proxy.a = 1; proxy.a = 2; proxy.existing = 5
print(table.concat(log, " "), proxy.a, proxy.existing)
local redirect = setmetatable({}, {__newindex = store})
redirect.x = "to store"
print(rawget(redirect, "x"), store.x)

-- __call receives the object first
local callable = setmetatable({n = 10}, {__call = function(self, a, b) return self.n + a, b end})
print(callable(5, "second"))

-- arithmetic, bitwise, __unm, __len, __concat
local V = {}
V.__index = V
local function vec(x, y) return setmetatable({x = x, y = y}, V) end
V.__add = function(a, b) return vec(a.x + b.x, a.y + b.y) end
V.__mul = function(a, b)
  if type(a) == "number" then return vec(a * b.x, a * b.y) end
  return vec(a.x * b, a.y * b)
end
V.__unm = function(a) return vec(-a.x, -a.y) end
V.__len = function(a) return math.sqrt(a.x * a.x + a.y * a.y) end
V.__tostring = function(a) return "(" .. a.x .. "," .. a.y .. ")" end
V.__concat = function(a, b)
  return (type(a) == "table" and tostring(a) or a) .. "&" .. (type(b) == "table" and tostring(b) or b)
end
V.__idiv = function() return "idiv" end
V.__band = function() return "band" end
V.__shl = function() return "shl" end
V.__bnot = function() return "bnot" end
local p, q = vec(1, 2), vec(3, 4)
print(tostring(p + q), tostring(2 * p), tostring(p * 3), tostring(-p), #q)
print(p .. q, p .. "s", "s" .. q, 1 .. p)
print(p // 1, p & 1, 1 << p, ~p)

-- comparisons: __eq only for two tables, __lt, __le
local C = {}
C.__eq = function(a, b) return a.v == b.v end
C.__lt = function(a, b) return a.v < b.v end
C.__le = function(a, b) return a.v <= b.v end
local function c(v) return setmetatable({v = v}, C) end
local c1, c2, c3 = c(1), c(1), c(2)
print(c1 == c2, c1 ~= c3, rawequal(c1, c2), c1 < c3, c3 <= c1, c3 > c1, c1 >= c2)
print(c1 == 1, c1 == {v = 1})
local ok, err = pcall(function() return c1 < 1 end)
print(ok, norm(err))

-- __tostring and __name
print(tostring(setmetatable({}, {__tostring = function() return "custom" end})))
local named = setmetatable({}, {__name = "MyType"})
print((tostring(named):gsub("0x%x+", "ADDR"):gsub(": [%x]+$", ": ADDR")))
ok, err = pcall(function() return named + 1 end)
print(norm(err))

-- __close runs at scope exit, in reverse order, also on error
local order = {}
local function res(name)
  return setmetatable({}, {__close = function(_, e) order[#order + 1] = name .. (e and ":err" or "") end})
end
do
  local a <close> = res("a")
  local b <close> = res("b")
  local none <close> = nil
end
pcall(function() local c <close> = res("c"); error("x") end)
print(table.concat(order, " "))
ok, err = pcall(function() local bad <close> = {} end)
print(norm(err))

-- __pairs overrides pairs; ipairs respects __index
local pp = setmetatable({}, {__pairs = function(t)
  local i = 0
  return function() i = i + 1; if i <= 3 then return i, i * 100 end end, t, nil
end})
for k, v in pairs(pp) do print("pairs", k, v) end
local iproxy = setmetatable({}, {__index = function(_, i) if i <= 3 then return "v" .. i end end})
for i, v in ipairs(iproxy) do print("ipairs", i, v) end

-- raw access bypasses metamethods; getmetatable honours __metatable
local guarded = setmetatable({}, {__index = function() return "meta" end, __metatable = "locked"})
print(guarded.k, rawget(guarded, "k"), rawlen({1, 2}), rawlen("abc"), getmetatable(guarded))
ok, err = pcall(setmetatable, guarded, {})
print(ok, err)
print(getmetatable("abc").__index == string, ("abc"):upper())
print("done")
