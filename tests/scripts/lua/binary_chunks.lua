-- The default mode (--lua-stdlib safe) refuses binary chunks everywhere
-- Lua loads code: load, loadfile, dofile and require's file searcher, with
-- Lua's own message. Lua has no bytecode verifier, so a crafted chunk could
-- crash the process; string.dump still works. Text chunks load as before,
-- and argument errors are Lua's own.
-- expect-stdout:
-- | dump: string
-- | load:	nil	attempt to load a binary chunk (mode is 't')
-- | load b:	nil	attempt to load a binary chunk (mode is 't')
-- | load bt:	nil	attempt to load a binary chunk (mode is 't')
-- | load reader:	nil	attempt to load a binary chunk (mode is 't')
-- | load text:	3	7
-- | load text in mode b:	nil	attempt to load a text chunk (mode is 'b')
-- | load env:	42
-- | loadfile:	nil	attempt to load a binary chunk (mode is 't')
-- | loadfile b:	nil	attempt to load a binary chunk (mode is 't')
-- | dofile:	false	attempt to load a binary chunk (mode is 't')
-- | require:	false	true
-- | text loadfile:	11	true
-- | bad load:	false	bad argument #1 to 'load' (function expected, got boolean)
-- | bad chunkname:	false	bad argument #2 to 'load' (string expected, got table)
local dumped = string.dump(function(a) return a * 2 end)
print("dump: " .. type(dumped))
print("load:", load(dumped))
print("load b:", load(dumped, "bin", "b"))
print("load bt:", load(dumped, "bin", "bt"))
local given = false
print("load reader:", load(function()
  if given then return nil end
  given = true
  return dumped
end))
print("load text:", load("return 1 + 2")(), load("return ...", "=x", "bt")(7))
print("load text in mode b:", load("return 1", "txt", "b"))
print("load env:", load("return x", "c", "t", { x = 42 })())

local path = os.tmpname()
local f = assert(io.open(path, "wb"))
f:write(dumped)
f:close()
print("loadfile:", loadfile(path))
print("loadfile b:", loadfile(path, "b"))
print("dofile:", pcall(dofile, path))

local dir = path:match("^(.*)/") or "."
local modname = path:match("([^/]+)$")
package.path = dir .. "/?"
local ok, err = pcall(require, modname)
print("require:", ok, (tostring(err):find("attempt to load a binary chunk (mode is 't')", 1, true)) ~= nil)

f = assert(io.open(path, "w"))
f:write("return 11")
f:close()
print("text loadfile:", loadfile(path)(), dofile(path) == 11)
os.remove(path)

print("bad load:", pcall(load, true))
print("bad chunkname:", pcall(load, "return 1", {}))
