-- `load`, `loadfile` and `dofile` stand where stock Lua's stand, text only
-- as they are outside --lua-stdlib all: an error at level 2 inside a chunk
-- that `dofile` runs names `dofile`'s frame (a C function: no position),
-- and a chunk from `load` called through `pcall` sees the same. Argument
-- errors name the function as stock does. Expected output from stock
-- `lua` 5.4.8.
-- expect-stdout:
-- | level 2 in dofile:	false	up
-- | level 2 in load:	false	up
-- | results:	1	2	3
-- | bad load:	false	bad argument #1 to 'load' (function expected, got table)
-- | bad mode:	false	bad argument #3 to 'load' (string expected, got table)
-- | bad loadfile:	false	bad argument #2 to 'loadfile' (string expected, got table)
-- | bad dofile:	false	bad argument #1 to 'dofile' (string expected, got table)
-- | text under b:	nil	attempt to load a text chunk (mode is 'b')
-- | reader error:	true	nil	reader says no
-- | syntax:	nil	[string "return +"]:1: unexpected symbol near '+'
-- | env:	42
-- | missing:	false	cannot open /nonexistent/polyeval-test.lua
local name = os.tmpname()
local f = assert(io.open(name, "w"))
f:write("error('up', 2)\n")
f:close()
print("level 2 in dofile:", pcall(dofile, name))
print("level 2 in load:", pcall(load("error('up', 2)")))
f = assert(io.open(name, "w"))
f:write("return 1, 2, 3\n")
f:close()
print("results:", dofile(name))
os.remove(name)
print("bad load:", pcall(load, {}))
print("bad mode:", pcall(load, "x", "n", {}))
print("bad loadfile:", pcall(loadfile, "x", {}))
print("bad dofile:", pcall(dofile, {}))
print("text under b:", load("return 1", "x", "b"))
print("reader error:", pcall(load, function() error("reader says no", 0) end))
print("syntax:", load("return +"))
print("env:", load("return x", "=env", "t", { x = 42 })())
local ok, msg = pcall(dofile, "/nonexistent/polyeval-test.lua")
print("missing:", ok, (msg:gsub(":.*", "")))
