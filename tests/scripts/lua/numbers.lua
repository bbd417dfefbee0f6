-- Numbers: integer vs float subtypes, division and modulo rules, overflow
-- wraparound, coercions, float formatting, table keys, math conversions, bitwise.
-- expect-stdout:
-- | 1	1.0	-2	-2	-2.0	3.5	2.0
-- | 1	-2	2	-1	1.5	0.5	2.0	3.0	inf
-- | inf	-inf	true	true	true	inf	true
-- | false	numbers.lua:49: attempt to divide by zero
-- | false	numbers.lua:50: attempt to perform 'n%0'
-- | true	true
-- | -2	-9223372036854775808	0	-9223372036854775808
-- | 9.2233720368548e+18	true	9.007199254741e+15	9.007199254741e+15
-- | integer	float	nil	float	integer	float
-- | 3	nil	8	nil	0
-- | 3	4	-4	-3	true	float
-- | 1	-1	1	1.5	false	bad argument #2 to 'math.fmod' (zero)
-- | 3	3.5	-9223372036854775808	2.5	1.0	2
-- | true	true	3.141	4.0	1.0	3.0	2.0
-- | 11	16	100.0	10	3	3.0	10	1.5|
-- | 16.0	12	nil	nil	nil	0.5	5.0
-- | 2	255	1295	nil	9223372036854775807
-- | 9223372036854775807	9.2233720368548e+18	float
-- | nil	false	bad argument #1 to 'tonumber' (value expected)
-- | false	numbers.lua:71: attempt to add a 'string' with a 'number'
-- | false	true	false	numbers.lua:72: attempt to compare string with number
-- | 1e+100	9.2233720368548e+18	-0.0	3.0	1e+15	1e+16	0.1	0.33333333333333	50.0	123456789012	-9.2233720368548e+18	4.9406564584125e-324
-- | 0.1	9.2233720368548e+18	0.10000000000000001	0.667
-- | 9223372036854775807	-9223372036854775808	inf	-inf	9223372036854775807	-1	32.0
-- | inf	-inf	nan	inf	-inf	false
-- | float	1	big	big
-- | normalized key	3	integer
-- | x	x	true	false	true
-- | 1	7	6	-1	4611686018427387904	-9223372036854775808	0	9223372036854775807	1	4
-- | 1	4611686018427387904	integer	11
-- | false	numbers.lua:91: attempt to perform bitwise operation on a string value (constant '3')
-- | false	numbers.lua:92: number has no integer representation
-- | false	numbers.lua:93: attempt to perform bitwise operation on a string value (local 's')
-- | false	numbers.lua:94: number has no integer representation
-- | false	numbers.lua:95: attempt to perform bitwise operation on a table value (local 't')
-- | 1.0 1.5 2.0 3 2 1 -1 0
-- | done

local function norm(m) return (tostring(m):gsub("[^%s:<>'\"]*[/\\]([%w_]+%.lua)", "%1")) end
local function try(f) local ok, e = pcall(f); return ok, norm(e) end

-- integer and float division, floor division and modulo signs
print(3 // 2, 3.0 // 2, -3 // 2, 3 // -2, -3.5 // 2, 7 / 2, 4 / 2)
print(7 % 3, 7 % -3, -7 % 3, -7 % -3, 7.5 % 2, -7.5 % 2, 5.0 % 3, 3 % math.huge, -3 % math.huge)
print(1 / 0, -1 / 0, 0 / 0 ~= 0 / 0, math.huge == 1 / 0, -0.0 == 0.0, 1 // 0.0, -1 % 0.0 ~= -1 % 0.0)
print(try(function() return 1 // 0 end))
print(try(function() local z = 0; return 1 % z end))

-- integer overflow wraps around
print(math.maxinteger + 1 == math.mininteger, math.mininteger - 1 == math.maxinteger)
print(math.maxinteger * 2, math.mininteger // -1, math.mininteger % -1, -math.mininteger)
print(math.maxinteger + 1.0, math.maxinteger + 0.0 == 2^63, 2^53, 2^53 + 1)

-- math.type, math.tointeger, floor/ceil returning integers
print(math.type(1), math.type(1.0), math.type("1"), math.type(2^31), math.type(1 // 1), math.type(1.0 // 1))
print(math.tointeger(3.0), math.tointeger(3.5), math.tointeger("8"), math.tointeger(2^63), math.tointeger(-0.0))
print(math.floor(3.7), math.ceil(3.2), math.floor(-3.5), math.ceil(-3.5), math.floor(2^70) == 2^70, math.type(math.floor(1e100)))
print(math.fmod(7, 3), math.fmod(-7, 3), math.fmod(7, -3), math.fmod(7.5, 2), pcall(math.fmod, 1, 0))
print(math.abs(-3), math.abs(-3.5), math.abs(math.mininteger), math.max(1, 2.5, 2), math.min(3, 1.0, 2), math.max(2, 2.0))
print(math.ult(1, -1), 3 == 3.0, math.pi - math.pi % 0.001, math.sqrt(16), math.exp(0), math.log(8, 2), math.log(100, 10))

-- string <-> number coercions
print("10" + 1, "0x10" + 0, "1e2" + 0, " 5 " * 2, "3" // 1, "3.0" // 1, 10 .. "", 1.5 .. "|")
print(tonumber("0x1p4"), tonumber("  12  "), tonumber("12a"), tonumber(""), tonumber("1e"), tonumber(".5"), tonumber("5."))
print(tonumber("10", 2), tonumber("ff", 16), tonumber("zz", 36), tonumber("8", 8), tonumber("7FFFFFFFFFFFFFFF", 16))
print(tonumber("9223372036854775807"), tonumber("9223372036854775808"), math.type(tonumber("9223372036854775808")))
print(tonumber(nil), pcall(tonumber))
print(try(function() return "abc" + 1 end))
print("10" == 10, "abc" < "abd", try(function() return "10" < 5 end))

-- tostring of floats and integers
print(1e100, 2^63, -0.0, 3.0, 1e15, 1e16, 0.1, 1/3, 100 / 2, 123456789012, -2^63, 2^-1074)
print(string.format("%.14g", 0.1), string.format("%.14g", 2^63), string.format("%.17g", 0.1), string.format("%.3f", 2/3))
print(math.maxinteger, math.mininteger, math.huge, -math.huge, 0x7fffffffffffffff, 0xffffffffffffffff, 0x10p1)
print(1e308 * 10, -1e308 * 10, tostring(0/0):gsub("^%-", ""), 5 // 0.0, -5 // 0.0, 0/0 == 0/0)

-- integer/float equality and table keys: 1 and 1.0 are the same key
local t = {}
t[1] = "int"; t[1.0] = "float"; t[2^53] = "big"
print(t[1], #t, t[2^53 | 0], t[2^53 + 0.0])
for k in pairs({[3.0] = true}) do print("normalized key", k, math.type(k)) end
t = {[1.5] = "x"}
print(t[1.5], t[3 / 2], rawequal(1, 1.0), 0.1 + 0.2 == 0.3, math.abs(0.1 + 0.2 - 0.3) < 1e-15)

-- bitwise operators on integers and on integral floats / strings
print(5 & 3, 5 | 3, 5 ~ 3, ~0, 1 << 62, 1 << 63, 1 << 64, -1 >> 1, -1 >> 63, 2 >> -1)
print(3.0 & 1, 2^62 | 0, math.type(3.0 | 0), ("10" + 0) | 1)
print(try(function() return "3" | 0 end))
print(try(function() return 1.5 & 1 end))
print(try(function() local s = "1.5"; return s | 1 end))
print(try(function() return 2^64 | 0 end))
print(try(function() local t = {}; return t & 1 end))

-- numeric for loops with float and integer steps
local acc = {}
for i = 1, 2, 0.5 do acc[#acc + 1] = i end
for i = 3, 1, -1 do acc[#acc + 1] = i end
for i = math.maxinteger - 1, math.maxinteger do acc[#acc + 1] = i - math.maxinteger end
print(table.concat(acc, " "))
assert(7 // 2 == 3 and 7.0 // 2 == 3.0 and math.type(7.0 // 2) == "float")
print("done")
