-- --lua-stdlib sandbox: io, os, package, require, dofile, loadfile and debug
-- are absent, load takes text chunks only; the rest of Lua and smop work.
-- lua-stdlib: sandbox
-- expect-stdout:
-- | io nil
-- | os nil
-- | package nil
-- | require nil
-- | dofile nil
-- | loadfile nil
-- | debug nil
-- | string.dump nil
-- | text chunk: 3
-- | binary chunk: nil attempt to load a binary chunk (mode is 't')
-- | env chunk: 42
-- | smop: 1
-- | done
for _, name in ipairs({ "io", "os", "package", "require", "dofile", "loadfile", "debug" }) do
  print(name .. " " .. tostring(_G[name]))
end
print("string.dump " .. tostring(string.dump))
print("text chunk: " .. load("return 1 + 2")())
local f, err = load("\27Lua\84\0junk")
print("binary chunk: " .. tostring(f) .. " " .. tostring(err))
print("env chunk: " .. load("return x", "c", "t", { x = 42 })())
local Hash = smop.lookup("Hash")
local h = Hash:new()
h["postcircumfix:{ }"](h, "a"):STORE(1)
print("smop: " .. h:elems())
print("done")
