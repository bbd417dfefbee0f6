-- Assorted base/table/string/math library behaviour: sort, concat, insert,
-- remove, move, next/pairs/ipairs, select, tostring/tonumber, method calls.
-- expect-stdout:
-- | 1 2 3 5 8 9
-- | 9 8 5 3 2 1
-- | Apple apple banana cherry
-- | Apple apple banana cherry
-- | bo	30
-- | cy	30
-- | al	25
-- | false	attempt to compare string with number
-- | 1, 2.5, x		b-c
-- | false	invalid value (table) at index 2 in table for 'concat'
-- | z,a,m,b,c,d	6
-- | d	z	m	a,b,c
-- | nil	3	nil
-- | false	bad argument #2 to 'table.insert' (position out of bounds)
-- | false	wrong number of arguments to 'insert'
-- | 2,3,4,4,5
-- | 1,2,1,2,3
-- | 1,2,3	1
-- | ipairs count	2
-- | 1=1 2=4 3=9 4=16 5=25 6=36 7=49 8=64 9=81 10=100
-- | keys:	x,y,z	nil	1	7
-- | cleared during traversal:	3	nil
-- | 0	1	b	c
-- | nil	true	12	12.0	s
-- | 35	-255	3	nil	nil
-- | false	bad argument #2 to 'tonumber' (base out of range)
-- | 31	10.0	nil	integer	float
-- | 5	HELLO	Hello-Hello	xxx	7-z	111	0
-- | 1	2	1	2	0.0	7
-- | -1	0	true	float
-- | false	bad argument #1 to 'math.min' (value expected)
-- | attempt to compare string with number
-- | nil	function	function	table	string	number	thread
-- | true	false	3	3	3
-- | done

local function norm(m) return (tostring(m):gsub("[^%s:<>'\"]*[/\\]([%w_]+%.lua)", "%1")) end

-- table.sort: default order, comparator, records by several keys
local t = {5, 2, 8, 1, 9, 3}
table.sort(t)
print(table.concat(t, " "))
table.sort(t, function(a, b) return a > b end)
print(table.concat(t, " "))
local words = {"banana", "Apple", "cherry", "apple"}
table.sort(words)
print(table.concat(words, " "))
table.sort(words, function(a, b) return a:lower() < b:lower() or (a:lower() == b:lower() and a < b) end)
print(table.concat(words, " "))
local people = {{n = "bo", a = 30}, {n = "al", a = 25}, {n = "cy", a = 30}}
table.sort(people, function(x, y) if x.a ~= y.a then return x.a > y.a end return x.n < y.n end)
for _, p in ipairs(people) do print(p.n, p.a) end
print(pcall(table.sort, {1, "x", 2}))

-- table.concat with separators and ranges; numbers are converted
print(table.concat({1, 2.5, "x"}, ", "), table.concat({}, "x"), table.concat({"a", "b", "c"}, "-", 2, 3))
print(pcall(table.concat, {1, {}, 3}))

-- insert / remove / move
t = {"a", "b", "c"}
table.insert(t, "d"); table.insert(t, 1, "z"); table.insert(t, 3, "m")
print(table.concat(t, ","), #t)
print(table.remove(t), table.remove(t, 1), table.remove(t, 2), table.concat(t, ","))
print(table.remove({}), #t, table.remove(t, #t + 1))
print(pcall(table.insert, {1, 2}, 5, "x"))
print(pcall(table.insert, {}, 1, 2, 3))
local src = {1, 2, 3, 4, 5}
print(table.concat(table.move(src, 2, 4, 1), ","))
print(table.concat(table.move({1, 2, 3}, 1, 3, 3), ","))
print(table.concat(table.move({1, 2, 3}, 1, 3, 1, {}), ","), #table.move({}, 1, 0, 1, {"keep"}))

-- iteration: ipairs stops at the first nil; pairs on arrays visits 1..n in order
local holes = {1, 2, nil, 4}
local n = 0
for _ in ipairs(holes) do n = n + 1 end
print("ipairs count", n)
local arr = {}
for i = 1, 10 do arr[i] = i * i end
local seen = {}
for k, v in pairs(arr) do seen[#seen + 1] = k .. "=" .. v end
print(table.concat(seen, " "))
local rec = {x = 1, y = 2, z = 3}
local keys = {}
for k in pairs(rec) do keys[#keys + 1] = k end
table.sort(keys)
print("keys:", table.concat(keys, ","), next({}), next({7}))
local cnt = 0
for k in pairs(rec) do rec[k] = nil; cnt = cnt + 1 end
print("cleared during traversal:", cnt, next(rec))

-- select, including negative indices and '#'
print(select("#"), select("#", nil), select(2, "a", "b", "c"), select(-1, "a", "b", "c"))

-- tostring / tonumber with bases
print(tostring(nil), tostring(true), tostring(12), tostring(12.0), tostring("s"))
print(tonumber("z", 36), tonumber("-ff", 16), tonumber(" 11 ", 2), tonumber("12", 2), tonumber("1.5", 10))
print(pcall(tonumber, "10", 99))
print(tonumber(" 0x1F "), tonumber("1e1"), tonumber(true), math.type(tonumber("10")), math.type(tonumber("10.0")))

-- string methods through the string metatable
local s = "Hello"
print(s:len(), s:upper(), s:rep(2, "-"), ("x"):rep(3), ("%d-%s"):format(7, "z"), s:byte(-1), #s:sub(10))

-- math helpers with mixed integers and floats
print(math.min(3, 1, 2), math.max(1.5, 2), math.min(1, 1.0), math.max(2, 2.0), math.abs(-0.0), math.abs(-7))
print(math.floor(-0.5), math.ceil(-0.5), math.huge > math.maxinteger, math.type(math.maxinteger + 0.0))
print(pcall(math.min))
print(norm(select(2, pcall(function() return math.max("a", 1) end))))

-- type, rawequal, rawlen, #
print(type(nil), type(print), type(type), type({}), type("") , type(2), type(coroutine.create(print)))
print(rawequal("a", "a"), rawequal({}, {}), rawlen({1, 2, 3}), #"abc", #{1, 2, 3, nil})
assert(#{n = 1} == 0 and select("#", table.unpack({1, 2, 3})) == 3)
print("done")
