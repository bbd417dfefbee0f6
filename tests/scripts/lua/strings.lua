-- String library: find/match/gmatch/gsub (captures, %b, %f, anchors, table and
-- function replacements), format (%q %5.2f %x %s %d %g), rep, byte/char, binary.
-- expect-stdout:
-- | 5	7
-- | 8	10	10
-- | 2	2	2
-- | 1	11	key	value
-- | 2	2	2	3
-- | 1	nil	1	0
-- | trim me
-- | 2024	01	15
-- | nil	c	$c
-- | <a>	<a
-- | 3	ll	o
-- | test	(a(b)c)
-- | THE	h	e	l	l	o
-- | 3	one|two|three
-- | pair	a	1
-- | pair	b	22
-- | pair	c	333
-- | whole words:	1
-- | positions:	2,5
-- | hell0 w0rld	2
-- | <hello> <world>	2
-- | -h-e-l-l-o-	6
-- | aabbcc	50%	1
-- | X world	1
-- | Lua 5.4 $missing	3
-- | 2 4 6	3
-- | A b C	3
-- | f[] g[]	2
-- | false	invalid capture index %2
-- | a..B..c.	4	x!y	1
-- | abc	ABC	cba	3	0
-- | ell	llo	ello	hello	true
-- | ababab	ab,ab,ab		true	true
-- |  3.14|42   |00042|+7
-- | ff FF 0xff 10
-- | 1 1.5 true nil
-- |      right|left      |tr
-- | 1e+20 0.1 100 9.0072e+15
-- | 3	false	bad argument #2 to 'string.format' (number has no integer representation)
-- | "he said \"hi\"\
-- | \9and\0left\\"
-- | 0x1.5555555555555p-2	42	0x8000000000000000
-- | Lua	%	12
-- |     a|	[  5][5  ]
-- | bad argument #2 to 'string.format' (number expected, got string)
-- | 65	66	65	66	67
-- | Hi	true	false	bad argument #1 to 'string.char' (value out of range)
-- | 6	97	0	98	0	0	99
-- | 2	2	3
-- | 6	AAH	255	254
-- | true	true	true	4
-- | 3 items	xxx	99
-- | done

local function norm(m) return (tostring(m):gsub("[^%s:<>'\"]*[/\\]([%w_]+%.lua)", "%1")) end

-- find: plain and pattern, init (negative too), captures and position captures
print(string.find("hello world", "o w"))
print(string.find("hello world", "o", 6), string.find("hello world", "l", -3))
print(string.find("a.b", ".", 1, true), string.find("a+b", "+", 1, true))
print(string.find("key = value", "(%w+)%s*=%s*(%w+)"))
print(string.find("abc", "()b()"))
print(string.find("abc", ""), string.find("abc", "", 10), string.find("", ""))

-- match with anchors, optional and lazy repetition
print(string.match("  trim me  ", "^%s*(.-)%s*$"))
print(string.match("2024-01-15", "(%d+)-(%d+)-(%d+)"))
print(string.match("abc", "^b"), string.match("abc", "c$"), string.match("a$c", "$c"))
print(string.match("<<a>>", "<(.*)>"), string.match("<<a>>", "<(.-)>"))
print(string.match("x = 10", "()=()"), string.match("hello", ".-(l+)(.*)"))
print(string.match("[test]", "%[(.*)%]"), string.match("f(a(b)c)d", "%b()"))
print(string.match("THE (quick) fox", "%f[%a]%a+%f[%A]"), string.match("hello", "(h)(e)(l)(l)(o)"))

-- gmatch: all words, key=value pairs, frontier to find whole words
local words = {}
for w in string.gmatch("one two  three", "%a+") do words[#words + 1] = w end
print(#words, table.concat(words, "|"))
for k, v in string.gmatch("a=1, b=22, c=333", "(%w+)=(%w+)") do print("pair", k, v) end
local whole = {}
for w in ("THE (quick) fox THEN the"):gmatch("%f[%w]THE%f[%W]") do whole[#whole + 1] = w end
print("whole words:", #whole)
local positions = {}
for p in ("abcabc"):gmatch("()b") do positions[#positions + 1] = p end
print("positions:", table.concat(positions, ","))

-- gsub: string (%0 %1 %%), table and function replacements, limits, counts
print(string.gsub("hello world", "o", "0"))
print(string.gsub("hello world", "(%w+)", "<%1>"))
print(string.gsub("hello", "", "-"))
print(string.gsub("abc", "%w", "%0%0"), string.gsub("50", "%d+", "%0%%"))
print(string.gsub("hello world", "%w+", "X", 1))
local vars = {name = "Lua", version = "5.4"}
print(string.gsub("$name $version $missing", "%$(%w+)", vars))
print(string.gsub("1 2 3", "%d", function(d) return d * 2 end))
print(string.gsub("a b c", "%a", function(c) if c == "b" then return false end return c:upper() end))
print(string.gsub("f(x) g(y, z)", "%b()", "[]"))
print(pcall(string.gsub, "x", "x", "%2"))

-- character classes and escapes
print(("a1 B2_c3"):gsub("%A", "."), ("tab\there"):find("%c"), ("x.y"):gsub("%p", "!"))
print(("AbC"):lower(), ("AbC"):upper(), ("abc"):reverse(), ("abc"):len(), #"")
print(("hello"):sub(2, 4), ("hello"):sub(-3), ("hello"):sub(2), ("hello"):sub(0), ("hello"):sub(4, 2) == "")

-- rep with separator
print(string.rep("ab", 3), string.rep("ab", 3, ","), string.rep("x", 0), string.rep("x", -1) == "", string.rep("", 5) == "")

-- format
print(string.format("%5.2f|%-5d|%05d|%+d", 3.14159, 42, 42, 7))
print(string.format("%x %X %#x %o", 255, 255, 255, 8))
print(string.format("%s %s %s %s", 1, 1.5, true, nil))
print(string.format("%10s|%-10s|%.2s", "right", "left", "truncate"))
print(string.format("%g %g %g %g", 1e20, 0.1, 100, 2^53))
print(string.format("%d", 3.0), pcall(string.format, "%d", 3.5))
print(string.format("%q", 'he said "hi"\n\tand\0left\\'))
print(string.format("%q", 1 / 3), string.format("%q", 42), string.format("%q", math.mininteger))
print(string.format("%c%c%c", 76, 117, 97), string.format("%%"), string.format("%i", 12))
print(string.format("%5.1s|", "abc"), string.format("[%3d][%-3d]", 5, 5))
print(tostring(select(2, pcall(string.format, "%d", "x"))))

-- byte/char and binary strings with embedded zeros
print(string.byte("ABC"), string.byte("ABC", 2), string.byte("ABC", 1, -1))
print(string.char(72, 105), string.char() == "", pcall(string.char, 256))
local bin = "a\0b\0\0c"
print(#bin, bin:byte(1, -1))
print(bin:find("\0", 1, true), bin:find("%z"), select(2, bin:gsub("\0", "")))
print(#("\x41\65\u{48}\z
       end"), "\x41\65\u{48}", ("\255\254"):byte(1, 2))
print(bin == "a\0b\0\0c", bin < "a\0c", "a\0" > "a", #tostring(12.5))
print(("%d items"):format(3), ("x"):rep(3), ("abc"):byte(-1))
print("done")
