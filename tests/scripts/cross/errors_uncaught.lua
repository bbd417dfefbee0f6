-- An uncaught error ends the program with status 1 and one backtrace that
-- interleaves Lua frames (file:line) and m0ld frames (file:line:col),
-- innermost first.
-- expect-exit: 1
-- expect-stdout:
-- | before
-- expect-stderr: errors_uncaught.lua:16: attempt to perform arithmetic on a nil value
-- expect-stderr: errors_uncaught.lua:16 in function <
-- expect-stderr: apply.m0ld:20:5 in mold@6
-- expect-stderr: errors_uncaught.lua:19 in function 'middle'
-- expect-stderr: errors_uncaught.lua:22 in main chunk
local dir = arg[0]:match("^(.*)/") or "."
local apply = smop.load(dir .. "/lib/apply.m0ld")
print("before")
local function innermost(x)
  return x + nil
end
local function middle()
  local r = apply(innermost, 1)
  return r
end
middle()
print("not reached")
