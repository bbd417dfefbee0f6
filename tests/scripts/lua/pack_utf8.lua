-- string.pack/unpack/packsize (endianness, sizes, z, s1, d, n, j, alignment)
-- and the utf8 library (char, charpattern, codes, len, offset, codepoint).
-- expect-stdout:
-- | 01000000	00000001	feffffff
-- | abcd	cdab	ff
-- | ffffff	0000000000000001	ffffffffffffffff
-- | -123456	5
-- | 258	513	3
-- | -1	65535	-56	2
-- | false	bad argument #2 to 'string.pack' (integer overflow)
-- | false	bad argument #2 to 'string.pack' (unsigned overflow)
-- | 4	61620000	ab		5
-- | 6	0568656c6c6f	hello	7
-- | 00026869	four	9
-- | 6162630000	xyz	4
-- | false	bad argument #2 to 'string.pack' (string length does not fit in given size)
-- | 3ff8000000000000	000000c0
-- | 0.1	1e+300	9
-- | float	integer
-- | 9	1	-1	mid	7	10
-- | -1	7	10
-- | false	bad argument #2 to 'string.unpack' (data string too short)
-- | 4	10	16	24
-- | 17	false	bad argument #1 to 'string.packsize' (variable-length format)
-- | 0100000002000000	0102000000
-- | Hä€😀	4	fdbfbfbfbfbf
-- | true	0
-- | code	1	104
-- | code	2	228
-- | code	4	108
-- | code	5	8364
-- | code	8	128512
-- | 104	228	108	8364	128512
-- | 228	false	invalid UTF-8 code
-- | char byte lengths:	1,2,1,3,4
-- | 5	11	0	2	0	1
-- | nil 3	|	nil 3	|	nil 1	|	nil 3
-- | false pack_utf8.lua:104: invalid UTF-8 code
-- | 1	4	8	12	nil
-- | 8	5	2	5
-- | false	initial position is a continuation byte
-- | nil 1	1	2147483647
-- | done

local function norm(m) return (tostring(m):gsub("[^%s:<>'\"]*[/\\]([%w_]+%.lua)", "%1")) end
local function hex(s) return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end)) end
local function show(...)
  local t, out = table.pack(...), {}
  for i = 1, t.n do out[i] = norm(t[i]) end
  return table.concat(out, " ")
end

-- integers with explicit endianness and sizes
print(hex(string.pack("<i4", 1)), hex(string.pack(">i4", 1)), hex(string.pack("<i4", -2)))
print(hex(string.pack(">I2", 0xABCD)), hex(string.pack("<I2", 0xABCD)), hex(string.pack("B", 255)))
print(hex(string.pack("<i3", -1)), hex(string.pack(">j", 1)), hex(string.pack("<J", -1)))
print(string.unpack("<i4", string.pack("<i4", -123456)))
print(string.unpack(">I2", "\1\2"), string.unpack("<I2", "\1\2"))
print(string.unpack("<i2", "\255\255"), string.unpack("<I2", "\255\255"), string.unpack("b", "\200"))
print(pcall(string.pack, "i1", 200))
print(pcall(string.pack, "I1", -1))

-- strings: zero-terminated, length-prefixed, fixed-size
local z = string.pack("zz", "ab", "")
print(#z, hex(z), string.unpack("zz", z))
local s1 = string.pack("s1", "hello")
print(#s1, hex(s1), string.unpack("s1", s1))
print(hex(string.pack(">s2", "hi")), string.unpack("<s4", string.pack("<s4", "four")))
print(hex(string.pack("c5", "abc")), string.unpack("c3", "xyzw"))
print(pcall(string.pack, "s1", string.rep("x", 300)))

-- floats
print(hex(string.pack(">d", 1.5)), hex(string.pack("<f", -2.0)))
print(string.unpack("<d", string.pack("<d", 0.1)), string.unpack("n", string.pack("n", 1e300)))
print(math.type((string.unpack("d", string.pack("d", 3)))), math.type((string.unpack("j", string.pack("j", 3)))))

-- several values, position argument and the returned next position
local packed = string.pack("<i2 i2 z B", 1, -1, "mid", 7)
print(#packed, string.unpack("<i2 i2 z B", packed))
print(string.unpack("<i2", packed, 3), string.unpack("B", packed, -1))
print(pcall(string.unpack, "<i4", "\1\2"))

-- packsize and alignment
print(string.packsize("i4"), string.packsize("<i2 i8"), string.packsize("!8 i2 i8"), string.packsize("d n j"))
print(string.packsize("b B h H i1 c10"), pcall(string.packsize, "z"))
print(hex(string.pack("!4 b i4", 1, 2)), hex(string.pack("<b Xi4 i4", 1, 2)))

-- utf8.char and charpattern
print(utf8.char(72, 228, 8364, 128512), #utf8.char(128512), hex(utf8.char(0x7FFFFFFF)))
print(utf8.charpattern == "[\0-\x7F\xC2-\xFD][\x80-\xBF]*", #utf8.char())

-- utf8.codes and codepoint
local s = "häl€😀"
for p, c in utf8.codes(s) do print("code", p, c) end
print(utf8.codepoint(s, 1, -1))
print(utf8.codepoint(s, 2), pcall(utf8.codepoint, s, 3))
local chars = {}
for ch in s:gmatch(utf8.charpattern) do chars[#chars + 1] = #ch end
print("char byte lengths:", table.concat(chars, ","))

-- utf8.len, including invalid input (nil plus the position of the bad byte)
print(utf8.len(s), #s, utf8.len(""), utf8.len(s, 1, 2), utf8.len(s, 5, 4), utf8.len(s, -4))
print(show(utf8.len(s, 3)), "|", show(utf8.len("ab\xffcd")), "|", show(utf8.len("\xe2\x82")), "|", show(utf8.len("ok\x80")))
print(show(pcall(function() for _ in utf8.codes("a\xffb") do end end)))

-- utf8.offset: byte position of the n-th character, from start or end
print(utf8.offset(s, 1), utf8.offset(s, 3), utf8.offset(s, 5), utf8.offset(s, 6), utf8.offset(s, 7))
print(utf8.offset(s, -1), utf8.offset(s, -2), utf8.offset(s, 0, 3), utf8.offset(s, 0, 6))
print(pcall(utf8.offset, s, 1, 3))

-- lax mode accepts surrogates and large values
print(show(utf8.len("\u{D800}")), utf8.len("\u{D800}", 1, -1, true), utf8.codepoint("\u{7FFFFFFF}", 1, 1, true))
print("done")
